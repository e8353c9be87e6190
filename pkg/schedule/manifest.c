/* manifest.c: load a kit's manifest.json into posts, check what is untrusted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kit_org.h"
#include "schedule_impl.h"

#define ID_MAX 128
#define PLATFORM_MAX 32
#define SHORT_MAX 1024 /* language, time as written, media path, titles */
#define LINK_MAX 2048

static void
post_free(struct kit_schedule_post *p)
{
	size_t i;

	free(p->id);
	free(p->platform);
	free(p->language);
	free(p->time);
	free(p->text);
	free(p->link);
	for (i = 0; i < p->n_media; i++) {
		free(p->media[i].path);
		free(p->media[i].alt);
	}
	free(p->media);
}

void
kit_schedule_free(struct kit_schedule *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n_posts; i++)
		post_free(&k->posts[i]);
	free(k->posts);
	free(k->campaign);
	free(k->office);
	free(k->office_name);
	free(k->timezone);
	free(k->title);
	free(k);
}

/* A copy of the string member name of o, or NULL with err set.  Text must
 * be valid UTF-8 without control characters other than tab and newline;
 * CR LF becomes LF (a file edited on Windows), a lone CR is refused. */
static char *
get_text(json_t *o, const char *name, int required, size_t max,
	 const char *where, const char *ctx, struct kit_error *err)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	size_t len, i, j;
	char *out;

	if (v == NULL || json_is_null(v)) {
		if (required)
			kit_err(err, KIT_E_INVALID,
				"manifest %s: %s has no \"%s\"; rebuild the kit with kit-publish",
				where, ctx, name);
		else
			return kit_strdup("");
		return NULL;
	}
	if (!json_is_string(v)) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: %s: \"%s\" is not a string; rebuild the kit with kit-publish",
			where, ctx, name);
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: %s: \"%s\" is %zu bytes, over the limit of %zu; shorten it",
			where, ctx, name, len, max);
		return NULL;
	}
	out = kit_xmalloc(len + 1);
	for (i = 0, j = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		out[j++] = s[i];
	}
	out[j] = '\0';
	if (strlen(out) != j || !kit_utf8_valid(out, j) ||
	    memchr(out, '\r', j) != NULL) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: %s: \"%s\" holds control characters or invalid UTF-8; fix the source text",
			where, ctx, name);
		free(out);
		return NULL;
	}
	return out;
}

static int
parse_media(json_t *arr, struct kit_schedule_post *p, const char *where,
	    const char *ctx, struct kit_error *err)
{
	size_t i;
	json_t *m;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: \"media\" is not an array; rebuild the kit",
			       where, ctx);
	if (json_array_size(arr) > KIT_SCHEDULE_MEDIA_MAX)
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: more than %d media files; split the post",
			       where, ctx, KIT_SCHEDULE_MEDIA_MAX);
	p->media = kit_xcalloc(json_array_size(arr) + 1, sizeof(*p->media));
	json_array_foreach(arr, i, m) {
		struct kit_schedule_media *md = &p->media[p->n_media];

		if (!json_is_object(m))
			return kit_err(err, KIT_E_INVALID,
				       "manifest %s: %s: media %zu is not an object; rebuild the kit",
				       where, ctx, i);
		md->path = get_text(m, "path", 1, SHORT_MAX, where, ctx, err);
		if (md->path == NULL)
			return -1;
		p->n_media++;
		md->alt = get_text(m, "alt", 0, KIT_SCHEDULE_TEXT_MAX, where,
				   ctx, err);
		if (md->alt == NULL)
			return -1;
		if (!kit_path_is_safe(md->path))
			return kit_err(err, KIT_E_INVALID,
				       "manifest %s: %s: media path is not a safe relative path; fix the kit",
				       where, ctx);
	}
	return 0;
}

static int
parse_post(json_t *o, size_t index, struct kit_schedule_post *p,
	   const char *where, struct kit_error *err)
{
	char ctx[64 + ID_MAX];
	json_t *v;
	int has_offset = 0;
	int64_t t;

	snprintf(ctx, sizeof(ctx), "post %zu", index + 1);
	if (!json_is_object(o))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s is not an object; rebuild the kit",
			       where, ctx);
	p->id = get_text(o, "id", 1, ID_MAX, where, ctx, err);
	if (p->id == NULL)
		return -1;
	if (!kit_str_is_id(p->id, ID_MAX, 1))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: id is not made of letters, digits, '.', '_', '-'; fix the post id",
			       where, ctx);
	snprintf(ctx, sizeof(ctx), "post \"%s\"", p->id);
	p->platform = get_text(o, "platform", 1, PLATFORM_MAX, where, ctx, err);
	if (p->platform == NULL)
		return -1;
	if (!kit_str_is_id(p->platform, PLATFORM_MAX, 0))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: platform is not [a-z0-9-]; fix the post",
			       where, ctx);
	p->language = get_text(o, "language", 0, SHORT_MAX, where, ctx, err);
	p->time = p->language ?
		get_text(o, "time", 0, SHORT_MAX, where, ctx, err) : NULL;
	p->text = p->time ?
		get_text(o, "text", 1, KIT_SCHEDULE_TEXT_MAX, where, ctx, err) :
		NULL;
	if (p->text == NULL)
		return -1;
	v = json_object_get(o, "link");
	if (v != NULL && !json_is_null(v)) {
		size_t i;

		p->link = get_text(o, "link", 1, LINK_MAX, where, ctx, err);
		if (p->link == NULL)
			return -1;
		/* a link goes into URL properties and CSV cells as is */
		if (!kit_str_has_prefix(p->link, "https://") ||
		    strlen(p->link) <= 8)
			return kit_err(err, KIT_E_INVALID,
				       "manifest %s: %s: link is not an https URL; fix the post",
				       where, ctx);
		for (i = 0; p->link[i]; i++)
			if ((unsigned char)p->link[i] <= ' ' ||
			    p->link[i] == '"' || p->link[i] == '\\')
				return kit_err(err, KIT_E_INVALID,
					       "manifest %s: %s: link holds spaces, quotes or controls; fix the post",
					       where, ctx);
	}
	v = json_object_get(o, "at");
	if (!json_is_string(v))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s has no resolved time \"at\"; rebuild the kit with kit-publish",
			       where, ctx);
	if (kit_time_parse(json_string_value(v), &t, &has_offset, err) != 0) {
		kit_err_prefix(err, "manifest %s: %s: \"at\"", where, ctx);
		return -1;
	}
	if (!has_offset)
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: \"at\" has no UTC offset; rebuild the kit with kit-publish",
			       where, ctx);
	if (!kit_time_in_years(t))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: %s: \"at\" is outside the years a kit may name, %d to %d; fix the post and rebuild the kit",
			       where, ctx, KIT_YEAR_MIN, KIT_YEAR_MAX);
	p->at = t;
	v = json_object_get(o, "floating");
	p->floating = json_is_true(v);
	return parse_media(json_object_get(o, "media"), p, where, ctx, err);
}

static int
post_cmp(const void *a, const void *b)
{
	const struct kit_schedule_post *x = a, *y = b;
	int c;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	c = strcmp(x->platform, y->platform);
	return c ? c : strcmp(x->id, y->id);
}

static int
parse_window(struct kit_schedule *k, json_t *w, const char *where,
	     struct kit_error *err)
{
	const char *names[2] = {"start", "end"};
	char *dst[2] = {k->window_start, k->window_end};
	int64_t *at[2] = {&k->window_start_at, &k->window_end_at};
	int i, has_offset;

	if (!json_is_object(w))
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: no \"window\" object; rebuild the kit with kit-publish",
			       where);
	for (i = 0; i < 2; i++) {
		json_t *v = json_object_get(w, names[i]);

		if (!json_is_string(v) || json_string_length(v) >= 64)
			return kit_err(err, KIT_E_INVALID,
				       "manifest %s: window has no \"%s\" time; rebuild the kit",
				       where, names[i]);
		if (kit_time_parse(json_string_value(v), at[i], &has_offset,
				   err) != 0) {
			kit_err_prefix(err, "manifest %s: window %s", where,
				       names[i]);
			return -1;
		}
		if (!kit_time_in_years(*at[i]))
			return kit_err(err, KIT_E_INVALID,
				       "manifest %s: window %s is outside the years a kit may name, %d to %d; fix the campaign window",
				       where, names[i], KIT_YEAR_MIN, KIT_YEAR_MAX);
		memcpy(dst[i], json_string_value(v),
		       json_string_length(v) + 1);
	}
	if (k->window_end_at < k->window_start_at)
		return kit_err(err, KIT_E_INVALID,
			       "manifest %s: window ends before it starts; fix the campaign window",
			       where);
	return 0;
}

struct kit_schedule *
kit_schedule_parse(const char *json, size_t len, const char *where,
		   struct kit_error *err)
{
	struct kit_schedule *k = NULL, *ret = NULL;
	json_t *root = NULL, *v, *posts, *p;
	json_error_t jerr;
	size_t i, j;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s:%d:%d: %s; fetch the kit again", where,
			jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: not a JSON object; fetch the kit again",
			where);
		goto out;
	}
	k = kit_xcalloc(1, sizeof(*k));
	k->campaign = get_text(root, "campaign", 1, ID_MAX, where, "the kit", err);
	if (k->campaign == NULL)
		goto out;
	k->office = get_text(root, "office", 1, ID_MAX, where, "the kit", err);
	if (k->office == NULL)
		goto out;
	if (!kit_str_is_id(k->campaign, ID_MAX, 0) ||
	    !kit_str_is_id(k->office, ID_MAX, 0)) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: campaign or office id is not [a-z0-9-]; rebuild the kit",
			where);
		goto out;
	}
	k->title = get_text(root, "title", 0, SHORT_MAX, where, "the kit", err);
	if (k->title == NULL)
		goto out;
	v = json_object_get(root, "office_info");
	k->office_name = json_is_object(v) ?
		get_text(v, "name", 0, SHORT_MAX, where, "office_info", err) :
		kit_strdup("");
	if (k->office_name == NULL)
		goto out;
	k->timezone = get_text(root, "timezone", 1, SHORT_MAX, where, "the kit",
			       err);
	if (k->timezone == NULL)
		goto out;
	if (!kit_tz_valid(k->timezone)) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: time zone \"%s\" is not in the system tz database; install tzdata or fix the office's zone",
			where, k->timezone);
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1000000000) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: \"version\" is not an integer >= 1; rebuild the kit",
			where);
		goto out;
	}
	k->version = (long)json_integer_value(v);
	if (parse_window(k, json_object_get(root, "window"), where, err) != 0)
		goto out;
	v = json_object_get(json_object_get(root, "inputs"),
			    "source_date_epoch");
	k->source_date = json_is_integer(v) && json_integer_value(v) >= 0 ?
		(int64_t)json_integer_value(v) : k->window_start_at;
	posts = json_object_get(root, "posts");
	if (posts != NULL && !json_is_array(posts)) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: \"posts\" is not an array; rebuild the kit",
			where);
		goto out;
	}
	if (json_array_size(posts) > KIT_SCHEDULE_POSTS_MAX) {
		kit_err(err, KIT_E_INVALID,
			"manifest %s: %zu posts, over the limit of %d; split the campaign",
			where, json_array_size(posts), KIT_SCHEDULE_POSTS_MAX);
		goto out;
	}
	k->posts = kit_xcalloc(json_array_size(posts) + 1, sizeof(*k->posts));
	json_array_foreach(posts, i, p) {
		k->n_posts++;
		if (parse_post(p, i, &k->posts[i], where, err) != 0)
			goto out;
	}
	qsort(k->posts, k->n_posts, sizeof(*k->posts), post_cmp);
	/* ids name calendar events (UID): two posts with one id would merge */
	for (i = 0; i < k->n_posts; i++)
		for (j = i + 1; j < k->n_posts; j++)
			if (strcmp(k->posts[i].id, k->posts[j].id) == 0) {
				kit_err(err, KIT_E_INVALID,
					"manifest %s: post id \"%s\" is used twice; give each post its own id",
					where, k->posts[i].id);
				goto out;
			}
	ret = k;
	k = NULL;
out:
	kit_schedule_free(k);
	json_decref(root);
	return ret;
}

static char *
dup_or_empty(const char *s)
{
	return kit_strdup(s ? s : "");
}

struct kit_schedule *
kit_schedule_new(const struct kit_schedule_info *info,
		 const struct kit_schedule_post *posts, size_t n,
		 struct kit_error *err)
{
	struct kit_schedule *k = kit_xcalloc(1, sizeof(*k));
	size_t i, j;
	int has_offset;

	k->campaign = dup_or_empty(info->campaign);
	k->office = dup_or_empty(info->office);
	k->office_name = dup_or_empty(info->office_name);
	k->timezone = dup_or_empty(info->timezone);
	k->title = dup_or_empty(info->title);
	k->version = info->version;
	k->source_date = info->source_date;
	if (n > KIT_SCHEDULE_POSTS_MAX || !info->window_start ||
	    !info->window_end || strlen(info->window_start) >= 64 ||
	    strlen(info->window_end) >= 64 ||
	    kit_time_parse(info->window_start, &k->window_start_at, &has_offset, err) ||
	    kit_time_parse(info->window_end, &k->window_end_at, &has_offset, err) ||
	    !kit_time_in_years(k->window_start_at) ||
	    !kit_time_in_years(k->window_end_at)) {
		kit_err(err, KIT_E_INVALID, "kit %s/%s: no valid window or too many posts for a schedule",
			k->campaign, k->office);
		kit_schedule_free(k);
		return NULL;
	}
	memcpy(k->window_start, info->window_start, strlen(info->window_start) + 1);
	memcpy(k->window_end, info->window_end, strlen(info->window_end) + 1);
	k->posts = kit_xcalloc(n + 1, sizeof(*k->posts));
	for (i = 0; i < n; i++) {
		const struct kit_schedule_post *s = &posts[i];
		struct kit_schedule_post *d = &k->posts[i];

		d->id = dup_or_empty(s->id);
		d->platform = dup_or_empty(s->platform);
		d->language = dup_or_empty(s->language);
		d->time = dup_or_empty(s->time);
		d->at = s->at;
		d->floating = s->floating;
		d->text = dup_or_empty(s->text);
		d->link = s->link ? kit_strdup(s->link) : NULL;
		d->media = kit_xcalloc(s->n_media + 1, sizeof(*d->media));
		for (j = 0; j < s->n_media; j++) {
			d->media[j].path = dup_or_empty(s->media[j].path);
			d->media[j].alt = dup_or_empty(s->media[j].alt);
		}
		d->n_media = s->n_media;
	}
	k->n_posts = n;
	qsort(k->posts, k->n_posts, sizeof(*k->posts), post_cmp);
	return k;
}

struct kit_schedule *
kit_schedule_load_file(const char *path, struct kit_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct kit_schedule *k = NULL;

	if (kit_file_read(path, KIT_SCHEDULE_MANIFEST_MAX, &data, &len, err) !=
	    0) {
		if (err != NULL && err->code == KIT_E_SECURITY)
			err->code = KIT_E_INVALID; /* too big is bad input here */
		goto out;
	}
	k = kit_schedule_parse((const char *)data, len, path, err);
out:
	free(data);
	return k;
}

/*
 * An office without its own overlay installs the campaign's global kit;
 * kit-fetch then keeps that office's entry of the signed registry beside
 * it (kits/<campaign>/office.json).  Its zone becomes the kit's zone, and
 * floating post times are resolved in it, as they would be in an overlay.
 */
static int
office_zone(struct kit_schedule *k, const char *kit_dir, struct kit_error *err)
{
	char parent[4096], path[4096 + 16];
	unsigned char *buf = NULL;
	struct kit_org *org = NULL;
	const struct kit_org_office *f;
	size_t len, i;
	int64_t t;
	int has_offset, rc = -1;
	char *slash;

	if (strcmp(k->office, "global") != 0)
		return 0;
	if (kit_snprintf(err, parent, sizeof(parent), "%s", kit_dir) != 0)
		return -1;
	for (len = strlen(parent); len > 1 && parent[len - 1] == '/'; len--)
		parent[len - 1] = '\0';
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else
		slash[slash == parent ? 1 : 0] = '\0';
	if (kit_snprintf(err, path, sizeof(path), "%s/office.json", parent) != 0)
		return -1;
	if (!kit_file_exists(path))
		return 0;
	if (kit_file_read(path, KIT_ORG_MAX_BYTES, &buf, &len, err) != 0)
		goto out;
	org = kit_org_parse(buf, len, path, err);
	if (org == NULL)
		goto out;
	f = kit_org_at(org, 0);
	if (kit_org_count(org) != 1 || !kit_tz_valid(f->timezone)) {
		kit_err(err, KIT_E_INVALID, "%s: not one office with a zone of this machine's tz database; run kit-fetch update again, or give --tz", path);
		goto out;
	}
	for (i = 0; i < k->n_posts; i++) {
		struct kit_schedule_post *p = &k->posts[i];

		if (!p->floating)
			continue;
		if (kit_time_parse(p->time, &t, &has_offset, err) != 0 ||
		    kit_tz_local_to_utc(f->timezone, t, &p->at, err) != 0) {
			kit_err_prefix(err, "post %s", p->id);
			goto out;
		}
	}
	free(k->timezone);
	k->timezone = kit_strdup(f->timezone);
	free(k->office_name);
	k->office_name = kit_strdup(f->name);
	qsort(k->posts, k->n_posts, sizeof(*k->posts), post_cmp);
	rc = 0;
out:
	free(buf);
	kit_org_free(org);
	return rc;
}

struct kit_schedule *
kit_schedule_load(const char *kit_dir, struct kit_error *err)
{
	struct kit_schedule *k;
	char path[4096];

	if (!kit_dir_exists(kit_dir)) {
		kit_err(err, KIT_E_IO,
			"kit %s: not a directory; pass the installed kit, e.g. <state>/kits/<campaign>/current",
			kit_dir);
		return NULL;
	}
	if (kit_path_join(path, sizeof(path), kit_dir, "manifest.json", err) !=
	    0)
		return NULL;
	k = kit_schedule_load_file(path, err);
	if (k != NULL && office_zone(k, kit_dir, err) != 0) {
		kit_schedule_free(k);
		k = NULL;
	}
	return k;
}

const char *
kit_schedule_campaign(const struct kit_schedule *k)
{
	return k->campaign;
}

const char *
kit_schedule_office(const struct kit_schedule *k)
{
	return k->office;
}

const char *
kit_schedule_timezone(const struct kit_schedule *k)
{
	return k->timezone;
}

const char *
kit_schedule_title(const struct kit_schedule *k)
{
	return k->title;
}

long
kit_schedule_version(const struct kit_schedule *k)
{
	return k->version;
}

size_t
kit_schedule_count(const struct kit_schedule *k)
{
	return k->n_posts;
}

const struct kit_schedule_post *
kit_schedule_post(const struct kit_schedule *k, size_t i)
{
	return i < k->n_posts ? &k->posts[i] : NULL;
}

void
kit_schedule_opts_init(struct kit_schedule_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->now = kit_time_now();
	o->csv = KIT_SCHEDULE_CSV_BUFFER;
	o->date = KIT_SCHEDULE_DATE_MDY;
}

const struct kit_schedule_post *
sched_find_post(const struct kit_schedule *k, const char *id)
{
	size_t i;

	for (i = 0; i < k->n_posts; i++)
		if (strcmp(k->posts[i].id, id) == 0)
			return &k->posts[i];
	return NULL;
}

const char *
sched_zone(const struct kit_schedule *k, const struct kit_schedule_opts *o)
{
	return o->tz != NULL ? o->tz : k->timezone;
}

static int
day_ok(const char *d)
{
	size_t i;
	int64_t t;
	int has_offset;
	char full[32];

	if (strlen(d) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? d[i] != '-' : (d[i] < '0' || d[i] > '9'))
			return 0;
	snprintf(full, sizeof(full), "%sT00:00:00", d);
	return kit_time_parse(full, &t, &has_offset, NULL) == 0;
}

struct platform;
static const struct platform *platform_find(const char *id);

/*
 * A --platform or --lang filter that no post of the kit has and that is
 * no name the kit could have used is a typo, or a former name ("twitter"
 * for x): say which one is meant instead of printing nothing.
 */
static int
check_filter(const struct kit_schedule *k, const char *opt, const char *want,
	     int platform, struct kit_error *err)
{
	const char **have = kit_xcalloc(k->n_posts + 1, sizeof(*have));
	const char *meant = NULL;
	size_t i, j, n = 0;
	int rc = 0, known;

	for (i = 0; i < k->n_posts; i++) {
		const char *v = platform ? k->posts[i].platform : k->posts[i].language;

		for (j = 0; j < n && strcmp(have[j], v) != 0; j++)
			;
		if (j == n)
			have[n++] = v;
	}
	for (j = 0; j < n && strcmp(have[j], want) != 0; j++)
		;
	if (j < n)
		goto out; /* some post has it */
	if (platform) {
		known = platform_find(want) != NULL && strcmp(want, "twitter") != 0;
		meant = strcmp(want, "twitter") == 0 ? "x" : NULL;
	} else {
		/* any ISO 639-1 code, with or without a region, may be absent */
		known = (strlen(want) == 2 || (strlen(want) == 5 && want[2] == '-')) &&
			want[0] >= 'a' && want[0] <= 'z' && want[1] >= 'a' && want[1] <= 'z';
	}
	if (known)
		goto out;
	if (meant == NULL)
		meant = kit_str_closest(want, have, n, 2);
	if (meant != NULL) {
		rc = kit_err(err, KIT_E_USAGE, "%s %.40s: no post of this kit has it; did you mean %s?", opt, want, meant);
	} else {
		char list[256] = "";
		size_t len = 0;

		for (j = 0; j < n && len < sizeof(list); j++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "", have[j]);
		rc = kit_err(err, KIT_E_USAGE, "%s %.40s: no post of this kit has it; its posts have %s", opt, want, n ? list : "none");
	}
out:
	free(have);
	return rc;
}

int
kit_schedule_check_opts(const struct kit_schedule *k,
			const struct kit_schedule_opts *o, struct kit_error *err)
{
	char hint[80];

	if (o->tz != NULL && !kit_tz_valid(o->tz)) {
		if (kit_tz_suggest(o->tz, hint, sizeof(hint)))
			return kit_err(err, KIT_E_USAGE,
				       "--tz %.64s: not a zone of the system tz database; did you mean %s?",
				       o->tz, hint);
		return kit_err(err, KIT_E_USAGE,
			       "--tz %.64s: not a zone of the system tz database; use an IANA name such as Europe/Budapest",
			       o->tz);
	}
	if (o->platform != NULL &&
	    check_filter(k, "--platform", o->platform, 1, err) != 0)
		return -1;
	if (o->lang != NULL && check_filter(k, "--lang", o->lang, 0, err) != 0)
		return -1;
	if (!kit_tz_valid(k->timezone))
		return kit_err(err, KIT_E_INVALID,
			       "kit zone %s: not in the system tz database; install tzdata",
			       k->timezone);
	if (o->day != NULL && !day_ok(o->day))
		return kit_err(err, KIT_E_USAGE,
			       "--day %s: not a date; use YYYY-MM-DD", o->day);
	if (o->media_base_url != NULL) {
		const char *u = o->media_base_url;
		size_t i;

		for (i = 0; u[i] && (unsigned char)u[i] > ' ' && u[i] != '"' &&
			    u[i] != '\\' && (unsigned char)u[i] < 0x7f; i++)
			;
		if (!kit_str_has_prefix(u, "https://") || strlen(u) <= 8 ||
		    u[i] != '\0' || strchr(u, '?') || strchr(u, '#'))
			return kit_err(err, KIT_E_USAGE,
				       "--media-base-url %s: not a plain https URL; give the https address where the kit's media are served, e.g. https://kits.example.org/together-2016/",
				       u);
	}
	return 0;
}

int
sched_local(const char *zone, int64_t t, struct sched_local *l,
	    struct kit_error *err)
{
	memset(l, 0, sizeof(*l));
	if (kit_tz_utc_to_local(zone, t, &l->tm, &l->off, l->abbr,
				sizeof(l->abbr), err) != 0) {
		kit_err_prefix(err, "time zone %s", zone);
		return -1;
	}
	return 0;
}

int
sched_match(const struct kit_schedule_post *p,
	    const struct kit_schedule_opts *o, const char *zone,
	    struct kit_error *err)
{
	struct sched_local l;
	char day[48];

	if (o->platform != NULL && strcmp(o->platform, p->platform) != 0)
		return 0;
	if (o->lang != NULL && strcmp(o->lang, p->language) != 0)
		return 0;
	if (o->day == NULL)
		return 1;
	if (sched_local(zone, p->at, &l, err) != 0)
		return -1;
	snprintf(day, sizeof(day), "%04d-%02d-%02d", l.tm.tm_year + 1900,
		 l.tm.tm_mon + 1, l.tm.tm_mday);
	return strcmp(day, o->day) == 0;
}

void
sched_iso_local(const struct sched_local *l, char *out, size_t size)
{
	long off = l->off < 0 ? -l->off : l->off;

	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		 l->tm.tm_year + 1900, l->tm.tm_mon + 1, l->tm.tm_mday,
		 l->tm.tm_hour, l->tm.tm_min, l->tm.tm_sec,
		 l->off < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
}

static const struct platform {
	const char *id, *name;
	size_t limit; /* characters a post may have; see README */
} platforms[] = {
	{"bluesky", "Bluesky", 300},     {"facebook", "Facebook", 63206},
	{"instagram", "Instagram", 2200}, {"linkedin", "LinkedIn", 3000},
	{"mastodon", "Mastodon", 500},   {"threads", "Threads", 500},
	{"tiktok", "TikTok", 2200},      {"twitter", "X", 280},
	{"x", "X", 280},                 {"youtube", "YouTube", 5000},
};

static const struct platform *
platform_find(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (strcmp(platforms[i].id, id) == 0)
			return &platforms[i];
	return NULL;
}

const char *
sched_platform_name(const char *platform)
{
	const struct platform *p = platform_find(platform);

	return p ? p->name : platform;
}

/* Unicode code points in s[0..n). */
static size_t
count_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

size_t
kit_schedule_text_length(const char *platform, const char *text,
			 const char *link, size_t *limit)
{
	const struct platform *pf = platform_find(platform);
	int x = pf != NULL && pf->limit == 280;
	size_t n = 0, len = strlen(text), i = 0, j;

	*limit = pf ? pf->limit : 0;
	if (!x) {
		n = count_chars(text, len);
		if (link != NULL && strstr(text, link) == NULL)
			n += 1 + count_chars(link, strlen(link));
		return n;
	}
	/* X counts every URL as 23 characters (t.co), whatever its length */
	while (i < len) {
		if (kit_str_has_prefix(text + i, "https://") ||
		    kit_str_has_prefix(text + i, "http://")) {
			j = i;
			while (j < len && text[j] != ' ' && text[j] != '\n' &&
			       text[j] != '\t')
				j++;
			n += 23;
			i = j;
			continue;
		}
		j = i + 1;
		while (j < len && ((unsigned char)text[j] & 0xc0) == 0x80)
			j++;
		n++;
		i = j;
	}
	if (link != NULL && strstr(text, link) == NULL)
		n += 1 + 23;
	return n;
}

int
kit_schedule_platforms(const struct kit_schedule *k,
		       const struct kit_schedule_opts *o, const char ***list,
		       size_t *n, struct kit_error *err)
{
	const char **l = NULL, *tmp;
	size_t i, j, cnt = 0;
	int m;

	*list = NULL;
	*n = 0;
	if (kit_schedule_check_opts(k, o, err) != 0)
		return -1;
	l = kit_xcalloc(k->n_posts + 1, sizeof(*l));
	for (i = 0; i < k->n_posts; i++) {
		m = sched_match(&k->posts[i], o, sched_zone(k, o), err);
		if (m < 0) {
			free(l);
			return -1;
		}
		if (!m)
			continue;
		for (j = 0; j < cnt; j++)
			if (strcmp(l[j], k->posts[i].platform) == 0)
				break;
		if (j == cnt)
			l[cnt++] = k->posts[i].platform;
	}
	/* a few platforms: insertion sort keeps it simple and stable */
	for (i = 1; i < cnt; i++)
		for (j = i; j > 0 && strcmp(l[j - 1], l[j]) > 0; j--) {
			tmp = l[j];
			l[j] = l[j - 1];
			l[j - 1] = tmp;
		}
	*list = l;
	*n = cnt;
	return 0;
}
