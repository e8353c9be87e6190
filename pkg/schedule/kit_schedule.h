/*
 * kit_schedule.h: the posts of an installed kit, as the tools social media
 * teams already use: a table by day in the office's zone, an iCalendar file
 * (RFC 5545), bulk-upload CSV for Buffer and Hootsuite (RFC 4180), JSON.
 *
 * Input is the kit's manifest.json, parsed and checked by its owner
 * (kit_manifest.h: ids, platforms, UTF-8, https links, safe media paths,
 * hard caps), or a manifest model in memory.  Its text is still sanitized
 * before it reaches a terminal.
 *
 * Outputs are deterministic: the same manifest and options give the same
 * bytes.  Posts are ordered by instant, then platform, then id.  The only
 * time stamp that is not a post's own is DTSTAMP in the .ics, taken from
 * the manifest's inputs.source_date_epoch (else the window start).
 *
 * Ownership: a loaded kit (struct kit_schedule) owns all its strings; posts
 * returned by kit_schedule_post() live as long as the kit.  Output functions
 * append to a caller-owned struct kit_buf (created with a cap; exceeding
 * it is KIT_E_INVALID) and never print.
 *
 * Error classes: KIT_E_INVALID for a malformed or unsafe manifest (as
 * kit_manifest_parse says, with Jansson's line and column), bad options in the manifest's terms
 * (an unknown zone in the kit), an output over its cap; KIT_E_USAGE for
 * options that contradict each other or the kit (an unknown --tz, a bad
 * --day, several platforms in one CSV); KIT_E_IO when the manifest cannot
 * be read.
 */
#ifndef KIT_SCHEDULE_H
#define KIT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kit_manifest.h"
#include "kit_util.h"

/* Output buffers the program creates. */
#define KIT_SCHEDULE_OUT_MAX (256u * 1024 * 1024)

/* A loaded manifest (opaque). */
struct kit_schedule;

/* Load KIT_DIR/manifest.json (kit_manifest_load).  For the global kit,
 * when the directory above KIT_DIR holds office.json (kit-fetch keeps there
 * the registry's entry of an office without an overlay, kit_org.h), its
 * zone becomes the kit's zone and floating post times are resolved in it.
 * Caller frees.  KIT_E_IO, KIT_E_INVALID (also for a zone this machine's
 * tz database lacks). */
struct kit_schedule *kit_schedule_load(const char *kit_dir,
				       struct kit_error *err) KIT_WUR;
/* Load a manifest file by path (e.g. --previous).  As kit_schedule_load. */
struct kit_schedule *kit_schedule_load_file(const char *path,
					    struct kit_error *err) KIT_WUR;
/* Parse a manifest from memory; where names it in messages.  KIT_E_INVALID. */
struct kit_schedule *kit_schedule_parse(const char *json, size_t len,
					const char *where,
					struct kit_error *err) KIT_WUR;
void kit_schedule_free(struct kit_schedule *k);

/*
 * A kit from a checked manifest model (kit_manifest_parse, or the
 * publisher's at build time, with the version it wants the files to
 * carry): everything is copied, posts are sorted.  KIT_E_INVALID when
 * the kit's zone is not in this machine's tz database.  Caller frees.
 */
struct kit_schedule *kit_schedule_from_manifest(const struct kit_manifest *m,
						struct kit_error *err) KIT_WUR;

/* Accessors; strings owned by the kit.  title and office name may be "". */
const char *kit_schedule_campaign(const struct kit_schedule *k);
const char *kit_schedule_office(const struct kit_schedule *k);
const char *kit_schedule_timezone(const struct kit_schedule *k);
const char *kit_schedule_title(const struct kit_schedule *k);
long kit_schedule_version(const struct kit_schedule *k);
size_t kit_schedule_count(const struct kit_schedule *k);
/* The i-th post in order (instant, platform, id); NULL if i is too big.
 * As the manifest's, but CR LF made LF in its text and alt texts. */
const struct kit_manifest_post *kit_schedule_post(const struct kit_schedule *k,
						  size_t i);

enum kit_schedule_csv_format {
	KIT_SCHEDULE_CSV_BUFFER = 0,
	KIT_SCHEDULE_CSV_HOOTSUITE = 1,
	KIT_SCHEDULE_CSV_PUBLER = 2,
	KIT_SCHEDULE_CSV_SPROUT = 3,
	KIT_SCHEDULE_CSV_MEDIA = 4, /* the side file: post, file, alt text */
};

/* Sprout Social takes at most this many messages per file. */
#define KIT_SCHEDULE_SPROUT_ROWS 350

enum kit_schedule_date_format {
	KIT_SCHEDULE_DATE_MDY = 0, /* mm/dd/yyyy hh:mm (Hootsuite's default) */
	KIT_SCHEDULE_DATE_DMY = 1, /* dd/mm/yyyy hh:mm */
	KIT_SCHEDULE_DATE_YMD = 2, /* yyyy-mm-dd hh:mm */
};

struct kit_schedule_opts {
	const char *tz;       /* local zone; NULL = the kit's "timezone".
				 In the .ics, a set tz gives TZID + VTIMEZONE,
				 NULL gives UTC times (Z). */
	const char *platform; /* filters; NULL = all */
	const char *lang;
	const char *day; /* YYYY-MM-DD, local date in the zone */
	int64_t now;     /* the clock for --next and CSV checks */
	int width;       /* table: shorten texts to this many columns
				 (a terminal); 0 = the full text */
	enum kit_schedule_csv_format csv;
	enum kit_schedule_date_format date;
	const struct kit_schedule *previous; /* ics: the earlier manifest */
	const char *media_base_url;          /* csv: https URL where the kit's media
				       are served (media path appended);
				       NULL: no media URLs */
	size_t part;                         /* csv, Sprout: 1-based file of
				       KIT_SCHEDULE_SPROUT_ROWS rows; 0 = all
				       (more is KIT_E_USAGE) */
};

/* Defaults: no filters, kit zone, now = kit_time_now(), Buffer, MDY. */
void kit_schedule_opts_init(struct kit_schedule_opts *o);

/*
 * Check the options against the kit: the zone (KIT_E_USAGE if --tz is not
 * an IANA zone, KIT_E_INVALID if the kit's is not), the --day format
 * (KIT_E_USAGE).  Every output function calls it first.
 */
int kit_schedule_check_opts(const struct kit_schedule *k,
			    const struct kit_schedule_opts *o,
			    struct kit_error *err) KIT_WUR;

/* The table: day headers, then each post (time and zone abbreviation,
 * platform, language, id, text, link, media), all sanitized. */
int kit_schedule_table(const struct kit_schedule *k,
		       const struct kit_schedule_opts *o, struct kit_buf *out,
		       struct kit_error *err) KIT_WUR;

/*
 * The next post from o->now: the first (filtered) post whose instant is
 * >= now.  *idx is its index for kit_schedule_post().  Returns 1 if found,
 * 0 if none is left, -1 on error (bad options).
 */
int kit_schedule_next_index(const struct kit_schedule *k,
			    const struct kit_schedule_opts *o, size_t *idx,
			    struct kit_error *err) KIT_WUR;
/* What goes out next: every post at that instant, and the time until it;
 * or one line saying nothing is left. */
int kit_schedule_next(const struct kit_schedule *k,
		      const struct kit_schedule_opts *o, struct kit_buf *out,
		      struct kit_error *err) KIT_WUR;

/* The filtered posts as a JSON array (id, platform, language, at, local,
 * text, link, media[{path, alt}]); with next set, only the next ones. */
int kit_schedule_json(const struct kit_schedule *k,
		      const struct kit_schedule_opts *o, int next,
		      struct kit_buf *out, struct kit_error *err) KIT_WUR;

/*
 * The iCalendar file.  One VEVENT per filtered post (UID
 * "<post id>.<office>.<campaign>@kit", SEQUENCE = version - 1), one
 * all-day VEVENT for the window, and, with o->previous, a cancelled VEVENT
 * (SEQUENCE one above the previous kit's) for every post of the previous
 * manifest that is gone.  KIT_E_INVALID if previous is another campaign
 * or office, or if, with o->tz, the kit's dates span more than 50 years
 * (the VTIMEZONE is found day by day over that span).
 */
int kit_schedule_ics(const struct kit_schedule *k,
		     const struct kit_schedule_opts *o, struct kit_buf *out,
		     struct kit_error *err) KIT_WUR;

/*
 * Bulk-upload CSV for o->csv.  The filtered posts must all be for one
 * platform (a channel), else KIT_E_USAGE naming them; the media side file
 * (KIT_SCHEDULE_CSV_MEDIA) takes every platform.  A post the tool cannot
 * take (past, too long, Hootsuite: under 10 minutes ahead, not on a
 * 5-minute boundary, a second post in the same minute; Sprout Social:
 * under 10 minutes ahead or within 10 minutes of the one before) is left
 * out and described by one line in report ("post <id> (<time>): <why>\n");
 * *left_out counts them.  Returns 0 even when posts were left out.
 * With o->media_base_url, Buffer's "Image URL" gets the post's first
 * image and Publer's "Media URL(s)" every medium (alt texts in
 * "Alt text(s)"); without it those stay empty and the side file names
 * the files.
 */
int kit_schedule_csv(const struct kit_schedule *k,
		     const struct kit_schedule_opts *o, struct kit_buf *out,
		     struct kit_buf *report, size_t *left_out,
		     struct kit_error *err) KIT_WUR;

/* One generated file. */
struct kit_schedule_file {
	char *name;          /* "buffer-x.csv", "sprout-x-2.csv", "media.csv" */
	unsigned char *data; /* its bytes (owned) */
	size_t len;
	size_t left_out; /* posts the tool cannot take (see above) */
};

/*
 * Every file of o->csv for the filtered posts: "<format>-<platform>.csv"
 * for each platform (Sprout Social: "-1", "-2"... once past
 * KIT_SCHEDULE_SPROUT_ROWS rows), or "media.csv" for the side file.  Left
 * out posts are reported in report (may be NULL) and counted in
 * *left_out, as kit_schedule_csv() does.  *files is the caller's
 * (kit_schedule_files_free).
 */
int kit_schedule_csv_files(const struct kit_schedule *k,
			   const struct kit_schedule_opts *o,
			   struct kit_schedule_file **files, size_t *n_files,
			   struct kit_buf *report, size_t *left_out,
			   struct kit_error *err) KIT_WUR;
void kit_schedule_files_free(struct kit_schedule_file *f, size_t n);
/* "buffer", "hootsuite", "publer", "sprout", "media". */
const char *kit_schedule_csv_format_name(enum kit_schedule_csv_format f);

/*
 * The kit page (kit_dir/index.html, as kit-publish wrote it) with the posts
 * new or changed since previous marked: a <base> pointing at kit_dir (so
 * the copy can live anywhere) and, where the page carries
 * KIT_SCHEDULE_CHANGES_MARK, a JSON data island <script
 * type="application/json" id="kit-changes">{"since":N,"posts":{"<id>":
 * "new"|"changed"},"removed":R}</script> that the page's script reads.
 * A post is changed when its time, platform, language, text, link, media
 * or alt texts differ.  KIT_E_INVALID if previous is another campaign or
 * office or the page has no mark; KIT_E_IO if it cannot be read.
 */
#define KIT_SCHEDULE_CHANGES_MARK "<!--kit:changes-->"
int kit_schedule_page(const struct kit_schedule *k,
		      const struct kit_schedule *previous, const char *kit_dir,
		      struct kit_buf *out, struct kit_error *err) KIT_WUR;

/* The public URL of a kit medium under base (https): base, one '/', and
 * the path with bytes outside [A-Za-z0-9-._~/] percent-encoded; caller
 * frees. */
char *kit_schedule_media_url(const char *base, const char *path);

/* The distinct platforms of the filtered posts, sorted; *list holds
 * pointers into the kit (caller frees the array only). */
int kit_schedule_platforms(const struct kit_schedule *k,
			   const struct kit_schedule_opts *o,
			   const char ***list, size_t *n,
			   struct kit_error *err) KIT_WUR;

/* "buffer" ... "media" (kit_schedule_csv_format_name) to its format: 0,
 * or -1 for another name. */
int kit_schedule_csv_format_parse(const char *name,
				  enum kit_schedule_csv_format *f) KIT_WUR;

/* What kit-schedule makes of a kit. */
enum kit_schedule_cmd {
	KIT_SCHEDULE_TABLE = 0,
	KIT_SCHEDULE_ICS,
	KIT_SCHEDULE_CSV,
	KIT_SCHEDULE_PAGE,
};

/* One kit-schedule run, as its arguments ask (the program checks that
 * they fit together). */
struct kit_schedule_request {
	enum kit_schedule_cmd cmd;
	const char *kit_dir;  /* the installed kit (manifest.json at its top) */
	const char *previous; /* ics, page: an earlier manifest.json, or NULL */
	int json;             /* table: the posts as JSON (kit_schedule_json) */
	int next;             /* table, json: only what goes out next */
	int skip_invalid;     /* csv: posts left out do not fail the run */
	const char *out;      /* write this file (atomically), not stdout */
	const char *out_dir;  /* csv: every file of the format, and media.csv */
	struct kit_schedule_opts o;
};

/* All zero, the options as kit_schedule_opts_init(). */
void kit_schedule_request_init(struct kit_schedule_request *r);

/*
 * Load r->kit_dir (and r->previous), make the output and write it: to
 * r->out, or on out (stdout: data only); with r->out_dir, each file into
 * it and its path on out.  Posts a CSV leaves out are each one line on log
 * ("kit-schedule: csv <what>: left out post <id> (<time>): <why>",
 * sanitised); unless r->skip_invalid, any left out fails the run
 * (KIT_E_INVALID) before anything is written.  Errors as the functions it
 * calls: KIT_E_INVALID, KIT_E_USAGE, KIT_E_IO.
 */
int kit_schedule_run(const struct kit_schedule_request *r, FILE *out,
		     FILE *log, struct kit_error *err) KIT_WUR;

/*
 * Building blocks, exported for tests.
 */
/* Append s as an RFC 5545 TEXT value: \ ; , escaped, newline as \n, CR
 * dropped. */
int kit_schedule_ics_escape(struct kit_buf *out, const char *s,
			    struct kit_error *err) KIT_WUR;
/* Append one content line folded at 75 octets (continuations begin with a
 * space, which counts), never inside a UTF-8 sequence, ending in CRLF. */
int kit_schedule_ics_fold(struct kit_buf *out, const char *line, size_t len,
			  struct kit_error *err) KIT_WUR;
/* A VTIMEZONE for zone covering first_year..last_year: observances with
 * explicit DTSTART/TZOFFSETFROM/TZOFFSETTO found by scanning the system tz
 * database, one per transition plus one at the start. */
int kit_schedule_vtimezone(struct kit_buf *out, const char *zone,
			   int first_year, int last_year,
			   struct kit_error *err) KIT_WUR;
/* Append s as one RFC 4180 field: quoted (quotes doubled) when it holds a
 * comma, quote, CR or LF, or starts or ends with a space.  A field that
 * starts with = + - @ tab or CR, which a spreadsheet would run as a
 * formula, is neutralised as OWASP advises: quoted, with an apostrophe
 * put in front ("'=1+1"). */
int kit_schedule_csv_field(struct kit_buf *out, const char *s,
			   struct kit_error *err) KIT_WUR;

#endif
