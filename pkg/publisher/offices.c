/* offices.c: kit-publish office: the organisation's registry of offices,
 * a target of the top-level targets role. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "kit_campaign.h"
#include "kit_crypto.h"
#include "kit_org.h"
#include "kit_publisher.h"
#include "kit_tuf.h"
#include "publisher_int.h"

struct kit_org *
pub_registry(const struct kit_tuf_repo *r, struct kit_error *err)
{
	const json_t *t = json_object_get(kit_tuf_repo_targets(r), KIT_ORG_TARGET);
	const char *want;
	char path[PATH_MAX], hex[KIT_SHA256_HEX];
	unsigned char *buf = NULL;
	struct kit_org *org = NULL;
	size_t len = 0;

	if (t == NULL)
		return kit_org_new();
	want = json_string_value(json_object_get(json_object_get(t, "hashes"), "sha256"));
	if (kit_tuf_repo_target_path(r, KIT_ORG_TARGET, path, sizeof(path), err) != 0 ||
	    kit_file_read(path, KIT_ORG_MAX_BYTES, &buf, &len, err) != 0)
		goto out;
	kit_sha256_hex(buf, len, hex);
	if (want == NULL || strcmp(hex, want) != 0) {
		kit_err(err, KIT_E_SECURITY, "%s does not match the registry the targets metadata signs; restore it from a copy of the repository", path);
		goto out;
	}
	org = kit_org_parse(buf, len, path, err);
out:
	free(buf);
	return org;
}

int
pub_office_covers(const struct kit_tuf_repo *r, const char *office,
		  enum kit_manifest_target_kind kind)
{
	const json_t *paths = json_object_get(kit_tuf_repo_delegation(r, office), "paths");
	struct kit_error ignore = {0};
	char pattern[KIT_ID_MAX + 16];
	size_t i;

	if (kit_manifest_target_pattern(pattern, sizeof(pattern), office, kind, &ignore) != 0)
		return 0;
	for (i = 0; i < json_array_size(paths); i++)
		if (json_is_string(json_array_get(paths, i)) &&
		    strcmp(json_string_value(json_array_get(paths, i)), pattern) == 0)
			return 1;
	return 0;
}

int
pub_office_delegate(struct kit_tuf_repo *r, const struct kit_key *hq,
		    const char *office, const struct kit_org_office *f,
		    struct kit_error *err)
{
	const struct kit_key *keys[KIT_ORG_KEYS + 1];
	struct kit_key *own[KIT_ORG_KEYS] = {NULL};
	const json_t *cur = kit_tuf_repo_delegation(r, office), *ids;
	struct kit_tuf_delegation d;
	char pattern[2][KIT_ID_MAX + 16], id[KIT_SHA256_HEX];
	const char *paths[2];
	size_t i, j, n = 0, nown = f ? f->nkeys : 0, same;
	int rc = -1;

	if (nown > KIT_ORG_KEYS)
		return kit_err(err, KIT_E_INVALID, "office %s: more than %d keys", office, KIT_ORG_KEYS);
	for (i = 0; i < nown; i++) {
		own[i] = kit_key_from_public_hex(f->keys[i], err);
		if (own[i] == NULL)
			goto out;
		keys[n++] = own[i];
	}
	keys[n++] = hq;
	if (kit_manifest_target_pattern(pattern[0], sizeof(pattern[0]), office, KIT_TARGET_INDEX, err) != 0 ||
	    kit_manifest_target_pattern(pattern[1], sizeof(pattern[1]), office, KIT_TARGET_ARCHIVE, err) != 0)
		goto out;
	memset(&d, 0, sizeof(d));
	paths[0] = pattern[0];
	paths[1] = pattern[1];
	d.name = office;
	d.keys = keys;
	d.nkeys = n;
	d.threshold = nown > 0 ? f->threshold : 1;
	d.paths = paths;
	d.npaths = 2;
	d.terminating = 1;
	/* already so: the same keys, threshold and paths (a delegation from
	 * before kits were .idx targets lists only the archive's) */
	ids = json_object_get(cur, "keyids");
	if (cur != NULL && json_array_size(ids) == n &&
	    pub_office_covers(r, office, KIT_TARGET_INDEX) &&
	    pub_office_covers(r, office, KIT_TARGET_ARCHIVE) &&
	    json_array_size(json_object_get(cur, "paths")) == 2 &&
	    json_integer_value(json_object_get(cur, "threshold")) == (json_int_t)d.threshold) {
		for (i = 0, same = 0; i < n; i++) {
			if (kit_tuf_keyid(keys[i], id, err) < 0)
				goto out;
			for (j = 0; j < n; j++)
				if (strcmp(json_string_value(json_array_get(ids, j)), id) == 0) {
					same++;
					break;
				}
		}
		if (same == n) {
			rc = 0;
			goto out;
		}
	}
	rc = kit_tuf_repo_delegate(r, &d, err);
out:
	for (i = 0; i < nown; i++)
		kit_key_free(own[i]);
	return rc;
}

/* Every office that has a role, or keys of its own, delegated as the
 * registry says; the role of an office the registry no longer lists taken
 * out (its metadata is pruned once no kept snapshot lists it). */
static int
sync_roles(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	   const struct kit_key *hq, const struct kit_org *org,
	   struct kit_error *err)
{
	const struct kit_org_office *f;
	char **roles = NULL;
	size_t i, n, nk;
	int rc = -1;

	for (i = 0; i < kit_org_count(org); i++) {
		f = kit_org_at(org, i);
		if ((f->nkeys > 0 || kit_tuf_repo_role_targets(r, f->id) != NULL) &&
		    pub_office_delegate(r, hq, f->id, f, err) != 0)
			return -1;
	}
	n = pub_roles(r, &roles);
	for (i = 0; i < n; i++) {
		if (kit_org_find(org, roles[i]) != NULL ||
		    kit_tuf_repo_role_targets(r, roles[i]) == NULL)
			continue;
		nk = json_object_size(kit_tuf_repo_role_targets(r, roles[i]));
		if (kit_tuf_repo_undelegate(r, roles[i], err) != 0)
			goto out;
		say(o, "the role of office %s leaves the repository (its %zu kit%s no longer offered)", roles[i], nk, nk == 1 ? "" : "s");
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(roles[i]);
	free(roles);
	return rc;
}

typedef int (*edit_fn)(struct kit_org *org, void *arg, struct kit_error *err);

/* Open the repository, apply fn to its registry, and publish the result
 * as a new targets version when it changed. */
static int
edit_registry(const struct kit_publisher_opts *o, edit_fn fn, void *arg,
	      struct kit_error *err)
{
	char pass[PASS_MAX] = "", tmp[PATH_MAX] = "";
	struct kit_tuf_repo *r = NULL;
	struct kit_key *hq = NULL;
	struct kit_org *org = NULL;
	json_t *custom = NULL;
	char *bytes = NULL, *before = NULL;
	size_t len = 0, blen = 0;
	int rc = -1;

	r = open_repo(o, pass, 0, err);
	if (r == NULL)
		goto out;
	org = pub_registry(r, err);
	if (org == NULL)
		goto out;
	before = kit_org_write(org, &blen, err);
	if (before == NULL || fn(org, arg, err) != 0)
		goto out;
	bytes = kit_org_write(org, &len, err);
	if (bytes == NULL)
		goto out;
	if (len == blen && memcmp(bytes, before, len) == 0 &&
	    json_object_get(kit_tuf_repo_targets(r), KIT_ORG_TARGET)) {
		say(o, "the office registry is unchanged (%zu offices)", kit_org_count(org));
		rc = 0;
		goto out;
	}
	if (kit_snprintf(err, tmp, sizeof(tmp), "%s/.kit-offices.%ld", o->repo_dir, (long)getpid()) != 0 ||
	    kit_file_write_atomic(tmp, bytes, len, 0644, err) != 0)
		goto out;
	custom = json_pack("{s:I}", "offices", (json_int_t)kit_org_count(org));
	if (kit_tuf_repo_add_target(r, KIT_ORG_TARGET, tmp, custom, err) != 0)
		goto out;
	/* the offices' roles follow their keys in the registry */
	hq = pub_hq_key(o, r, pass, err);
	if (hq == NULL || sync_roles(o, r, hq, org, err) != 0 ||
	    kit_tuf_repo_commit(r, err) != 0)
		goto out;
	say(o, "office registry published: %zu offices, targets version %lld", kit_org_count(org), (long long)kit_tuf_repo_version(r, KIT_TUF_TARGETS));
	pub_prune(o, r);
	rc = 0;
out:
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	OPENSSL_cleanse(pass, sizeof(pass));
	json_decref(custom);
	free(bytes);
	free(before);
	kit_org_free(org);
	kit_tuf_repo_free(r);
	kit_key_free(hq);
	return rc;
}

/* What the registry cannot check itself: languages from kit's table (the
 * ones posts may use) and keys that are Ed25519 keys. */
static int
office_set(struct kit_org *org, const struct kit_org_office *f,
	   struct kit_error *err)
{
	struct kit_key *k;
	size_t i;

	for (i = 0; i < f->nlanguages; i++)
		if (!kit_campaign_language_known(f->languages[i]))
			return kit_err(err, KIT_E_INVALID, "office %.64s: unknown language '%.16s'; use ISO 639-1 codes from the README's list, such as hu or pt-BR", f->id ? f->id : "", f->languages[i]);
	for (i = 0; i < f->nkeys; i++) {
		k = kit_key_from_public_hex(f->keys[i], err);
		if (k == NULL) {
			kit_err_prefix(err, "office %.64s: key %zu", f->id ? f->id : "", i + 1);
			return -1;
		}
		kit_key_free(k);
	}
	return kit_org_set(org, f, err);
}

static int
edit_set(struct kit_org *org, void *arg, struct kit_error *err)
{
	return office_set(org, arg, err);
}

int
kit_publisher_office_set(const struct kit_publisher_opts *o,
			 const struct kit_org_office *office,
			 struct kit_error *err)
{
	if (edit_registry(o, edit_set, (void *)office, err) == 0)
		return 0;
	kit_err_prefix(err, "cannot set office %.64s", office->id ? office->id : "");
	return -1;
}

static int
edit_remove(struct kit_org *org, void *arg, struct kit_error *err)
{
	return kit_org_remove(org, arg, err);
}

int
kit_publisher_office_remove(const struct kit_publisher_opts *o, const char *id,
			    struct kit_error *err)
{
	if (edit_registry(o, edit_remove, (void *)id, err) == 0)
		return 0;
	kit_err_prefix(err, "cannot remove office %.64s", id);
	return -1;
}

/* Every office of a registry file, or of JSON lines (one office each). */
static int
edit_import(struct kit_org *org, void *arg, struct kit_error *err)
{
	const char *path = arg;
	unsigned char *buf = NULL;
	struct kit_org *in = NULL;
	char *line, *save = NULL, what[PATH_MAX + 32];
	size_t len, i, n = 0;
	int rc = -1;

	if (kit_file_read(path, KIT_ORG_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	if (len > 0 && strstr((char *)buf, "\"schema\"") != NULL) {
		in = kit_org_parse(buf, len, path, err);
		if (in == NULL)
			goto out;
	} else {
		/* one office object a line, wrapped into a registry */
		struct kit_buf b;

		kit_buf_init(&b, KIT_ORG_MAX_BYTES + 64);
		if (kit_buf_append(&b, "{\"schema\":1,\"offices\":[", 23, err) != 0)
			goto lines_out;
		for (line = strtok_r((char *)buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (line[strspn(line, " \t\r")] == '\0')
				continue;
			if ((n++ && kit_buf_append(&b, ",", 1, err) != 0) ||
			    kit_buf_append(&b, line, strlen(line), err) != 0)
				goto lines_out;
		}
		if (kit_buf_append(&b, "]}", 2, err) != 0)
			goto lines_out;
		if (kit_snprintf(err, what, sizeof(what), "%s (JSON lines)", path) == 0)
			in = kit_org_parse(b.data, b.len, what, err);
lines_out:
		kit_buf_free(&b);
		if (in == NULL)
			goto out;
	}
	for (i = 0; i < kit_org_count(in); i++)
		if (office_set(org, kit_org_at(in, i), err) != 0)
			goto out;
	rc = 0;
out:
	kit_org_free(in);
	free(buf);
	return rc;
}

int
kit_publisher_office_import(const struct kit_publisher_opts *o,
			    const char *path, struct kit_error *err)
{
	if (edit_registry(o, edit_import, (void *)path, err) == 0)
		return 0;
	kit_err_prefix(err, "cannot import offices from %s", path);
	return -1;
}

int
kit_publisher_office_list(const struct kit_publisher_opts *o, int json,
			  FILE *out, struct kit_error *err)
{
	struct kit_tuf_repo *r;
	struct kit_org *org = NULL;
	char *bytes = NULL, langs[128], safe[3][256];
	size_t i, k, len, n;
	int rc = -1;

	if (o->repo_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "office list needs --repo DIR");
	r = kit_tuf_repo_open(o->repo_dir, NULL, err);
	if (r == NULL)
		return -1;
	org = pub_registry(r, err);
	if (org == NULL)
		goto out;
	if (json) {
		bytes = kit_org_write(org, &len, err);
		if (bytes == NULL)
			goto out;
		fwrite(bytes, 1, len, out);
		rc = 0;
		goto out;
	}
	for (i = 0; i < kit_org_count(org); i++) {
		const struct kit_org_office *f = kit_org_at(org, i);

		langs[0] = '\0';
		for (k = 0, n = 0; k < f->nlanguages && n < sizeof(langs); k++)
			n += (size_t)snprintf(langs + n, sizeof(langs) - n, "%s%s", k ? "," : "", f->languages[k]);
		kit_str_sanitize(f->name, safe[0], sizeof(safe[0]));
		kit_str_sanitize(f->country, safe[1], sizeof(safe[1]));
		kit_str_sanitize(f->timezone, safe[2], sizeof(safe[2]));
		fprintf(out, "%-16s %-24s %-8s %s %-30s %s\n", f->id, safe[2], langs,
			f->nkeys ? "own-keys" : "hq-signs", safe[0], safe[1]);
	}
	say(o, "%zu office%s in the registry", kit_org_count(org), kit_org_count(org) == 1 ? "" : "s");
	rc = 0;
out:
	free(bytes);
	kit_org_free(org);
	kit_tuf_repo_free(r);
	return rc;
}
