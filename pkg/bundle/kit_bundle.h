/*
 * kit_bundle.h: deterministic kit archives (.tar.zst), the streaming
 * verified extractor, and atomic installation of kits on an office machine.
 *
 * Archive format (see DESIGN.md "Bundle"): pax-restricted tar (plain ustar
 * headers unless a name needs pax), zstd-compressed; "manifest.json" first,
 * then every other entry sorted by path (bytewise), each parent directory as
 * its own entry (mode 0755) before its contents, files mode 0644, uid/gid 0,
 * empty uname/gname, one fixed mtime, no atime/ctime, no extended attributes.
 * Same input -> byte-identical output.
 *
 * Installed layout (DESIGN.md "Fetcher state"):
 *   <state>/lock                         kit_bundle_lock()
 *   <state>/staging/<anything>           extraction targets, cleaned by
 *                                        kit_bundle_clean_staging()
 *   <state>/kits/<campaign>/             "kit_dir" below
 *       releases/<version>/              one directory per installed version
 *       current -> releases/<version>    symlink, replaced by rename()
 *
 * Error classes: KIT_E_SECURITY for everything an archive or an installed
 * tree can be blamed for (unsafe or unexpected entries, hash and size
 * mismatches, bombs, corrupt compressed data), KIT_E_IO for the local
 * machine (disk, permissions, lock held), KIT_E_INVALID for bad arguments.
 * Messages name the file or entry (sanitised for the terminal) and carry
 * libarchive's or the system's own reason.
 */
#ifndef KIT_BUNDLE_H
#define KIT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "kit_manifest.h"
#include "kit_util.h"

/* ---------------------------------------------------------------- writer */

/*
 * Default zstd level, by measurement (139 MB synthetic kit, one third
 * random media, two core VM, zstd -T1): level 3 1.0 s / 91.0 MB, 9 2.5 s /
 * 89.2 MB, 15 31 s / 87.1 MB, 19 97 s / 86.8 MB.  Past 9 the time grows
 * tenfold for 2-3% less, so 9.
 */
#define KIT_BUNDLE_ZSTD_DEFAULT 9

/*
 * One archive member.  path is relative, '/'-separated, passes
 * kit_path_is_safe() and is not "manifest.json".  The content comes from
 * the regular file src (beneath src_dir, see kit_bundle_write; streamed
 * in 1 MiB blocks, never held whole in memory) or, when src is NULL, from
 * data/len.  The writer does not keep any of these pointers.
 */
struct kit_bundle_entry {
	const char *path;
	const char *src;
	const void *data;
	size_t len;
};

/*
 * Write the archive to out_path: manifest (manifest_len bytes, stored as
 * "manifest.json") first, then the entries sorted by path with their
 * parent directories.  Entries may be given in any order.  Each src is
 * opened beneath the open directory src_dir without following a link at
 * any component, a regular file only (kit_file_open_read: a campaign's
 * `media` linked elsewhere is refused, KIT_E_IO); with AT_FDCWD a src is
 * a plain path whose last component is not followed.  mtime (>= 0) is
 * the fixed timestamp of every member; zstd_level is 1..19 (0 =
 * KIT_BUNDLE_ZSTD_DEFAULT).  Levels 20-22 are refused: their 128 MiB+
 * window would be the reader's memory too.
 * Compressed by one libzstd worker thread in fixed 4 MiB jobs (output
 * independent of timing; ~40 MiB of zstd state at level 9).
 * Written to out_path.tmp, fsync'd, renamed over out_path, parent fsync'd;
 * on failure out_path is untouched and out_path.tmp removed.
 * An archive that every office would refuse by the extractor's default
 * limits (kit_bundle_limits_default: members, unpacked bytes, expansion
 * ratio) or a manifest over KIT_MANIFEST_MAX is not written: KIT_E_INVALID, "unpacks to N
 * bytes from M, over ..." naming its largest file.
 * Errors: KIT_E_INVALID (unsafe or duplicate paths, a path that is both a
 * file and a directory, bad level, over the offices' limits), KIT_E_IO
 * (source or output files, including a source that changes size while
 * being read).
 */
int kit_bundle_write(const char *out_path, const void *manifest,
		     size_t manifest_len, const struct kit_bundle_entry *entries,
		     size_t n, int src_dir, int64_t mtime, int zstd_level,
		     struct kit_error *err) KIT_WUR;

/* ------------------------------------------------------------- extractor */

struct kit_bundle_limits {
	uint64_t max_total;   /* decompressed bytes (tar stream and file data) */
	uint64_t max_ratio;   /* decompressed bytes / archive file size */
	uint64_t max_entries; /* archive members, directories included */
};

/* 4 GiB, 200, KIT_MANIFEST_FILES_MAX (100000).  manifest.json has its
 * format's one cap, KIT_MANIFEST_MAX. */
struct kit_bundle_limits kit_bundle_limits_default(void);

/*
 * Called once manifest.json has been read and parsed by its owner
 * (kit_manifest_parse: every rule of the format checked), before any
 * other entry is written.  Return 0 to go on, -1 to refuse (set err; if
 * left unset the refusal is KIT_E_SECURITY).
 */
typedef int (*kit_bundle_check_fn)(const struct kit_manifest *manifest,
				   void *arg, struct kit_error *err);

/*
 * A ready-made check for kit_bundle_extract(): arg is the signed target's
 * struct kit_manifest_target (kit_manifest_target_read), and the manifest
 * must be the kit it describes (kit_manifest_target_check: NULL strings
 * and version 0 are not checked).
 */
int kit_bundle_check_expect(const struct kit_manifest *manifest, void *arg,
			    struct kit_error *err) KIT_WUR;

/*
 * Extract archive_path into staging_dir in one streaming pass.
 *
 * The caller must already have checked the archive's length and hash
 * against signed metadata; this function still treats every byte as
 * hostile.  staging_dir must not exist (it is created, mode 0755; its
 * parent is created if missing).  The first member must be manifest.json
 * (at most KIT_MANIFEST_MAX bytes, accepted by kit_manifest_parse, with at
 * most lim->max_entries files); then check(manifest,
 * check_arg) runs (check may be NULL); then each member is written with
 * open(O_EXCL|O_NOFOLLOW) while it is hashed (SHA-256) and compared with
 * files[].  Refused with KIT_E_SECURITY: ".." or absolute paths, "." or
 * empty components, names over 255 bytes per component or 4095 in all,
 * names that are not valid UTF-8 (or contain control characters), names
 * that collide after case folding (ASCII, Latin-1, Latin Extended-A, Greek
 * and Cyrillic simple lower-casing; no Unicode normalisation), symlinks,
 * hard links, devices, FIFOs, sockets, sparse files, setuid/setgid/sticky
 * bits, duplicate members, members not in the manifest (directories must be a
 * parent of a manifest file), manifest files missing from the archive,
 * size or hash mismatches, more members than lim->max_entries, more than
 * lim->max_total decompressed bytes or a ratio over lim->max_ratio
 * (checked as data streams, so a bomb stops early), a manifest that is
 * not first or malformed, an archive that is not a zstd-compressed tar,
 * a zstd frame declaring a window over 8 MiB (level 19's; the reader
 * would have to allocate it), and corrupt or truncated compressed data.
 * KIT_E_IO for local disk errors.  lim may be NULL (defaults).  A second
 * thread reads and decompresses the archive ahead of the parser.
 *
 * On success staging_dir holds manifest.json and every file (not yet
 * fsync'd: kit_bundle_install() does that in one pass) and, if
 * manifest_out is not NULL, *manifest_out is the parsed manifest (caller
 * kit_manifest_free()s it).  On failure staging_dir is removed and
 * *manifest_out is NULL.  Memory use does not depend on file sizes (three
 * 2 MiB chunks of decompressed data, a 1 MiB read buffer and zstd's window
 * of at most 8 MiB); it grows only with the number of members.
 */
int kit_bundle_extract(const char *archive_path, const char *staging_dir,
		       const struct kit_bundle_limits *lim,
		       kit_bundle_check_fn check, void *check_arg,
		       struct kit_manifest **manifest_out,
		       struct kit_error *err) KIT_WUR;

/* ---------------------------------------------------------- installation */

#define KIT_BUNDLE_KEEP_DEFAULT 3

/*
 * Install an extracted staging_dir as release `version` (>= 1) of the kit
 * in kit_dir (created if missing): fsync every file and directory of
 * staging in one pass, rename it to kit_dir/releases/<version>/ (a leftover
 * of that name from an interrupted run is replaced; when it is the current
 * release it is swapped atomically with renameat2(RENAME_EXCHANGE) where
 * the kernel offers it), fsync, point kit_dir/current.new at
 * releases/<version> and rename() it over kit_dir/current, fsync kit_dir.
 * Then prune: keep the `keep` highest versions (keep <= 0: 3) plus the
 * current one; pruning is best effort and never fails the install.
 * A crash at any moment leaves current on the old or on the new release.
 * staging_dir must be on the same file system as kit_dir.
 * kit_dir and kit_dir/releases are opened without following a link and
 * refused unless this user owns them and no one else may write to them;
 * everything below is reached through those descriptors, only real
 * directories count as releases, and removal never traverses a link.
 * Errors: KIT_E_IO (disk, permissions, not a directory, refused as
 * above), KIT_E_INVALID.  On failure current is unchanged.
 */
int kit_bundle_install(const char *kit_dir, const char *staging_dir,
		       int version, int keep, struct kit_error *err) KIT_WUR;

/*
 * Switch current to the highest release lower than the current one,
 * atomically, with kit_dir checked as for kit_bundle_install(), once that
 * release is re-hashed against its manifest (kit_bundle_verify_release():
 * releases share unchanged files, so an edit elsewhere may have reached
 * it).  KIT_E_INVALID when there is no kit or no earlier release,
 * KIT_E_SECURITY when that release differs from its manifest (current is
 * left as it is), KIT_E_IO on disk errors and refusals.
 */
int kit_bundle_rollback(const char *kit_dir, struct kit_error *err) KIT_WUR;

/*
 * The version current points to, or 0 (and success) when no kit is
 * installed.  KIT_E_SECURITY when current is not a symlink to
 * releases/<decimal>, KIT_E_IO on other errors.
 */
int kit_bundle_current_version(const char *kit_dir, int *version,
			       struct kit_error *err) KIT_WUR;

enum kit_bundle_problem {
	KIT_BUNDLE_CHANGED = 1, /* size or hash differs, or not a regular file */
	KIT_BUNDLE_MISSING = 2, /* in the manifest, not on disk */
	KIT_BUNDLE_EXTRA = 3,   /* on disk, not in the manifest */
};
/* path is relative to the release; detail is a short reason. */
typedef void (*kit_bundle_report_fn)(enum kit_bundle_problem what,
				     const char *path, const char *detail,
				     void *arg);

/*
 * Re-hash the current release against its manifest.json; call report
 * (may be NULL) for each changed, missing or extra file; KIT_E_SECURITY
 * "N files differ" when there is any, and when its manifest.json no
 * longer parses (kit_manifest_load); KIT_E_IO / KIT_E_INVALID when the kit
 * or its manifest cannot be read.  The manifest itself is trusted as
 * installed: compare its content digest with signed metadata to check it.
 */
int kit_bundle_verify(const char *kit_dir, kit_bundle_report_fn report,
		      void *arg, struct kit_error *err) KIT_WUR;

/*
 * kit_bundle_verify() for releases/<version> of kit_dir, current or not,
 * after check(manifest, check_arg) accepted its manifest.json (check may
 * be NULL; kit_bundle_check_expect() compares it with a signed target;
 * a refusal is KIT_E_SECURITY, the message prefixed with the manifest's
 * path).  KIT_E_IO when the release or its manifest cannot be read.
 */
int kit_bundle_verify_release(const char *kit_dir, int version,
			      kit_bundle_check_fn check, void *check_arg,
			      kit_bundle_report_fn report, void *arg,
			      struct kit_error *err) KIT_WUR;

/*
 * Point current at releases/<version> (already on disk, checked by the
 * caller, e.g. with kit_bundle_verify_release()) atomically, as
 * kit_bundle_install() does.  KIT_E_INVALID when that release is not a
 * directory on disk, KIT_E_IO.
 */
int kit_bundle_switch(const char *kit_dir, int version,
		      struct kit_error *err) KIT_WUR;

/*
 * A fingerprint of releases/<version> without reading any file: SHA-256
 * over every entry's relative name, mode, size, inode, mtime and ctime
 * (nanoseconds), in name order, from lstat (no link is followed below
 * kit_dir), into hex[KIT_SHA256_HEX].  Any write, truncation, chmod,
 * rename, creation or removal below the release changes it (the kernel
 * sets ctime; only root moving the clock could set it back), so a caller
 * that fully verified a release and kept its stamp need not re-hash it
 * while the stamp is the same.  KIT_E_INVALID when the release is not on
 * disk, KIT_E_SECURITY for more than 64 levels or 200000 entries,
 * KIT_E_IO.
 */
int kit_bundle_release_stamp(const char *kit_dir, int version, char *hex,
			     struct kit_error *err) KIT_WUR;

/*
 * Take the exclusive lock state_dir/lock (fcntl F_SETLK, never waits) and
 * write our pid into it; *fd receives the descriptor to pass to
 * kit_bundle_unlock().  KIT_E_IO "another kit-fetch is running (pid N)"
 * when held, KIT_E_IO when state_dir is not writable or the lock is not a
 * regular file of this user with one link (kit_file_open_write: a planted
 * second link would have our pid written into a file elsewhere).  fcntl
 * locks belong to the process: do not open and close state_dir/lock
 * elsewhere while holding it (closing any descriptor of it drops the
 * lock).
 */
int kit_bundle_lock(const char *state_dir, int *fd, struct kit_error *err) KIT_WUR;
/* Release and close; fd < 0 is a no-op. */
void kit_bundle_unlock(int fd);

/* Remove everything under state_dir/staging/ (left by a crash); hold the
 * lock.  A missing staging directory is fine.  staging must be a real
 * directory of this user that no one else may write to (else KIT_E_IO:
 * a link there would empty the directory it points to); nothing below it
 * is traversed through a link.  KIT_E_IO on errors. */
int kit_bundle_clean_staging(const char *state_dir, struct kit_error *err) KIT_WUR;

/* ------------------------------------------------ packs of stored objects */

/*
 * A pack (repository file packs/<sha256>.pack) is the stored bytes of
 * objects laid end to end, nothing else: where each one is and how it is
 * stored is in a kit index (kit_manifest.h).  Written once by one publish
 * with the objects that publish added and no earlier pack holds; never
 * changed afterwards.
 *
 * kit_bundle_pack_new: a new pack file at path (O_EXCL, mode 0644);
 * zstd_level as kit_bundle_write.  KIT_E_IO, KIT_E_INVALID.
 * kit_bundle_pack_add: append one file, from src beneath src_dir (as
 * kit_bundle_entry) or data/len, whose content digest and size the caller
 * put in o->sha256 and o->size (from the kit's manifest): stored as a zstd
 * frame when that is smaller (a sample of its first 128 KiB is tried
 * first, so an image or video is not compressed for nothing), else raw;
 * fills o->offset, o->stored, o->zstd, o->stored_sha256 (o->pack is the
 * caller's).  A source whose bytes do not hash to o->sha256 (changed
 * since the manifest was made) is KIT_E_IO, and the pack keeps nothing of
 * it.  kit_bundle_pack_size: bytes so far.
 * kit_bundle_pack_finish: sync (kit_fd_sync: deferred in a batch) and
 * close, its SHA-256 into hex.  kit_bundle_pack_free: close, and remove
 * the file unless finished.
 */
struct kit_bundle_pack;
struct kit_bundle_pack *kit_bundle_pack_new(const char *path, int zstd_level,
					    struct kit_error *err) KIT_WUR;
int kit_bundle_pack_add(struct kit_bundle_pack *p, int src_dir,
			const char *src, const void *data, size_t len,
			struct kit_manifest_object *o,
			struct kit_error *err) KIT_WUR;
uint64_t kit_bundle_pack_size(const struct kit_bundle_pack *p);
/* Append len bytes as they are (a delta made by kit_bundle_delta_make);
 * *offset receives where.  KIT_E_IO. */
int kit_bundle_pack_add_raw(struct kit_bundle_pack *p, const void *data,
			    size_t len, uint64_t *offset,
			    struct kit_error *err) KIT_WUR;
/*
 * A zstd frame of data made with base as its prefix (zstd's patch-from,
 * ZSTD_CCtx_refPrefix; window large enough for the base, both at most
 * KIT_INDEX_DELTA_MAX bytes), into *out (caller frees), and its SHA-256
 * into stored_hex.  KIT_E_INVALID.
 */
int kit_bundle_delta_make(const void *base, size_t base_len, const void *data,
			  size_t len, int zstd_level, unsigned char **out,
			  size_t *out_len, char stored_hex[KIT_SHA256_HEX],
			  struct kit_error *err) KIT_WUR;
/*
 * Object o of ix (stored in packs/<hex>.pack beneath repo_dir, as the
 * publisher wrote it) read back into memory, decoded and checked against
 * its SHA-256; at most KIT_INDEX_DELTA_MAX bytes.  *out caller frees.
 * KIT_E_IO, KIT_E_INVALID for bytes that do not match.
 */
int kit_bundle_object_read_local(const char *repo_dir,
				 const struct kit_manifest_index *ix,
				 const struct kit_manifest_object *o,
				 unsigned char **out, size_t *len,
				 struct kit_error *err) KIT_WUR;
int kit_bundle_pack_finish(struct kit_bundle_pack *p,
			   char hex[KIT_SHA256_HEX],
			   struct kit_error *err) KIT_WUR;
void kit_bundle_pack_free(struct kit_bundle_pack *p);

/*
 * Where the bytes of a range go, as they arrive (kit-fetch hands this to
 * kit_transport_fetch_range, whose sink it is field for field): held()
 * before each transfer says how many bytes from the range's start are
 * had; write() takes the next n and answers 0, -1 (err set: stop with
 * it), KIT_BUNDLE_SINK_BAD (err->msg says why: these are wrong bytes, ask
 * the next mirror from held()) or KIT_BUNDLE_SINK_AGAIN (bytes kept from
 * an earlier try may be what is wrong: ask again from held()); rewind()
 * forgets an unfinished object's bytes.
 */
#define KIT_BUNDLE_SINK_BAD 1
#define KIT_BUNDLE_SINK_AGAIN 2
struct kit_bundle_sink {
	uint64_t (*held)(void *arg);
	int (*write)(void *arg, const void *buf, size_t n,
		     struct kit_error *err);
	void (*rewind)(void *arg);
	void *arg;
};

/*
 * Fetch bytes [offset, offset + len) of pack pack_hex into sink (kit-fetch:
 * one HTTP Range request from where sink->held() says; a mirror whose bytes
 * the sink refuses is skipped and the next one asked).  0 or -1 with err
 * set.
 */
typedef int (*kit_bundle_range_fn)(void *arg, const char *pack_hex,
				   uint64_t offset, uint64_t len,
				   const struct kit_bundle_sink *sink,
				   struct kit_error *err);

/*
 * One object of ix fetched through fetch into memory (at most max bytes):
 * its stored bytes are held in memory and checked by length and SHA-256
 * before zstd reads them, decoded with at most o->size bytes out, and the
 * result checked against o->sha256.  *out (NUL-terminated) caller frees.
 * With base (base_len bytes, may be NULL) and a delta of o from it in ix,
 * the delta is fetched instead and decoded with base as its prefix.
 * KIT_E_SECURITY for bytes that do not match, KIT_E_IO, the fetch's own.
 */
int kit_bundle_object_fetch(const struct kit_manifest_index *ix,
			    const struct kit_manifest_object *o,
			    const void *base, size_t base_len, size_t max,
			    kit_bundle_range_fn fetch, void *arg,
			    unsigned char **out, size_t *len,
			    struct kit_error *err) KIT_WUR;
/* The release a new one is assembled from: its open directory, its parsed
 * manifest, and whether its files are known to match it (a verified
 * stamp); when not, each file is hashed before it is reused. */
struct kit_bundle_base {
	int dirfd;
	const struct kit_manifest *m;
	int trusted;
};

struct kit_bundle_assembly {
	size_t reused;   /* files taken from the base */
	size_t fetched;  /* objects fetched */
	size_t deltas;   /* of them, as deltas from a base file */
	size_t spans;    /* range requests */
	uint64_t stored; /* stored bytes fetched */
};

/*
 * Build staging_dir (must not exist; created) as the kit m (already
 * parsed from manifest, the verified bytes of its manifest.json, and
 * checked against the signed target by the caller) from the objects of
 * ix: every file whose content the base release holds (same SHA-256 and
 * size) is hard-linked from it (copied when a link is not possible), the
 * others are fetched with one range request per run of objects close
 * together in a pack (within 4 KiB; with no base, a first install, gaps
 * of up to 1/8 of the bytes wanted or 64 KiB are fetched too, for fewer
 * requests), in one pass as the bytes arrive: each object's stored bytes
 * are hashed as they come and count only with the index's length and
 * SHA-256 (else KIT_BUNDLE_SINK_BAD: the next mirror is asked); a raw
 * object is written as it arrives, straight into staging with
 * O_EXCL|O_NOFOLLOW, or, from 1 MiB, into the part file
 * work_dir/obj.<campaign>.<sha256>.part, which a later run resumes where
 * this one was cut off and which becomes the staging file once checked;
 * a zstd frame is held in memory (over 8 MiB, in such a part file) and
 * decoded, as kit_bundle_object_fetch does, only once its hash is right.
 * Part files of this campaign's objects not wanted now, and span files
 * of an earlier kit-fetch, are removed from work_dir first.  A file with
 * a delta in ix from a file the base holds (checked by its hash first)
 * is fetched as that delta when it is smaller.
 * Two paths with the same content are one object.  Refused
 * (KIT_E_SECURITY) before anything is fetched: a file ix does not list
 * with its size, paths that collide when case is ignored (as the
 * extractor folds them) or a file that is also a directory, more files
 * than lim->max_entries or more bytes than lim->max_total (lim may be
 * NULL: defaults).  When the stored bytes to fetch are more than max_fetch
 * nothing is written and 1 is returned (the caller downloads the whole
 * archive instead).  On failure staging_dir is removed.  *st (may be
 * NULL) receives what was done.
 */
int kit_bundle_assemble(const char *staging_dir, const void *manifest,
			size_t manifest_len, const struct kit_manifest *m,
			const struct kit_manifest_index *ix,
			const struct kit_bundle_base *base,
			const char *work_dir, uint64_t max_fetch,
			const struct kit_bundle_limits *lim,
			kit_bundle_range_fn fetch, void *arg,
			struct kit_bundle_assembly *st,
			struct kit_error *err) KIT_WUR;

#endif
