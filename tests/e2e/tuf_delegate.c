/*
 * tuf_delegate: move one target of a kit-publish repository into a new
 * delegated targets role, written with the repository writer's delegation
 * API (kit_tuf_repo_delegate() and friends), for tests/e2e/tuf_interop.t
 * to check that third-party clients follow what kit writes.  Until
 * kit-publish has a command for office roles, this is how a test gets one.
 *
 *   tuf_delegate REPO KEYS ROLE PATTERN TARGET
 *
 * Opens REPO with the keys in KEYS (passphrase from KIT_PASSPHRASE),
 * delegates PATTERN from the top-level targets to ROLE with a fresh
 * ed25519 key (threshold 1, not terminating), lists TARGET (its file and
 * custom data as the top-level targets had them) in ROLE instead, and
 * commits: ROLE's metadata, targets, snapshot, timestamp.  Exit 0, or 1
 * with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kit_crypto.h"
#include "kit_tuf.h"
#include "kit_util.h"

int
main(int argc, char **argv)
{
	const char *repo, *keys, *role, *pattern, *target, *pass;
	struct kit_error err = {0};
	struct kit_tuf_repo *r = NULL;
	struct kit_key *k = NULL;
	struct kit_tuf_delegation d = {0};
	const struct kit_key *dkeys[1];
	const json_t *ti;
	json_t *custom = NULL;
	char rel[4096], file[8192];
	int i, rc = 1;

	if (argc != 6) {
		fprintf(stderr, "usage: tuf_delegate REPO KEYS ROLE PATTERN TARGET\n");
		return 2;
	}
	repo = argv[1], keys = argv[2], role = argv[3], pattern = argv[4];
	target = argv[5];
	pass = getenv("KIT_PASSPHRASE");
	r = kit_tuf_repo_open(repo, keys, &err);
	if (r == NULL)
		goto out;
	for (i = 0; i < KIT_TUF_NROLES; i++)
		if (kit_tuf_repo_unlock(r, (enum kit_tuf_role)i, pass ? pass : "",
					&err) < 0)
			goto out;
	ti = json_object_get(kit_tuf_repo_targets(r), target);
	if (ti == NULL) {
		kit_err(&err, KIT_E_INVALID, "no target %s in %s", target, repo);
		goto out;
	}
	custom = json_deep_copy(json_object_get(ti, "custom"));
	if (kit_tuf_target_path(rel, sizeof(rel), target,
				json_string_value(json_object_get(
					json_object_get(ti, "hashes"), "sha256")),
				1) < 0 ||
	    kit_snprintf(&err, file, sizeof(file), "%s/%s", repo, rel) < 0)
		goto out;
	k = kit_key_generate(&err);
	if (k == NULL)
		goto out;
	dkeys[0] = k;
	d.name = role;
	d.keys = dkeys;
	d.nkeys = 1;
	d.threshold = 1;
	d.paths = &pattern;
	d.npaths = 1;
	if (kit_tuf_repo_delegate(r, &d, &err) < 0 ||
	    kit_tuf_repo_add_key(r, KIT_TUF_TARGETS, k, &err) < 0 ||
	    kit_tuf_repo_add_role_target(r, role, target, file, custom, &err) < 0 ||
	    kit_tuf_repo_remove_target(r, target, &err) < 0 ||
	    kit_tuf_repo_commit(r, &err) < 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "tuf_delegate: %s\n", err.msg);
	json_decref(custom);
	kit_tuf_repo_free(r);
	kit_key_free(k);
	return rc;
}
