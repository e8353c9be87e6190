/*
 * page.h: the kit page (each kit's index.html), rendered from the kit's
 * manifest model (kit_manifest.h) and what a kit carries beyond it: the
 * statements' and the about text's Markdown, the alt text of media no
 * post uses, the labels of the generated downloads.  Internal to
 * pkg/campaign: kit.c fills it; nothing here reads JSON or the disk.
 *
 * Ownership: every pointer is borrowed for the duration of
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

#include "kit_manifest.h"
#include "kit_schedule.h"
#include "kit_util.h"

/* Where kit-schedule inserts the changes data island. */
#define KC_PAGE_CHANGES_MARK KIT_SCHEDULE_CHANGES_MARK

/* A medium of the kit (its type and size are the manifest's files'). */
struct kc_page_medium {
	const char *path; /* relative to the kit */
	const char *alt;
};

struct kc_page_download {
	const char *path;  /* relative to the kit */
	const char *label; /* "Calendar (iCalendar)" */
	uint64_t size;
};

struct kc_page {
	/* the kit: posts in time order, files listing every medium (the
	 * page itself aside), timezone the office's (the campaign's for the
	 * global kit), window_start_at and window_end_at set */
	const struct kit_manifest *m;
	const char *about;                  /* Markdown, may be NULL */
	const char *const *statements;      /* Markdown of m->statements[i] */
	const struct kc_page_medium *media; /* every medium of the kit */
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

/* "ar", "fa", "he", "ur", "ps" (with or without a region): 1, else 0. */
int kc_page_lang_rtl(const char *lang);

#endif
