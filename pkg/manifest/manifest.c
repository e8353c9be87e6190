/*
 * manifest.c: the bundle manifest's model, and the rules every manifest
 * is held to, whether it was parsed or is about to be written.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_manifest.h"

struct kit_manifest *
kit_manifest_new(void)
{
	struct kit_manifest *m = kit_xcalloc(1, sizeof(*m));

	m->schema = KIT_MANIFEST_SCHEMA;
	return m;
}

static void
strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *
dup_or_null(const char *s)
{
	return s ? kit_strdup(s) : NULL;
}

void
kit_manifest_post_copy(struct kit_manifest_post *dst,
		       const struct kit_manifest_post *src)
{
	size_t i;

	*dst = *src;
	dst->id = dup_or_null(src->id);
	dst->platform = dup_or_null(src->platform);
	dst->time = dup_or_null(src->time);
	dst->text = dup_or_null(src->text);
	dst->link = dup_or_null(src->link);
	dst->language = dup_or_null(src->language);
	dst->media = kit_xcalloc(src->n_media + 1, sizeof(*dst->media));
	for (i = 0; i < src->n_media; i++) {
		dst->media[i].path = dup_or_null(src->media[i].path);
		dst->media[i].alt = dup_or_null(src->media[i].alt);
	}
}

void
kit_manifest_post_free(struct kit_manifest_post *p)
{
	size_t i;

	free(p->id);
	free(p->platform);
	free(p->time);
	free(p->text);
	free(p->link);
	for (i = 0; i < p->n_media; i++) {
		free(p->media[i].path);
		free(p->media[i].alt);
	}
	free(p->media);
	free(p->language);
}

static void
office_free(struct kit_manifest_office *o)
{
	if (o == NULL)
		return;
	free(o->id);
	free(o->name);
	free(o->country);
	free(o->timezone);
	strings_free(o->languages, o->n_languages);
	if (o->contact != NULL) {
		free(o->contact->name);
		free(o->contact->role);
		free(o->contact->email);
		free(o->contact->phone);
		free(o->contact);
	}
	free(o);
}

void
kit_manifest_free(struct kit_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->campaign);
	free(m->office);
	free(m->title);
	free(m->window_start);
	free(m->window_end);
	free(m->timezone);
	strings_free(m->languages, m->n_languages);
	strings_free(m->hashtags, m->n_hashtags);
	office_free(m->office_info);
	for (i = 0; i < m->n_statements; i++) {
		free(m->statements[i].path);
		free(m->statements[i].title);
		free(m->statements[i].speaker);
		free(m->statements[i].date);
		free(m->statements[i].language);
	}
	free(m->statements);
	for (i = 0; i < m->n_videos; i++) {
		free(m->videos[i].title);
		free(m->videos[i].url);
		free(m->videos[i].language);
	}
	free(m->videos);
	for (i = 0; i < m->n_posts; i++)
		kit_manifest_post_free(&m->posts[i]);
	free(m->posts);
	for (i = 0; i < m->n_files; i++) {
		free(m->files[i].path);
		free(m->files[i].type);
	}
	free(m->files);
	free(m->tool);
	for (i = 0; i < m->n_sources; i++)
		free(m->sources[i].path);
	free(m->sources);
	free(m);
}

const struct kit_manifest_file *
kit_manifest_file(const struct kit_manifest *m, const char *path)
{
	size_t i;

	for (i = 0; path && i < m->n_files; i++)
		if (strcmp(m->files[i].path, path) == 0)
			return &m->files[i];
	return NULL;
}

/* ---- the rules ------------------------------------------------------------- */

int
kit_manifest_https_ok(const char *url)
{
	size_t i;

	if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0' ||
	    url[8] == '/')
		return 0;
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f ||
		    url[i] == '"' || url[i] == '<' || url[i] == '>' ||
		    url[i] == '\\')
			return 0;
	return 1;
}

/* A string of the format: UTF-8 without NUL or controls other than tab,
 * LF and CR, at most max bytes, not empty when nonempty is set. */
static int
text_ok(const char *s, size_t max, int nonempty)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n <= max && (!nonempty || n > 0) && kit_utf8_valid(s, n);
}

/* ISO 639-1 syntax, optionally with a region: "en", "pt-BR". */
static int
language_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != 2 && n != 5)
		return 0;
	if (s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
		return 0;
	return n == 2 || (s[2] == '-' && s[3] >= 'A' && s[3] <= 'Z' &&
			  s[4] >= 'A' && s[4] <= 'Z');
}

/* An IANA zone name's syntax: [A-Za-z0-9_+-] parts joined by '/'. */
static int
zone_ok(const char *s)
{
	size_t i, part = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (c == '/') {
			if (part == 0)
				return 0;
			part = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-'))
			return 0;
		part++;
	}
	return part > 0;
}

/* A kit path: safe, within the byte caps, per component too. */
static int
path_ok(const char *s)
{
	size_t comp = 0;

	if (s == NULL || !kit_path_is_safe(s) || strlen(s) > KIT_MANIFEST_PATH_MAX)
		return 0;
	for (; *s; s++) {
		comp = *s == '/' ? 0 : comp + 1;
		if (comp > 255)
			return 0;
	}
	return 1;
}

/* YYYY-MM-DD, a real date. */
static int
date_ok(const char *s)
{
	char full[32];
	int64_t t;
	int off, i;

	if (s == NULL || strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	(void)snprintf(full, sizeof(full), "%sT00:00:00Z", s);
	return kit_time_parse(full, &t, &off, NULL) == 0;
}

static int
instant(const char *s, int64_t *t)
{
	int off = 0;

	return s != NULL && strlen(s) < 64 &&
	       kit_time_parse(s, t, &off, NULL) == 0 && off;
}

static int
languages_ok(char *const *v, size_t n, const char *what,
	     struct kit_error *err)
{
	size_t i;

	if (n == 0 || n > KIT_MANIFEST_LIST_MAX)
		return kit_err(err, KIT_E_INVALID, "%s: %zu languages, not 1 to %d", what, n, KIT_MANIFEST_LIST_MAX);
	for (i = 0; i < n; i++)
		if (!language_ok(v[i]))
			return kit_err(err, KIT_E_INVALID, "%s[%zu] is not an ISO 639-1 language code (\"en\", \"pt-BR\")", what, i);
	return 0;
}

static int
check_office(const struct kit_manifest_office *o, struct kit_error *err)
{
	const struct kit_manifest_contact *c = o->contact;

	if (!kit_str_is_id(o->id, 0))
		return kit_err(err, KIT_E_INVALID, "office_info.id is not an id ([a-z0-9-], at most 64 bytes)");
	if (!text_ok(o->name, KIT_MANIFEST_TEXT_MAX, 0) ||
	    !text_ok(o->country, KIT_MANIFEST_TEXT_MAX, 0))
		return kit_err(err, KIT_E_INVALID, "office_info: name or country is not text");
	if (!zone_ok(o->timezone))
		return kit_err(err, KIT_E_INVALID, "office_info.timezone is not a time zone name");
	if (languages_ok(o->languages, o->n_languages, "office_info.languages", err))
		return -1;
	if (c != NULL &&
	    ((c->name && !text_ok(c->name, KIT_MANIFEST_TEXT_MAX, 0)) ||
	     (c->role && !text_ok(c->role, KIT_MANIFEST_TEXT_MAX, 0)) ||
	     (c->email && !text_ok(c->email, KIT_MANIFEST_TEXT_MAX, 0)) ||
	     (c->phone && !text_ok(c->phone, KIT_MANIFEST_TEXT_MAX, 0))))
		return kit_err(err, KIT_E_INVALID, "office_info.contact holds something other than text");
	if (o->presence_since < 0 || o->presence_since > 9999)
		return kit_err(err, KIT_E_INVALID, "office_info.presence_since is not a year");
	return 0;
}

static int
check_post(const struct kit_manifest_post *p, size_t i, struct kit_error *err)
{
	char at[32];
	size_t j;
	int64_t t;
	int off = 0;

	if (!kit_str_is_id(p->id, 1))
		return kit_err(err, KIT_E_INVALID, "posts[%zu]: the id is not made of letters, digits, '.', '_', '-' (at most 64)", i);
	if (kit_manifest_platform(p->platform) == NULL)
		return kit_err(err, KIT_E_INVALID, "post \"%s\": platform \"%.32s\" is not one kit knows", p->id, p->platform ? p->platform : "");
	if (p->time == NULL || strlen(p->time) >= 64 ||
	    kit_time_parse(p->time, &t, &off, NULL) != 0 ||
	    !p->floating != !!off)
		return kit_err(err, KIT_E_INVALID, "post \"%s\": \"time\" is not an RFC 3339 time, or \"floating\" says otherwise", p->id);
	kit_time_format_utc(p->at, at, sizeof(at));
	if (!instant(at, &t) || t != p->at)
		return kit_err(err, KIT_E_INVALID, "post \"%s\": \"at\" is not an instant", p->id);
	if (!kit_time_in_years(p->at))
		return kit_err(err, KIT_E_INVALID, "post \"%s\": \"at\" is outside the years a kit may name, %d to %d", p->id, KIT_YEAR_MIN, KIT_YEAR_MAX);
	if (!text_ok(p->text, KIT_MANIFEST_TEXT_MAX, 1))
		return kit_err(err, KIT_E_INVALID, "post \"%s\": the text is empty, over %u bytes, or holds control characters or invalid UTF-8", p->id, KIT_MANIFEST_TEXT_MAX);
	if (p->link != NULL && (strlen(p->link) > KIT_MANIFEST_LINK_MAX ||
				!kit_manifest_https_ok(p->link)))
		return kit_err(err, KIT_E_INVALID, "post \"%s\": the link is not an https URL without spaces, quotes or controls", p->id);
	if (p->n_media > KIT_MANIFEST_MEDIA_MAX)
		return kit_err(err, KIT_E_INVALID, "post \"%s\": more than %d media files", p->id, KIT_MANIFEST_MEDIA_MAX);
	for (j = 0; j < p->n_media; j++) {
		if (!path_ok(p->media[j].path))
			return kit_err(err, KIT_E_INVALID, "post \"%s\": media %zu is not a safe relative path", p->id, j);
		if (!text_ok(p->media[j].alt, KIT_MANIFEST_TEXT_MAX, 1))
			return kit_err(err, KIT_E_INVALID, "post \"%s\": media %zu has no alt text, or it holds control characters", p->id, j);
	}
	if (!language_ok(p->language))
		return kit_err(err, KIT_E_INVALID, "post \"%s\": the language is not an ISO 639-1 code", p->id);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two posts with one id would be one calendar event (UID). */
static int
check_post_ids(const struct kit_manifest *m, struct kit_error *err)
{
	const char **ids;
	size_t i;
	int rc = 0;

	if (m->n_posts < 2)
		return 0;
	ids = kit_xcalloc(m->n_posts, sizeof(*ids));
	for (i = 0; i < m->n_posts; i++)
		ids[i] = m->posts[i].id;
	qsort(ids, m->n_posts, sizeof(*ids), cmp_str);
	for (i = 1; i < m->n_posts && rc == 0; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			rc = kit_err(err, KIT_E_INVALID, "post id \"%s\" is used twice", ids[i]);
	free(ids);
	return rc;
}

static int
check_file(const struct kit_manifest_file *f, size_t i, struct kit_error *err)
{
	if (!path_ok(f->path) || strcmp(f->path, "manifest.json") == 0)
		return kit_err(err, KIT_E_INVALID, "files[%zu] is not a safe relative path of a file other than manifest.json", i);
	if (f->size > (uint64_t)INT64_MAX)
		return kit_err(err, KIT_E_INVALID, "files[%zu]: the size is out of range", i);
	if (!kit_hex_is_digest(f->sha256, KIT_SHA256_LEN))
		return kit_err(err, KIT_E_INVALID, "files[%zu]: sha256 is not 64 lower-case hex digits", i);
	if (!text_ok(f->type, 255, 1))
		return kit_err(err, KIT_E_INVALID, "files[%zu] has no media type", i);
	return 0;
}

/* No path twice, none both a file and the directory of another. */
static int
check_file_paths(const struct kit_manifest *m, struct kit_error *err)
{
	const char **p;
	char *prefix = NULL;
	size_t i, n = m->n_files;
	int rc = 0;

	if (n == 0)
		return 0;
	p = kit_xcalloc(n, sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = m->files[i].path;
	qsort(p, n, sizeof(*p), cmp_str);
	for (i = 1; i < n && rc == 0; i++)
		if (strcmp(p[i - 1], p[i]) == 0)
			rc = kit_err(err, KIT_E_INVALID, "files lists %.200s twice", p[i]);
	for (i = 0; i < n && rc == 0; i++) {
		const char *slash;

		for (slash = strchr(p[i], '/'); slash && rc == 0;
		     slash = strchr(slash + 1, '/')) {
			free(prefix);
			prefix = kit_aprintf("%.*s", (int)(slash - p[i]), p[i]);
			if (bsearch(&prefix, p, n, sizeof(*p), cmp_str))
				rc = kit_err(err, KIT_E_INVALID, "files lists %.200s as a file and a directory", prefix);
		}
	}
	free(prefix);
	free(p);
	return rc;
}

int
kit_manifest_check(struct kit_manifest *m, struct kit_error *err)
{
	size_t i;

	if (m->schema != KIT_MANIFEST_SCHEMA)
		return kit_err(err, KIT_E_INVALID, "schema %d, and this kit reads schema %d", m->schema, KIT_MANIFEST_SCHEMA);
	if (!kit_str_is_id(m->campaign, 0) || !kit_str_is_id(m->office, 0))
		return kit_err(err, KIT_E_INVALID, "the campaign or office is not an id ([a-z0-9-], at most 64 bytes)");
	if (m->version < 1)
		return kit_err(err, KIT_E_INVALID, "version %d is not 1 or more", m->version);
	if (!text_ok(m->title, KIT_MANIFEST_TEXT_MAX, 1))
		return kit_err(err, KIT_E_INVALID, "the title is empty or not text");
	if (!instant(m->window_start, &m->window_start_at) ||
	    !instant(m->window_end, &m->window_end_at))
		return kit_err(err, KIT_E_INVALID, "the window's start or end is not an RFC 3339 time with an offset");
	if (!kit_time_in_years(m->window_start_at) || !kit_time_in_years(m->window_end_at))
		return kit_err(err, KIT_E_INVALID, "the window is outside the years a kit may name, %d to %d", KIT_YEAR_MIN, KIT_YEAR_MAX);
	if (m->window_end_at < m->window_start_at)
		return kit_err(err, KIT_E_INVALID, "the window ends before it starts");
	if (!zone_ok(m->timezone))
		return kit_err(err, KIT_E_INVALID, "timezone is not a time zone name");
	if (languages_ok(m->languages, m->n_languages, "languages", err))
		return -1;
	if (m->n_hashtags > KIT_MANIFEST_LIST_MAX)
		return kit_err(err, KIT_E_INVALID, "more than %d hashtags", KIT_MANIFEST_LIST_MAX);
	for (i = 0; i < m->n_hashtags; i++)
		if (m->hashtags[i] == NULL || m->hashtags[i][0] != '#' ||
		    !text_ok(m->hashtags[i], KIT_MANIFEST_TEXT_MAX, 1))
			return kit_err(err, KIT_E_INVALID, "hashtags[%zu] does not start with '#'", i);
	if (m->office_info != NULL && check_office(m->office_info, err))
		return -1;
	if (m->n_statements > KIT_MANIFEST_LIST_MAX || m->n_videos > KIT_MANIFEST_LIST_MAX)
		return kit_err(err, KIT_E_INVALID, "more than %d statements or videos", KIT_MANIFEST_LIST_MAX);
	for (i = 0; i < m->n_statements; i++) {
		const struct kit_manifest_statement *s = &m->statements[i];

		if (!path_ok(s->path) || !text_ok(s->title, KIT_MANIFEST_TEXT_MAX, 0) ||
		    !text_ok(s->speaker, KIT_MANIFEST_TEXT_MAX, 0) ||
		    !date_ok(s->date) || !language_ok(s->language))
			return kit_err(err, KIT_E_INVALID, "statements[%zu] needs a safe path, a title, a speaker, a date YYYY-MM-DD and a language", i);
	}
	for (i = 0; i < m->n_videos; i++) {
		const struct kit_manifest_video *v = &m->videos[i];

		if (!text_ok(v->title, KIT_MANIFEST_TEXT_MAX, 0) ||
		    v->url == NULL || strlen(v->url) > KIT_MANIFEST_LINK_MAX ||
		    !kit_manifest_https_ok(v->url) || !language_ok(v->language))
			return kit_err(err, KIT_E_INVALID, "videos[%zu] needs a title, an https URL and a language", i);
	}
	if (m->n_posts > KIT_MANIFEST_POSTS_MAX)
		return kit_err(err, KIT_E_INVALID, "%zu posts, over the limit of %d", m->n_posts, KIT_MANIFEST_POSTS_MAX);
	for (i = 0; i < m->n_posts; i++)
		if (check_post(&m->posts[i], i, err))
			return -1;
	if (check_post_ids(m, err))
		return -1;
	if (m->n_files > KIT_MANIFEST_FILES_MAX)
		return kit_err(err, KIT_E_INVALID, "%zu files, over the limit of %d", m->n_files, KIT_MANIFEST_FILES_MAX);
	for (i = 0; i < m->n_files; i++)
		if (check_file(&m->files[i], i, err))
			return -1;
	if (check_file_paths(m, err))
		return -1;
	if (m->source_date_epoch < 0)
		return kit_err(err, KIT_E_INVALID, "inputs.source_date_epoch is negative");
	if (!text_ok(m->tool, KIT_MANIFEST_TEXT_MAX, 0))
		return kit_err(err, KIT_E_INVALID, "inputs.tool is not text");
	if (m->n_sources > KIT_MANIFEST_LIST_MAX)
		return kit_err(err, KIT_E_INVALID, "more than %d sources", KIT_MANIFEST_LIST_MAX);
	for (i = 0; i < m->n_sources; i++)
		if (!path_ok(m->sources[i].path) ||
		    !kit_hex_is_digest(m->sources[i].sha256, KIT_SHA256_LEN))
			return kit_err(err, KIT_E_INVALID, "inputs.sources[%zu] needs a safe path and a sha256", i);
	if (!kit_hex_is_digest(m->content, KIT_SHA256_LEN))
		return kit_err(err, KIT_E_INVALID, "content is not 64 lower-case hex digits");
	return 0;
}
