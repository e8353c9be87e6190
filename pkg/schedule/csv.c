/*
 * csv.c: bulk-upload CSV (RFC 4180: CRLF records, fields with a comma,
 * quote, CR or LF quoted, quotes doubled, UTF-8) for the scheduling tools
 * social media teams use, and the media side file.
 *
 * Buffer: header "Text,Image URL,Tags,Posting Time", time "YYYY-MM-DD HH:mm"
 * in the channel's zone, one channel per file.  The link goes at the end of
 * the text (Buffer has no link column); Image URL is the post's first image
 * under --media-base-url, else empty; Tags stays empty.
 *
 * Hootsuite bulk composer: no header; date-time, message, link.  Its rules,
 * as its upload form states them: times at least 10 minutes in the future,
 * on a 5-minute mark (minutes ending in 0 or 5), one message per time slot.
 *
 * Publer: the twelve columns of its CSV template, "Date,Text,Link(s),Media
 * URL(s),Title,Label(s),Alt text(s),Comment(s),Board/Album,Post subtype,
 * CTA,Reminder", in that order even when empty; Date "YYYY-MM-DD HH:MM";
 * media as public URLs, comma separated, their alt texts "||" separated in
 * the same order.
 *
 * Sprout Social: header "date,time_24hr,message_text" (case-sensitive);
 * date mm/dd/yyyy or dd/mm/yyyy (the import preference), time HH:MM; at
 * most 350 messages per file, each at least 10 minutes after the upload and
 * 10 minutes apart from the one before; the link goes in the text.
 *
 * The media side file: "Post,Platform,Posting Time,File,Alt text,Media URL",
 * one row per medium of every post with media, for the tools that take
 * media by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule_impl.h"

#define LEAD 600 /* seconds ahead (and apart, Sprout) a post must be */

static const char *const tool_names[] = {"Buffer", "Hootsuite", "Publer",
					 "Sprout Social", "the media list"};

static void
fmt_time(const struct sched_local *l, enum kit_schedule_csv_format f,
	 enum kit_schedule_date_format d, char *out, size_t size)
{
	int y = l->tm.tm_year + 1900, mo = l->tm.tm_mon + 1, da = l->tm.tm_mday;
	int h = l->tm.tm_hour, mi = l->tm.tm_min;

	if (f == KIT_SCHEDULE_CSV_SPROUT)
		/* date only: the time has its own column */
		snprintf(out, size, "%02d/%02d/%04d", d == KIT_SCHEDULE_DATE_DMY ? da : mo, d == KIT_SCHEDULE_DATE_DMY ? mo : da, y);
	else if (f != KIT_SCHEDULE_CSV_HOOTSUITE || d == KIT_SCHEDULE_DATE_YMD)
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d", y, mo, da, h, mi);
	else if (d == KIT_SCHEDULE_DATE_DMY)
		snprintf(out, size, "%02d/%02d/%04d %02d:%02d", da, mo, y, h, mi);
	else
		snprintf(out, size, "%02d/%02d/%04d %02d:%02d", mo, da, y, h, mi);
}

/* Why the tool cannot take post p, or NULL.  The reason is static text
 * or written into buf.  last: the post before it in the file. */
static const char *
refusal(const struct kit_manifest_post *p,
	const struct kit_manifest_post *last, const struct kit_schedule_opts *o,
	const struct sched_local *l, char *buf, size_t size)
{
	const char *tool = tool_names[o->csv];
	long n, limit = 0;
	char now[32];

	if (p->at < o->now) {
		kit_time_format_utc(o->now, now, sizeof(now));
		snprintf(buf, size, "its time is in the past (now is %s); %s schedules only future posts",
			 now, tool);
		return buf;
	}
	/* counted as validation counts it (kit_manifest.h, the one table) */
	n = kit_manifest_post_length(p->platform, p->text, p->link, &limit);
	if (n > limit) {
		snprintf(buf, size, "its text is %ld characters, over %s's limit of %ld; shorten it",
			 n, sched_platform_name(p->platform), limit);
		return buf;
	}
	if (o->csv == KIT_SCHEDULE_CSV_SPROUT) {
		if (p->at < o->now + LEAD)
			return "it is less than 10 minutes ahead; Sprout Social takes only times at least 10 minutes after the upload";
		if (last != NULL && p->at - last->at < LEAD) {
			snprintf(buf, size, "it is less than 10 minutes after post %s; Sprout Social takes messages at least 10 minutes apart",
				 last->id);
			return buf;
		}
		return NULL;
	}
	if (o->csv != KIT_SCHEDULE_CSV_HOOTSUITE)
		return NULL;
	if (p->at < o->now + LEAD)
		return "it is less than 10 minutes ahead; Hootsuite takes only times at least 10 minutes in the future";
	if (l->tm.tm_min % 5 != 0 || l->tm.tm_sec != 0)
		return "its time is not on a 5-minute mark; Hootsuite takes only minutes ending in 0 or 5";
	if (last != NULL && p->at - last->at < 60) {
		snprintf(buf, size, "it shares its time slot with post %s; Hootsuite takes one message per slot",
			 last->id);
		return buf;
	}
	return NULL;
}

char *
kit_schedule_media_url(const char *base, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t bl = strlen(base), i, j = 0;
	char *out;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	out = kit_xmalloc(bl + 1 + 3 * strlen(path) + 1);
	memcpy(out, base, bl);
	j = bl;
	out[j++] = '/';
	for (i = 0; path[i]; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			out[j++] = (char)c;
		} else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
	return out;
}

static int
is_image(const char *path)
{
	static const char *const ext[] = {".png", ".jpg", ".jpeg", ".gif",
					  ".webp"};
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (kit_str_has_suffix(path, ext[i]))
			return 1;
	return 0;
}

/* The text as it goes out where a tool has no link column. */
static char *
text_with_link(const struct kit_manifest_post *p)
{
	if (p->link != NULL && strstr(p->text, p->link) == NULL)
		return kit_aprintf("%s %s", p->text, p->link);
	return kit_strdup(p->text);
}

/* Append the fields, comma separated, and CRLF. */
static int
row(struct kit_buf *out, const char *const *f, size_t n,
    struct kit_error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((i > 0 && kit_buf_append(out, ",", 1, err) != 0) ||
		    kit_schedule_csv_field(out, f[i] ? f[i] : "", err) != 0)
			return -1;
	return kit_buf_append(out, "\r\n", 2, err);
}

/* Media URLs joined by sep (or the alt texts, alt set), or NULL without a
 * base URL. */
static char *
media_join(const struct kit_manifest_post *p, const char *base,
	   const char *sep, int alt, int images_only)
{
	struct kit_buf b;
	size_t i, n = 0;
	char *u;

	if (base == NULL || p->n_media == 0)
		return NULL;
	kit_buf_init(&b, KIT_SCHEDULE_OUT_MAX);
	for (i = 0; i < p->n_media; i++) {
		if (images_only && !is_image(p->media[i].path))
			continue;
		if (images_only && n == 1)
			break; /* Buffer: one image */
		u = alt ? kit_strdup(p->media[i].alt) : kit_schedule_media_url(base, p->media[i].path);
		if ((n++ > 0 && kit_buf_append(&b, sep, strlen(sep), NULL) != 0) ||
		    kit_buf_append(&b, u, strlen(u), NULL) != 0 ||
		    kit_buf_append(&b, "", 1, NULL) != 0) {
			free(u);
			kit_buf_free(&b);
			return NULL;
		}
		b.len--; /* keep the terminator out of the length */
		free(u);
	}
	if (n == 0) {
		kit_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static int
post_row(struct kit_buf *out, const struct kit_schedule_opts *o,
	 const struct kit_manifest_post *p, const struct sched_local *l,
	 struct kit_error *err)
{
	const char *link = p->link && strstr(p->text, p->link) == NULL ? p->link : "";
	char when[64], clock[16];
	char *text = NULL, *urls = NULL, *alts = NULL;
	int rc;

	fmt_time(l, o->csv, o->date, when, sizeof(when));
	switch (o->csv) {
	case KIT_SCHEDULE_CSV_HOOTSUITE: {
		const char *f[] = {when, p->text, link};

		return row(out, f, 3, err);
	}
	case KIT_SCHEDULE_CSV_SPROUT: {
		const char *f[] = {when, clock, NULL};

		snprintf(clock, sizeof(clock), "%02d:%02d", l->tm.tm_hour,
			 l->tm.tm_min);
		f[2] = text = text_with_link(p);
		rc = row(out, f, 3, err);
		break;
	}
	case KIT_SCHEDULE_CSV_PUBLER: {
		const char *f[12] = {when, p->text, link};

		f[3] = urls = media_join(p, o->media_base_url, ",", 0, 0);
		f[6] = alts = media_join(p, o->media_base_url, "||", 1, 0);
		rc = row(out, f, 12, err);
		break;
	}
	default: { /* Buffer */
		const char *f[4] = {NULL, NULL, "", when};

		f[0] = text = text_with_link(p);
		f[1] = urls = media_join(p, o->media_base_url, "", 0, 1);
		rc = row(out, f, 4, err);
		break;
	}
	}
	free(text);
	free(urls);
	free(alts);
	return rc;
}

static int
media_rows(struct kit_buf *out, const struct kit_schedule_opts *o,
	   const struct kit_manifest_post *p, const struct sched_local *l,
	   struct kit_error *err)
{
	char when[64];
	size_t i;
	int rc = 0;

	fmt_time(l, KIT_SCHEDULE_CSV_BUFFER, o->date, when, sizeof(when));
	for (i = 0; i < p->n_media && rc == 0; i++) {
		char *url = o->media_base_url ? kit_schedule_media_url(o->media_base_url, p->media[i].path) : NULL;
		const char *f[] = {p->id, p->platform, when, p->media[i].path,
				   p->media[i].alt, url};

		rc = row(out, f, 6, err);
		free(url);
	}
	return rc;
}

static const char *const headers[] = {
	"Text,Image URL,Tags,Posting Time\r\n",
	"",
	"Date,Text,Link(s),Media URL(s),Title,Label(s),Alt text(s),Comment(s),Board/Album,Post subtype,CTA,Reminder\r\n",
	"date,time_24hr,message_text\r\n",
	"Post,Platform,Posting Time,File,Alt text,Media URL\r\n",
};

int
kit_schedule_csv(const struct kit_schedule *k,
		 const struct kit_schedule_opts *o, struct kit_buf *out,
		 struct kit_buf *report, size_t *left_out,
		 struct kit_error *err)
{
	const char *zone = sched_zone(k, o);
	const char *tool = tool_names[o->csv];
	const char **plat = NULL, *why;
	const struct kit_manifest_post *p, *last = NULL;
	struct sched_local l;
	char local[64], buf[256];
	size_t n = 0, i, rows = 0;
	int m, rc = -1;

	*left_out = 0;
	if (kit_schedule_platforms(k, o, &plat, &n, err) != 0)
		goto out;
	if (n > 1 && o->csv != KIT_SCHEDULE_CSV_MEDIA) {
		kit_err(err, KIT_E_USAGE,
			"csv for %s/%s: the posts are for %zu platforms (%s, %s%s); %s takes one channel per file: pick one with --platform, or write one file each with --out-dir",
			k->campaign, k->office, n, plat[0], plat[1], n > 2 ? ", ..." : "", tool);
		goto out;
	}
	if (kit_buf_append(out, headers[o->csv], strlen(headers[o->csv]), err) != 0)
		goto out;
	for (i = 0; i < k->n_posts; i++) {
		p = &k->posts[i];
		m = sched_match(p, o, zone, err);
		if (m < 0)
			goto out;
		if (!m || (o->csv == KIT_SCHEDULE_CSV_MEDIA && p->n_media == 0))
			continue;
		if (sched_local(zone, p->at, &l, err) != 0)
			goto out;
		if (o->csv == KIT_SCHEDULE_CSV_MEDIA) {
			if (media_rows(out, o, p, &l, err) != 0)
				goto out;
			continue;
		}
		why = refusal(p, last, o, &l, buf, sizeof(buf));
		if (why != NULL) {
			sched_iso_local(&l, local, sizeof(local));
			if (report != NULL &&
			    kit_buf_printf(report, err, "post %s (%s): %s\n",
					   p->id, local, why) != 0)
				goto out;
			(*left_out)++;
			continue;
		}
		last = p;
		rows++;
		if (o->csv == KIT_SCHEDULE_CSV_SPROUT) {
			if (o->part == 0 && rows > KIT_SCHEDULE_SPROUT_ROWS) {
				kit_err(err, KIT_E_USAGE,
					"csv for %s/%s: more than %d posts; Sprout Social takes at most %d per file: write several files with --out-dir",
					k->campaign, k->office, KIT_SCHEDULE_SPROUT_ROWS, KIT_SCHEDULE_SPROUT_ROWS);
				goto out;
			}
			if (o->part > 0 && (rows - 1) / KIT_SCHEDULE_SPROUT_ROWS + 1 != o->part)
				continue;
		}
		if (post_row(out, o, p, &l, err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(plat);
	return rc;
}

const char *
kit_schedule_csv_format_name(enum kit_schedule_csv_format f)
{
	static const char *const names[] = {"buffer", "hootsuite", "publer",
					    "sprout", "media"};

	return (size_t)f < sizeof(names) / sizeof(names[0]) ? names[f] : "csv";
}

void
kit_schedule_files_free(struct kit_schedule_file *f, size_t n)
{
	size_t i;

	for (i = 0; f != NULL && i < n; i++) {
		free(f[i].name);
		free(f[i].data);
	}
	free(f);
}

static void
file_add(struct kit_schedule_file **f, size_t *n, char *name,
	 struct kit_buf *b, size_t left_out)
{
	*f = kit_xrealloc(*f, (*n + 1) * sizeof(**f));
	(*f)[*n].name = name;
	(*f)[*n].len = b->len;
	(*f)[*n].data = b->data ? b->data : kit_xcalloc(1, 1);
	(*f)[*n].left_out = left_out;
	(*n)++;
	b->data = NULL;
	b->len = b->cap = 0;
}

int
kit_schedule_csv_files(const struct kit_schedule *k,
		       const struct kit_schedule_opts *o,
		       struct kit_schedule_file **files, size_t *n_files,
		       struct kit_buf *report, size_t *left_out,
		       struct kit_error *err)
{
	struct kit_schedule_opts po = *o;
	const char *fmt = kit_schedule_csv_format_name(o->csv);
	const char **plat = NULL;
	struct kit_schedule_file *f = NULL;
	struct kit_buf out;
	size_t np = 0, nf = 0, i, skipped, hl = strlen(headers[o->csv]);
	int rc = -1;

	*left_out = 0;
	kit_buf_init(&out, KIT_SCHEDULE_OUT_MAX);
	if (o->csv == KIT_SCHEDULE_CSV_MEDIA) {
		if (kit_schedule_csv(k, o, &out, report, &skipped, err) != 0)
			goto out;
		file_add(&f, &nf, kit_strdup("media.csv"), &out, 0);
		rc = 0;
		goto out;
	}
	if (kit_schedule_platforms(k, o, &plat, &np, err) != 0)
		goto out;
	for (i = 0; i < np; i++) {
		po.platform = plat[i];
		po.part = o->csv == KIT_SCHEDULE_CSV_SPROUT ? 1 : 0;
		for (;;) {
			kit_buf_init(&out, KIT_SCHEDULE_OUT_MAX);
			/* left-out posts reported once, with the first part */
			if (kit_schedule_csv(k, &po, &out,
					     po.part > 1 ? NULL : report,
					     &skipped, err) != 0)
				goto out;
			if (po.part > 1 && out.len == hl)
				break; /* past the last part */
			if (po.part <= 1)
				*left_out += skipped;
			file_add(&f, &nf, po.part > 0 ? kit_aprintf("%s-%s-%zu.csv", fmt, plat[i], po.part) : kit_aprintf("%s-%s.csv", fmt, plat[i]),
				 &out, po.part <= 1 ? skipped : 0);
			if (po.part == 0)
				break;
			po.part++;
		}
		kit_buf_free(&out);
		/* a single Sprout file needs no part number */
		if (po.part == 2) {
			free(f[nf - 1].name);
			f[nf - 1].name = kit_aprintf("%s-%s.csv", fmt, plat[i]);
		}
	}
	rc = 0;
out:
	kit_buf_free(&out);
	free(plat);
	if (rc == 0) {
		*files = f;
		*n_files = nf;
	} else {
		kit_schedule_files_free(f, nf);
	}
	return rc;
}
