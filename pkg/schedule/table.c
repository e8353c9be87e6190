/* table.c: the posts by day for people, what goes out next, and JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schedule_impl.h"

#define INDENT "      "

static const char *const wdays[] = {"Sunday", "Monday", "Tuesday",
				    "Wednesday", "Thursday", "Friday",
				    "Saturday"};
static const char *const months[] = {"January", "February", "March",
				     "April", "May", "June", "July",
				     "August", "September", "October",
				     "November", "December"};

/* Append untrusted text, sanitized for a terminal. */
static int
put_clean(struct kit_buf *out, const char *s, size_t len,
	  struct kit_error *err)
{
	char *tmp = kit_xmalloc(len + 1), *clean = kit_xmalloc(len + 1);
	int rc;

	memcpy(tmp, s, len);
	tmp[len] = '\0';
	kit_str_sanitize(tmp, clean, len + 1);
	rc = kit_buf_append(out, clean, strlen(clean), err);
	free(tmp);
	free(clean);
	return rc;
}

/* Bytes of s that hold at most cols characters (code points). */
static size_t
prefix_cols(const char *s, size_t len, size_t cols, int *cut)
{
	size_t i = 0, c = 0;

	*cut = 0;
	while (i < len) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (c == cols) {
				*cut = 1;
				return i;
			}
			c++;
		}
		i++;
	}
	return i;
}

static int
put_text(struct kit_buf *out, const struct kit_schedule_opts *o,
	 const char *text, struct kit_error *err)
{
	const char *line = text, *nl;
	size_t len, n, cols;
	int cut;

	if (o->width > 0) {
		/* one line, cut to the terminal: newlines become spaces
		 * through sanitizing ('?'), so take the first line only */
		nl = strchr(text, '\n');
		len = nl ? (size_t)(nl - text) : strlen(text);
		cols = o->width > (int)sizeof(INDENT) + 1 ? (size_t)o->width - sizeof(INDENT) : 10;
		n = prefix_cols(text, len, cols - 1, &cut);
		if (nl != NULL && nl[1] != '\0')
			cut = 1;
		return kit_buf_append(out, INDENT, strlen(INDENT), err) ||
				       put_clean(out, text, n, err) ||
				       (cut ? kit_buf_append(out, "\xe2\x80\xa6", 3, err) : 0) ||
				       kit_buf_append(out, "\n", 1, err)
			       ? -1
			       : 0;
	}
	for (;;) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if ((len > 0 &&
		     kit_buf_append(out, INDENT, strlen(INDENT), err) != 0) ||
		    put_clean(out, line, len, err) != 0 ||
		    kit_buf_append(out, "\n", 1, err) != 0)
			return -1;
		if (nl == NULL)
			return 0;
		line = nl + 1;
	}
}

static int
put_post(struct kit_buf *out, const struct kit_schedule_opts *o,
	 const struct kit_manifest_post *p, const struct sched_local *l,
	 struct kit_error *err)
{
	size_t i;

	if (kit_buf_printf(out, err, "  %02d:%02d %-6s %-10s %-3s ",
			   l->tm.tm_hour, l->tm.tm_min, l->abbr,
			   sched_platform_name(p->platform),
			   p->language[0] ? p->language : "-") != 0 ||
	    put_clean(out, p->id, strlen(p->id), err) != 0 ||
	    kit_buf_append(out, "\n", 1, err) != 0 ||
	    put_text(out, o, p->text, err) != 0)
		return -1;
	if (p->link != NULL &&
	    (kit_buf_append(out, INDENT "link:  ", strlen(INDENT) + 7, err) != 0 ||
	     put_clean(out, p->link, strlen(p->link), err) != 0 ||
	     kit_buf_append(out, "\n", 1, err) != 0))
		return -1;
	for (i = 0; i < p->n_media; i++) {
		if (kit_buf_append(out, INDENT "media: ", strlen(INDENT) + 7,
				   err) != 0 ||
		    put_clean(out, p->media[i].path, strlen(p->media[i].path),
			      err) != 0)
			return -1;
		if (p->media[i].alt[0] &&
		    (kit_buf_append(out, " (alt: ", 7, err) != 0 ||
		     put_clean(out, p->media[i].alt, strlen(p->media[i].alt),
			       err) != 0 ||
		     kit_buf_append(out, ")", 1, err) != 0))
			return -1;
		if (kit_buf_append(out, "\n", 1, err) != 0)
			return -1;
	}
	return 0;
}

static int
put_day(struct kit_buf *out, const struct sched_local *l,
	struct kit_error *err)
{
	return kit_buf_printf(out, err, "\n%s %d %s %d\n",
			      wdays[l->tm.tm_wday % 7], l->tm.tm_mday,
			      months[l->tm.tm_mon % 12], l->tm.tm_year + 1900);
}

static int
put_heading(struct kit_buf *out, const struct kit_schedule *k,
	    const char *zone, struct kit_error *err)
{
	const char *title = k->title[0] ? k->title : k->campaign;

	if (put_clean(out, title, strlen(title), err) != 0 ||
	    kit_buf_printf(out, err, " (%s, office %s, kit version %ld)\n",
			   k->campaign, k->office, k->version) != 0 ||
	    kit_buf_append(out, "Times in ", 9, err) != 0 ||
	    put_clean(out, zone, strlen(zone), err) != 0)
		return -1;
	return kit_buf_append(out, ".\n", 2, err);
}

int
kit_schedule_table(const struct kit_schedule *k,
		   const struct kit_schedule_opts *o, struct kit_buf *out,
		   struct kit_error *err)
{
	const char *zone = sched_zone(k, o);
	struct sched_local l;
	int last_y = -1, last_yd = -1, m;
	size_t i, shown = 0;

	if (kit_schedule_check_opts(k, o, err) != 0 ||
	    put_heading(out, k, zone, err) != 0)
		return -1;
	for (i = 0; i < k->n_posts; i++) {
		m = sched_match(&k->posts[i], o, zone, err);
		if (m < 0)
			return -1;
		if (!m)
			continue;
		if (sched_local(zone, k->posts[i].at, &l, err) != 0)
			return -1;
		if ((l.tm.tm_year != last_y || l.tm.tm_yday != last_yd) &&
		    put_day(out, &l, err) != 0)
			return -1;
		last_y = l.tm.tm_year;
		last_yd = l.tm.tm_yday;
		if (put_post(out, o, &k->posts[i], &l, err) != 0)
			return -1;
		shown++;
	}
	return kit_buf_printf(out, err, "\n%zu post%s.\n", shown,
			      shown == 1 ? "" : "s");
}

int
kit_schedule_next_index(const struct kit_schedule *k,
			const struct kit_schedule_opts *o, size_t *idx,
			struct kit_error *err)
{
	size_t i;
	int m;

	if (kit_schedule_check_opts(k, o, err) != 0)
		return -1;
	/* posts are sorted by instant: the first match at or after now */
	for (i = 0; i < k->n_posts; i++) {
		if (k->posts[i].at < o->now)
			continue;
		m = sched_match(&k->posts[i], o, sched_zone(k, o), err);
		if (m < 0)
			return -1;
		if (m) {
			*idx = i;
			return 1;
		}
	}
	return 0;
}

static void
fmt_until(int64_t d, char *out, size_t size)
{
	if (d < 60)
		snprintf(out, size, "now");
	else if (d < 3600)
		snprintf(out, size, "in %lld min", (long long)(d / 60));
	else if (d < 86400)
		snprintf(out, size, "in %lld h %02lld min", (long long)(d / 3600),
			 (long long)(d % 3600 / 60));
	else
		snprintf(out, size, "in %lld d %lld h %02lld min",
			 (long long)(d / 86400), (long long)(d % 86400 / 3600),
			 (long long)(d % 3600 / 60));
}

int
kit_schedule_next(const struct kit_schedule *k,
		  const struct kit_schedule_opts *o, struct kit_buf *out,
		  struct kit_error *err)
{
	const char *zone = sched_zone(k, o);
	struct sched_local now, l;
	char until[64], nowtxt[64], nexttxt[64];
	size_t idx = 0, i;
	int r, m;

	r = kit_schedule_next_index(k, o, &idx, err);
	if (r < 0 || sched_local(zone, o->now, &now, err) != 0)
		return -1;
	sched_iso_local(&now, nowtxt, sizeof(nowtxt));
	if (put_heading(out, k, zone, err) != 0)
		return -1;
	if (r == 0)
		return kit_buf_printf(out, err,
				      "Now:  %s %s\nNext: none; no post is left to go out.\n",
				      nowtxt, now.abbr);
	fmt_until(k->posts[idx].at - o->now, until, sizeof(until));
	if (sched_local(zone, k->posts[idx].at, &l, err) != 0)
		return -1;
	sched_iso_local(&l, nexttxt, sizeof(nexttxt));
	if (kit_buf_printf(out, err, "Now:  %s %s\nNext: %s %s, %s\n",
			   nowtxt, now.abbr, nexttxt, l.abbr, until) != 0 ||
	    put_day(out, &l, err) != 0)
		return -1;
	/* every post that goes out at that same instant */
	for (i = idx; i < k->n_posts && k->posts[i].at == k->posts[idx].at;
	     i++) {
		m = sched_match(&k->posts[i], o, zone, err);
		if (m < 0)
			return -1;
		if (m && put_post(out, o, &k->posts[i], &l, err) != 0)
			return -1;
	}
	return 0;
}

static json_t *
post_json(const struct kit_manifest_post *p, const char *zone,
	  struct kit_error *err)
{
	struct sched_local l;
	char at[64], local[64];
	json_t *o, *media;
	size_t i;

	if (sched_local(zone, p->at, &l, err) != 0)
		return NULL;
	kit_time_format_utc(p->at, at, sizeof(at));
	sched_iso_local(&l, local, sizeof(local));
	media = json_array();
	for (i = 0; i < p->n_media; i++)
		json_array_append_new(media,
				      json_pack("{s:s, s:s}", "path",
						p->media[i].path, "alt",
						p->media[i].alt));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
		      p->id, "platform", p->platform, "language", p->language,
		      "at", at, "local", local, "zone", zone, "text", p->text,
		      "link", p->link ? json_string(p->link) : json_null(),
		      "media", media);
	if (o == NULL)
		kit_err(err, KIT_E_INVALID, "post %s: cannot build JSON", p->id);
	return o;
}

int
kit_schedule_json(const struct kit_schedule *k,
		  const struct kit_schedule_opts *o, int next,
		  struct kit_buf *out, struct kit_error *err)
{
	const char *zone = sched_zone(k, o);
	json_t *arr = NULL, *p;
	char *s = NULL;
	size_t i, start = 0;
	int m, rc = -1, r;

	if (kit_schedule_check_opts(k, o, err) != 0)
		goto out;
	if (next) {
		r = kit_schedule_next_index(k, o, &start, err);
		if (r < 0)
			goto out;
		if (r == 0)
			start = k->n_posts;
	}
	arr = json_array();
	for (i = start; i < k->n_posts; i++) {
		if (next && k->posts[i].at != k->posts[start].at)
			break;
		m = sched_match(&k->posts[i], o, zone, err);
		if (m < 0)
			goto out;
		if (!m)
			continue;
		p = post_json(&k->posts[i], zone, err);
		if (p == NULL)
			goto out;
		json_array_append_new(arr, p);
	}
	s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s == NULL) {
		kit_err(err, KIT_E_INVALID, "cannot write the posts as JSON");
		goto out;
	}
	if (kit_buf_append(out, s, strlen(s), err) != 0 ||
	    kit_buf_append(out, "\n", 1, err) != 0)
		goto out;
	rc = 0;
out:
	free(s);
	json_decref(arr);
	return rc;
}
