/* kit-fuzz-links: tuf */
/* kit-fuzz-dict: tuf */
/*
 * tuf_client_fuzz.c: the TUF client workflow (kit_tuf_client_update and
 * kit_tuf_client_fetch_target) with the fuzz input served as every
 * metadata file.
 *
 * The input is cut into slices at the line "@@kit-fuzz@@" (see
 * gen_signed_seeds.py, which writes the seeds with valid signatures):
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

#include "fuzz_tuf.h"
#include "fuzz_util.h"

#define SEP "\n@@kit-fuzz@@\n"
#define NSLICES 10

static unsigned char *own_root;
static size_t own_root_len;

struct served {
	struct fuzz_slice s[NSLICES];
	int roots; /* root requests so far */
};

static void
make_own_root(void)
{
	json_t *meta = fuzz_tuf_root();
	char *text = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(1));

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
		fuzz_die("write a download", &e);
	return KIT_TUF_FETCH_OK;
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
		fuzz_die("an update succeeded without a trusted file", &err);
	j = kit_tuf_parse(raw, len, path, &err);
	free(raw);
	if (j == NULL ||
	    kit_tuf_check(j, role, path, NULL, &expires, &err) < 0)
		fuzz_die("an update succeeded with a malformed trusted file", &err);
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
		"root.json",
		"targets.json",
		"snapshot.json",
		"timestamp.json",
	};
	json_t *md[KIT_TUF_NROLES];
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++)
		md[i] = load_state(state, files[i], (enum kit_tuf_role)i, start);
	for (i = 0; i < KIT_TUF_NROLES; i++) {
		int64_t th = fuzz_tuf_threshold(md[0], (enum kit_tuf_role)i);
		int64_t n = fuzz_tuf_real_signers(md[i]);

		if (n < th) {
			fprintf(stderr, "tuf_client_fuzz: %s: threshold %lld met "
					"with %lld distinct real keys\n",
				files[i],
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
			fuzz_debug("target: %s", err.msg);
			if (err.code == KIT_E_OK || err.msg[0] == '\0')
				fuzz_die("a refused target without a message", NULL);
			continue;
		}
		if (kit_sha256_file(dl, hex, &len, &err) < 0)
			fuzz_die("a fetched target is not there", &err);
		if (len != t.length || strcmp(hex, t.sha256) != 0)
			fuzz_die("a fetched target differs from the signed one", NULL);
		if (unlink(dl) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const state_files[3] = {
		"state/timestamp.json",
		"state/snapshot.json",
		"state/targets.json",
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
				fuzz_die("a refused root without an error class", NULL);
			kit_err_clear(&err);
			fuzz_rm("state");
		}
	}
	if (!pinned) {
		fuzz_put("pinned.json", own_root, own_root_len);
		if (kit_tuf_client_pin_root(state, root, 0, &err) < 0)
			fuzz_die("pin the harness's root", &err);
	}
	for (i = 0; i < 3; i++)
		if (sv.s[1 + i].len > 0)
			fuzz_put(state_files[i], sv.s[1 + i].p, sv.s[1 + i].len);

	start = (int64_t)time(NULL);
	for (pass = 0; pass < 2; pass++) {
		sv.roots = 0;
		c = kit_tuf_client_new(state, serve, &sv, &err);
		if (c == NULL)
			fuzz_die("client", &err);
		kit_tuf_client_set_lazy_root(c, pass);
		kit_err_clear(&err);
		if (kit_tuf_client_update(c, &err) == 0) {
			check_success(state, start);
			fetch_targets(c, dl);
		} else if (err.code == KIT_E_OK || err.msg[0] == '\0') {
			fuzz_die("a refused update without a message", NULL);
		}
		fuzz_debug("pass %d: %s", pass, err.code ? err.msg : "ok");
		kit_tuf_client_free(c);
	}
	return 0;
}
