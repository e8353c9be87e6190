/* kit-fuzz-links: bundle */
/* kit-fuzz-dict: kit */
/*
 * bundle_tar_fuzz.c: the bundle manifest and the tar stream behind the
 * compression: the input is an uncompressed tar that the harness
 * compresses with zstd (level 1), so mutations reach manifest.json and the
 * tar headers instead of dying in the zstd frame (extract_fuzz.c covers
 * the compressed bytes themselves).
 *
 * Then: kit_bundle_extract() (manifest.json read by its one parser,
 * kit_manifest_parse) with kit_bundle_check_expect() asking for the
 * target a publisher would sign for it (kit_manifest_target_json, read
 * back with kit_manifest_target_read), and on success
 * kit_bundle_install() as version 1 and kit_bundle_verify(), which reads
 * the installed manifest with the same parser.  What must hold: a refused
 * archive leaves no staging directory; an archive the extractor accepted
 * installs, reads back as version 1 and verifies with no file changed,
 * missing or extra (the manifest's own round trip is manifest_fuzz.c's).
 * Seeds: the decompressed tars of real bundles from kit-publish and of
 * tests/fuzz/corpus/extract.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zstd.h>

#include "fuzz_util.h"
#include "kit_bundle.h"

static int problems;

static void
report(enum kit_bundle_problem what, const char *path, const char *detail,
       void *arg)
{
	(void)arg;
	fprintf(stderr, "bundle_tar_fuzz: verify: %d %s: %s\n", (int)what,
		path, detail);
	problems++;
}

/* The target a publisher would sign for this manifest (the custom
 * object written and read back by their one definition): the manifest
 * must be the kit it describes. */
static int
expect_self(const struct kit_manifest *m, void *arg, struct kit_error *err)
{
	struct kit_manifest_target x;
	json_t *custom = kit_manifest_target_json(m, m->version, NULL);
	int rc;

	(void)arg;
	if (custom == NULL)
		fuzz_die("a parsed manifest has no target custom object", NULL);
	if (kit_manifest_target_read(custom, &x, err) != 0)
		fuzz_die("the custom object written for a manifest does not read back", err);
	rc = kit_bundle_check_expect(m, &x, err);
	json_decref(custom);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_bundle_limits lim = kit_bundle_limits_default();
	struct kit_error err = {0};
	char arc[512], staging[512], kit[512];
	size_t bound = ZSTD_compressBound(size), n;
	void *z = kit_xmalloc(bound ? bound : 1);
	struct kit_manifest *m = NULL;
	int version = 0;

	fuzz_workdir("bundle-tar");
	fuzz_path(arc, sizeof(arc), "in.tar.zst");
	fuzz_path(staging, sizeof(staging), "staging");
	fuzz_path(kit, sizeof(kit), "kit");
	n = ZSTD_compress(z, bound, data, size, 1);
	if (ZSTD_isError(n))
		abort();
	fuzz_put("in.tar.zst", z, n);
	free(z);
	lim.max_total = 64u * 1024 * 1024;
	lim.max_entries = 1000;
	if (kit_bundle_extract(arc, staging, &lim, expect_self, NULL, &m,
			       &err) != 0) {
		fuzz_debug("extract: %s", err.msg);
		if (kit_dir_exists(staging))
			fuzz_die("a refused archive left staging behind", &err);
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a refusal without a message", NULL);
		return 0;
	}
	kit_manifest_free(m);
	fuzz_rm("kit");
	if (kit_bundle_install(kit, staging, 1, 3, &err) != 0)
		fuzz_die("an extracted kit does not install", &err);
	if (kit_bundle_current_version(kit, &version, &err) != 0 || version != 1)
		fuzz_die("the installed kit is not version 1", &err);
	problems = 0;
	if (kit_bundle_verify(kit, report, NULL, &err) != 0 || problems)
		fuzz_die("an installed kit does not verify", &err);
	fuzz_rm("kit");
	fuzz_debug("installed and verified");
	return 0;
}
