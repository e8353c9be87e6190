/* meta.c: canonical JSON, key ids, signing, and the metadata checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_tuf.h"
#include "tuf_int.h"

static const char *const role_names[KIT_TUF_NROLES] = {
	"root",
	"targets",
	"snapshot",
	"timestamp",
};

const char *
kit_tuf_role_name(enum kit_tuf_role role)
{
	if ((int)role < 0 || role >= KIT_TUF_NROLES)
		return "?";
	return role_names[role];
}

int
kit_tuf_role_from_name(const char *name)
{
	int i;

	for (i = 0; i < KIT_TUF_NROLES; i++)
		if (name != NULL && strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

/* --- canonical JSON ------------------------------------------------- */

static int
cmp_keys(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: byte order, which for UTF-8 is
	 * code point order, as securesystemslib's sort(). */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
canon_string(const char *s, size_t n, struct kit_buf *out,
	     struct kit_error *err)
{
	size_t i, start = 0;

	if (kit_buf_append(out, "\"", 1, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		if (kit_buf_append(out, s + start, i - start, err) < 0 ||
		    kit_buf_append(out, "\\", 1, err) < 0)
			return -1;
		start = i;
	}
	if (kit_buf_append(out, s + start, n - start, err) < 0 ||
	    kit_buf_append(out, "\"", 1, err) < 0)
		return -1;
	return 0;
}

static int
canon(const json_t *j, struct kit_buf *out, int depth, struct kit_error *err)
{
	const char **keys = NULL;
	const char *k;
	json_t *v;
	size_t i, n;
	int rc = -1;

	if (depth > 64)
		return kit_err(err, KIT_E_INVALID,
			       "canonical JSON: nesting deeper than 64 levels");
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		n = json_object_size(j);
		keys = kit_xcalloc(n ? n : 1, sizeof(*keys));
		i = 0;
		json_object_foreach ((json_t *)j, k, v)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		if (kit_buf_append(out, "{", 1, err) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			if (i > 0 && kit_buf_append(out, ",", 1, err) < 0)
				goto out;
			if (canon_string(keys[i], strlen(keys[i]), out, err) < 0 ||
			    kit_buf_append(out, ":", 1, err) < 0 ||
			    canon(json_object_get(j, keys[i]), out, depth + 1,
				  err) < 0)
				goto out;
		}
		if (kit_buf_append(out, "}", 1, err) < 0)
			goto out;
		break;
	case JSON_ARRAY:
		if (kit_buf_append(out, "[", 1, err) < 0)
			goto out;
		for (i = 0; i < json_array_size(j); i++) {
			if (i > 0 && kit_buf_append(out, ",", 1, err) < 0)
				goto out;
			if (canon(json_array_get(j, i), out, depth + 1, err) < 0)
				goto out;
		}
		if (kit_buf_append(out, "]", 1, err) < 0)
			goto out;
		break;
	case JSON_STRING:
		if (canon_string(json_string_value(j), json_string_length(j),
				 out, err) < 0)
			goto out;
		break;
	case JSON_INTEGER:
		if (kit_buf_printf(out, err, "%" JSON_INTEGER_FORMAT,
				   json_integer_value(j)) < 0)
			goto out;
		break;
	case JSON_REAL:
		kit_err(err, KIT_E_INVALID,
			"canonical JSON: a real number (%g) is not allowed, only integers", json_real_value(j));
		goto out;
	case JSON_TRUE:
		if (kit_buf_append(out, "true", 4, err) < 0)
			goto out;
		break;
	case JSON_FALSE:
		if (kit_buf_append(out, "false", 5, err) < 0)
			goto out;
		break;
	case JSON_NULL:
		if (kit_buf_append(out, "null", 4, err) < 0)
			goto out;
		break;
	}
	rc = 0;
out:
	free(keys);
	return rc;
}

int
kit_tuf_canonical(const json_t *j, struct kit_buf *out, struct kit_error *err)
{
	if (j == NULL)
		return kit_err(err, KIT_E_INVALID, "canonical JSON: no value");
	return canon(j, out, 0, err);
}

/* --- keys and signatures --------------------------------------------- */

json_t *
kit_tuf_key_json(const struct kit_key *k)
{
	char hex[2 * KIT_ED25519_PUB_LEN + 1];

	kit_key_public_hex(k, hex);
	return json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme",
			 "ed25519", "keyval", "public", hex);
}

int
tuf_keyid_of_json(const json_t *key, char *keyid, struct kit_error *err)
{
	struct kit_buf b;
	int rc = -1;

	kit_buf_init(&b, 64 * 1024);
	if (kit_tuf_canonical(key, &b, err) < 0)
		goto out;
	kit_sha256_hex(b.data, b.len, keyid);
	rc = 0;
out:
	kit_buf_free(&b);
	return rc;
}

int
kit_tuf_keyid(const struct kit_key *k, char *keyid, struct kit_error *err)
{
	json_t *kj = kit_tuf_key_json(k);
	int rc;

	rc = tuf_keyid_of_json(kj, keyid, err);
	json_decref(kj);
	return rc;
}

int
kit_tuf_sign(json_t *meta, const struct kit_key *k, struct kit_error *err)
{
	struct kit_buf b;
	unsigned char sig[KIT_ED25519_SIG_LEN];
	char sighex[2 * KIT_ED25519_SIG_LEN + 1], keyid[KIT_SHA256_HEX];
	json_t *sigs, *s;
	size_t i;
	int rc = -1;

	kit_buf_init(&b, KIT_TUF_MAX_CANONICAL);
	if (!json_is_object(meta) || !json_is_object(json_object_get(meta, "signed"))) {
		kit_err(err, KIT_E_INVALID, "sign: metadata has no \"signed\" object");
		goto out;
	}
	if (kit_tuf_keyid(k, keyid, err) < 0 ||
	    kit_tuf_canonical(json_object_get(meta, "signed"), &b, err) < 0 ||
	    kit_key_sign(k, b.data, b.len, sig, err) < 0)
		goto out;
	kit_hex_encode(sig, sizeof(sig), sighex);
	sigs = json_object_get(meta, "signatures");
	if (!json_is_array(sigs)) {
		sigs = json_array();
		json_object_set_new(meta, "signatures", sigs);
	}
	for (i = 0; i < json_array_size(sigs);) {
		s = json_array_get(sigs, i);
		if (json_is_string(json_object_get(s, "keyid")) &&
		    strcmp(json_string_value(json_object_get(s, "keyid")),
			   keyid) == 0)
			json_array_remove(sigs, i);
		else
			i++;
	}
	json_array_append_new(sigs, json_pack("{s:s, s:s}", "keyid", keyid,
					      "sig", sighex));
	rc = 0;
out:
	kit_buf_free(&b);
	return rc;
}

json_t *
kit_tuf_parse(const unsigned char *buf, size_t len, const char *what,
	      struct kit_error *err)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		char reason[sizeof(jerr.text)];

		/* unverified bytes (a mirror, a stick) stay out of messages
		 * and the log */
		kit_json_reason(jerr.text, reason, sizeof(reason));
		kit_err(err, KIT_E_SECURITY,
			"%s is not valid JSON (line %d, column %d: %s); refused",
			what, jerr.line, jerr.column, reason);
		return NULL;
	}
	return j;
}

/* --- shape checks ---------------------------------------------------- */

/* Strict "YYYY-MM-DDTHH:MM:SSZ", as the spec writes expiry times. */
int
tuf_parse_expires(const char *s, int64_t *t)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	struct kit_error e = {0};
	int has_off = 0;
	size_t i;

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return -1;
	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return -1;
	}
	if (kit_time_parse(s, t, &has_off, &e) < 0 || !has_off)
		return -1;
	return 0;
}

#define BAD(...) \
	do { \
		kit_err(err, KIT_E_SECURITY, __VA_ARGS__); \
		goto out; \
	} while (0)
#define REFUSE "; refused as malformed TUF metadata"

static int
check_int(const json_t *v, int64_t min)
{
	return json_is_integer(v) && json_integer_value(v) >= min;
}

size_t
tuf_hash_len(const char *alg)
{
	if (strcmp(alg, "sha256") == 0)
		return KIT_SHA256_LEN;
	if (strcmp(alg, "sha512") == 0)
		return KIT_SHA512_LEN;
	return 0;
}

/*
 * A "hashes" object: not empty, every value a string, and the value of an
 * algorithm this client computes exactly its digest in lower-case hex (it
 * becomes part of file names: "../../x" must never get that far).  Other
 * algorithms are kept as they are (see check_len_hashes()).
 */
static int
check_hashes(const json_t *h, const char *what, const char *kind,
	     const char *name, struct kit_error *err)
{
	const json_t *v;
	const char *alg;
	size_t n;
	int rc = -1;

	if (!json_is_object(h) || json_object_size(h) == 0)
		BAD("%s: %s \"%.200s\" lacks hashes" REFUSE, what, kind, name);
	json_object_foreach ((json_t *)h, alg, v) {
		if (!json_is_string(v))
			BAD("%s: %s \"%.200s\" hash %.20s is not a string" REFUSE,
			    what, kind, name, alg);
		n = tuf_hash_len(alg);
		if (n != 0 && !kit_hex_is_digest(json_string_value(v), n))
			BAD("%s: %s \"%.200s\" %s is not %zu lower-case hex digits" REFUSE, what, kind, name, alg, 2 * n);
	}
	rc = 0;
out:
	return rc;
}

/* A meta entry {version, length?, hashes?}. */
static int
check_metafile(const json_t *m, const char *what, const char *name,
	       struct kit_error *err)
{
	const json_t *h, *v;
	int rc = -1;

	if (!json_is_object(m) || !check_int(json_object_get(m, "version"), 1))
		BAD("%s: meta \"%s\" lacks an integer version >= 1" REFUSE, what,
		    name);
	v = json_object_get(m, "length");
	if (v != NULL && !check_int(v, 0))
		BAD("%s: meta \"%s\" has a bad length" REFUSE, what, name);
	if (v != NULL && json_integer_value(v) == 0)
		BAD("%s: meta \"%s\" has a length of 0 (no metadata file is empty)" REFUSE, what, name);
	h = json_object_get(m, "hashes");
	if (h != NULL && check_hashes(h, what, "meta", name, err) < 0)
		goto out;
	rc = 0;
out:
	return rc;
}

int
tuf_check_keys(const json_t *keys, const char *what, struct kit_error *err)
{
	const json_t *k;
	const char *kid;
	int rc = -1;

	json_object_foreach ((json_t *)keys, kid, k) {
		if (!json_is_object(k) ||
		    !json_is_string(json_object_get(k, "keytype")) ||
		    !json_is_string(json_object_get(k, "scheme")) ||
		    !json_is_object(json_object_get(k, "keyval")))
			BAD("%s: key %.16s lacks keytype, scheme or keyval" REFUSE,
			    what, kid);
	}
	rc = 0;
out:
	return rc;
}

static int
check_root(const json_t *s, const char *what, struct kit_error *err)
{
	const json_t *keys, *roles, *r, *ids, *id;
	size_t i, j;
	int rc = -1, ri;

	if (!json_is_boolean(json_object_get(s, "consistent_snapshot")))
		BAD("%s: consistent_snapshot is missing or not a boolean" REFUSE, what);
	keys = json_object_get(s, "keys");
	roles = json_object_get(s, "roles");
	if (!json_is_object(keys) || !json_is_object(roles))
		BAD("%s: \"keys\" or \"roles\" missing" REFUSE, what);
	if (tuf_check_keys(keys, what, err) < 0)
		goto out;
	for (ri = 0; ri < KIT_TUF_NROLES; ri++) {
		r = json_object_get(roles, role_names[ri]);
		if (!json_is_object(r))
			BAD("%s: role \"%s\" missing" REFUSE, what, role_names[ri]);
		ids = json_object_get(r, "keyids");
		if (!check_int(json_object_get(r, "threshold"), 1) ||
		    !json_is_array(ids))
			BAD("%s: role \"%s\" needs keyids and a threshold >= 1" REFUSE,
			    what, role_names[ri]);
		for (i = 0; i < json_array_size(ids); i++) {
			id = json_array_get(ids, i);
			if (!json_is_string(id))
				BAD("%s: role \"%s\" has a key id that is not a string" REFUSE,
				    what, role_names[ri]);
			for (j = 0; j < i; j++)
				if (json_equal(id, json_array_get(ids, j)))
					BAD("%s: role \"%s\" lists key id %.16s twice" REFUSE,
					    what, role_names[ri], json_string_value(id));
		}
	}
	rc = 0;
out:
	return rc;
}

static int
check_targets(const json_t *s, const char *what, struct kit_error *err)
{
	const json_t *t, *ti, *h, *c, *v;
	const char *name;
	int rc = -1;

	t = json_object_get(s, "targets");
	if (!json_is_object(t))
		BAD("%s: \"targets\" missing" REFUSE, what);
	json_object_foreach ((json_t *)t, name, ti) {
		if (!json_is_object(ti) || !check_int(json_object_get(ti, "length"), 0))
			BAD("%s: target \"%.200s\" lacks a length" REFUSE, what, name);
		h = json_object_get(ti, "hashes");
		/* A target without a hash this client computes is refused
		 * when it is fetched, not here: the others stay usable. */
		if (check_hashes(h, what, "target", name, err) < 0)
			goto out;
		c = json_object_get(ti, "custom");
		if (c != NULL && !json_is_object(c))
			BAD("%s: target \"%.200s\" custom is not an object" REFUSE,
			    what, name);
	}
	v = json_object_get(s, "delegations");
	if (v != NULL && tuf_check_delegations(v, what, err) < 0)
		goto out;
	rc = 0;
out:
	return rc;
}

/*
 * "signatures": each {keyid, sig} of strings, and no key id twice (the
 * specification: "the keyid MUST be unique"; python-tuf refuses such
 * metadata too).  Sorted, so a huge list costs n log n, not n squared.
 */
static int
check_signatures(const json_t *sigs, const char *what, struct kit_error *err)
{
	size_t i, n = json_array_size(sigs);
	const char **ids = kit_xcalloc(n + 1, sizeof(*ids));
	const json_t *sig;
	int rc = -1;

	for (i = 0; i < n; i++) {
		sig = json_array_get(sigs, i);
		ids[i] = json_string_value(json_object_get(sig, "keyid"));
		if (ids[i] == NULL || !json_is_string(json_object_get(sig, "sig")))
			BAD("%s: signature %zu lacks keyid or sig" REFUSE, what, i);
	}
	qsort(ids, n, sizeof(*ids), cmp_keys);
	for (i = 1; i < n; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			BAD("%s: two signatures by key id %.64s (a key id must be unique in \"signatures\")" REFUSE, what, ids[i]);
	rc = 0;
out:
	free(ids);
	return rc;
}

int
kit_tuf_check(const json_t *meta, enum kit_tuf_role role, const char *what,
	      int64_t *version, int64_t *expires, struct kit_error *err)
{
	const json_t *s, *v, *m;
	const char *str, *name;
	int64_t t;
	int rc = -1;

	if (!json_is_object(meta))
		BAD("%s is not a JSON object" REFUSE, what);
	s = json_object_get(meta, "signed");
	v = json_object_get(meta, "signatures");
	if (!json_is_object(s) || !json_is_array(v))
		BAD("%s lacks \"signed\" or \"signatures\"" REFUSE, what);
	if (check_signatures(v, what, err) < 0)
		goto out;
	str = json_string_value(json_object_get(s, "_type"));
	if (str == NULL || strcmp(str, role_names[role]) != 0)
		BAD("%s: _type is \"%.40s\", expected \"%s\" (wrong role)" REFUSE,
		    what, str ? str : "(none)", role_names[role]);
	str = json_string_value(json_object_get(s, "spec_version"));
	if (str == NULL || strncmp(str, "1.", 2) != 0)
		BAD("%s: spec_version \"%.40s\" is not 1.x (this client follows TUF 1.0)" REFUSE, what, str ? str : "(none)");
	if (!check_int(json_object_get(s, "version"), 1))
		BAD("%s: version is not an integer >= 1" REFUSE, what);
	if (tuf_parse_expires(json_string_value(json_object_get(s, "expires")),
			      &t) < 0)
		BAD("%s: expires is not \"YYYY-MM-DDTHH:MM:SSZ\"" REFUSE, what);
	switch (role) {
	case KIT_TUF_ROOT:
		if (check_root(s, what, err) < 0)
			goto out;
		break;
	case KIT_TUF_TARGETS:
		if (check_targets(s, what, err) < 0)
			goto out;
		break;
	case KIT_TUF_SNAPSHOT:
	case KIT_TUF_TIMESTAMP:
		m = json_object_get(s, "meta");
		if (!json_is_object(m))
			BAD("%s: \"meta\" missing" REFUSE, what);
		if (role == KIT_TUF_TIMESTAMP &&
		    (json_object_size(m) != 1 ||
		     json_object_get(m, "snapshot.json") == NULL))
			BAD("%s: meta must list exactly snapshot.json" REFUSE, what);
		if (role == KIT_TUF_SNAPSHOT &&
		    json_object_get(m, "targets.json") == NULL)
			BAD("%s: meta does not list targets.json" REFUSE, what);
		json_object_foreach ((json_t *)m, name, v)
			if (check_metafile(v, what, name, err) < 0)
				goto out;
		break;
	default:
		BAD("%s: unknown role", what);
	}
	if (version != NULL)
		*version = json_integer_value(json_object_get(s, "version"));
	if (expires != NULL)
		*expires = t;
	rc = 0;
out:
	return rc;
}

/* --- signature verification ------------------------------------------ */

/*
 * The public key of a TUF key object, or NULL when its type or scheme is
 * not one this client verifies (it then never counts towards a threshold)
 * or its value is malformed (likewise).
 */
static struct kit_key *
tuf_key_load(const json_t *key)
{
	const char *type = json_string_value(json_object_get(key, "keytype"));
	const char *scheme = json_string_value(json_object_get(key, "scheme"));
	const char *pub = json_string_value(json_object_get(
		json_object_get(key, "keyval"), "public"));
	struct kit_error e = {0};

	if (type == NULL || scheme == NULL || pub == NULL)
		return NULL;
	/* The key types and schemes of the specification, as
	 * securesystemslib writes them: ed25519 in hex, the others PEM. */
	if (strcmp(type, "ed25519") == 0 && strcmp(scheme, "ed25519") == 0 &&
	    strlen(pub) == 2 * KIT_ED25519_PUB_LEN)
		return kit_key_from_public_hex(pub, &e);
	if ((strcmp(type, "ecdsa") == 0 ||
	     strcmp(type, "ecdsa-sha2-nistp256") == 0) &&
	    strcmp(scheme, "ecdsa-sha2-nistp256") == 0)
		return kit_key_from_public_pem(pub, KIT_KEY_ECDSA_P256, &e);
	if (strcmp(type, "rsa") == 0 && strcmp(scheme, "rsassa-pss-sha256") == 0)
		return kit_key_from_public_pem(pub, KIT_KEY_RSA_PSS_SHA256, &e);
	return NULL;
}

/*
 * Threshold counting.  A key counts once however often the root lists it:
 * under two key ids, with its public value written in upper or lower case,
 * or in another encoding.  Keys are told apart by their decoded bytes
 * (kit_key_fingerprint), never by the key id or the text of the key.
 * Key ids are not required to be the hash of the key: tuf-on-ci and the
 * Sigstore root, which the conformance suite replays, keep key ids that are
 * not, and python-tuf accepts them; counting distinct key bytes is what
 * keeps one key from meeting a threshold alone.
 */
int
kit_tuf_verify(const json_t *root, enum kit_tuf_role role, const json_t *meta,
	       const char *what, struct kit_error *err)
{
	const json_t *rs = json_object_get(root, "signed");
	const json_t *r = json_object_get(json_object_get(rs, "roles"),
					  role_names[role]);

	return tuf_verify_keys(json_object_get(rs, "keys"),
			       json_object_get(r, "keyids"),
			       json_integer_value(json_object_get(r, "threshold")),
			       role_names[role], "the trusted root", meta, what,
			       err);
}

int
tuf_verify_keys(const json_t *keys, const json_t *ids, int64_t threshold,
		const char *role, const char *namer, const json_t *meta,
		const char *what, struct kit_error *err)
{
	const json_t *sigs, *sig;
	const char *kid, *sighex;
	unsigned char(*seen)[KIT_SHA256_LEN] = NULL;
	unsigned char fp[KIT_SHA256_LEN], *raw = NULL;
	struct kit_buf b;
	struct kit_key *k = NULL;
	struct kit_error e;
	size_t i, j, nsig, rawlen, nseen = 0, invalid = 0;
	int rc = -1, dup, listed;

	kit_buf_init(&b, KIT_TUF_MAX_CANONICAL);
	if (!json_is_object(keys) || !json_is_array(ids) || threshold < 1) {
		kit_err(err, KIT_E_SECURITY, "%s: the trusted metadata define no keys or threshold for role %.80s", what, role);
		goto out;
	}
	memset(&e, 0, sizeof(e));
	if (kit_tuf_canonical(json_object_get(meta, "signed"), &b, &e) < 0) {
		kit_err(err, KIT_E_SECURITY, "%s: %s; refused", what, e.msg);
		goto out;
	}
	sigs = json_object_get(meta, "signatures");
	nsig = json_array_size(sigs);
	seen = kit_xcalloc(nsig + 1, sizeof(*seen));
	for (i = 0; i < nsig; i++) {
		kit_key_free(k);
		k = NULL;
		free(raw);
		raw = NULL;
		sig = json_array_get(sigs, i);
		kid = json_string_value(json_object_get(sig, "keyid"));
		sighex = json_string_value(json_object_get(sig, "sig"));
		if (kid == NULL || sighex == NULL)
			continue;
		listed = 0;
		for (j = 0; j < json_array_size(ids); j++) {
			const char *id = json_string_value(json_array_get(ids, j));

			if (id != NULL && strcmp(id, kid) == 0)
				listed = 1;
		}
		if (!listed)
			continue; /* not a key of this role: ignored */
		k = tuf_key_load(json_object_get(keys, kid));
		memset(&e, 0, sizeof(e));
		if (k == NULL || kit_key_fingerprint(k, fp, &e) < 0)
			continue; /* a key type we do not support never counts */
		dup = 0;
		for (j = 0; j < nseen; j++)
			if (memcmp(seen[j], fp, sizeof(fp)) == 0)
				dup = 1;
		if (dup)
			continue; /* one key counts once */
		rawlen = strlen(sighex) / 2;
		raw = kit_xcalloc(rawlen + 1, 1);
		if (rawlen == 0 || strlen(sighex) % 2 != 0 ||
		    kit_hex_decode(sighex, raw, rawlen) < 0) {
			invalid++;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (kit_key_verify(k, b.data, b.len, raw, rawlen, &e) == 0)
			memcpy(seen[nseen++], fp, sizeof(fp));
		else
			invalid++;
	}
	if ((int64_t)nseen < threshold) {
		kit_err(err, KIT_E_SECURITY,
			"%s: %zu valid signature%s by %.80s keys, threshold %lld required (%zu invalid, %zu signature%s in all); refused: the file was not signed by the keys %.100s names for %.80s (tampering, or a mirror serves a foreign repository)",
			what, nseen, nseen == 1 ? "" : "s", role,
			(long long)threshold, invalid, nsig, nsig == 1 ? "" : "s",
			namer, role);
		goto out;
	}
	rc = 0;
out:
	kit_key_free(k);
	free(raw);
	free(seen);
	kit_buf_free(&b);
	return rc;
}

/* --- names from metadata -------------------------------------------- */

int
kit_tuf_name_is_safe(const char *name)
{
	const char *p, *slash;
	size_t n;

	if (name == NULL || strlen(name) > KIT_TUF_MAX_NAME ||
	    !kit_path_is_safe(name))
		return 0;
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n > KIT_TUF_MAX_NAME_PART)
			return 0;
		if (slash == NULL)
			return 1;
	}
}

int
kit_tuf_role_filename(const char *role, char *out, size_t size,
		      struct kit_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char ch;

	if (size == 0)
		return kit_err(err, KIT_E_INVALID, "role file name: no room");
	for (i = 0; role != NULL && role[i] != '\0'; i++) {
		ch = (unsigned char)role[i];
		if (o + 4 > size)
			break;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o < size ? o : size - 1] = '\0';
	if (role == NULL || role[i] != '\0' || !kit_tuf_name_is_safe(out))
		return kit_err(err, KIT_E_SECURITY, "role name \"%.80s\" cannot be a file name (empty, \".\", \"..\" or too long); refused", role != NULL ? role : "");
	return 0;
}

int
kit_tuf_target_path(char *out, size_t size, const char *name,
		    const char *hash, int consistent)
{
	const char *slash;
	int n;

	if (!kit_tuf_name_is_safe(name))
		return -1;
	slash = strrchr(name, '/');
	if (!consistent)
		n = snprintf(out, size, "targets/%s", name);
	else if (slash != NULL)
		n = snprintf(out, size, "targets/%.*s/%s.%s",
			     (int)(slash - name), name, hash, slash + 1);
	else
		n = snprintf(out, size, "targets/%s.%s", hash, name);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}
