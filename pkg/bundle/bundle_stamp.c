/*
 * bundle_stamp.c: a cheap fingerprint of an installed release, from what
 * lstat says about every entry, so that an unchanged kit need not be
 * re-hashed on every update.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_bundle.h"
#include "kit_crypto.h"

#define STAMP_MAX_DEPTH 64
#define STAMP_MAX_ENTRIES 200000

struct stamp {
	struct kit_sha256 *h;
	size_t entries;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
stamp_add(struct stamp *s, const char *rel, const struct stat *st)
{
	char line[256];
	int n;

	/* the name, then every field a change of content, name, type or
	 * mode moves: ctime cannot be set back without root and a clock */
	kit_sha256_update(s->h, rel, strlen(rel) + 1);
	n = snprintf(line, sizeof(line), "%o %lld %llu %lld.%09ld %lld.%09ld\n",
		     (unsigned)st->st_mode, (long long)st->st_size,
		     (unsigned long long)st->st_ino,
		     (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
		     (long long)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
	kit_sha256_update(s->h, line, (size_t)n);
	s->entries++;
}

/* Walk the open directory dfd (rel names it), entries in name order;
 * takes ownership of dfd. */
static int
stamp_dir(struct stamp *s, int dfd, const char *rel, int depth,
	  struct kit_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, child[4096];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = -1, cfd;

	if (depth > STAMP_MAX_DEPTH) {
		kit_err(err, KIT_E_SECURITY, "%s: more than %d levels of directories", rel, STAMP_MAX_DEPTH);
		goto out;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", rel);
		close(dfd);
		goto out;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (s->entries + n >= STAMP_MAX_ENTRIES) {
			kit_err(err, KIT_E_SECURITY, "%s: more than %d entries", rel, STAMP_MAX_ENTRIES);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = kit_xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = kit_strdup(de->d_name);
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", rel);
		goto out;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (kit_snprintf(err, child, sizeof(child), "%s/%s", rel,
				 names[i]) != 0)
			goto out;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s", child);
			goto out;
		}
		stamp_add(s, child, &st);
		if (!S_ISDIR(st.st_mode))
			continue;
		cfd = openat(dirfd(d), names[i],
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", child);
			goto out;
		}
		if (stamp_dir(s, cfd, child, depth + 1, err) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	return rc;
}

int
kit_bundle_release_stamp(const char *kit_dir, int version, char *hex,
			 struct kit_error *err)
{
	char rel[64], shown[4096];
	struct stamp s = {NULL, 0};
	struct stat st;
	int kfd = -1, rfd = -1, vfd = -1, rc = -1;

	if (kit_snprintf(err, rel, sizeof(rel), "%d", version) != 0 ||
	    kit_snprintf(err, shown, sizeof(shown), "%s/releases/%d", kit_dir,
			 version) != 0)
		return -1;
	/* no link is followed below kit_dir */
	kfd = open(kit_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (kfd >= 0)
		rfd = openat(kfd, "releases",
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd >= 0)
		vfd = openat(rfd, rel,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vfd < 0) {
		kit_err_errno(err, errno == ENOENT ? KIT_E_INVALID : KIT_E_IO,
			      errno, "cannot open %s", shown);
		goto out;
	}
	if (fstat(vfd, &st) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s", shown);
		goto out;
	}
	s.h = kit_sha256_new();
	if (s.h == NULL) {
		kit_err(err, KIT_E_IO, "out of memory");
		goto out;
	}
	stamp_add(&s, ".", &st);
	rc = stamp_dir(&s, vfd, ".", 0, err);
	vfd = -1; /* closed by stamp_dir */
	if (rc == 0)
		kit_sha256_final_hex(s.h, hex);
out:
	kit_sha256_free(s.h);
	if (vfd >= 0)
		close(vfd);
	if (rfd >= 0)
		close(rfd);
	if (kfd >= 0)
		close(kfd);
	return rc;
}
