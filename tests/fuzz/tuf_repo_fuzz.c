/* kit-fuzz-links: tuf */
/* kit-fuzz-dict: tuf */
/*
 * tuf_repo_fuzz.c: kit-publish's side of TUF, over a repository's metadata
 * and a keys directory written from the input: kit_tuf_repo_open (the
 * newest N.root.json, timestamp.json and what it lists, pending.root.json,
 * keys.json with its expiry periods), then, when it opens, unlocking every
 * role's keys with the passphrase "correct horse battery staple", adding a
 * target and committing (new targets, snapshot and timestamp, signed).
 *
 * Input: files "<repo|keys>/<path>\n<bytes>" joined by the line
 * "@@kit-fuzz@@" (gen_fetcher_seeds.sh packs real ones, target files left
 * out).  What must hold: a failure has a class and a message; after a
 * commit the repository opens again and its timestamp version went up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_tuf.h"

#define PASS "correct horse battery staple"

static void
failed(const char *what, const struct kit_error *err)
{
	if (err->code == KIT_E_OK || err->msg[0] == '\0')
		fuzz_die("a failure without a class or message", NULL);
	fuzz_debug("%s: %s", what, err->msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allow[] = {"repo/", "keys/", NULL};
	struct kit_error err = {0};
	struct kit_tuf_repo *r, *again;
	char repo[512], keys[512], src[512];
	int64_t before, after;
	int i;

	fuzz_workdir("tuf-repo");
	fuzz_rm("repo");
	fuzz_rm("keys");
	fuzz_unpack(data, size, "", allow, 64);
	fuzz_put("kit.tar.zst", "kit version one\n", 16);
	fuzz_path(repo, sizeof(repo), "repo");
	fuzz_path(keys, sizeof(keys), "keys");
	fuzz_path(src, sizeof(src), "kit.tar.zst");
	r = kit_tuf_repo_open(repo, keys, &err);
	if (r == NULL) {
		failed("open", &err);
		return 0;
	}
	(void)kit_tuf_repo_targets(r);
	before = kit_tuf_repo_version(r, KIT_TUF_TIMESTAMP);
	for (i = 0; i < KIT_TUF_NROLES; i++) {
		kit_err_clear(&err);
		if (kit_tuf_repo_unlock(r, (enum kit_tuf_role)i, PASS, &err) < 0)
			failed("unlock", &err);
	}
	kit_err_clear(&err);
	if (kit_tuf_repo_add_target(r, "fuzz/global.tar.zst", src, NULL, &err) < 0 ||
	    kit_tuf_repo_commit(r, &err) < 0) {
		failed("commit", &err);
		kit_tuf_repo_free(r);
		return 0;
	}
	kit_tuf_repo_free(r);
	again = kit_tuf_repo_open(repo, keys, &err);
	if (again == NULL)
		fuzz_die("a committed repository does not open", &err);
	after = kit_tuf_repo_version(again, KIT_TUF_TIMESTAMP);
	if (after <= before)
		fuzz_die("a commit did not raise the timestamp version", NULL);
	fuzz_debug("committed: timestamp %lld -> %lld", (long long)before,
		   (long long)after);
	kit_tuf_repo_free(again);
	return 0;
}
