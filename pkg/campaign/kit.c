/*
 * kit.c: one kit (a campaign merged with an office overlay, or the global
 * kit): its manifest model (kit_manifest.h, written by its owner), the
 * generated index.html and schedule/ files, and the archive entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign_int.h"
#include "kit_crypto.h"
#include "kit_schedule.h"
#include "page.h"

#define HTML_MAX (8u << 20)

struct kit_campaign_kit {
	int dirfd; /* the campaign directory; entries' sources are beneath */
	struct kit_manifest *m;
	char *bytes; /* manifest.json */
	size_t len;
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

/* Add a file from the campaign directory (rel beneath it, no link
 * followed: kc_open), with its digest (kc_file_hash). */
static int
entry_file(struct kit_campaign_kit *k, const struct kit_campaign *c,
	   const char *rel, const char *archive_path, struct kit_error *err)
{
	const char *hex;
	uint64_t len = 0;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->e[i].path, archive_path))
			return 0; /* the same file named twice (post media) */
	/* read and hashed once for the campaign (the inputs, every kit) */
	hex = kc_file_hash(c, rel, &len, err);
	if (hex == NULL)
		return -1;
	entry_add(k, archive_path, rel, NULL, (size_t)len, hex);
	return 0;
}

/* ---- the manifest model ------------------------------------------------------ */

static char *
sdup(const char *s)
{
	return s ? kit_strdup(s) : NULL;
}

/* The string items of arr, copied; *n counts them. */
static char **
strings_of(const json_t *arr, size_t *n)
{
	char **v = kit_xcalloc(json_array_size(arr) + 1, sizeof(*v));
	const json_t *x;
	size_t i;

	*n = 0;
	json_array_foreach (arr, i, x)
		if (json_is_string(x))
			v[(*n)++] = kit_strdup(json_string_value(x));
	return v;
}

static const char *
media_alt(const struct kc_merged *m, const char *file)
{
	size_t i;

	for (i = 0; file && i < m->nme; i++) {
		const char *f = kc_str(m->me[i].obj, "file");

		if (f && !strcmp(f, file))
			return kc_str(m->me[i].obj, "alt");
	}
	return NULL;
}

/* The campaign's languages, then those of the office it adds. */
static void
fill_languages(struct kit_manifest *km, const struct kit_campaign *c,
	       const struct kc_office *o)
{
	const json_t *x;
	size_t i, j;

	km->languages = strings_of(json_object_get(c->main.root, "languages"),
				   &km->n_languages);
	if (!o)
		return;
	json_array_foreach (json_object_get(o->f.root, "languages"), i, x) {
		if (!json_is_string(x))
			continue;
		for (j = 0; j < km->n_languages; j++)
			if (!strcmp(km->languages[j], json_string_value(x)))
				break;
		if (j < km->n_languages)
			continue;
		km->languages = kit_xrealloc(km->languages, (km->n_languages + 2) *
								    sizeof(*km->languages));
		km->languages[km->n_languages++] = kit_strdup(json_string_value(x));
	}
}

static void
fill_office(struct kit_manifest *km, const struct kc_office *o)
{
	const json_t *root = o->f.root, *ct = json_object_get(root, "contact");
	const json_t *since = json_object_get(root, "presence_since");
	struct kit_manifest_office *oi = kit_xcalloc(1, sizeof(*oi));

	oi->id = sdup(kc_str(root, "id"));
	oi->name = sdup(kc_str(root, "name"));
	oi->country = sdup(kc_str(root, "country"));
	oi->timezone = sdup(kc_str(root, "timezone"));
	oi->languages = strings_of(json_object_get(root, "languages"),
				   &oi->n_languages);
	if (json_is_object(ct)) {
		oi->contact = kit_xcalloc(1, sizeof(*oi->contact));
		oi->contact->name = sdup(kc_str(ct, "name"));
		oi->contact->role = sdup(kc_str(ct, "role"));
		oi->contact->email = sdup(kc_str(ct, "email"));
		oi->contact->phone = sdup(kc_str(ct, "phone"));
	}
	oi->presence_since = json_is_integer(since) ? (long)json_integer_value(since) : 0;
	km->office_info = oi;
}

static int
post_cmp(const void *a, const void *b)
{
	const struct kit_manifest_post *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The merged posts with their instants resolved in the kit's zone, in
 * time order. */
static int
fill_posts(struct kit_manifest *km, const struct kc_merged *m,
	   struct kit_error *err)
{
	size_t i, j;

	km->posts = kit_xcalloc(m->npo + 1, sizeof(*km->posts));
	for (i = 0; i < m->npo; i++) {
		const json_t *p = m->po[i].obj, *media = json_object_get(p, "media"), *x;
		struct kit_manifest_post *kp = &km->posts[km->n_posts++];

		kp->id = sdup(kc_str(p, "id"));
		kp->platform = sdup(kc_str(p, "platform"));
		kp->time = sdup(kc_str(p, "time"));
		kp->text = sdup(kc_str(p, "text"));
		kp->link = sdup(kc_str(p, "link"));
		kp->language = sdup(kc_str(p, "language"));
		if (kc_post_time(kp->time, m->zone, &kp->at, &kp->floating))
			return kit_err(err, KIT_E_INVALID, "post %s: cannot resolve time %s", kp->id, kp->time);
		kp->media = kit_xcalloc(json_array_size(media) + 1, sizeof(*kp->media));
		json_array_foreach (media, j, x) {
			kp->media[j].path = sdup(json_string_value(x));
			kp->media[j].alt = sdup(media_alt(m, json_string_value(x)));
			kp->n_media++;
		}
	}
	if (km->n_posts > 1)
		qsort(km->posts, km->n_posts, sizeof(*km->posts), post_cmp);
	return 0;
}

/* files[]: every entry so far, by path, with its media type. */
static void
fill_files(struct kit_campaign_kit *k)
{
	struct kit_manifest *km = k->m;
	size_t i;

	for (i = 0; i < km->n_files; i++) {
		free(km->files[i].path);
		free(km->files[i].type);
	}
	free(km->files);
	qsort(k->e, k->n, sizeof(*k->e), entry_cmp);
	km->files = kit_xcalloc(k->n + 1, sizeof(*km->files));
	km->n_files = k->n;
	for (i = 0; i < k->n; i++) {
		const char *type = kc_media_type(k->e[i].path);

		km->files[i].path = kit_strdup(k->e[i].path);
		km->files[i].size = k->e[i].len;
		(void)snprintf(km->files[i].sha256, sizeof(km->files[i].sha256),
			       "%s", k->e[i].sha256);
		km->files[i].type = kit_strdup(type ? type : "application/octet-stream");
	}
}

/* The kit's model: everything but its files. */
static int
fill_model(struct kit_campaign_kit *k, const struct kit_campaign *c,
	   const struct kc_office *o, const struct kc_merged *m, int version,
	   struct kit_error *err)
{
	const json_t *root = c->main.root, *win = json_object_get(root, "window"), *x;
	struct kit_manifest *km = k->m;
	size_t i;
	int off;

	km->campaign = kit_strdup(kit_campaign_id(c));
	km->office = kit_strdup(k->office);
	km->version = version;
	km->title = sdup(kc_str(root, "title"));
	km->window_start = sdup(kc_str(win, "start"));
	km->window_end = sdup(kc_str(win, "end"));
	if (!km->window_start || !km->window_end ||
	    kit_time_parse(km->window_start, &km->window_start_at, &off, err) ||
	    kit_time_parse(km->window_end, &km->window_end_at, &off, err))
		return kit_err(err, KIT_E_INVALID, "the campaign has no valid window");
	km->timezone = sdup(m->zone);
	fill_languages(km, c, o);
	km->hashtags = strings_of(json_object_get(root, "hashtags"), &km->n_hashtags);
	if (o)
		fill_office(km, o);
	km->statements = kit_xcalloc(m->nst + 1, sizeof(*km->statements));
	for (i = 0; i < m->nst; i++) {
		const json_t *s = m->st[i].obj;
		struct kit_manifest_statement *ks = &km->statements[km->n_statements++];

		ks->path = sdup(kc_str(s, "file"));
		ks->title = sdup(kc_str(s, "title"));
		ks->speaker = sdup(kc_str(s, "speaker"));
		ks->date = sdup(kc_str(s, "date"));
		ks->language = sdup(kc_str(s, "language"));
		if (entry_file(k, c, ks->path, ks->path, err))
			return -1;
	}
	x = json_object_get(root, "videos");
	km->videos = kit_xcalloc(json_array_size(x) + 1, sizeof(*km->videos));
	for (i = 0; i < json_array_size(x); i++) {
		const json_t *v = json_array_get(x, i);
		struct kit_manifest_video *kv = &km->videos[km->n_videos++];

		kv->title = sdup(kc_str(v, "title"));
		kv->url = sdup(kc_str(v, "url"));
		kv->language = sdup(kc_str(v, "language"));
	}
	km->source_date_epoch = k->sde;
	km->tool = kit_strdup("kit-publish " KIT_VERSION);
	km->sources = kit_xcalloc(2, sizeof(*km->sources));
	km->sources[0].path = kit_strdup(c->main.rel);
	(void)snprintf(km->sources[0].sha256, KIT_SHA256_HEX, "%s", c->main.sha256);
	km->n_sources = 1;
	if (o) {
		km->sources[1].path = kit_strdup(o->f.rel);
		(void)snprintf(km->sources[1].sha256, KIT_SHA256_HEX, "%s", o->f.sha256);
		km->n_sources = 2;
	}
	return fill_posts(km, m, err);
}

/* ---- schedule/: the calendar and bulk files, generated at build time ------------ */

struct generated {
	struct kc_page_download *d; /* for the page */
	char **labels;
	size_t n;
};

static void
generated_free(struct generated *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free((char *)g->d[i].path);
		free(g->labels[i]);
	}
	free(g->d);
	free(g->labels);
	memset(g, 0, sizeof(*g));
}

/* Add generated bytes as schedule/<name> (taking data) and list it for
 * the page. */
static void
generated_add(struct kit_campaign_kit *k, struct generated *g,
	      const char *name, unsigned char *data, size_t len, char *label)
{
	char hex[KIT_SHA256_HEX], *path = kit_aprintf("schedule/%s", name);

	kit_sha256_hex(data ? (const void *)data : "", len, hex);
	entry_add(k, path, NULL, data ? data : kit_xcalloc(1, 1), len, hex);
	g->d = kit_xrealloc(g->d, (g->n + 1) * sizeof(*g->d));
	g->labels = kit_xrealloc(g->labels, (g->n + 1) * sizeof(*g->labels));
	g->d[g->n].path = path;
	g->d[g->n].label = label;
	g->d[g->n].size = len;
	g->labels[g->n] = label;
	g->n++;
}

static const char *
tool_label(enum kit_schedule_csv_format f)
{
	static const char *const names[] = {"Buffer", "Hootsuite", "Publer",
					    "Sprout Social", "Media list"};

	return names[f];
}

/*
 * The kit's posts as kit-schedule would export them, made once here so
 * the page can offer them: an .ics in the kit's zone, each CSV format per
 * platform, and the media side file.  Nothing depends on the clock or on
 * the kit's version (SEQUENCE 0, no "past" posts), so the same sources
 * give the same bytes and the content digest stays the content's.
 */
static int
schedule_files(struct kit_campaign_kit *k, struct generated *g,
	       struct kit_error *err)
{
	static const enum kit_schedule_csv_format formats[] = {
		KIT_SCHEDULE_CSV_BUFFER,
		KIT_SCHEDULE_CSV_HOOTSUITE,
		KIT_SCHEDULE_CSV_PUBLER,
		KIT_SCHEDULE_CSV_SPROUT,
		KIT_SCHEDULE_CSV_MEDIA,
	};
	struct kit_manifest v1 = *k->m; /* the model as version 1 */
	struct kit_schedule *s = NULL;
	struct kit_schedule_opts o;
	struct kit_schedule_file *f = NULL;
	struct kit_buf ics;
	size_t i, j, nf = 0, left;
	char *name;
	int rc = -1;

	kit_buf_init(&ics, KIT_SCHEDULE_OUT_MAX);
	v1.version = 1;
	s = kit_schedule_from_manifest(&v1, err);
	if (!s)
		goto out;
	kit_schedule_opts_init(&o);
	o.now = 0; /* not the build's clock: every post is "ahead" */
	o.tz = k->m->timezone;
	if (kit_schedule_ics(s, &o, &ics, err))
		goto out;
	name = kit_aprintf("%s-%s.ics", k->m->campaign, k->m->office);
	generated_add(k, g, name, ics.data, ics.len,
		      kit_strdup("Calendar of every post (iCalendar, .ics)"));
	free(name);
	ics.data = NULL;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		o.csv = formats[i];
		if (kit_schedule_csv_files(s, &o, &f, &nf, NULL, &left, err))
			goto out;
		for (j = 0; j < nf; j++) {
			const char *plat = strchr(f[j].name, '-');
			char *label;

			if (formats[i] == KIT_SCHEDULE_CSV_MEDIA) {
				label = kit_strdup("Media list: post, file and alt text of every medium (CSV)");
			} else {
				const struct kit_manifest_platform *pf;
				char id[40], part[24] = "";
				const char *dash;

				(void)snprintf(id, sizeof(id), "%.*s",
					       (int)strcspn(plat + 1, ".-"), plat + 1);
				dash = strchr(plat + 1, '-');
				if (dash)
					(void)snprintf(part, sizeof(part), ", part %.*s",
						       (int)strcspn(dash + 1, "."), dash + 1);
				pf = kit_manifest_platform(id);
				label = kit_aprintf("%s CSV for %s%s%s", tool_label(formats[i]),
						    pf ? pf->name : id, part,
						    f[j].left_out ? " (some posts left out: kit-schedule csv says why)" : "");
			}
			generated_add(k, g, f[j].name, f[j].data, f[j].len, label);
			f[j].data = NULL;
		}
		kit_schedule_files_free(f, nf);
		f = NULL;
		nf = 0;
	}
	rc = 0;
out:
	kit_schedule_files_free(f, nf);
	kit_buf_free(&ics);
	kit_schedule_free(s);
	return rc;
}

/* ---- index.html ------------------------------------------------------------------- */

/* Render the page from the model (its files so far give the media's
 * sizes and types) with the statements and about text read from the
 * campaign directory. */
static int
render_page(const struct kit_campaign_kit *k, const struct kit_campaign *c,
	    const struct kc_merged *m, const struct generated *g,
	    struct kit_buf *html, struct kit_error *err)
{
	const char *about_rel = kc_str(c->main.root, "about");
	const struct kit_manifest *km = k->m;
	struct kc_page pg;
	struct kc_page_medium *media = NULL;
	char **texts = NULL;
	unsigned char *about = NULL, *text;
	size_t i, len;
	int rc = -1;

	memset(&pg, 0, sizeof(pg));
	pg.m = km;
	if (about_rel) {
		if (kc_read(c, about_rel, KIT_CAMPAIGN_TEXT_MAX, &about, &len, err) != 0)
			goto out;
		pg.about = (const char *)about;
	}
	texts = kit_xcalloc(km->n_statements + 1, sizeof(*texts));
	for (i = 0; i < km->n_statements; i++) {
		if (kc_read(c, km->statements[i].path, KIT_CAMPAIGN_TEXT_MAX,
			    &text, &len, err) != 0)
			goto out;
		texts[i] = (char *)text;
	}
	pg.statements = (const char *const *)texts;
	media = kit_xcalloc(m->nme + 1, sizeof(*media));
	for (i = 0; i < m->nme; i++) {
		media[i].path = kc_str(m->me[i].obj, "file");
		media[i].alt = kc_str(m->me[i].obj, "alt");
	}
	pg.media = media;
	pg.n_media = m->nme;
	pg.downloads = g->d;
	pg.n_downloads = g->n;
	rc = kc_page_render(&pg, html, err);
out:
	for (i = 0; texts && i < km->n_statements; i++)
		free(texts[i]);
	free(texts);
	free(about);
	free(media);
	return rc;
}

/* The kit: its model, every entry, index.html. */
static int
build(struct kit_campaign_kit *k, const struct kit_campaign *c,
      const struct kc_office *o, int version, struct kit_error *err)
{
	struct kc_merged m;
	struct generated gen = {NULL, NULL, 0};
	struct kit_buf html;
	char hex[KIT_SHA256_HEX];
	size_t i;
	int rc = -1;

	kit_buf_init(&html, HTML_MAX);
	kc_merge(c, o, &m);
	if (fill_model(k, c, o, &m, version, err))
		goto out;
	/* media files (all declared), about.md */
	for (i = 0; i < m.nme; i++)
		if (entry_file(k, c, kc_str(m.me[i].obj, "file"),
			       kc_str(m.me[i].obj, "file"), err))
			goto out;
	if (entry_file(k, c, kc_str(c->main.root, "about"), "about.md", err) ||
	    schedule_files(k, &gen, err))
		goto out;
	fill_files(k);
	if (render_page(k, c, &m, &gen, &html, err)) {
		/* the page inlines every statement: say so, not just that a
		 * buffer is full */
		kit_err_prefix(err, "index.html of %s/%s would exceed %u MiB (it inlines every statement); shorten the statements or split the campaign",
			       kit_campaign_id(c), k->office, HTML_MAX >> 20);
		goto out;
	}
	kit_sha256_hex(html.data, html.len, hex);
	entry_add(k, "index.html", NULL, html.data, html.len, hex);
	html.data = NULL;
	fill_files(k);
	if (kit_manifest_content(k->m, k->m->content, err) != 0)
		goto out;
	/* the writer holds the model to every rule an office's reader
	 * holds manifest.json to: a kit every office would refuse is not
	 * built */
	if (kit_manifest_write(k->m, &k->bytes, &k->len, err) != 0) {
		kit_err_prefix(err, "manifest.json would be refused by every office");
		kit_err_suffix(err, "fix the campaign");
		goto out;
	}
	rc = 0;
out:
	kit_buf_free(&html);
	generated_free(&gen);
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
	char line[700], hex[KIT_SHA256_HEX];
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
				"campaign %s has no office \"%s\"; add offices/%s.json or pick one of its offices",
				c->dir, office_id, office_id);
			goto out;
		}
	}
	if (!c->valid && kit_campaign_validate(c, &d) > 0) {
		for (i = 0; i < d.n && d.v[i].severity != KIT_CAMPAIGN_ERROR; i++)
			;
		kit_campaign_diag_format(&d.v[i < d.n ? i : 0], c->dir, line,
					 sizeof(line));
		kit_err(err, KIT_E_INVALID,
			"campaign %s has %zu error(s), first: %s; run kit-publish validate",
			c->dir, d.errors, line);
		goto out;
	}
	k = kit_xcalloc(1, sizeof(*k));
	k->m = kit_manifest_new();
	k->dirfd = fcntl(c->dirfd, F_DUPFD_CLOEXEC, 0);
	if (k->dirfd < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", c->dir);
		goto out;
	}
	k->office = kit_strdup(o ? o->id : "global");
	k->sde = source_date_epoch >= 0 ? source_date_epoch
					: kit_campaign_source_date(c);
	if (build(k, c, o, version, err) != 0) {
		kit_err_prefix(err, "kit %s/%s", kit_campaign_id(c), k->office);
		goto out;
	}
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
	kit_campaign_kit_free(k);
	kit_campaign_diags_free(&d);
	return ret;
}

static size_t
rel_slot(const char *rel, size_t nslots)
{
	size_t h = 5381;

	while (*rel)
		h = h * 33 + (unsigned char)*rel++;
	return h & (nslots - 1);
}

static void
hashes_index(struct kc_hashes *hs)
{
	size_t i, j;

	free(hs->slots);
	hs->nslots = hs->nslots ? hs->nslots * 2 : 64;
	hs->slots = kit_xcalloc(hs->nslots, sizeof(*hs->slots));
	for (i = 0; i < hs->n; i++) {
		for (j = rel_slot(hs->v[i].rel, hs->nslots); hs->slots[j]; j = (j + 1) & (hs->nslots - 1))
			;
		hs->slots[j] = i + 1;
	}
}

const char *
kc_file_hash(const struct kit_campaign *c, const char *rel, uint64_t *len,
	     struct kit_error *err)
{
	struct kc_hashes *hs = c->hashes;
	struct kc_hash *h;
	size_t j;
	int fd;

	for (j = hs->nslots ? rel_slot(rel, hs->nslots) : 0; hs->nslots && hs->slots[j]; j = (j + 1) & (hs->nslots - 1))
		if (strcmp(hs->v[hs->slots[j] - 1].rel, rel) == 0) {
			if (len)
				*len = hs->v[hs->slots[j] - 1].len;
			return hs->v[hs->slots[j] - 1].hex;
		}
	if (!kit_path_is_safe(rel)) {
		kit_err(err, KIT_E_SECURITY, "%s: unsafe path; use a relative path", rel);
		return NULL;
	}
	/* kc_open classifies a link as refused; the hash reads it again
	 * beneath the directory, and the writer a third time */
	fd = kc_open(c, rel, NULL, NULL, err);
	if (fd < 0)
		return NULL;
	close(fd);
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 16;
		hs->v = kit_xrealloc(hs->v, hs->cap * sizeof(*hs->v));
	}
	h = &hs->v[hs->n];
	if (kit_sha256_file_at(c->dirfd, rel, h->hex, &h->len, err) != 0)
		return NULL;
	h->rel = kit_strdup(rel);
	hs->n++;
	if (2 * hs->n >= hs->nslots)
		hashes_index(hs);
	else {
		for (j = rel_slot(rel, hs->nslots); hs->slots[j]; j = (j + 1) & (hs->nslots - 1))
			;
		hs->slots[j] = hs->n;
	}
	if (len)
		*len = h->len;
	return h->hex;
}

/* One named part of the inputs: its length, then its bytes. */
static void
input_put(struct kit_sha256 *h, const char *what, const char *s)
{
	char len[32];

	s = s ? s : "";
	(void)snprintf(len, sizeof(len), " %zu:", strlen(s));
	kit_sha256_update(h, what, strlen(what));
	kit_sha256_update(h, len, strlen(len));
	kit_sha256_update(h, s, strlen(s));
}

static int
input_add(struct kit_sha256 *h, struct kit_campaign *c, const char *what,
	  const char *rel, struct kit_error *err)
{
	const char *hex;

	if (rel == NULL)
		return 0;
	hex = kc_file_hash(c, rel, NULL, err);
	if (hex == NULL)
		return -1;
	input_put(h, what, rel);
	input_put(h, "sha256", hex);
	return 0;
}

int
kit_campaign_kit_inputs(struct kit_campaign *c, const char *office_id,
			const char *salt, char *hex, struct kit_error *err)
{
	const struct kc_office *o = NULL;
	struct kit_sha256 *h;
	struct kc_merged m;
	size_t i;
	int rc = -1;

	if (office_id) {
		o = kc_office_find(c, office_id);
		if (!o)
			return kit_err(err, KIT_E_INVALID, "campaign %s has no office \"%s\"; add offices/%s.json or pick one of its offices", c->dir, office_id, office_id);
	}
	h = kit_sha256_new();
	if (h == NULL)
		return kit_err(err, KIT_E_IO, "out of memory");
	kc_merge(c, o, &m);
	input_put(h, "kit inputs", "1");
	input_put(h, "salt", salt);
	input_put(h, "campaign.json", c->main.sha256);
	input_put(h, "office", o ? o->id : "global");
	input_put(h, "overlay", o ? o->f.sha256 : "");
	for (i = 0; i < m.nst; i++)
		if (input_add(h, c, "statement", kc_str(m.st[i].obj, "file"), err))
			goto out;
	for (i = 0; i < m.nme; i++)
		if (input_add(h, c, "media", kc_str(m.me[i].obj, "file"), err))
			goto out;
	if (input_add(h, c, "about", kc_str(c->main.root, "about"), err))
		goto out;
	kit_sha256_final_hex(h, hex);
	rc = 0;
out:
	if (rc != 0)
		kit_err_prefix(err, "kit %s/%s", kit_campaign_id(c), o ? o->id : "global");
	kit_sha256_free(h);
	kc_merged_free(&m);
	return rc;
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
	kit_manifest_free(k->m);
	free(k->bytes);
	free(k->office);
	if (k->dirfd >= 0)
		close(k->dirfd);
	free(k);
}

int
kit_campaign_kit_dirfd(const struct kit_campaign_kit *k)
{
	return k->dirfd;
}

const struct kit_manifest *
kit_campaign_kit_manifest(const struct kit_campaign_kit *k)
{
	return k->m;
}

const char *
kit_campaign_kit_manifest_bytes(const struct kit_campaign_kit *k, size_t *len)
{
	if (len)
		*len = k->len;
	return k->bytes;
}

static int
kit_is_own(const struct kit_campaign_kit_ref *k, const char *office)
{
	return office != NULL && strcmp(k->office, office) == 0;
}

void
kit_campaign_pick_kits(const struct kit_campaign_kit_ref *kits, size_t n,
		       const char *office, int *chosen)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		int own = kit_is_own(&kits[i], office), better = 0;

		chosen[i] = 0;
		if (!own && strcmp(kits[i].office, "global") != 0)
			continue;
		for (j = 0; j < n && !better; j++) {
			if (j == i || strcmp(kits[j].campaign, kits[i].campaign) != 0)
				continue;
			if (kit_is_own(&kits[j], office))
				/* the office's own kit wins over a global
				 * one, and the first of two own ones */
				better = !own || j < i;
			else if (!own && strcmp(kits[j].office, "global") == 0)
				better = j < i;
		}
		chosen[i] = !better;
	}
}

const char *
kit_campaign_kit_content(const struct kit_campaign_kit *k)
{
	return k->m->content;
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
