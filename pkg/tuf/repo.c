/*
 * repo.c: the repository writer (kit-publish): keys, signing, consistent
 * snapshots, root rotation through a pending root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit_tuf.h"
#include "tuf_int.h"

#define MAX_KEYS 64

struct loaded_key {
	struct kit_key *k;
	int owned;
	char keyid[KIT_SHA256_HEX];
};

/* A delegated targets role's metadata, as on disk (raw) or to be written. */
struct deleg_md {
	char *name;
	json_t *md;         /* version 0 until first written */
	unsigned char *raw; /* bytes of N.<name>.json, NULL before */
	size_t rawlen;
	int dirty;
};

struct kit_tuf_repo {
	char *dir;
	char *keys_dir;
	json_t *md[KIT_TUF_NROLES];
	unsigned char *raw[KIT_TUF_NROLES]; /* bytes on disk of md[] */
	size_t rawlen[KIT_TUF_NROLES];
	json_t *pending;
	json_t *keysdb;
	int64_t expires[KIT_TUF_NROLES];
	struct loaded_key keys[MAX_KEYS];
	size_t nkeys;
	int targets_dirty;
	int partial;          /* kit_tuf_repo_set_partial_roles() */
	struct deleg_md *dmd; /* in the order of the delegations */
	size_t ndmd;
	int lock_fd; /* kit_tuf_repo_hold(): closed with the repository */
};

/* Delegated roles (the end of this file). */
static json_t *delegations_of(const struct kit_tuf_repo *r);
static int commit_delegated(struct kit_tuf_repo *r, const char *only,
			    int64_t now, struct kit_error *err);
static int load_delegated(struct kit_tuf_repo *r, struct kit_error *err);

static const int64_t default_expiry[KIT_TUF_NROLES] = {
	365 * 86400,
	90 * 86400,
	7 * 86400,
	86400,
};

void
kit_tuf_repo_config_default(struct kit_tuf_repo_config *cfg)
{
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++) {
		cfg->role[i].keys = 1;
		cfg->role[i].threshold = 1;
		cfg->role[i].expires = default_expiry[i];
	}
}

void
kit_tuf_repo_free(struct kit_tuf_repo *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	for (i = 0; i < KIT_TUF_NROLES; i++) {
		json_decref(r->md[i]);
		free(r->raw[i]);
	}
	for (i = 0; i < r->nkeys; i++)
		if (r->keys[i].owned)
			kit_key_free(r->keys[i].k);
	for (i = 0; i < r->ndmd; i++) {
		free(r->dmd[i].name);
		json_decref(r->dmd[i].md);
		free(r->dmd[i].raw);
	}
	free(r->dmd);
	json_decref(r->pending);
	json_decref(r->keysdb);
	free(r->dir);
	free(r->keys_dir);
	free(r);
}

static struct kit_tuf_repo *
repo_alloc(const char *repo_dir, const char *keys_dir)
{
	struct kit_tuf_repo *r = kit_xcalloc(1, sizeof(*r));
	int i;

	r->dir = kit_strdup(repo_dir);
	r->keys_dir = keys_dir ? kit_strdup(keys_dir) : NULL;
	r->lock_fd = -1;
	for (i = 0; i < KIT_TUF_NROLES; i++)
		r->expires[i] = default_expiry[i];
	return r;
}

static int
mpath(char *out, size_t size, const struct kit_tuf_repo *r, const char *name,
      struct kit_error *err)
{
	return kit_snprintf(err, out, size, "%s/metadata/%s", r->dir, name);
}

static char *
dump(const json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *out;

	if (s == NULL)
		abort(); /* only on out-of-memory */
	out = kit_aprintf("%s\n", s);
	free(s);
	*len = strlen(out);
	return out;
}

static int
save_keysdb(struct kit_tuf_repo *r, struct kit_error *err)
{
	char path[4096], *s;
	size_t len;
	int rc;

	if (kit_path_join(path, sizeof(path), r->keys_dir, "keys.json", err) < 0)
		return -1;
	s = dump(r->keysdb, &len);
	rc = kit_file_write_atomic(path, s, len, 0600, err);
	free(s);
	return rc;
}

static int
add_loaded(struct kit_tuf_repo *r, struct kit_key *k, int owned,
	   struct kit_error *err)
{
	char keyid[KIT_SHA256_HEX];
	size_t i;

	if (kit_tuf_keyid(k, keyid, err) < 0)
		return -1;
	for (i = 0; i < r->nkeys; i++) {
		if (strcmp(r->keys[i].keyid, keyid) == 0) {
			if (owned)
				kit_key_free(k);
			return 0;
		}
	}
	if (r->nkeys == MAX_KEYS)
		return kit_err(err, KIT_E_INVALID, "more than %d keys loaded",
			       MAX_KEYS);
	r->keys[r->nkeys].k = k;
	r->keys[r->nkeys].owned = owned;
	memcpy(r->keys[r->nkeys].keyid, keyid, sizeof(keyid));
	r->nkeys++;
	return 0;
}

static int
keyids_contain(const json_t *root, enum kit_tuf_role role, const char *keyid)
{
	const json_t *ids = json_object_get(json_object_get(json_object_get(
								    json_object_get(root, "signed"), "roles"),
							    kit_tuf_role_name(role)),
					    "keyids");
	size_t i;

	for (i = 0; i < json_array_size(ids); i++)
		if (strcmp(json_string_value(json_array_get(ids, i)), keyid) == 0)
			return 1;
	return 0;
}

/* Generate a key for role, save it as keys_dir/<role>-<n>.pem. */
static int
new_key(struct kit_tuf_repo *r, enum kit_tuf_role role, const char *passphrase,
	char *keyid, struct kit_error *err)
{
	struct kit_key *k = NULL;
	char file[64], path[4096];
	int n, rc = -1;

	k = kit_key_generate(err);
	if (k == NULL)
		goto out;
	for (n = 1; n < 10000; n++) {
		snprintf(file, sizeof(file), "%s-%d.pem", kit_tuf_role_name(role), n);
		if (kit_path_join(path, sizeof(path), r->keys_dir, file, err) < 0)
			goto out;
		if (!kit_file_exists(path))
			break;
	}
	if (kit_key_save(k, path, passphrase, err) < 0 ||
	    kit_tuf_keyid(k, keyid, err) < 0)
		goto out;
	json_array_append_new(json_object_get(r->keysdb, "keys"),
			      json_pack("{s:s, s:s, s:s}", "role",
					kit_tuf_role_name(role), "keyid", keyid,
					"file", file));
	if (add_loaded(r, k, 1, err) < 0)
		goto out;
	k = NULL;
	rc = 0;
out:
	kit_key_free(k);
	return rc;
}

static json_t *
signed_new(enum kit_tuf_role role, int64_t version, int64_t expires)
{
	char exp[32];

	kit_time_format_utc(expires, exp, sizeof(exp));
	return json_pack("{s:s, s:s, s:I, s:s}", "_type", kit_tuf_role_name(role),
			 "spec_version", KIT_TUF_SPEC_VERSION, "version",
			 (json_int_t)version, "expires", exp);
}

/* Sign meta with every loaded key root authorises for role, then check
 * the threshold is met. */
static int
sign_role(struct kit_tuf_repo *r, const json_t *root, enum kit_tuf_role role,
	  json_t *meta, const char *what, struct kit_error *err)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (keyids_contain(root, role, r->keys[i].keyid) &&
		    kit_tuf_sign(meta, r->keys[i].k, err) < 0)
			return -1;
	if (kit_tuf_verify(root, role, meta, what, err) < 0) {
		kit_err_prefix(err, "signing %s: too few %s keys at hand (each key's file must be in the keys directory and open with the passphrase)", what,
			       kit_tuf_role_name(role));
		return -1;
	}
	return 0;
}

/* Make meta (its bytes s, taken) the current metadata of role. */
static void
remember(struct kit_tuf_repo *r, enum kit_tuf_role role, json_t *meta,
	 char *s, size_t len)
{
	free(r->raw[role]);
	r->raw[role] = (unsigned char *)s;
	r->rawlen[role] = len;
	if (r->md[role] != meta) {
		json_decref(r->md[role]);
		r->md[role] = json_incref(meta);
	}
}

/* The most a client downloads of the metadata file name (kit_tuf.h):
 * timestamp.json, N.snapshot.json, N.root.json / root.json, and targets
 * metadata, top-level or delegated, for every other name. */
static size_t
meta_cap(const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, "timestamp.json") == 0)
		return KIT_TUF_MAX_TIMESTAMP_LEN;
	if (n >= 14 && strcmp(name + n - 14, ".snapshot.json") == 0)
		return KIT_TUF_MAX_SNAPSHOT_LEN;
	if (strcmp(name, "root.json") == 0 || (n >= 10 && strcmp(name + n - 10, ".root.json") == 0))
		return KIT_TUF_MAX_ROOT_LEN;
	return KIT_TUF_MAX_TARGETS_LEN;
}

/* Write metadata to metadata/<name> atomically; its bytes into *out. */
static int
write_file(struct kit_tuf_repo *r, const json_t *meta, const char *name,
	   char **out, size_t *len, struct kit_error *err)
{
	char path[4096], *s;

	*out = NULL;
	if (mpath(path, sizeof(path), r, name, err) < 0)
		return -1;
	/* N.<role>.json files are immutable: clients in the middle of an
	 * update may be reading them. */
	if (name[0] >= '0' && name[0] <= '9' && kit_file_exists(path))
		return kit_err(err, KIT_E_INVALID, "%s exists already; the repository's timestamp.json does not match its versioned files (restore it from a backup)", path);
	s = dump(meta, len);
	/* Every office refuses metadata over its cap (the client's download
	 * limits): writing it would stop the whole organisation at its next
	 * poll, and every later publish with it.  Refused here, before it is
	 * written. */
	if (*len > meta_cap(name)) {
		free(s);
		return kit_err(err, KIT_E_INVALID, "%s would be %zu bytes, over the %zu bytes every office accepts for that metadata; nothing was written: retire campaigns (kit-publish retire) or move offices' kits into delegated roles", name, *len, meta_cap(name));
	}
	if (kit_file_write_atomic(path, s, *len, 0644, err) < 0) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Write metadata to metadata/<name> atomically and keep its bytes. */
static int
write_meta(struct kit_tuf_repo *r, enum kit_tuf_role role, json_t *meta,
	   const char *name, struct kit_error *err)
{
	char *s;
	size_t len;

	if (write_file(r, meta, name, &s, &len, err) < 0)
		return -1;
	remember(r, role, meta, s, len);
	return 0;
}

static int
write_root(struct kit_tuf_repo *r, json_t *root, struct kit_error *err)
{
	char name[64];
	int64_t v = json_integer_value(json_object_get(
		json_object_get(root, "signed"), "version"));

	snprintf(name, sizeof(name), "%lld.root.json", (long long)v);
	if (write_meta(r, KIT_TUF_ROOT, root, name, err) < 0)
		return -1;
	return write_meta(r, KIT_TUF_ROOT, root, "root.json", err);
}

static json_t *
meta_entry_for(const unsigned char *raw, size_t len, int64_t version)
{
	char hex[KIT_SHA256_HEX];

	kit_sha256_hex(raw, len, hex);
	return json_pack("{s:I, s:I, s:{s:s}}", "version", (json_int_t)version,
			 "length", (json_int_t)len, "hashes", "sha256", hex);
}

static int64_t
version_of(const json_t *meta)
{
	return json_integer_value(json_object_get(json_object_get(meta, "signed"),
						  "version"));
}

/*
 * A new version of the snapshot (listing the current targets metadata)
 * or of the timestamp (listing the current snapshot), expiring at
 * expires, signed; *name receives its file name.  New reference.
 */
static json_t *
next_listed(struct kit_tuf_repo *r, enum kit_tuf_role role, int64_t expires,
	    char *name, size_t size, struct kit_error *err)
{
	enum kit_tuf_role listed = role == KIT_TUF_SNAPSHOT ? KIT_TUF_TARGETS
							    : KIT_TUF_SNAPSHOT;
	int64_t v = r->md[role] ? version_of(r->md[role]) + 1 : 1;
	json_t *s = signed_new(role, v, expires), *m;
	char rname[128];
	size_t i;

	json_object_set_new(s, "meta", json_pack("{s:o}", role == KIT_TUF_SNAPSHOT ? "targets.json" : "snapshot.json", meta_entry_for(r->raw[listed], r->rawlen[listed], version_of(r->md[listed]))));
	for (i = 0; role == KIT_TUF_SNAPSHOT && i < r->ndmd; i++) {
		snprintf(rname, sizeof(rname), "%s.json", r->dmd[i].name);
		/* Only what the specification requires (the version): with
		 * a role per office, every office downloads every entry of
		 * every snapshot. */
		json_object_set_new(json_object_get(s, "meta"), rname,
				    json_pack("{s:I}", "version",
					      (json_int_t)version_of(r->dmd[i].md)));
	}
	m = json_pack("{s:o, s:[]}", "signed", s, "signatures");
	if (role == KIT_TUF_SNAPSHOT)
		snprintf(name, size, "%lld.snapshot.json", (long long)v);
	else
		snprintf(name, size, "timestamp.json");
	if (sign_role(r, r->md[KIT_TUF_ROOT], role, m, name, err) < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

int
kit_tuf_repo_commit(struct kit_tuf_repo *r, struct kit_error *err)
{
	json_t *root = r->md[KIT_TUF_ROOT], *m = NULL, *s, *t;
	struct kit_error e = {0};
	int64_t now = kit_time_now(), v;
	char name[128];
	int rc = -1;

	if (root == NULL) {
		kit_err(err, KIT_E_INVALID, "commit: no root metadata");
		goto out;
	}
	/* delegated roles first: a commit short of a role's keys stops
	 * before targets, snapshot and timestamp */
	/* (one role per office: hundreds of files, made durable together
	 * before the targets metadata that leads to them is written) */
	kit_file_defer_begin();
	if (commit_delegated(r, 0, now, err) < 0) {
		struct kit_error ignore = {0};

		if (kit_file_defer_end(r->dir, &ignore) != 0) {
			/* the commit failed already; its error stands */
		}
		goto out;
	}
	if (kit_file_defer_end(r->dir, err) != 0)
		goto out;
	/* targets: when changed, or no longer valid under the root */
	if (r->targets_dirty || r->md[KIT_TUF_TARGETS] == NULL ||
	    kit_tuf_verify(root, KIT_TUF_TARGETS, r->md[KIT_TUF_TARGETS],
			   "targets", &e) < 0) {
		v = r->md[KIT_TUF_TARGETS] ? version_of(r->md[KIT_TUF_TARGETS]) + 1 : 1;
		s = signed_new(KIT_TUF_TARGETS, v, now + r->expires[KIT_TUF_TARGETS]);
		t = r->md[KIT_TUF_TARGETS]
			    ? json_object_get(json_object_get(r->md[KIT_TUF_TARGETS],
							      "signed"),
					      "targets")
			    : NULL;
		json_object_set_new(s, "targets", t ? json_deep_copy(t) : json_object());
		t = delegations_of(r);
		if (t != NULL)
			json_object_set_new(s, "delegations", json_deep_copy(t));
		m = json_pack("{s:o, s:[]}", "signed", s, "signatures");
		snprintf(name, sizeof(name), "%lld.targets.json", (long long)v);
		if (sign_role(r, root, KIT_TUF_TARGETS, m, name, err) < 0 ||
		    write_meta(r, KIT_TUF_TARGETS, m, name, err) < 0)
			goto out;
		json_decref(m);
		m = NULL;
		r->targets_dirty = 0;
	}
	/* snapshot, then timestamp: always new versions with fresh expiry */
	m = next_listed(r, KIT_TUF_SNAPSHOT, now + r->expires[KIT_TUF_SNAPSHOT],
			name, sizeof(name), err);
	if (m == NULL || write_meta(r, KIT_TUF_SNAPSHOT, m, name, err) < 0)
		goto out;
	json_decref(m);
	m = next_listed(r, KIT_TUF_TIMESTAMP,
			now + r->expires[KIT_TUF_TIMESTAMP], name, sizeof(name),
			err);
	if (m == NULL || write_meta(r, KIT_TUF_TIMESTAMP, m, name, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(m);
	return rc;
}

static int
check_config(const struct kit_tuf_repo_config *cfg, struct kit_error *err)
{
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++) {
		const struct kit_tuf_role_config *rc = &cfg->role[i];

		if (rc->keys < 1 || rc->keys > 16 || rc->threshold < 1 ||
		    rc->threshold > rc->keys)
			return kit_err(err, KIT_E_INVALID, "role %s: %u keys with threshold %u; need 1 <= threshold <= keys <= 16", kit_tuf_role_name((enum kit_tuf_role)i),
				       rc->keys, rc->threshold);
		if (rc->expires < 60)
			return kit_err(err, KIT_E_INVALID, "role %s: expiry of %lld seconds is too short",
				       kit_tuf_role_name((enum kit_tuf_role)i),
				       (long long)rc->expires);
	}
	return 0;
}

int
kit_tuf_repo_init(const char *repo_dir, const char *keys_dir,
		  const struct kit_tuf_repo_config *cfg, const char *passphrase,
		  struct kit_error *err)
{
	struct kit_tuf_repo *r = NULL;
	json_t *s = NULL, *keys, *roles, *ids, *root = NULL;
	char path[4096], keyid[KIT_SHA256_HEX];
	unsigned n;
	size_t i;
	int role, rc = -1;

	if (check_config(cfg, err) < 0)
		goto out;
	r = repo_alloc(repo_dir, keys_dir);
	if (kit_snprintf(err, path, sizeof(path), "%s/metadata", repo_dir) < 0)
		goto out;
	if (kit_dir_exists(path)) {
		kit_err(err, KIT_E_INVALID, "%s exists already: this repository is initialised (use rotate to change keys)", path);
		goto out;
	}
	if (kit_mkdir_p(path, 0755, err) < 0 ||
	    kit_snprintf(err, path, sizeof(path), "%s/targets", repo_dir) < 0 ||
	    kit_mkdir_p(path, 0755, err) < 0 ||
	    kit_mkdir_p(keys_dir, 0700, err) < 0)
		goto out;
	for (i = 0; i < KIT_TUF_NROLES; i++)
		r->expires[i] = cfg->role[i].expires;
	r->keysdb = json_pack("{s:[], s:{s:I, s:I, s:I, s:I}}", "keys", "expires",
			      "root", (json_int_t)cfg->role[KIT_TUF_ROOT].expires,
			      "targets", (json_int_t)cfg->role[KIT_TUF_TARGETS].expires,
			      "snapshot", (json_int_t)cfg->role[KIT_TUF_SNAPSHOT].expires,
			      "timestamp", (json_int_t)cfg->role[KIT_TUF_TIMESTAMP].expires);
	s = signed_new(KIT_TUF_ROOT, 1, kit_time_now() + cfg->role[KIT_TUF_ROOT].expires);
	keys = json_object();
	roles = json_object();
	json_object_set_new(s, "consistent_snapshot", json_true());
	json_object_set_new(s, "keys", keys);
	json_object_set_new(s, "roles", roles);
	for (role = 0; role < KIT_TUF_NROLES; role++) {
		ids = json_array();
		for (n = 0; n < cfg->role[role].keys; n++) {
			if (new_key(r, (enum kit_tuf_role)role, passphrase, keyid,
				    err) < 0) {
				json_decref(ids);
				goto out;
			}
			json_array_append_new(ids, json_string(keyid));
			json_object_set_new(keys, keyid,
					    kit_tuf_key_json(r->keys[r->nkeys - 1].k));
		}
		json_object_set_new(roles, kit_tuf_role_name((enum kit_tuf_role)role),
				    json_pack("{s:o, s:I}", "keyids", ids, "threshold",
					      (json_int_t)cfg->role[role].threshold));
	}
	if (save_keysdb(r, err) < 0)
		goto out;
	root = json_pack("{s:o, s:[]}", "signed", s, "signatures");
	s = NULL;
	if (sign_role(r, root, KIT_TUF_ROOT, root, "1.root.json", err) < 0 ||
	    write_root(r, root, err) < 0)
		goto out;
	r->targets_dirty = 1;
	if (kit_tuf_repo_commit(r, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(s);
	json_decref(root);
	kit_tuf_repo_free(r);
	return rc;
}

/* Read and shape-check metadata/<name>. */
static int
load_meta(struct kit_tuf_repo *r, enum kit_tuf_role role, const char *name,
	  struct kit_error *err)
{
	char path[4096];
	unsigned char *raw = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int rc = -1;

	if (mpath(path, sizeof(path), r, name, err) < 0)
		goto out;
	if (kit_file_read(path, KIT_TUF_MAX_TARGETS_LEN, &raw, &len, err) < 0)
		goto out;
	j = kit_tuf_parse(raw, len, path, err);
	if (j == NULL || kit_tuf_check(j, role, path, NULL, NULL, err) < 0)
		goto out;
	json_decref(r->md[role]);
	free(r->raw[role]);
	r->md[role] = j;
	r->raw[role] = raw;
	r->rawlen[role] = len;
	j = NULL;
	raw = NULL;
	rc = 0;
out:
	json_decref(j);
	free(raw);
	return rc;
}

struct kit_tuf_repo *
kit_tuf_repo_open(const char *repo_dir, const char *keys_dir,
		  struct kit_error *err)
{
	struct kit_tuf_repo *r = repo_alloc(repo_dir, keys_dir);
	char name[64], path[4096];
	unsigned char *raw = NULL;
	size_t len = 0;
	json_error_t jerr;
	const json_t *ex;
	int64_t n;
	int i;

	for (n = 1; n < 1000000; n++) {
		snprintf(name, sizeof(name), "%lld.root.json", (long long)n + 1);
		if (mpath(path, sizeof(path), r, name, err) < 0)
			goto fail;
		if (!kit_file_exists(path))
			break;
	}
	snprintf(name, sizeof(name), "%lld.root.json", (long long)n);
	if (load_meta(r, KIT_TUF_ROOT, name, err) < 0)
		goto fail;
	if (kit_tuf_verify(r->md[KIT_TUF_ROOT], KIT_TUF_ROOT, r->md[KIT_TUF_ROOT],
			   name, err) < 0)
		goto fail;
	if (load_meta(r, KIT_TUF_TIMESTAMP, "timestamp.json", err) < 0)
		goto fail;
	n = json_integer_value(json_object_get(json_object_get(json_object_get(
								       json_object_get(r->md[KIT_TUF_TIMESTAMP], "signed"), "meta"),
							       "snapshot.json"),
					       "version"));
	snprintf(name, sizeof(name), "%lld.snapshot.json", (long long)n);
	if (load_meta(r, KIT_TUF_SNAPSHOT, name, err) < 0)
		goto fail;
	n = json_integer_value(json_object_get(json_object_get(json_object_get(
								       json_object_get(r->md[KIT_TUF_SNAPSHOT], "signed"), "meta"),
							       "targets.json"),
					       "version"));
	snprintf(name, sizeof(name), "%lld.targets.json", (long long)n);
	if (load_meta(r, KIT_TUF_TARGETS, name, err) < 0 ||
	    load_delegated(r, err) < 0)
		goto fail;
	if (mpath(path, sizeof(path), r, "pending.root.json", err) < 0)
		goto fail;
	if (kit_file_exists(path)) {
		if (kit_file_read(path, KIT_TUF_MAX_ROOT_LEN, &raw, &len, err) < 0)
			goto fail;
		r->pending = kit_tuf_parse(raw, len, path, err);
		free(raw);
		raw = NULL;
		if (r->pending == NULL ||
		    kit_tuf_check(r->pending, KIT_TUF_ROOT, path, NULL, NULL, err) < 0)
			goto fail;
	}
	if (keys_dir != NULL) {
		if (kit_path_join(path, sizeof(path), keys_dir, "keys.json", err) < 0)
			goto fail;
		if (kit_file_exists(path)) {
			r->keysdb = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
			if (r->keysdb == NULL ||
			    !json_is_array(json_object_get(r->keysdb, "keys"))) {
				kit_err(err, KIT_E_INVALID, "%s: not a keys file (line %d: %s)", path, jerr.line,
					r->keysdb ? "no \"keys\" array" : jerr.text);
				goto fail;
			}
		} else {
			r->keysdb = json_pack("{s:[], s:{}}", "keys", "expires");
		}
		ex = json_object_get(r->keysdb, "expires");
		for (i = 0; i < KIT_TUF_NROLES; i++) {
			const json_t *v = json_object_get(ex,
							  kit_tuf_role_name((enum kit_tuf_role)i));
			if (json_is_integer(v) && json_integer_value(v) >= 60)
				r->expires[i] = json_integer_value(v);
		}
	}
	return r;
fail:
	kit_err_prefix(err, "repository %s", repo_dir);
	kit_tuf_repo_free(r);
	return NULL;
}

void
kit_tuf_repo_set_expiry(struct kit_tuf_repo *r, enum kit_tuf_role role,
			int64_t secs)
{
	if ((int)role >= 0 && role < KIT_TUF_NROLES && secs > 0)
		r->expires[role] = secs;
}

int
kit_tuf_repo_unlock(struct kit_tuf_repo *r, enum kit_tuf_role role,
		    const char *passphrase, struct kit_error *err)
{
	const json_t *keys, *e;
	const char *kid, *file;
	char path[4096];
	struct kit_key *k;
	size_t i;
	int count = 0;

	if (r->keys_dir == NULL || r->keysdb == NULL)
		return kit_err(err, KIT_E_INVALID, "no keys dir given");
	keys = json_object_get(r->keysdb, "keys");
	for (i = 0; i < json_array_size(keys); i++) {
		e = json_array_get(keys, i);
		kid = json_string_value(json_object_get(e, "keyid"));
		file = json_string_value(json_object_get(e, "file"));
		if (kid == NULL || file == NULL || strchr(file, '/') != NULL)
			continue;
		if (!keyids_contain(r->md[KIT_TUF_ROOT], role, kid) &&
		    !(r->pending != NULL && keyids_contain(r->pending, role, kid)))
			continue;
		if (kit_path_join(path, sizeof(path), r->keys_dir, file, err) < 0)
			return -1;
		if (!kit_file_exists(path))
			continue; /* held by someone else */
		k = kit_key_load(path, passphrase, err);
		if (k == NULL)
			return -1;
		if (add_loaded(r, k, 1, err) < 0) {
			kit_key_free(k);
			return -1;
		}
		count++;
	}
	return count;
}

int
kit_tuf_repo_add_key(struct kit_tuf_repo *r, enum kit_tuf_role role,
		     const struct kit_key *k, struct kit_error *err)
{
	(void)role; /* the root decides which role a key signs for */
	if (!kit_key_has_private(k))
		return kit_err(err, KIT_E_INVALID, "add key: not a private key");
	return add_loaded(r, (struct kit_key *)k, 0, err);
}

/* Copy the file at path to the target file of name; its entry into *ti. */
static int
target_entry(struct kit_tuf_repo *r, const char *name, const char *path,
	     const json_t *custom, json_t **tip, struct kit_error *err)
{
	char hex[KIT_SHA256_HEX], rel[4096], dest[8192], *slash;
	json_t *ti;
	uint64_t len = 0;

	if (!kit_path_is_safe(name))
		return kit_err(err, KIT_E_INVALID, "target name \"%.200s\" is not a safe relative path", name);
	if (custom != NULL && !json_is_object(custom))
		return kit_err(err, KIT_E_INVALID, "target %s: custom is not an object", name);
	if (kit_sha256_file(path, hex, &len, err) < 0)
		return -1;
	if (kit_tuf_target_path(rel, sizeof(rel), name, hex, 1) < 0 ||
	    kit_snprintf(err, dest, sizeof(dest), "%s/%s", r->dir, rel) < 0)
		return kit_err(err, KIT_E_INVALID, "target name %s too long", name);
	slash = strrchr(dest, '/');
	*slash = '\0';
	if (kit_mkdir_p(dest, 0755, err) < 0)
		return -1;
	*slash = '/';
	if (!kit_file_exists(dest) && kit_file_copy(path, dest, 0644, err) < 0)
		return -1;
	ti = json_pack("{s:I, s:{s:s}}", "length", (json_int_t)len, "hashes",
		       "sha256", hex);
	if (custom != NULL)
		json_object_set_new(ti, "custom", json_deep_copy(custom));
	*tip = ti;
	return 0;
}

int
kit_tuf_repo_add_target(struct kit_tuf_repo *r, const char *name,
			const char *path, const json_t *custom,
			struct kit_error *err)
{
	json_t *ti;

	if (target_entry(r, name, path, custom, &ti, err) < 0)
		return -1;
	json_object_set_new(json_object_get(json_object_get(
						    r->md[KIT_TUF_TARGETS], "signed"),
					    "targets"),
			    name, ti);
	r->targets_dirty = 1;
	return 0;
}

int
kit_tuf_repo_remove_target(struct kit_tuf_repo *r, const char *name,
			   struct kit_error *err)
{
	json_t *targets = json_object_get(json_object_get(r->md[KIT_TUF_TARGETS],
							  "signed"),
					  "targets");

	if (json_object_del(targets, name) < 0)
		return kit_err(err, KIT_E_INVALID, "no target %.200s to remove", name);
	r->targets_dirty = 1;
	return 0;
}

int
kit_tuf_repo_target_path(const struct kit_tuf_repo *r, const char *name,
			 char *out, size_t size, struct kit_error *err)
{
	const json_t *t = json_object_get(kit_tuf_repo_targets(r), name);
	const char *hex = json_string_value(
		json_object_get(json_object_get(t, "hashes"), "sha256"));
	char rel[4096];

	if (hex == NULL)
		return kit_err(err, KIT_E_INVALID, "the repository has no target %.200s", name);
	if (kit_tuf_target_path(rel, sizeof(rel), name, hex, 1) < 0)
		return kit_err(err, KIT_E_INVALID, "target name %.200s too long", name);
	return kit_snprintf(err, out, size, "%s/%s", r->dir, rel);
}

const json_t *
kit_tuf_repo_targets(const struct kit_tuf_repo *r)
{
	return json_object_get(json_object_get(r->md[KIT_TUF_TARGETS], "signed"),
			       "targets");
}

int64_t
kit_tuf_repo_version(const struct kit_tuf_repo *r, enum kit_tuf_role role)
{
	if ((int)role < 0 || role >= KIT_TUF_NROLES || r->md[role] == NULL)
		return 0;
	return version_of(r->md[role]);
}

static int
write_pending(struct kit_tuf_repo *r, struct kit_error *err)
{
	char path[4096], *s;
	size_t len;
	int rc;

	if (mpath(path, sizeof(path), r, "pending.root.json", err) < 0)
		return -1;
	s = dump(r->pending, &len);
	rc = kit_file_write_atomic(path, s, len, 0644, err);
	free(s);
	return rc;
}

/* Sign the pending root with every loaded key that is a root key of the
 * current or the pending root. */
static int
sign_pending(struct kit_tuf_repo *r, struct kit_error *err)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if ((keyids_contain(r->md[KIT_TUF_ROOT], KIT_TUF_ROOT, r->keys[i].keyid) ||
		     keyids_contain(r->pending, KIT_TUF_ROOT, r->keys[i].keyid)) &&
		    kit_tuf_sign(r->pending, r->keys[i].k, err) < 0)
			return -1;
	return 0;
}

static int
key_in_use(const json_t *s, const char *keyid)
{
	const json_t *roles = json_object_get(s, "roles"), *ro;
	const char *rn;
	size_t i;

	json_object_foreach ((json_t *)roles, rn, ro) {
		const json_t *ids = json_object_get(ro, "keyids");

		for (i = 0; i < json_array_size(ids); i++)
			if (strcmp(json_string_value(json_array_get(ids, i)), keyid) == 0)
				return 1;
	}
	return 0;
}

int
kit_tuf_repo_rotate(struct kit_tuf_repo *r, enum kit_tuf_role role,
		    unsigned nkeys, unsigned threshold, const char *passphrase,
		    struct kit_error *err)
{
	json_t *s, *ids, *keys, *ro, *old_ids;
	char keyid[KIT_SHA256_HEX], exp[32];
	unsigned n;
	size_t i;

	if ((int)role < 0 || role >= KIT_TUF_NROLES || nkeys < 1 || nkeys > 16 ||
	    threshold < 1 || threshold > nkeys)
		return kit_err(err, KIT_E_INVALID, "rotate %s: %u keys with threshold %u; need 1 <= threshold <= keys <= 16",
			       kit_tuf_role_name(role), nkeys, threshold);
	if (r->keys_dir == NULL || r->keysdb == NULL)
		return kit_err(err, KIT_E_INVALID, "rotate: no keys dir given");
	if (r->pending == NULL) {
		s = json_deep_copy(json_object_get(r->md[KIT_TUF_ROOT], "signed"));
		json_object_set_new(s, "version", json_integer(version_of(r->md[KIT_TUF_ROOT]) + 1));
		kit_time_format_utc(kit_time_now() + r->expires[KIT_TUF_ROOT], exp,
				    sizeof(exp));
		json_object_set_new(s, "expires", json_string(exp));
		json_object_set_new(s, "spec_version", json_string(KIT_TUF_SPEC_VERSION));
		r->pending = json_pack("{s:o, s:[]}", "signed", s, "signatures");
	}
	s = json_object_get(r->pending, "signed");
	keys = json_object_get(s, "keys");
	ro = json_object_get(json_object_get(s, "roles"), kit_tuf_role_name(role));
	old_ids = json_incref(json_object_get(ro, "keyids"));
	ids = json_array();
	json_object_set_new(ro, "keyids", ids);
	json_object_set_new(ro, "threshold", json_integer(threshold));
	for (i = 0; i < json_array_size(old_ids); i++) {
		const char *kid = json_string_value(json_array_get(old_ids, i));

		if (!key_in_use(s, kid))
			json_object_del(keys, kid);
	}
	json_decref(old_ids);
	for (n = 0; n < nkeys; n++) {
		if (new_key(r, role, passphrase, keyid, err) < 0)
			return -1;
		json_array_append_new(ids, json_string(keyid));
		json_object_set_new(keys, keyid,
				    kit_tuf_key_json(r->keys[r->nkeys - 1].k));
	}
	/* The content changed: earlier signatures are void. */
	json_object_set_new(r->pending, "signatures", json_array());
	if (save_keysdb(r, err) < 0 || sign_pending(r, err) < 0 ||
	    write_pending(r, err) < 0)
		return -1;
	return 0;
}

int
kit_tuf_repo_sign_root(struct kit_tuf_repo *r, const struct kit_key *k,
		       struct kit_error *err)
{
	char keyid[KIT_SHA256_HEX];

	if (r->pending == NULL)
		return kit_err(err, KIT_E_INVALID, "no pending root to sign (metadata/pending.root.json); start one with rotate");
	if (kit_tuf_keyid(k, keyid, err) < 0)
		return -1;
	if (!keyids_contain(r->md[KIT_TUF_ROOT], KIT_TUF_ROOT, keyid) &&
	    !keyids_contain(r->pending, KIT_TUF_ROOT, keyid))
		return kit_err(err, KIT_E_SECURITY, "key %.16s is not a root key of the current or the pending root; refused to sign with it", keyid);
	if (kit_tuf_sign(r->pending, k, err) < 0)
		return -1;
	return write_pending(r, err);
}

int
kit_tuf_repo_publish_root(struct kit_tuf_repo *r, struct kit_error *err)
{
	char path[4096];
	int64_t exp = 0;

	if (r->pending == NULL)
		return kit_err(err, KIT_E_INVALID, "no pending root to publish");
	if (kit_tuf_check(r->pending, KIT_TUF_ROOT, "pending.root.json", NULL,
			  &exp, err) < 0)
		return -1;
	if (kit_tuf_verify(r->md[KIT_TUF_ROOT], KIT_TUF_ROOT, r->pending,
			   "pending.root.json", err) < 0) {
		kit_err_prefix(err, "the pending root lacks the threshold of the current root's keys (have more root key holders run sign-root)");
		return -1;
	}
	if (kit_tuf_verify(r->pending, KIT_TUF_ROOT, r->pending,
			   "pending.root.json", err) < 0) {
		kit_err_prefix(err, "the pending root lacks the threshold of its own root keys (have the new key holders run sign-root)");
		return -1;
	}
	if (exp <= kit_time_now())
		return kit_err(err, KIT_E_INVALID, "the pending root has expired already; rotate again to renew it");
	if (write_root(r, r->pending, err) < 0)
		return -1;
	json_decref(r->pending);
	r->pending = NULL;
	if (mpath(path, sizeof(path), r, "pending.root.json", err) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return kit_err_errno(err, KIT_E_IO, errno, "remove %s", path);
	return 0;
}

int
kit_tuf_repo_sign_copy(struct kit_tuf_repo *r, int64_t expires,
		       struct kit_tuf_copy *out, struct kit_error *err)
{
	int64_t now = kit_time_now(), snap = r->expires[KIT_TUF_SNAPSHOT];
	enum kit_tuf_role roles[2] = {KIT_TUF_SNAPSHOT, KIT_TUF_TIMESTAMP};
	char name[64], *bytes;
	json_t *m;
	size_t len;
	int i;

	memset(out, 0, sizeof(*out));
	if (r->md[KIT_TUF_ROOT] == NULL || r->md[KIT_TUF_TARGETS] == NULL ||
	    expires < 60)
		return kit_err(err, KIT_E_INVALID, "sign copy: no repository open, or an expiry under a minute");
	/* the copy's snapshot lives at least as long as the live one's */
	for (i = 0; i < 2; i++) {
		m = next_listed(r, roles[i],
				now + (i == 0 && snap > expires ? snap : expires),
				name, sizeof(name), err);
		if (m == NULL)
			goto fail;
		bytes = dump(m, &len);
		/* r's current version now: the next commit goes above it */
		remember(r, roles[i], m, bytes, len);
		json_decref(m);
		if (i == 0) {
			snprintf(out->snapshot_name, sizeof(out->snapshot_name),
				 "%s", name);
			out->snapshot = kit_xmalloc(len);
			memcpy(out->snapshot, bytes, len);
			out->snapshot_len = len;
		} else {
			out->timestamp_expires = now + expires;
			out->timestamp = kit_xmalloc(len);
			memcpy(out->timestamp, bytes, len);
			out->timestamp_len = len;
		}
	}
	return 0;
fail:
	kit_tuf_copy_free(out);
	return -1;
}

void
kit_tuf_copy_free(struct kit_tuf_copy *c)
{
	free(c->snapshot);
	free(c->timestamp);
	memset(c, 0, sizeof(*c));
}

const unsigned char *
kit_tuf_repo_meta_bytes(const struct kit_tuf_repo *r, enum kit_tuf_role role,
			size_t *len)
{
	*len = r->rawlen[role];
	return r->raw[role];
}

int64_t
kit_tuf_repo_lifetime(const struct kit_tuf_repo *r, enum kit_tuf_role role)
{
	return r->expires[role];
}

const char *
kit_tuf_repo_dir(const struct kit_tuf_repo *r)
{
	return r->dir;
}

int64_t
kit_tuf_repo_expires(const struct kit_tuf_repo *r, enum kit_tuf_role role)
{
	int64_t expires = 0;
	struct kit_error ignore = {0};

	if (r->md[role] == NULL ||
	    kit_tuf_check(r->md[role], role, "metadata", NULL, &expires,
			  &ignore) < 0)
		return 0;
	return expires;
}

/* --- delegated targets roles ------------------------------------------- */

/* Roles one repository may delegate to (each is one line of snapshot). */
#define MAX_DELEGATED 4096

static json_t *
delegations_of(const struct kit_tuf_repo *r)
{
	return json_object_get(json_object_get(r->md[KIT_TUF_TARGETS], "signed"),
			       "delegations");
}

/* The entry of role name in the top-level delegations, or NULL. */
static json_t *
deleg_entry(const struct kit_tuf_repo *r, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach (json_object_get(delegations_of(r), "roles"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	return NULL;
}

static struct deleg_md *
dmd_find(struct kit_tuf_repo *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ndmd; i++)
		if (strcmp(r->dmd[i].name, name) == 0)
			return &r->dmd[i];
	return NULL;
}

/* A role name this writer uses as it is in file names ("N.<role>.json"):
 * 1..64 bytes of A-Z a-z 0-9 '-' '.' '_', not starting with '.', and not
 * a top-level role's name. */
static int
role_name_ok(const char *name)
{
	return kit_str_is_id(name, 1) && name[0] != '.' &&
	       kit_tuf_role_from_name(name) < 0;
}

static struct deleg_md *
dmd_add(struct kit_tuf_repo *r, const char *name)
{
	struct deleg_md *d;

	r->dmd = kit_xrealloc(r->dmd, (r->ndmd + 1) * sizeof(*r->dmd));
	d = &r->dmd[r->ndmd++];
	memset(d, 0, sizeof(*d));
	d->name = kit_strdup(name);
	return d;
}

/* meta is signed by the threshold of the keys the top-level targets
 * delegate role name to. */
static int
verify_delegated(const struct kit_tuf_repo *r, const char *name,
		 const json_t *meta, const char *what, struct kit_error *err)
{
	const json_t *entry = deleg_entry(r, name);

	return tuf_verify_keys(json_object_get(delegations_of(r), "keys"),
			       json_object_get(entry, "keyids"),
			       json_integer_value(json_object_get(entry,
								  "threshold")),
			       name, "the top-level targets", meta, what, err);
}

/* Sign and write a new version of delegated role d with the loaded keys its
 * delegation names; KIT_E_SECURITY when they are fewer than its
 * threshold. */
static int
sign_delegated(struct kit_tuf_repo *r, struct deleg_md *d, int64_t now,
	       struct kit_error *err)
{
	const json_t *entry = deleg_entry(r, d->name), *ids, *old;
	json_t *s, *m = NULL;
	char name[128], *raw = NULL;
	size_t i, j, len = 0;
	int64_t v = version_of(d->md) + 1;
	int rc = -1;

	s = signed_new(KIT_TUF_TARGETS, v, now + r->expires[KIT_TUF_TARGETS]);
	old = json_object_get(d->md, "signed");
	json_object_set_new(s, "targets",
			    json_deep_copy(json_object_get(old, "targets")));
	if (json_object_get(old, "delegations") != NULL)
		json_object_set_new(s, "delegations", json_deep_copy(json_object_get(old, "delegations")));
	m = json_pack("{s:o, s:[]}", "signed", s, "signatures");
	snprintf(name, sizeof(name), "%lld.%s.json", (long long)v, d->name);
	ids = json_object_get(entry, "keyids");
	for (i = 0; i < r->nkeys; i++)
		for (j = 0; j < json_array_size(ids); j++)
			if (strcmp(json_string_value(json_array_get(ids, j)),
				   r->keys[i].keyid) == 0 &&
			    kit_tuf_sign(m, r->keys[i].k, err) < 0)
				goto out;
	if (verify_delegated(r, d->name, m, name, err) < 0) {
		/* with partial roles, what we hold signs and others co-sign */
		if (r->partial && json_array_size(json_object_get(m, "signatures")) > 0) {
			kit_err_clear(err);
		} else {
			kit_err_prefix(err, "signing %s: too few keys of delegated role %s at hand (load its key files)", name, d->name);
			goto out;
		}
	}
	if (write_file(r, m, name, &raw, &len, err) < 0)
		goto out;
	json_decref(d->md);
	free(d->raw);
	d->md = m;
	m = NULL;
	d->raw = (unsigned char *)raw;
	d->rawlen = len;
	d->dirty = 0;
	rc = 0;
out:
	json_decref(m);
	return rc;
}

/* Write every delegated role (or only the one named only) that changed,
 * was never written, or no longer verifies under its delegation. */
static int
commit_delegated(struct kit_tuf_repo *r, const char *only, int64_t now,
		 struct kit_error *err)
{
	struct kit_error e = {0};
	size_t i;

	for (i = 0; i < r->ndmd; i++) {
		struct deleg_md *d = &r->dmd[i];

		if (only != NULL && strcmp(only, d->name) != 0)
			continue;
		if (!d->dirty && d->raw != NULL &&
		    verify_delegated(r, d->name, d->md, d->name, &e) == 0)
			continue;
		/* with partial roles, a role its own key holders signed and
		 * others are still to co-sign stays as it is */
		if (r->partial && !d->dirty && d->raw != NULL)
			continue;
		if (sign_delegated(r, d, now, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * For each role the top-level targets delegate to: the newest
 * metadata/N.<role>.json from the version the snapshot lists on (a role
 * holder may have signed newer ones since: the next commit lists them), or
 * an empty role to be written by the next commit.
 */
static int
load_delegated(struct kit_tuf_repo *r, struct kit_error *err)
{
	const json_t *e, *meta = json_object_get(json_object_get(
							 r->md[KIT_TUF_SNAPSHOT], "signed"),
						 "meta");
	char name[128], path[4096];
	struct deleg_md *d;
	const char *rn;
	int64_t v, newest;
	size_t i;
	json_t *j;

	if (json_object_get(delegations_of(r), "succinct_roles") != NULL)
		return kit_err(err, KIT_E_INVALID, "the targets metadata uses succinct_roles (TAP 15), which this writer does not maintain");
	json_array_foreach (json_object_get(delegations_of(r), "roles"), i, e) {
		rn = json_string_value(json_object_get(e, "name"));
		if (!role_name_ok(rn))
			return kit_err(err, KIT_E_INVALID, "delegated role \"%.80s\": this writer only uses role names of A-Z a-z 0-9 '-' '.' '_'", rn);
		if (i >= MAX_DELEGATED)
			return kit_err(err, KIT_E_INVALID, "more than %d delegated roles", MAX_DELEGATED);
		d = dmd_add(r, rn);
		snprintf(name, sizeof(name), "%s.json", rn);
		v = json_integer_value(json_object_get(json_object_get(meta,
								       name),
						       "version"));
		for (newest = 0, v = v > 0 ? v : 1;; v++) {
			snprintf(name, sizeof(name), "%lld.%s.json", (long long)v,
				 rn);
			if (mpath(path, sizeof(path), r, name, err) < 0)
				return -1;
			if (!kit_file_exists(path))
				break;
			newest = v;
		}
		if (newest == 0) {
			j = signed_new(KIT_TUF_TARGETS, 0, 0);
			json_object_set_new(j, "targets", json_object());
			d->md = json_pack("{s:o, s:[]}", "signed", j, "signatures");
			d->dirty = 1;
			continue;
		}
		snprintf(name, sizeof(name), "%lld.%s.json", (long long)newest, rn);
		if (mpath(path, sizeof(path), r, name, err) < 0 ||
		    kit_file_read(path, KIT_TUF_MAX_TARGETS_LEN, &d->raw,
				  &d->rawlen, err) < 0)
			return -1;
		d->md = kit_tuf_parse(d->raw, d->rawlen, path, err);
		if (d->md == NULL ||
		    kit_tuf_check(d->md, KIT_TUF_TARGETS, path, &v, NULL, err) < 0)
			return -1;
		if (v != newest)
			return kit_err(err, KIT_E_SECURITY, "%s holds version %lld",
				       path, (long long)v);
	}
	return 0;
}

/* Keys no role of roles names any more leave keys. */
static void
drop_unused_keys(json_t *keys, const json_t *roles)
{
	const json_t *re, *id;
	const char *kid;
	json_t *e;
	void *tmp;
	size_t i, k;
	int used;

	json_object_foreach_safe (keys, tmp, kid, e) {
		used = 0;
		json_array_foreach (roles, i, re)
			json_array_foreach (json_object_get(re, "keyids"), k, id)
				used |= strcmp(json_string_value(id), kid) == 0;
		if (!used)
			json_object_del(keys, kid);
	}
}

int
kit_tuf_repo_delegate(struct kit_tuf_repo *r,
		      const struct kit_tuf_delegation *d, struct kit_error *err)
{
	json_t *dl, *keys, *roles, *ids, *paths, *entry, *e;
	char keyid[KIT_SHA256_HEX];
	size_t i;

	if (!role_name_ok(d->name))
		return kit_err(err, KIT_E_INVALID, "delegated role name \"%.80s\": use 1 to 64 of A-Z a-z 0-9 '-' '.' '_', not starting with '.', and not root, targets, snapshot or timestamp", d->name);
	if (d->nkeys < 1 || d->nkeys > 16 || d->threshold < 1 ||
	    d->threshold > d->nkeys)
		return kit_err(err, KIT_E_INVALID, "delegated role %s: %zu keys with threshold %u; need 1 <= threshold <= keys <= 16", d->name, d->nkeys, d->threshold);
	if (d->npaths < 1)
		return kit_err(err, KIT_E_INVALID, "delegated role %s: no paths",
			       d->name);
	for (i = 0; i < d->npaths; i++)
		if (d->paths[i] == NULL || d->paths[i][0] == '\0' ||
		    !kit_utf8_valid(d->paths[i], strlen(d->paths[i])))
			return kit_err(err, KIT_E_INVALID, "delegated role %s: path pattern %zu is empty or not UTF-8",
				       d->name, i + 1);
	if (dmd_find(r, d->name) == NULL && r->ndmd >= MAX_DELEGATED)
		return kit_err(err, KIT_E_INVALID, "more than %d delegated roles", MAX_DELEGATED);
	dl = delegations_of(r);
	if (dl == NULL) {
		dl = json_pack("{s:{}, s:[]}", "keys", "roles");
		json_object_set_new(json_object_get(r->md[KIT_TUF_TARGETS],
						    "signed"),
				    "delegations", dl);
	}
	keys = json_object_get(dl, "keys");
	roles = json_object_get(dl, "roles");
	ids = json_array();
	paths = json_array();
	for (i = 0; i < d->nkeys; i++) {
		if (kit_tuf_keyid(d->keys[i], keyid, err) < 0) {
			json_decref(ids);
			json_decref(paths);
			return -1;
		}
		json_array_append_new(ids, json_string(keyid));
		json_object_set_new(keys, keyid, kit_tuf_key_json(d->keys[i]));
	}
	for (i = 0; i < d->npaths; i++)
		json_array_append_new(paths, json_string(d->paths[i]));
	entry = json_pack("{s:s, s:o, s:I, s:b, s:o}", "name", d->name,
			  "keyids", ids, "threshold", (json_int_t)d->threshold,
			  "terminating", d->terminating, "paths", paths);
	json_array_foreach (roles, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")),
			   d->name) == 0)
			break;
	if (i < json_array_size(roles))
		json_array_set_new(roles, i, entry);
	else
		json_array_append_new(roles, entry);
	drop_unused_keys(keys, roles);
	if (dmd_find(r, d->name) == NULL) {
		struct deleg_md *m = dmd_add(r, d->name);
		json_t *s = signed_new(KIT_TUF_TARGETS, 0, 0);

		json_object_set_new(s, "targets", json_object());
		m->md = json_pack("{s:o, s:[]}", "signed", s, "signatures");
	}
	dmd_find(r, d->name)->dirty = 1;
	r->targets_dirty = 1;
	return 0;
}

/* The delegated role name's metadata and its entry; KIT_E_INVALID when
 * the top-level targets do not delegate to it. */
static struct deleg_md *
role_for(struct kit_tuf_repo *r, const char *role, const json_t **entry,
	 struct kit_error *err)
{
	struct deleg_md *d = role != NULL ? dmd_find(r, role) : NULL;

	if (d == NULL) {
		kit_err(err, KIT_E_INVALID, "no delegated role \"%.80s\" in this repository (delegate it first)", role ? role : "");
		return NULL;
	}
	*entry = deleg_entry(r, role);
	return d;
}

int
kit_tuf_repo_add_role_target(struct kit_tuf_repo *r, const char *role,
			     const char *name, const char *path,
			     const json_t *custom, struct kit_error *err)
{
	const json_t *entry;
	struct deleg_md *d = role_for(r, role, &entry, err);
	json_t *ti;

	if (d == NULL)
		return -1;
	if (!tuf_delegation_covers(entry, name))
		return kit_err(err, KIT_E_INVALID, "target %.200s is outside the paths delegated to role %s; clients would never look for it there", name, role);
	if (target_entry(r, name, path, custom, &ti, err) < 0)
		return -1;
	json_object_set_new(json_object_get(json_object_get(d->md, "signed"),
					    "targets"),
			    name, ti);
	d->dirty = 1;
	return 0;
}

int
kit_tuf_repo_remove_role_target(struct kit_tuf_repo *r, const char *role,
				const char *name, struct kit_error *err)
{
	const json_t *entry;
	struct deleg_md *d = role_for(r, role, &entry, err);

	if (d == NULL)
		return -1;
	if (json_object_del(json_object_get(json_object_get(d->md, "signed"),
					    "targets"),
			    name) < 0)
		return kit_err(err, KIT_E_INVALID, "no target %.200s in role %s to remove", name, role);
	d->dirty = 1;
	return 0;
}

const json_t *
kit_tuf_repo_role_targets(const struct kit_tuf_repo *r, const char *role)
{
	const struct deleg_md *d = dmd_find((struct kit_tuf_repo *)r, role);

	return d ? json_object_get(json_object_get(d->md, "signed"), "targets")
		 : NULL;
}

int
kit_tuf_repo_sign_role(struct kit_tuf_repo *r, const char *role,
		       struct kit_error *err)
{
	const json_t *entry;

	if (role_for(r, role, &entry, err) == NULL)
		return -1;
	return commit_delegated(r, role, kit_time_now(), err);
}

const json_t *
tuf_repo_committed_targets(const struct kit_tuf_repo *r, const char *role,
			   int64_t version)
{
	const json_t *md = NULL;
	const struct deleg_md *d;

	if (strcmp(role, "targets") == 0) {
		if (!r->targets_dirty)
			md = r->md[KIT_TUF_TARGETS];
	} else {
		d = dmd_find((struct kit_tuf_repo *)r, role);
		if (d != NULL && !d->dirty && d->raw != NULL)
			md = d->md;
	}
	if (md == NULL || version_of(md) != version)
		return NULL;
	return json_object_get(json_object_get(md, "signed"), "targets");
}

void
kit_tuf_repo_set_partial_roles(struct kit_tuf_repo *r, int on)
{
	r->partial = on;
}

void
kit_tuf_repo_hold(struct kit_tuf_repo *r, int fd)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = fd;
}

const json_t *
kit_tuf_repo_delegation(const struct kit_tuf_repo *r, const char *role)
{
	return deleg_entry(r, role);
}

int
kit_tuf_repo_role_verifies(const struct kit_tuf_repo *r, const char *role)
{
	struct deleg_md *d = dmd_find((struct kit_tuf_repo *)r, role);
	struct kit_error e = {0};

	return d != NULL && d->raw != NULL && !d->dirty &&
	       verify_delegated(r, role, d->md, role, &e) == 0;
}

int
kit_tuf_repo_cosign_role(struct kit_tuf_repo *r, const char *role,
			 size_t *added, struct kit_error *err)
{
	const json_t *entry, *ids, *sigs;
	struct deleg_md *d = role_for(r, role, &entry, err);
	char name[128], path[4096], *raw;
	size_t i, j, k, len;
	int have;

	*added = 0;
	if (d == NULL)
		return -1;
	if (d->dirty || d->raw == NULL)
		return kit_err(err, KIT_E_INVALID, "delegated role %s has changes not yet signed; sign it before co-signing", role);
	ids = json_object_get(entry, "keyids");
	for (i = 0; i < r->nkeys; i++) {
		sigs = json_object_get(d->md, "signatures");
		for (have = 0, k = 0; k < json_array_size(sigs); k++)
			have |= json_is_string(json_object_get(json_array_get(sigs, k), "keyid")) &&
				strcmp(json_string_value(json_object_get(json_array_get(sigs, k), "keyid")), r->keys[i].keyid) == 0;
		for (j = 0; !have && j < json_array_size(ids); j++)
			if (strcmp(json_string_value(json_array_get(ids, j)), r->keys[i].keyid) == 0) {
				if (kit_tuf_sign(d->md, r->keys[i].k, err) < 0)
					return -1;
				(*added)++;
				break;
			}
	}
	if (*added == 0)
		return 0;
	/* the same version, the same signed content, one signature more:
	 * written over the file its own key holders wrote (atomically) */
	snprintf(name, sizeof(name), "%lld.%s.json", (long long)version_of(d->md), d->name);
	if (mpath(path, sizeof(path), r, name, err) < 0)
		return -1;
	raw = dump(d->md, &len);
	if (kit_file_write_atomic(path, raw, len, 0644, err) < 0) {
		free(raw);
		return -1;
	}
	free(d->raw);
	d->raw = (unsigned char *)raw;
	d->rawlen = len;
	return 0;
}

int64_t
kit_tuf_repo_role_version(const struct kit_tuf_repo *r, const char *role)
{
	const struct deleg_md *d = dmd_find((struct kit_tuf_repo *)r, role);

	return d != NULL ? version_of(d->md) : 0;
}

int
kit_tuf_repo_undelegate(struct kit_tuf_repo *r, const char *role,
			struct kit_error *err)
{
	json_t *dl = delegations_of(r), *roles = json_object_get(dl, "roles");
	json_t *keys = json_object_get(dl, "keys"), *e;
	struct deleg_md *d = dmd_find(r, role);
	size_t i;

	json_array_foreach (roles, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), role) == 0)
			break;
	if (d == NULL || i == json_array_size(roles))
		return kit_err(err, KIT_E_INVALID, "no delegated role \"%.80s\" in this repository", role);
	json_array_remove(roles, i);
	drop_unused_keys(keys, roles);
	free(d->name);
	json_decref(d->md);
	free(d->raw);
	i = (size_t)(d - r->dmd);
	memmove(d, d + 1, (r->ndmd - i - 1) * sizeof(*d));
	r->ndmd--;
	r->targets_dirty = 1;
	return 0;
}
