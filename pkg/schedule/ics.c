/* ics.c: the kit's posts as an iCalendar file (RFC 5545). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule_impl.h"

#define LINE_MAX_BYTES (1024u * 1024) /* one unfolded content line */
#define SUMMARY_CHARS 60
#define DAY 86400
/* Years a VTIMEZONE may span (first to last date of the kit). */
#define ICS_MAX_YEARS 50

/* Fold one content line made of a raw prefix and, if text is not NULL, an
 * escaped TEXT value. */
static int
put(struct kit_buf *out, const char *prefix, const char *text,
    struct kit_error *err)
{
	struct kit_buf line;
	int rc = -1;

	kit_buf_init(&line, LINE_MAX_BYTES);
	if (kit_buf_append(&line, prefix, strlen(prefix), err) != 0)
		goto out;
	if (text != NULL && kit_schedule_ics_escape(&line, text, err) != 0)
		goto out;
	if (kit_schedule_ics_fold(out, line.data ? (char *)line.data : "",
				  line.len, err) != 0)
		goto out;
	rc = 0;
out:
	kit_buf_free(&line);
	return rc;
}

static int
putf(struct kit_buf *out, struct kit_error *err, const char *fmt, ...)
	KIT_PRINTF(3, 4);

static int
putf(struct kit_buf *out, struct kit_error *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return kit_err(err, KIT_E_INVALID,
			       "iCalendar line too long; shorten the ids");
	return put(out, line, NULL, err);
}

static void
fmt_utc(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	snprintf(out, size, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
fmt_tm(const struct tm *tm, char *out, size_t size)
{
	snprintf(out, size, "%04d%02d%02dT%02d%02d%02d", tm->tm_year + 1900,
		 tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min,
		 tm->tm_sec);
}

static void
fmt_offset(long off, char *out, size_t size)
{
	long a = off < 0 ? -off : off;

	if (a % 60)
		snprintf(out, size, "%c%02ld%02ld%02ld", off < 0 ? '-' : '+',
			 a / 3600, a % 3600 / 60, a % 60);
	else
		snprintf(out, size, "%c%02ld%02ld", off < 0 ? '-' : '+',
			 a / 3600, a % 3600 / 60);
}

/* Same offset, DST flag and abbreviation. */
static int
same_state(const struct sched_local *a, const struct sched_local *b)
{
	return a->off == b->off && (a->tm.tm_isdst > 0) == (b->tm.tm_isdst > 0) &&
	       strcmp(a->abbr, b->abbr) == 0;
}

static int
observance(struct kit_buf *out, const struct sched_local *now, long from,
	   int64_t onset, struct kit_error *err)
{
	const char *kind = now->tm.tm_isdst > 0 ? "DAYLIGHT" : "STANDARD";
	char start[64], f[48], t[48];
	struct tm tm;
	time_t tt = (time_t)(onset + from);

	/* DTSTART of an observance is the wall time before the onset */
	gmtime_r(&tt, &tm);
	fmt_tm(&tm, start, sizeof(start));
	fmt_offset(from, f, sizeof(f));
	fmt_offset(now->off, t, sizeof(t));
	if (putf(out, err, "BEGIN:%s", kind) != 0 ||
	    putf(out, err, "DTSTART:%s", start) != 0 ||
	    putf(out, err, "TZOFFSETFROM:%s", f) != 0 ||
	    putf(out, err, "TZOFFSETTO:%s", t) != 0 ||
	    put(out, "TZNAME:", now->abbr, err) != 0 ||
	    putf(out, err, "END:%s", kind) != 0)
		return -1;
	return 0;
}

static int
year_start(int year, int64_t *t, struct kit_error *err)
{
	char s[64];
	int has_offset;

	snprintf(s, sizeof(s), "%04d-01-01T00:00:00", year);
	return kit_time_parse(s, t, &has_offset, err);
}

int
kit_schedule_vtimezone(struct kit_buf *out, const char *zone, int first_year,
		       int last_year, struct kit_error *err)
{
	struct sched_local cur, next, mid;
	int64_t t, end, lo, hi, m;

	if (!kit_tz_valid(zone))
		return kit_err(err, KIT_E_USAGE,
			       "time zone %s: not in the system tz database; use an IANA name",
			       zone);
	if (first_year < 1900 || last_year > 9998 || last_year < first_year)
		return kit_err(err, KIT_E_INVALID,
			       "time zone %s: years %d to %d out of range",
			       zone, first_year, last_year);
	if (year_start(first_year, &t, err) != 0 ||
	    year_start(last_year + 1, &end, err) != 0 ||
	    sched_local(zone, t, &cur, err) != 0)
		return -1;
	/* start at local midnight on 1 January, in the offset then */
	t -= cur.off;
	if (sched_local(zone, t, &cur, err) != 0)
		return -1;
	end -= cur.off;
	if (put(out, "BEGIN:VTIMEZONE", NULL, err) != 0 ||
	    put(out, "TZID:", zone, err) != 0 ||
	    observance(out, &cur, cur.off, t, err) != 0)
		return -1;
	/* Scan day by day, then bisect to the second where the offset
	 * changes: transitions are at most a few a year and at least hours
	 * apart, and this needs nothing but kit_tz_utc_to_local(). */
	while (t < end) {
		if (sched_local(zone, t + DAY, &next, err) != 0)
			return -1;
		if (same_state(&cur, &next)) {
			t += DAY;
			continue;
		}
		lo = t;
		hi = t + DAY;
		while (hi - lo > 1) {
			m = lo + (hi - lo) / 2;
			if (sched_local(zone, m, &mid, err) != 0)
				return -1;
			if (same_state(&cur, &mid))
				lo = m;
			else
				hi = m;
		}
		if (sched_local(zone, hi, &next, err) != 0)
			return -1;
		if (hi < end && observance(out, &next, cur.off, hi, err) != 0)
			return -1;
		cur = next;
		t = hi;
	}
	return put(out, "END:VTIMEZONE", NULL, err);
}

/* The start of the text for SUMMARY: its first line, at most
 * SUMMARY_CHARS characters, "…" when cut. */
static char *
summary_of(const char *platform, const char *text, const char *prefix)
{
	size_t i = 0, chars = 0, len, space = 0;
	int cut = 0;
	char *s;

	while (text[i] != '\0' && text[i] != '\n') {
		if (((unsigned char)text[i] & 0xc0) != 0x80) {
			if (chars == SUMMARY_CHARS) {
				cut = 1;
				break;
			}
			chars++;
		}
		if (text[i] == ' ' && chars > SUMMARY_CHARS / 2)
			space = i;
		i++;
	}
	if (text[i] == '\n' && text[i + 1] != '\0')
		cut = 1;
	len = i;
	/* cut between words when a space is near the end */
	if (cut && text[i] != '\n' && space > 0)
		len = space;
	s = kit_aprintf("%s%s: %.*s%s", prefix, sched_platform_name(platform),
			(int)len, text, cut ? "\xe2\x80\xa6" : "");
	return s;
}

static char *
description_of(const struct kit_schedule *k, const struct kit_manifest_post *p)
{
	struct kit_buf b;
	size_t i;
	char *s;

	/* the text was capped when loaded; this is far below the cap */
	kit_buf_init(&b, LINE_MAX_BYTES);
	if (kit_buf_printf(&b, NULL, "%s\n", p->text) != 0)
		goto fail;
	if (p->link && kit_buf_printf(&b, NULL, "\nLink: %s", p->link) != 0)
		goto fail;
	for (i = 0; i < p->n_media; i++)
		if (kit_buf_printf(&b, NULL, "\nMedia: %s%s%s%s",
				   p->media[i].path,
				   p->media[i].alt[0] ? " (alt text: " : "",
				   p->media[i].alt,
				   p->media[i].alt[0] ? ")" : "") != 0)
			goto fail;
	if (kit_buf_printf(&b, NULL, "\nPlatform: %s\nLanguage: %s\nPost: %s\nKit: %s %s version %ld",
			   sched_platform_name(p->platform), p->language,
			   p->id, k->campaign, k->office, k->version) != 0)
		goto fail;
	s = kit_strdup((char *)b.data);
	kit_buf_free(&b);
	return s;
fail:
	kit_buf_free(&b);
	return kit_strdup(p->text);
}

/* *amb = 1 if the wall time l of instant at also names another instant
 * (the repeated hour when clocks go back). */
static int
ambiguous(const char *zone, int64_t at, const struct sched_local *l, int *amb,
	  struct kit_error *err)
{
	struct sched_local near, other;
	int64_t wall = at + l->off, d;

	*amb = 0;
	for (d = -DAY; d <= DAY; d += 2 * DAY) {
		if (sched_local(zone, at + d, &near, err) != 0)
			return -1;
		if (near.off == l->off)
			continue;
		if (sched_local(zone, wall - near.off, &other, err) != 0)
			return -1;
		if (other.off == near.off && wall - near.off != at)
			*amb = 1;
	}
	return 0;
}

static int
dtstart(struct kit_buf *out, const struct kit_schedule_opts *o, int64_t at,
	struct kit_error *err)
{
	struct sched_local l;
	char s[64];

	int amb = 0;

	if (o->tz != NULL && (sched_local(o->tz, at, &l, err) != 0 ||
			      ambiguous(o->tz, at, &l, &amb, err) != 0))
		return -1;
	/* A wall time the zone repeats (clocks set back) names two
	 * instants; RFC 5545 means the first, but calendar programs differ,
	 * so such a post is written in UTC, which no one misreads. */
	if (o->tz == NULL || amb) {
		fmt_utc(at, s, sizeof(s));
		return putf(out, err, "DTSTART:%s", s);
	}
	fmt_tm(&l.tm, s, sizeof(s));
	return putf(out, err, "DTSTART;TZID=%s:%s", o->tz, s);
}

static int
event(struct kit_buf *out, const struct kit_schedule *k,
      const struct kit_schedule_opts *o, const struct kit_manifest_post *p,
      long sequence, int cancelled, struct kit_error *err)
{
	char stamp[64];
	char *summary = NULL, *desc = NULL, *alarm = NULL;
	int rc = -1;

	fmt_utc(k->source_date, stamp, sizeof(stamp));
	summary = summary_of(p->platform, p->text, cancelled ? "Withdrawn: " : "");
	desc = description_of(k, p);
	if (put(out, "BEGIN:VEVENT", NULL, err) != 0 ||
	    putf(out, err, "UID:%s.%s.%s@kit", p->id, k->office,
		 k->campaign) != 0 ||
	    putf(out, err, "DTSTAMP:%s", stamp) != 0 ||
	    dtstart(out, o, p->at, err) != 0 ||
	    put(out, "DURATION:PT15M", NULL, err) != 0 ||
	    put(out, "SUMMARY:", summary, err) != 0 ||
	    put(out, "DESCRIPTION:", desc, err) != 0)
		goto out;
	if (p->link != NULL && put(out, "URL:", p->link, err) != 0)
		goto out;
	if (put(out, "CATEGORIES:", sched_platform_name(p->platform), err) != 0 ||
	    putf(out, err, "SEQUENCE:%ld", sequence) != 0 ||
	    put(out, cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED", NULL,
		err) != 0 ||
	    put(out, "TRANSP:TRANSPARENT", NULL, err) != 0)
		goto out;
	if (!cancelled) {
		alarm = kit_aprintf("In 30 minutes: %s", summary);
		if (put(out, "BEGIN:VALARM", NULL, err) != 0 ||
		    put(out, "ACTION:DISPLAY", NULL, err) != 0 ||
		    put(out, "DESCRIPTION:", alarm, err) != 0 ||
		    put(out, "TRIGGER:-PT30M", NULL, err) != 0 ||
		    put(out, "END:VALARM", NULL, err) != 0)
			goto out;
	}
	if (put(out, "END:VEVENT", NULL, err) != 0)
		goto out;
	rc = 0;
out:
	free(summary);
	free(desc);
	free(alarm);
	return rc;
}

/* YYYYMMDD of a date written as "YYYY-MM-DD..." plus days. */
static int
date_plus(const char *written, int days, char *out, size_t size,
	  struct kit_error *err)
{
	char s[64];
	int64_t t;
	int has_offset;
	struct tm tm;
	time_t tt;

	snprintf(s, sizeof(s), "%.10sT00:00:00", written);
	if (kit_time_parse(s, &t, &has_offset, err) != 0)
		return -1;
	tt = (time_t)(t + (int64_t)days * DAY);
	gmtime_r(&tt, &tm);
	snprintf(out, size, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday);
	return 0;
}

static int
window_event(struct kit_buf *out, const struct kit_schedule *k, long sequence,
	     struct kit_error *err)
{
	char stamp[64], start[48], end[48];
	char *summary = NULL, *desc = NULL;
	/* an end at midnight already is the exclusive end; else the day after */
	int end_days = strlen(k->window_end) >= 19 &&
				       memcmp(k->window_end + 10, "T00:00:00", 9) == 0 &&
				       (k->window_end[19] != '.')
			       ? 0
			       : 1;
	int rc = -1;

	fmt_utc(k->source_date, stamp, sizeof(stamp));
	if (date_plus(k->window_start, 0, start, sizeof(start), err) != 0 ||
	    date_plus(k->window_end, end_days, end, sizeof(end), err) != 0)
		goto out;
	if (strcmp(end, start) <= 0)
		date_plus(k->window_start, 1, end, sizeof(end), NULL);
	summary = kit_aprintf("Campaign: %s", k->title[0] ? k->title : k->campaign);
	desc = kit_aprintf("Campaign window of %s (%s), office %s, kit version %ld: %s to %s.",
			   k->title, k->campaign, k->office, k->version,
			   k->window_start, k->window_end);
	if (put(out, "BEGIN:VEVENT", NULL, err) != 0 ||
	    /* '~' never appears in a post id, so this UID is no post's */
	    putf(out, err, "UID:window~%s.%s@kit", k->office, k->campaign) != 0 ||
	    putf(out, err, "DTSTAMP:%s", stamp) != 0 ||
	    putf(out, err, "DTSTART;VALUE=DATE:%s", start) != 0 ||
	    putf(out, err, "DTEND;VALUE=DATE:%s", end) != 0 ||
	    put(out, "SUMMARY:", summary, err) != 0 ||
	    put(out, "DESCRIPTION:", desc, err) != 0 ||
	    putf(out, err, "SEQUENCE:%ld", sequence) != 0 ||
	    put(out, "STATUS:CONFIRMED", NULL, err) != 0 ||
	    put(out, "TRANSP:TRANSPARENT", NULL, err) != 0 ||
	    put(out, "END:VEVENT", NULL, err) != 0)
		goto out;
	rc = 0;
out:
	free(summary);
	free(desc);
	return rc;
}

/* Widen [*y0, *y1] by the local year of t. */
static int
cover(const char *zone, int64_t t, int *y0, int *y1, struct kit_error *err)
{
	struct sched_local l;
	int y;

	if (sched_local(zone, t, &l, err) != 0)
		return -1;
	y = l.tm.tm_year + 1900;
	if (*y0 == 0 || y < *y0)
		*y0 = y;
	if (*y1 == 0 || y > *y1)
		*y1 = y;
	return 0;
}

int
kit_schedule_ics(const struct kit_schedule *k,
		 const struct kit_schedule_opts *o, struct kit_buf *out,
		 struct kit_error *err)
{
	const struct kit_schedule *prev = o->previous;
	const char *zone = sched_zone(k, o);
	long seq = k->version - 1, cancel_seq;
	char *name = NULL;
	int y0 = 0, y1 = 0, m;
	size_t i;
	int rc = -1;

	if (kit_schedule_check_opts(k, o, err) != 0)
		goto out;
	if (prev != NULL && (strcmp(prev->campaign, k->campaign) != 0 ||
			     strcmp(prev->office, k->office) != 0)) {
		kit_err(err, KIT_E_INVALID,
			"--previous: manifest is for %s/%s, the kit is %s/%s; pass an earlier manifest of this kit",
			prev->campaign, prev->office, k->campaign, k->office);
		goto out;
	}
	/* the cancellation must outrank what the previous export said */
	cancel_seq = prev && prev->version > seq ? prev->version : seq;
	if (o->tz != NULL) {
		if (cover(zone, k->window_start_at, &y0, &y1, err) != 0 ||
		    cover(zone, k->window_end_at, &y0, &y1, err) != 0)
			goto out;
		for (i = 0; i < k->n_posts; i++)
			if (cover(zone, k->posts[i].at, &y0, &y1, err) != 0)
				goto out;
		for (i = 0; prev != NULL && i < prev->n_posts; i++)
			if (cover(zone, prev->posts[i].at, &y0, &y1, err) != 0)
				goto out;
	}
	name = kit_aprintf("%s%s%s", k->title[0] ? k->title : k->campaign,
			   k->office_name[0] ? " \xe2\x80\x93 " : "",
			   k->office_name);
	if (put(out, "BEGIN:VCALENDAR", NULL, err) != 0 ||
	    put(out, "PRODID:-//kit//kit-schedule " KIT_VERSION "//EN", NULL,
		err) != 0 ||
	    put(out, "VERSION:2.0", NULL, err) != 0 ||
	    put(out, "CALSCALE:GREGORIAN", NULL, err) != 0 ||
	    put(out, "METHOD:PUBLISH", NULL, err) != 0 ||
	    put(out, "X-WR-CALNAME:", name, err) != 0 ||
	    put(out, "X-WR-TIMEZONE:", zone, err) != 0)
		goto out;
	/* The VTIMEZONE is found day by day over every year the kit names:
	 * a post in year 4999 made that minutes of work, so the span is
	 * bounded (a campaign lasts days or weeks). */
	if (o->tz != NULL && y1 - y0 > ICS_MAX_YEARS) {
		kit_err(err, KIT_E_INVALID,
			"kit %s/%s: its dates span the years %d to %d, more than the %d years an .ics in a time zone may cover; fix the dates of the campaign or its posts",
			k->campaign, k->office, y0, y1, ICS_MAX_YEARS);
		goto out;
	}
	if (o->tz != NULL &&
	    kit_schedule_vtimezone(out, o->tz, y0, y1, err) != 0)
		goto out;
	if (window_event(out, k, seq, err) != 0)
		goto out;
	for (i = 0; i < k->n_posts; i++) {
		m = sched_match(&k->posts[i], o, zone, err);
		if (m < 0)
			goto out;
		if (m && event(out, k, o, &k->posts[i], seq, 0, err) != 0)
			goto out;
	}
	for (i = 0; prev != NULL && i < prev->n_posts; i++) {
		if (sched_find_post(k, prev->posts[i].id) != NULL)
			continue;
		m = sched_match(&prev->posts[i], o, zone, err);
		if (m < 0)
			goto out;
		if (m && event(out, k, o, &prev->posts[i], cancel_seq, 1,
			       err) != 0)
			goto out;
	}
	if (put(out, "END:VCALENDAR", NULL, err) != 0)
		goto out;
	rc = 0;
out:
	free(name);
	return rc;
}
