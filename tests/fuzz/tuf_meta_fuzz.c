/* kit-fuzz-links: tuf */
/* kit-fuzz-dict: tuf */
/*
 * tuf_meta_fuzz.c: TUF metadata as bytes: kit_tuf_parse, kit_tuf_check for
 * every role, kit_tuf_verify.
 *
 * The input is two slices cut at the line "@@kit-fuzz@@": a root (empty or
 * absent: the harness's own, fuzz_tuf.h) and metadata of any role.  The
 * metadata is checked as each role; where it passes, its signatures are
 * verified against the root, and a root that passes is also verified
 * against itself.  A threshold met by more keys than the two real ones
 * that signed aborts (one key counted twice); so does a refusal without an
 * error class or message.  gen_signed_seeds.py writes the seeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tuf.h"
#include "fuzz_util.h"

#define SEP "\n@@kit-fuzz@@\n"

static json_t *own_root;

static void
refused(const struct kit_error *err)
{
	if (err->code == KIT_E_OK || err->msg[0] == '\0')
		fuzz_die("a refusal without an error class or message", NULL);
}

/* Verify meta as role under root, and hold the threshold to real keys. */
static void
verify(const json_t *root, enum kit_tuf_role role, const json_t *meta)
{
	struct kit_error err = {0};

	if (kit_tuf_verify(root, role, meta, "metadata", &err) < 0) {
		refused(&err);
		return;
	}
	if (fuzz_tuf_real_signers(meta) < fuzz_tuf_threshold(root, role)) {
		fprintf(stderr, "tuf_meta_fuzz: %s threshold %lld met by %lld "
				"real keys\n",
			kit_tuf_role_name(role),
			(long long)fuzz_tuf_threshold(root, role),
			(long long)fuzz_tuf_real_signers(meta));
		abort();
	}
}

/* Parse and check one slice as root; NULL when it is not one. */
static json_t *
load(const struct fuzz_slice *s, enum kit_tuf_role role, int64_t *version)
{
	struct kit_error err = {0};
	json_t *j = kit_tuf_parse(s->p, s->len, "input", &err);

	if (j == NULL) {
		refused(&err);
		return NULL;
	}
	if (kit_tuf_check(j, role, "input", version, NULL, &err) < 0) {
		refused(&err);
		json_decref(j);
		return NULL;
	}
	return j;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_slice s[2];
	json_t *root = NULL, *meta;
	int64_t version = 0;
	int role, passed = 0;

	if (own_root == NULL)
		own_root = fuzz_tuf_root();
	fuzz_split(data, size, SEP, s, 2);
	if (s[0].len > 0 && (root = load(&s[0], KIT_TUF_ROOT, &version)) != NULL)
		verify(root, KIT_TUF_ROOT, root);
	if (root == NULL)
		root = json_incref(own_root);
	for (role = 0; s[1].present && role < KIT_TUF_NROLES; role++) {
		meta = load(&s[1], (enum kit_tuf_role)role, &version);
		if (meta == NULL)
			continue;
		if (version < 1)
			fuzz_die("a checked version below 1", NULL);
		passed++;
		verify(root, (enum kit_tuf_role)role, meta);
		if (role == KIT_TUF_ROOT)
			verify(meta, KIT_TUF_ROOT, meta);
		json_decref(meta);
	}
	if (passed > 1)
		fuzz_die("metadata passed the checks of two roles", NULL);
	json_decref(root);
	return 0;
}
