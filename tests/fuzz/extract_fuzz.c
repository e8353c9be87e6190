/* kit-fuzz-links: bundle */
/*
 * extract_fuzz.c: libFuzzer-style target over the bundle extractor.
 *
 * The extractor reads files, so each input is written to a private
 * temporary directory, extracted into a fresh staging directory there with
 * small limits (so a bomb costs milliseconds) and a manifest check that
 * accepts anything, and everything is removed again.  Any result is fine;
 * the sanitizers judge crashes, leaks and undefined behaviour.  Under gcc,
 * tests/fuzz/replay.c runs it over tests/fuzz/corpus/extract/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char work[64];

static void
cleanup(void)
{
	struct kit_error err = {0};

	if (work[0] && kit_rm_rf(work, &err) != 0)
		fprintf(stderr, "extract_fuzz: %s\n", err.msg);
}

static int
accept_any(const json_t *manifest, void *arg, struct kit_error *err)
{
	(void)manifest;
	(void)arg;
	(void)err;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_bundle_limits lim = kit_bundle_limits_default();
	struct kit_error err = {0};
	char arc[128], staging[128];
	json_t *m = NULL;

	if (!work[0]) {
		char tmpl[] = "/tmp/kit-extract-fuzz-XXXXXX";

		if (!mkdtemp(tmpl))
			abort();
		memcpy(work, tmpl, sizeof(tmpl));
		atexit(cleanup);
	}
	if (snprintf(arc, sizeof(arc), "%s/in.tar.zst", work) < 0 ||
	    snprintf(staging, sizeof(staging), "%s/staging", work) < 0)
		abort();
	if (kit_file_write_atomic(arc, data, size, 0644, &err) != 0)
		abort();
	lim.max_total = 64u * 1024 * 1024;
	lim.max_entries = 1000;
	lim.max_manifest = 1024 * 1024;
	if (kit_bundle_extract(arc, staging, &lim, accept_any, NULL, &m,
			       &err) == 0) {
		json_decref(m);
		kit_err_clear(&err);
		if (kit_rm_rf(staging, &err) != 0)
			abort();
	} else if (kit_dir_exists(staging)) {
		abort(); /* a refusal must not leave staging behind */
	}
	return 0;
}
