/*
 * kit_manifest.h: the bundle manifest (manifest.json, the first entry of
 * every kit archive, and manifests/<campaign>/<office|global>.json), owned
 * here and only here: its typed model, the one parser (one size cap, one
 * strictness), the one writer, the content digest and the schema version.
 * The campaign module fills a model and writes it; the extractor, the
 * installer's verify, the fetcher and kit-schedule parse it; nobody else
 * reads or writes its JSON.
 *
 * Format (schema 1, manifests/schema/manifest.schema.json): an object with
 * exactly these members, each required (null where the model says so):
 *   schema      1
 *   campaign    id ([a-z0-9-], kit_str_is_id)
 *   office      id, or "global"
 *   version     integer 1..INT_MAX
 *   title       text
 *   window      {start, end}: RFC 3339 with an offset, end not before start
 *   timezone    IANA name (its syntax; whether this machine's tz database
 *               has it is the reader's business)
 *   languages   [language]        ISO 639-1 code, optionally -REGION
 *   hashtags    ["#..."]
 *   office_info null (global kit) or {id, name, country, timezone,
 *               languages, contact: null or {name, role, email, phone},
 *               each a string or null, presence_since: year or null}
 *   statements  [{path, title, speaker, date (YYYY-MM-DD), language}]
 *   videos      [{title, url (https), language}]
 *   posts       [{id, platform, time (as written: RFC 3339, the offset
 *               optional), at (the resolved instant, "YYYY-MM-DDTHH:MM:SSZ"),
 *               floating, text, link: https URL or null, media: [{path,
 *               alt}], language}], ids distinct
 *   files       [{path, size, sha256, type}]: safe relative paths, not
 *               manifest.json, none twice or both file and directory
 *   inputs      {source_date_epoch, tool, sources: [{path, sha256}]}
 *   content     the content digest (below), lower-case hex
 * Every string is UTF-8 without NUL or control characters other than tab,
 * LF and CR (kit_utf8_valid), and within the caps below.
 *
 * Bytes: the writer emits JSON with 2-space indentation and keys sorted,
 * then "\n"; the same model gives the same bytes.  A model the parser
 * refuses is never written (the writer checks it first), and the parser
 * refuses any member it does not know, so a manifest parsed and written
 * again has the same content digest.
 *
 * Content digest: SHA-256 (hex) of the compact, key-sorted JSON of the
 * manifest without "version" and "content": what a kit is, whatever its
 * version, so a publisher can tell whether anything changed and a
 * fetcher can check a manifest on disk against a signed target.
 *
 * Ownership: a model owns every string and array it points to
 * (kit_manifest_free); fill one with kit_strdup / kit_xcalloc.
 *
 * Errors (struct kit_error): KIT_E_INVALID for a manifest or model that
 * breaks a rule (the message names where: "<where>: posts[3] (\"id\"):
 * ..."; the caller adds what to do), KIT_E_IO when it cannot be read.
 */
#ifndef KIT_MANIFEST_H
#define KIT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "kit_crypto.h"
#include "kit_util.h"

/* The schema version this code reads and writes. */
#define KIT_MANIFEST_SCHEMA 1

/* Hard caps: bytes of manifest.json, items, bytes of one string. */
#define KIT_MANIFEST_MAX (16u << 20)
#define KIT_MANIFEST_FILES_MAX 100000
#define KIT_MANIFEST_POSTS_MAX 20000
#define KIT_MANIFEST_LIST_MAX 1000         /* statements, videos, languages... */
#define KIT_MANIFEST_MEDIA_MAX 32          /* media of one post */
#define KIT_MANIFEST_TEXT_MAX (256u << 10) /* texts (Facebook's 63206 chars) */
#define KIT_MANIFEST_LINK_MAX 2048         /* links and video URLs */
#define KIT_MANIFEST_PATH_MAX 4095         /* a path; 255 per component */

struct kit_manifest_media {
	char *path; /* a file of the kit */
	char *alt;  /* alt text */
};

struct kit_manifest_post {
	char *id;       /* [A-Za-z0-9._-], kit_str_is_id */
	char *platform; /* a platform of the table below */
	char *time;     /* as written in the source */
	int64_t at;     /* the resolved UTC instant */
	int floating;   /* the source time had no offset */
	char *text;
	char *link; /* https URL, or NULL */
	struct kit_manifest_media *media;
	size_t n_media;
	char *language;
};

struct kit_manifest_statement {
	char *path; /* a file of the kit (Markdown) */
	char *title, *speaker;
	char *date; /* YYYY-MM-DD */
	char *language;
};

struct kit_manifest_video {
	char *title, *url, *language;
};

struct kit_manifest_contact {
	char *name, *role, *email, *phone; /* each may be NULL */
};

struct kit_manifest_office {
	char *id, *name, *country, *timezone;
	char **languages;
	size_t n_languages;
	struct kit_manifest_contact *contact; /* NULL: none */
	long presence_since;                  /* year; 0: not given */
};

struct kit_manifest_file {
	char *path;
	uint64_t size;
	char sha256[KIT_SHA256_HEX];
	char *type; /* media type, "image/png" */
};

struct kit_manifest_source {
	char *path; /* relative to the campaign directory */
	char sha256[KIT_SHA256_HEX];
};

struct kit_manifest {
	int schema; /* KIT_MANIFEST_SCHEMA */
	char *campaign;
	char *office; /* office id, or "global" */
	int version;
	char *title;
	char *window_start, *window_end;        /* as written */
	int64_t window_start_at, window_end_at; /* parsed: filled by the
						   parser and by
						   kit_manifest_check() */
	char *timezone;
	char **languages;
	size_t n_languages;
	char **hashtags;
	size_t n_hashtags;
	struct kit_manifest_office *office_info; /* NULL: the global kit */
	struct kit_manifest_statement *statements;
	size_t n_statements;
	struct kit_manifest_video *videos;
	size_t n_videos;
	struct kit_manifest_post *posts; /* as written (by instant, then id) */
	size_t n_posts;
	struct kit_manifest_file *files; /* as written (by path) */
	size_t n_files;
	int64_t source_date_epoch; /* inputs */
	char *tool;
	struct kit_manifest_source *sources;
	size_t n_sources;
	char content[KIT_SHA256_HEX]; /* the content digest */
};

/* An empty model (schema set, everything else zero or NULL); never NULL. */
struct kit_manifest *kit_manifest_new(void);
/* Free m and everything it owns; NULL does nothing. */
void kit_manifest_free(struct kit_manifest *m);
/* Copy the post src into dst (everything duplicated), for a reader that
 * keeps posts apart from their model; kit_manifest_post_free() frees what
 * dst owns (not dst itself). */
void kit_manifest_post_copy(struct kit_manifest_post *dst,
			    const struct kit_manifest_post *src);
void kit_manifest_post_free(struct kit_manifest_post *p);

/*
 * Parse manifest.json bytes (at most KIT_MANIFEST_MAX; Jansson, duplicate
 * keys refused) into a new model, holding it to every rule above
 * (kit_manifest_check) and to one form per value ("at" exactly as the
 * writer formats it, no member unknown or missing).  where names the
 * manifest in messages.  A schema other than KIT_MANIFEST_SCHEMA is
 * KIT_E_INVALID "schema N, this kit reads schema 1".  Caller frees.
 */
struct kit_manifest *kit_manifest_parse(const void *json, size_t len,
					const char *where,
					struct kit_error *err) KIT_WUR;

/*
 * Read path (beneath the open directory dirfd without following a link,
 * or with AT_FDCWD a plain path whose last component is not followed;
 * a regular file of at most KIT_MANIFEST_MAX bytes) and parse it,
 * "manifest <path>" naming it in messages.  KIT_E_IO when it cannot be read,
 * KIT_E_INVALID when it is too large or breaks a rule.
 */
struct kit_manifest *kit_manifest_load(int dirfd, const char *path,
				       struct kit_error *err) KIT_WUR;

/*
 * Check every rule of the format on a model (what the parser holds a
 * manifest to; the writer calls it first) and fill window_start_at and
 * window_end_at.  KIT_E_INVALID naming the first problem.
 */
int kit_manifest_check(struct kit_manifest *m, struct kit_error *err) KIT_WUR;

/*
 * manifest.json bytes of m (checked first, KIT_E_INVALID), with m->content
 * as it stands: *out (NUL-terminated, *len bytes without the NUL) is the
 * caller's.  Set m->content with kit_manifest_content() before.
 */
int kit_manifest_write(struct kit_manifest *m, char **out, size_t *len,
		       struct kit_error *err) KIT_WUR;

/* The content digest of m into hex[KIT_SHA256_HEX] (m->content is not
 * read or set).  KIT_E_INVALID only when JSON cannot be made. */
int kit_manifest_content(const struct kit_manifest *m, char *hex,
			 struct kit_error *err) KIT_WUR;

/* ---- a kit's TUF target: its custom object --------------------------------- */

/*
 * A kit is published as the TUF target <campaign>/<office|global>.idx,
 * whose bytes are the kit's index (see "the kit index"), and, when the
 * publisher is asked for archives, also as <campaign>/<office|global>.tar.zst
 * (the deterministic archive, with a .minisig beside it).  Both targets
 * carry the same custom object; custom.index of an .idx target is the
 * target's own SHA-256 and length (kept so that one reader serves both),
 * and a fetcher takes the target's own hashes for it.
 */
enum kit_manifest_target_kind {
	KIT_TARGET_OTHER = 0, /* not a kit's name */
	KIT_TARGET_INDEX,     /* <campaign>/<office>.idx */
	KIT_TARGET_ARCHIVE    /* <campaign>/<office>.tar.zst */
};
/* The target name of campaign's kit for office (NULL: "global") of kind
 * into out; -1 (err set) when it does not fit. */
int kit_manifest_target_name(char *out, size_t size, const char *campaign,
			     const char *office,
			     enum kit_manifest_target_kind kind,
			     struct kit_error *err) KIT_WUR;
/* Which kind of kit name name is (by its last component's suffix only). */
enum kit_manifest_target_kind kit_manifest_target_kind(const char *name);
/* The name of the same kit as target name in kind (name with the other
 * suffix) into out: 0, or -1 when name is not a kit's name of another
 * kind or the result does not fit. */
int kit_manifest_target_twin(const char *name,
			     enum kit_manifest_target_kind kind, char *out,
			     size_t size);
/* The delegation path pattern that covers office's kits of kind in every
 * campaign ("*" "/<office>.idx"), into out; -1 when it does not fit. */
int kit_manifest_target_pattern(char *out, size_t size, const char *office,
				enum kit_manifest_target_kind kind,
				struct kit_error *err) KIT_WUR;

/*
 * The TUF target of a kit (either kind above) says in its
 * "custom" object what a fetcher needs before it downloads anything:
 * {campaign, office, version, content (the manifest's content digest),
 * window {start, end}, title, inputs}.  "inputs" is the publisher's own
 * note (kit_campaign_kit_inputs: a digest of everything the kit's bytes
 * were built from) so that a later publish can skip building a kit whose
 * inputs did not change; offices ignore it.  One definition: the publisher writes it
 * (kit_manifest_target_json), the fetcher reads it (_read) and the
 * extractor holds the manifest in the archive to it (_check).  The object
 * lives in TUF metadata, so it comes and goes as Jansson's json_t (the
 * TUF module's type; nothing here exposes the manifest's JSON).
 */
struct kit_manifest_target {
	const char *campaign, *office;                 /* ids, else NULL */
	int version;                                   /* 1..INT_MAX, else 0 */
	long long version_signed;                      /* the integer as signed (messages),
					  0 when it is none */
	const char *content;                           /* a string, else NULL */
	const char *window_start, *window_end, *title; /* strings, or NULL */
	const char *inputs;                            /* 64 lower-case hex digits, else NULL */
	/* custom.index {sha256, length}: the kit's index (in packs/ for an
	 * archive target from before; an .idx target's own hashes, see
	 * above); NULL / 0 unless both are in their form (64 lower-case
	 * hex digits, 1 to KIT_INDEX_KIT_MAX) */
	const char *index_sha256;
	uint64_t index_length;
	/* custom.index.update {from, sha256, length}: an index of only what
	 * this version has and version `from` lacks (NULL / 0 as above) */
	int update_from;
	const char *update_sha256;
	uint64_t update_length;
};
struct json_t;

/* The custom object of m's target at version, with inputs when not NULL
 * (new reference, caller json_decref()s it; NULL when m lacks a member
 * or inputs is not 64 lower-case hex digits). */
struct json_t *kit_manifest_target_json(const struct kit_manifest *m,
					int version, const char *inputs);
/* Add custom.index {sha256, length} to the custom object (a json_t *). */
int kit_manifest_target_set_index(struct json_t *custom, const char *sha256,
				  uint64_t length, struct kit_error *err) KIT_WUR;
/* Add custom.index.update {from, sha256, length} (after _set_index). */
int kit_manifest_target_set_update(struct json_t *custom, int from,
				   const char *sha256, uint64_t length,
				   struct kit_error *err) KIT_WUR;
/* Read custom (may be NULL) into t, whose strings are borrowed from it:
 * every member in its form is filled, the others left NULL / 0.  -1 with
 * KIT_E_SECURITY naming the first of campaign, office, version and
 * content that is not in its form; t is filled either way, so a caller
 * that judges the fields itself may ignore the result. */
int kit_manifest_target_read(const struct json_t *custom,
			     struct kit_manifest_target *t,
			     struct kit_error *err);
/* 0 when manifest m is the kit target t describes: the same campaign,
 * office and content digest (each checked when t has it) and version
 * (when not 0); else KIT_E_SECURITY "manifest.json says ... but the
 * signed target says ...". */
int kit_manifest_target_check(const struct kit_manifest *m,
			      const struct kit_manifest_target *t,
			      struct kit_error *err) KIT_WUR;

/* The entry of files[] with this path, or NULL. */
const struct kit_manifest_file *kit_manifest_file(const struct kit_manifest *m,
						  const char *path);

/* "https://host..." without spaces, controls, quotes, angle brackets or
 * backslashes: links and video URLs, as validation and the parser
 * accept them. */
int kit_manifest_https_ok(const char *url);

/* ---- platforms: the one table --------------------------------------------- */

/* How a platform counts a post's characters (see kit_manifest_platform). */
enum kit_manifest_count {
	KIT_MANIFEST_COUNT_X = 0,         /* twitter-text v3 weights */
	KIT_MANIFEST_COUNT_CLUSTERS = 1,  /* user-perceived characters */
	KIT_MANIFEST_COUNT_CODEPOINTS = 2 /* Unicode code points */
};

struct kit_manifest_platform {
	const char *id;   /* "x": what posts name */
	const char *name; /* "X": what people read */
	const char *icon; /* a short text standing for its logo */
	long limit;       /* characters a post may have */
	enum kit_manifest_count count;
	int url_weight; /* a URL counts this many; 0: as its characters */
};

/* The platform with this id, or NULL: the platforms a post may name. */
const struct kit_manifest_platform *kit_manifest_platform(const char *id);
/* The i-th platform of the table (NULL past the end), in the order of
 * manifests/schema's enum. */
const struct kit_manifest_platform *kit_manifest_platform_at(size_t i);
/* For "did you mean": the platform s stands for ("twitter", the former
 * name, is x; "facebok" facebook), or NULL when none is clear. */
const char *kit_manifest_platform_suggest(const char *s);

/*
 * Length of text as the platform counts it, and its limit into *limit
 * (may be NULL).  KIT_MANIFEST_COUNT_X: weighted (twitter-text v3): code
 * points in U+0000-10FF, U+2000-200D, U+2010-201F and U+2032-2037 weigh 1,
 * all others (CJK, Hangul, emoji...) 2; an emoji sequence (joined by ZWJ,
 * with variation selectors or skin tones) 2 in all.  _CLUSTERS:
 * user-perceived characters (approximated: combining marks, variation
 * selectors, skin tones and ZWJ emoji sequences count once with the
 * character they follow; no full Unicode grapheme tables).  _CODEPOINTS:
 * code points.  A platform with a url_weight counts every http(s):// URL
 * (up to the next space, trailing punctuation excluded; bare domains are
 * not detected) as that many.  -1 for an unknown platform or invalid
 * UTF-8.
 */
long kit_manifest_text_length(const char *platform, const char *text,
			      long *limit);
/* A post as published: its text, then " " and its link unless the text
 * already holds the link (link may be NULL), counted as above.  What
 * validation, kit-schedule's exports and the kit page all count. */
long kit_manifest_post_length(const char *platform, const char *text,
			      const char *link, long *limit);

/* ---- the kit index: where each file's stored bytes are ---------------------- */

/*
 * A kit index (repository file packs/<sha256>.idx, its SHA-256 and length
 * signed in the kit's TUF target as custom.index) says, for every distinct
 * content of one kit version, where its stored bytes are: in which pack
 * (packs/<sha256>.pack, immutable, named by its own hash), at which
 * offset, how many stored bytes, and whether they are the file itself
 * (raw) or a zstd frame of it, then with the frame's own SHA-256, so that
 * every object is checked by length and hash before zstd reads a byte of
 * it.  The kit's manifest.json is one of the objects (index.manifest).
 * The publisher's catalog of every object in the repository
 * (packs/catalog.json) is an index without a kit (kit == 0).
 *
 * JSON, compact: {"index":1, "kit":null | {"campaign":..., "office":...,
 * "version":N, "content":hex, "manifest":[hex, size]}, "packs":[hex, ...],
 * "objects":[[hex, size, pack, offset, stored, null | stored-hex], ...],
 * optionally "deltas":[[hex, base-hex, pack, offset, stored, stored-hex],
 * ...]} (struct kit_manifest_delta: the file is one of the objects, the
 * base is another content, both at most KIT_INDEX_DELTA_MAX bytes, a pair
 * listed once).
 * One parser, one strictness: every member required, no other; hex is
 * 64 lower-case digits; object digests distinct; pack numbers in range and
 * packs distinct; offset + stored does not overflow; a raw object's
 * stored length is its size; a zstd object is at most size + size/64 +
 * 1024 stored bytes (what zstd can need for incompressible data); the
 * manifest object is listed; at most KIT_INDEX_OBJECTS_MAX objects and
 * KIT_INDEX_PACKS_MAX packs.
 */
#define KIT_INDEX_MAX (256u << 20)    /* a catalog; a kit's is smaller */
#define KIT_INDEX_KIT_MAX (32u << 20) /* what kit-fetch accepts */
#define KIT_INDEX_OBJECTS_MAX 2000000
#define KIT_INDEX_PACKS_MAX 100000

struct kit_manifest_object {
	char sha256[KIT_SHA256_HEX];        /* the file's content */
	uint64_t size;                      /* the file's size */
	size_t pack;                        /* index into packs[] */
	uint64_t offset, stored;            /* the stored bytes in the pack */
	int zstd;                           /* 1: a zstd frame of the file */
	char stored_sha256[KIT_SHA256_HEX]; /* of the frame, when zstd */
};

/* A zstd frame of the file sha256 made with the file base_sha256 as its
 * prefix (zstd's "patch-from"): what an office that has the base fetches
 * instead of the whole object.  The file itself is also in objects[]. */
struct kit_manifest_delta {
	char sha256[KIT_SHA256_HEX];
	char base_sha256[KIT_SHA256_HEX];
	size_t pack;
	uint64_t offset, stored;
	char stored_sha256[KIT_SHA256_HEX];
};
/* Base and result of a delta are at most this big (the zstd window that
 * holds the base stays within the fetcher's 8 MiB). */
#define KIT_INDEX_DELTA_MAX (4u << 20)

struct kit_manifest_index {
	int kit; /* 0: a catalog (the members below are empty) */
	char *campaign, *office;
	int version;
	char content[KIT_SHA256_HEX];
	char manifest_sha256[KIT_SHA256_HEX];
	uint64_t manifest_size;
	char (*packs)[KIT_SHA256_HEX];
	size_t n_packs;
	struct kit_manifest_object *objects;
	size_t n_objects;
	struct kit_manifest_delta *deltas;
	size_t n_deltas;
	/* private: digest lookup (open addressing), capacities */
	size_t *slots, n_slots, cap, delta_cap;
};

/* An empty index (a catalog); never NULL.  Free with _index_free. */
struct kit_manifest_index *kit_manifest_index_new(void);
void kit_manifest_index_free(struct kit_manifest_index *ix);
/*
 * Parse an index (len <= KIT_INDEX_MAX) by the rules above.  where names
 * it in messages.  NULL with KIT_E_INVALID when it breaks any rule (the
 * caller decides whether that is a security refusal).  Caller frees.
 */
struct kit_manifest_index *kit_manifest_index_parse(const void *json,
						    size_t len,
						    const char *where,
						    struct kit_error *err) KIT_WUR;
/* The index as compact JSON with objects in (pack, offset) order, into
 * *out (caller frees); KIT_E_INVALID when it breaks a rule above. */
int kit_manifest_index_write(struct kit_manifest_index *ix, char **out,
			     size_t *len, struct kit_error *err) KIT_WUR;
/* Append a copy of d. */
void kit_manifest_index_add_delta(struct kit_manifest_index *ix,
				  const struct kit_manifest_delta *d);
/* The object with this content digest, or NULL. */
const struct kit_manifest_object *
kit_manifest_index_find(const struct kit_manifest_index *ix,
			const char *sha256);
/* Pack number of hex, added when new. */
size_t kit_manifest_index_pack(struct kit_manifest_index *ix, const char *hex);
/* Append a copy of o (its pack number is ix's), replacing none; the
 * digest lookup stays valid.  Returns the new object. */
struct kit_manifest_object *
kit_manifest_index_add(struct kit_manifest_index *ix,
		       const struct kit_manifest_object *o);

#endif
