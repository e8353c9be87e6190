/* manifest.c: a kit's posts from its manifest model (kit_manifest.h, the
 * format's owner parses and checks it), and the options against them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_org.h"
#include "schedule_impl.h"

void
kit_schedule_free(struct kit_schedule *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n_posts; i++)
		kit_manifest_post_free(&k->posts[i]);
	free(k->posts);
	free(k->campaign);
	free(k->office);
	free(k->office_name);
	free(k->timezone);
	free(k->title);
	free(k);
}

/* CR LF becomes LF (a file edited on Windows), in place.  The model
 * vouches for UTF-8 without other control characters than tab and LF. */
static void
text_normalise(char *s)
{
	size_t i, j;

	for (i = 0, j = 0; s && s[i]; i++)
		if (!(s[i] == '\r' && s[i + 1] == '\n'))
			s[j++] = s[i];
	if (s)
		s[j] = '\0';
}

static int
post_cmp(const void *a, const void *b)
{
	const struct kit_manifest_post *x = a, *y = b;
	int c;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	c = strcmp(x->platform, y->platform);
	return c ? c : strcmp(x->id, y->id);
}

struct kit_schedule *
kit_schedule_from_manifest(const struct kit_manifest *m, struct kit_error *err)
{
	struct kit_schedule *k = NULL;
	size_t i, j;

	if (!kit_tz_valid(m->timezone)) {
		kit_err(err, KIT_E_INVALID, "kit %s/%s: time zone \"%s\" is not in the system tz database; install tzdata or fix the office's zone", m->campaign, m->office, m->timezone);
		return NULL;
	}
	k = kit_xcalloc(1, sizeof(*k));
	k->campaign = kit_strdup(m->campaign);
	k->office = kit_strdup(m->office);
	k->office_name = kit_strdup(m->office_info && m->office_info->name ? m->office_info->name : "");
	k->timezone = kit_strdup(m->timezone);
	k->title = kit_strdup(m->title);
	text_normalise(k->title);
	k->version = m->version;
	k->source_date = m->source_date_epoch;
	(void)snprintf(k->window_start, sizeof(k->window_start), "%s", m->window_start);
	(void)snprintf(k->window_end, sizeof(k->window_end), "%s", m->window_end);
	k->window_start_at = m->window_start_at;
	k->window_end_at = m->window_end_at;
	k->posts = kit_xcalloc(m->n_posts + 1, sizeof(*k->posts));
	for (i = 0; i < m->n_posts; i++) {
		struct kit_manifest_post *d = &k->posts[i];

		kit_manifest_post_copy(d, &m->posts[i]);
		text_normalise(d->text);
		for (j = 0; j < d->n_media; j++)
			text_normalise(d->media[j].alt);
	}
	k->n_posts = m->n_posts;
	qsort(k->posts, k->n_posts, sizeof(*k->posts), post_cmp);
	return k;
}

struct kit_schedule *
kit_schedule_parse(const char *json, size_t len, const char *where,
		   struct kit_error *err)
{
	struct kit_manifest *m = kit_manifest_parse(json, len, where, err);
	struct kit_schedule *k;

	if (m == NULL) {
		kit_err_suffix(err, "fetch the kit again");
		return NULL;
	}
	k = kit_schedule_from_manifest(m, err);
	kit_manifest_free(m);
	return k;
}

struct kit_schedule *
kit_schedule_load_file(const char *path, struct kit_error *err)
{
	struct kit_manifest *m = kit_manifest_load(AT_FDCWD, path, err);
	struct kit_schedule *k;

	if (m == NULL) {
		if (err != NULL && err->code == KIT_E_INVALID)
			kit_err_suffix(err, "fetch the kit again");
		return NULL;
	}
	k = kit_schedule_from_manifest(m, err);
	kit_manifest_free(m);
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
		struct kit_manifest_post *p = &k->posts[i];

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

const struct kit_manifest_post *
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

const struct kit_manifest_post *
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
		/* a platform of the one table that this kit has no post for */
		known = kit_manifest_platform(want) != NULL;
		meant = kit_manifest_platform_suggest(want);
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
			    u[i] != '\\' && (unsigned char)u[i] < 0x7f;
		     i++)
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
sched_match(const struct kit_manifest_post *p,
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

const char *
sched_platform_name(const char *platform)
{
	const struct kit_manifest_platform *p = kit_manifest_platform(platform);

	return p ? p->name : platform;
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
