/*
 * delegation.c: delegated targets roles: the shape of "delegations", and
 * the client's target search through them (specification 5.6.7).
 *
 * A delegated role is only ever trusted through the delegation that led
 * to it in the current search: its keys and threshold come from that
 * delegator, its version (and length and hashes) from the trusted
 * snapshot.  A role reached again through another delegator is verified
 * again with that delegator's keys, so a role name shared by two branches
 * never carries one branch's authority into the other.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_tuf.h"
#include "tuf_int.h"

#define BAD(...) \
	do { \
		kit_err(err, KIT_E_SECURITY, __VA_ARGS__); \
		goto out; \
	} while (0)
#define REFUSE "; refused (the repository or a mirror serves malformed metadata)"

/* Longest role name this client follows (kit_tuf_role_filename() may
 * still refuse a shorter one whose escaped form is too long). */
#define MAX_ROLE_NAME KIT_TUF_MAX_NAME_PART

/* --- shape ---------------------------------------------------------------- */

static int
is_string_array(const json_t *a, int unique)
{
	size_t i, j;

	if (!json_is_array(a))
		return 0;
	for (i = 0; i < json_array_size(a); i++) {
		if (!json_is_string(json_array_get(a, i)))
			return 0;
		for (j = 0; unique && j < i; j++)
			if (json_equal(json_array_get(a, i), json_array_get(a, j)))
				return 0;
	}
	return 1;
}

static int
check_threshold_keyids(const json_t *r, const char *what, const char *name,
		       struct kit_error *err)
{
	const json_t *t = json_object_get(r, "threshold");

	if (!json_is_integer(t) || json_integer_value(t) < 1)
		return kit_err(err, KIT_E_SECURITY, "%s: delegated role \"%.80s\" needs a threshold >= 1" REFUSE, what,
			       name);
	if (!is_string_array(json_object_get(r, "keyids"), 1))
		return kit_err(err, KIT_E_SECURITY, "%s: delegated role \"%.80s\" needs keyids, strings listed once" REFUSE, what, name);
	return 0;
}

int
tuf_check_delegations(const json_t *d, const char *what, struct kit_error *err)
{
	const json_t *keys, *roles, *succ, *r, *paths, *prefixes, *bits;
	const char *name;
	size_t i, j;
	int rc = -1;

	if (!json_is_object(d))
		BAD("%s: delegations is not an object" REFUSE, what);
	keys = json_object_get(d, "keys");
	if (!json_is_object(keys))
		BAD("%s: delegations lack \"keys\"" REFUSE, what);
	if (tuf_check_keys(keys, what, err) < 0)
		goto out;
	roles = json_object_get(d, "roles");
	succ = json_object_get(d, "succinct_roles");
	if ((roles == NULL) == (succ == NULL))
		BAD("%s: delegations need exactly one of \"roles\" and \"succinct_roles\"" REFUSE, what);
	if (succ != NULL) {
		bits = json_object_get(succ, "bit_length");
		if (!json_is_object(succ) ||
		    check_threshold_keyids(succ, what, "succinct_roles", err) < 0)
			goto out;
		if (!json_is_integer(bits) || json_integer_value(bits) < 1 ||
		    json_integer_value(bits) > 32 ||
		    !json_is_string(json_object_get(succ, "name_prefix")))
			BAD("%s: succinct_roles need a bit_length of 1 to 32 and a name_prefix" REFUSE, what);
		rc = 0;
		goto out;
	}
	if (!json_is_array(roles))
		BAD("%s: delegations \"roles\" is not a list" REFUSE, what);
	for (i = 0; i < json_array_size(roles); i++) {
		r = json_array_get(roles, i);
		name = json_string_value(json_object_get(r, "name"));
		if (!json_is_object(r) || name == NULL || name[0] == '\0')
			BAD("%s: delegated role %zu has no name" REFUSE, what, i);
		if (kit_tuf_role_from_name(name) >= 0)
			BAD("%s: a delegated role may not be called \"%s\", the name of a top-level role" REFUSE, what, name);
		for (j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(
						 json_array_get(roles, j), "name"))) == 0)
				BAD("%s: delegated role \"%.80s\" is listed twice" REFUSE, what, name);
		if (check_threshold_keyids(r, what, name, err) < 0)
			goto out;
		if (!json_is_boolean(json_object_get(r, "terminating")))
			BAD("%s: delegated role \"%.80s\" needs a boolean \"terminating\"" REFUSE, what, name);
		paths = json_object_get(r, "paths");
		prefixes = json_object_get(r, "path_hash_prefixes");
		if ((paths == NULL) == (prefixes == NULL) ||
		    !is_string_array(paths != NULL ? paths : prefixes, 0))
			BAD("%s: delegated role \"%.80s\" needs exactly one of \"paths\" and \"path_hash_prefixes\", each a list of strings" REFUSE, what, name);
	}
	rc = 0;
out:
	return rc;
}

/* --- which delegations cover a target ------------------------------------- */

/*
 * A "paths" pattern covers name when they have as many '/'-separated
 * components and each matches as a shell pattern (python-tuf's
 * fnmatch per component).  fnmatch(3) with FNM_PATHNAME does exactly
 * that: '*', '?' and brackets never match '/'.  FNM_NOESCAPE: a backslash
 * is an ordinary character, as in Python's fnmatch.
 */
static int
path_covered(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, FNM_PATHNAME | FNM_NOESCAPE) == 0;
}

static int
delegation_covers(const json_t *role, const char *name, const char *name_hex)
{
	const json_t *list = json_object_get(role, "paths"), *v;
	size_t i;

	if (list != NULL) {
		json_array_foreach (list, i, v)
			if (path_covered(json_string_value(v), name))
				return 1;
		return 0;
	}
	json_array_foreach (json_object_get(role, "path_hash_prefixes"), i, v)
		if (strncmp(name_hex, json_string_value(v),
			    strlen(json_string_value(v))) == 0)
			return 1;
	return 0;
}

int
tuf_delegation_covers(const json_t *role, const char *name)
{
	char hex[KIT_SHA256_HEX];

	kit_sha256_hex(name, strlen(name), hex);
	return delegation_covers(role, name, hex);
}

/* TAP 15: the bin of name is the first bit_length bits of SHA-256(name),
 * named "<prefix>-<bin in hex, zero-padded to the width of the last>". */
static void
succinct_role_name(const json_t *succ, const char *name_hex, char *out,
		   size_t size, int *too_long)
{
	const char *prefix = json_string_value(json_object_get(succ, "name_prefix"));
	int bits = (int)json_integer_value(json_object_get(succ, "bit_length"));
	uint32_t first, bin, last;
	char head[9];
	int width, n;

	memcpy(head, name_hex, 8);
	head[8] = '\0';
	first = (uint32_t)strtoul(head, NULL, 16);
	bin = bits == 32 ? first : first >> (32 - bits);
	last = bits == 32 ? UINT32_MAX : (UINT32_C(1) << bits) - 1;
	width = snprintf(NULL, 0, "%x", (unsigned)last);
	n = snprintf(out, size, "%s-%0*x", prefix, width, (unsigned)bin);
	*too_long = n < 0 || (size_t)n >= size;
}

/* --- delegated roles loaded in this update ------------------------------- */

struct deleg_role {
	char *name;
	json_t *j;
	unsigned char *raw;
	size_t len;
};

struct tuf_deleg {
	struct deleg_role *r;
	size_t n;
};

void
tuf_deleg_free(struct tuf_deleg *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->r[i].name);
		json_decref(d->r[i].j);
		free(d->r[i].raw);
	}
	free(d->r);
	free(d);
}

int64_t
tuf_deleg_earliest_expiry(const struct tuf_deleg *d)
{
	int64_t e, min = INT64_MAX;
	size_t i;

	for (i = 0; d != NULL && i < d->n; i++) {
		if (tuf_parse_expires(json_string_value(json_object_get(
					      json_object_get(d->r[i].j, "signed"), "expires")),
				      &e) != 0)
			e = 0; /* checked when loaded; never later than now */
		if (e < min)
			min = e;
	}
	return min;
}

static struct deleg_role *
deleg_find(struct tuf_deleg *d, const char *name)
{
	size_t i;

	for (i = 0; d != NULL && i < d->n; i++)
		if (strcmp(d->r[i].name, name) == 0)
			return &d->r[i];
	return NULL;
}

/* The delegation that leads to a role: the delegator's keys and the role's
 * entry ({keyids, threshold}), both borrowed from the delegator. */
struct edge {
	char name[MAX_ROLE_NAME + 1];
	char delegator[MAX_ROLE_NAME + 1];
	int too_long; /* name did not fit: refused if the search gets there */
	const json_t *keys, *role;
};

static int
verify_delegated(const struct edge *e, const json_t *meta, const char *what,
		 struct kit_error *err)
{
	char namer[MAX_ROLE_NAME + 32];

	snprintf(namer, sizeof(namer), "delegating role \"%s\"", e->delegator);
	return tuf_verify_keys(e->keys, json_object_get(e->role, "keyids"),
			       json_integer_value(json_object_get(e->role,
								  "threshold")),
			       e->name, namer, meta, what, err);
}

/* Every check of a delegated role's bytes but the signatures. */
static int
check_role_bytes(struct kit_tuf_client *c, const struct edge *e,
		 const json_t *entry, const unsigned char *raw, size_t len,
		 const char *what, json_t **out, struct kit_error *err)
{
	json_t *j = NULL;
	int64_t version, expires, want;
	int rc = -1;

	*out = NULL;
	if (tuf_client_check_len_hashes(entry, raw, len, what,
					"the trusted snapshot", err) < 0)
		goto out;
	j = kit_tuf_parse(raw, len, what, err);
	if (j == NULL ||
	    kit_tuf_check(j, KIT_TUF_TARGETS, what, &version, &expires, err) < 0 ||
	    verify_delegated(e, j, what, err) < 0)
		goto out;
	want = json_integer_value(json_object_get(entry, "version"));
	if (version != want) {
		kit_err(err, KIT_E_SECURITY, "%s holds version %lld but the trusted snapshot lists version %lld; refused (mix-and-match or rollback attack protection)", what,
			(long long)version, (long long)want);
		goto out;
	}
	if (tuf_client_expired(c, what, expires, err) < 0)
		goto out;
	*out = j;
	j = NULL;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Strict paths: every target the role lists must be one its delegation
 * lets it sign. */
static int
outside_paths(const struct edge *e, const json_t *meta, struct kit_error *err)
{
	const json_t *targets = json_object_get(json_object_get(meta, "signed"), "targets"), *t;
	const char *name;
	char safe[160];

	json_object_foreach ((json_t *)targets, name, t) {
		if (tuf_delegation_covers(e->role, name))
			continue;
		kit_str_sanitize(name, safe, sizeof(safe));
		return kit_err(err, KIT_E_SECURITY, "delegated role \"%.80s\" signs target \"%s\", outside the paths its delegation by \"%.80s\" allows; refused: its key signed for another office or role (report it to HQ)", e->name, safe, e->delegator);
	}
	return 0;
}

/*
 * The "signed" object of the role e leads to: from this update's memory
 * (verified again with e's keys), else state_dir/<role>.json when it still
 * passes every check, else downloaded, checked and kept there.
 */
static const json_t *
load_role(struct kit_tuf_client *c, const struct edge *e, struct kit_error *err)
{
	struct tuf_deleg **dp = tuf_client_deleg(c);
	struct deleg_role *r = deleg_find(*dp, e->name), nr = {0};
	const json_t *entry, *l;
	struct kit_error ignore = {0};
	char fname[KIT_TUF_MAX_NAME_PART + 1], file[KIT_TUF_MAX_NAME_PART + 32];
	char path[4096], what[600];
	int64_t version;
	size_t max;
	int st;

	snprintf(what, sizeof(what), "delegated role \"%.80s\" metadata", e->name);
	if (r != NULL) {
		if (verify_delegated(e, r->j, what, err) < 0)
			return NULL;
		return json_object_get(r->j, "signed");
	}
	if (kit_tuf_role_filename(e->name, fname, sizeof(fname), err) < 0)
		return NULL;
	/* the snapshot names the role as it is, requests and files escape it */
	snprintf(file, sizeof(file), "%s.json", e->name);
	entry = json_object_get(json_object_get(tuf_client_signed(c,
								  KIT_TUF_SNAPSHOT),
						"meta"),
				file);
	snprintf(file, sizeof(file), "%s.json", fname);
	if (entry == NULL) {
		kit_err(err, KIT_E_SECURITY, "delegated role \"%.80s\" (delegated by \"%.80s\") is not listed in the trusted snapshot; refused (it cannot be checked against rollback or mix-and-match)", e->name, e->delegator);
		return NULL;
	}
	version = json_integer_value(json_object_get(entry, "version"));
	l = json_object_get(entry, "length");
	max = l != NULL ? (size_t)json_integer_value(l) : KIT_TUF_MAX_TARGETS_LEN;
	if (max > KIT_TUF_MAX_TARGETS_LEN)
		max = KIT_TUF_MAX_TARGETS_LEN;

	/* the copy kept by an earlier update, if it still passes */
	if (kit_path_join(path, sizeof(path), tuf_client_dir(c), file, err) < 0)
		return NULL;
	if (kit_file_exists(path) &&
	    kit_file_read(path, max, &nr.raw, &nr.len, &ignore) == 0 &&
	    check_role_bytes(c, e, entry, nr.raw, nr.len, what, &nr.j,
			     &ignore) == 0)
		goto keep;
	free(nr.raw);
	nr.raw = NULL;

	if (tuf_client_consistent(c))
		snprintf(file, sizeof(file), "%lld.%s.json", (long long)version,
			 fname);
	snprintf(what, sizeof(what), "delegated role \"%.80s\" metadata %s",
		 e->name, file);
	st = tuf_client_download(c, file, max, &nr.raw, &nr.len, err);
	if (st < 0)
		goto fail;
	if (st != KIT_TUF_FETCH_OK) {
		kit_err(err, KIT_E_NETWORK, "%s is not on the repository (listed by the trusted snapshot); try again later or another mirror", what);
		goto fail;
	}
	if (check_role_bytes(c, e, entry, nr.raw, nr.len, what, &nr.j, err) < 0 ||
	    kit_file_write_atomic(path, nr.raw, nr.len, 0644, err) < 0)
		goto fail;
keep:
	if (tuf_client_strict_paths(c) && outside_paths(e, nr.j, err) != 0)
		goto fail;
	if (*dp == NULL)
		*dp = kit_xcalloc(1, sizeof(**dp));
	(*dp)->r = kit_xrealloc((*dp)->r, ((*dp)->n + 1) * sizeof(*(*dp)->r));
	nr.name = kit_strdup(e->name);
	(*dp)->r[(*dp)->n++] = nr;
	return json_object_get(nr.j, "signed");
fail:
	json_decref(nr.j);
	free(nr.raw);
	return NULL;
}

/* --- the search ---------------------------------------------------------- */

struct stack {
	struct edge *e;
	size_t n, cap;
};

static struct edge *
push(struct stack *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->e = kit_xrealloc(s->e, s->cap * sizeof(*s->e));
	}
	memset(&s->e[s->n], 0, sizeof(s->e[0]));
	return &s->e[s->n++];
}

/* The delegation to role r (or the TAP 15 bin of name) from the role
 * named from, with delegations d. */
static void
set_edge(struct edge *e, const json_t *d, const json_t *r, const char *from,
	 const char *name_hex)
{
	const char *rn = json_string_value(json_object_get(r, "name"));

	e->keys = json_object_get(d, "keys");
	e->role = r;
	snprintf(e->delegator, sizeof(e->delegator), "%s", from);
	if (rn == NULL)
		succinct_role_name(r, name_hex, e->name, sizeof(e->name),
				   &e->too_long);
	else
		e->too_long = snprintf(e->name, sizeof(e->name), "%s", rn) >=
			      (int)sizeof(e->name);
}

/*
 * Push the delegations of sig (role from) that cover name, so that the
 * first listed is popped first; a terminating one drops everything else
 * still to visit but those listed before it here.
 */
static void
push_children(struct stack *s, const json_t *sig, const char *from,
	      const char *name, const char *name_hex)
{
	const json_t *d = json_object_get(sig, "delegations"), *r;
	size_t i, first = s->n;
	int term;

	if (d == NULL)
		return;
	if (json_object_get(d, "succinct_roles") != NULL) {
		/* one bin covers every name, and bins are terminating */
		s->n = 0;
		set_edge(push(s), d, json_object_get(d, "succinct_roles"), from,
			 name_hex);
		return;
	}
	json_array_foreach (json_object_get(d, "roles"), i, r) {
		if (!delegation_covers(r, name, name_hex))
			continue;
		term = json_is_true(json_object_get(r, "terminating"));
		if (term && first > 0) {
			memmove(s->e, s->e + first, (s->n - first) * sizeof(*s->e));
			s->n -= first;
			first = 0;
		}
		set_edge(push(s), d, r, from, name_hex);
		if (term)
			break;
	}
	/* listed order -> stack order */
	for (i = 0; i < (s->n - first) / 2; i++) {
		struct edge t = s->e[first + i];

		s->e[first + i] = s->e[s->n - 1 - i];
		s->e[s->n - 1 - i] = t;
	}
}

int
kit_tuf_client_find_target(struct kit_tuf_client *c, const char *name,
			   struct kit_tuf_target *out, struct kit_error *err)
{
	struct stack s = {0};
	struct edge cur;
	char visited[KIT_TUF_MAX_DELEGATIONS + 1][MAX_ROLE_NAME + 1];
	const json_t *sig, *targets;
	char name_hex[KIT_SHA256_HEX];
	size_t nvisited = 0, i;
	void *it;
	int seen, rc = -1;

	sig = tuf_client_signed(c, KIT_TUF_TARGETS);
	if (sig == NULL)
		return kit_err(err, KIT_E_INVALID, "target lookup before a successful update");
	kit_sha256_hex(name, strlen(name), name_hex);
	memset(&cur, 0, sizeof(cur));
	snprintf(cur.name, sizeof(cur.name), "targets");
	for (;;) {
		targets = json_object_get(sig, "targets");
		it = json_object_iter_at((json_t *)targets, name);
		if (it != NULL) {
			/* the key as stored in sig, which lives in c */
			tuf_fill_target(json_object_iter_key(it),
					json_object_iter_value(it), out);
			rc = 0;
			goto out;
		}
		memcpy(visited[nvisited++], cur.name, sizeof(cur.name));
		push_children(&s, sig, cur.name, name, name_hex);
		/* next: the top of the stack that is not visited yet */
		for (seen = 1; seen;) {
			if (s.n == 0 || nvisited > KIT_TUF_MAX_DELEGATIONS) {
				rc = 1;
				goto out;
			}
			cur = s.e[--s.n];
			for (seen = 0, i = 0; i < nvisited && !seen; i++)
				seen = strcmp(visited[i], cur.name) == 0;
		}
		if (cur.too_long) {
			kit_err(err, KIT_E_SECURITY, "delegated role \"%s...\" (delegated by \"%.80s\"): its name is longer than the %d bytes this client follows; refused",
				cur.name, cur.delegator, MAX_ROLE_NAME);
			goto out;
		}
		sig = load_role(c, &cur, err);
		if (sig == NULL)
			goto out;
	}
out:
	free(s.e);
	return rc;
}
