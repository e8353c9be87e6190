/*
 * campaign_int.h: what the .c files of pkg/campaign share with each other.
 * Not part of the public interface (kit_campaign.h is); nothing outside
 * pkg/campaign includes it.
 */
#ifndef KIT_CAMPAIGN_INT_H
#define KIT_CAMPAIGN_INT_H

#include <jansson.h>

#include "kit_campaign.h"

/* Where a JSON value (and its member key) starts in the raw text. */
struct kc_loc {
	char *path; /* "posts[3].time"; "" for the root */
	int kline, kcol, vline, vcol;
};

/* One parsed JSON source file with its position index. */
struct kc_file {
	char *rel;          /* "campaign.json", "offices/hungary.json" */
	char *abs;          /* dir/rel */
	unsigned char *raw; /* the text as read */
	size_t len;
	json_t *root;
	struct kc_loc *locs;
	size_t nlocs;
	char sha256[65];
};

struct kc_office {
	char *id; /* from the file name */
	struct kc_file f;
};

/* A file's content digest and size, remembered for the campaign's
 * lifetime (kc_file_hash). */
struct kc_hash {
	char *rel;
	char hex[65];
	uint64_t len;
};
struct kc_hashes {
	struct kc_hash *v;
	size_t n, cap;
	size_t *slots, nslots; /* open addressing over v by rel: index + 1 */
};

struct kit_campaign {
	char *dir;
	int dirfd; /* dir, opened once; files are reached beneath it */
	struct kc_file main;
	struct kc_office *offices;
	size_t noffices;
	/* set by kit_campaign_validate() when it found no error: every kit
	 * built from c after that skips validating the whole campaign again
	 * (once per campaign, not once per kit: 400 offices made publishing
	 * quadratic) */
	int valid;
	/* files digested, each once per campaign, for
	 * kit_campaign_kit_inputs() and the kits built from c (a media file
	 * is in all 401 kits; the same 200 MB video was read and hashed
	 * again for the inputs and for every kit) */
	struct kc_hashes *hashes;
};

/* The SHA-256 (hex, borrowed from c) and size of file rel of the campaign
 * (beneath its directory, no link followed), read once for the campaign's
 * lifetime; NULL with err set. */
const char *kc_file_hash(const struct kit_campaign *c, const char *rel,
			 uint64_t *len, struct kit_error *err);

/* One statement, post or media item of a merged kit, and where it came from. */
struct kc_item {
	json_t *obj;
	const struct kc_file *file;
	char where[64]; /* "posts[3]" */
};

struct kc_merged {
	const struct kc_office *office; /* NULL: global */
	const char *zone;               /* office zone, or the campaign's */
	struct kc_item *st, *po, *me;
	size_t nst, npo, nme;
};

/* locate.c */
int kc_locate_build(struct kc_file *f);
/* Position of path (at its key when at_key and it has one); falls back to
 * the nearest ancestor that exists.  Sets 1:1 when nothing matches. */
void kc_locate(const struct kc_file *f, const char *path, int at_key,
	       int *line, int *col);

/* diag.c */
void kc_diag(struct kit_campaign_diags *d, const struct kc_file *f,
	     const char *path, int at_key, enum kit_campaign_severity sev,
	     const char *fmt, ...) KIT_PRINTF(6, 7);
void kc_diag_at(struct kit_campaign_diags *d, const char *file, int line,
		int col, enum kit_campaign_severity sev, const char *fmt, ...)
	KIT_PRINTF(6, 7);

/* campaign.c */
/* Open rel beneath the campaign directory, no link followed at any
 * component, a regular file only (kit_file_open_read).  -1 with err set:
 * KIT_E_SECURITY for a link or a special file (refused), else KIT_E_IO
 * (*missing, may be NULL, says it does not exist). */
int kc_open(const struct kit_campaign *c, const char *rel, struct stat *st,
	    int *missing, struct kit_error *err);
/* Read rel (as kc_open) whole, at most max bytes; caller frees *out. */
int kc_read(const struct kit_campaign *c, const char *rel, size_t max,
	    unsigned char **out, size_t *len, struct kit_error *err);
int kc_merge(const struct kit_campaign *c, const struct kc_office *o,
	     struct kc_merged *m);
void kc_merged_free(struct kc_merged *m);
const struct kc_office *kc_office_find(const struct kit_campaign *c,
				       const char *id);
/* Resolve a post's time in zone: *at the instant, *floating. */
int kc_post_time(const char *time, const char *zone, int64_t *at,
		 int *floating);
const char *kc_str(const json_t *obj, const char *key);

const char *kc_media_type(const char *path);
/* For "did you mean": the ISO 639-1 code lang stands for ("swa" is sw,
 * "EN" en, "pt_br" pt-BR; 1 and out). */
int kc_language_suggest(const char *lang, char *out, size_t size);

#endif
