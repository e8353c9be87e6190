/*
 * kit.c: one kit (a campaign merged with an office overlay, or the global
 * kit): the manifest, the generated index.html and the archive entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"
#include "kit_crypto.h"
#include "page.h"

#define HTML_MAX (8u << 20)

struct kit_campaign_kit {
	json_t *manifest;
	char *bytes;
	size_t len;
	char content[KIT_SHA256_HEX];
	char *office;
	int64_t sde;
	struct kit_campaign_entry *e;
	size_t n;
};

/* ---- entries -------------------------------------------------------------- */

static void
entry_add(struct kit_campaign_kit *k, const char *path, const char *source,
	  unsigned char *data, size_t len, const char *sha)
{
	struct kit_campaign_entry *e;

	k->e = kit_xrealloc(k->e, (k->n + 1) * sizeof(*k->e));
	e = &k->e[k->n++];
	e->path = kit_strdup(path);
	e->source = source ? kit_strdup(source) : NULL;
	e->data = data;
	e->len = len;
	e->sha256 = kit_strdup(sha);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct kit_campaign_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Add a file from the campaign directory, hashing it. */
static int
entry_file(struct kit_campaign_kit *k, const char *dir, const char *rel,
	   const char *archive_path, struct kit_error *err)
{
	char *abs = kit_aprintf("%s/%s", dir, rel);
	char hex[KIT_SHA256_HEX];
	uint64_t len = 0;
	size_t i;
	int rc = -1;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->e[i].path, archive_path)) {
			rc = 0; /* the same file named twice (post media) */
			goto out;
		}
	if (!kit_path_is_safe(rel)) {
		kit_err(err, KIT_E_SECURITY, "%s: unsafe path; use a relative path",
			rel);
		goto out;
	}
	if (kit_sha256_file(abs, hex, &len, err) != 0)
		goto out;
	entry_add(k, archive_path, abs, NULL, (size_t)len, hex);
	rc = 0;
out:
	free(abs);
	return rc;
}

/* ---- the manifest ----------------------------------------------------------- */

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
copy_strings(const json_t *arr)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (json_is_string(x))
			json_array_append_new(out, json_string(json_string_value(x)));
	return out;
}

static int
post_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(kc_str(x, "at"), kc_str(y, "at"));

	return r ? r : strcmp(kc_str(x, "id"), kc_str(y, "id"));
}

static const char *
media_alt(const struct kc_merged *m, const char *file)
{
	size_t i;

	for (i = 0; i < m->nme; i++)
		if (!strcmp(kc_str(m->me[i].obj, "file"), file))
			return kc_str(m->me[i].obj, "alt");
	return NULL;
}

/* ---- index.html: the page's view of this kit ----------------------------------- */

static uint64_t
entry_size(const struct kit_campaign_kit *k, const char *path)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->e[i].path, path))
			return k->e[i].len;
	return 0;
}

static void
page_media(const struct kit_campaign_kit *k, const struct kc_merged *m,
	   const char *file, struct kc_page_media *pm)
{
	pm->path = file;
	pm->alt = media_alt(m, file);
	pm->type = kc_media_type(file);
	pm->size = entry_size(k, file);
}

static int
page_post_cmp(const void *a, const void *b)
{
	const struct kc_page_post *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static const char **
page_strings(const json_t *arr, size_t *n)
{
	const char **v = kit_xcalloc(json_array_size(arr) + 1, sizeof(*v));
	const json_t *x;
	size_t i;

	*n = 0;
	json_array_foreach(arr, i, x)
		if (json_is_string(x))
			v[(*n)++] = json_string_value(x);
	return v;
}

/* Fill the page's view from the merged kit (statements and about read
 * from the campaign directory, media sizes from the entries hashed so
 * far) and render it into html. */
static int
render_page(const struct kit_campaign_kit *k, const struct kit_campaign *c,
	    const struct kc_merged *m, const json_t *man, struct kit_buf *html,
	    struct kit_error *err)
{
	const json_t *root = c->main.root, *win = json_object_get(root, "window");
	const json_t *oi = json_object_get(man, "office_info");
	struct kc_page pg;
	struct kc_page_office office;
	struct kc_page_post *posts = NULL;
	struct kc_page_media *media = NULL, *pmedia = NULL;
	struct kc_page_statement *st = NULL;
	struct kc_page_video *vids = NULL;
	const char **langs = NULL, **tags = NULL;
	unsigned char **texts = NULL;
	unsigned char *about = NULL;
	size_t i, j, nm = 0, len;
	int fl, rc = -1;

	memset(&pg, 0, sizeof(pg));
	pg.campaign = kit_campaign_id(c);
	pg.title = kc_str(root, "title");
	pg.zone = m->zone;
	if (kit_time_parse(kc_str(win, "start"), &pg.window_start, &fl, err) ||
	    kit_time_parse(kc_str(win, "end"), &pg.window_end, &fl, err))
		goto out;
	pg.languages = langs = page_strings(json_object_get(man, "languages"),
					    &pg.n_languages);
	pg.hashtags = tags = page_strings(json_object_get(root, "hashtags"),
					  &pg.n_hashtags);
	if (json_is_object(oi)) {
		const json_t *ct = json_object_get(oi, "contact");
		const json_t *ps = json_object_get(oi, "presence_since");

		memset(&office, 0, sizeof(office));
		office.name = kc_str(oi, "name");
		office.country = kc_str(oi, "country");
		office.zone = kc_str(oi, "timezone");
		office.contact_name = kc_str(ct, "name");
		office.contact_role = kc_str(ct, "role");
		office.contact_email = kc_str(ct, "email");
		office.contact_phone = kc_str(ct, "phone");
		office.presence_since = json_is_integer(ps) ?
			(long)json_integer_value(ps) : 0;
		pg.office = &office;
	}
	if (kc_str(root, "about")) {
		char *abs = kit_aprintf("%s/%s", c->dir, kc_str(root, "about"));
		int r = kit_file_read(abs, KIT_CAMPAIGN_TEXT_MAX, &about, &len, err);

		free(abs);
		if (r)
			goto out;
		pg.about = (const char *)about;
	}
	st = kit_xcalloc(m->nst + 1, sizeof(*st));
	texts = kit_xcalloc(m->nst + 1, sizeof(*texts));
	for (i = 0; i < m->nst; i++) {
		const json_t *s = m->st[i].obj;
		char *abs = kit_aprintf("%s/%s", c->dir, kc_str(s, "file"));
		int r = kit_file_read(abs, KIT_CAMPAIGN_TEXT_MAX, &texts[i], &len, err);

		free(abs);
		if (r)
			goto out;
		st[i].title = kc_str(s, "title");
		st[i].speaker = kc_str(s, "speaker");
		st[i].date = kc_str(s, "date");
		st[i].language = kc_str(s, "language");
		st[i].markdown = (const char *)texts[i];
	}
	pg.statements = st;
	pg.n_statements = m->nst;
	vids = kit_xcalloc(json_array_size(json_object_get(root, "videos")) + 1,
			   sizeof(*vids));
	{
		const json_t *x;

		json_array_foreach(json_object_get(root, "videos"), i, x) {
			vids[i].title = kc_str(x, "title");
			vids[i].url = kc_str(x, "url");
			vids[i].language = kc_str(x, "language");
		}
		pg.n_videos = i;
	}
	pg.videos = vids;
	media = kit_xcalloc(m->nme + 1, sizeof(*media));
	for (i = 0; i < m->nme; i++)
		page_media(k, m, kc_str(m->me[i].obj, "file"), &media[i]);
	pg.media = media;
	pg.n_media = m->nme;
	for (i = 0; i < m->npo; i++)
		nm += json_array_size(json_object_get(m->po[i].obj, "media"));
	pmedia = kit_xcalloc(nm + 1, sizeof(*pmedia));
	posts = kit_xcalloc(m->npo + 1, sizeof(*posts));
	for (i = 0, nm = 0; i < m->npo; i++) {
		const json_t *p = m->po[i].obj, *x;
		struct kc_page_post *pp = &posts[i];
		int floating;

		pp->id = kc_str(p, "id");
		pp->platform = kc_str(p, "platform");
		pp->language = kc_str(p, "language");
		pp->text = kc_str(p, "text");
		pp->link = kc_str(p, "link");
		if (kc_post_time(kc_str(p, "time"), m->zone, &pp->at, &floating)) {
			kit_err(err, KIT_E_INVALID, "post %s: cannot resolve time %s",
				pp->id, kc_str(p, "time"));
			goto out;
		}
		pp->count = kc_post_length(pp->platform, pp->text, pp->link,
					   &pp->limit);
		pp->media = &pmedia[nm];
		json_array_foreach(json_object_get(p, "media"), j, x)
			page_media(k, m, json_string_value(x), &pmedia[nm++]);
		pp->n_media = j;
	}
	if (m->npo > 1)
		qsort(posts, m->npo, sizeof(*posts), page_post_cmp);
	pg.posts = posts;
	pg.n_posts = m->npo;
	rc = kc_page_render(&pg, html, err);
out:
	for (i = 0; texts && i < m->nst; i++)
		free(texts[i]);
	free(texts);
	free(about);
	free(st);
	free(vids);
	free(media);
	free(pmedia);
	free(posts);
	free(langs);
	free(tags);
	return rc;
}

static int
build(struct kit_campaign_kit *k, const struct kit_campaign *c,
      const struct kc_office *o, int version, struct kit_error *err)
{
	const json_t *root = c->main.root, *win = json_object_get(root, "window");
	json_t *man = NULL, *arr, *x, *files, *sources, *langs, *inputs, *copy;
	json_t **posts = NULL;
	struct kc_merged m;
	struct kit_buf html;
	char *compact = NULL, hex[KIT_SHA256_HEX];
	size_t i, j;
	int rc = -1;

	kit_buf_init(&html, HTML_MAX);
	kc_merge(c, o, &m);
	man = json_object();
	json_object_set_new(man, "schema", json_integer(1));
	json_object_set_new(man, "campaign", json_string(kit_campaign_id(c)));
	json_object_set_new(man, "office", json_string(o ? o->id : "global"));
	json_object_set_new(man, "version", json_integer(version));
	json_object_set_new(man, "title", json_string(kc_str(root, "title")));
	arr = json_object();
	json_object_set_new(arr, "start", json_string(kc_str(win, "start")));
	json_object_set_new(arr, "end", json_string(kc_str(win, "end")));
	json_object_set_new(man, "window", arr);
	json_object_set_new(man, "timezone", json_string(m.zone));
	/* languages: the campaign's, then the office's it adds */
	langs = copy_strings(json_object_get(root, "languages"));
	if (o) {
		json_array_foreach(json_object_get(o->f.root, "languages"), i, x) {
			int seen = 0;

			for (j = 0; j < json_array_size(langs); j++)
				if (json_equal(json_array_get(langs, j), x))
					seen = 1;
			if (!seen)
				json_array_append_new(langs, json_deep_copy(x));
		}
	}
	json_object_set_new(man, "languages", langs);
	json_object_set_new(man, "hashtags",
			    copy_strings(json_object_get(root, "hashtags")));
	if (o) {
		static const char *const keys[] = {"id", "name", "country",
						   "timezone", NULL};
		const json_t *ct = json_object_get(o->f.root, "contact");

		arr = json_object();
		for (i = 0; keys[i]; i++)
			json_object_set_new(arr, keys[i],
					    json_string(kc_str(o->f.root, keys[i])));
		json_object_set_new(arr, "languages",
				    copy_strings(json_object_get(o->f.root, "languages")));
		if (json_is_object(ct)) {
			json_t *cc = json_object();

			json_object_set_new(cc, "name", str_or_null(kc_str(ct, "name")));
			json_object_set_new(cc, "role", str_or_null(kc_str(ct, "role")));
			json_object_set_new(cc, "email", str_or_null(kc_str(ct, "email")));
			json_object_set_new(cc, "phone", str_or_null(kc_str(ct, "phone")));
			json_object_set_new(arr, "contact", cc);
		} else {
			json_object_set_new(arr, "contact", json_null());
		}
		x = json_object_get(o->f.root, "presence_since");
		json_object_set_new(arr, "presence_since",
				    json_is_integer(x) ? json_integer(json_integer_value(x))
						       : json_null());
		json_object_set_new(man, "office_info", arr);
	} else {
		json_object_set_new(man, "office_info", json_null());
	}

	/* statements and their files */
	arr = json_array();
	for (i = 0; i < m.nst; i++) {
		const json_t *s = m.st[i].obj;
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(kc_str(s, "file")));
		json_object_set_new(e, "title", json_string(kc_str(s, "title")));
		json_object_set_new(e, "speaker", json_string(kc_str(s, "speaker")));
		json_object_set_new(e, "date", json_string(kc_str(s, "date")));
		json_object_set_new(e, "language", json_string(kc_str(s, "language")));
		json_array_append_new(arr, e);
		if (entry_file(k, c->dir, kc_str(s, "file"), kc_str(s, "file"), err))
			goto out;
	}
	json_object_set_new(man, "statements", arr);
	arr = json_array();
	json_array_foreach(json_object_get(root, "videos"), i, x) {
		json_t *e = json_object();

		json_object_set_new(e, "title", json_string(kc_str(x, "title")));
		json_object_set_new(e, "url", json_string(kc_str(x, "url")));
		json_object_set_new(e, "language", json_string(kc_str(x, "language")));
		json_array_append_new(arr, e);
	}
	json_object_set_new(man, "videos", arr);

	/* posts with their resolved instants, in time order */
	posts = kit_xcalloc(m.npo ? m.npo : 1, sizeof(*posts));
	for (i = 0; i < m.npo; i++) {
		const json_t *p = m.po[i].obj;
		json_t *e = json_object(), *media = json_array(), *r;
		int64_t at = 0;
		int floating = 0;
		char when[32];

		if (kc_post_time(kc_str(p, "time"), m.zone, &at, &floating)) {
			json_decref(e);
			json_decref(media);
			kit_err(err, KIT_E_INVALID, "post %s: cannot resolve time %s",
				kc_str(p, "id"), kc_str(p, "time"));
			goto out;
		}
		kit_time_format_utc(at, when, sizeof(when));
		json_object_set_new(e, "id", json_string(kc_str(p, "id")));
		json_object_set_new(e, "platform", json_string(kc_str(p, "platform")));
		json_object_set_new(e, "time", json_string(kc_str(p, "time")));
		json_object_set_new(e, "at", json_string(when));
		json_object_set_new(e, "floating", json_boolean(floating));
		json_object_set_new(e, "text", json_string(kc_str(p, "text")));
		json_object_set_new(e, "link", str_or_null(kc_str(p, "link")));
		json_array_foreach(json_object_get(p, "media"), j, r) {
			json_t *me = json_object();

			json_object_set_new(me, "path", json_string(json_string_value(r)));
			json_object_set_new(me, "alt",
					    json_string(media_alt(&m, json_string_value(r))));
			json_array_append_new(media, me);
		}
		json_object_set_new(e, "media", media);
		json_object_set_new(e, "language", json_string(kc_str(p, "language")));
		posts[i] = e;
	}
	if (m.npo > 1)
		qsort(posts, m.npo, sizeof(*posts), post_cmp);
	arr = json_array();
	for (i = 0; i < m.npo; i++) {
		json_array_append_new(arr, posts[i]);
		posts[i] = NULL;
	}
	json_object_set_new(man, "posts", arr);

	/* media files (all declared), about.md */
	for (i = 0; i < m.nme; i++)
		if (entry_file(k, c->dir, kc_str(m.me[i].obj, "file"),
			       kc_str(m.me[i].obj, "file"), err))
			goto out;
	if (entry_file(k, c->dir, kc_str(root, "about"), "about.md", err))
		goto out;
	if (render_page(k, c, &m, man, &html, err)) {
		/* the page inlines every statement: say so, not just that a
		 * buffer is full */
		kit_err_prefix(err, "index.html of %s/%s would exceed %u MiB "
				    "(it inlines every statement); shorten "
				    "the statements or split the campaign",
			       kit_campaign_id(c), o ? o->id : "global",
			       HTML_MAX >> 20);
		goto out;
	}
	kit_sha256_hex(html.data, html.len, hex);
	entry_add(k, "index.html", NULL, html.data, html.len, hex);
	html.data = NULL;
	kit_buf_free(&html);

	qsort(k->e, k->n, sizeof(*k->e), entry_cmp);
	files = json_array();
	for (i = 0; i < k->n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(k->e[i].path));
		json_object_set_new(e, "size", json_integer((json_int_t)k->e[i].len));
		json_object_set_new(e, "sha256", json_string(k->e[i].sha256));
		json_object_set_new(e, "type", json_string(kc_media_type(k->e[i].path)
								   ? kc_media_type(k->e[i].path)
								   : "application/octet-stream"));
		json_array_append_new(files, e);
	}
	json_object_set_new(man, "files", files);

	inputs = json_object();
	json_object_set_new(inputs, "source_date_epoch", json_integer(k->sde));
	json_object_set_new(inputs, "tool", json_string("kit-publish " KIT_VERSION));
	sources = json_array();
	arr = json_object();
	json_object_set_new(arr, "path", json_string(c->main.rel));
	json_object_set_new(arr, "sha256", json_string(c->main.sha256));
	json_array_append_new(sources, arr);
	if (o) {
		arr = json_object();
		json_object_set_new(arr, "path", json_string(o->f.rel));
		json_object_set_new(arr, "sha256", json_string(o->f.sha256));
		json_array_append_new(sources, arr);
	}
	json_object_set_new(inputs, "sources", sources);
	json_object_set_new(man, "inputs", inputs);

	/* content: everything but the version (and itself), canonical dump */
	/* (the version taken out and put back: no copy of the whole tree) */
	copy = json_incref(json_object_get(man, "version"));
	json_object_del(man, "version");
	compact = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
	json_object_set_new(man, "version", copy);
	if (!compact) {
		kit_err(err, KIT_E_INVALID, "cannot serialise the manifest");
		goto out;
	}
	kit_sha256_hex(compact, strlen(compact), k->content);
	json_object_set_new(man, "content", json_string(k->content));
	k->manifest = man;
	man = NULL;
	rc = 0;
out:
	if (posts)
		for (i = 0; i < m.npo; i++)
			json_decref(posts[i]);
	free(posts);
	free(compact);
	kit_buf_free(&html);
	json_decref(man);
	kc_merged_free(&m);
	return rc;
}

struct kit_campaign_kit *
kit_campaign_kit_new(const struct kit_campaign *c, const char *office_id,
		     int version, int64_t source_date_epoch,
		     struct kit_error *err)
{
	struct kit_campaign_kit *k = NULL, *ret = NULL;
	struct kit_campaign_diags d;
	const struct kc_office *o = NULL;
	char *dump = NULL, line[700];
	char hex[KIT_SHA256_HEX];
	size_t i;

	kit_campaign_diags_init(&d);
	if (version < 1) {
		kit_err(err, KIT_E_INVALID, "kit version %d: must be 1 or more",
			version);
		goto out;
	}
	if (office_id) {
		o = kc_office_find(c, office_id);
		if (!o) {
			kit_err(err, KIT_E_INVALID,
				"campaign %s has no office \"%s\"; add offices/%s.json "
				"or pick one of its offices",
				c->dir, office_id, office_id);
			goto out;
		}
	}
	if (kit_campaign_validate(c, &d) > 0) {
		for (i = 0; i < d.n && d.v[i].severity != KIT_CAMPAIGN_ERROR; i++)
			;
		kit_campaign_diag_format(&d.v[i < d.n ? i : 0], c->dir, line,
					 sizeof(line));
		kit_err(err, KIT_E_INVALID,
			"campaign %s has %zu error(s), first: %s; run kit-publish "
			"validate",
			c->dir, d.errors, line);
		goto out;
	}
	k = kit_xcalloc(1, sizeof(*k));
	k->office = kit_strdup(o ? o->id : "global");
	k->sde = source_date_epoch >= 0 ? source_date_epoch
					 : kit_campaign_source_date(c);
	if (build(k, c, o, version, err) != 0) {
		kit_err_prefix(err, "kit %s/%s", kit_campaign_id(c), k->office);
		goto out;
	}
	dump = json_dumps(k->manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!dump) {
		kit_err(err, KIT_E_INVALID, "cannot serialise the manifest");
		goto out;
	}
	k->len = strlen(dump);
	k->bytes = kit_xrealloc(dump, k->len + 2);
	dump = NULL;
	k->bytes[k->len++] = '\n';
	k->bytes[k->len] = '\0';
	/* manifest.json goes first, ahead of the sorted others; its data is
	 * k->bytes itself (freed once, in kit_campaign_kit_free) */
	kit_sha256_hex(k->bytes, k->len, hex);
	entry_add(k, "manifest.json", NULL, (unsigned char *)k->bytes, k->len,
		  hex);
	{
		struct kit_campaign_entry last = k->e[k->n - 1];

		memmove(&k->e[1], &k->e[0], (k->n - 1) * sizeof(*k->e));
		k->e[0] = last;
	}
	ret = k;
	k = NULL;
out:
	free(dump);
	kit_campaign_kit_free(k);
	kit_campaign_diags_free(&d);
	return ret;
}

void
kit_campaign_kit_free(struct kit_campaign_kit *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++) {
		free((char *)k->e[i].path);
		free((char *)k->e[i].source);
		if (k->e[i].data != (const unsigned char *)k->bytes)
			free((unsigned char *)k->e[i].data);
		free((char *)k->e[i].sha256);
	}
	free(k->e);
	json_decref(k->manifest);
	free(k->bytes);
	free(k->office);
	free(k);
}

json_t *
kit_campaign_kit_manifest(const struct kit_campaign_kit *k)
{
	return k->manifest;
}

const char *
kit_campaign_kit_manifest_bytes(const struct kit_campaign_kit *k, size_t *len)
{
	if (len)
		*len = k->len;
	return k->bytes;
}

const char *
kit_campaign_kit_content(const struct kit_campaign_kit *k)
{
	return k->content;
}

const char *
kit_campaign_kit_office(const struct kit_campaign_kit *k)
{
	return k->office;
}

int64_t
kit_campaign_kit_source_date(const struct kit_campaign_kit *k)
{
	return k->sde;
}

size_t
kit_campaign_kit_entry_count(const struct kit_campaign_kit *k)
{
	return k->n;
}

const struct kit_campaign_entry *
kit_campaign_kit_entry(const struct kit_campaign_kit *k, size_t i)
{
	return i < k->n ? &k->e[i] : NULL;
}

int
kit_campaign_write_manifests(const struct kit_campaign *c,
			     const char *manifests_dir, struct kit_error *err)
{
	struct kit_campaign_kit *k = NULL;
	char *dir = NULL, *path = NULL;
	const char *bytes;
	size_t i, len;
	int rc = -1;

	dir = kit_aprintf("%s/%s", manifests_dir, kit_campaign_id(c));
	if (kit_mkdir_p(dir, 0755, err) != 0)
		goto out;
	/* i == 0 is the global kit, then each office */
	for (i = 0; i <= c->noffices; i++) {
		const char *office = i ? c->offices[i - 1].id : NULL;

		/* version 1: the committed record is of content; the publisher
		 * assigns the real versions in the repository */
		k = kit_campaign_kit_new(c, office, 1, -1, err);
		if (!k)
			goto out;
		free(path);
		path = kit_aprintf("%s/%s.json", dir, office ? office : "global");
		bytes = kit_campaign_kit_manifest_bytes(k, &len);
		if (kit_file_write_atomic(path, bytes, len, 0644, err) != 0)
			goto out;
		kit_campaign_kit_free(k);
		k = NULL;
	}
	rc = 0;
out:
	kit_campaign_kit_free(k);
	free(path);
	free(dir);
	return rc;
}
