/* kit-fuzz-links: fetcher */
/* kit-fuzz-dict: kit */
/*
 * fetcher_fuzz.c: kit-fetch as a whole over a state directory and an
 * offline repository copy (update --from) written from the input: the
 * state's config.json, status.json, http-cache.json, trusted metadata and
 * installed manifests, the repository's metadata, targets' custom fields,
 * archives and everything else kit_fetcher_update(), kit_fetcher_status()
 * (text and JSON), kit_fetcher_verify() and kit_fetcher_rollback() read.
 *
 * Input: files "<state|repo>/<path>\n<bytes>" joined by the line
 * "@@kit-fuzz@@" (gen_fetcher_seeds.sh packs real ones so); paths that are
 * not safe are skipped, at most 64 files.  kits/<c>/current is not a file:
 * the harness points it at the highest releases/<n> there is.
 *
 * What must hold: every failure has a class and a message; what status
 * and verify print for a person is one line per item without control
 * characters (the state directory and the kits in it are not trusted).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "kit_fetcher.h"

#define MAX_FILES 64

/* kits/<c>/current -> releases/<highest n> for every kit written. */
static void
link_current(void)
{
	char kits[512], path[1024], target[64];
	struct dirent *de, *re;
	DIR *d, *r;

	fuzz_path(kits, sizeof(kits), "state/kits");
	if ((d = opendir(kits)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		long best = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/releases", kits, de->d_name);
		if ((r = opendir(path)) == NULL)
			continue;
		while ((re = readdir(r)) != NULL) {
			char *end;
			long v = strtol(re->d_name, &end, 10);

			if (*end == '\0' && v > best && v < 1000000)
				best = v;
		}
		closedir(r);
		snprintf(path, sizeof(path), "%s/%s/current", kits, de->d_name);
		snprintf(target, sizeof(target), "releases/%ld", best);
		if (best > 0 && symlink(target, path) != 0)
			continue; /* a file of that name came with the input */
	}
	closedir(d);
}

/* Text for a person: lines that kit_str_sanitize() would leave alone
 * (no controls, C1, bidirectional overrides or invalid UTF-8). */
static void
check_text(const char *what, const char *buf, size_t len)
{
	size_t i = 0, n;
	char *line, *clean;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);

		n = nl ? (size_t)(nl - (buf + i)) : len - i;
		line = kit_xmalloc(n + 1);
		clean = kit_xmalloc(n + 1);
		memcpy(line, buf + i, n);
		line[n] = '\0';
		kit_str_sanitize(line, clean, n + 1);
		if (strlen(line) != n || strcmp(line, clean) != 0) {
			fprintf(stderr, "fetcher_fuzz: %s prints a line that is "
					"not safe for a terminal: %s\n",
				what, clean);
			abort();
		}
		free(line);
		free(clean);
		i += n + 1;
	}
}

static void
failed(int rc, const struct kit_error *err)
{
	if (rc != 0 && (err->code == KIT_E_OK || err->msg[0] == '\0'))
		fuzz_die("a failure without a class or message", NULL);
	if (rc != 0)
		fuzz_debug("%s", err->msg);
}

typedef int (*report_fn)(const struct kit_fetcher_opts *, FILE *,
			 struct kit_error *);

static void
report(const char *what, report_fn fn, struct kit_fetcher_opts *o, int json)
{
	struct kit_error err = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		abort();
	o->json = json;
	rc = fn(o, f, &err);
	fclose(f);
	failed(rc, &err);
	if (!json)
		check_text(what, buf, len);
	o->json = 0;
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allow[] = {"state/", "repo/", NULL};
	struct kit_fetcher_opts o;
	struct kit_error err = {0};
	char state[512], repo[512];
	int rc;

	fuzz_workdir("fetcher");
	fuzz_rm("state");
	fuzz_rm("repo");
	fuzz_unpack(data, size, "", allow, MAX_FILES);
	link_current();
	fuzz_path(state, sizeof(state), "state");
	fuzz_path(repo, sizeof(repo), "repo");
	kit_fetcher_opts_init(&o);
	o.state_dir = state;
	o.from_dir = repo;
	o.quiet = 1;
	o.retry_base_ms = 1; /* no waiting between retries */
	/* status and verify read the state as the input left it, then as
	 * the update left it */
	report("status", kit_fetcher_status, &o, 0);
	report("verify", kit_fetcher_verify, &o, 0);
	rc = kit_fetcher_update(&o, NULL, 0, &err);
	failed(rc, &err);
	fuzz_debug("update: %s", rc == 0 ? "ok" : "refused");
	report("status", kit_fetcher_status, &o, 0);
	report("status --json", kit_fetcher_status, &o, 1);
	report("verify", kit_fetcher_verify, &o, 0);
	kit_err_clear(&err);
	rc = kit_fetcher_rollback(&o, "broken", &err);
	failed(rc, &err);
	return 0;
}
