/* registry.c: the organisation's registry of offices (offices.json). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kit_org.h"

/* An office as kept: owned copies, the public view pointing into them. */
struct office {
	struct kit_org_office v;
	char **langs;
	char **keys;
};

struct kit_org {
	struct office *o; /* sorted by id */
	size_t n;
};

struct kit_org *
kit_org_new(void)
{
	return kit_xcalloc(1, sizeof(struct kit_org));
}

static void
office_clear(struct office *o)
{
	size_t i;

	free((char *)o->v.id);
	free((char *)o->v.name);
	free((char *)o->v.country);
	free((char *)o->v.timezone);
	for (i = 0; i < o->v.nlanguages; i++)
		free(o->langs[i]);
	for (i = 0; i < o->v.nkeys; i++)
		free(o->keys[i]);
	free(o->langs);
	free(o->keys);
	memset(o, 0, sizeof(*o));
}

void
kit_org_free(struct kit_org *org)
{
	size_t i;

	if (org == NULL)
		return;
	for (i = 0; i < org->n; i++)
		office_clear(&org->o[i]);
	free(org->o);
	free(org);
}

size_t
kit_org_count(const struct kit_org *org)
{
	return org ? org->n : 0;
}

const struct kit_org_office *
kit_org_at(const struct kit_org *org, size_t i)
{
	return org && i < org->n ? &org->o[i].v : NULL;
}

/* Index of id, or where it would go (*found 0). */
static size_t
find_index(const struct kit_org *org, const char *id, int *found)
{
	size_t lo = 0, hi = org->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(org->o[mid].v.id, id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const struct kit_org_office *
kit_org_find(const struct kit_org *org, const char *id)
{
	int found;
	size_t i;

	if (org == NULL || id == NULL)
		return NULL;
	i = find_index(org, id, &found);
	return found ? &org->o[i].v : NULL;
}

const char *
kit_org_closest(const struct kit_org *org, const char *id)
{
	const char **ids;
	const char *best;
	size_t i;

	if (org == NULL || org->n == 0 || id == NULL)
		return NULL;
	ids = kit_xcalloc(org->n, sizeof(*ids));
	for (i = 0; i < org->n; i++)
		ids[i] = org->o[i].v.id;
	best = kit_str_closest(id, ids, org->n, 2);
	free(ids);
	return best;
}

/* name and country: 1..KIT_ORG_TEXT_MAX bytes of UTF-8, no control
 * characters. */
static int
text_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > KIT_ORG_TEXT_MAX || !kit_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The rules every office keeps, parsed or set; zone_check also asks this
 * machine's tz database (setting, not reading). */
static int
office_check(const struct kit_org_office *o, int zone_check,
	     struct kit_error *err)
{
	char meant[128];
	size_t i, j;

	if (!kit_str_is_id(o->id, 0))
		return kit_err(err, KIT_E_INVALID, "office id '%.64s' is not an id: use 1 to %d lower-case letters, digits and '-'", o->id ? o->id : "", KIT_ID_MAX);
	if (!text_ok(o->name))
		return kit_err(err, KIT_E_INVALID, "office %s: name must be 1 to %d bytes of text", o->id, KIT_ORG_TEXT_MAX);
	if (!text_ok(o->country))
		return kit_err(err, KIT_E_INVALID, "office %s: country must be 1 to %d bytes of text", o->id, KIT_ORG_TEXT_MAX);
	if (!text_ok(o->timezone) || strlen(o->timezone) > 64)
		return kit_err(err, KIT_E_INVALID, "office %s: timezone must be an IANA zone name such as Europe/Budapest", o->id);
	if (zone_check && !kit_tz_valid(o->timezone)) {
		if (kit_tz_suggest(o->timezone, meant, sizeof(meant)))
			return kit_err(err, KIT_E_INVALID, "office %s: unknown time zone '%.64s'; did you mean %s?", o->id, o->timezone, meant);
		return kit_err(err, KIT_E_INVALID, "office %s: unknown time zone '%.64s'; use an IANA zone name such as Europe/Budapest", o->id, o->timezone);
	}
	if (o->nlanguages < 1 || o->nlanguages > KIT_ORG_LANGS)
		return kit_err(err, KIT_E_INVALID, "office %s: give 1 to %d languages", o->id, KIT_ORG_LANGS);
	for (i = 0; i < o->nlanguages; i++) {
		const char *l = o->languages[i];

		if (!kit_str_is_id(l, 1) || strlen(l) > KIT_ORG_LANG_MAX)
			return kit_err(err, KIT_E_INVALID, "office %s: '%.16s' is not a language code; use ISO 639-1 codes such as hu or pt-BR", o->id, l ? l : "");
		for (j = 0; j < i; j++)
			if (strcmp(o->languages[j], l) == 0)
				return kit_err(err, KIT_E_INVALID, "office %s: language %s is listed twice", o->id, l);
	}
	if (o->nkeys > KIT_ORG_KEYS)
		return kit_err(err, KIT_E_INVALID, "office %s: at most %d keys", o->id, KIT_ORG_KEYS);
	if (o->nkeys == 0 && o->threshold != 0)
		return kit_err(err, KIT_E_INVALID, "office %s: a threshold without keys", o->id);
	/* HQ's office key is one more key of the office's role */
	if (o->nkeys > 0 && (o->threshold < 1 || o->threshold > o->nkeys + 1))
		return kit_err(err, KIT_E_INVALID, "office %s: threshold must be 1 to %zu, the number of its keys and HQ's (%zu needs HQ's co-signature)", o->id, o->nkeys + 1, o->nkeys + 1);
	for (i = 0; i < o->nkeys; i++) {
		if (o->keys[i] == NULL || strlen(o->keys[i]) != 64)
			return kit_err(err, KIT_E_INVALID, "office %s: key %zu is not 64 hex digits (an Ed25519 public key)", o->id, i + 1);
		for (j = 0; j < 64; j++)
			if (!strchr("0123456789abcdef", o->keys[i][j]))
				return kit_err(err, KIT_E_INVALID, "office %s: key %zu is not 64 lower-case hex digits", o->id, i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(o->keys[j], o->keys[i]) == 0)
				return kit_err(err, KIT_E_INVALID, "office %s: key %zu is listed twice", o->id, i + 1);
	}
	return 0;
}

static void
office_copy(struct office *dst, const struct kit_org_office *o)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->v.id = kit_strdup(o->id);
	dst->v.name = kit_strdup(o->name);
	dst->v.country = kit_strdup(o->country);
	dst->v.timezone = kit_strdup(o->timezone);
	dst->langs = kit_xcalloc(o->nlanguages ? o->nlanguages : 1, sizeof(char *));
	for (i = 0; i < o->nlanguages; i++)
		dst->langs[i] = kit_strdup(o->languages[i]);
	dst->keys = kit_xcalloc(o->nkeys ? o->nkeys : 1, sizeof(char *));
	for (i = 0; i < o->nkeys; i++)
		dst->keys[i] = kit_strdup(o->keys[i]);
	dst->v.languages = (const char *const *)dst->langs;
	dst->v.nlanguages = o->nlanguages;
	dst->v.keys = (const char *const *)dst->keys;
	dst->v.nkeys = o->nkeys;
	dst->v.threshold = o->threshold;
}

/* Insert or replace, the rules already checked. */
static void
org_put(struct kit_org *org, const struct kit_org_office *o)
{
	int found;
	size_t i = find_index(org, o->id, &found);
	struct office tmp;

	office_copy(&tmp, o);
	if (found) {
		office_clear(&org->o[i]);
		org->o[i] = tmp;
		return;
	}
	org->o = kit_xrealloc(org->o, (org->n + 1) * sizeof(*org->o));
	memmove(&org->o[i + 1], &org->o[i], (org->n - i) * sizeof(*org->o));
	org->o[i] = tmp;
	org->n++;
}

int
kit_org_set(struct kit_org *org, const struct kit_org_office *o,
	    struct kit_error *err)
{
	if (office_check(o, 1, err) != 0)
		return -1;
	if (!kit_org_find(org, o->id) && org->n >= KIT_ORG_MAX_OFFICES)
		return kit_err(err, KIT_E_INVALID, "the registry holds at most %d offices", KIT_ORG_MAX_OFFICES);
	org_put(org, o);
	return 0;
}

int
kit_org_remove(struct kit_org *org, const char *id, struct kit_error *err)
{
	int found;
	size_t i = find_index(org, id, &found);
	const char *meant;

	if (!found) {
		meant = kit_org_closest(org, id);
		if (meant)
			return kit_err(err, KIT_E_INVALID, "office '%.64s' is not in the registry; did you mean %s?", id, meant);
		return kit_err(err, KIT_E_INVALID, "office '%.64s' is not in the registry; 'kit-publish office list' shows it", id);
	}
	office_clear(&org->o[i]);
	memmove(&org->o[i], &org->o[i + 1], (org->n - i - 1) * sizeof(*org->o));
	org->n--;
	return 0;
}

/* Up to max strings of array a into v (borrowed from a); -1 if a is not
 * an array of at most max strings. */
static int
strings(const json_t *a, const char **v, size_t max, size_t *n)
{
	size_t i;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		v[i] = json_string_value(json_array_get(a, i));
		if (v[i] == NULL)
			return -1;
	}
	*n = i;
	return 0;
}

static const char *const office_fields[] = {
	"id",
	"name",
	"country",
	"timezone",
	"languages",
	"keys",
	"threshold",
};

static int
parse_office(struct kit_org *org, const json_t *e, size_t at, const char *what,
	     struct kit_error *err)
{
	const char *langs[KIT_ORG_LANGS], *keys[KIT_ORG_KEYS], *key;
	struct kit_org_office o;
	const json_t *v, *th;
	size_t i;

	if (!json_is_object(e))
		return kit_err(err, KIT_E_INVALID, "%s: office %zu is not an object", what, at + 1);
	json_object_foreach ((json_t *)e, key, v) {
		for (i = 0; i < sizeof(office_fields) / sizeof(*office_fields); i++)
			if (strcmp(key, office_fields[i]) == 0)
				break;
		if (i == sizeof(office_fields) / sizeof(*office_fields))
			return kit_err(err, KIT_E_INVALID, "%s: office %zu has an unknown field \"%.40s\"", what, at + 1, key);
	}
	memset(&o, 0, sizeof(o));
	o.id = json_string_value(json_object_get(e, "id"));
	o.name = json_string_value(json_object_get(e, "name"));
	o.country = json_string_value(json_object_get(e, "country"));
	o.timezone = json_string_value(json_object_get(e, "timezone"));
	th = json_object_get(e, "threshold");
	if (strings(json_object_get(e, "languages"), langs, KIT_ORG_LANGS, &o.nlanguages) != 0 ||
	    strings(json_object_get(e, "keys"), keys, KIT_ORG_KEYS, &o.nkeys) != 0 ||
	    (th != NULL && (!json_is_integer(th) || json_integer_value(th) < 1 || json_integer_value(th) > KIT_ORG_KEYS)))
		return kit_err(err, KIT_E_INVALID, "%s: office %zu: languages and keys are arrays of strings (at most %d and %d), threshold a number of keys", what, at + 1, KIT_ORG_LANGS, KIT_ORG_KEYS);
	o.languages = langs;
	o.keys = keys;
	o.threshold = th ? (unsigned)json_integer_value(th) : 0;
	if (office_check(&o, 0, err) != 0) {
		kit_err_prefix(err, "%s", what);
		return -1;
	}
	if (kit_org_find(org, o.id))
		return kit_err(err, KIT_E_INVALID, "%s: office %s is listed twice", what, o.id);
	org_put(org, &o);
	return 0;
}

struct kit_org *
kit_org_parse(const unsigned char *buf, size_t len, const char *what,
	      struct kit_error *err)
{
	struct kit_org *org = NULL;
	json_error_t je;
	json_t *j = NULL, *offices, *v;
	const char *key;
	size_t i;

	if (len > KIT_ORG_MAX_BYTES) {
		kit_err(err, KIT_E_SECURITY, "%s is larger than the %u bytes allowed", what, KIT_ORG_MAX_BYTES);
		return NULL;
	}
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		kit_err(err, KIT_E_INVALID, "%s:%d:%d: %s", what, je.line, je.column, je.text);
		return NULL;
	}
	offices = json_object_get(j, "offices");
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "schema")) ||
	    json_integer_value(json_object_get(j, "schema")) != 1 ||
	    !json_is_array(offices) || json_array_size(offices) > KIT_ORG_MAX_OFFICES) {
		kit_err(err, KIT_E_INVALID, "%s is not an office registry of schema 1 ({\"schema\":1,\"offices\":[...]}, at most %d offices)", what, KIT_ORG_MAX_OFFICES);
		goto out;
	}
	json_object_foreach (j, key, v) {
		if (strcmp(key, "schema") != 0 && strcmp(key, "offices") != 0) {
			kit_err(err, KIT_E_INVALID, "%s has an unknown field \"%.40s\"", what, key);
			goto out;
		}
	}
	org = kit_org_new();
	for (i = 0; i < json_array_size(offices); i++)
		if (parse_office(org, json_array_get(offices, i), i, what, err) != 0) {
			kit_org_free(org);
			org = NULL;
			goto out;
		}
out:
	json_decref(j);
	return org;
}

char *
kit_org_write(const struct kit_org *org, size_t *len, struct kit_error *err)
{
	json_t *j = json_pack("{s:i, s:[]}", "schema", 1, "offices");
	json_t *arr = json_object_get(j, "offices"), *e, *a;
	char *s, *out;
	size_t i, k, n;

	for (i = 0; i < org->n; i++) {
		const struct kit_org_office *o = &org->o[i].v;

		e = json_pack("{s:s, s:s, s:s, s:s}", "id", o->id, "name", o->name,
			      "country", o->country, "timezone", o->timezone);
		a = json_array();
		for (k = 0; k < o->nlanguages; k++)
			json_array_append_new(a, json_string(o->languages[k]));
		json_object_set_new(e, "languages", a);
		if (o->nkeys > 0) {
			a = json_array();
			for (k = 0; k < o->nkeys; k++)
				json_array_append_new(a, json_string(o->keys[k]));
			json_object_set_new(e, "keys", a);
			json_object_set_new(e, "threshold", json_integer(o->threshold));
		}
		json_array_append_new(arr, e);
	}
	s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(j);
	if (s == NULL) {
		kit_err(err, KIT_E_INVALID, "cannot write the office registry");
		return NULL;
	}
	n = strlen(s);
	if (n + 1 > KIT_ORG_MAX_BYTES) {
		free(s);
		kit_err(err, KIT_E_SECURITY, "the office registry would be %zu bytes, over the %u every office accepts; remove offices or keys", n + 1, KIT_ORG_MAX_BYTES);
		return NULL;
	}
	out = kit_xmalloc(n + 2);
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(s);
	*len = n + 1;
	return out;
}
