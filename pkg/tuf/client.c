/*
 * client.c: the TUF client workflow (specification section 5), with the
 * transport left to a callback.
 *
 * The trusted set lives in state_dir as root.json, timestamp.json,
 * snapshot.json and targets.json.  Every update starts again from those
 * files (the in-memory set of a previous update is dropped), so a failed
 * update can never leave something half-trusted in memory, and a file is
 * only written after every check on it passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_tuf.h"
#include "tuf_int.h"

struct trusted {
	json_t *j;
	unsigned char *raw;
	size_t len;
	int64_t version, expires;
};

struct kit_tuf_client {
	char *dir;
	kit_tuf_fetch_fn fetch;
	void *arg;
	int lazy;
	int64_t now;
	struct trusted md[KIT_TUF_NROLES];
	int targets_changed;
	int64_t ts_offered, ts_trusted; /* timestamp versions, last update */
	const char **names;
	size_t nnames;
	struct tuf_deleg *deleg;   /* delegated roles loaded since the update */
	int strict_paths;          /* a role signing outside its paths is refused */
	char hint[KIT_SHA256_HEX]; /* kit_tuf_client_set_unchanged_hint() */
	int64_t hint_expires;
	int unchanged;
};

static const char *const state_file[KIT_TUF_NROLES] = {
	"root.json",
	"targets.json",
	"snapshot.json",
	"timestamp.json",
};

static const size_t max_len[KIT_TUF_NROLES] = {
	KIT_TUF_MAX_ROOT_LEN,
	KIT_TUF_MAX_TARGETS_LEN,
	KIT_TUF_MAX_SNAPSHOT_LEN,
	KIT_TUF_MAX_TIMESTAMP_LEN,
};

static void
trusted_clear(struct trusted *t)
{
	json_decref(t->j);
	free(t->raw);
	memset(t, 0, sizeof(*t));
}

static void
trusted_move(struct trusted *dst, struct trusted *src)
{
	trusted_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

struct kit_tuf_client *
kit_tuf_client_new(const char *state_dir, kit_tuf_fetch_fn fetch, void *arg,
		   struct kit_error *err)
{
	struct kit_tuf_client *c;

	if (state_dir == NULL || fetch == NULL) {
		kit_err(err, KIT_E_INVALID, "tuf client: no state dir or fetch callback");
		return NULL;
	}
	c = kit_xcalloc(1, sizeof(*c));
	c->dir = kit_strdup(state_dir);
	c->fetch = fetch;
	c->arg = arg;
	return c;
}

void
kit_tuf_client_free(struct kit_tuf_client *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < KIT_TUF_NROLES; i++)
		trusted_clear(&c->md[i]);
	tuf_deleg_free(c->deleg);
	free(c->names);
	free(c->dir);
	free(c);
}

void
kit_tuf_client_set_strict_paths(struct kit_tuf_client *c, int on)
{
	c->strict_paths = on;
}

int
tuf_client_strict_paths(const struct kit_tuf_client *c)
{
	return c->strict_paths;
}

void
kit_tuf_client_set_lazy_root(struct kit_tuf_client *c, int on)
{
	c->lazy = on;
}

void
kit_tuf_client_set_unchanged_hint(struct kit_tuf_client *c, const char *digest,
				  int64_t expires)
{
	c->hint[0] = '\0';
	c->hint_expires = 0;
	if (digest != NULL && kit_hex_is_digest(digest, KIT_SHA256_LEN)) {
		snprintf(c->hint, sizeof(c->hint), "%s", digest);
		c->hint_expires = expires;
	}
}

int
kit_tuf_client_unchanged(const struct kit_tuf_client *c)
{
	return c->unchanged;
}

int
kit_tuf_client_timestamp_digest(const struct kit_tuf_client *c, char *hex)
{
	const struct trusted *t = &c->md[KIT_TUF_TIMESTAMP];

	if (t->raw == NULL)
		return -1;
	kit_sha256_hex(t->raw, t->len, hex);
	return 0;
}

int64_t
kit_tuf_client_earliest_expiry(const struct kit_tuf_client *c)
{
	int64_t min = tuf_deleg_earliest_expiry(c->deleg);
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++) {
		if (c->md[i].j == NULL)
			return 0;
		if (c->md[i].expires < min)
			min = c->md[i].expires;
	}
	return min == INT64_MAX ? 0 : min;
}

static int
expired(struct kit_tuf_client *c, const char *what, int64_t expires,
	struct kit_error *err)
{
	char e[32], n[32];

	if (expires > c->now)
		return 0;
	kit_time_format_utc(expires, e, sizeof(e));
	kit_time_format_utc(c->now, n, sizeof(n));
	return kit_err(err, KIT_E_SECURITY,
		       "%s expired at %s and the clock of this machine says %s: the clock of this machine may be wrong, or the repository has not been refreshed; refused (freeze attack protection), fix the clock or ask the publisher to re-sign", what, e, n);
}

/*
 * Bytes to JSON, shape-checked for role.  Ownership of the buffer always
 * moves: *raw is set to NULL at once, the bytes belong to t on success and
 * are freed on failure, so a caller never frees them (nor frees them twice).
 */
static int
trusted_from_bytes(struct trusted *t, enum kit_tuf_role role, const char *what,
		   unsigned char **raw, size_t len, struct kit_error *err)
{
	memset(t, 0, sizeof(*t));
	t->raw = *raw;
	t->len = len;
	*raw = NULL;
	t->j = kit_tuf_parse(t->raw, len, what, err);
	if (t->j == NULL ||
	    kit_tuf_check(t->j, role, what, &t->version, &t->expires, err) < 0) {
		trusted_clear(t);
		return -1;
	}
	return 0;
}

/* Load state_dir/<role>.json; 0 with t->j == NULL when absent. */
static int
load_local(struct kit_tuf_client *c, enum kit_tuf_role role,
	   struct trusted *t, struct kit_error *err)
{
	char path[4096], what[4200];
	unsigned char *raw = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc = -1;

	memset(t, 0, sizeof(*t));
	if (kit_path_join(path, sizeof(path), c->dir, state_file[role], err) < 0)
		return -1;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT || role != KIT_TUF_ROOT)
			return 0;
		return kit_err_errno(err, KIT_E_IO, errno, "cannot read trusted root %s", path);
	}
	/* The other roles, when not a plain file of ours, count as absent
	 * (refetched, replaced by rename); the root has no such fallback:
	 * say what was found there, never quote its bytes. */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		if (role != KIT_TUF_ROOT)
			return 0;
		return kit_err(err, KIT_E_IO, "trusted root %s is %s, not a file kit-fetch wrote; refused: remove it and install the repository's root.json again (kit-fetch init --force)", path, S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISREG(st.st_mode) ? "hard-linked to another file"
																																 : "not a regular file");
	}
	fd = kit_file_open_read(AT_FDCWD, path, &st, err);
	if (fd >= 0 && st.st_nlink == 1)
		rc = kit_fd_read_all(fd, path, max_len[role], &raw, &len, err);
	else if (fd >= 0)
		kit_err(err, KIT_E_IO, "%s is hard-linked to another file", path);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		kit_err_prefix(err, "trusted %s metadata", kit_tuf_role_name(role));
		return -1;
	}
	snprintf(what, sizeof(what), "trusted %s", path);
	if (trusted_from_bytes(t, role, what, &raw, len, err) == 0)
		return 0;
	if (role == KIT_TUF_ROOT) {
		/* local state, not a repository's answer */
		kit_err_clear(err);
		kit_err(err, KIT_E_IO, "trusted root %s is damaged (not root metadata); install the repository's root.json again (kit-fetch init --force)", path);
	}
	return -1;
}

static int
remove_local(struct kit_tuf_client *c, enum kit_tuf_role role,
	     struct kit_error *err)
{
	char path[4096];

	if (kit_path_join(path, sizeof(path), c->dir, state_file[role], err) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return kit_err_errno(err, KIT_E_IO, errno, "remove %s", path);
	return kit_fsync_parent(path, err);
}

static int
persist(struct kit_tuf_client *c, enum kit_tuf_role role,
	const struct trusted *t, struct kit_error *err)
{
	char path[4096];

	if (kit_path_join(path, sizeof(path), c->dir, state_file[role], err) < 0)
		return -1;
	return kit_file_write_atomic(path, t->raw, t->len, 0644, err);
}

/*
 * Fetch metadata/<name> into memory, at most max bytes.  Returns the
 * callback's status (OK, NOT_FOUND, NOT_MODIFIED) or -1.
 */
static int
download(struct kit_tuf_client *c, const char *name, size_t max,
	 unsigned char **raw, size_t *len, struct kit_error *err)
{
	char rel[512], tmp[4096];
	struct kit_error e = {0};
	int st, rc = -1;

	*raw = NULL;
	*len = 0;
	if (kit_snprintf(err, rel, sizeof(rel), "metadata/%s", name) < 0 ||
	    kit_path_join(tmp, sizeof(tmp), c->dir, ".download.tmp", err) < 0)
		return -1;
	if (unlink(tmp) < 0 && errno != ENOENT)
		return kit_err_errno(err, KIT_E_IO, errno, "remove %s", tmp);
	st = c->fetch(c->arg, rel, tmp, max, &e);
	if (st < 0) {
		if (e.code == KIT_E_OK)
			kit_err(&e, KIT_E_NETWORK, "download of %s failed", rel);
		kit_err_copy(err, &e);
		goto out;
	}
	if (st == KIT_TUF_FETCH_NOT_FOUND || st == KIT_TUF_FETCH_NOT_MODIFIED) {
		rc = st;
		goto out;
	}
	if (st != KIT_TUF_FETCH_OK) {
		kit_err(err, KIT_E_INVALID, "fetch callback returned %d for %s", st, rel);
		goto out;
	}
	if (kit_file_read(tmp, max, raw, len, &e) < 0) {
		kit_err(err, e.code, "%s: %s%s", rel, e.msg,
			e.code == KIT_E_SECURITY ? " (endless data attack protection: the file is larger than the trusted metadata allows); refused" : "");
		goto out;
	}
	rc = KIT_TUF_FETCH_OK;
out:
	(void)unlink(tmp);
	return rc;
}

/*
 * Every hash this client computes (sha256, sha512) that by lists for a file
 * must match what was computed (NULL: not computed, so not listed either);
 * at least one of them must be listed.  kit_tuf_check() made sure they are
 * lower-case hex of the right length.
 */
static int
check_hashes_listed(const char *want256, const char *want512,
		    const char *sha256hex, const char *sha512hex,
		    const char *what, const char *by, struct kit_error *err)
{
	if (want256 == NULL && want512 == NULL)
		return kit_err(err, KIT_E_SECURITY,
			       "%s: %s lists neither a sha256 nor a sha512 hash, so this client cannot check it; refused", what,
			       by);
	if (want256 != NULL && !kit_hex_equal(sha256hex, want256))
		return kit_err(err, KIT_E_SECURITY,
			       "%s has SHA-256 %s but %s says %.64s; refused (mix-and-match or tampering)", what, sha256hex,
			       by, want256);
	if (want512 != NULL && !kit_hex_equal(sha512hex, want512))
		return kit_err(err, KIT_E_SECURITY,
			       "%s has SHA-512 %s but %s says %.128s; refused (mix-and-match or tampering)", what, sha512hex,
			       by, want512);
	return 0;
}

/* Length and hashes of bytes against a trusted meta entry. */
static int
check_len_hashes(const json_t *entry, const unsigned char *raw, size_t len,
		 const char *what, const char *by, struct kit_error *err)
{
	const json_t *l = json_object_get(entry, "length");
	const json_t *h = json_object_get(entry, "hashes");
	const char *want256, *want512;
	char h256[KIT_SHA256_HEX] = "", h512[KIT_SHA512_HEX] = "";

	if (l != NULL && (uint64_t)json_integer_value(l) != (uint64_t)len)
		return kit_err(err, KIT_E_SECURITY,
			       "%s is %zu bytes but %s says %lld; refused (mix-and-match or tampering)", what, len, by,
			       (long long)json_integer_value(l));
	if (h == NULL)
		return 0;
	want256 = json_string_value(json_object_get(h, "sha256"));
	want512 = json_string_value(json_object_get(h, "sha512"));
	if (want256 != NULL)
		kit_sha256_hex(raw, len, h256);
	if (want512 != NULL)
		kit_sha512_hex(raw, len, h512);
	return check_hashes_listed(want256, want512, h256, h512, what, by, err);
}

/* --- 5.3 the root chain ------------------------------------------------ */

/*
 * Lazy root mode skips the root chain walk while the timestamp is
 * unchanged, but not for ever: the walk is due when the trusted root has
 * expired (a newer root may be published; only the walk can find it) or
 * when the last walk is not known to lie within the last
 * KIT_TUF_ROOT_WALK_INTERVAL.  The time of the last walk is kept in
 * state_dir/KIT_TUF_ROOT_WALK_FILE, a file anyone with access to the state
 * directory could change: it is read bounded, parsed strictly, and a
 * missing, malformed or future time makes the walk due, so the file can
 * only ever cause a walk, never prevent one.
 */
static int64_t
last_root_walk(const struct kit_tuf_client *c)
{
	struct kit_error e = {0};
	unsigned char *raw = NULL;
	char path[4096];
	size_t len = 0;
	int64_t t = -1;

	if (kit_path_join(path, sizeof(path), c->dir, KIT_TUF_ROOT_WALK_FILE,
			  &e) < 0 ||
	    kit_file_read(path, 64, &raw, &len, &e) < 0)
		return -1;
	if (len > 0 && raw[len - 1] == '\n')
		raw[--len] = '\0';
	if (strlen((char *)raw) != len || tuf_parse_expires((char *)raw, &t) < 0)
		t = -1;
	free(raw);
	return t;
}

static int
root_walk_due(const struct kit_tuf_client *c)
{
	int64_t last = last_root_walk(c);

	return c->md[KIT_TUF_ROOT].expires <= c->now || last < 0 ||
	       last > c->now || c->now - last >= KIT_TUF_ROOT_WALK_INTERVAL;
}

static int
record_root_walk(const struct kit_tuf_client *c, struct kit_error *err)
{
	char path[4096], stamp[32], line[40];

	kit_time_format_utc(c->now, stamp, sizeof(stamp));
	snprintf(line, sizeof(line), "%s\n", stamp);
	if (kit_path_join(path, sizeof(path), c->dir, KIT_TUF_ROOT_WALK_FILE,
			  err) < 0)
		return -1;
	return kit_file_write_atomic(path, line, strlen(line), 0644, err);
}

static int
update_root(struct kit_tuf_client *c, struct kit_error *err)
{
	struct trusted t = {0};
	unsigned char *raw = NULL;
	size_t len = 0;
	char name[64], what[96];
	int64_t next;
	int i, st, rc = -1;

	for (i = 0; i < KIT_TUF_MAX_ROOT_ROTATIONS; i++) {
		/* A root of the highest version has no successor (and
		 * version + 1 would overflow). */
		if (c->md[KIT_TUF_ROOT].version == INT64_MAX)
			break;
		next = c->md[KIT_TUF_ROOT].version + 1;
		snprintf(name, sizeof(name), "%lld.root.json", (long long)next);
		snprintf(what, sizeof(what), "root metadata %s", name);
		st = download(c, name, KIT_TUF_MAX_ROOT_LEN, &raw, &len, err);
		if (st < 0)
			goto out;
		if (st != KIT_TUF_FETCH_OK)
			break; /* the newest root is reached */
		if (trusted_from_bytes(&t, KIT_TUF_ROOT, what, &raw, len, err) < 0)
			goto out;
		/* Signed by the old root's threshold AND its own. */
		if (kit_tuf_verify(c->md[KIT_TUF_ROOT].j, KIT_TUF_ROOT, t.j, what,
				   err) < 0) {
			kit_err_prefix(err, "root rotation to version %lld is not signed by the threshold of the trusted root version %lld", (long long)next,
				       (long long)c->md[KIT_TUF_ROOT].version);
			goto out;
		}
		if (kit_tuf_verify(t.j, KIT_TUF_ROOT, t.j, what, err) < 0) {
			kit_err_prefix(err, "root version %lld is not signed by the threshold of its own root keys",
				       (long long)next);
			goto out;
		}
		if (t.version != next) {
			kit_err(err, KIT_E_SECURITY,
				"%s holds version %lld, expected %lld; refused (rollback attack protection)", what,
				(long long)t.version, (long long)next);
			goto out;
		}
		if (persist(c, KIT_TUF_ROOT, &t, err) < 0)
			goto out;
		trusted_move(&c->md[KIT_TUF_ROOT], &t);
	}
	if (record_root_walk(c, err) < 0 ||
	    expired(c, "root metadata (the newest trusted root)",
		    c->md[KIT_TUF_ROOT].expires, err) < 0)
		goto out;
	rc = 0;
out:
	free(raw);
	trusted_clear(&t);
	return rc;
}

/* Load the trusted file of role if it still verifies under the root;
 * otherwise it is ignored (it cannot protect against anything). */
static int
load_trusted_role(struct kit_tuf_client *c, enum kit_tuf_role role,
		  struct kit_error *err)
{
	struct trusted t;
	struct kit_error e = {0};

	if (load_local(c, role, &t, &e) < 0) {
		if (e.code == KIT_E_IO) {
			kit_err_copy(err, &e);
			return -1;
		}
		return 0;
	}
	if (t.j != NULL &&
	    kit_tuf_verify(c->md[KIT_TUF_ROOT].j, role, t.j, "trusted", &e) < 0) {
		trusted_clear(&t);
		return 0;
	}
	trusted_move(&c->md[role], &t);
	return 0;
}

static int64_t
meta_version(const struct trusted *t, const char *name)
{
	const json_t *m = json_object_get(json_object_get(t->j, "signed"), "meta");

	return json_integer_value(json_object_get(json_object_get(m, name),
						  "version"));
}

static const json_t *
meta_entry(const struct trusted *t, const char *name)
{
	return json_object_get(json_object_get(json_object_get(t->j, "signed"),
					       "meta"),
			       name);
}

/* --- 5.4 timestamp ------------------------------------------------------ */

/* The downloaded timestamp (st: the fetch status) in *rawp, len bytes:
 * ownership moves here (*rawp is NULL on return, whatever the result). */
static int
update_timestamp(struct kit_tuf_client *c, int st, unsigned char **rawp,
		 size_t len, struct kit_error *err)
{
	struct trusted t = {0}, *old = &c->md[KIT_TUF_TIMESTAMP];
	const char *what = "timestamp metadata timestamp.json";
	unsigned char *raw = *rawp;
	int64_t oldsv, newsv;
	int rc = -1;

	*rawp = NULL;
	c->ts_trusted = old->j != NULL ? old->version : 0;
	if (st == KIT_TUF_FETCH_NOT_MODIFIED ||
	    (old->j != NULL && raw != NULL && len == old->len &&
	     memcmp(raw, old->raw, len) == 0)) {
		if (old->j == NULL) {
			kit_err(err, KIT_E_NETWORK, "timestamp.json reported unchanged but this client has no trusted timestamp; the fetch callback must not answer \"not modified\" then");
			goto out;
		}
		free(raw);
		raw = NULL;
		c->ts_offered = old->version;
		goto expiry;
	}
	if (trusted_from_bytes(&t, KIT_TUF_TIMESTAMP, what, &raw, len, err) < 0)
		goto out;
	if (kit_tuf_verify(c->md[KIT_TUF_ROOT].j, KIT_TUF_TIMESTAMP, t.j, what,
			   err) < 0)
		goto out;
	c->ts_offered = t.version;
	if (old->j != NULL) {
		if (t.version < old->version) {
			kit_err(err, KIT_E_SECURITY,
				"%s: version %lld is older than the trusted version %lld; refused (rollback attack protection: a mirror or attacker serves old metadata)", what, (long long)t.version,
				(long long)old->version);
			goto out;
		}
		if (t.version == old->version)
			goto expiry; /* unchanged: keep the trusted one */
		oldsv = meta_version(old, "snapshot.json");
		newsv = meta_version(&t, "snapshot.json");
		if (newsv < oldsv) {
			kit_err(err, KIT_E_SECURITY,
				"%s: snapshot version %lld is older than the trusted %lld; refused (rollback attack protection)", what, (long long)newsv,
				(long long)oldsv);
			goto out;
		}
	}
	if (expired(c, what, t.expires, err) < 0 ||
	    persist(c, KIT_TUF_TIMESTAMP, &t, err) < 0)
		goto out;
	trusted_move(old, &t);
expiry:
	if (expired(c, "timestamp metadata timestamp.json", old->expires, err) < 0)
		goto out;
	rc = 0;
out:
	free(raw);
	trusted_clear(&t);
	return rc;
}

/*
 * Snapshot and targets follow the same steps: the newer role names the
 * version (and maybe length and hashes); a trusted copy that matches is
 * reused, else N.<role>.json is downloaded and checked.
 */
static int
update_listed(struct kit_tuf_client *c, enum kit_tuf_role role,
	      struct kit_error *err)
{
	enum kit_tuf_role parent = role == KIT_TUF_SNAPSHOT ? KIT_TUF_TIMESTAMP
							    : KIT_TUF_SNAPSHOT;
	const char *rname = kit_tuf_role_name(role), *pfile;
	struct trusted t = {0}, *old = &c->md[role];
	const json_t *entry, *l, *om, *nm, *v;
	struct kit_error e = {0};
	unsigned char *raw = NULL;
	size_t len = 0, max;
	char name[96], what[160], by[64];
	const char *mname;
	int64_t want;
	int st, rc = -1;

	mname = state_file[role];
	pfile = state_file[parent];
	entry = meta_entry(&c->md[parent], mname);
	if (entry == NULL) {
		kit_err(err, KIT_E_SECURITY, "%s metadata does not list %s; refused", kit_tuf_role_name(parent), mname);
		goto out;
	}
	want = json_integer_value(json_object_get(entry, "version"));
	snprintf(by, sizeof(by), "the trusted %s", pfile);
	if (tuf_client_consistent(c))
		snprintf(name, sizeof(name), "%lld.%s", (long long)want, mname);
	else
		snprintf(name, sizeof(name), "%s", mname);
	snprintf(what, sizeof(what), "%s metadata %s", rname, name);

	/* The trusted copy is the one listed: no download needed. */
	if (old->j != NULL && old->version == want &&
	    check_len_hashes(entry, old->raw, old->len, what, by, &e) == 0)
		goto expiry;

	l = json_object_get(entry, "length");
	max = l != NULL ? (size_t)json_integer_value(l) : max_len[role];
	st = download(c, name, max, &raw, &len, err);
	if (st < 0)
		goto out;
	if (st != KIT_TUF_FETCH_OK) {
		kit_err(err, KIT_E_NETWORK, "%s is not on the repository (listed by %s); try again later or another mirror",
			what, pfile);
		goto out;
	}
	if (check_len_hashes(entry, raw, len, what, by, err) < 0)
		goto out;
	if (trusted_from_bytes(&t, role, what, &raw, len, err) < 0)
		goto out;
	if (kit_tuf_verify(c->md[KIT_TUF_ROOT].j, role, t.j, what, err) < 0)
		goto out;
	if (t.version != want) {
		kit_err(err, KIT_E_SECURITY, "%s holds version %lld but %s lists version %lld; refused (mix-and-match or rollback attack protection)", what, (long long)t.version, by,
			(long long)want);
		goto out;
	}
	if (role == KIT_TUF_SNAPSHOT && old->j != NULL) {
		om = json_object_get(json_object_get(old->j, "signed"), "meta");
		nm = json_object_get(json_object_get(t.j, "signed"), "meta");
		json_object_foreach ((json_t *)om, mname, v) {
			const json_t *n = json_object_get(nm, mname);
			int64_t ov = json_integer_value(json_object_get(v, "version"));

			if (n == NULL) {
				kit_err(err, KIT_E_SECURITY, "%s no longer lists %s, which the trusted snapshot lists; refused (rollback attack protection)",
					what, mname);
				goto out;
			}
			if (json_integer_value(json_object_get(n, "version")) < ov) {
				kit_err(err, KIT_E_SECURITY, "%s lists %s version %lld, older than the trusted %lld; refused (rollback attack protection)", what, mname,
					(long long)json_integer_value(
						json_object_get(n, "version")),
					(long long)ov);
				goto out;
			}
		}
	}
	if (expired(c, what, t.expires, err) < 0 || persist(c, role, &t, err) < 0)
		goto out;
	trusted_move(old, &t);
expiry:
	snprintf(what, sizeof(what), "%s metadata (version %lld)", rname,
		 (long long)old->version);
	if (expired(c, what, old->expires, err) < 0)
		goto out;
	rc = 0;
out:
	free(raw);
	trusted_clear(&t);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
index_targets(struct kit_tuf_client *c)
{
	const json_t *t;
	const char *name;
	json_t *v;
	size_t i = 0;

	free(c->names);
	t = json_object_get(json_object_get(c->md[KIT_TUF_TARGETS].j, "signed"),
			    "targets");
	c->nnames = json_object_size(t);
	c->names = kit_xcalloc(c->nnames + 1, sizeof(*c->names));
	json_object_foreach ((json_t *)t, name, v)
		c->names[i++] = name;
	qsort(c->names, c->nnames, sizeof(*c->names), cmp_names);
}

static int
roles_differ(const json_t *a, const json_t *b, enum kit_tuf_role role)
{
	const char *n = kit_tuf_role_name(role);

	return !json_equal(
		json_object_get(json_object_get(json_object_get(a, "signed"),
						"roles"),
				n),
		json_object_get(json_object_get(json_object_get(b, "signed"),
						"roles"),
				n));
}

/* 5.1: a fixed start time, and nothing left of an earlier update. */
static void
update_reset(struct kit_tuf_client *c)
{
	int i;

	c->now = kit_time_now();
	c->targets_changed = 0;
	c->unchanged = 0;
	c->ts_offered = c->ts_trusted = 0;
	for (i = 0; i < KIT_TUF_NROLES; i++)
		trusted_clear(&c->md[i]);
	tuf_deleg_free(c->deleg);
	c->deleg = NULL;
	free(c->names);
	c->names = NULL;
	c->nnames = 0;
}

/* 5.2: the trusted root, which must verify with its own keys. */
static int
load_trusted_root(struct kit_tuf_client *c, struct kit_error *err)
{
	struct trusted t;

	if (load_local(c, KIT_TUF_ROOT, &t, err) < 0)
		return -1;
	if (t.j == NULL)
		return kit_err(err, KIT_E_IO, "no trusted root in %s; install the repository's root.json first (kit-fetch init)", c->dir);
	trusted_move(&c->md[KIT_TUF_ROOT], &t);
	if (kit_tuf_verify(c->md[KIT_TUF_ROOT].j, KIT_TUF_ROOT,
			   c->md[KIT_TUF_ROOT].j, "trusted root.json", err) < 0) {
		kit_err_prefix(err, "the trusted root in %s is damaged; reinstall it from a trusted copy", c->dir);
		return -1;
	}
	return 0;
}

/*
 * Lazy-root mode, when no root walk is due: the timestamp first.  When the
 * server answers 304 to the kept validators, *skip_root is set; when it
 * is also what the caller's hint names, with nothing expired, the update
 * is over: 1.  0: go on (*st, *raw, *len hold what was downloaded, if
 * anything); -1: err set.
 */
static int
lazy_timestamp(struct kit_tuf_client *c, int *st, unsigned char **raw,
	       size_t *len, int *skip_root, struct kit_error *err)
{
	struct trusted *ts = &c->md[KIT_TUF_TIMESTAMP];
	char hex[KIT_SHA256_HEX];

	if (load_trusted_role(c, KIT_TUF_TIMESTAMP, err) < 0)
		return -1;
	if (ts->j != NULL) {
		*st = download(c, "timestamp.json", KIT_TUF_MAX_TIMESTAMP_LEN,
			       raw, len, err);
		if (*st < 0)
			return -1;
		/* Only the server's 304 to our validators proves nothing
		 * changed; the same bytes in a 200 do not (a new root may be
		 * published under them). */
		if (*st == KIT_TUF_FETCH_NOT_MODIFIED)
			*skip_root = 1;
	}
	if (*skip_root && c->hint[0] != '\0') {
		kit_sha256_hex(ts->raw, ts->len, hex);
		if (strcmp(hex, c->hint) == 0 && c->hint_expires > c->now &&
		    c->md[KIT_TUF_ROOT].expires > c->now &&
		    ts->expires > c->now) {
			/* unchanged since the caller's last complete
			 * update: nothing else to load or check */
			c->ts_offered = c->ts_trusted = ts->version;
			c->unchanged = 1;
			return 1;
		}
	}
	trusted_clear(ts);
	return 0;
}

/* The version of the trusted targets before this update; 0 if none. */
static int64_t
previous_targets(struct kit_tuf_client *c)
{
	struct kit_error e = {0};
	struct trusted t;
	int64_t v = 0;

	if (load_local(c, KIT_TUF_TARGETS, &t, &e) == 0 && t.j != NULL)
		v = t.version;
	trusted_clear(&t);
	return v;
}

/* 5.3.11 fast-forward attack recovery: the trusted snapshot and timestamp
 * go when the new root rotated their keys; then the trusted roles are
 * loaded. */
static int
recover_rotated(struct kit_tuf_client *c, const json_t *orig_root,
		struct kit_error *err)
{
	int i;

	if (roles_differ(orig_root, c->md[KIT_TUF_ROOT].j, KIT_TUF_SNAPSHOT)) {
		if (remove_local(c, KIT_TUF_SNAPSHOT, err) < 0 ||
		    remove_local(c, KIT_TUF_TIMESTAMP, err) < 0)
			return -1;
	} else if (roles_differ(orig_root, c->md[KIT_TUF_ROOT].j,
				KIT_TUF_TIMESTAMP)) {
		if (remove_local(c, KIT_TUF_TIMESTAMP, err) < 0)
			return -1;
	}
	for (i = KIT_TUF_TARGETS; i < KIT_TUF_NROLES; i++)
		if (load_trusted_role(c, (enum kit_tuf_role)i, err) < 0)
			return -1;
	return 0;
}

int
kit_tuf_client_update(struct kit_tuf_client *c, struct kit_error *err)
{
	json_t *orig_root = NULL;
	unsigned char *ts_raw = NULL;
	size_t ts_len = 0;
	int64_t prev_targets = 0;
	int i, st = -1, skip_root = 0, rc = -1, done;

	update_reset(c);
	if (load_trusted_root(c, err) != 0)
		goto out;
	orig_root = json_incref(c->md[KIT_TUF_ROOT].j);
	if (c->lazy && !root_walk_due(c)) {
		done = lazy_timestamp(c, &st, &ts_raw, &ts_len, &skip_root, err);
		if (done != 0) {
			rc = done > 0 ? 0 : -1;
			goto out;
		}
	}
	prev_targets = previous_targets(c);
	/* 5.3 the root chain, root expiry */
	if (!skip_root) {
		if (update_root(c, err) < 0)
			goto out;
	} else if (expired(c, "root metadata (the newest trusted root)",
			   c->md[KIT_TUF_ROOT].expires, err) < 0) {
		goto out;
	}
	if (recover_rotated(c, orig_root, err) != 0)
		goto out;
	/* 5.4 timestamp */
	if ((st < 0 || ts_raw == NULL) &&
	    (st != KIT_TUF_FETCH_NOT_MODIFIED || !skip_root)) {
		free(ts_raw);
		ts_raw = NULL;
		st = download(c, "timestamp.json", KIT_TUF_MAX_TIMESTAMP_LEN,
			      &ts_raw, &ts_len, err);
		if (st < 0)
			goto out;
	}
	if (st == KIT_TUF_FETCH_NOT_FOUND) {
		kit_err(err, KIT_E_NETWORK, "metadata/timestamp.json is not on the repository; check the repository address");
		goto out;
	}
	if (update_timestamp(c, st, &ts_raw, ts_len, err) < 0)
		goto out;
	/* 5.5 snapshot, 5.6 targets */
	if (update_listed(c, KIT_TUF_SNAPSHOT, err) < 0 ||
	    update_listed(c, KIT_TUF_TARGETS, err) < 0)
		goto out;
	index_targets(c);
	c->targets_changed = c->md[KIT_TUF_TARGETS].version != prev_targets;
	rc = 0;
out:
	free(ts_raw);
	json_decref(orig_root);
	if (rc < 0) {
		for (i = 0; i < KIT_TUF_NROLES; i++)
			trusted_clear(&c->md[i]);
		free(c->names);
		c->names = NULL;
		c->nnames = 0;
	}
	return rc;
}

int
kit_tuf_client_targets_changed(const struct kit_tuf_client *c)
{
	return c->targets_changed;
}

int
kit_tuf_client_timestamp_versions(const struct kit_tuf_client *c,
				  int64_t *offered, int64_t *trusted)
{
	if (offered)
		*offered = c->ts_offered;
	if (trusted)
		*trusted = c->ts_trusted;
	return c->ts_offered > 0 && c->ts_trusted > 0 &&
	       c->ts_offered <= c->ts_trusted;
}

int64_t
kit_tuf_client_version(const struct kit_tuf_client *c, enum kit_tuf_role role)
{
	if ((int)role < 0 || role >= KIT_TUF_NROLES || c->md[role].j == NULL)
		return 0;
	return c->md[role].version;
}

size_t
kit_tuf_client_target_count(const struct kit_tuf_client *c)
{
	return c->nnames;
}

static void
fill_target(const struct kit_tuf_client *c, const char *name,
	    struct kit_tuf_target *out)
{
	tuf_fill_target(name, json_object_get(json_object_get(json_object_get(c->md[KIT_TUF_TARGETS].j, "signed"), "targets"), name), out);
}

void
tuf_fill_target(const char *name, const json_t *ti, struct kit_tuf_target *out)
{
	const json_t *h = json_object_get(ti, "hashes");

	out->name = name;
	out->length = (uint64_t)json_integer_value(json_object_get(ti, "length"));
	out->sha256 = json_string_value(json_object_get(h, "sha256"));
	out->sha512 = json_string_value(json_object_get(h, "sha512"));
	out->custom = json_object_get(ti, "custom");
}

int
kit_tuf_client_target_at(const struct kit_tuf_client *c, size_t i,
			 struct kit_tuf_target *out)
{
	if (i >= c->nnames)
		return -1;
	fill_target(c, c->names[i], out);
	return 0;
}

int
kit_tuf_client_target_get(const struct kit_tuf_client *c, const char *name,
			  struct kit_tuf_target *out, struct kit_error *err)
{
	const char *const *hit = c->nnames == 0 ? NULL : bsearch(&name, c->names, c->nnames, sizeof(*c->names), cmp_names);

	/* names are sorted (index_targets): a lookup is a binary search */
	if (hit != NULL) {
		fill_target(c, *hit, out);
		return 0;
	}
	return kit_err(err, KIT_E_INVALID, "no such target \"%.200s\" in the trusted targets metadata (update first, or check the name)", name);
}

int
kit_tuf_client_target_path(const struct kit_tuf_client *c,
			   const struct kit_tuf_target *t, char *out,
			   size_t size, struct kit_error *err)
{
	if (c->md[KIT_TUF_ROOT].j == NULL)
		return kit_err(err, KIT_E_INVALID, "no trusted root to say where targets live");
	if (t->sha256 == NULL && t->sha512 == NULL)
		return kit_err(err, KIT_E_SECURITY, "target \"%.200s\" lists neither a sha256 nor a sha512 hash, so this client cannot check it; refused", t->name);
	if (!kit_tuf_name_is_safe(t->name))
		return kit_err(err, KIT_E_SECURITY, "target name \"%.200s\" is not a safe relative path; refused", t->name);
	if (kit_tuf_target_path(out, size, t->name,
				t->sha256 != NULL ? t->sha256 : t->sha512,
				tuf_client_consistent(c)) != 0)
		return kit_err(err, KIT_E_INVALID, "target name \"%.200s\" is too long for a path", t->name);
	return 0;
}

int
kit_tuf_client_fetch_target(struct kit_tuf_client *c, const char *name,
			    const char *dest_path, struct kit_error *err)
{
	struct kit_tuf_target t;
	struct kit_error e = {0};
	struct stat sb;
	char rel[4096], h256[KIT_SHA256_HEX] = "", h512[KIT_SHA512_HEX] = "";
	char what[300];
	uint64_t len = 0;
	int st = -1, rc = -1, remove_dest = 1;

	st = kit_tuf_client_find_target(c, name, &t, err);
	if (st != 0)
		return st < 0 ? -1 : kit_err(err, KIT_E_INVALID, "no such target \"%.200s\" in the trusted targets metadata or its delegations (check the name)", name);
	st = -1;
	if (kit_tuf_client_target_path(c, &t, rel, sizeof(rel), err) != 0)
		return -1;
	st = c->fetch(c->arg, rel, dest_path, t.length, &e);
	if (st < 0) {
		if (e.code == KIT_E_OK)
			kit_err(&e, KIT_E_NETWORK, "download of %s failed", rel);
		kit_err_copy(err, &e);
		goto out;
	}
	if (st != KIT_TUF_FETCH_OK) {
		kit_err(err, KIT_E_NETWORK, "target %s is listed in the trusted targets metadata but %s is not on the repository; try again later or another mirror", name, rel);
		goto out;
	}
	if (lstat(dest_path, &sb) < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "stat %s", dest_path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > t.length) {
		kit_err(err, KIT_E_SECURITY, "target %s: the download is %lld bytes, more than the signed length %llu; refused (endless data attack protection)", name,
			(long long)sb.st_size, (unsigned long long)t.length);
		goto out;
	}
	if (kit_digests_file(dest_path, t.sha256 != NULL ? h256 : NULL,
			     t.sha512 != NULL ? h512 : NULL, &len, err) < 0)
		goto out;
	if (len != t.length) {
		kit_err(err, KIT_E_SECURITY, "target %s is %llu bytes but the targets metadata says %llu; refused (tampering or an interrupted download: try again)", name,
			(unsigned long long)len, (unsigned long long)t.length);
		goto out;
	}
	snprintf(what, sizeof(what), "target %.200s", name);
	if (check_hashes_listed(t.sha256, t.sha512, h256, h512, what,
				"the targets metadata", err) < 0)
		goto out;
	remove_dest = 0;
	rc = 0;
out:
	if (remove_dest && st != KIT_TUF_FETCH_NOT_FOUND)
		(void)unlink(dest_path);
	return rc;
}

int
kit_tuf_client_pin_root(const char *state_dir, const char *root_path,
			int replace, struct kit_error *err)
{
	struct trusted t = {0};
	unsigned char *raw = NULL;
	size_t len = 0;
	char path[4096], what[4200];
	int rc = -1;

	if (kit_path_join(path, sizeof(path), state_dir, "root.json", err) < 0)
		goto out;
	if (!replace && kit_file_exists(path)) {
		kit_err(err, KIT_E_INVALID, "%s exists already: a pinned root is only replaced on purpose", path);
		goto out;
	}
	if (kit_file_read(root_path, KIT_TUF_MAX_ROOT_LEN, &raw, &len, err) < 0)
		goto out;
	snprintf(what, sizeof(what), "root %s", root_path);
	if (trusted_from_bytes(&t, KIT_TUF_ROOT, what, &raw, len, err) < 0)
		goto out;
	if (kit_tuf_verify(t.j, KIT_TUF_ROOT, t.j, what, err) < 0 ||
	    kit_mkdir_p(state_dir, 0755, err) < 0 ||
	    kit_file_write_atomic(path, t.raw, t.len, 0644, err) < 0)
		goto out;
	rc = 0;
out:
	free(raw);
	trusted_clear(&t);
	return rc;
}

/* --- for delegation.c ---------------------------------------------------- */

int
tuf_client_consistent(const struct kit_tuf_client *c)
{
	return json_is_true(json_object_get(tuf_client_signed(c, KIT_TUF_ROOT),
					    "consistent_snapshot"));
}

const json_t *
tuf_client_signed(const struct kit_tuf_client *c, enum kit_tuf_role role)
{
	return json_object_get(c->md[role].j, "signed");
}

const char *
tuf_client_dir(const struct kit_tuf_client *c)
{
	return c->dir;
}

struct tuf_deleg **
tuf_client_deleg(struct kit_tuf_client *c)
{
	return &c->deleg;
}

int
tuf_client_download(struct kit_tuf_client *c, const char *name, size_t max,
		    unsigned char **raw, size_t *len, struct kit_error *err)
{
	return download(c, name, max, raw, len, err);
}

int
tuf_client_check_len_hashes(const json_t *entry, const unsigned char *raw,
			    size_t len, const char *what, const char *by,
			    struct kit_error *err)
{
	return check_len_hashes(entry, raw, len, what, by, err);
}

int
tuf_client_expired(struct kit_tuf_client *c, const char *what,
		   int64_t expires, struct kit_error *err)
{
	return expired(c, what, expires, err);
}
