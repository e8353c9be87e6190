/*
 * tuf_test.c: canonical JSON, key ids, the repository writer, and the
 * client workflow attacked with real files: every attack of the TUF threat
 * model is refused with KIT_E_SECURITY and leaves the trusted metadata in
 * the state dir unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kit_crypto.h"
#include "kit_tuf.h"
#include "kit_util.h"

#define PASS "correct horse battery staple"

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

struct override {
	char rel[256];
	char src[4096];
};

struct served {
	char repo[4096];
	int ignore_max; /* a transport that does not stop at max_len */
	int nreq;
	char last[8][256];
	/* an HTTP server with validators: timestamp.json unchanged since it
	 * was last served is answered NOT_MODIFIED */
	int cond;
	unsigned char ts_served[16384];
	size_t ts_served_len;
	struct override ov[4];
	int nov;
};

static int
serve(void *arg, const char *relpath, const char *dest, uint64_t max,
      struct kit_error *err)
{
	struct served *s = arg;
	char src[8192];
	unsigned char *buf = NULL;
	size_t len = 0;
	int i, rc;

	if (s->nreq < 8)
		snprintf(s->last[s->nreq], sizeof(s->last[0]), "%s", relpath);
	s->nreq++;
	snprintf(src, sizeof(src), "%s/%s", s->repo, relpath);
	for (i = 0; i < s->nov; i++)
		if (strcmp(s->ov[i].rel, relpath) == 0)
			snprintf(src, sizeof(src), "%s", s->ov[i].src);
	if (!kit_file_exists(src))
		return KIT_TUF_FETCH_NOT_FOUND;
	if (kit_file_read(src, 1u << 30, &buf, &len, err) < 0)
		return -1;
	if (len > max && !s->ignore_max) {
		free(buf);
		return kit_err(err, KIT_E_SECURITY, "%s: more than %llu bytes",
			       relpath, (unsigned long long)max);
	}
	if (strcmp(relpath, "metadata/timestamp.json") == 0) {
		if (s->cond && len == s->ts_served_len &&
		    memcmp(buf, s->ts_served, len) == 0) {
			free(buf);
			return KIT_TUF_FETCH_NOT_MODIFIED;
		}
		s->ts_served_len = 0;
		if (len <= sizeof(s->ts_served)) {
			memcpy(s->ts_served, buf, len);
			s->ts_served_len = len;
		}
	}
	rc = kit_file_write_atomic(dest, buf, len, 0644, err);
	free(buf);
	return rc < 0 ? -1 : KIT_TUF_FETCH_OK;
}

struct fx {
	char dir[64];
	char repo[128], keys[128], state[128], dl[128], work[128];
	struct served srv;
	struct kit_tuf_client *c;
	unsigned char *saved[4];
	size_t savedlen[4];
};

static const char *const state_files[4] = {
	"root.json",
	"timestamp.json",
	"snapshot.json",
	"targets.json",
};

static void
write_text(const char *path, const char *text)
{
	struct kit_error err = {0};

	assert_int_equal(kit_file_write_atomic(path, text, strlen(text), 0644,
					       &err),
			 0);
}

static void
add_target(struct kit_tuf_repo *r, struct fx *f, const char *name,
	   const char *content, int version)
{
	struct kit_error err = {0};
	char path[256];
	json_t *custom;

	snprintf(path, sizeof(path), "%s/src.bin", f->work);
	write_text(path, content);
	custom = json_pack("{s:s, s:s, s:i, s:{s:s, s:s}}", "campaign",
			   "together-2016", "office", "global", "version",
			   version, "window", "start", "2016-12-15T00:00:00+01:00",
			   "end", "2016-12-18T23:59:59+01:00");
	assert_int_equal(kit_tuf_repo_add_target(r, name, path, custom, &err), 0);
	json_decref(custom);
}

static struct kit_tuf_repo *
open_unlocked(struct fx *f)
{
	struct kit_error err = {0};
	struct kit_tuf_repo *r;
	int i;

	r = kit_tuf_repo_open(f->repo, f->keys, &err);
	if (r == NULL)
		fail_msg("open: %s", err.msg);
	for (i = 0; i < KIT_TUF_NROLES; i++)
		assert_true(kit_tuf_repo_unlock(r, (enum kit_tuf_role)i, PASS, &err) >= 0);
	return r;
}

static void
commit(struct kit_tuf_repo *r)
{
	struct kit_error err = {0};

	if (kit_tuf_repo_commit(r, &err) < 0)
		fail_msg("commit: %s", err.msg);
}

static void
client_update_ok(struct fx *f)
{
	struct kit_error err = {0};

	if (kit_tuf_client_update(f->c, &err) < 0)
		fail_msg("update: %s", err.msg);
}

/* kit-publish publishes version 2 of the one target. */
static void
publish_version_two(struct fx *f)
{
	struct kit_tuf_repo *r = open_unlocked(f);

	add_target(r, f, "together-2016/global.tar.zst", "version two\n", 2);
	commit(r);
	kit_tuf_repo_free(r);
}

/* Set up a repository with one target and a client that trusts it. */
static void
fx_setup_cfg(struct fx *f, const struct kit_tuf_repo_config *cfg)
{
	struct kit_error err = {0};
	struct kit_tuf_repo *r;
	char root[256];

	memset(f, 0, sizeof(*f));
	unsetenv("KIT_TEST_NOW"); /* a failed test may have left it */
	snprintf(f->dir, sizeof(f->dir), "/tmp/kit-tuf-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->dir);
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->dl, sizeof(f->dl), "%s/dl", f->dir);
	snprintf(f->work, sizeof(f->work), "%s/work", f->dir);
	assert_int_equal(kit_mkdir_p(f->dl, 0755, &err), 0);
	assert_int_equal(kit_mkdir_p(f->work, 0755, &err), 0);
	if (kit_tuf_repo_init(f->repo, f->keys, cfg, PASS, &err) < 0)
		fail_msg("init: %s", err.msg);
	r = open_unlocked(f);
	add_target(r, f, "together-2016/global.tar.zst", "kit version one\n", 1);
	commit(r);
	kit_tuf_repo_free(r);

	snprintf(root, sizeof(root), "%s/metadata/1.root.json", f->repo);
	if (kit_tuf_client_pin_root(f->state, root, 0, &err) < 0)
		fail_msg("pin: %s", err.msg);
	snprintf(f->srv.repo, sizeof(f->srv.repo), "%s", f->repo);
	f->c = kit_tuf_client_new(f->state, serve, &f->srv, &err);
	assert_non_null(f->c);
	client_update_ok(f);
}

static void
fx_setup(struct fx *f)
{
	struct kit_tuf_repo_config cfg;

	kit_tuf_repo_config_default(&cfg);
	fx_setup_cfg(f, &cfg);
}

static void
fx_teardown(struct fx *f)
{
	struct kit_error err = {0};
	int i;

	kit_tuf_client_free(f->c);
	for (i = 0; i < 4; i++)
		free(f->saved[i]);
	unsetenv("KIT_TEST_NOW");
	assert_int_equal(kit_rm_rf(f->dir, &err), 0);
}

/* Remember the trusted files, to prove a refusal changed nothing. */
static void
save_state(struct fx *f)
{
	struct kit_error err = {0};
	char path[256];
	int i;

	for (i = 0; i < 4; i++) {
		free(f->saved[i]);
		f->saved[i] = NULL;
		f->savedlen[i] = 0;
		snprintf(path, sizeof(path), "%s/%s", f->state, state_files[i]);
		if (kit_file_exists(path))
			assert_int_equal(kit_file_read(path, 1 << 24, &f->saved[i],
						       &f->savedlen[i], &err),
					 0);
	}
}

static void
assert_state_unchanged(struct fx *f)
{
	struct kit_error err = {0};
	unsigned char *b = NULL;
	size_t len = 0;
	char path[256];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->state, state_files[i]);
		if (f->saved[i] == NULL) {
			assert_false(kit_file_exists(path));
			continue;
		}
		assert_int_equal(kit_file_read(path, 1 << 24, &b, &len, &err), 0);
		assert_int_equal(len, f->savedlen[i]);
		assert_memory_equal(b, f->saved[i], len);
		free(b);
	}
}

/* Run an update that must be refused as a security failure. */
static void
assert_state_unchanged_mask(struct fx *f, unsigned mask)
{
	unsigned char *keep[4];
	size_t i;

	/* compare only the files in mask (bit i = state_files[i]) */
	for (i = 0; i < 4; i++) {
		keep[i] = f->saved[i];
		if (!(mask & (1u << i))) {
			char path[256];
			struct kit_error err = {0};

			snprintf(path, sizeof(path), "%s/%s", f->state, state_files[i]);
			f->saved[i] = NULL;
			if (kit_file_exists(path))
				assert_int_equal(kit_file_read(path, 1 << 24,
							       &f->saved[i], &f->savedlen[i], &err),
						 0);
		}
	}
	assert_state_unchanged(f);
	for (i = 0; i < 4; i++) {
		if (!(mask & (1u << i)))
			free(f->saved[i]);
		f->saved[i] = keep[i];
	}
}

#define ALL_STATE 0xfu
#define ROOT_ST 1u
#define TIMESTAMP_ST 2u
#define SNAPSHOT_ST 4u
#define TARGETS_ST 8u

/* Run an update that must be refused as a security failure, leaving the
 * trusted files in mask unchanged. */
static void
expect_refused_mask(struct fx *f, const char *needle, unsigned mask)
{
	struct kit_error err = {0};

	save_state(f);
	assert_int_equal(kit_tuf_client_update(f->c, &err), -1);
	if (err.code != KIT_E_SECURITY || (needle && strstr(err.msg, needle) == NULL))
		fail_msg("expected KIT_E_SECURITY with \"%s\", got %d: %s",
			 needle ? needle : "", err.code, err.msg);
	print_message("    refused: %s\n", err.msg);
	assert_state_unchanged_mask(f, mask);
}

static void
expect_refused(struct fx *f, const char *needle)
{
	expect_refused_mask(f, needle, ALL_STATE);
}

static json_t *
load_json(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (j == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return j;
}

static void
save_json(const char *path, const json_t *j)
{
	struct kit_error err = {0};
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);

	assert_int_equal(kit_file_write_atomic(path, s, strlen(s), 0644, &err), 0);
	free(s);
}

static struct kit_key *
load_key(struct fx *f, const char *file)
{
	struct kit_error err = {0};
	char path[256];
	struct kit_key *k;

	snprintf(path, sizeof(path), "%s/%s", f->keys, file);
	k = kit_key_load(path, PASS, &err);
	if (k == NULL)
		fail_msg("load key %s: %s", file, err.msg);
	return k;
}

/* Replace the signatures of meta by those of the given keys. */
static void
resign(json_t *meta, struct kit_key **keys, int n)
{
	struct kit_error err = {0};
	int i;

	json_object_set_new(meta, "signatures", json_array());
	for (i = 0; i < n; i++)
		assert_int_equal(kit_tuf_sign(meta, keys[i], &err), 0);
}

static void
set_version(json_t *meta, int64_t v)
{
	json_object_set_new(json_object_get(meta, "signed"), "version",
			    json_integer(v));
}

static void
mpath(char *out, size_t size, struct fx *f, const char *name)
{
	snprintf(out, size, "%s/metadata/%s", f->repo, name);
}

static void
copy_file(const char *src, const char *dst)
{
	struct kit_error err = {0};

	assert_int_equal(kit_file_copy(src, dst, 0644, &err), 0);
}

static void
set_clock(int64_t delta)
{
	char buf[32];

	kit_time_format_utc((int64_t)time(NULL) + delta, buf, sizeof(buf));
	setenv("KIT_TEST_NOW", buf, 1);
}

/* Set a meta entry (snapshot's targets.json, timestamp's snapshot.json) to
 * describe the file at path: version, length, sha256. */
static void
set_meta_entry(json_t *meta, const char *name, const char *path)
{
	struct kit_error err = {0};
	char hex[KIT_SHA256_HEX];
	unsigned char *b = NULL;
	size_t len = 0;
	json_t *j, *e;

	assert_int_equal(kit_file_read(path, 1 << 24, &b, &len, &err), 0);
	kit_sha256_hex(b, len, hex);
	j = kit_tuf_parse(b, len, path, &err);
	assert_non_null(j);
	e = json_pack("{s:O, s:I, s:{s:s}}", "version",
		      json_object_get(json_object_get(j, "signed"), "version"),
		      "length", (json_int_t)len, "hashes", "sha256", hex);
	json_object_set_new(json_object_get(json_object_get(meta, "signed"),
					    "meta"),
			    name, e);
	json_decref(j);
	free(b);
}

/* metadata/<n>.<role>.json of the repository (n < 0: <role>.json) into
 * path (256 bytes); loaded when load is set. */
static json_t *
repo_meta(struct fx *f, const char *role, int64_t n, char *path, int load)
{
	char name[64];

	if (n < 0)
		snprintf(name, sizeof(name), "%s.json", role);
	else
		snprintf(name, sizeof(name), "%lld.%s.json", (long long)n, role);
	mpath(path, 256, f, name);
	return load ? load_json(path) : NULL;
}

/* Set version v, sign with the key file keyfile alone, save to path. */
static void
sign_save(struct fx *f, json_t *meta, int64_t v, const char *keyfile,
	  const char *path)
{
	struct kit_key *k = load_key(f, keyfile);

	set_version(meta, v);
	resign(meta, &k, 1);
	save_json(path, meta);
	kit_key_free(k);
}

static int64_t
listed_version(const json_t *meta, const char *name)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(
									  json_object_get(meta, "signed"), "meta"),
								  name),
						  "version"));
}

/*
 * What a holder of the targets, snapshot and timestamp keys can publish:
 * the newest targets metadata changed by edit (its "signed" object), as
 * version + 1, with a new snapshot and timestamp that list it, every file
 * signed with the repository's own keys.
 */
static void
evil_publish(struct fx *f, void (*edit)(json_t *signed_targets, void *arg),
	     void *arg)
{
	char path[256];
	json_t *ts, *sn, *tg;
	int64_t snv, tgv;

	ts = repo_meta(f, "timestamp", -1, path, 1);
	snv = listed_version(ts, "snapshot.json");
	sn = repo_meta(f, "snapshot", snv, path, 1);
	tgv = listed_version(sn, "targets.json");
	tg = repo_meta(f, "targets", tgv, path, 1);

	edit(json_object_get(tg, "signed"), arg);
	repo_meta(f, "targets", tgv + 1, path, 0);
	sign_save(f, tg, tgv + 1, "targets-1.pem", path);
	set_meta_entry(sn, "targets.json", path);
	repo_meta(f, "snapshot", snv + 1, path, 0);
	sign_save(f, sn, snv + 1, "snapshot-1.pem", path);
	set_meta_entry(ts, "snapshot.json", path);
	repo_meta(f, "timestamp", -1, path, 0);
	sign_save(f, ts, json_integer_value(json_object_get(json_object_get(ts, "signed"), "version")) + 1,
		  "timestamp-1.pem", path);
	json_decref(ts);
	json_decref(sn);
	json_decref(tg);
}

/* What the root key holders publish: root version n + 1 (n the newest in
 * the repository) changed by edit (its "signed" object), signed with
 * root-1.pem (the default configuration's one root key). */
static void
publish_root(struct fx *f, int64_t n, void (*edit)(json_t *signed_root, void *arg),
	     void *arg)
{
	char path[256];
	json_t *root = repo_meta(f, "root", n, path, 1);

	edit(json_object_get(root, "signed"), arg);
	repo_meta(f, "root", n + 1, path, 0);
	sign_save(f, root, n + 1, "root-1.pem", path);
	json_decref(root);
}

/* edit: set target arg->name's hashes to arg->hashes (a new reference,
 * taken), adding the target (16 bytes) when it is not there. */
struct set_hashes {
	const char *name;
	json_t *hashes;
};

static void
edit_hashes(json_t *s, void *arg)
{
	struct set_hashes *a = arg;
	json_t *t = json_object_get(json_object_get(s, "targets"), a->name);

	if (t == NULL) {
		t = json_pack("{s:i}", "length", 16);
		json_object_set_new(json_object_get(s, "targets"), a->name, t);
	}
	json_object_set_new(t, "hashes", a->hashes);
}

/* ------------------------------------------------------------------ */
/* canonical JSON and key ids                                          */
/* ------------------------------------------------------------------ */

static void
test_canonical_vectors(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"{\"b\":1,\"a\":[true,false,null],\"c\":{\"z\":\"x\",\"y\":-5}}",
		 "{\"a\":[true,false,null],\"b\":1,\"c\":{\"y\":-5,\"z\":\"x\"}}"},
		{"{ \"k\" : \"a\\\"b\\\\c\" }", "{\"k\":\"a\\\"b\\\\c\"}"},
		/* control characters and '/' are written as is */
		{"[\"line\\nbreak\\t/\"]", "[\"line\nbreak\t/\"]"},
		/* UTF-8 untouched; keys in byte order: A < z < \u00e9 < \u20ac */
		{"{\"\\u20ac\":1,\"\\u00e9\":2,\"z\":3,\"A\":4}",
		 "{\"A\":4,\"z\":3,\"\xc3\xa9\":2,\"\xe2\x82\xac\":1}"},
		{"[]", "[]"},
		{"{}", "{}"},
		{"[0,-1,9007199254740993]", "[0,-1,9007199254740993]"},
		{"{\"_type\":\"x\",\"\":\"empty\",\"a\":{}}",
		 "{\"\":\"empty\",\"_type\":\"x\",\"a\":{}}"},
	};
	struct kit_error err = {0};
	struct kit_buf b;
	json_error_t jerr;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		j = json_loads(v[i].in, JSON_DECODE_ANY, &jerr);
		assert_non_null(j);
		kit_buf_init(&b, 4096);
		assert_int_equal(kit_tuf_canonical(j, &b, &err), 0);
		assert_int_equal(b.len, strlen(v[i].out));
		assert_memory_equal(b.data, v[i].out, b.len);
		kit_buf_free(&b);
		json_decref(j);
	}
	/* reals are refused */
	j = json_loads("{\"a\":1.5}", 0, &jerr);
	kit_buf_init(&b, 4096);
	assert_int_equal(kit_tuf_canonical(j, &b, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_buf_free(&b);
	json_decref(j);
	/* the cap holds */
	memset(&err, 0, sizeof(err));
	j = json_loads("[\"0123456789\",\"0123456789\"]", 0, &jerr);
	kit_buf_init(&b, 8);
	assert_int_equal(kit_tuf_canonical(j, &b, &err), -1);
	kit_buf_free(&b);
	json_decref(j);
}

/* The same bytes as Python's json.dumps(sort_keys, compact,
 * ensure_ascii=False) where both definitions agree (no control chars). */
static void
test_canonical_python(void **state)
{
	const char *in = "{\"signed\":{\"b\":[1,2,{\"y\":\"\xc3\xa9\\\"q\"}],"
			 "\"a\":\"x\\\\y\",\"\xe2\x82\xac\":true},\"n\":null}";
	struct kit_error err = {0};
	struct kit_buf b;
	json_error_t jerr;
	char cmd[1024], out[1024];
	FILE *p;
	json_t *j;
	size_t n;

	(void)state;
	j = json_loads(in, 0, &jerr);
	assert_non_null(j);
	kit_buf_init(&b, 4096);
	assert_int_equal(kit_tuf_canonical(j, &b, &err), 0);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import json,sys; "
		 "sys.stdout.write(json.dumps(json.loads(sys.argv[1]), "
		 "sort_keys=True, separators=(\",\",\":\"), ensure_ascii=False))' '%s'",
		 in);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out), p);
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, b.len);
	assert_memory_equal(out, b.data, n);
	kit_buf_free(&b);
	json_decref(j);
}

static void
test_keyid_vector(void **state)
{
	/* RFC 8032 test 1 key; the key id is committed in
	 * tests/fixtures/tuf/keyid-rfc8032-1.json (computed with Python's
	 * hashlib over the canonical key object) and re-checked here. */
	static const char seedhex[] =
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	struct kit_error err = {0};
	unsigned char seed[32];
	char keyid[KIT_SHA256_HEX], cmd[512], out[128];
	struct kit_key *k;
	json_t *fixture;
	FILE *p;
	size_t n;

	(void)state;
	assert_int_equal(kit_hex_decode(seedhex, seed, sizeof(seed)), 0);
	k = kit_key_from_seed(seed, &err);
	assert_non_null(k);
	assert_int_equal(kit_tuf_keyid(k, keyid, &err), 0);
	fixture = load_json("../fixtures/tuf/keyid-rfc8032-1.json");
	assert_string_equal(keyid, json_string_value(json_object_get(fixture, "keyid")));
	json_decref(fixture);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import hashlib,json; print(hashlib."
		 "sha256(json.dumps({\"keytype\":\"ed25519\",\"scheme\":\"ed25519\","
		 "\"keyval\":{\"public\":\"d75a980182b10ab7d54bfed3c964073a0ee172f3"
		 "daa62325af021a68f707511a\"}}, sort_keys=True, separators=(\",\","
		 "\":\")).encode()).hexdigest())'");
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strncmp(out, keyid, 64), 0);
	kit_key_free(k);
}

static void
test_sign_verify_threshold(void **state)
{
	struct kit_error err = {0};
	struct kit_key *k1, *k2, *k3;
	char id1[KIT_SHA256_HEX], id2[KIT_SHA256_HEX];
	json_t *root, *meta, *sigs;

	(void)state;
	k1 = kit_key_generate(&err);
	k2 = kit_key_generate(&err);
	k3 = kit_key_generate(&err);
	assert_non_null(k1);
	assert_non_null(k2);
	assert_non_null(k3);
	assert_int_equal(kit_tuf_keyid(k1, id1, &err), 0);
	assert_int_equal(kit_tuf_keyid(k2, id2, &err), 0);
	root = json_pack("{s:{s:{s:o, s:o}, s:{s:{s:[s,s], s:i}}}}", "signed",
			 "keys", id1, kit_tuf_key_json(k1), id2,
			 kit_tuf_key_json(k2), "roles", "targets", "keyids", id1,
			 id2, "threshold", 2);
	meta = json_pack("{s:{s:s, s:i}}", "signed", "_type", "targets",
			 "version", 1);
	assert_int_equal(kit_tuf_sign(meta, k1, &err), 0);
	/* one valid signature, twice: counts once */
	sigs = json_object_get(meta, "signatures");
	json_array_append(sigs, json_array_get(sigs, 0));
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TARGETS, meta, "t", &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "1 valid signature"));
	assert_non_null(strstr(err.msg, "threshold 2"));
	/* a foreign key's signature is ignored */
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_sign(meta, k3, &err), 0);
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TARGETS, meta, "t", &err), -1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_sign(meta, k2, &err), 0);
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TARGETS, meta, "t", &err), 0);
	/* a change to signed voids them */
	json_object_set_new(json_object_get(meta, "signed"), "version",
			    json_integer(2));
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TARGETS, meta, "t", &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	json_decref(root);
	json_decref(meta);
	kit_key_free(k1);
	kit_key_free(k2);
	kit_key_free(k3);
}

static void
test_check_shapes(void **state)
{
	static const char *const bad[] = {
		"{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"1.0.31\","
		"\"version\":0,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":"
		"{\"snapshot.json\":{\"version\":1}}},\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"2.0.0\","
		"\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":"
		"{\"snapshot.json\":{\"version\":1}}},\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"1.0.31\","
		"\"version\":1,\"expires\":\"2030-01-01T00:00:00+01:00\",\"meta\":"
		"{\"snapshot.json\":{\"version\":1}}},\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"snapshot\",\"spec_version\":\"1.0.31\","
		"\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":"
		"{\"snapshot.json\":{\"version\":1}}},\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"1.0.31\","
		"\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":"
		"{\"snapshot.json\":{\"version\":1,\"length\":-1}}},\"signatures\":[]}",
	};
	const char *good = "{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":"
			   "\"1.0.31\",\"version\":3,\"expires\":"
			   "\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot.json\":"
			   "{\"version\":1}}},\"signatures\":[]}";
	struct kit_error err = {0};
	int64_t v = 0, e = 0;
	json_t *j;
	size_t i;

	(void)state;
	j = kit_tuf_parse((const unsigned char *)good, strlen(good), "t", &err);
	assert_non_null(j);
	assert_int_equal(kit_tuf_check(j, KIT_TUF_TIMESTAMP, "t", &v, &e, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(e, 1893456000);
	json_decref(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		j = kit_tuf_parse((const unsigned char *)bad[i], strlen(bad[i]),
				  "t", &err);
		assert_non_null(j);
		assert_int_equal(kit_tuf_check(j, KIT_TUF_TIMESTAMP, "t", NULL,
					       NULL, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		json_decref(j);
	}
	memset(&err, 0, sizeof(err));
	assert_null(kit_tuf_parse((const unsigned char *)"{\"a\":1,\"a\":2}", 13,
				  "dup", &err));
	assert_int_equal(err.code, KIT_E_SECURITY);
}

/* ------------------------------------------------------------------ */
/* writer + client: the happy path                                     */
/* ------------------------------------------------------------------ */

static void
test_happy_path(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct kit_tuf_repo *r;
	struct fx f;
	char dest[256], path[256];
	unsigned char *b = NULL;
	size_t len = 0;

	(void)state;
	fx_setup(&f);
	/* layout of a consistent-snapshot repository */
	mpath(path, sizeof(path), &f, "1.root.json");
	assert_true(kit_file_exists(path));
	mpath(path, sizeof(path), &f, "2.targets.json");
	assert_true(kit_file_exists(path));
	mpath(path, sizeof(path), &f, "2.snapshot.json");
	assert_true(kit_file_exists(path));
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TARGETS), 2);
	assert_int_equal(kit_tuf_client_targets_changed(f.c), 1);
	assert_int_equal(kit_tuf_client_target_count(f.c), 1);
	assert_int_equal(kit_tuf_client_target_at(f.c, 0, &t), 0);
	assert_string_equal(t.name, "together-2016/global.tar.zst");
	assert_int_equal(t.length, 16);
	assert_int_equal(json_integer_value(json_object_get(t.custom, "version")), 1);
	snprintf(path, sizeof(path), "%s/targets/together-2016/%s.global.tar.zst",
		 f.repo, t.sha256);
	assert_true(kit_file_exists(path));

	snprintf(dest, sizeof(dest), "%s/global.tar.zst", f.dl);
	if (kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst", dest,
					&err) < 0)
		fail_msg("fetch: %s", err.msg);
	assert_int_equal(kit_file_read(dest, 1024, &b, &len, &err), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(b, "kit version one\n", 16);
	free(b);
	assert_int_equal(kit_tuf_client_target_get(f.c, "nope/x", &t, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);

	/* unchanged repository: the spec's order costs the root probe and
	 * the timestamp; snapshot and targets come from the state dir */
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 2);
	assert_string_equal(f.srv.last[0], "metadata/2.root.json");
	assert_string_equal(f.srv.last[1], "metadata/timestamp.json");
	assert_int_equal(kit_tuf_client_targets_changed(f.c), 0);
	/* lazy root mode without a 304: the same bytes prove nothing, the
	 * root chain is probed before the timestamp is checked */
	kit_tuf_client_set_lazy_root(f.c, 1);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 2);
	assert_string_equal(f.srv.last[0], "metadata/timestamp.json");
	assert_string_equal(f.srv.last[1], "metadata/2.root.json");
	/* lazy root mode with validators: one small request (304) */
	f.srv.cond = 1;
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	assert_string_equal(f.srv.last[0], "metadata/timestamp.json");

	/* a new kit version */
	r = open_unlocked(&f);
	add_target(r, &f, "together-2016/global.tar.zst", "kit version two, longer\n", 2);
	add_target(r, &f, "together-2016/be.tar.zst", "belgium\n", 1);
	commit(r);
	kit_tuf_repo_free(r);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 4); /* timestamp, root probe, snapshot, targets */
	assert_int_equal(kit_tuf_client_targets_changed(f.c), 1);
	assert_int_equal(kit_tuf_client_target_count(f.c), 2);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	assert_int_equal(json_integer_value(json_object_get(t.custom, "version")), 2);
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst",
						     dest, &err),
			 0);
	assert_int_equal(kit_tuf_client_target_at(f.c, 0, &t), 0);
	assert_string_equal(t.name, "together-2016/be.tar.zst");

	/* kit-publish timestamp: a refresh with no change */
	r = open_unlocked(&f);
	commit(r);
	assert_int_equal(kit_tuf_repo_version(r, KIT_TUF_TARGETS), 3);
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_targets_changed(f.c), 0);
	fx_teardown(&f);
}

static void
test_repo_refusals(void **state)
{
	struct kit_tuf_repo_config cfg;
	struct kit_error err = {0};
	struct kit_tuf_repo *r;
	struct fx f;
	char path[256];

	(void)state;
	fx_setup(&f);
	/* init twice */
	kit_tuf_repo_config_default(&cfg);
	assert_int_equal(kit_tuf_repo_init(f.repo, f.keys, &cfg, PASS, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	/* bad threshold */
	memset(&err, 0, sizeof(err));
	cfg.role[KIT_TUF_ROOT].threshold = 2;
	snprintf(path, sizeof(path), "%s/other", f.dir);
	assert_int_equal(kit_tuf_repo_init(path, f.keys, &cfg, PASS, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	/* wrong passphrase */
	memset(&err, 0, sizeof(err));
	r = kit_tuf_repo_open(f.repo, f.keys, &err);
	assert_non_null(r);
	assert_int_equal(kit_tuf_repo_unlock(r, KIT_TUF_TARGETS, "wrong", &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	/* no keys: commit refused */
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_repo_commit(r, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	/* unsafe target name */
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_repo_add_target(r, "../x", "/etc/hostname", NULL,
						 &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_tuf_repo_free(r);
	fx_teardown(&f);
}

/* Targets metadata over what every office downloads (16 MiB) is refused
 * by the writer before anything is written: published, it would stop
 * every office at its next poll. */
static void
test_repo_refuses_oversized_targets(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_repo *r;
	struct fx f;
	char path[256], name[64], *big;
	json_t *custom;
	int i;

	(void)state;
	fx_setup(&f);
	mpath(path, sizeof(path), &f, "2.targets.json");
	assert_true(kit_file_exists(path)); /* fx_setup published version 2 */
	r = open_unlocked(&f);
	big = calloc(1, 1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	custom = json_pack("{s:s}", "filler", big);
	snprintf(path, sizeof(path), "%s/src.bin", f.work);
	write_text(path, "a kit\n");
	for (i = 0; i < 17; i++) {
		snprintf(name, sizeof(name), "c%02d/global.tar.zst", i);
		assert_int_equal(kit_tuf_repo_add_target(r, name, path, custom, &err), 0);
	}
	assert_int_equal(kit_tuf_repo_commit(r, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "over the 16777216 bytes every office accepts for that metadata; nothing was written"));
	mpath(path, sizeof(path), &f, "3.targets.json");
	assert_false(kit_file_exists(path));
	mpath(path, sizeof(path), &f, "3.snapshot.json");
	assert_false(kit_file_exists(path));
	json_decref(custom);
	free(big);
	kit_tuf_repo_free(r);
	/* the client still updates from what was there */
	client_update_ok(&f);
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* arbitrary installation                                              */
/* ------------------------------------------------------------------ */

static void
test_bad_signature(void **state)
{
	struct fx f;
	char path[256];
	json_t *ts;
	char *sig;

	(void)state;
	fx_setup(&f);
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 10); /* a "newer" timestamp ... */
	sig = kit_strdup(json_string_value(json_object_get(
		json_array_get(json_object_get(ts, "signatures"), 0), "sig")));
	sig[10] = sig[10] == '0' ? '1' : '0'; /* ... with a flipped signature */
	json_object_set_new(json_array_get(json_object_get(ts, "signatures"), 0),
			    "sig", json_string(sig));
	free(sig);
	save_json(path, ts);
	json_decref(ts);
	expect_refused(&f, "0 valid signatures");
	fx_teardown(&f);
}

static void
test_wrong_key(void **state)
{
	struct kit_error err = {0};
	struct kit_key *k;
	struct fx f;
	char path[256];
	json_t *ts;

	(void)state;
	fx_setup(&f);
	k = kit_key_generate(&err);
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 10);
	resign(ts, &k, 1);
	save_json(path, ts);
	json_decref(ts);
	expect_refused(&f, "threshold 1");
	kit_key_free(k);

	/* the right file under the wrong role: a snapshot as timestamp */
	{
		char snap[256];

		mpath(snap, sizeof(snap), &f, "2.snapshot.json");
		copy_file(snap, path);
		expect_refused(&f, "expected \"timestamp\"");
	}
	fx_teardown(&f);
}

static void
test_threshold(void **state)
{
	struct kit_tuf_repo_config cfg;
	struct kit_key *k[2];
	struct fx f;
	char path[256];
	json_t *ts, *sigs;

	(void)state;
	kit_tuf_repo_config_default(&cfg);
	cfg.role[KIT_TUF_TIMESTAMP].keys = 2;
	cfg.role[KIT_TUF_TIMESTAMP].threshold = 2;
	fx_setup_cfg(&f, &cfg);
	k[0] = load_key(&f, "timestamp-1.pem");
	k[1] = load_key(&f, "timestamp-2.pem");
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 10);
	resign(ts, k, 1);
	/* the same signature twice: refused (a key id is unique in
	 * "signatures"; kit_tuf_verify alone would count it once) */
	sigs = json_object_get(ts, "signatures");
	json_array_append(sigs, json_array_get(sigs, 0));
	save_json(path, ts);
	expect_refused(&f, "two signatures by key id");
	json_array_remove(sigs, 1);
	save_json(path, ts);
	expect_refused(&f, "1 valid signature by timestamp keys, threshold 2");
	/* both keys: accepted */
	resign(ts, k, 2);
	save_json(path, ts);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TIMESTAMP), 10);
	json_decref(ts);
	kit_key_free(k[0]);
	kit_key_free(k[1]);
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* rollback                                                            */
/* ------------------------------------------------------------------ */

static void
test_rollback_timestamp(void **state)
{
	struct kit_tuf_repo *r;
	struct fx f;
	char path[256], old[256], newer[256];
	int64_t offered = 0, trusted = 0;

	(void)state;
	fx_setup(&f);
	mpath(path, sizeof(path), &f, "timestamp.json");
	snprintf(old, sizeof(old), "%s/old-timestamp.json", f.work);
	copy_file(path, old);
	r = open_unlocked(&f);
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_timestamp_versions(f.c, &offered,
							   &trusted),
			 0);
	assert_true(offered > trusted);
	snprintf(newer, sizeof(newer), "%s/new-timestamp.json", f.work);
	copy_file(path, newer);
	copy_file(old, path); /* a mirror serves the old, validly signed file */
	expect_refused(&f, "older than the trusted version");
	/* the caller can tell an old copy from other refusals */
	assert_int_equal(kit_tuf_client_timestamp_versions(f.c, &offered,
							   &trusted),
			 1);
	assert_true(offered < trusted);
	/* the same, unchanged: not newer either, and no failure */
	copy_file(newer, path);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_timestamp_versions(f.c, &offered,
							   &trusted),
			 1);
	assert_true(offered == trusted && offered > 0);
	/* one that does not verify is no older copy: it tells nothing */
	{
		json_t *ts = load_json(path);

		set_version(ts, 1);
		save_json(path, ts);
		json_decref(ts);
	}
	expect_refused(&f, "0 valid signatures");
	assert_int_equal(kit_tuf_client_timestamp_versions(f.c, &offered,
							   NULL),
			 0);
	assert_true(offered == 0);
	fx_teardown(&f);
}

/* A copy for removable media: its own snapshot and timestamp with the
 * long expiry, the live repository re-signed above them. */
static void
test_sign_copy(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_repo *r;
	struct kit_tuf_copy copy;
	struct fx f;
	json_t *ts, *root;
	int64_t v0, s0, version = 0, expires = 0, now = kit_time_now();
	char path[256], name[64];

	(void)state;
	fx_setup(&f);
	r = open_unlocked(&f);
	v0 = kit_tuf_repo_version(r, KIT_TUF_TIMESTAMP);
	s0 = kit_tuf_repo_version(r, KIT_TUF_SNAPSHOT);
	if (kit_tuf_repo_sign_copy(r, 30 * 86400, &copy, &err) != 0)
		fail_msg("sign copy: %s", err.msg);
	snprintf(name, sizeof(name), "%lld.snapshot.json", (long long)s0 + 1);
	assert_string_equal(copy.snapshot_name, name);
	/* nothing was written to the repository */
	mpath(path, sizeof(path), &f, name);
	assert_false(kit_file_exists(path));
	ts = kit_tuf_parse(copy.timestamp, copy.timestamp_len, "copy", &err);
	assert_non_null(ts);
	assert_int_equal(kit_tuf_check(ts, KIT_TUF_TIMESTAMP, "copy", &version,
				       &expires, &err),
			 0);
	assert_int_equal(version, v0 + 1);
	assert_true(expires >= now + 30 * 86400 && expires < now + 30 * 86400 + 60);
	assert_int_equal(copy.timestamp_expires, expires);
	mpath(path, sizeof(path), &f, "root.json");
	root = load_json(path);
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TIMESTAMP, ts, "copy", &err), 0);
	/* the live repository goes above the copy, with its usual expiry */
	commit(r);
	assert_int_equal(kit_tuf_repo_version(r, KIT_TUF_TIMESTAMP), v0 + 2);
	assert_int_equal(kit_tuf_repo_version(r, KIT_TUF_SNAPSHOT), s0 + 2);
	assert_true(kit_tuf_repo_expires(r, KIT_TUF_TIMESTAMP) <= now + 86400 + 60);
	mpath(path, sizeof(path), &f, name);
	assert_false(kit_file_exists(path));
	client_update_ok(&f);
	json_decref(ts);
	json_decref(root);
	kit_tuf_copy_free(&copy);
	kit_tuf_repo_free(r);
	fx_teardown(&f);
}

/* A compromised timestamp key points at an older snapshot. */
static void
test_rollback_snapshot(void **state)
{
	struct kit_tuf_repo *r;
	struct kit_key *k;
	struct fx f;
	char path[256], snap1[256], served[256], good[256];
	json_t *ts, *entry;
	unsigned char *b = NULL;
	size_t len = 0;
	struct kit_error err = {0};
	char hex[KIT_SHA256_HEX];

	(void)state;
	fx_setup(&f);
	r = open_unlocked(&f);
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f); /* trusts snapshot 3 */
	k = load_key(&f, "timestamp-1.pem");
	mpath(path, sizeof(path), &f, "timestamp.json");
	snprintf(good, sizeof(good), "%s/good-timestamp.json", f.work);
	copy_file(path, good);
	ts = load_json(path);
	set_version(ts, 50);
	entry = json_object_get(json_object_get(json_object_get(ts, "signed"),
						"meta"),
				"snapshot.json");
	mpath(snap1, sizeof(snap1), &f, "2.snapshot.json");
	assert_int_equal(kit_file_read(snap1, 1 << 20, &b, &len, &err), 0);
	kit_sha256_hex(b, len, hex);
	free(b);
	json_object_set_new(entry, "version", json_integer(2));
	json_object_set_new(entry, "length", json_integer((json_int_t)len));
	json_object_set_new(entry, "hashes", json_pack("{s:s}", "sha256", hex));
	resign(ts, &k, 1);
	save_json(path, ts);
	expect_refused(&f, "snapshot version 2 is older than the trusted 3");

	/* an older snapshot served under the newer name: mix-and-match
	 * (the new timestamp is genuine and becomes trusted; the snapshot
	 * is refused and the trusted one kept) */
	copy_file(good, path);
	r = open_unlocked(&f);
	commit(r); /* snapshot 4, timestamp 4 */
	kit_tuf_repo_free(r);
	mpath(served, sizeof(served), &f, "4.snapshot.json");
	copy_file(snap1, served);
	expect_refused_mask(&f, "mix-and-match", ROOT_ST | SNAPSHOT_ST | TARGETS_ST);
	json_decref(ts);
	kit_key_free(k);
	fx_teardown(&f);
}

/* A snapshot (signed with the real snapshot key) that lists an older
 * targets version than the trusted snapshot. */
static void
test_rollback_targets(void **state)
{
	struct kit_key *ks, *kt;
	struct kit_error err = {0};
	struct fx f;
	char path[256], hex[KIT_SHA256_HEX];
	json_t *snap, *ts, *e;
	unsigned char *b = NULL;
	size_t len = 0;

	(void)state;
	fx_setup(&f);
	publish_version_two(&f); /* targets 3, snapshot 3 */
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TARGETS), 3);
	ks = load_key(&f, "snapshot-1.pem");
	kt = load_key(&f, "timestamp-1.pem");
	/* snapshot 9 listing targets 2 (which exists, validly signed) */
	mpath(path, sizeof(path), &f, "3.snapshot.json");
	snap = load_json(path);
	set_version(snap, 9);
	mpath(path, sizeof(path), &f, "2.targets.json");
	assert_int_equal(kit_file_read(path, 1 << 20, &b, &len, &err), 0);
	kit_sha256_hex(b, len, hex);
	free(b);
	e = json_object_get(json_object_get(json_object_get(snap, "signed"), "meta"),
			    "targets.json");
	json_object_set_new(e, "version", json_integer(2));
	json_object_set_new(e, "length", json_integer((json_int_t)len));
	json_object_set_new(e, "hashes", json_pack("{s:s}", "sha256", hex));
	resign(snap, &ks, 1);
	mpath(path, sizeof(path), &f, "9.snapshot.json");
	save_json(path, snap);
	assert_int_equal(kit_file_read(path, 1 << 20, &b, &len, &err), 0);
	kit_sha256_hex(b, len, hex);
	free(b);
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 9);
	e = json_object_get(json_object_get(json_object_get(ts, "signed"), "meta"),
			    "snapshot.json");
	json_object_set_new(e, "version", json_integer(9));
	json_object_set_new(e, "length", json_integer((json_int_t)len));
	json_object_set_new(e, "hashes", json_pack("{s:s}", "sha256", hex));
	resign(ts, &kt, 1);
	save_json(path, ts);
	/* the timestamp (real key) is accepted; the snapshot is refused */
	expect_refused_mask(&f, "lists targets.json version 2, older than the trusted 3",
			    ROOT_ST | SNAPSHOT_ST | TARGETS_ST);
	json_decref(snap);
	json_decref(ts);
	kit_key_free(ks);
	kit_key_free(kt);
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* indefinite freeze                                                   */
/* ------------------------------------------------------------------ */

static void
freeze_case(int role, int64_t short_expiry)
{
	struct kit_tuf_repo_config cfg;
	struct fx f;
	int i;

	kit_tuf_repo_config_default(&cfg);
	for (i = 0; i < KIT_TUF_NROLES; i++)
		cfg.role[i].expires = 400 * 86400;
	cfg.role[role].expires = short_expiry;
	fx_setup_cfg(&f, &cfg);
	set_clock(short_expiry + 3600);
	expect_refused(&f, "the clock of this machine may be wrong");
	{
		struct kit_error err = {0};

		save_state(&f);
		assert_int_equal(kit_tuf_client_update(f.c, &err), -1);
		assert_non_null(strstr(err.msg, kit_tuf_role_name((enum kit_tuf_role)role)));
		assert_non_null(strstr(err.msg, "expired at"));
	}
	unsetenv("KIT_TEST_NOW");
	client_update_ok(&f);
	fx_teardown(&f);
}

static void
test_expired(void **state)
{
	(void)state;
	freeze_case(KIT_TUF_TIMESTAMP, 86400);
	freeze_case(KIT_TUF_SNAPSHOT, 2 * 86400);
	freeze_case(KIT_TUF_TARGETS, 3 * 86400);
	freeze_case(KIT_TUF_ROOT, 4 * 86400);
}

/* ------------------------------------------------------------------ */
/* endless data                                                        */
/* ------------------------------------------------------------------ */

static void
test_endless_data(void **state)
{
	struct kit_tuf_repo *r;
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct fx f;
	char path[256], dest[256], big[256];
	FILE *fp;
	json_t *ts;
	char *s;
	size_t i;

	(void)state;
	fx_setup(&f);
	/* a timestamp padded beyond 16 KiB, from a transport that ignores
	 * the cap */
	r = open_unlocked(&f);
	commit(r);
	kit_tuf_repo_free(r);
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	s = json_dumps(ts, 0);
	json_decref(ts);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(s, fp);
	for (i = 0; i < KIT_TUF_MAX_TIMESTAMP_LEN; i++)
		fputc(' ', fp);
	fclose(fp);
	free(s);
	f.srv.ignore_max = 1;
	expect_refused(&f, "endless data");
	f.srv.ignore_max = 0;
	expect_refused(&f, "more than"); /* the callback's own refusal */

	/* a target longer than its signed length */
	r = open_unlocked(&f);
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	snprintf(big, sizeof(big), "%s/targets/together-2016/%s.global.tar.zst",
		 f.repo, t.sha256);
	fp = fopen(big, "a");
	assert_non_null(fp);
	fputs("and then some more bytes", fp);
	fclose(fp);
	snprintf(dest, sizeof(dest), "%s/global.tar.zst", f.dl);
	f.srv.ignore_max = 1;
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "endless data"));
	assert_false(kit_file_exists(dest));
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* mix-and-match, target hash                                          */
/* ------------------------------------------------------------------ */

static void
test_mix_and_match(void **state)
{
	struct kit_tuf_repo *r;
	struct fx f;
	char path[256], old[256];

	(void)state;
	fx_setup(&f);
	r = open_unlocked(&f);
	add_target(r, &f, "together-2016/be.tar.zst", "belgium\n", 1);
	commit(r); /* targets 3 */
	kit_tuf_repo_free(r);
	/* a mirror serves 2.targets.json under the name 3.targets.json */
	mpath(path, sizeof(path), &f, "3.targets.json");
	mpath(old, sizeof(old), &f, "2.targets.json");
	snprintf(f.srv.ov[0].rel, sizeof(f.srv.ov[0].rel), "metadata/3.targets.json");
	snprintf(f.srv.ov[0].src, sizeof(f.srv.ov[0].src), "%s", old);
	f.srv.nov = 1;
	/* the new timestamp and snapshot are genuine and trusted; the
	 * targets file is refused and the trusted one kept */
	expect_refused_mask(&f, "mix-and-match", ROOT_ST | TARGETS_ST);
	f.srv.nov = 0;
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_target_count(f.c), 2);
	fx_teardown(&f);
}

static void
test_target_hash_mismatch(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct fx f;
	char path[512], dest[256];

	(void)state;
	fx_setup(&f);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	snprintf(path, sizeof(path), "%s/targets/together-2016/%s.global.tar.zst",
		 f.repo, t.sha256);
	write_text(path, "kit version ONE\n"); /* same length, other bytes */
	snprintf(dest, sizeof(dest), "%s/global.tar.zst", f.dl);
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "SHA-256"));
	assert_false(kit_file_exists(dest));
	/* shorter: length mismatch */
	memset(&err, 0, sizeof(err));
	write_text(path, "short\n");
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_false(kit_file_exists(dest));
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* root rotation and key compromise                                    */
/* ------------------------------------------------------------------ */

static void
test_root_rotation(void **state)
{
	struct kit_tuf_repo *r;
	struct kit_error err = {0};
	struct fx f;
	char path[256];

	(void)state;
	fx_setup(&f);
	/* rotate the root keys with the old key unlocked: both sign */
	r = open_unlocked(&f);
	assert_int_equal(kit_tuf_repo_rotate(r, KIT_TUF_ROOT, 1, 1, PASS, &err), 0);
	mpath(path, sizeof(path), &f, "pending.root.json");
	assert_true(kit_file_exists(path));
	if (kit_tuf_repo_publish_root(r, &err) < 0)
		fail_msg("publish: %s", err.msg);
	assert_false(kit_file_exists(path));
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);

	/* a root signed only by new keys, without the old threshold */
	r = kit_tuf_repo_open(f.repo, f.keys, &err);
	assert_non_null(r);
	assert_int_equal(kit_tuf_repo_rotate(r, KIT_TUF_ROOT, 1, 1, PASS, &err), 0);
	assert_int_equal(kit_tuf_repo_publish_root(r, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "threshold of the current root"));
	kit_tuf_repo_free(r);
	/* an attacker publishes it anyway */
	{
		char pending[256];

		mpath(pending, sizeof(pending), &f, "pending.root.json");
		mpath(path, sizeof(path), &f, "3.root.json");
		copy_file(pending, path);
	}
	expect_refused(&f, "not signed by the threshold of the trusted root version 2");
	/* a root 3 that claims another version */
	{
		struct kit_key *k[2];
		json_t *j = load_json(path);

		k[0] = load_key(&f, "root-2.pem"); /* root v2's key */
		k[1] = load_key(&f, "root-3.pem"); /* the pending root's key */
		set_version(j, 4);
		resign(j, k, 2);
		save_json(path, j);
		json_decref(j);
		kit_key_free(k[0]);
		kit_key_free(k[1]);
		expect_refused(&f, "expected 3");
	}
	fx_teardown(&f);
}

static void
test_root_multi_signers(void **state)
{
	struct kit_tuf_repo_config cfg;
	struct kit_tuf_repo *r;
	struct kit_error err = {0};
	struct kit_key *k1, *k2;
	struct fx f;
	int i;

	(void)state;
	kit_tuf_repo_config_default(&cfg);
	cfg.role[KIT_TUF_ROOT].keys = 2;
	cfg.role[KIT_TUF_ROOT].threshold = 2;
	fx_setup_cfg(&f, &cfg);
	k1 = load_key(&f, "root-1.pem");
	k2 = load_key(&f, "root-2.pem");
	/* the first key holder: only her key */
	r = kit_tuf_repo_open(f.repo, f.keys, &err);
	assert_non_null(r);
	assert_int_equal(kit_tuf_repo_add_key(r, KIT_TUF_ROOT, k1, &err), 0);
	assert_int_equal(kit_tuf_repo_rotate(r, KIT_TUF_TARGETS, 2, 2, PASS, &err), 0);
	assert_int_equal(kit_tuf_repo_publish_root(r, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "1 valid signature by root keys, threshold 2"));
	kit_tuf_repo_free(r);
	/* the second key holder signs the pending root, then publishes */
	memset(&err, 0, sizeof(err));
	r = kit_tuf_repo_open(f.repo, f.keys, &err);
	assert_non_null(r);
	assert_int_equal(kit_tuf_repo_sign_root(r, k2, &err), 0);
	if (kit_tuf_repo_publish_root(r, &err) < 0)
		fail_msg("publish: %s", err.msg);
	for (i = 1; i < KIT_TUF_NROLES; i++)
		assert_true(kit_tuf_repo_unlock(r, (enum kit_tuf_role)i, PASS, &err) >= 0);
	commit(r); /* re-signs targets with the two new keys */
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TARGETS), 3);
	/* a key that is no root key cannot sign a root */
	{
		struct kit_key *kx = kit_key_generate(&err);

		r = kit_tuf_repo_open(f.repo, f.keys, &err);
		assert_non_null(r);
		assert_int_equal(kit_tuf_repo_rotate(r, KIT_TUF_SNAPSHOT, 1, 1, PASS,
						     &err),
				 0);
		assert_int_equal(kit_tuf_repo_sign_root(r, kx, &err), -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		kit_tuf_repo_free(r);
		kit_key_free(kx);
	}
	kit_key_free(k1);
	kit_key_free(k2);
	fx_teardown(&f);
}

/*
 * The timestamp key leaks: the attacker fast-forwards the client to
 * timestamp version 1000.  The publisher rotates the timestamp key; the
 * client recovers (fast-forward recovery) and the old key is worthless.
 */
static void
test_compromised_timestamp_key(void **state)
{
	struct kit_tuf_repo *r;
	struct kit_error err = {0};
	struct kit_key *old;
	struct fx f;
	char path[256];
	json_t *ts;

	(void)state;
	fx_setup(&f);
	old = load_key(&f, "timestamp-1.pem");
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 1000);
	resign(ts, &old, 1);
	/* the attacker serves it from a mirror */
	snprintf(path, sizeof(path), "%s/evil-timestamp.json", f.work);
	save_json(path, ts);
	snprintf(f.srv.ov[0].rel, sizeof(f.srv.ov[0].rel), "metadata/timestamp.json");
	snprintf(f.srv.ov[0].src, sizeof(f.srv.ov[0].src), "%s", path);
	f.srv.nov = 1;
	client_update_ok(&f);
	f.srv.nov = 0;
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TIMESTAMP), 1000);

	r = open_unlocked(&f);
	assert_int_equal(kit_tuf_repo_rotate(r, KIT_TUF_TIMESTAMP, 1, 1, PASS, &err), 0);
	if (kit_tuf_repo_publish_root(r, &err) < 0)
		fail_msg("publish: %s", err.msg);
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f); /* the trusted timestamp 1000 was dropped */
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	assert_true(kit_tuf_client_version(f.c, KIT_TUF_TIMESTAMP) < 1000);

	set_version(ts, 2000);
	resign(ts, &old, 1);
	save_json(path, ts);
	f.srv.nov = 1;
	expect_refused(&f, "0 valid signatures by timestamp keys");
	json_decref(ts);
	kit_key_free(old);
	fx_teardown(&f);
}

/* A repository without consistent snapshots (as other TUF tools may
 * write): plain snapshot.json, targets.json and targets/<name>. */
static void
test_not_consistent(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct kit_key *k;
	struct fx f;
	char path[256], src[512], dest[256];
	json_t *j;

	(void)state;
	fx_setup(&f);
	k = load_key(&f, "root-1.pem");
	mpath(path, sizeof(path), &f, "1.root.json");
	j = load_json(path);
	set_version(j, 2);
	json_object_set_new(json_object_get(j, "signed"), "consistent_snapshot",
			    json_false());
	resign(j, &k, 1);
	mpath(path, sizeof(path), &f, "2.root.json");
	save_json(path, j);
	json_decref(j);
	kit_key_free(k);
	mpath(src, sizeof(src), &f, "2.snapshot.json");
	mpath(path, sizeof(path), &f, "snapshot.json");
	copy_file(src, path);
	mpath(src, sizeof(src), &f, "2.targets.json");
	mpath(path, sizeof(path), &f, "targets.json");
	copy_file(src, path);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	snprintf(src, sizeof(src), "%s/targets/together-2016/%s.global.tar.zst",
		 f.repo, t.sha256);
	snprintf(path, sizeof(path), "%s/targets/together-2016/global.tar.zst", f.repo);
	copy_file(src, path);
	/* drop the trusted snapshot and targets so they are fetched again */
	snprintf(path, sizeof(path), "%s/snapshot.json", f.state);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/targets.json", f.state);
	assert_int_equal(unlink(path), 0);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	assert_string_equal(f.srv.last[3], "metadata/snapshot.json");
	assert_string_equal(f.srv.last[4], "metadata/targets.json");
	snprintf(dest, sizeof(dest), "%s/g", f.dl);
	f.srv.nreq = 0;
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "together-2016/global.tar.zst",
						     dest, &err),
			 0);
	assert_string_equal(f.srv.last[0], "targets/together-2016/global.tar.zst");
	fx_teardown(&f);
}

static void
test_pin_root(void **state)
{
	struct kit_error err = {0};
	struct fx f;
	char path[256], bad[256];
	json_t *j;

	(void)state;
	fx_setup(&f);
	mpath(path, sizeof(path), &f, "1.root.json");
	assert_int_equal(kit_tuf_client_pin_root(f.state, path, 0, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	/* a root whose signature does not match its content */
	j = load_json(path);
	json_object_set_new(json_object_get(j, "signed"), "consistent_snapshot",
			    json_false());
	snprintf(bad, sizeof(bad), "%s/bad-root.json", f.work);
	save_json(bad, j);
	json_decref(j);
	memset(&err, 0, sizeof(err));
	save_state(&f);
	assert_int_equal(kit_tuf_client_pin_root(f.state, bad, 1, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_state_unchanged(&f);
	fx_teardown(&f);
}

/*
 * A next root that does not parse or has the wrong shape (a captive
 * portal's HTML page served for 2.root.json, say) is refused cleanly, every
 * time, with the trusted files untouched (it used to be freed twice).
 */
static void
test_malformed_next_root(void **state)
{
	static const char *const bodies[] = {
		"<!DOCTYPE html><html><body>Please log in</body></html>\n",
		"{\"signed\": {}, \"signatures\": []}",
		"[1, 2, 3]",
		"",
	};
	struct fx f;
	char path[256];
	size_t i;

	(void)state;
	fx_setup(&f);
	mpath(path, sizeof(path), &f, "2.root.json");
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		write_text(path, bodies[i]);
		expect_refused(&f, "root metadata 2.root.json");
		/* and again: nothing of the first refusal is left behind */
		expect_refused(&f, "root metadata 2.root.json");
	}
	fx_teardown(&f);
}

/*
 * A hash from metadata may become part of a file name: a holder of the
 * targets key who signs "../../x" (64 characters, like a SHA-256) or any
 * hash not exactly in lower-case hex is refused with the whole targets
 * metadata, and the trusted targets stay.
 */
static void
test_target_hash_format(void **state)
{
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct set_hashes a;
	struct fx f;
	char dots[65], upper[KIT_SHA256_HEX], h256[KIT_SHA256_HEX];
	char h512[KIT_SHA512_HEX];
	size_t i;

	(void)state;
	fx_setup(&f);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	snprintf(h256, sizeof(h256), "%s", t.sha256); /* t lives until the next update */
	for (i = 0; i < 21; i++)
		memcpy(dots + 3 * i, "../", 3);
	snprintf(dots + 63, 2, "x");
	for (i = 0; i < 64; i++)
		upper[i] = (char)(h256[i] >= 'a' ? h256[i] - 32 : h256[i]);
	upper[64] = '\0';
	kit_sha512_hex("kit version one\n", 16, h512);
	a.name = "together-2016/global.tar.zst";

	a.hashes = json_pack("{s:s}", "sha256", dots);
	evil_publish(&f, edit_hashes, &a);
	expect_refused_mask(&f, "sha256 is not 64 lower-case hex digits",
			    ROOT_ST | TARGETS_ST);
	a.hashes = json_pack("{s:s}", "sha256", upper);
	evil_publish(&f, edit_hashes, &a);
	expect_refused_mask(&f, "sha256 is not 64 lower-case hex digits",
			    ROOT_ST | TARGETS_ST);
	h512[127] = '\0'; /* one digit short */
	a.hashes = json_pack("{s:s, s:s}", "sha256", h256, "sha512", h512);
	evil_publish(&f, edit_hashes, &a);
	expect_refused_mask(&f, "sha512 is not 128 lower-case hex digits",
			    ROOT_ST | TARGETS_ST);
	fx_teardown(&f);
}

/* The one rule for names from metadata, and role names as file names. */
static void
test_name_rule(void **state)
{
	static const char *const safe[] = {
		"a",
		"together-2016/global.tar.zst",
		"nonexistent target",
		"?",
		"path/to/a/target_file.txt",
		"..x",
		"x..",
	};
	static const char *const unsafe[] = {
		"",
		"/etc/passwd",
		"../x",
		"a/../b",
		"a//b",
		"a/",
		"./a",
		".",
		"..",
		"a\\b",
		"a\nb",
		"a\tb",
		"together-2016/..",
	};
	static const struct {
		const char *role, *file;
	} roles[] = {
		{"targets", "targets"},
		{"?", "%3F"},
		{"#", "%23"},
		{"/delegatedrole", "%2Fdelegatedrole"},
		{"../delegatedrole", "..%2Fdelegatedrole"},
		{"a b", "a%20b"},
		{"\xc3\xbc~_.-", "%C3%BC~_.-"},
	};
	static const char *const badroles[] = {"", ".", ".."};
	struct kit_error err = {0};
	char big[KIT_TUF_MAX_NAME + 8], out[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		assert_true(kit_tuf_name_is_safe(safe[i]));
	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		if (kit_tuf_name_is_safe(unsafe[i]))
			fail_msg("\"%s\" passed as safe", unsafe[i]);
	assert_false(kit_tuf_name_is_safe(NULL));
	/* one component too long, then the whole name too long */
	memset(big, 'a', KIT_TUF_MAX_NAME_PART + 1);
	big[KIT_TUF_MAX_NAME_PART] = '\0';
	assert_true(kit_tuf_name_is_safe(big));
	big[KIT_TUF_MAX_NAME_PART] = 'a';
	big[KIT_TUF_MAX_NAME_PART + 1] = '\0';
	assert_false(kit_tuf_name_is_safe(big));
	for (i = 0; i < KIT_TUF_MAX_NAME + 1; i++)
		big[i] = (i % 100 == 99) ? '/' : 'a';
	big[KIT_TUF_MAX_NAME] = '\0';
	assert_true(kit_tuf_name_is_safe(big));
	big[KIT_TUF_MAX_NAME] = 'a';
	big[KIT_TUF_MAX_NAME + 1] = '\0';
	assert_false(kit_tuf_name_is_safe(big));

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		assert_int_equal(kit_tuf_role_filename(roles[i].role, out,
						       sizeof(out), &err),
				 0);
		assert_string_equal(out, roles[i].file);
	}
	for (i = 0; i < sizeof(badroles) / sizeof(badroles[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_tuf_role_filename(badroles[i], out,
						       sizeof(out), &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_role_filename("////", out, 10, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_role_filename("", out, 0, &err), -1);
	assert_int_equal(kit_tuf_role_filename(NULL, out, sizeof(out), &err), -1);
}

/*
 * A target name from metadata that is not a safe relative path is listed
 * (the metadata is signed) but refused when it is fetched, before any
 * request or file is made from it.
 */
static void
test_unsafe_target_name(void **state)
{
	static const char *const names[] = {
		"../../x",
		"/tmp/x",
		"together-2016/../../x",
		"a//b",
	};
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct set_hashes a;
	struct fx f;
	char dest[256], h256[KIT_SHA256_HEX];
	size_t i;
	int n;

	(void)state;
	fx_setup(&f);
	assert_int_equal(kit_tuf_client_target_get(f.c, "together-2016/global.tar.zst",
						   &t, &err),
			 0);
	snprintf(h256, sizeof(h256), "%s", t.sha256);
	snprintf(dest, sizeof(dest), "%s/x", f.dl);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		a.name = names[i];
		a.hashes = json_pack("{s:s}", "sha256", h256);
		evil_publish(&f, edit_hashes, &a);
		client_update_ok(&f);
		n = f.srv.nreq;
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_tuf_client_fetch_target(f.c, names[i], dest,
							     &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		assert_non_null(strstr(err.msg, "not a safe relative path"));
		assert_int_equal(f.srv.nreq, n);
		assert_false(kit_file_exists(dest));
		/* the other targets stay usable */
		assert_int_equal(kit_tuf_client_fetch_target(
					 f.c, "together-2016/global.tar.zst", dest, &err),
				 0);
		assert_int_equal(unlink(dest), 0);
	}
	fx_teardown(&f);
}

/*
 * Targets with only a sha512, with both, or with no hash this client
 * computes: the metadata is accepted, each target is checked with what it
 * lists, and only the one that lists nothing usable is refused.
 */
static void
test_target_hash_algorithms(void **state)
{
	const char *content = "kit version one\n";
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct set_hashes a;
	struct fx f;
	char h256[KIT_SHA256_HEX], h512[KIT_SHA512_HEX], bad512[KIT_SHA512_HEX];
	char path[512], dest[256];

	(void)state;
	fx_setup(&f);
	kit_sha256_hex(content, 16, h256);
	kit_sha512_hex(content, 16, h512);
	snprintf(bad512, sizeof(bad512), "%s", h512);
	bad512[0] = bad512[0] == '0' ? '1' : '0';
	/* the file of the sha512-only target, where a consistent
	 * repository keeps it */
	snprintf(path, sizeof(path), "%s/targets/other/%s.only512.bin", f.repo, h512);
	assert_int_equal(kit_mkdir_p(path, 0755, &err), 0);
	assert_int_equal(rmdir(path), 0);
	write_text(path, content);
	snprintf(path, sizeof(path), "%s/targets/other/%s.wrong512.bin", f.repo, h256);
	write_text(path, content);
	a.name = "other/only512.bin";
	a.hashes = json_pack("{s:s}", "sha512", h512);
	evil_publish(&f, edit_hashes, &a);
	a.name = "other/unknown.bin";
	a.hashes = json_pack("{s:s, s:s}", "md5", "whatever", "blake3", h256);
	evil_publish(&f, edit_hashes, &a);
	a.name = "other/wrong512.bin";
	a.hashes = json_pack("{s:s, s:s}", "sha256", h256, "sha512", bad512);
	evil_publish(&f, edit_hashes, &a);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_target_count(f.c), 4);
	assert_int_equal(kit_tuf_client_target_get(f.c, "other/only512.bin", &t,
						   &err),
			 0);
	assert_null(t.sha256);
	assert_string_equal(t.sha512, h512);

	snprintf(dest, sizeof(dest), "%s/x", f.dl);
	if (kit_tuf_client_fetch_target(f.c, "other/only512.bin", dest, &err) < 0)
		fail_msg("sha512-only target: %s", err.msg);
	assert_int_equal(unlink(dest), 0);
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "other/unknown.bin",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "neither a sha256 nor a sha512"));
	assert_false(kit_file_exists(dest));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_client_fetch_target(f.c, "other/wrong512.bin",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "SHA-512"));
	assert_false(kit_file_exists(dest));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_client_fetch_target(
				 f.c, "together-2016/global.tar.zst", dest, &err),
			 0);
	fx_teardown(&f);
}

static int
tuf_keyid_of_json_for_test(const json_t *key, char *keyid)
{
	struct kit_error err = {0};
	struct kit_buf b;

	kit_buf_init(&b, 64 * 1024);
	if (kit_tuf_canonical(key, &b, &err) < 0)
		return -1;
	kit_sha256_hex(b.data, b.len, keyid);
	kit_buf_free(&b);
	return 0;
}

static void
upper_hex(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'f' ? in[i] - 32 : in[i]);
	out[i] = '\0';
}

/*
 * One key listed twice does not meet a threshold of two: under a second
 * key id that is the first in upper case, or as a second key object whose
 * public value is the same key in upper-case hex.  Two distinct keys do,
 * even under a key id that is not the hash of the key (as tuf-on-ci and
 * the Sigstore root write them).
 */
static void
test_one_key_twice(void **state)
{
	struct kit_error err = {0};
	struct kit_key *k1, *k2;
	char id1[KIT_SHA256_HEX], ID1[KIT_SHA256_HEX], pubhex[65], PUB[65];
	char id3[KIT_SHA256_HEX];
	json_t *root, *meta, *sigs, *kj3, *s1;

	(void)state;
	k1 = kit_key_generate(&err);
	k2 = kit_key_generate(&err);
	assert_non_null(k1);
	assert_non_null(k2);
	assert_int_equal(kit_tuf_keyid(k1, id1, &err), 0);
	upper_hex(id1, ID1, sizeof(ID1));
	kit_key_public_hex(k1, pubhex);
	upper_hex(pubhex, PUB, sizeof(PUB));
	kj3 = json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme",
			"ed25519", "keyval", "public", PUB);
	assert_int_equal(tuf_keyid_of_json_for_test(kj3, id3), 0);

	/* (a) the same key object under id1 and ID1 */
	root = json_pack("{s:{s:{s:o, s:o}, s:{s:{s:[s,s], s:i}}}}", "signed",
			 "keys", id1, kit_tuf_key_json(k1), ID1,
			 kit_tuf_key_json(k1), "roles", "timestamp", "keyids",
			 id1, ID1, "threshold", 2);
	meta = json_pack("{s:{s:s, s:i}}", "signed", "_type", "timestamp",
			 "version", 1);
	assert_int_equal(kit_tuf_sign(meta, k1, &err), 0);
	sigs = json_object_get(meta, "signatures");
	s1 = json_deep_copy(json_array_get(sigs, 0));
	json_object_set_new(s1, "keyid", json_string(ID1));
	json_array_append_new(sigs, s1);
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TIMESTAMP, meta, "t", &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "1 valid signature by timestamp keys, threshold 2"));
	json_decref(root);

	/* (b) a second key object: the same key in upper-case hex */
	root = json_pack("{s:{s:{s:o, s:O}, s:{s:{s:[s,s], s:i}}}}", "signed",
			 "keys", id1, kit_tuf_key_json(k1), id3, kj3, "roles",
			 "timestamp", "keyids", id1, id3, "threshold", 2);
	json_object_set_new(s1, "keyid", json_string(id3));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_verify(root, KIT_TUF_TIMESTAMP, meta, "t", &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "1 valid signature by timestamp keys, threshold 2"));
	json_decref(root);
	json_decref(meta);

	/* (c) two keys, one under a key id that is not its hash: accepted */
	root = json_pack("{s:{s:{s:o, s:o}, s:{s:{s:[s,s], s:i}}}}", "signed",
			 "keys", id1, kit_tuf_key_json(k1), "not-the-hash-of-k2",
			 kit_tuf_key_json(k2), "roles", "timestamp", "keyids",
			 id1, "not-the-hash-of-k2", "threshold", 2);
	meta = json_pack("{s:{s:s, s:i}}", "signed", "_type", "timestamp",
			 "version", 1);
	assert_int_equal(kit_tuf_sign(meta, k1, &err), 0);
	assert_int_equal(kit_tuf_sign(meta, k2, &err), 0);
	sigs = json_object_get(meta, "signatures");
	json_object_set_new(json_array_get(sigs, 1), "keyid",
			    json_string("not-the-hash-of-k2"));
	if (kit_tuf_verify(root, KIT_TUF_TIMESTAMP, meta, "t", &err) < 0)
		fail_msg("two keys: %s", err.msg);
	json_decref(root);
	json_decref(meta);
	json_decref(kj3);
	kit_key_free(k1);
	kit_key_free(k2);
}

/* edit: the timestamp role lists its key a second time, under its key id
 * in upper case, as a key object whose public value is in upper-case hex,
 * with a threshold of 2. */
static void
edit_timestamp_key_twice(json_t *s, void *arg)
{
	json_t *r = json_object_get(json_object_get(s, "roles"), "timestamp");
	const char *id = json_string_value(json_array_get(json_object_get(r, "keyids"), 0));
	json_t *k = json_deep_copy(json_object_get(json_object_get(s, "keys"), id));
	json_t *kv = json_object_get(k, "keyval");
	char ID[KIT_SHA256_HEX], PUB[65];

	(void)arg;
	upper_hex(id, ID, sizeof(ID));
	upper_hex(json_string_value(json_object_get(kv, "public")), PUB, sizeof(PUB));
	json_object_set_new(kv, "public", json_string(PUB));
	json_object_set_new(json_object_get(s, "keys"), ID, k);
	json_array_append_new(json_object_get(r, "keyids"), json_string(ID));
	json_object_set_new(r, "threshold", json_integer(2));
}

/* The same through the client: a root that lists the timestamp key twice
 * with threshold 2, and a timestamp carrying its one signature under both
 * key ids, is refused. */
static void
test_one_key_twice_client(void **state)
{
	struct kit_key *kt;
	struct fx f;
	char path[256], ID[KIT_SHA256_HEX];
	json_t *ts, *sigs, *s1;

	(void)state;
	fx_setup(&f);
	publish_root(&f, 1, edit_timestamp_key_twice, NULL);
	kt = load_key(&f, "timestamp-1.pem");
	mpath(path, sizeof(path), &f, "timestamp.json");
	ts = load_json(path);
	set_version(ts, 5);
	resign(ts, &kt, 1);
	sigs = json_object_get(ts, "signatures");
	s1 = json_deep_copy(json_array_get(sigs, 0));
	upper_hex(json_string_value(json_object_get(s1, "keyid")), ID, sizeof(ID));
	json_object_set_new(s1, "keyid", json_string(ID));
	json_array_append_new(sigs, s1);
	save_json(path, ts);
	json_decref(ts);
	kit_key_free(kt);
	/* root 2 is trusted (it is genuine; its new timestamp role drops the
	 * trusted timestamp, as fast-forward recovery does); the timestamp
	 * is not */
	expect_refused_mask(&f, "1 valid signature by timestamp keys, threshold 2",
			    SNAPSHOT_ST | TARGETS_ST);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TIMESTAMP), 0);
	fx_teardown(&f);
}

/* A pinned root of the highest version: no successor is asked for (the
 * version + 1 of the chain walk used to overflow into
 * "-9223372036854775808.root.json"), and the update goes on. */
static void
test_root_version_max(void **state)
{
	struct kit_error err = {0};
	struct fx f;
	char path[256], pinned[256];
	json_t *root;
	int i;

	(void)state;
	fx_setup(&f);
	root = repo_meta(&f, "root", 1, path, 1);
	snprintf(pinned, sizeof(pinned), "%s/max.root.json", f.work);
	sign_save(&f, root, INT64_MAX, "root-1.pem", pinned);
	json_decref(root);
	if (kit_tuf_client_pin_root(f.state, pinned, 1, &err) < 0)
		fail_msg("pin: %s", err.msg);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), INT64_MAX);
	for (i = 0; i < f.srv.nreq && i < 8; i++)
		assert_null(strstr(f.srv.last[i], "root.json"));
	fx_teardown(&f);
}

/* A key made by the openssl tool, as another TUF tool would publish it. */
struct ossl_key {
	const char *keytype, *scheme, *gen, *sigopt;
	char pem[256]; /* private key file */
	char id[KIT_SHA256_HEX];
	json_t *pub; /* the TUF key object */
};

static void
ossl_key_make(struct fx *f, struct ossl_key *k, const char *name)
{
	struct kit_error err = {0};
	unsigned char *b = NULL;
	char cmd[1024], pub[256];
	size_t len = 0;

	snprintf(k->pem, sizeof(k->pem), "%s/%s.pem", f->work, name);
	snprintf(pub, sizeof(pub), "%s/%s.pub", f->work, name);
	snprintf(cmd, sizeof(cmd), "openssl genpkey %s -out %s 2>/dev/null && "
				   "openssl pkey -in %s -pubout -out %s",
		 k->gen, k->pem, k->pem, pub);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kit_file_read(pub, 1 << 16, &b, &len, &err), 0);
	k->pub = json_pack("{s:s, s:s, s:{s:s}}", "keytype", k->keytype,
			   "scheme", k->scheme, "keyval", "public", (char *)b);
	free(b);
	assert_int_equal(tuf_keyid_of_json_for_test(k->pub, k->id), 0);
}

/* Add k's signature over canonical(meta.signed), made by openssl, or a
 * plausible wrong one (the signature of other bytes) when wrong is set. */
static void
ossl_sign(struct fx *f, json_t *meta, const struct ossl_key *k, int wrong)
{
	struct kit_error err = {0};
	struct kit_buf b;
	unsigned char *sig = NULL;
	char cmd[1024], msg[256], out[256], *hex;
	size_t len = 0;

	kit_buf_init(&b, 1 << 24);
	assert_int_equal(kit_tuf_canonical(json_object_get(meta, "signed"), &b,
					   &err),
			 0);
	if (wrong)
		assert_int_equal(kit_buf_append(&b, " ", 1, &err), 0);
	snprintf(msg, sizeof(msg), "%s/tosign", f->work);
	snprintf(out, sizeof(out), "%s/sig", f->work);
	assert_int_equal(kit_file_write_atomic(msg, b.data, b.len, 0644, &err), 0);
	kit_buf_free(&b);
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 %s -sign %s -out %s %s",
		 k->sigopt, k->pem, out, msg);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kit_file_read(out, 1 << 16, &sig, &len, &err), 0);
	hex = kit_xcalloc(2 * len + 1, 1);
	kit_hex_encode(sig, len, hex);
	json_array_append_new(json_object_get(meta, "signatures"),
			      json_pack("{s:s, s:s}", "keyid", k->id, "sig", hex));
	free(hex);
	free(sig);
}

/* edit: add the keys of arg (NULL-terminated struct ossl_key *[]) to
 * role "root" and raise its threshold by as many. */
static void
edit_add_root_keys(json_t *s, void *arg)
{
	struct ossl_key **k = arg;
	json_t *r = json_object_get(json_object_get(s, "roles"), "root");

	for (; *k != NULL; k++) {
		json_object_set(json_object_get(s, "keys"), (*k)->id, (*k)->pub);
		json_array_append_new(json_object_get(r, "keyids"),
				      json_string((*k)->id));
		json_object_set_new(r, "threshold", json_integer(json_integer_value(json_object_get(r, "threshold")) + 1));
	}
}

/* edit: the timestamp role's one key becomes arg (a struct ossl_key). */
static void
edit_timestamp_key(json_t *s, void *arg)
{
	struct ossl_key *k = arg;
	json_t *r = json_object_get(json_object_get(s, "roles"), "timestamp");

	json_object_set(json_object_get(s, "keys"), k->id, k->pub);
	json_object_set_new(r, "keyids", json_pack("[s]", k->id));
}

/* Sign the newest root again (n) with the kit root key and the openssl
 * keys; bad: the index of the key in ks whose signature is wrong (-1:
 * none). */
static void
resign_root(struct fx *f, int64_t n, struct ossl_key **ks, int bad)
{
	char path[256];
	json_t *root = repo_meta(f, "root", n, path, 1);
	int i;

	for (i = 0; ks[i] != NULL; i++)
		ossl_sign(f, root, ks[i], i == bad);
	save_json(path, root);
	json_decref(root);
}

static void
noop_edit(json_t *s, void *arg)
{
	(void)s;
	(void)arg;
}

/*
 * Roots and roles signed with ECDSA P-256 and RSA-PSS keys (made by the
 * openssl tool) besides ed25519, as tuf-on-ci, the Sigstore root and the
 * conformance suite sign them: followed when the signatures verify,
 * refused when one needed for the threshold is wrong.
 */
static void
test_key_types(void **state)
{
	struct ossl_key ec = {"ecdsa", "ecdsa-sha2-nistp256",
			      "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "",
			      "", "", NULL};
	struct ossl_key rsa = {"rsa", "rsassa-pss-sha256",
			       "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
			       "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest",
			       "", "", NULL};
	struct ossl_key ts = {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256",
			      "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "",
			      "", "", NULL};
	struct ossl_key *both[] = {&ec, &rsa, NULL};
	struct kit_key *kts;
	struct fx f;
	char path[256];
	json_t *j;
	int bad;

	(void)state;
	fx_setup(&f);
	ossl_key_make(&f, &ec, "ec");
	ossl_key_make(&f, &rsa, "rsa");
	ossl_key_make(&f, &ts, "ts");
	/* root 2: threshold 3 of ed25519 + ECDSA + RSA, signed by all */
	publish_root(&f, 1, edit_add_root_keys, both);
	resign_root(&f, 2, both, -1);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	/* root 3 with a plausible but wrong ECDSA, then RSA, signature */
	for (bad = 0; bad < 2; bad++) {
		publish_root(&f, 2, noop_edit, NULL);
		resign_root(&f, 3, both, bad);
		expect_refused(&f, "2 valid signatures by root keys, threshold 3");
		assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 0);
	}
	/* root 3 gives the timestamp role an ECDSA key ("ecdsa-sha2-nistp256"
	 * keytype, the older spelling); the timestamp signed with it */
	publish_root(&f, 2, edit_timestamp_key, &ts);
	resign_root(&f, 3, both, -1);
	j = repo_meta(&f, "timestamp", -1, path, 1);
	set_version(j, 10);
	json_object_set_new(j, "signatures", json_array());
	ossl_sign(&f, j, &ts, 1);
	save_json(path, j);
	expect_refused_mask(&f, "0 valid signatures by timestamp keys",
			    SNAPSHOT_ST | TARGETS_ST);
	json_object_set_new(j, "signatures", json_array());
	ossl_sign(&f, j, &ts, 0);
	save_json(path, j);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 3);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_TIMESTAMP), 10);
	/* the old ed25519 timestamp key no longer counts */
	kts = load_key(&f, "timestamp-1.pem");
	set_version(j, 11);
	resign(j, &kts, 1);
	save_json(path, j);
	expect_refused_mask(&f, "0 valid signatures by timestamp keys",
			    ROOT_ST | SNAPSHOT_ST | TARGETS_ST);
	kit_key_free(kts);
	json_decref(j);
	json_decref(ec.pub);
	json_decref(rsa.pub);
	json_decref(ts.pub);
	fx_teardown(&f);
}

/*
 * One ECDSA key listed twice in a root, its point uncompressed under one key
 * id and compressed under another (both are PEM of the same key), with the
 * root threshold raised by two and the one key's signature under both ids:
 * it counts once, so the rotation to that root is refused.
 */
static void
test_one_ecdsa_key_two_forms(void **state)
{
	struct ossl_key ec = {"ecdsa", "ecdsa-sha2-nistp256",
			      "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "",
			      "", "", NULL};
	struct ossl_key ec2;
	struct ossl_key *twice[] = {&ec, &ec2, NULL};
	struct kit_error err = {0};
	unsigned char *b = NULL;
	char cmd[1024], pub[256];
	size_t len = 0;
	struct fx f;

	(void)state;
	fx_setup(&f);
	ossl_key_make(&f, &ec, "ec");
	ec2 = ec; /* the same private key */
	snprintf(pub, sizeof(pub), "%s/ec-compressed.pub", f.work);
	snprintf(cmd, sizeof(cmd), "openssl ec -in %s -pubout -conv_form "
				   "compressed -out %s 2>/dev/null",
		 ec.pem, pub);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kit_file_read(pub, 1 << 16, &b, &len, &err), 0);
	ec2.pub = json_pack("{s:s, s:s, s:{s:s}}", "keytype", ec.keytype,
			    "scheme", ec.scheme, "keyval", "public", (char *)b);
	free(b);
	assert_int_equal(tuf_keyid_of_json_for_test(ec2.pub, ec2.id), 0);
	assert_string_not_equal(ec.id, ec2.id);
	/* root 2: threshold 3 of the ed25519 key and the EC key twice */
	publish_root(&f, 1, edit_add_root_keys, twice);
	resign_root(&f, 2, twice, -1);
	expect_refused(&f, "2 valid signatures by root keys, threshold 3");
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 0);
	json_decref(ec.pub);
	json_decref(ec2.pub);
	fx_teardown(&f);
}

/*
 * The same signature twice in a snapshot (the snapshot key's, valid): the
 * specification says a key id is unique in "signatures", and python-tuf
 * refuses such metadata; so does this client, even though the threshold
 * (one) is met.
 */
static void
test_duplicate_signature_keyids(void **state)
{
	struct fx f;
	char path[256], tspath[256];
	json_t *sn, *ts, *sigs;

	(void)state;
	fx_setup(&f);
	publish_version_two(&f); /* targets 3, snapshot 3 */
	sn = repo_meta(&f, "snapshot", 3, path, 1);
	sigs = json_object_get(sn, "signatures");
	json_array_append_new(sigs, json_deep_copy(json_array_get(sigs, 0)));
	save_json(path, sn);
	ts = repo_meta(&f, "timestamp", -1, tspath, 1);
	set_meta_entry(ts, "snapshot.json", path);
	sign_save(&f, ts, 9, "timestamp-1.pem", tspath);
	expect_refused_mask(&f, "two signatures by key id",
			    ROOT_ST | SNAPSHOT_ST | TARGETS_ST);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_SNAPSHOT), 0);
	/* without the copy it goes through */
	json_array_remove(sigs, 1);
	save_json(path, sn);
	set_meta_entry(ts, "snapshot.json", path);
	sign_save(&f, ts, 10, "timestamp-1.pem", tspath);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_SNAPSHOT), 3);
	json_decref(sn);
	json_decref(ts);
	fx_teardown(&f);
}

/* edit: the root expires in arg (int64_t *) seconds from now. */
static void
edit_root_expires(json_t *s, void *arg)
{
	char buf[32];

	kit_time_format_utc((int64_t)time(NULL) + *(int64_t *)arg, buf, sizeof(buf));
	json_object_set_new(s, "expires", json_string(buf));
}

static void
write_walk_file(struct fx *f, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->state, KIT_TUF_ROOT_WALK_FILE);
	(void)unlink(path);
	write_text(path, text);
}

/* Requests of the last update that asked for a root. */
static int
root_requests(const struct fx *f)
{
	int i, n = 0;

	for (i = 0; i < f->srv.nreq && i < 8; i++)
		n += strstr(f->srv.last[i], "root.json") != NULL;
	return n;
}

/*
 * Lazy root mode: one request while nothing changed, but the root chain is
 * walked at least once a day, so a new root published without a new
 * timestamp is found the next day.
 */
static void
fx_setup_long(struct fx *f)
{
	struct kit_tuf_repo_config cfg;
	int i;

	kit_tuf_repo_config_default(&cfg);
	for (i = 0; i < KIT_TUF_NROLES; i++)
		cfg.role[i].expires = 400 * 86400;
	fx_setup_cfg(f, &cfg);
}

static void
test_lazy_root_daily(void **state)
{
	struct fx f;

	(void)state;
	fx_setup_long(&f); /* a walk (spec order) just happened */
	kit_tuf_client_set_lazy_root(f.c, 1);
	f.srv.cond = 1;
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	publish_root(&f, 1, noop_edit, NULL); /* timestamp unchanged */
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 1);
	/* 23 hours later: still one request */
	set_clock(23 * 3600);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	/* 25 hours later: the chain is walked (2.root.json, 3.root.json) */
	set_clock(25 * 3600);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(root_requests(&f), 2);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	/* and then one request again */
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	fx_teardown(&f);
}

/*
 * Lazy root mode against a server that cannot answer 304 (no validators,
 * file://): the same timestamp bytes in a full response do not prove that
 * nothing changed, so a new root published under an unchanged timestamp is
 * found at once, not a day later.
 */
static void
test_lazy_root_no_validators(void **state)
{
	struct fx f;

	(void)state;
	fx_setup_long(&f);
	kit_tuf_client_set_lazy_root(f.c, 1);
	publish_root(&f, 1, noop_edit, NULL); /* timestamp unchanged */
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	assert_int_equal(root_requests(&f), 2);
	fx_teardown(&f);
}

/*
 * An expired trusted root, and a newer root published while the timestamp
 * stays the same: the lazy client walks the chain because its root has
 * expired (not only because a day went by), and recovers.
 */
static void
test_lazy_root_expired(void **state)
{
	struct kit_tuf_repo_config cfg;
	struct fx f;
	char stamp[32], line[40];
	int64_t later = 400 * 86400;
	int i;

	(void)state;
	kit_tuf_repo_config_default(&cfg);
	for (i = 0; i < KIT_TUF_NROLES; i++)
		cfg.role[i].expires = 400 * 86400;
	cfg.role[KIT_TUF_ROOT].expires = 2 * 86400;
	fx_setup_cfg(&f, &cfg);
	kit_tuf_client_set_lazy_root(f.c, 1);
	f.srv.cond = 1;
	publish_root(&f, 1, edit_root_expires, &later);
	/* three days later, the last walk an hour ago: only the expired
	 * root makes the walk due */
	set_clock(3 * 86400);
	kit_time_format_utc((int64_t)time(NULL) + 3 * 86400 - 3600, stamp,
			    sizeof(stamp));
	snprintf(line, sizeof(line), "%s\n", stamp);
	write_walk_file(&f, line);
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_version(f.c, KIT_TUF_ROOT), 2);
	assert_int_equal(root_requests(&f), 2);
	/* root 2 is good for a year: one request again */
	f.srv.nreq = 0;
	client_update_ok(&f);
	assert_int_equal(f.srv.nreq, 1);
	fx_teardown(&f);
}

/*
 * The record of the last walk is in the state directory, where others
 * can write: garbage, a time in the future, a file too long, a symlink or
 * a FIFO there can only cause a walk, never prevent one (nor block).
 */
static void
test_lazy_root_walk_file_hostile(void **state)
{
	static const char *const bodies[] = {
		"",
		"yesterday\n",
		"2999-01-01T00:00:00Z\n",
		"2020-01-01T00:00:00Z garbage\n",
		"2020-01-01T00:00:00Z\n2020-01-01T00:00:00Z\n"
		"2020-01-01T00:00:00Z\n2020-01-01T00:00:00Z\n",
	};
	struct kit_error err = {0};
	struct fx f;
	char path[256], stamp[32];
	unsigned char *b = NULL;
	size_t i, len = 0;

	(void)state;
	fx_setup(&f);
	kit_tuf_client_set_lazy_root(f.c, 1);
	snprintf(path, sizeof(path), "%s/%s", f.state, KIT_TUF_ROOT_WALK_FILE);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]) + 2; i++) {
		(void)unlink(path);
		if (i < sizeof(bodies) / sizeof(bodies[0]))
			write_text(path, bodies[i]);
		else if (i == sizeof(bodies) / sizeof(bodies[0]))
			assert_int_equal(symlink("/etc/hostname", path), 0);
		else
			assert_int_equal(mkfifo(path, 0644), 0);
		f.srv.nreq = 0;
		client_update_ok(&f);
		assert_int_equal(root_requests(&f), 1); /* 2.root.json: none */
		/* replaced by the time of this walk */
		assert_int_equal(kit_file_read(path, 64, &b, &len, &err), 0);
		kit_time_format_utc((int64_t)time(NULL), stamp, sizeof(stamp));
		assert_int_equal(len, 21);
		assert_memory_equal(b, stamp, 11); /* today's date */
		free(b);
		b = NULL;
	}
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* delegated targets roles                                             */
/* ------------------------------------------------------------------ */

/*
 * Graphs are built by hand here (the writer only delegates from the
 * top-level targets): targets, roles, snapshot and timestamp, each signed
 * with the repository's keys or a role's own.  The client of these tests
 * logs every request.
 */
#define DLOG 64

struct dfx {
	struct fx f;
	struct kit_key *rk[8];  /* role keys, generated */
	struct kit_key *top[3]; /* targets, snapshot, timestamp keys */
	json_t *targets;        /* the top-level targets metadata being built */
	json_t *snap_meta;      /* the snapshot's meta being built */
	int64_t version;        /* of the next targets, snapshot, timestamp */
	char log[DLOG][160];
	int nlog;
	struct kit_tuf_client *c;
};

static int
dserve(void *arg, const char *relpath, const char *dest, uint64_t max,
       struct kit_error *err)
{
	struct dfx *d = arg;

	if (d->nlog < DLOG)
		snprintf(d->log[d->nlog], sizeof(d->log[0]), "%s", relpath);
	d->nlog++;
	return serve(&d->f.srv, relpath, dest, max, err);
}

static json_t *
targets_md(int64_t version, int64_t expires_in)
{
	char exp[32];

	kit_time_format_utc((int64_t)time(NULL) + expires_in, exp, sizeof(exp));
	return json_pack("{s:{s:s, s:s, s:I, s:s, s:{}}, s:[]}", "signed",
			 "_type", "targets", "spec_version", "1.0.31", "version",
			 (json_int_t)version, "expires", exp, "targets",
			 "signatures");
}

/* A delegation from md to name, signed by key k; paths NULL-terminated,
 * or one hash prefix when prefix is set. */
static json_t *
delegate_to(json_t *md, const char *name, const struct kit_key *k,
	    const char *const *paths, const char *prefix, int terminating)
{
	struct kit_error err = {0};
	json_t *s = json_object_get(md, "signed"), *dl, *role, *list;
	char keyid[KIT_SHA256_HEX];

	dl = json_object_get(s, "delegations");
	if (dl == NULL) {
		dl = json_pack("{s:{}, s:[]}", "keys", "roles");
		json_object_set_new(s, "delegations", dl);
	}
	assert_int_equal(kit_tuf_keyid(k, keyid, &err), 0);
	json_object_set_new(json_object_get(dl, "keys"), keyid, kit_tuf_key_json(k));
	list = json_array();
	while (paths != NULL && *paths != NULL)
		json_array_append_new(list, json_string(*paths++));
	if (prefix != NULL)
		json_array_append_new(list, json_string(prefix));
	role = json_pack("{s:s, s:[s], s:i, s:b, s:o}", "name", name, "keyids",
			 keyid, "threshold", 1, "terminating", terminating,
			 prefix != NULL ? "path_hash_prefixes" : "paths", list);
	json_array_append_new(json_object_get(dl, "roles"), role);
	return role;
}

static void
target_in(json_t *md, const char *name, const char *content)
{
	char hex[KIT_SHA256_HEX];

	kit_sha256_hex(content, strlen(content), hex);
	json_object_set_new(json_object_get(json_object_get(md, "signed"),
					    "targets"),
			    name,
			    json_pack("{s:i, s:{s:s}}", "length",
				      (int)strlen(content), "hashes", "sha256",
				      hex));
}

/* Sign md with k and write it as metadata/<file>; returns its bytes'
 * snapshot entry (version only). */
static void
put_md(struct dfx *d, const char *file, json_t *md, const struct kit_key *k)
{
	char path[512];

	resign(md, (struct kit_key **)&k, 1);
	mpath(path, sizeof(path), &d->f, file);
	save_json(path, md);
}

/* Role md of name, signed by k, written as N.<file name>.json and listed
 * in the snapshot being built under name. */
static void
put_role(struct dfx *d, const char *name, const char *file, json_t *md,
	 const struct kit_key *k)
{
	char fname[256], sname[256];
	int64_t v = json_integer_value(json_object_get(json_object_get(md,
								       "signed"),
						       "version"));

	snprintf(fname, sizeof(fname), "%lld.%s.json", (long long)v, file);
	put_md(d, fname, md, k);
	snprintf(sname, sizeof(sname), "%s.json", name);
	json_object_set_new(d->snap_meta, sname, json_pack("{s:I}", "version", (json_int_t)v));
}

static void
dfx_setup(struct dfx *d)
{
	struct kit_error err = {0};
	int i;

	memset(d, 0, sizeof(*d));
	fx_setup(&d->f);
	for (i = 0; i < 8; i++) {
		d->rk[i] = kit_key_generate(&err);
		assert_non_null(d->rk[i]);
	}
	d->top[0] = load_key(&d->f, "targets-1.pem");
	d->top[1] = load_key(&d->f, "snapshot-1.pem");
	d->top[2] = load_key(&d->f, "timestamp-1.pem");
	/* after what fx_setup() published */
	d->version = kit_tuf_client_version(d->f.c, KIT_TUF_TIMESTAMP) + 1;
	d->targets = targets_md(d->version, 86400);
	d->snap_meta = json_object();
	d->c = kit_tuf_client_new(d->f.state, dserve, d, &err);
	assert_non_null(d->c);
}

/* The client updates; the request log starts again. */
static void
dupdate(struct dfx *d)
{
	struct kit_error err = {0};

	if (kit_tuf_client_update(d->c, &err) < 0)
		fail_msg("update: %s", err.msg);
	d->nlog = 0;
}

/* Write the top-level targets, then snapshot and timestamp listing it
 * and every role put since the last publish; the client updates. */
static void
dpublish(struct dfx *d)
{
	json_t *snap, *ts;
	char file[64];

	snprintf(file, sizeof(file), "%lld.targets.json", (long long)d->version);
	put_md(d, file, d->targets, d->top[0]);
	json_object_set_new(d->snap_meta, "targets.json",
			    json_pack("{s:I}", "version", (json_int_t)d->version));
	snap = targets_md(d->version, 86400);
	json_object_set_new(json_object_get(snap, "signed"), "_type",
			    json_string("snapshot"));
	json_object_del(json_object_get(snap, "signed"), "targets");
	json_object_set(json_object_get(snap, "signed"), "meta", d->snap_meta);
	snprintf(file, sizeof(file), "%lld.snapshot.json", (long long)d->version);
	put_md(d, file, snap, d->top[1]);
	ts = targets_md(d->version, 86400);
	json_object_set_new(json_object_get(ts, "signed"), "_type",
			    json_string("timestamp"));
	json_object_del(json_object_get(ts, "signed"), "targets");
	json_object_set_new(json_object_get(ts, "signed"), "meta",
			    json_pack("{s:{s:I}}", "snapshot.json", "version",
				      (json_int_t)d->version));
	put_md(d, "timestamp.json", ts, d->top[2]);
	json_decref(snap);
	json_decref(ts);
	dupdate(d);
}

static void
dfx_teardown(struct dfx *d)
{
	int i;

	kit_tuf_client_free(d->c);
	for (i = 0; i < 8; i++)
		kit_key_free(d->rk[i]);
	for (i = 0; i < 3; i++)
		kit_key_free(d->top[i]);
	json_decref(d->targets);
	json_decref(d->snap_meta);
	fx_teardown(&d->f);
}

/* Look name up: 0 found, 1 not found, -1 error (class into *code). */
static int
lookup(struct dfx *d, const char *name, struct kit_tuf_target *t,
       enum kit_errc *code)
{
	struct kit_error err = {0};
	int rc = kit_tuf_client_find_target(d->c, name, t, &err);

	if (rc < 0)
		print_message("    lookup %s: %s\n", name, err.msg);
	if (code != NULL)
		*code = err.code;
	return rc;
}

/* The requests since the last publish, as "A C D B" (role names from
 * "metadata/1.<role>.json"). */
static void
assert_visits(struct dfx *d, const char *want)
{
	char got[2048] = "";
	int i;

	for (i = 0; i < d->nlog && i < DLOG; i++) {
		const char *r = d->log[i] + strlen("metadata/1.");
		size_t n = strlen(r) - strlen(".json");

		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s",
			 i ? " " : "", (int)n, r);
	}
	if (strcmp(got, want) != 0)
		fail_msg("visited \"%s\", expected \"%s\"", got, want);
}

static const char *const ALL[] = {"*", NULL};

/* The graphs of the specification's preorder depth-first search: the
 * order of the listing, a child before its later siblings' subtrees,
 * terminating delegations, cycles, and paths that do not cover the name
 * keep a branch out. */
static void
test_delegation_search_order(void **state)
{
	static const char *const py[] = {"*.py", NULL};
	static const struct {
		const char *edges; /* "from>to" pairs; '!' terminating; '~' *.py */
		const char *visits;
	} g[] = {
		{"t>A", "A"},
		{"t>A t>B", "A B"},
		{"t>A t>B B>C", "A B C"},
		{"t>A t>B A>C A>D", "A C D B"},
		{"t>A t>B A>C C>D", "A C D B"},
		{"t>A t>B A>!C A>D", "A C"},
		{"t>A t>B A>!C C>D", "A C D"},
		{"t>~A t>B A>C", "B"},
		{"t>A t>B A>~C C>D", "A B"},
		{"t>A t>B B>C C>D D>B", "A B C D"},
		{"t>A t>B B>C A>C", "A C B"},
		{"t>A t>B B>C A>~C", "A B C"},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct dfx d;
		json_t *md[4] = {NULL, NULL, NULL, NULL};
		const char *e = g[i].edges;

		dfx_setup(&d);
		for (j = 0; j < 4; j++)
			md[j] = targets_md(1, 86400);
		while (*e != '\0') {
			char from = e[0], to;
			int term = 0, pyonly = 0;

			e += 2;
			if (*e == '!')
				term = 1, e++;
			if (*e == '~')
				pyonly = 1, e++;
			to = *e++;
			while (*e == ' ')
				e++;
			delegate_to(from == 't' ? d.targets : md[from - 'A'],
				    (char[2]){to, '\0'}, d.rk[to - 'A'],
				    pyonly ? py : ALL, NULL, term);
		}
		for (j = 0; j < 4; j++)
			put_role(&d, (char[2]){(char)('A' + j), '\0'},
				 (char[2]){(char)('A' + j), '\0'}, md[j], d.rk[j]);
		dpublish(&d);
		assert_int_equal(lookup(&d, "missing", NULL, NULL), 1);
		print_message("    %s: %s\n", g[i].edges, g[i].visits);
		assert_visits(&d, g[i].visits);
		for (j = 0; j < 4; j++)
			json_decref(md[j]);
		dfx_teardown(&d);
	}
}

/* Path patterns as python-tuf matches them, hash prefixes, and a target
 * found in a delegated role is fetched and checked like any other. */
static void
test_delegation_paths(void **state)
{
	static const char *const pa[] = {"*.doc", "*.md", "foo-?.tgz", NULL};
	static const char *const pb[] = {"releases/*/*", NULL};
	static const char *const pc[] = {"releases/x/*", NULL};
	static const char *const pd[] = {"releases/y/*.zip", NULL};
	static const struct {
		const char *name;
		int found;
		const char *visits;
	} v[] = {
		{"targetfile", 1, ""},
		{"README.md", 1, "A"},
		{"releases/x/x_v1", 1, "B C"},
		{"releases/y/y_v1.zip", 1, "B D"},
		{"releases/z/z_v1.zip", 0, "B"},
		{"releases/README.md", 0, ""}, /* '*' never matches '/' */
		{"foo-1.tgz", 1, "A"},
		{"foo-alpha.tgz", 0, ""}, /* '?' is one character */
		{"README.MD", 0, ""},     /* case matters */
		{"hashed", 1, "E"},
	};
	struct kit_error err = {0};
	struct kit_tuf_target t;
	json_t *md[5];
	struct dfx d;
	char hex[KIT_SHA256_HEX], prefix[3], path[512], dest[512];
	size_t i, j;

	(void)state;
	dfx_setup(&d);
	for (i = 0; i < 5; i++)
		md[i] = targets_md(1, 86400);
	kit_sha256_hex("hashed", 6, hex);
	snprintf(prefix, sizeof(prefix), "%.2s", hex);
	delegate_to(d.targets, "A", d.rk[0], pa, NULL, 0);
	delegate_to(d.targets, "B", d.rk[1], pb, NULL, 0);
	delegate_to(md[1], "C", d.rk[2], pc, NULL, 0);
	delegate_to(md[1], "D", d.rk[3], pd, NULL, 0);
	delegate_to(d.targets, "E", d.rk[4], NULL, prefix, 0);
	target_in(d.targets, "targetfile", "top");
	target_in(md[0], "README.md", "README by A");
	target_in(md[0], "releases/README.md", "nested README by A");
	target_in(md[0], "foo-1.tgz", "foo 1");
	target_in(md[0], "foo-alpha.tgz", "foo alpha");
	target_in(md[2], "releases/x/x_v1", "x release by C");
	target_in(md[3], "releases/y/y_v1.zip", "y release by D");
	target_in(md[3], "releases/z/z_v1.zip", "z release by D");
	target_in(md[4], "hashed", "by E");
	for (i = 0; i < 5; i++)
		put_role(&d, (char[2]){(char)('A' + i), '\0'},
			 (char[2]){(char)('A' + i), '\0'}, md[i], d.rk[i]);
	dpublish(&d);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc;

		/* no trusted copy of any role: every one is downloaded anew */
		for (j = 0; j < 5; j++) {
			snprintf(path, sizeof(path), "%s/%c.json", d.f.state,
				 (char)('A' + j));
			(void)unlink(path);
		}
		dupdate(&d);
		rc = lookup(&d, v[i].name, &t, NULL);
		print_message("    %s: %s\n", v[i].name, rc == 0 ? "found" : "not found");
		assert_int_equal(rc, v[i].found ? 0 : 1);
		assert_visits(&d, v[i].visits);
		if (rc == 0)
			assert_string_equal(t.name, v[i].name);
	}
	/* fetched through the delegation, hash checked */
	snprintf(path, sizeof(path), "%s/targets/releases/y", d.f.repo);
	assert_int_equal(kit_mkdir_p(path, 0755, &err), 0);
	kit_sha256_hex("y release by D", 14, hex);
	snprintf(path, sizeof(path), "%s/targets/releases/y/%s.y_v1.zip",
		 d.f.repo, hex);
	write_text(path, "y release by D");
	snprintf(dest, sizeof(dest), "%s/y.zip", d.f.dl);
	if (kit_tuf_client_fetch_target(d.c, "releases/y/y_v1.zip", dest, &err) < 0)
		fail_msg("%s", err.msg);
	write_text(path, "y release by X");
	assert_int_equal(kit_tuf_client_fetch_target(d.c, "releases/y/y_v1.zip",
						     dest, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	for (i = 0; i < 5; i++)
		json_decref(md[i]);
	dfx_teardown(&d);
}

/* One delegated role A (paths "*") holding target "x", altered by how;
 * the lookup of "x" must be refused with needle and leave no trusted copy
 * of A. */
enum alter { NOT_IN_SNAPSHOT,
	     WRONG_KEY,
	     VERSION_MISMATCH,
	     EXPIRED,
	     BAD_HASH,
	     BROKEN_BEFORE_GOOD };

static void
refused_role(enum alter how, const char *needle, int requests)
{
	struct dfx d;
	struct kit_tuf_target t;
	enum kit_errc code;
	json_t *a = targets_md(how == VERSION_MISMATCH ? 1 : 2,
			       how == EXPIRED ? -60 : 86400);
	json_t *b = targets_md(1, 86400);
	char path[512];

	dfx_setup(&d);
	delegate_to(d.targets, "A", d.rk[0], ALL, NULL, 0);
	delegate_to(d.targets, "B", d.rk[1], ALL, NULL, 0);
	if (how != BROKEN_BEFORE_GOOD)
		target_in(a, "x", "x by A");
	target_in(b, "x", "x by B");
	if (how == VERSION_MISMATCH) {
		/* 1.A.json served as 2.A.json */
		put_md(&d, "2.A.json", a, d.rk[0]);
		json_object_set_new(d.snap_meta, "A.json",
				    json_pack("{s:i}", "version", 2));
	} else {
		put_role(&d, "A", "A", a, how == WRONG_KEY || how == BROKEN_BEFORE_GOOD ? d.rk[1] : d.rk[0]);
	}
	put_role(&d, "B", "B", b, d.rk[1]);
	if (how == NOT_IN_SNAPSHOT)
		json_object_del(d.snap_meta, "A.json");
	if (how == BAD_HASH)
		json_object_set_new(json_object_get(d.snap_meta, "A.json"),
				    "hashes", json_pack("{s:s}", "sha256", "0000000000000000000000000000000000000000000000000000000000000000"));
	dpublish(&d);
	assert_int_equal(lookup(&d, "x", &t, &code), -1);
	assert_int_equal(code, KIT_E_SECURITY);
	assert_int_equal(d.nlog, requests);
	{
		struct kit_error err = {0};
		int rc = kit_tuf_client_find_target(d.c, "x", &t, &err);

		assert_int_equal(rc, -1);
		if (strstr(err.msg, needle) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, needle);
	}
	snprintf(path, sizeof(path), "%s/A.json", d.f.state);
	assert_false(kit_file_exists(path));
	json_decref(a);
	json_decref(b);
	dfx_teardown(&d);
}

/* A delegated role is used only as the snapshot lists it, signed by the
 * keys of its delegation, unexpired; a broken role ends the search (a
 * later role must not answer for it). */
static void
test_delegation_refusals(void **state)
{
	(void)state;
	refused_role(NOT_IN_SNAPSHOT, "is not listed in the trusted snapshot", 0);
	refused_role(WRONG_KEY, "0 valid signatures", 1);
	refused_role(VERSION_MISMATCH, "holds version 1 but the trusted snapshot "
				       "lists version 2",
		     1);
	refused_role(EXPIRED, "expired at", 1);
	refused_role(BAD_HASH, "SHA-256", 1);
	refused_role(BROKEN_BEFORE_GOOD, "delegated role \"A\"", 1);
}

/* One role reached through two delegators with different keys: valid
 * through the first, refused through the second, in one client and from
 * the copy it kept (python-tuf's known failure in the conformance suite). */
static void
test_delegation_rechecked_per_delegator(void **state)
{
	static const char *const ta[] = {"team-a/*", NULL};
	static const char *const tb[] = {"team-b/*", NULL};
	struct kit_error err = {0};
	struct kit_tuf_target t;
	enum kit_errc code;
	json_t *pa = targets_md(1, 86400), *pb = targets_md(1, 86400);
	json_t *rel = targets_md(1, 86400);
	struct dfx d;

	(void)state;
	dfx_setup(&d);
	delegate_to(d.targets, "parent-a", d.rk[0], ta, NULL, 0);
	delegate_to(d.targets, "parent-b", d.rk[1], tb, NULL, 0);
	delegate_to(pa, "release", d.rk[2], ta, NULL, 0);
	delegate_to(pb, "release", d.rk[3], tb, NULL, 0);
	target_in(rel, "team-a/root.json", "trusted A");
	target_in(rel, "team-b/root.json", "malicious B");
	put_role(&d, "parent-a", "parent-a", pa, d.rk[0]);
	put_role(&d, "parent-b", "parent-b", pb, d.rk[1]);
	put_role(&d, "release", "release", rel, d.rk[2]);
	dpublish(&d);
	assert_int_equal(lookup(&d, "team-a/root.json", &t, NULL), 0);
	assert_int_equal(lookup(&d, "team-b/root.json", &t, &code), -1);
	assert_int_equal(code, KIT_E_SECURITY);
	/* again from the copies kept in the state dir */
	kit_tuf_client_free(d.c);
	d.c = kit_tuf_client_new(d.f.state, dserve, &d, &err);
	assert_non_null(d.c);
	dupdate(&d);
	assert_int_equal(lookup(&d, "team-b/root.json", &t, &code), -1);
	assert_int_equal(code, KIT_E_SECURITY);
	assert_int_equal(lookup(&d, "team-a/root.json", &t, NULL), 0);
	json_decref(pa);
	json_decref(pb);
	json_decref(rel);
	dfx_teardown(&d);
}

/* Role names become one escaped file name component, in the request and
 * in the state dir, never a path. */
static void
test_delegation_role_names(void **state)
{
	static const struct {
		const char *name, *file;
	} v[] = {
		{"../evil", "..%2Fevil"},
		{"/abs", "%2Fabs"},
		{"a/b", "a%2Fb"},
		{"?#", "%3F%23"},
		{"%2e%2e", "%252e%252e"},
		{"caf\xc3\xa9 x", "caf%C3%A9%20x"},
		{"..", NULL}, /* no file name: refused */
	};
	char path[512], want[256], names[64];
	struct kit_tuf_target t;
	struct kit_error err = {0};
	enum kit_errc code;
	json_t *md[7];
	struct dfx d;
	size_t i;

	(void)state;
	dfx_setup(&d);
	for (i = 0; i < 7; i++) {
		static const char *const one[] = {NULL, NULL};
		const char *paths[2];

		snprintf(names, sizeof(names), "t%zu", i);
		paths[0] = names;
		paths[1] = one[1];
		md[i] = targets_md(1, 86400);
		delegate_to(d.targets, v[i].name, d.rk[i], paths, NULL, 1);
		target_in(md[i], names, v[i].name);
		put_role(&d, v[i].name, v[i].file ? v[i].file : "dotdot", md[i],
			 d.rk[i]);
	}
	dpublish(&d);
	assert_int_equal(lookup(&d, "t6", &t, &code), -1);
	assert_int_equal(code, KIT_E_SECURITY);
	assert_int_equal(d.nlog, 0);
	for (i = 0; i < 6; i++) {
		snprintf(names, sizeof(names), "t%zu", i);
		d.nlog = 0;
		if (kit_tuf_client_find_target(d.c, names, &t, &err) != 0)
			fail_msg("%s: %s", v[i].name, err.msg);
		snprintf(want, sizeof(want), "metadata/1.%s.json", v[i].file);
		assert_int_equal(d.nlog, 1);
		assert_string_equal(d.log[0], want);
		snprintf(path, sizeof(path), "%s/%s.json", d.f.state, v[i].file);
		assert_true(kit_file_exists(path));
	}
	/* nothing beside the state dir, nothing below it */
	snprintf(path, sizeof(path), "%s/evil.json", d.f.dir);
	assert_false(kit_file_exists(path));
	snprintf(path, sizeof(path), "%s/a", d.f.state);
	assert_false(kit_file_exists(path));
	snprintf(path, sizeof(path), "%s/..json", d.f.state);
	assert_false(kit_file_exists(path));
	for (i = 0; i < 7; i++)
		json_decref(md[i]);
	dfx_teardown(&d);
}

/* At most KIT_TUF_MAX_DELEGATIONS roles are visited in one lookup; a name
 * too long to be a file name is refused when the search reaches it; TAP 15
 * succinct roles lead straight to the one bin of the name. */
static void
test_delegation_limits_and_bins(void **state)
{
	struct kit_tuf_target t;
	enum kit_errc code;
	struct kit_error err = {0};
	json_t *md[40], *bins[8];
	char name[80], prev[80], keyid[KIT_SHA256_HEX], hex[KIT_SHA256_HEX];
	char want[128], head[9], bigname[128];
	struct dfx d;
	unsigned bin;
	int i;

	(void)state;
	/* a chain of 40 roles, the target in the last */
	dfx_setup(&d);
	for (i = 0; i < 40; i++)
		md[i] = targets_md(1, 86400);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		delegate_to(i == 0 ? d.targets : md[i - 1], name, d.rk[0], ALL,
			    NULL, 0);
	}
	target_in(md[39], "deep", "deep");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		put_role(&d, name, name, md[i], d.rk[0]);
	}
	dpublish(&d);
	assert_int_equal(lookup(&d, "deep", &t, NULL), 1);
	assert_int_equal(d.nlog, KIT_TUF_MAX_DELEGATIONS);
	for (i = 0; i < 40; i++)
		json_decref(md[i]);
	dfx_teardown(&d);

	/* a role name of 121 bytes, after a role that lacks the target */
	dfx_setup(&d);
	md[0] = targets_md(1, 86400);
	memset(bigname, 'n', 121);
	bigname[121] = '\0';
	delegate_to(d.targets, "short", d.rk[0], ALL, NULL, 0);
	delegate_to(d.targets, bigname, d.rk[1], ALL, NULL, 0);
	put_role(&d, "short", "short", md[0], d.rk[0]);
	dpublish(&d);
	assert_int_equal(lookup(&d, "x", &t, &code), -1);
	assert_int_equal(code, KIT_E_SECURITY);
	assert_int_equal(d.nlog, 1);
	json_decref(md[0]);
	dfx_teardown(&d);

	/* succinct roles: 8 bins */
	dfx_setup(&d);
	assert_int_equal(kit_tuf_keyid(d.rk[5], keyid, &err), 0);
	json_object_set_new(json_object_get(d.targets, "signed"), "delegations",
			    json_pack("{s:{s:o}, s:{s:[s], s:i, s:i, s:s}}", "keys", keyid,
				      kit_tuf_key_json(d.rk[5]), "succinct_roles", "keyids",
				      keyid, "threshold", 1, "bit_length", 3, "name_prefix",
				      "bin"));
	kit_sha256_hex("file.txt", 8, hex);
	memcpy(head, hex, 8);
	head[8] = '\0';
	bin = (unsigned)(strtoul(head, NULL, 16) >> 29);
	for (i = 0; i < 8; i++) {
		bins[i] = targets_md(1, 86400);
		snprintf(name, sizeof(name), "bin-%x", i);
		if ((unsigned)i == bin)
			target_in(bins[i], "file.txt", "binned");
		put_role(&d, name, name, bins[i], d.rk[5]);
	}
	snprintf(prev, sizeof(prev), "bin-%x", bin);
	dpublish(&d);
	assert_int_equal(lookup(&d, "file.txt", &t, NULL), 0);
	snprintf(want, sizeof(want), "metadata/1.%s.json", prev);
	assert_int_equal(d.nlog, 1);
	assert_string_equal(d.log[0], want);
	d.nlog = 0;
	assert_int_equal(lookup(&d, "other.txt", &t, NULL), 1);
	assert_int_equal(d.nlog, 1);
	for (i = 0; i < 8; i++)
		json_decref(bins[i]);
	dfx_teardown(&d);
}

/* The shape of "delegations" is checked with the rest of the targets
 * metadata. */
static void
test_delegation_shapes(void **state)
{
	static const char *const bad[] = {
		"{\"keys\":{},\"roles\":[{\"name\":\"root\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]},"
		"{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"],\"path_hash_prefixes\":[\"ab\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":false}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[\"k\",\"k\"],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":0,\"terminating\":false,\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":\"no\",\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]}]}",
		"{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[1]}]}",
		"{\"keys\":{},\"roles\":[],\"succinct_roles\":{\"keyids\":[],\"threshold\":1,\"bit_length\":3,\"name_prefix\":\"b\"}}",
		"{\"keys\":{},\"succinct_roles\":{\"keyids\":[],\"threshold\":1,\"bit_length\":33,\"name_prefix\":\"b\"}}",
		"{\"keys\":{\"k\":{\"keytype\":\"ed25519\"}},\"roles\":[]}",
		"{\"roles\":[]}",
		"[]",
	};
	struct kit_error err;
	json_error_t jerr;
	json_t *md, *dl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		md = targets_md(1, 86400);
		dl = json_loads(bad[i], 0, &jerr);
		assert_non_null(dl);
		json_object_set_new(json_object_get(md, "signed"), "delegations", dl);
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_tuf_check(md, KIT_TUF_TARGETS, "t", NULL, NULL,
					       &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		print_message("    %s\n", err.msg);
		json_decref(md);
	}
	md = targets_md(1, 86400);
	json_object_set_new(json_object_get(md, "signed"), "delegations",
			    json_loads("{\"keys\":{},\"roles\":[{\"name\":\"a\",\"keyids\":[],"
				       "\"threshold\":1,\"terminating\":false,\"paths\":[],"
				       "\"x-custom\":1}],\"x\":2}",
				       0, &jerr));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_check(md, KIT_TUF_TARGETS, "t", NULL, NULL, &err), 0);
	json_decref(md);
}

/* A role kept in the state dir is reused while the snapshot lists its
 * version; a damaged copy is downloaded again. */
static void
test_delegation_kept_copy(void **state)
{
	struct kit_tuf_target t;
	json_t *a = targets_md(1, 86400);
	struct dfx d;
	char path[512];

	(void)state;
	dfx_setup(&d);
	delegate_to(d.targets, "A", d.rk[0], ALL, NULL, 0);
	target_in(a, "x", "x by A");
	put_role(&d, "A", "A", a, d.rk[0]);
	dpublish(&d);
	assert_int_equal(lookup(&d, "x", &t, NULL), 0);
	assert_int_equal(d.nlog, 1);
	dupdate(&d);
	assert_int_equal(lookup(&d, "x", &t, NULL), 0);
	assert_int_equal(d.nlog, 0);
	snprintf(path, sizeof(path), "%s/A.json", d.f.state);
	write_text(path, "{\"damaged\": true}");
	dupdate(&d);
	assert_int_equal(lookup(&d, "x", &t, NULL), 0);
	assert_int_equal(d.nlog, 1);
	assert_string_equal(t.name, "x");
	json_decref(a);
	dfx_teardown(&d);
}

/* The writer: a role per office by path pattern, signed by the office's
 * own key; what it may list is bounded by its paths; HQ's commit needs the
 * office key or the office's own signed version. */
static void
test_repo_delegation(void **state)
{
	static const char *const hu[] = {"*/hungary.tar.zst", NULL};
	struct kit_error err = {0};
	struct kit_tuf_target t;
	struct kit_key *office = NULL, *pub = NULL;
	struct kit_tuf_repo *r;
	struct kit_tuf_delegation dl;
	const struct kit_key *keys[1];
	char src[256], dest[256], path[512], hex[65];
	int64_t snapv;
	struct fx f;
	json_t *snap;

	(void)state;
	fx_setup(&f);
	office = kit_key_generate(&err);
	assert_non_null(office);
	kit_key_public_hex(office, hex);
	pub = kit_key_from_public_hex(hex, &err);
	assert_non_null(pub);
	snprintf(src, sizeof(src), "%s/hu.bin", f.work);
	write_text(src, "the Hungary kit\n");

	r = open_unlocked(&f);
	keys[0] = pub;
	memset(&dl, 0, sizeof(dl));
	dl.name = "office-hungary";
	dl.keys = keys;
	dl.nkeys = 1;
	dl.threshold = 1;
	dl.paths = hu;
	dl.npaths = 1;
	/* names that cannot be file names, or are top-level roles */
	for (int i = 0; i < 4; i++) {
		static const char *const badn[] = {"root", "../x", ".hidden", ""};

		dl.name = badn[i];
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_tuf_repo_delegate(r, &dl, &err), -1);
		assert_int_equal(err.code, KIT_E_INVALID);
	}
	dl.name = "office-hungary";
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_repo_delegate(r, &dl, &err), 0);
	/* HQ holds no office key: nothing is written */
	snapv = kit_tuf_repo_version(r, KIT_TUF_SNAPSHOT);
	assert_int_equal(kit_tuf_repo_commit(r, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	print_message("    %s\n", err.msg);
	assert_int_equal(kit_tuf_repo_version(r, KIT_TUF_SNAPSHOT), snapv);
	/* with it */
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_repo_add_key(r, KIT_TUF_TARGETS, office, &err), 0);
	assert_int_equal(kit_tuf_repo_add_role_target(r, "office-hungary",
						      "together-2016/belgium.tar.zst", src, NULL, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_tuf_repo_add_role_target(r, "office-hungary",
						      "together-2016/hungary.tar.zst", src, NULL, &err),
			 0);
	commit(r);
	kit_tuf_repo_free(r);
	snprintf(path, sizeof(path), "%s/metadata/1.office-hungary.json", f.repo);
	assert_true(kit_file_exists(path));
	mpath(path, sizeof(path), &f, "timestamp.json");
	snap = load_json(path);
	snapv = json_integer_value(json_object_get(json_object_get(json_object_get(
									   json_object_get(snap, "signed"), "meta"),
								   "snapshot.json"),
						   "version"));
	json_decref(snap);
	snprintf(path, sizeof(path), "%s/metadata/%lld.snapshot.json", f.repo,
		 (long long)snapv);
	snap = load_json(path);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
								    json_object_get(json_object_get(snap, "signed"), "meta"),
								    "office-hungary.json"),
							    "version")),
			 1);
	json_decref(snap);

	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_find_target(f.c,
						    "together-2016/hungary.tar.zst", &t, &err),
			 0);
	snprintf(dest, sizeof(dest), "%s/hu.tar.zst", f.dl);
	if (kit_tuf_client_fetch_target(f.c, "together-2016/hungary.tar.zst",
					dest, &err) < 0)
		fail_msg("%s", err.msg);
	/* the global kit is still HQ's */
	assert_int_equal(kit_tuf_client_find_target(f.c,
						    "together-2016/global.tar.zst", &t, &err),
			 0);

	/* the office signs a new version with its key alone ... */
	r = kit_tuf_repo_open(f.repo, NULL, &err);
	assert_non_null(r);
	assert_int_equal(kit_tuf_repo_add_key(r, KIT_TUF_TARGETS, office, &err), 0);
	write_text(src, "the Hungary kit, corrected\n");
	assert_int_equal(kit_tuf_repo_add_role_target(r, "office-hungary",
						      "together-2016/hungary.tar.zst", src, NULL, &err),
			 0);
	if (kit_tuf_repo_sign_role(r, "office-hungary", &err) < 0)
		fail_msg("%s", err.msg);
	kit_tuf_repo_free(r);
	snprintf(path, sizeof(path), "%s/metadata/2.office-hungary.json", f.repo);
	assert_true(kit_file_exists(path));
	/* ... which HQ's next commit (its daily timestamp) publishes */
	r = open_unlocked(&f);
	commit(r);
	kit_tuf_repo_free(r);
	client_update_ok(&f);
	assert_int_equal(kit_tuf_client_find_target(f.c,
						    "together-2016/hungary.tar.zst", &t, &err),
			 0);
	assert_int_equal(t.length, strlen("the Hungary kit, corrected\n"));

	kit_key_free(office);
	kit_key_free(pub);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_vectors),
		cmocka_unit_test(test_canonical_python),
		cmocka_unit_test(test_keyid_vector),
		cmocka_unit_test(test_sign_verify_threshold),
		cmocka_unit_test(test_check_shapes),
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_repo_refusals),
		cmocka_unit_test(test_repo_refuses_oversized_targets),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_rollback_timestamp),
		cmocka_unit_test(test_sign_copy),
		cmocka_unit_test(test_rollback_snapshot),
		cmocka_unit_test(test_rollback_targets),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_endless_data),
		cmocka_unit_test(test_mix_and_match),
		cmocka_unit_test(test_target_hash_mismatch),
		cmocka_unit_test(test_root_rotation),
		cmocka_unit_test(test_root_multi_signers),
		cmocka_unit_test(test_compromised_timestamp_key),
		cmocka_unit_test(test_not_consistent),
		cmocka_unit_test(test_pin_root),
		cmocka_unit_test(test_malformed_next_root),
		cmocka_unit_test(test_target_hash_format),
		cmocka_unit_test(test_name_rule),
		cmocka_unit_test(test_unsafe_target_name),
		cmocka_unit_test(test_target_hash_algorithms),
		cmocka_unit_test(test_one_key_twice),
		cmocka_unit_test(test_one_key_twice_client),
		cmocka_unit_test(test_root_version_max),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_one_ecdsa_key_two_forms),
		cmocka_unit_test(test_duplicate_signature_keyids),
		cmocka_unit_test(test_lazy_root_daily),
		cmocka_unit_test(test_lazy_root_no_validators),
		cmocka_unit_test(test_lazy_root_expired),
		cmocka_unit_test(test_lazy_root_walk_file_hostile),
		cmocka_unit_test(test_delegation_search_order),
		cmocka_unit_test(test_delegation_paths),
		cmocka_unit_test(test_delegation_refusals),
		cmocka_unit_test(test_delegation_rechecked_per_delegator),
		cmocka_unit_test(test_delegation_role_names),
		cmocka_unit_test(test_delegation_limits_and_bins),
		cmocka_unit_test(test_delegation_shapes),
		cmocka_unit_test(test_delegation_kept_copy),
		cmocka_unit_test(test_repo_delegation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
