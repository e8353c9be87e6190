/* kit-fuzz-links: tuf */
/*
 * tuf_client_fuzz.c: the TUF client workflow (kit_tuf_client_update and
 * kit_tuf_client_fetch_target) with the fuzz input served as every
 * metadata file.
 *
 * The input is cut into slices at the line "@@kit-fuzz@@" (see
 * gen_tuf_client.py, which writes the seeds with valid signatures):
 *   0     the pinned root.json; empty, absent or refused by
 *         kit_tuf_client_pin_root: the harness's own root (version 1, every
 *         role key 1 with threshold 1, consistent snapshots)
 *   1..3  trusted timestamp.json, snapshot.json, targets.json in the state
 *         directory before the update (absent when empty)
 *   4, 5  the first and the second N.root.json the client asks for
 *   6     timestamp.json; 7 any snapshot; 8 any targets; 9 every target file
 * A served slice that is absent or empty is a 404, "!304" is "not
 * modified" and "!err" a transport error.  The callback writes at most
 * max_len + 1 bytes, as a transport that stops one byte late would.
 *
 * Keys: RFC 8032 section 7.1 test keys 1 and 2, so the seeds reach every
 * check behind the signatures.  After each update the harness checks what
 * must hold whatever the input, and aborts (a finding) otherwise:
 *   - success means the four trusted files are in the state directory,
 *     well formed and not expired;
 *   - no role's threshold is met by fewer distinct real keys than it
 *     names (only keys 1 and 2 can sign: the input cannot forge);
 *   - a refusal has an error class and a message;
 *   - a fetched target has the signed length and SHA-256.
 * Each input runs two updates: the spec's order, then lazy root mode
 * against the state the first one left.  KIT_FUZZ_DEBUG=1 prints what
 * each update said.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "kit_crypto.h"
#include "kit_tuf.h"

#define SEP "\n@@kit-fuzz@@\n"
#define NSLICES 10

static const unsigned char seed1[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const unsigned char seed2[32] = {
	0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
	0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
	0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb,
};

static struct kit_key *key[2];
static unsigned char *own_root;
static size_t own_root_len;

struct served {
	struct fuzz_slice s[NSLICES];
	int roots; /* root requests so far */
};

static void
die(const char *what, const struct kit_error *err)
{
	fprintf(stderr, "tuf_client_fuzz: %s: %s\n", what, err ? err->msg : "");
	abort();
}

/* The harness's pinned root: version 1, key 1 for every role. */
static void
make_own_root(void)
{
	struct kit_error err = {0};
	char kid[KIT_SHA256_HEX];
	json_t *signed_, *meta, *roles;
	const char *names[] = {"root", "targets", "snapshot", "timestamp"};
	size_t i;
	char *text;

	for (i = 0; i < 2; i++)
		if ((key[i] = kit_key_from_seed(i ? seed2 : seed1, &err)) == NULL)
			die("key", &err);
	if (kit_tuf_keyid(key[0], kid, &err) < 0)
		die("keyid", &err);
	roles = json_object();
	for (i = 0; i < 4; i++)
		json_object_set_new(roles, names[i],
				    json_pack("{s:[s], s:i}", "keyids", kid,
					      "threshold", 1));
	signed_ = json_pack("{s:s, s:s, s:i, s:s, s:b, s:{s:o}, s:o}", "_type",
			    "root", "spec_version", "1.0.31", "version", 1,
			    "expires", "2099-12-31T23:59:59Z",
			    "consistent_snapshot", 1, "keys", kid,
			    kit_tuf_key_json(key[0]), "roles", roles);
	meta = json_pack("{s:o, s:[]}", "signed", signed_, "signatures");
	if (meta == NULL || kit_tuf_sign(meta, key[0], &err) < 0)
		die("sign the root", &err);
	text = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(1));
	own_root_len = strlen(text);
	own_root = (unsigned char *)text;
	json_decref(meta);
}

static int
serve(void *arg, const char *relpath, const char *dest, uint64_t max,
      struct kit_error *err)
{
	struct served *sv = arg;
	const struct fuzz_slice *s;
	size_t n;
	struct kit_error e = {0};

	if (kit_str_has_prefix(relpath, "targets/"))
		s = &sv->s[9];
	else if (strcmp(relpath, "metadata/timestamp.json") == 0)
		s = &sv->s[6];
	else if (kit_str_has_suffix(relpath, ".root.json"))
		s = sv->roots < 2 ? &sv->s[4 + sv->roots++] : NULL;
	else if (kit_str_has_suffix(relpath, "snapshot.json"))
		s = &sv->s[7];
	else if (kit_str_has_suffix(relpath, "targets.json"))
		s = &sv->s[8];
	else
		abort(); /* the client asked for something unheard of */
	if (s == NULL || !s->present || s->len == 0)
		return KIT_TUF_FETCH_NOT_FOUND;
	if (s->len == 4 && memcmp(s->p, "!304", 4) == 0)
		return KIT_TUF_FETCH_NOT_MODIFIED;
	if (s->len == 4 && memcmp(s->p, "!err", 4) == 0)
		return kit_err(err, KIT_E_NETWORK, "%s: connection reset", relpath);
	n = s->len;
	if (n > max + 1)
		n = (size_t)max + 1;
	if (kit_file_write_atomic(dest, s->p, n, 0644, &e) < 0)
		die("write a download", &e);
	return KIT_TUF_FETCH_OK;
}

/* How many of the real keys (1 and 2) made a valid signature of meta. */
static int64_t
real_signers(const json_t *meta)
{
	struct kit_error err = {0};
	struct kit_buf b;
	const json_t *sigs = json_object_get(meta, "signatures"), *sg;
	unsigned char raw[KIT_ED25519_SIG_LEN];
	int64_t n = 0;
	size_t i, k;

	kit_buf_init(&b, KIT_TUF_MAX_CANONICAL);
	if (kit_tuf_canonical(json_object_get(meta, "signed"), &b, &err) < 0)
		die("canonical JSON of trusted metadata", &err);
	for (k = 0; k < 2; k++) {
		json_array_foreach(sigs, i, sg) {
			const char *hex = json_string_value(json_object_get(sg, "sig"));

			if (hex == NULL || strlen(hex) != 2 * KIT_ED25519_SIG_LEN ||
			    kit_hex_decode(hex, raw, sizeof(raw)) < 0)
				continue;
			kit_err_clear(&err);
			if (kit_key_verify(key[k], b.data, b.len, raw, sizeof(raw),
					   &err) == 0) {
				n++;
				break;
			}
		}
	}
	kit_buf_free(&b);
	return n;
}

static json_t *
load_state(const char *state, const char *file, enum kit_tuf_role role,
	   int64_t start)
{
	struct kit_error err = {0};
	unsigned char *raw = NULL;
	size_t len = 0;
	char path[512];
	int64_t expires = 0;
	json_t *j;

	if (snprintf(path, sizeof(path), "%s/%s", state, file) >= (int)sizeof(path))
		abort();
	if (kit_file_read(path, 64u << 20, &raw, &len, &err) < 0)
		die("an update succeeded without a trusted file", &err);
	j = kit_tuf_parse(raw, len, path, &err);
	free(raw);
	if (j == NULL ||
	    kit_tuf_check(j, role, path, NULL, &expires, &err) < 0)
		die("an update succeeded with a malformed trusted file", &err);
	if (expires <= start) {
		fprintf(stderr, "tuf_client_fuzz: %s expired at %lld\n", path,
			(long long)expires);
		abort();
	}
	return j;
}

static void
check_success(const char *state, int64_t start)
{
	static const char *const files[KIT_TUF_NROLES] = {
		"root.json", "targets.json", "snapshot.json", "timestamp.json",
	};
	json_t *md[KIT_TUF_NROLES];
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++)
		md[i] = load_state(state, files[i], (enum kit_tuf_role)i, start);
	for (i = 0; i < KIT_TUF_NROLES; i++) {
		const json_t *r = json_object_get(json_object_get(
			json_object_get(md[0], "signed"), "roles"),
			kit_tuf_role_name((enum kit_tuf_role)i));
		int64_t th = json_integer_value(json_object_get(r, "threshold"));
		int64_t n = real_signers(md[i]);

		if (n < th) {
			fprintf(stderr, "tuf_client_fuzz: %s: threshold %lld met "
				"with %lld distinct real keys\n", files[i],
				(long long)th, (long long)n);
			abort();
		}
	}
	for (i = 0; i < KIT_TUF_NROLES; i++)
		json_decref(md[i]);
}

static void
fetch_targets(struct kit_tuf_client *c, const char *dl)
{
	struct kit_tuf_target t;
	struct kit_error err = {0};
	size_t i, n = kit_tuf_client_target_count(c);
	char hex[KIT_SHA256_HEX];
	uint64_t len = 0;

	for (i = 0; i < n && i < 4; i++) {
		if (kit_tuf_client_target_at(c, i, &t) < 0)
			abort();
		kit_err_clear(&err);
		if (kit_tuf_client_fetch_target(c, t.name, dl, &err) < 0) {
			if (getenv("KIT_FUZZ_DEBUG"))
				fprintf(stderr, "target: %s\n", err.msg);
			if (err.code == KIT_E_OK || err.msg[0] == '\0')
				die("a refused target without a message", NULL);
			continue;
		}
		if (kit_sha256_file(dl, hex, &len, &err) < 0)
			die("a fetched target is not there", &err);
		if (len != t.length || strcmp(hex, t.sha256) != 0)
			die("a fetched target differs from the signed one", NULL);
		if (unlink(dl) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const state_files[3] = {
		"state/timestamp.json", "state/snapshot.json", "state/targets.json",
	};
	struct served sv;
	struct kit_error err = {0};
	struct kit_tuf_client *c = NULL;
	char state[512], root[512], dl[512];
	int64_t start;
	int pass, i, pinned = 0;

	fuzz_workdir("tuf-client");
	if (own_root == NULL)
		make_own_root();
	fuzz_split(data, size, SEP, sv.s, NSLICES);
	fuzz_rm("state");
	fuzz_path(state, sizeof(state), "state");
	fuzz_path(root, sizeof(root), "pinned.json");
	fuzz_path(dl, sizeof(dl), "target.download");

	/* The pinned root: the input's if it can be pinned, else ours. */
	if (sv.s[0].len > 0) {
		fuzz_put("pinned.json", sv.s[0].p, sv.s[0].len);
		if (kit_tuf_client_pin_root(state, root, 0, &err) == 0) {
			pinned = 1;
		} else {
			if (err.code == KIT_E_OK)
				die("a refused root without an error class", NULL);
			kit_err_clear(&err);
			fuzz_rm("state");
		}
	}
	if (!pinned) {
		fuzz_put("pinned.json", own_root, own_root_len);
		if (kit_tuf_client_pin_root(state, root, 0, &err) < 0)
			die("pin the harness's root", &err);
	}
	for (i = 0; i < 3; i++)
		if (sv.s[1 + i].len > 0)
			fuzz_put(state_files[i], sv.s[1 + i].p, sv.s[1 + i].len);

	start = (int64_t)time(NULL);
	for (pass = 0; pass < 2; pass++) {
		sv.roots = 0;
		c = kit_tuf_client_new(state, serve, &sv, &err);
		if (c == NULL)
			die("client", &err);
		kit_tuf_client_set_lazy_root(c, pass);
		kit_err_clear(&err);
		if (kit_tuf_client_update(c, &err) == 0) {
			check_success(state, start);
			fetch_targets(c, dl);
		} else if (err.code == KIT_E_OK || err.msg[0] == '\0') {
			die("a refused update without a message", NULL);
		}
		if (getenv("KIT_FUZZ_DEBUG"))
			fprintf(stderr, "pass %d: %s\n", pass,
				err.code ? err.msg : "ok");
		kit_tuf_client_free(c);
	}
	return 0;
}
