/*
 * replay.c: run a libFuzzer-style target over a corpus directory without
 * libFuzzer, so `make check` replays every fuzz corpus under gcc and the
 * sanitizers.  Usage: <target>_replay CORPUS_DIR.  Inputs are replayed in
 * name order; each is read whole (at most 64 MiB).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUT (64u * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	struct stat st;
	size_t n;

	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
			strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(f);
		return 1; /* not an input */
	}
	if ((uint64_t)st.st_size > MAX_INPUT) {
		fprintf(stderr, "replay: %s is larger than %u bytes\n", path,
			MAX_INPUT);
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: short read on %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, i, done = 0;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "replay: cannot open %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char **more;

		if (de->d_name[0] == '.')
			continue;
		more = realloc(names, (n + 1) * sizeof(*names));
		if (!more) {
			rc = 1;
			break;
		}
		names = more;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = 1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]) >=
		    (int)sizeof(path)) {
			rc = 1;
			break;
		}
		r = replay_file(path);
		if (r < 0)
			rc = 1;
		else if (r == 0)
			done++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	printf("%zu inputs replayed\n", done);
	return rc;
}
