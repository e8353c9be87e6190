/*
 * page.h: the kit page (each kit's index.html), rendered from a plain C
 * view of the kit.  Internal to pkg/campaign: kit.c fills the view from
 * the merged campaign; nothing here reads JSON or the disk, so the view
 * can be filled from any model of the kit.
 *
 * Ownership: every pointer in the view is borrowed for the duration of
 * kc_page_render() only.  Strings are UTF-8 (the campaign validated them).
 *
 * The page is self-contained: inline CSS and script allowed by their
 * SHA-256 in a Content-Security-Policy meta element, system fonts, media
 * shown and offered for download by relative path ('self'), no request to
 * the network.  A comment "<!--kit:changes-->" before </main> is where
 * kit-schedule's "page" command puts a JSON data island
 * (<script type="application/json" id="kit-changes">) naming the posts new
 * or changed since an earlier version; the script marks them.
 */
#ifndef KIT_CAMPAIGN_PAGE_H
#define KIT_CAMPAIGN_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kit_schedule.h"
#include "kit_util.h"

/* Where kit-schedule inserts the changes data island. */
#define KC_PAGE_CHANGES_MARK KIT_SCHEDULE_CHANGES_MARK

struct kc_page_media {
	const char *path; /* relative to the kit */
	const char *alt;
	const char *type; /* media type ("image/png"), NULL if unknown */
	uint64_t size;    /* bytes */
};

struct kc_page_post {
	const char *id, *platform, *language, *text;
	const char *link; /* or NULL */
	int64_t at;       /* UTC instant */
	long count;       /* as the validator counts text and link */
	long limit;       /* the platform's limit */
	const struct kc_page_media *media;
	size_t n_media;
};

struct kc_page_statement {
	const char *title, *speaker, *date, *language;
	const char *markdown; /* the statement's text */
};

struct kc_page_video {
	const char *title, *url, *language;
};

struct kc_page_office {
	const char *name, *country, *zone;
	const char *contact_name, *contact_role, *contact_email,
		*contact_phone; /* each may be NULL */
	long presence_since;    /* year, 0 when unknown */
};

struct kc_page_download {
	const char *path;  /* relative to the kit */
	const char *label; /* "Calendar (iCalendar)" */
	uint64_t size;
};

struct kc_page {
	const char *campaign, *title;
	const char *zone; /* the office's zone (the campaign's for global) */
	int64_t window_start, window_end;
	const char *const *languages;
	size_t n_languages;
	const char *const *hashtags;
	size_t n_hashtags;
	const struct kc_page_office *office; /* NULL: the global kit */
	const char *about;                   /* Markdown, may be NULL */
	const struct kc_page_statement *statements;
	size_t n_statements;
	const struct kc_page_video *videos;
	size_t n_videos;
	const struct kc_page_post *posts; /* in time order */
	size_t n_posts;
	const struct kc_page_media *media; /* every medium of the kit */
	size_t n_media;
	const struct kc_page_download *downloads;
	size_t n_downloads;
};

/*
 * Append the page to out (whose cap bounds it: KIT_E_INVALID when full).
 * KIT_E_INVALID also for a time the zone cannot convert.
 */
int kc_page_render(const struct kc_page *p, struct kit_buf *out,
		   struct kit_error *err) KIT_WUR;

/* "X", "Facebook"...: a platform's display name, or the id itself. */
const char *kc_page_platform_name(const char *id);

/* "ar", "fa", "he", "ur", "ps" (with or without a region): 1, else 0. */
int kc_page_lang_rtl(const char *lang);

#endif
