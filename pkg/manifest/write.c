/*
 * write.c: the model into manifest.json bytes, and the content digest.
 * Both go through one JSON form of the model, so the digest of a
 * manifest is the digest of what the writer puts in it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kit_manifest.h"

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
strings(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
office_json(const struct kit_manifest_office *o)
{
	json_t *j, *c = json_null();

	if (o == NULL)
		return json_null();
	if (o->contact != NULL)
		c = json_pack("{s:o, s:o, s:o, s:o}",
			      "name", str_or_null(o->contact->name),
			      "role", str_or_null(o->contact->role),
			      "email", str_or_null(o->contact->email),
			      "phone", str_or_null(o->contact->phone));
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", o->id, "name",
		      o->name, "country", o->country, "timezone", o->timezone,
		      "languages", strings(o->languages, o->n_languages),
		      "contact", c);
	if (j != NULL)
		json_object_set_new(j, "presence_since",
				    o->presence_since > 0 ? json_integer(o->presence_since)
							  : json_null());
	return j;
}

static void append(json_t *a, json_t *item, int *ok);

static json_t *
post_json(const struct kit_manifest_post *p)
{
	json_t *media = json_array();
	char at[32];
	size_t i;
	int ok = 1;

	for (i = 0; i < p->n_media; i++)
		append(media, json_pack("{s:s, s:s}", "path", p->media[i].path, "alt", p->media[i].alt),
		       &ok);
	if (!ok) {
		json_decref(media);
		return NULL;
	}
	kit_time_format_utc(p->at, at, sizeof(at));
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:s}",
			 "id", p->id, "platform", p->platform, "time", p->time,
			 "at", at, "floating", p->floating, "text", p->text,
			 "link", str_or_null(p->link), "media", media,
			 "language", p->language);
}

/* Append item to a; a NULL item (json_pack's answer to a NULL string,
 * in a model the check would refuse) clears *ok. */
static void
append(json_t *a, json_t *item, int *ok)
{
	if (item == NULL || json_array_append_new(a, item) != 0)
		*ok = 0;
}

static void
set(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = 0;
}

/* The manifest as JSON; with_version also "version" and "content" (the
 * digest is made without them).  NULL when a member would be missing. */
static json_t *
to_json(const struct kit_manifest *m, int with_version)
{
	json_t *j, *a;
	size_t i;
	int ok = 1;

	j = json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:o, s:o}",
		      "schema", m->schema, "campaign", m->campaign, "office",
		      m->office, "title", m->title, "window", "start",
		      m->window_start, "end", m->window_end, "timezone",
		      m->timezone, "languages",
		      strings(m->languages, m->n_languages), "hashtags",
		      strings(m->hashtags, m->n_hashtags));
	if (j == NULL)
		return NULL;
	set(j, "office_info", office_json(m->office_info), &ok);
	a = json_array();
	for (i = 0; i < m->n_statements; i++) {
		const struct kit_manifest_statement *s = &m->statements[i];

		append(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "path", s->path, "title", s->title, "speaker", s->speaker, "date", s->date, "language", s->language),
		       &ok);
	}
	set(j, "statements", a, &ok);
	a = json_array();
	for (i = 0; i < m->n_videos; i++)
		append(a, json_pack("{s:s, s:s, s:s}", "title", m->videos[i].title, "url", m->videos[i].url, "language", m->videos[i].language),
		       &ok);
	set(j, "videos", a, &ok);
	a = json_array();
	for (i = 0; i < m->n_posts; i++)
		append(a, post_json(&m->posts[i]), &ok);
	set(j, "posts", a, &ok);
	a = json_array();
	for (i = 0; i < m->n_files; i++)
		append(a, json_pack("{s:s, s:I, s:s, s:s}", "path", m->files[i].path, "size", (json_int_t)m->files[i].size, "sha256", m->files[i].sha256, "type", m->files[i].type),
		       &ok);
	set(j, "files", a, &ok);
	a = json_array();
	for (i = 0; i < m->n_sources; i++)
		append(a, json_pack("{s:s, s:s}", "path", m->sources[i].path, "sha256", m->sources[i].sha256),
		       &ok);
	set(j, "inputs", json_pack("{s:I, s:s, s:o}", "source_date_epoch", (json_int_t)m->source_date_epoch, "tool", m->tool, "sources", a),
	    &ok);
	if (with_version) {
		set(j, "version", json_integer(m->version), &ok);
		set(j, "content", json_string(m->content), &ok);
	}
	if (!ok) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int
kit_manifest_content(const struct kit_manifest *m, char *hex,
		     struct kit_error *err)
{
	json_t *j = to_json(m, 0);
	char *compact = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	if (compact == NULL)
		return kit_err(err, KIT_E_INVALID, "cannot serialise the manifest of %s/%s", m->campaign ? m->campaign : "?", m->office ? m->office : "?");
	kit_sha256_hex(compact, strlen(compact), hex);
	free(compact);
	return 0;
}

int
kit_manifest_write(struct kit_manifest *m, char **out, size_t *len,
		   struct kit_error *err)
{
	json_t *j;
	char *dump;
	size_t n;

	*out = NULL;
	*len = 0;
	if (kit_manifest_check(m, err) != 0)
		return -1;
	j = to_json(m, 1);
	dump = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (dump == NULL)
		return kit_err(err, KIT_E_INVALID, "cannot serialise the manifest of %s/%s", m->campaign, m->office);
	n = strlen(dump);
	*out = kit_xrealloc(dump, n + 2);
	(*out)[n++] = '\n';
	(*out)[n] = '\0';
	*len = n;
	return 0;
}
