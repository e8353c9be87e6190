/* kit-fuzz-links: bundle */
/*
 * extract_fuzz.c: libFuzzer-style target over the bundle extractor.
 *
 * The extractor reads files, so each input is written to a private
 * temporary directory (fuzz_util.h), extracted into a fresh staging
 * directory there with small limits (so a bomb costs milliseconds) and a
 * manifest check that accepts anything, and everything is removed again.
 * Any result is fine; the sanitizers judge crashes, leaks and undefined
 * behaviour.  Under gcc, tests/fuzz/replay.c runs it over
 * tests/fuzz/corpus/extract/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "kit_bundle.h"

static int
accept_any(const struct kit_manifest *manifest, void *arg,
	   struct kit_error *err)
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
	struct kit_manifest *m = NULL;

	fuzz_workdir("extract");
	fuzz_path(arc, sizeof(arc), "in.tar.zst");
	fuzz_path(staging, sizeof(staging), "staging");
	if (kit_file_write_atomic(arc, data, size, 0644, &err) != 0)
		abort();
	lim.max_total = 64u * 1024 * 1024;
	lim.max_entries = 1000;
	if (kit_bundle_extract(arc, staging, &lim, accept_any, NULL, &m,
			       &err) == 0) {
		kit_manifest_free(m);
		kit_err_clear(&err);
		if (kit_rm_rf(staging, &err) != 0)
			abort();
	} else if (kit_dir_exists(staging)) {
		abort(); /* a refusal must not leave staging behind */
	}
	return 0;
}
