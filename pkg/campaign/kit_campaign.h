/*
 * kit_campaign.h: campaign sources (campaigns/<id>/), their validation,
 * office overlays, and each kit: its manifest model (filled here, written
 * by pkg/manifest, the format's owner), index.html, the list of archive
 * entries.
 *
 * Source layout (all paths relative to the campaign directory, '/'
 * separated, checked with kit_path_is_safe()):
 *
 *   campaign.json          id, title, window {start,end} (RFC 3339 with
 *                          offset), timezone (IANA; default zone of the
 *                          global kit and of floating post times), languages,
 *                          hashtags, source_date (RFC 3339), about (path of
 *                          the "who we are / our values" Markdown), statements
 *                          [{file,title,speaker,date,language}], videos
 *                          [{title,url,language}], posts [{id,platform,time,
 *                          text,link?,media?[],language}], media [{file,alt}],
 *                          and an optional free-text "note".
 *   statements/NAME.md     statement texts (Markdown)
 *   media/FILE             images etc., each declared in media[] with alt text
 *   offices/<office>.json  overlay: id (= file name), name, country, timezone,
 *                          languages, contact {name,role,email,phone},
 *                          presence_since (year), and statements / posts /
 *                          media to add, or to replace (same file / same id).
 *
 * A post "time" with an offset is a fixed instant; without one it is
 * floating, resolved in the office's zone (the campaign's zone for the
 * global kit), like iCalendar floating time.
 *
 * Diagnostics: loading and validation report every problem found, each as
 * file:line:column (file relative to the campaign directory; column counts
 * UTF-8 characters from 1, as Jansson does) with a severity and a one-line
 * "what is wrong; how to fix it" message.  Errors stop a build; warnings
 * do not.
 *
 * Files: the campaign directory is opened once; every file below it is
 * opened one path component at a time, none followed if it is a symbolic
 * link (a `media` linked to another directory would sign that directory's
 * files into every bundle), and only regular files are read (a FIFO does
 * not block).  Such a link or special file is an error in validation
 * (counted in diags->unsafe) and KIT_E_SECURITY elsewhere.
 *
 * Errors (struct kit_error): KIT_E_INVALID for a campaign that cannot be
 * loaded or a kit that cannot be built, KIT_E_SECURITY for a file over its
 * size cap, an unsafe path, or a link or special file in the campaign,
 * KIT_E_IO for the disk.
 */
#ifndef KIT_CAMPAIGN_H
#define KIT_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "kit_manifest.h"
#include "kit_util.h"

/* Hard caps: JSON sources, Markdown files, media files, diagnostics kept. */
#define KIT_CAMPAIGN_JSON_MAX (1u << 20)
#define KIT_CAMPAIGN_TEXT_MAX (1u << 20)
#define KIT_CAMPAIGN_MEDIA_MAX (256u << 20)
#define KIT_CAMPAIGN_DIAGS_MAX 1000
#define KIT_CAMPAIGN_OFFICES_MAX 500

/* ---- diagnostics --------------------------------------------------------- */

enum kit_campaign_severity {
	KIT_CAMPAIGN_ERROR = 0,
	KIT_CAMPAIGN_WARNING = 1,
};

struct kit_campaign_diag {
	enum kit_campaign_severity severity;
	char file[256]; /* relative to the campaign directory */
	int line, col;  /* 1-based; 0 when unknown */
	char msg[512];  /* "what is wrong; how to fix it" */
};

/* A list owned by the caller: init, pass to load/validate, free.  At most
 * KIT_CAMPAIGN_DIAGS_MAX are kept (the counts still count every one);
 * an exact repeat (same place, same message) is kept once. */
struct kit_campaign_diags {
	struct kit_campaign_diag *v;
	size_t n, cap;
	size_t errors, warnings;
	/* errors that refused a link or a special file: a file reached
	 * through a symbolic link at any component of its path, a FIFO... */
	size_t unsafe;
};

void kit_campaign_diags_init(struct kit_campaign_diags *d);
void kit_campaign_diags_free(struct kit_campaign_diags *d);
/* Sort by file, line, column, then message (stable output). */
void kit_campaign_diags_sort(struct kit_campaign_diags *d);
/* "<dir>/<file>:<line>:<col>: error: <msg>" into buf; dir may be NULL.
 * Untrusted bytes are sanitized.  Truncates silently to size. */
void kit_campaign_diag_format(const struct kit_campaign_diag *dg,
			      const char *dir, char *buf, size_t size);

/* ---- the campaign -------------------------------------------------------- */

struct kit_campaign;

/*
 * Load dir/campaign.json and every dir/offices/<office>.json with Jansson
 * (duplicate keys rejected).  Every JSON file that does not parse is
 * reported in diags (Jansson's line:column and reason) and then the load
 * fails with KIT_E_INVALID, its message naming the first such file:line:col.
 * A missing campaign.json is KIT_E_IO; one over KIT_CAMPAIGN_JSON_MAX is
 * KIT_E_SECURITY.  diags may be NULL.  Returns an object owned by the
 * caller (kit_campaign_free) that has not been validated yet.
 */
struct kit_campaign *kit_campaign_load(const char *dir,
				       struct kit_campaign_diags *diags,
				       struct kit_error *err) KIT_WUR;
void kit_campaign_free(struct kit_campaign *c);

/*
 * Check every rule (fields and types, window, time zones, languages,
 * platforms and text limits, links, ids, files on disk, overlays, posts in
 * the window for the global kit and every office kit) and append what is
 * wrong to out.  Returns the number of errors added (0 = may be built).
 */
int kit_campaign_validate(const struct kit_campaign *c,
			  struct kit_campaign_diags *out);

/* Accessors; strings are owned by c.  Only meaningful once validated. */
const char *kit_campaign_id(const struct kit_campaign *c);
const char *kit_campaign_dir(const struct kit_campaign *c);
/* source_date as seconds since the epoch (0 when missing or invalid). */
int64_t kit_campaign_source_date(const struct kit_campaign *c);
/* Offices sorted by id. */
size_t kit_campaign_office_count(const struct kit_campaign *c);
const char *kit_campaign_office_id(const struct kit_campaign *c, size_t i);

/* ---- languages ------------------------------------------------------------- */

/* Platforms, their limits and how each counts a post are pkg/manifest's
 * one table (kit_manifest_platform, kit_manifest_post_length). */
/* 1 for an ISO 639-1 code in kit's table (optionally with -REGION). */
int kit_campaign_language_known(const char *lang);

/* ---- kits ------------------------------------------------------------------ */

/* One archive entry: either a file on disk (source) or generated bytes. */
struct kit_campaign_entry {
	const char *path;          /* archive path, relative, '/'-separated */
	const char *source;        /* path beneath kit_campaign_kit_dirfd(),
				    * or NULL */
	const unsigned char *data; /* generated bytes when source is NULL */
	size_t len;                /* size in bytes (of either) */
	const char *sha256;        /* hex digest */
};

struct kit_campaign_kit;

/*
 * Build the kit of office_id (NULL for the global kit): the merged
 * campaign as a manifest model (kit_manifest.h: files with size, sha256
 * and media type, the content digest), its manifest.json bytes,
 * index.html and the schedule/ files.  source_date_epoch < 0 means the
 * campaign's source_date.  The campaign must have validated without error
 * (else KIT_E_INVALID), and the model must pass kit_manifest_check (else
 * KIT_E_INVALID: every office would refuse the kit).  Every source file
 * is hashed now; the bundle writer should check the hash again as it
 * copies (files may change).  The result is owned by the caller
 * (kit_campaign_kit_free) and does not point into c.
 */
struct kit_campaign_kit *kit_campaign_kit_new(const struct kit_campaign *c,
					      const char *office_id,
					      int version,
					      int64_t source_date_epoch,
					      struct kit_error *err) KIT_WUR;
void kit_campaign_kit_free(struct kit_campaign_kit *k);
/*
 * What the kit of office_id (NULL: the global kit) is built from, as one
 * SHA-256 into hex[KIT_SHA256_HEX]: salt (the builder's version and
 * options: whatever else makes the bytes), campaign.json, the office's
 * overlay, and the content of every file the kit takes from the campaign
 * directory (statements, media, about; each read as kit_campaign_kit_new
 * reads it, no link followed, and digested once per campaign).  Equal
 * inputs build an equal kit, so a publisher may skip building it.  Not
 * covered: the system's time zone data (a kit with floating post times
 * resolves them with it).  Errors as kit_campaign_kit_new's.
 */
int kit_campaign_kit_inputs(struct kit_campaign *c, const char *office_id,
			    const char *salt, char *hex,
			    struct kit_error *err) KIT_WUR;
/* The manifest model, owned by k. */
const struct kit_manifest *
kit_campaign_kit_manifest(const struct kit_campaign_kit *k);
/* manifest.json bytes (kit_manifest_write); owned by k. */
const char *kit_campaign_kit_manifest_bytes(const struct kit_campaign_kit *k,
					    size_t *len);
/*
 * Which kits an office installs: of each campaign, the office's own kit
 * when there is one, else the campaign's global kit.  kits[0..n) name the
 * campaign and office ("global" for a global kit) of each kit on offer, in
 * any order; chosen[i] becomes 1 for each kit `office` installs (NULL:
 * an office without kits of its own gets the global ones) and 0 for the
 * others; of two kits for the same campaign and office the first wins.
 * kit-fetch picks what to install with it, kit-publish export --office
 * what to copy.
 */
struct kit_campaign_kit_ref {
	const char *campaign, *office;
};
void kit_campaign_pick_kits(const struct kit_campaign_kit_ref *kits,
			    size_t n, const char *office, int *chosen);
/* The content digest (hex), owned by k. */
const char *kit_campaign_kit_content(const struct kit_campaign_kit *k);
/* "global" or the office id. */
const char *kit_campaign_kit_office(const struct kit_campaign_kit *k);
int64_t kit_campaign_kit_source_date(const struct kit_campaign_kit *k);
/* The campaign directory, open (owned by k): entries' sources are paths
 * beneath it, to be opened without following a link at any component
 * (kit_file_open_read; kit_bundle_write with it as src_dir). */
int kit_campaign_kit_dirfd(const struct kit_campaign_kit *k);
/* Archive entries: manifest.json first, then the others sorted by path
 * (regular files only; the bundle writer adds the directories). */
size_t kit_campaign_kit_entry_count(const struct kit_campaign_kit *k);
const struct kit_campaign_entry *
kit_campaign_kit_entry(const struct kit_campaign_kit *k, size_t i);

/*
 * Write manifests_dir/<campaign>/<global|office>.json for every kit of c,
 * atomically.  These carry version 1: the committed record is of content
 * (diffs in review, staleness in make check); the publisher assigns the
 * real version numbers in the repository.  KIT_E_IO on disk errors.
 */
int kit_campaign_write_manifests(const struct kit_campaign *c,
				 const char *manifests_dir,
				 struct kit_error *err) KIT_WUR;

#endif
