/*
 * parse.c: manifest.json into the model.  The JSON is hostile (it comes
 * from an archive, removable media, a state directory): every member is
 * required with its one type, no other member is accepted, and the model
 * is then held to every rule of the format (kit_manifest_check), so a
 * manifest parsed and written again keeps its content digest.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kit_manifest.h"

/* o is an object with exactly the n members keys (all of them). */
static int
members(const json_t *o, const char *const *keys, size_t n, const char *ctx,
	struct kit_error *err)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return kit_err(err, KIT_E_INVALID, "%s is not an object", ctx);
	for (i = 0; i < n; i++)
		if (json_object_get(o, keys[i]) == NULL)
			return kit_err(err, KIT_E_INVALID, "%s has no \"%s\"", ctx, keys[i]);
	json_object_foreach ((json_t *)o, key, v) {
		char shown[40];

		for (i = 0; i < n && strcmp(keys[i], key) != 0; i++)
			;
		if (i == n) {
			kit_str_sanitize(key, shown, sizeof(shown));
			return kit_err(err, KIT_E_INVALID, "%s has a member \"%s\" that schema %d does not know", ctx, shown, KIT_MANIFEST_SCHEMA);
		}
	}
	return 0;
}

#define MEMBERS(o, ctx, err, ...) \
	members(o, (const char *const[]){__VA_ARGS__}, \
		sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *), \
		ctx, err)

/* A copy of the string member key of o; with nullable, null gives NULL
 * and *ok stays 1.  A wrong type sets err and *ok = 0. */
static char *
str(const json_t *o, const char *key, int nullable, const char *ctx, int *ok,
    struct kit_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!*ok)
		return NULL;
	if (nullable && json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*ok = 0;
		kit_err(err, KIT_E_INVALID, "%s: \"%s\" is not a string%s", ctx, key, nullable ? " or null" : "");
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		*ok = 0;
		kit_err(err, KIT_E_INVALID, "%s: \"%s\" holds a NUL", ctx, key);
		return NULL;
	}
	return kit_strdup(json_string_value(v));
}

/* Copy a string of at most sz - 1 bytes into buf (a digest). */
static void
str_into(const json_t *o, const char *key, char *buf, size_t sz,
	 const char *ctx, int *ok, struct kit_error *err)
{
	char *s = str(o, key, 0, ctx, ok, err);

	if (s != NULL && strlen(s) < sz)
		memcpy(buf, s, strlen(s) + 1);
	else if (s != NULL)
		buf[0] = '\0'; /* too long: the check refuses it */
	free(s);
}

static int
integer(const json_t *o, const char *key, json_int_t min, json_int_t max,
	json_int_t *out, const char *ctx, struct kit_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return kit_err(err, KIT_E_INVALID, "%s: \"%s\" is not an integer from %lld to %lld", ctx, key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int
array(const json_t *o, const char *key, size_t max, const char *ctx,
      const json_t **out, struct kit_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_array(v))
		return kit_err(err, KIT_E_INVALID, "%s: \"%s\" is not an array", ctx, key);
	if (json_array_size(v) > max)
		return kit_err(err, KIT_E_INVALID, "%s: \"%s\" has %zu items, over the limit of %zu", ctx, key, json_array_size(v), max);
	*out = v;
	return 0;
}

static int
strings(const json_t *o, const char *key, const char *ctx, char ***v,
	size_t *n, struct kit_error *err)
{
	const json_t *a, *x;
	size_t i;

	if (array(o, key, KIT_MANIFEST_LIST_MAX, ctx, &a, err))
		return -1;
	*v = kit_xcalloc(json_array_size(a) + 1, sizeof(**v));
	json_array_foreach (a, i, x) {
		if (!json_is_string(x) ||
		    strlen(json_string_value(x)) != json_string_length(x))
			return kit_err(err, KIT_E_INVALID, "%s: \"%s\"[%zu] is not a string", ctx, key, i);
		(*v)[(*n)++] = kit_strdup(json_string_value(x));
	}
	return 0;
}

static int
parse_office(struct kit_manifest *m, const json_t *o, struct kit_error *err)
{
	struct kit_manifest_office *oi;
	const json_t *c = json_object_get(o, "contact");
	json_int_t since = 0;
	int ok = 1;

	if (json_is_null(o))
		return 0;
	if (MEMBERS(o, "office_info", err, "id", "name", "country", "timezone",
		    "languages", "contact", "presence_since"))
		return -1;
	oi = m->office_info = kit_xcalloc(1, sizeof(*oi));
	oi->id = str(o, "id", 0, "office_info", &ok, err);
	oi->name = str(o, "name", 0, "office_info", &ok, err);
	oi->country = str(o, "country", 0, "office_info", &ok, err);
	oi->timezone = str(o, "timezone", 0, "office_info", &ok, err);
	if (!ok || strings(o, "languages", "office_info", &oi->languages,
			   &oi->n_languages, err))
		return -1;
	if (!json_is_null(json_object_get(o, "presence_since"))) {
		if (integer(o, "presence_since", 1, 9999, &since, "office_info", err))
			return -1;
		oi->presence_since = (long)since;
	}
	if (json_is_null(c))
		return 0;
	if (MEMBERS(c, "office_info.contact", err, "name", "role", "email", "phone"))
		return -1;
	oi->contact = kit_xcalloc(1, sizeof(*oi->contact));
	oi->contact->name = str(c, "name", 1, "office_info.contact", &ok, err);
	oi->contact->role = str(c, "role", 1, "office_info.contact", &ok, err);
	oi->contact->email = str(c, "email", 1, "office_info.contact", &ok, err);
	oi->contact->phone = str(c, "phone", 1, "office_info.contact", &ok, err);
	return ok ? 0 : -1;
}

static int
parse_statements(struct kit_manifest *m, const json_t *root,
		 struct kit_error *err)
{
	const json_t *a, *x;
	char ctx[40];
	size_t i;
	int ok = 1;

	if (array(root, "statements", KIT_MANIFEST_LIST_MAX, "the manifest", &a, err))
		return -1;
	m->statements = kit_xcalloc(json_array_size(a) + 1, sizeof(*m->statements));
	json_array_foreach (a, i, x) {
		struct kit_manifest_statement *s = &m->statements[i];

		(void)snprintf(ctx, sizeof(ctx), "statements[%zu]", i);
		if (MEMBERS(x, ctx, err, "path", "title", "speaker", "date", "language"))
			return -1;
		m->n_statements++;
		s->path = str(x, "path", 0, ctx, &ok, err);
		s->title = str(x, "title", 0, ctx, &ok, err);
		s->speaker = str(x, "speaker", 0, ctx, &ok, err);
		s->date = str(x, "date", 0, ctx, &ok, err);
		s->language = str(x, "language", 0, ctx, &ok, err);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
parse_videos(struct kit_manifest *m, const json_t *root, struct kit_error *err)
{
	const json_t *a, *x;
	char ctx[40];
	size_t i;
	int ok = 1;

	if (array(root, "videos", KIT_MANIFEST_LIST_MAX, "the manifest", &a, err))
		return -1;
	m->videos = kit_xcalloc(json_array_size(a) + 1, sizeof(*m->videos));
	json_array_foreach (a, i, x) {
		struct kit_manifest_video *v = &m->videos[i];

		(void)snprintf(ctx, sizeof(ctx), "videos[%zu]", i);
		if (MEMBERS(x, ctx, err, "title", "url", "language"))
			return -1;
		m->n_videos++;
		v->title = str(x, "title", 0, ctx, &ok, err);
		v->url = str(x, "url", 0, ctx, &ok, err);
		v->language = str(x, "language", 0, ctx, &ok, err);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
parse_post(struct kit_manifest_post *p, const json_t *x, const char *ctx,
	   struct kit_error *err)
{
	const json_t *a, *y;
	char at[32], mctx[80];
	int64_t t;
	int ok = 1, off = 0;
	size_t j;

	if (MEMBERS(x, ctx, err, "id", "platform", "time", "at", "floating",
		    "text", "link", "media", "language"))
		return -1;
	p->id = str(x, "id", 0, ctx, &ok, err);
	p->platform = str(x, "platform", 0, ctx, &ok, err);
	p->time = str(x, "time", 0, ctx, &ok, err);
	p->text = str(x, "text", 0, ctx, &ok, err);
	p->link = str(x, "link", 1, ctx, &ok, err);
	p->language = str(x, "language", 0, ctx, &ok, err);
	if (!ok)
		return -1;
	if (!json_is_boolean(json_object_get(x, "floating")))
		return kit_err(err, KIT_E_INVALID, "%s: \"floating\" is not true or false", ctx);
	p->floating = json_is_true(json_object_get(x, "floating"));
	/* one form per instant: exactly as the writer puts it */
	y = json_object_get(x, "at");
	if (!json_is_string(y) || strlen(json_string_value(y)) >= sizeof(at) ||
	    kit_time_parse(json_string_value(y), &t, &off, NULL) != 0 || !off)
		return kit_err(err, KIT_E_INVALID, "%s: \"at\" is not an instant with a UTC offset", ctx);
	kit_time_format_utc(t, at, sizeof(at));
	if (strcmp(at, json_string_value(y)) != 0)
		return kit_err(err, KIT_E_INVALID, "%s: \"at\" is not written YYYY-MM-DDTHH:MM:SSZ", ctx);
	p->at = t;
	if (array(x, "media", KIT_MANIFEST_MEDIA_MAX, ctx, &a, err))
		return -1;
	p->media = kit_xcalloc(json_array_size(a) + 1, sizeof(*p->media));
	json_array_foreach (a, j, y) {
		(void)snprintf(mctx, sizeof(mctx), "%s.media[%zu]", ctx, j);
		if (MEMBERS(y, mctx, err, "path", "alt"))
			return -1;
		p->n_media++;
		p->media[j].path = str(y, "path", 0, mctx, &ok, err);
		p->media[j].alt = str(y, "alt", 0, mctx, &ok, err);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
parse_posts(struct kit_manifest *m, const json_t *root, struct kit_error *err)
{
	const json_t *a, *x;
	char ctx[40];
	size_t i;

	if (array(root, "posts", KIT_MANIFEST_POSTS_MAX, "the manifest", &a, err))
		return -1;
	m->posts = kit_xcalloc(json_array_size(a) + 1, sizeof(*m->posts));
	json_array_foreach (a, i, x) {
		(void)snprintf(ctx, sizeof(ctx), "posts[%zu]", i);
		m->n_posts++;
		if (parse_post(&m->posts[i], x, ctx, err))
			return -1;
	}
	return 0;
}

static int
parse_files(struct kit_manifest *m, const json_t *root, struct kit_error *err)
{
	const json_t *a, *x;
	json_int_t size;
	char ctx[40];
	size_t i;
	int ok = 1;

	if (array(root, "files", KIT_MANIFEST_FILES_MAX, "the manifest", &a, err))
		return -1;
	m->files = kit_xcalloc(json_array_size(a) + 1, sizeof(*m->files));
	json_array_foreach (a, i, x) {
		struct kit_manifest_file *f = &m->files[i];

		(void)snprintf(ctx, sizeof(ctx), "files[%zu]", i);
		if (MEMBERS(x, ctx, err, "path", "size", "sha256", "type") ||
		    integer(x, "size", 0, INT64_MAX, &size, ctx, err))
			return -1;
		m->n_files++;
		f->size = (uint64_t)size;
		f->path = str(x, "path", 0, ctx, &ok, err);
		f->type = str(x, "type", 0, ctx, &ok, err);
		str_into(x, "sha256", f->sha256, sizeof(f->sha256), ctx, &ok, err);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
parse_inputs(struct kit_manifest *m, const json_t *in, struct kit_error *err)
{
	const json_t *a, *x;
	json_int_t sde;
	char ctx[40];
	size_t i;
	int ok = 1;

	if (MEMBERS(in, "inputs", err, "source_date_epoch", "tool", "sources") ||
	    integer(in, "source_date_epoch", 0, INT64_MAX, &sde, "inputs", err) ||
	    array(in, "sources", KIT_MANIFEST_LIST_MAX, "inputs", &a, err))
		return -1;
	m->source_date_epoch = (int64_t)sde;
	m->tool = str(in, "tool", 0, "inputs", &ok, err);
	if (!ok)
		return -1;
	m->sources = kit_xcalloc(json_array_size(a) + 1, sizeof(*m->sources));
	json_array_foreach (a, i, x) {
		(void)snprintf(ctx, sizeof(ctx), "inputs.sources[%zu]", i);
		if (MEMBERS(x, ctx, err, "path", "sha256"))
			return -1;
		m->n_sources++;
		m->sources[i].path = str(x, "path", 0, ctx, &ok, err);
		str_into(x, "sha256", m->sources[i].sha256,
			 sizeof(m->sources[i].sha256), ctx, &ok, err);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
parse_root(struct kit_manifest *m, const json_t *root, struct kit_error *err)
{
	const json_t *w = json_object_get(root, "window");
	json_int_t v;
	int ok = 1;

	if (!json_is_object(root))
		return kit_err(err, KIT_E_INVALID, "not a JSON object");
	/* the schema first: a newer format is refused as such, not for a
	 * member this reader does not know */
	if (!json_is_integer(json_object_get(root, "schema")))
		return kit_err(err, KIT_E_INVALID, "no schema version");
	v = json_integer_value(json_object_get(root, "schema"));
	if (v != KIT_MANIFEST_SCHEMA)
		return kit_err(err, KIT_E_INVALID, "schema %lld, and this kit reads schema %d (upgrade it)", (long long)v, KIT_MANIFEST_SCHEMA);
	if (MEMBERS(root, "the manifest", err, "schema", "campaign", "office",
		    "version", "title", "window", "timezone", "languages",
		    "hashtags", "office_info", "statements", "videos", "posts",
		    "files", "inputs", "content") ||
	    integer(root, "version", 1, INT_MAX, &v, "the manifest", err) ||
	    MEMBERS(w, "window", err, "start", "end"))
		return -1;
	m->version = (int)v;
	m->campaign = str(root, "campaign", 0, "the manifest", &ok, err);
	m->office = str(root, "office", 0, "the manifest", &ok, err);
	m->title = str(root, "title", 0, "the manifest", &ok, err);
	m->timezone = str(root, "timezone", 0, "the manifest", &ok, err);
	m->window_start = str(w, "start", 0, "window", &ok, err);
	m->window_end = str(w, "end", 0, "window", &ok, err);
	str_into(root, "content", m->content, sizeof(m->content), "the manifest",
		 &ok, err);
	if (!ok ||
	    strings(root, "languages", "the manifest", &m->languages,
		    &m->n_languages, err) ||
	    strings(root, "hashtags", "the manifest", &m->hashtags,
		    &m->n_hashtags, err) ||
	    parse_office(m, json_object_get(root, "office_info"), err) ||
	    parse_statements(m, root, err) || parse_videos(m, root, err) ||
	    parse_posts(m, root, err) || parse_files(m, root, err) ||
	    parse_inputs(m, json_object_get(root, "inputs"), err))
		return -1;
	return kit_manifest_check(m, err);
}

struct kit_manifest *
kit_manifest_parse(const void *json, size_t len, const char *where,
		   struct kit_error *err)
{
	struct kit_manifest *m = NULL;
	json_t *root = NULL;
	json_error_t jerr;

	if (len > KIT_MANIFEST_MAX) {
		kit_err(err, KIT_E_INVALID, "%s is %zu bytes, over the limit of %u", where, len, KIT_MANIFEST_MAX);
		return NULL;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		kit_err(err, KIT_E_INVALID, "%s:%d:%d: %s", where, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	m = kit_manifest_new();
	if (parse_root(m, root, err) != 0) {
		kit_err_prefix(err, "%s", where);
		kit_manifest_free(m);
		m = NULL;
	}
	json_decref(root);
	return m;
}

struct kit_manifest *
kit_manifest_load(int dirfd, const char *path, struct kit_error *err)
{
	unsigned char *data = NULL;
	struct kit_manifest *m;
	char *where;
	size_t len = 0;

	if (kit_file_read_at(dirfd, path, KIT_MANIFEST_MAX, &data, &len, err)) {
		if (err != NULL && err->code == KIT_E_SECURITY)
			err->code = KIT_E_INVALID; /* too large: malformed */
		return NULL;
	}
	where = kit_aprintf("manifest %s", path);
	m = kit_manifest_parse(data, len, where, err);
	free(where);
	free(data);
	return m;
}
