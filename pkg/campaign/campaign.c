/*
 * campaign.c: loading campaign sources, office overlays, merging, and
 * validation with a message at file:line:column for every problem.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign_int.h"
#include "kit_crypto.h"

#define E KIT_CAMPAIGN_ERROR
#define W KIT_CAMPAIGN_WARNING
#define PATH_MAX_LEN 4096

/* ---- small helpers --------------------------------------------------------- */

const char *
kc_str(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
kc_media_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".md", "text/markdown; charset=utf-8"},
		{".html", "text/html; charset=utf-8"},
		{".json", "application/json"},
		{".txt", "text/plain; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".jpg", "image/jpeg"},
		{".jpeg", "image/jpeg"},
		{".gif", "image/gif"},
		{".webp", "image/webp"},
		{".mp4", "video/mp4"},
		{".webm", "video/webm"},
		{".mp3", "audio/mpeg"},
		{".m4a", "audio/mp4"},
		{".ogg", "audio/ogg"},
		{".wav", "audio/wav"},
		{".pdf", "application/pdf"},
		{".ics", "text/calendar; charset=utf-8"},
		{".csv", "text/csv; charset=utf-8"},
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (kit_str_has_suffix(path, types[i].ext))
			return types[i].type;
	return NULL;
}

int
kc_post_time(const char *time, const char *zone, int64_t *at, int *floating)
{
	int64_t t;
	int has_offset = 0;

	if (!time || kit_time_parse(time, &t, &has_offset, NULL) != 0)
		return -1;
	*floating = !has_offset;
	if (has_offset) {
		*at = t;
		return 0;
	}
	if (!zone || kit_tz_local_to_utc(zone, t, at, NULL) != 0)
		return -1;
	return 0;
}

/* ---- loading --------------------------------------------------------------- */

static void
file_free(struct kc_file *f)
{
	size_t i;

	for (i = 0; i < f->nlocs; i++)
		free(f->locs[i].path);
	free(f->locs);
	json_decref(f->root);
	free(f->raw);
	free(f->rel);
	free(f->abs);
	memset(f, 0, sizeof(*f));
}

/*
 * Every file of a campaign is opened beneath its directory, one component
 * at a time, none followed if it is a link: a `media` or `statements`
 * linked to another directory (say, the keys) must not be signed into
 * every office's bundle.  A link, or something other than a regular file,
 * is a refusal (KIT_E_SECURITY); a missing file is KIT_E_IO.
 */
int
kc_open(const struct kit_campaign *c, const char *rel, struct stat *st,
	int *missing, struct kit_error *err)
{
	struct kit_error e = {0};
	int fd = kit_file_open_read(c->dirfd, rel, st, &e), why = errno;

	if (missing)
		*missing = fd < 0 && why == ENOENT;
	if (fd < 0)
		kit_err(err,
			why == ELOOP || why == ENOTDIR || why == EINVAL
				? KIT_E_SECURITY
				: e.code,
			"%s", e.msg);
	return fd;
}

int
kc_read(const struct kit_campaign *c, const char *rel, size_t max,
	unsigned char **out, size_t *len, struct kit_error *err)
{
	int fd, rc;

	*out = NULL;
	fd = kc_open(c, rel, NULL, NULL, err);
	if (fd < 0)
		return -1;
	rc = kit_fd_read_all(fd, rel, max, out, len, err);
	close(fd);
	/* Opened safely, only too large (or growing): invalid input, as
	 * for a too-large text file, not a security refusal. */
	if (rc != 0 && err->code == KIT_E_SECURITY) {
		err->code = KIT_E_INVALID;
		kit_err_suffix(err, "make it smaller");
	}
	return rc;
}

static int
file_load(struct kc_file *f, const struct kit_campaign *c, const char *rel,
	  struct kit_campaign_diags *diags, struct kit_error *err)
{
	json_error_t jerr;
	struct kit_error ferr = {0};

	f->rel = kit_strdup(rel);
	f->abs = kit_aprintf("%s/%s", c->dir, rel);
	if (kc_read(c, rel, KIT_CAMPAIGN_JSON_MAX, &f->raw, &f->len,
		    &ferr) != 0) {
		kc_diag_at(diags, rel, 1, 1, E, "cannot read %s: %s; check the file",
			   rel, ferr.msg);
		if (ferr.code == KIT_E_SECURITY && diags)
			diags->unsafe++;
		return kit_err_copy(err, &ferr);
	}
	kit_sha256_hex(f->raw, f->len, f->sha256);
	f->root = json_loadb((const char *)f->raw, f->len, JSON_REJECT_DUPLICATES,
			     &jerr);
	if (!f->root) {
		int dup = strstr(jerr.text, "duplicate object key") != NULL;

		kc_diag_at(diags, rel, jerr.line, jerr.column, E,
			   "malformed JSON: %s; %s", jerr.text,
			   dup ? "remove or rename one of them"
			       : "fix the syntax there (a missing comma, quote or bracket?)");
		return kit_err(err, KIT_E_INVALID,
			       "%s:%d:%d: malformed JSON: %s; fix the syntax", f->abs,
			       jerr.line, jerr.column, jerr.text);
	}
	if (!json_is_object(f->root)) {
		kc_diag_at(diags, rel, 1, 1, E,
			   "the file must hold one JSON object; wrap it in { }");
		return kit_err(err, KIT_E_INVALID,
			       "%s:1:1: not a JSON object; wrap it in { }", f->abs);
	}
	if (kc_locate_build(f) != 0)
		return kit_err(err, KIT_E_INVALID,
			       "%s: too deep or too large to index; simplify it",
			       f->abs);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The office overlay file names under offices/ (not a link), sorted. */
static int
list_offices(const struct kit_campaign *c, char ***names, size_t *count,
	     struct kit_campaign_diags *diags, struct kit_error *err)
{
	char *odir = kit_aprintf("%s/offices", c->dir);
	DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	int rc = -1, fd;

	fd = openat(c->dirfd, "offices",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (fd < 0 && errno == ENOTDIR) {
		kc_diag_at(diags, "offices", 1, 1, E,
			   "offices is a symbolic link or a file, not a directory; links are not followed in a campaign, put the overlays themselves in offices/");
		if (diags)
			diags->unsafe++;
		kit_err(err, KIT_E_SECURITY,
			"refusing %s: it is a symbolic link or a file, not a directory; put the overlays themselves there",
			odir);
		goto out;
	}
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", odir);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char id[KIT_ID_MAX + 8];

		if (de->d_name[0] == '.' || !kit_str_has_suffix(de->d_name, ".json"))
			continue;
		(void)snprintf(id, sizeof(id), "%.*s", (int)(len - 5), de->d_name);
		if (len - 5 > KIT_ID_MAX || !kit_str_is_id(id, 0) || !strcmp(id, "global")) {
			char *rel = kit_aprintf("offices/%s", de->d_name);

			kc_diag_at(diags, rel, 1, 1, E,
				   "office file name must be <office id>.json with an id of a-z, 0-9 and '-' (not \"global\"); rename the file");
			free(rel);
			continue;
		}
		if (n >= KIT_CAMPAIGN_OFFICES_MAX) {
			kit_err(err, KIT_E_INVALID,
				"%s: more than %d office overlays; split the campaign",
				odir, KIT_CAMPAIGN_OFFICES_MAX);
			goto out;
		}
		v = kit_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = kit_strdup(de->d_name);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), name_cmp);
	rc = 0;
out:
	if (d)
		closedir(d);
	if (rc != 0) {
		while (n > 0)
			free(v[--n]);
		free(v);
		v = NULL;
	}
	*names = v;
	*count = n;
	free(odir);
	return rc;
}

void
kit_campaign_free(struct kit_campaign *c)
{
	size_t i;

	if (!c)
		return;
	file_free(&c->main);
	for (i = 0; i < c->noffices; i++) {
		free(c->offices[i].id);
		file_free(&c->offices[i].f);
	}
	free(c->offices);
	for (i = 0; i < c->hashes->n; i++)
		free(c->hashes->v[i].rel);
	free(c->hashes->v);
	free(c->hashes->slots);
	free(c->hashes);
	free(c->dir);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c);
}

struct kit_campaign *
kit_campaign_load(const char *dir, struct kit_campaign_diags *diags,
		  struct kit_error *err)
{
	struct kit_campaign *c = NULL, *ret = NULL;
	struct kit_error first = {0}, ferr = {0};
	char **names = NULL;
	size_t nnames = 0, i, len;
	int failed = 0;

	c = kit_xcalloc(1, sizeof(*c));
	c->hashes = kit_xcalloc(1, sizeof(*c->hashes));
	c->dirfd = -1;
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	c->dir = kit_aprintf("%.*s", (int)len, dir);
	/* the directory named is opened once; nothing below it is reached
	 * through a link (kc_open) */
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		kit_err(err, KIT_E_IO,
			"campaign directory %s does not exist; give the path of campaigns/<id>",
			c->dir);
		goto out;
	}
	/* load everything, so that every malformed file is reported at once */
	if (file_load(&c->main, c, "campaign.json", diags, &first) != 0)
		failed = 1;
	if (list_offices(c, &names, &nnames, diags, &first) != 0) {
		failed = 1;
		goto fail;
	}
	c->offices = kit_xcalloc(nnames ? nnames : 1, sizeof(*c->offices));
	for (i = 0; i < nnames; i++) {
		char *rel = kit_aprintf("offices/%s", names[i]);
		struct kc_office *o = &c->offices[c->noffices++];

		o->id = kit_aprintf("%.*s", (int)(strlen(names[i]) - 5), names[i]);
		kit_err_clear(&ferr);
		if (file_load(&o->f, c, rel, diags, &ferr) != 0) {
			failed = 1;
			kit_err_copy(&first, &ferr);
		}
		free(rel);
	}
fail:
	if (failed) {
		kit_err_copy(err, &first);
		goto out;
	}
	ret = c;
	c = NULL;
out:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	kit_campaign_free(c);
	return ret;
}

const char *
kit_campaign_id(const struct kit_campaign *c)
{
	return kc_str(c->main.root, "id");
}

const char *
kit_campaign_dir(const struct kit_campaign *c)
{
	return c->dir;
}

int64_t
kit_campaign_source_date(const struct kit_campaign *c)
{
	int64_t t = 0;
	int has_offset = 0;
	const char *s = kc_str(c->main.root, "source_date");

	if (!s || kit_time_parse(s, &t, &has_offset, NULL) != 0 || !has_offset)
		return 0;
	return t;
}

size_t
kit_campaign_office_count(const struct kit_campaign *c)
{
	return c->noffices;
}

const char *
kit_campaign_office_id(const struct kit_campaign *c, size_t i)
{
	return i < c->noffices ? c->offices[i].id : NULL;
}

const struct kc_office *
kc_office_find(const struct kit_campaign *c, const char *id)
{
	size_t i;

	for (i = 0; id && i < c->noffices; i++)
		if (!strcmp(c->offices[i].id, id))
			return &c->offices[i];
	return NULL;
}

/* ---- merging ------------------------------------------------------------- */

static void
merge_list(const struct kc_file *f, const char *key, const char *idkey,
	   struct kc_item **items, size_t *n)
{
	json_t *arr = json_object_get(f->root, key), *obj;
	struct kit_strpos *ids;
	const struct kit_strpos *hit;
	size_t i, nids = 0, before = *n;

	if (!json_is_array(arr))
		return;
	/* The items already there (another file's) by id, sorted: each
	 * overlay item finds the one it replaces in O(log n), not by a scan
	 * (8,500 posts over 403 offices took minutes). */
	ids = kit_xcalloc(before + 1, sizeof(*ids));
	for (i = 0; i < before; i++) {
		const char *other = kc_str((*items)[i].obj, idkey);

		if (other && (*items)[i].file != f) {
			ids[nids].s = other;
			ids[nids++].pos = i;
		}
	}
	kit_strpos_sort(ids, nids);
	*items = kit_xrealloc(*items, (before + json_array_size(arr) + 1) *
					      sizeof(**items));
	json_array_foreach (arr, i, obj) {
		const char *id = kc_str(obj, idkey);
		struct kit_strpos *use = NULL;
		struct kc_item *it;

		/* same id (or file): the overlay's item replaces the base's
		 * first one not replaced yet */
		hit = id ? kit_strpos_find(ids, nids, id) : NULL;
		for (; hit && hit < ids + nids && !strcmp(hit->s, id); hit++)
			if (hit->pos != SIZE_MAX) {
				use = &ids[hit - ids];
				break;
			}
		if (use != NULL) {
			it = &(*items)[use->pos];
			use->pos = SIZE_MAX; /* now the overlay's */
		} else {
			it = &(*items)[(*n)++];
		}
		it->obj = obj;
		it->file = f;
		(void)snprintf(it->where, sizeof(it->where), "%s[%zu]", key, i);
	}
	free(ids);
}

int
kc_merge(const struct kit_campaign *c, const struct kc_office *o,
	 struct kc_merged *m)
{
	const char *zone = NULL;

	memset(m, 0, sizeof(*m));
	m->office = o;
	merge_list(&c->main, "statements", "file", &m->st, &m->nst);
	merge_list(&c->main, "posts", "id", &m->po, &m->npo);
	merge_list(&c->main, "media", "file", &m->me, &m->nme);
	if (o) {
		merge_list(&o->f, "statements", "file", &m->st, &m->nst);
		merge_list(&o->f, "posts", "id", &m->po, &m->npo);
		merge_list(&o->f, "media", "file", &m->me, &m->nme);
		zone = kc_str(o->f.root, "timezone");
	} else {
		zone = kc_str(c->main.root, "timezone");
	}
	m->zone = zone && kit_tz_valid(zone) ? zone : NULL;
	return 0;
}

void
kc_merged_free(struct kc_merged *m)
{
	free(m->st);
	free(m->po);
	free(m->me);
	memset(m, 0, sizeof(*m));
}

/* ---- validation -------------------------------------------------------------- */

struct vctx {
	const struct kit_campaign *c;
	struct kit_campaign_diags *d;
	const struct kc_file *f;
	/* the fields each object checked so far may have, so that a missing
	 * field that a misspelled one stands for is reported once */
	struct {
		const json_t *obj;
		const char *const *allowed;
	} known[8];
	size_t nknown;
};

static void
subpath(char *out, size_t size, const char *where, const char *key)
{
	if (*where)
		(void)snprintf(out, size, "%s.%s", where, key);
	else
		(void)snprintf(out, size, "%s", key);
}

static const char *
type_name(int type)
{
	switch (type) {
	case JSON_STRING:
		return "a string (in quotes)";
	case JSON_ARRAY:
		return "a list [ ... ]";
	case JSON_OBJECT:
		return "an object { ... }";
	case JSON_INTEGER:
		return "a whole number";
	default:
		return "a value";
	}
}

static int
listed(const char *const *list, const char *key)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], key))
			return 1;
	return 0;
}

/* The allowed field an unknown key of obj is a misspelling of ("platfrom"
 * for "platform"), when that field is absent; else NULL. */
static const char *
meant(const json_t *obj, const char *const *allowed, const char *key)
{
	const char *m;

	if (listed(allowed, key))
		return NULL;
	m = kit_str_closest(key, allowed, SIZE_MAX, 2);
	return m && json_object_get(obj, m) == NULL ? m : NULL;
}

/* 1 if obj has a misspelling of key (already reported as one). */
static int
misspelled(const struct vctx *v, const json_t *obj, const char *key)
{
	const char *k, *m;
	json_t *val;
	size_t i;

	for (i = 0; i < v->nknown && i < sizeof(v->known) / sizeof(v->known[0]); i++) {
		if (v->known[i].obj != obj)
			continue;
		json_object_foreach ((json_t *)obj, k, val) {
			m = meant(obj, v->known[i].allowed, k);
			if (m && !strcmp(m, key))
				return 1;
		}
	}
	return 0;
}

/* The member key of obj if present and of the right type (a non-empty
 * string for strings), else NULL after reporting what is wrong. */
static json_t *
need(struct vctx *v, const json_t *obj, const char *where, const char *key,
     int type, int required)
{
	char p[512];
	json_t *val = json_object_get(obj, key);

	subpath(p, sizeof(p), where, key);
	if (!val) {
		if (required && !misspelled(v, obj, key))
			kc_diag(v->d, v->f, p, 0, E,
				"missing required field \"%s\"%s%s; add it",
				key, *where ? " in " : "", where);
		return NULL;
	}
	if ((int)json_typeof(val) != type) {
		kc_diag(v->d, v->f, p, 0, E, "\"%s\" must be %s; fix its value",
			key, type_name(type));
		return NULL;
	}
	if (type == JSON_STRING && json_string_length(val) == 0) {
		if (required)
			kc_diag(v->d, v->f, p, 0, E,
				"\"%s\" is empty; fill it in", key);
		return NULL;
	}
	if (type == JSON_STRING &&
	    !kit_utf8_valid(json_string_value(val), json_string_length(val))) {
		kc_diag(v->d, v->f, p, 0, E,
			"\"%s\" holds control characters or a NUL; remove them",
			key);
		return NULL;
	}
	return val;
}

static const char *
need_str(struct vctx *v, const json_t *obj, const char *where, const char *key,
	 int required)
{
	json_t *val = need(v, obj, where, key, JSON_STRING, required);

	return val ? json_string_value(val) : NULL;
}

static void
check_keys(struct vctx *v, const json_t *obj, const char *where,
	   const char *const *allowed, const char *what)
{
	const char *key;
	json_t *val;
	char p[512], list[512];
	size_t i, n = 0;

	list[0] = '\0';
	for (i = 0; allowed[i]; i++)
		n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
				      "%s%s", i ? ", " : "", allowed[i]);
	v->known[v->nknown % (sizeof(v->known) / sizeof(v->known[0]))].obj = obj;
	v->known[v->nknown % (sizeof(v->known) / sizeof(v->known[0]))].allowed = allowed;
	v->nknown++;
	json_object_foreach ((json_t *)obj, key, val) {
		const char *m = meant(obj, allowed, key);

		if (listed(allowed, key))
			continue;
		subpath(p, sizeof(p), where, key);
		if (m != NULL)
			kc_diag(v->d, v->f, p, 1, E,
				"unknown field \"%s\" in %s; did you mean \"%s\"? rename it",
				key, what, m);
		else
			kc_diag(v->d, v->f, p, 1, E,
				"unknown field \"%s\" in %s; remove it or fix its spelling (known: %s)",
				key, what, list);
	}
}

/* An unknown value, with the one it most likely stands for when that is
 * clear ("did you mean"), then what to use. */
static void
unknown_value(struct vctx *v, const char *path, const char *what,
	      const char *value, const char *meant, const char *use)
{
	if (meant != NULL)
		kc_diag(v->d, v->f, path, 0, E, "unknown %s \"%.64s\"; did you mean \"%s\"? %s", what, value, meant, use);
	else
		kc_diag(v->d, v->f, path, 0, E, "unknown %s \"%.64s\"; %s", what, value, use);
}

static void
bad_language(struct vctx *v, const char *path, const char *lang)
{
	char code[8];

	unknown_value(v, path, "language", lang,
		      kc_language_suggest(lang, code, sizeof(code)) ? code : NULL,
		      "use an ISO 639-1 code such as en, fr, es, ru, hu (the list is in the README, Campaign format)");
}

static void
check_lang(struct vctx *v, const json_t *obj, const char *where,
	   const char *key, int required)
{
	char p[512];
	const char *lang = need_str(v, obj, where, key, required);

	if (!lang || kit_campaign_language_known(lang))
		return;
	subpath(p, sizeof(p), where, key);
	bad_language(v, p, lang);
}

static void
check_lang_list(struct vctx *v, const json_t *obj, const char *where,
		const char *key)
{
	json_t *arr = need(v, obj, where, key, JSON_ARRAY, 1), *x;
	char p[512];
	size_t i;

	if (!arr)
		return;
	if (json_array_size(arr) == 0) {
		subpath(p, sizeof(p), where, key);
		kc_diag(v->d, v->f, p, 0, E,
			"\"%s\" is empty; list at least one language", key);
	}
	json_array_foreach (arr, i, x) {
		char sub[600];

		subpath(p, sizeof(p), where, key);
		(void)snprintf(sub, sizeof(sub), "%s[%zu]", p, i);
		if (!json_is_string(x))
			kc_diag(v->d, v->f, sub, 0, E,
				"a language must be a string such as \"en\"; fix its value");
		else if (!kit_campaign_language_known(json_string_value(x)))
			bad_language(v, sub, json_string_value(x));
	}
}

static void
check_zone(struct vctx *v, const json_t *obj, const char *where)
{
	char p[512], hint[80];
	const char *zone = need_str(v, obj, where, "timezone", 1);

	if (!zone || kit_tz_valid(zone))
		return;
	subpath(p, sizeof(p), where, "timezone");
	unknown_value(v, p, "time zone", zone,
		      kit_tz_suggest(zone, hint, sizeof(hint)) ? hint : NULL,
		      "use an IANA name, Area/City, such as Europe/Brussels or Asia/Ashgabat");
}

static int
https_ok(const char *url)
{
	size_t i;

	if (strncmp(url, "https://", 8) != 0 || url[8] == '\0' || url[8] == '/')
		return 0;
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == '"' || url[i] == '<' ||
		    url[i] == '>' || url[i] == '\\')
			return 0;
	return 1;
}

static void
check_url(struct vctx *v, const json_t *obj, const char *where,
	  const char *key, int required)
{
	char p[512];
	const char *url = need_str(v, obj, where, key, required);

	if (!url || https_ok(url))
		return;
	subpath(p, sizeof(p), where, key);
	kc_diag(v->d, v->f, p, 0, E,
		"%s \"%.80s\" is not an https URL; use https://host/path (offices share it publicly)",
		key, url);
}

/* A file named by a source: safe, under prefix, of a known type, there. */
static void
check_file_ref(struct vctx *v, const char *rel, const char *path,
	       const char *prefix, const char *what, int text)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	struct kit_error ferr = {0};
	int fd = -1, missing = 0;

	if (!kit_path_is_safe(rel)) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s path \"%.80s\" is not a safe relative path; use a path like %sname without \"..\" or a leading /",
			what, rel, prefix ? prefix : "");
		return;
	}
	if (prefix && !kit_str_has_prefix(rel, prefix)) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s \"%.80s\" must be under %s; move it there", what, rel,
			prefix);
		return;
	}
	if (text && !kit_str_has_suffix(rel, ".md")) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s \"%.80s\" must be a Markdown file ending in .md; rename it",
			what, rel);
		return;
	}
	if (!text && !kc_media_type(rel)) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s \"%.80s\" has an unknown type; use .png, .jpg, .gif, .webp, .svg, .mp4, .webm, .mp3, .m4a, .ogg, .wav or .pdf",
			what, rel);
		return;
	}
	fd = kc_open(v->c, rel, &st, &missing, &ferr);
	if (fd < 0 && missing) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s file \"%.80s\" is missing on disk; add the file or fix the path",
			what, rel);
		goto out;
	}
	if (fd < 0) {
		kc_diag(v->d, v->f, path, 0, E, "%s: %s", what, ferr.msg);
		if (ferr.code == KIT_E_SECURITY)
			v->d->unsafe++;
		goto out;
	}
	if (text) {
		if (kit_fd_read_all(fd, rel, KIT_CAMPAIGN_TEXT_MAX, &buf, &len,
				    &ferr) != 0)
			kc_diag(v->d, v->f, path, 0, E, "%s: %s; fix the file",
				what, ferr.msg);
		else if (!kit_utf8_valid((const char *)buf, len))
			kc_diag(v->d, v->f, path, 0, E,
				"%s \"%.80s\" is not UTF-8 text without control characters; save it as UTF-8",
				what, rel);
	} else if ((uint64_t)st.st_size > KIT_CAMPAIGN_MEDIA_MAX) {
		kc_diag(v->d, v->f, path, 0, E,
			"%s \"%.80s\" is larger than %u MiB; make it smaller",
			what, rel, KIT_CAMPAIGN_MEDIA_MAX >> 20);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

static void
check_statement(struct vctx *v, const json_t *obj, const char *where)
{
	static const char *const keys[] = {"file", "title", "speaker",
					   "date", "language", "note", NULL};
	const char *file, *date;
	char p[512];
	int64_t t;
	int has_offset;
	char buf[32];

	check_keys(v, obj, where, keys, "a statement");
	file = need_str(v, obj, where, "file", 1);
	(void)need_str(v, obj, where, "title", 1);
	(void)need_str(v, obj, where, "speaker", 1);
	date = need_str(v, obj, where, "date", 1);
	check_lang(v, obj, where, "language", 1);
	if (file) {
		subpath(p, sizeof(p), where, "file");
		check_file_ref(v, file, p, "statements/", "statement", 1);
	}
	if (date) {
		(void)snprintf(buf, sizeof(buf), "%sT00:00:00Z", date);
		if (strlen(date) != 10 ||
		    kit_time_parse(buf, &t, &has_offset, NULL) != 0) {
			subpath(p, sizeof(p), where, "date");
			kc_diag(v->d, v->f, p, 0, E,
				"date \"%.40s\" is not a date; write YYYY-MM-DD",
				date);
		}
	}
}

static void
check_video(struct vctx *v, const json_t *obj, const char *where)
{
	static const char *const keys[] = {"title", "url", "language", "note",
					   NULL};

	check_keys(v, obj, where, keys, "a video");
	(void)need_str(v, obj, where, "title", 1);
	check_url(v, obj, where, "url", 1);
	check_lang(v, obj, where, "language", 1);
}

/* 1 if s holds nothing but white space: ASCII, no-break (U+00A0,
 * U+202F), the U+2000-U+200B spaces, U+205F, U+3000 and U+FEFF. */
static int
blank(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			p++;
		else if (p[0] == 0xc2 && p[1] == 0xa0)
			p += 2;
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
			 ((p[2] >= 0x80 && p[2] <= 0x8b) || p[2] == 0xaf))
			p += 3;
		else if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
			p += 3;
		else if ((p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
			 (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
			p += 3;
		else
			return 0;
	}
	return 1;
}

/* Text a spreadsheet would run as a formula ("=HYPERLINK(...)"): the CSV
 * export neutralises it with a leading apostrophe, which the scheduling
 * tool may then publish; say so where it can still be reworded. */
static void
formula_warning(struct vctx *v, const char *path, const char *what,
		const char *name)
{
	kc_diag(v->d, v->f, path, 0, W,
		"%s \"%.80s\" begins with =, +, -, @, a tab or CR, which a spreadsheet runs as a formula; the CSV export puts an apostrophe in front of it, so begin it otherwise",
		what, name ? name : "?");
}

/* C1 controls never belong in text; bidirectional controls and separators
 * may, rarely, but reorder or break how it displays and can disguise it
 * ("Trojan Source"), so they are pointed out. */
static void
hidden_control(struct vctx *v, const char *path, const char *what,
	       const char *name, const char *text)
{
	unsigned cp = 0;

	if (kit_str_hidden_control(text, &cp) == NULL)
		return;
	if (cp <= 0x9f)
		kc_diag(v->d, v->f, path, 0, E,
			"%s \"%.80s\" holds the control character U+%04X, which no text needs and some apps act on; delete it (it is invisible: retype the text around it)",
			what, name ? name : "?", cp);
	else
		kc_diag(v->d, v->f, path, 0, W,
			"%s \"%.80s\" holds U+%04X, an invisible %s that changes how the text displays (and can disguise it); delete it unless the text needs it",
			what, name ? name : "?", cp,
			cp >= 0x2028 && cp <= 0x2029 ? "line or paragraph separator" : "bidirectional control");
}

static void
check_media(struct vctx *v, const json_t *obj, const char *where)
{
	static const char *const keys[] = {"file", "alt", "note", NULL};
	const char *file;
	char p[512];
	json_t *alt;

	check_keys(v, obj, where, keys, "a media item");
	file = need_str(v, obj, where, "file", 1);
	if (file) {
		subpath(p, sizeof(p), where, "file");
		check_file_ref(v, file, p, "media/", "media", 0);
	}
	alt = json_object_get(obj, "alt");
	if (json_is_string(alt) && json_string_length(alt) > 0 &&
	    blank(json_string_value(alt))) {
		subpath(p, sizeof(p), where, "alt");
		kc_diag(v->d, v->f, p, 0, E,
			"media \"%.80s\" has alt text of only spaces; write in \"alt\" what the image shows, for people who cannot see it",
			file ? file : "?");
	} else if (!json_is_string(alt) || json_string_length(alt) == 0) {
		subpath(p, sizeof(p), where, alt ? "alt" : "file");
		kc_diag(v->d, v->f, alt ? p : where, 0, E,
			"media \"%.80s\" has no alt text; add \"alt\" describing the image for people who cannot see it",
			file ? file : "?");
	} else if (need_str(v, obj, where, "alt", 1)) {
		subpath(p, sizeof(p), where, "alt");
		if (kit_str_is_formula(json_string_value(alt)))
			formula_warning(v, p, "alt text of media", file);
		hidden_control(v, p, "alt text of media", file,
			       json_string_value(alt));
	}
}

static void
check_post(struct vctx *v, const json_t *obj, const char *where)
{
	static const char *const keys[] = {"id", "platform", "time",
					   "text", "link", "media",
					   "language", "note", NULL};
	const char *id, *platform, *time, *text, *link;
	char p[512];
	json_t *media, *x;
	size_t i;
	int64_t t;
	int has_offset;

	check_keys(v, obj, where, keys, "a post");
	id = need_str(v, obj, where, "id", 1);
	platform = need_str(v, obj, where, "platform", 1);
	time = need_str(v, obj, where, "time", 1);
	text = need_str(v, obj, where, "text", 1);
	check_lang(v, obj, where, "language", 1);
	check_url(v, obj, where, "link", 0);
	link = kc_str(obj, "link");
	if (id && !kit_str_is_id(id, 1)) {
		subpath(p, sizeof(p), where, "id");
		kc_diag(v->d, v->f, p, 0, E,
			"post id \"%.80s\" may hold only letters, digits, '.', '_' and '-' (at most %d); rename it",
			id, KIT_ID_MAX);
	}
	if (platform && !kit_manifest_platform(platform)) {
		const struct kit_manifest_platform *pf;
		char use[160] = "use one of";
		size_t k, len = strlen(use);

		for (k = 0; (pf = kit_manifest_platform_at(k)) != NULL && len < sizeof(use); k++)
			len += (size_t)snprintf(use + len, sizeof(use) - len, "%s %s", k ? "," : "", pf->id);
		subpath(p, sizeof(p), where, "platform");
		unknown_value(v, p, "platform", platform,
			      kit_manifest_platform_suggest(platform), use);
	}
	if (time && (kit_time_parse(time, &t, &has_offset, NULL) != 0)) {
		subpath(p, sizeof(p), where, "time");
		kc_diag(v->d, v->f, p, 0, E,
			"time \"%.40s\" is not RFC 3339; write 2016-12-15T09:00:00 (office-local) or 2016-12-15T09:00:00+01:00 (a fixed instant)",
			time);
	}
	if (text && platform && kit_manifest_platform(platform)) {
		long n, limit = 0;

		n = kit_manifest_post_length(platform, text, link, &limit);
		if (n > limit) {
			subpath(p, sizeof(p), where, "text");
			kc_diag(v->d, v->f, p, 0, E,
				"text is %ld characters as %s counts them%s, over its limit of %ld; shorten it by %ld",
				n, platform,
				link && !strstr(text, link) ? " (with the link)" : "",
				limit, n - limit);
		}
		if (!strchr(text, '#')) {
			subpath(p, sizeof(p), where, "text");
			kc_diag(v->d, v->f, p, 0, W,
				"post \"%.80s\" has no hashtag; add one of the campaign's hashtags",
				id ? id : "?");
		}
	}
	if (text) {
		subpath(p, sizeof(p), where, "text");
		if (kit_str_is_formula(text))
			formula_warning(v, p, "post", id);
		hidden_control(v, p, "post", id, text);
	}
	media = need(v, obj, where, "media", JSON_ARRAY, 0);
	json_array_foreach (media, i, x) {
		char sub[600];

		subpath(p, sizeof(p), where, "media");
		(void)snprintf(sub, sizeof(sub), "%s[%zu]", p, i);
		if (!json_is_string(x))
			kc_diag(v->d, v->f, sub, 0, E,
				"a post's media entry must be the path of a file listed in \"media\" (a string)");
	}
}

typedef void (*item_check)(struct vctx *, const json_t *, const char *);

/* Check each item of the list key, and that idkey is unique in it. */
static void
check_list(struct vctx *v, const char *key, int required, const char *idkey,
	   const char *what, item_check fn)
{
	json_t *arr = need(v, v->f->root, "", key, JSON_ARRAY, required), *obj;
	struct kit_strpos *ids = kit_xcalloc(json_array_size(arr) + 1, sizeof(*ids));
	const struct kit_strpos *first;
	size_t i, nids = 0;
	char where[64], p[512];

	json_array_foreach (arr, i, obj) {
		const char *id = kc_str(obj, idkey);

		(void)snprintf(where, sizeof(where), "%s[%zu]", key, i);
		if (!json_is_object(obj)) {
			kc_diag(v->d, v->f, where, 0, E,
				"each of \"%s\" must be an object { ... }", key);
			continue;
		}
		fn(v, obj, where);
		if (id) {
			ids[nids].s = id;
			ids[nids++].pos = i;
		}
	}
	/* duplicates by sorting, not by comparing every pair */
	kit_strpos_sort(ids, nids);
	for (i = 0; i < nids; i++) {
		first = kit_strpos_find(ids, nids, ids[i].s);
		if (first == &ids[i])
			continue;
		(void)snprintf(where, sizeof(where), "%s[%zu]", key, ids[i].pos);
		subpath(p, sizeof(p), where, idkey);
		kc_diag(v->d, v->f, p, 0, E,
			"duplicate %s %s \"%.80s\" (also %s[%zu]); give each %s its own",
			what, idkey, ids[i].s, key, first->pos, what);
	}
	free(ids);
}

static void
out_of_years(struct vctx *v, const char *path, const char *what,
	     const char *value)
{
	kc_diag(v->d, v->f, path, 0, E,
		"%s \"%.40s\" is outside the years a kit may name, %d to %d; fix the date",
		what, value, KIT_YEAR_MIN, KIT_YEAR_MAX);
}

static void
check_campaign_json(struct vctx *v)
{
	static const char *const keys[] = {
		"id", "title", "window", "timezone", "languages",
		"hashtags", "source_date", "about", "statements", "videos",
		"posts", "media", "note", NULL};
	static const char *const wkeys[] = {"start", "end", NULL};
	const json_t *root = v->f->root;
	const char *id, *s, *e, *sd, *about;
	json_t *win, *tags, *x;
	int64_t ts = 0, te = 0, t;
	int so = 0, eo = 0, ho, sok = 0, eok = 0;
	size_t i;

	check_keys(v, root, "", keys, "campaign.json");
	id = need_str(v, root, "", "id", 1);
	if (id && !kit_str_is_id(id, 0))
		kc_diag(v->d, v->f, "id", 0, E,
			"campaign id \"%.80s\" may hold only a-z, 0-9 and '-' (at most %d); rename it",
			id, KIT_ID_MAX);
	(void)need_str(v, root, "", "title", 1);
	check_zone(v, root, "");
	check_lang_list(v, root, "", "languages");
	win = need(v, root, "", "window", JSON_OBJECT, 1);
	if (win) {
		check_keys(v, win, "window", wkeys, "the window");
		s = need_str(v, win, "window", "start", 1);
		e = need_str(v, win, "window", "end", 1);
		if (s) {
			sok = kit_time_parse(s, &ts, &so, NULL) == 0 && so;
			if (!sok)
				kc_diag(v->d, v->f, "window.start", 0, E,
					"window start \"%.40s\" must be RFC 3339 with an offset, e.g. 2016-12-15T00:00:00+01:00",
					s);
			else if (!(sok = kit_time_in_years(ts)))
				out_of_years(v, "window.start", "window start", s);
		}
		if (e) {
			eok = kit_time_parse(e, &te, &eo, NULL) == 0 && eo;
			if (!eok)
				kc_diag(v->d, v->f, "window.end", 0, E,
					"window end \"%.40s\" must be RFC 3339 with an offset, e.g. 2016-12-18T23:59:59+01:00",
					e);
			else if (!(eok = kit_time_in_years(te)))
				out_of_years(v, "window.end", "window end", e);
		}
		if (sok && eok && te <= ts)
			kc_diag(v->d, v->f, "window.end", 0, E,
				"the window ends (%s) before it starts (%s); swap them or fix the dates",
				e, s);
	}
	tags = need(v, root, "", "hashtags", JSON_ARRAY, 1);
	json_array_foreach (tags, i, x) {
		char p[64];
		const char *tag = json_string_value(x);

		(void)snprintf(p, sizeof(p), "hashtags[%zu]", i);
		if (!tag || tag[0] != '#' || tag[1] == '\0' || strchr(tag, ' '))
			kc_diag(v->d, v->f, p, 0, E,
				"a hashtag must be a string starting with '#' and without spaces, e.g. \"#Together\"");
	}
	sd = need_str(v, root, "", "source_date", 1);
	if (sd && (kit_time_parse(sd, &t, &ho, NULL) != 0 || !ho))
		kc_diag(v->d, v->f, "source_date", 0, E,
			"source_date \"%.40s\" must be RFC 3339 with an offset, e.g. 2016-12-01T00:00:00Z",
			sd);
	else if (sd && !kit_time_in_years(t))
		out_of_years(v, "source_date", "source_date", sd);
	about = need_str(v, root, "", "about", 1);
	if (about)
		check_file_ref(v, about, "about", NULL, "about text", 1);
	check_list(v, "statements", 1, "file", "statement", check_statement);
	check_list(v, "videos", 0, "url", "video", check_video);
	check_list(v, "posts", 1, "id", "post", check_post);
	check_list(v, "media", 0, "file", "media", check_media);
}

static void
check_office_json(struct vctx *v, const struct kc_office *o)
{
	static const char *const keys[] = {
		"id", "name", "country", "timezone",
		"languages", "contact", "presence_since", "statements",
		"posts", "media", "note", NULL};
	static const char *const ckeys[] = {"name", "role", "email", "phone",
					    NULL};
	const json_t *root = v->f->root;
	const char *id, *email;
	json_t *contact, *since;

	check_keys(v, root, "", keys, "an office overlay");
	id = need_str(v, root, "", "id", 1);
	if (id && strcmp(id, o->id) != 0)
		kc_diag(v->d, v->f, "id", 0, E,
			"office id \"%.80s\" differs from the file name %s.json; make them the same",
			id, o->id);
	(void)need_str(v, root, "", "name", 1);
	(void)need_str(v, root, "", "country", 1);
	check_zone(v, root, "");
	check_lang_list(v, root, "", "languages");
	contact = need(v, root, "", "contact", JSON_OBJECT, 0);
	if (contact) {
		check_keys(v, contact, "contact", ckeys, "the contact");
		(void)need_str(v, contact, "contact", "name", 1);
		(void)need_str(v, contact, "contact", "role", 0);
		(void)need_str(v, contact, "contact", "phone", 0);
		email = need_str(v, contact, "contact", "email", 0);
		if (email && (!strchr(email, '@') || strchr(email, ' ')))
			kc_diag(v->d, v->f, "contact.email", 0, E,
				"contact email \"%.80s\" is not an address; write name@example.org",
				email);
	}
	since = need(v, root, "", "presence_since", JSON_INTEGER, 0);
	if (since && (json_integer_value(since) < 1900 ||
		      json_integer_value(since) > 2100))
		kc_diag(v->d, v->f, "presence_since", 0, E,
			"presence_since must be a year such as 1973");
	check_list(v, "statements", 0, "file", "statement", check_statement);
	check_list(v, "posts", 0, "id", "post", check_post);
	check_list(v, "media", 0, "file", "media", check_media);
}

/* Checks on a merged kit: post times in the window (floating times in the
 * kit's zone), post media declared, an office's languages served. */
static void
check_kit(const struct kit_campaign *c, const struct kc_office *o,
	  struct kit_campaign_diags *d)
{
	struct kc_merged m;
	const json_t *win = json_object_get(c->main.root, "window");
	const char *s = kc_str(win, "start"), *e = kc_str(win, "end");
	int64_t ts = 0, te = 0, at;
	int so = 0, eo = 0, floating, wok;
	size_t i, j, k;
	char p[512], when[32];
	const char *kitname = o ? o->id : "global";
	json_t *olangs = NULL;
	int lang_served = 0;
	struct kit_strpos *files;
	size_t nfiles = 0;

	kc_merge(c, o, &m);
	/* the declared media by file name, for each post's references */
	files = kit_xcalloc(m.nme + 1, sizeof(*files));
	for (k = 0; k < m.nme; k++)
		if ((files[nfiles].s = kc_str(m.me[k].obj, "file")) != NULL)
			files[nfiles++].pos = k;
	kit_strpos_sort(files, nfiles);
	wok = s && e && kit_time_parse(s, &ts, &so, NULL) == 0 && so &&
	      kit_time_parse(e, &te, &eo, NULL) == 0 && eo && te > ts;
	if (o)
		olangs = json_object_get(o->f.root, "languages");
	for (i = 0; i < m.npo; i++) {
		const struct kc_item *it = &m.po[i];
		const char *id = kc_str(it->obj, "id");
		const char *time = kc_str(it->obj, "time");
		const char *lang = kc_str(it->obj, "language");
		json_t *media = json_object_get(it->obj, "media"), *x;

		if (wok && m.zone &&
		    kc_post_time(time, m.zone, &at, &floating) == 0 &&
		    (at < ts || at > te)) {
			kit_time_format_utc(at, when, sizeof(when));
			subpath(p, sizeof(p), it->where, "time");
			if (floating)
				kc_diag(d, it->file, p, 0, E,
					"post \"%.80s\" at %s (%s in %s, for the %s kit) is outside the campaign window %s to %s; move it into the window",
					id ? id : "?", when, time, m.zone, kitname,
					s, e);
			else
				kc_diag(d, it->file, p, 0, E,
					"post \"%.80s\" at %s is outside the campaign window %s to %s; move it into the window",
					id ? id : "?", when, s, e);
		}
		json_array_foreach (media, j, x) {
			const char *ref = json_string_value(x);

			if (ref && !kit_strpos_find(files, nfiles, ref)) {
				char sub[600];

				subpath(p, sizeof(p), it->where, "media");
				(void)snprintf(sub, sizeof(sub), "%s[%zu]", p, j);
				kc_diag(d, it->file, sub, 0, E,
					"post media \"%.80s\" is not declared in \"media\" (with its alt text)%s%s; declare it there",
					ref, o ? " for office " : "", o ? o->id : "");
			}
		}
		for (j = 0; lang && j < json_array_size(olangs); j++) {
			const char *ol = json_string_value(json_array_get(olangs, j));

			if (ol && !strcmp(ol, lang))
				lang_served = 1;
		}
	}
	if (o && json_array_size(olangs) > 0 && !lang_served)
		kc_diag(d, &o->f, "languages", 0, W,
			"office %s has no post in any of its languages; add posts in one of them to its overlay",
			o->id);
	free(files);
	kc_merged_free(&m);
}

int
kit_campaign_validate(const struct kit_campaign *c,
		      struct kit_campaign_diags *out)
{
	struct vctx v;
	size_t before = out->errors, i;

	memset(&v, 0, sizeof(v));
	v.c = c;
	v.d = out;
	v.f = &c->main;
	check_campaign_json(&v);
	for (i = 0; i < c->noffices; i++) {
		v.f = &c->offices[i].f;
		check_office_json(&v, &c->offices[i]);
	}
	check_kit(c, NULL, out);
	for (i = 0; i < c->noffices; i++)
		check_kit(c, &c->offices[i], out);
	kit_campaign_diags_sort(out);
	/* a cache of the result, not a change of the campaign: c is only
	 * ever made by kit_campaign_load(), never defined const */
	((struct kit_campaign *)c)->valid = out->errors == before;
	return (int)(out->errors - before);
}
