/*
 * csv.c: bulk-upload CSV for Buffer and Hootsuite (RFC 4180: CRLF records,
 * fields with a comma, quote, CR or LF quoted, quotes doubled, UTF-8).
 *
 * Buffer: header "Text,Image URL,Tags,Posting Time", time "YYYY-MM-DD HH:mm"
 * in the channel's zone, one channel per file.  The link goes at the end of
 * the text (Buffer has no link column); Image URL stays empty because kit
 * media are files, not public URLs; Tags stays empty.
 *
 * Hootsuite bulk composer: no header; date-time, message, link.  Its rules,
 * as its upload form states them: times at least 10 minutes in the future,
 * on a 5-minute mark (minutes ending in 0 or 5), one message per time slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule_impl.h"

#define HOOTSUITE_LEAD 600 /* seconds ahead a post must be */

static void
fmt_time(const struct sched_local *l, enum kit_schedule_csv_format f,
	 enum kit_schedule_date_format d, char *out, size_t size)
{
	int y = l->tm.tm_year + 1900, mo = l->tm.tm_mon + 1, da = l->tm.tm_mday;

	if (f == KIT_SCHEDULE_CSV_BUFFER || d == KIT_SCHEDULE_DATE_YMD)
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d", y, mo, da,
			 l->tm.tm_hour, l->tm.tm_min);
	else if (d == KIT_SCHEDULE_DATE_DMY)
		snprintf(out, size, "%02d/%02d/%04d %02d:%02d", da, mo, y,
			 l->tm.tm_hour, l->tm.tm_min);
	else
		snprintf(out, size, "%02d/%02d/%04d %02d:%02d", mo, da, y,
			 l->tm.tm_hour, l->tm.tm_min);
}

/* Why the tool cannot take post p, or NULL.  The reason is static text
 * or written into buf. */
static const char *
refusal(const struct kit_schedule_post *p, const struct kit_schedule_opts *o,
	const struct sched_local *l, const char *tool, char *buf,
	size_t size)
{
	size_t n, limit;
	char now[32];

	if (p->at < o->now) {
		kit_time_format_utc(o->now, now, sizeof(now));
		snprintf(buf, size, "its time is in the past (now is %s); %s schedules only future posts",
			 now, tool);
		return buf;
	}
	n = kit_schedule_text_length(p->platform, p->text, p->link, &limit);
	if (limit > 0 && n > limit) {
		snprintf(buf, size, "its text is %zu characters, over %s's limit of %zu; shorten it",
			 n, sched_platform_name(p->platform), limit);
		return buf;
	}
	if (o->csv != KIT_SCHEDULE_CSV_HOOTSUITE)
		return NULL;
	if (p->at < o->now + HOOTSUITE_LEAD)
		return "it is less than 10 minutes ahead; Hootsuite takes only times at least 10 minutes in the future";
	if (l->tm.tm_min % 5 != 0 || l->tm.tm_sec != 0)
		return "its time is not on a 5-minute mark; Hootsuite takes only minutes ending in 0 or 5";
	return NULL;
}

static int
row_buffer(struct kit_buf *out, const struct kit_schedule_post *p,
	   const char *when, struct kit_error *err)
{
	char *text;
	int rc;

	/* Buffer has no link column: the link ends the text unless there */
	if (p->link != NULL && strstr(p->text, p->link) == NULL)
		text = kit_aprintf("%s %s", p->text, p->link);
	else
		text = kit_strdup(p->text);
	rc = kit_schedule_csv_field(out, text, err) != 0 ||
		kit_buf_append(out, ",,,", 3, err) != 0 ||
		kit_schedule_csv_field(out, when, err) != 0 ||
		kit_buf_append(out, "\r\n", 2, err) != 0 ? -1 : 0;
	free(text);
	return rc;
}

static int
row_hootsuite(struct kit_buf *out, const struct kit_schedule_post *p,
	      const char *when, struct kit_error *err)
{
	/* a link already in the text is not added twice */
	const char *link = p->link && strstr(p->text, p->link) == NULL ?
		p->link : "";

	if (kit_schedule_csv_field(out, when, err) != 0 ||
	    kit_buf_append(out, ",", 1, err) != 0 ||
	    kit_schedule_csv_field(out, p->text, err) != 0 ||
	    kit_buf_append(out, ",", 1, err) != 0 ||
	    kit_schedule_csv_field(out, link, err) != 0 ||
	    kit_buf_append(out, "\r\n", 2, err) != 0)
		return -1;
	return 0;
}

int
kit_schedule_csv(const struct kit_schedule *k,
		 const struct kit_schedule_opts *o, struct kit_buf *out,
		 struct kit_buf *report, size_t *left_out,
		 struct kit_error *err)
{
	const char *zone = sched_zone(k, o);
	const char *tool = o->csv == KIT_SCHEDULE_CSV_HOOTSUITE ? "Hootsuite" :
		"Buffer";
	const char **plat = NULL, *why;
	const struct kit_schedule_post *p, *last = NULL;
	struct sched_local l;
	char when[64], local[64], buf[256];
	size_t n = 0, i;
	int m, rc = -1;

	*left_out = 0;
	if (kit_schedule_platforms(k, o, &plat, &n, err) != 0)
		goto out;
	if (n > 1) {
		kit_err(err, KIT_E_USAGE,
			"csv for %s/%s: the posts are for %zu platforms (%s, %s%s); %s takes one channel per file: pick one with --platform, or write one file each with --out-dir",
			k->campaign, k->office, n, plat[0], plat[1], n > 2 ? ", ..." : "", tool);
		goto out;
	}
	if (o->csv == KIT_SCHEDULE_CSV_BUFFER &&
	    kit_buf_append(out, "Text,Image URL,Tags,Posting Time\r\n", 34,
			   err) != 0)
		goto out;
	for (i = 0; i < k->n_posts; i++) {
		p = &k->posts[i];
		m = sched_match(p, o, zone, err);
		if (m < 0)
			goto out;
		if (!m)
			continue;
		if (sched_local(zone, p->at, &l, err) != 0)
			goto out;
		why = refusal(p, o, &l, tool, buf, sizeof(buf));
		if (why == NULL && o->csv == KIT_SCHEDULE_CSV_HOOTSUITE &&
		    last != NULL && p->at - last->at < 60) {
			snprintf(buf, sizeof(buf), "it shares its time slot with post %s; Hootsuite takes one message per slot",
				 last->id);
			why = buf;
		}
		if (why != NULL) {
			sched_iso_local(&l, local, sizeof(local));
			if (kit_buf_printf(report, err, "post %s (%s): %s\n",
					   p->id, local, why) != 0)
				goto out;
			(*left_out)++;
			continue;
		}
		fmt_time(&l, o->csv, o->date, when, sizeof(when));
		if ((o->csv == KIT_SCHEDULE_CSV_HOOTSUITE ?
		     row_hootsuite(out, p, when, err) :
		     row_buffer(out, p, when, err)) != 0)
			goto out;
		last = p;
	}
	rc = 0;
out:
	free(plat);
	return rc;
}
