/*
 * kit_util.h: errors, files, atomic writes and time, shared by every module.
 *
 * Errors: every fallible function takes a caller-owned `struct kit_error *`
 * as its last parameter, returns 0 (or a non-NULL pointer) on success and
 * -1 (or NULL) on failure, having filled the error.  The first error set
 * wins: kit_err() never overwrites a message already there, so the deepest,
 * most precise reason survives; kit_err_prefix() adds "where" as it rises.
 *
 * The error class picks the exit code, the same in all three programs:
 *   0 success, 1 invalid input or internal failure, 2 usage,
 *   3 verification refused, 4 network or transport, 5 local I/O.
 */
#ifndef KIT_UTIL_H
#define KIT_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define KIT_WUR __attribute__((warn_unused_result))
#define KIT_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define KIT_VERSION "0.1.0"

enum kit_errc {
	KIT_E_OK = 0,
	KIT_E_INVALID = 1,  /* bad input, internal failure */
	KIT_E_USAGE = 2,    /* bad command line */
	KIT_E_SECURITY = 3, /* verification refused */
	KIT_E_NETWORK = 4,  /* network or transport */
	KIT_E_IO = 5,       /* local disk, permissions, lock */
};

struct kit_error {
	enum kit_errc code;
	char msg[512];
};

/* Set err (unless already set) and return -1.  err may be NULL. */
int kit_err(struct kit_error *err, enum kit_errc code, const char *fmt, ...)
	KIT_PRINTF(3, 4);
/* Like kit_err() with ": <strerror(errno_value)>" appended. */
int kit_err_errno(struct kit_error *err, enum kit_errc code, int errno_value,
		  const char *fmt, ...) KIT_PRINTF(4, 5);
/* Put "<prefix>: " in front of a set message (context as it rises). */
void kit_err_prefix(struct kit_error *err, const char *fmt, ...)
	KIT_PRINTF(2, 3);
/* Append "; <text>" to a set message (what to do, where only the caller
 * knows it); a message too long for it is left as it was. */
void kit_err_suffix(struct kit_error *err, const char *fmt, ...)
	KIT_PRINTF(2, 3);
/* Set the message from OpenSSL's error queue (drained) after fmt. */
int kit_err_ssl(struct kit_error *err, enum kit_errc code, const char *fmt,
		...) KIT_PRINTF(3, 4);
void kit_err_clear(struct kit_error *err);
/* Pass src on to dst (unless dst is set already) and return -1: for an
 * error kept aside and reported later.  An unset src becomes an internal
 * error, so a failure never passes on as success. */
int kit_err_copy(struct kit_error *dst, const struct kit_error *src);
/* Exit code for an error class. */
int kit_err_exit_code(const struct kit_error *err);
/*
 * The end of every program's failure path: print err on f as one line,
 * "<prog>: <message>", sanitised for a terminal (kit_str_sanitize), and
 * return the exit code of its class.  An error that was never set (class
 * OK or an empty message, a bug in the caller) is reported as an internal
 * error and returns 1: a failure never exits 0.
 */
int kit_err_report(const char *prog, const struct kit_error *err, FILE *f);
/* A usage error, reported the same way: "<prog>: <what>; see '<prog>
 * --help'"; returns 2. */
int kit_err_report_usage(const char *prog, FILE *f, const char *fmt, ...)
	KIT_PRINTF(3, 4);

/*
 * Strings.  kit_strdup() never returns NULL (aborts on out-of-memory, as
 * there is nothing sensible to do).  kit_snprintf() returns -1 on
 * truncation with KIT_E_INVALID.
 */
char *kit_strdup(const char *s);
void *kit_xmalloc(size_t n);
void *kit_xcalloc(size_t n, size_t size);
void *kit_xrealloc(void *p, size_t n);
int kit_snprintf(struct kit_error *err, char *buf, size_t size,
		 const char *fmt, ...) KIT_PRINTF(4, 5) KIT_WUR;
/* Newly allocated formatted string; never NULL. */
char *kit_aprintf(const char *fmt, ...) KIT_PRINTF(1, 2);
int kit_str_has_prefix(const char *s, const char *prefix);
int kit_str_has_suffix(const char *s, const char *suffix);
/* Hex encode len bytes into out (2*len+1 bytes). */
void kit_hex_encode(const unsigned char *in, size_t len, char *out);
/* Decode exactly outlen bytes of lowercase/uppercase hex; -1 if malformed. */
int kit_hex_decode(const char *hex, unsigned char *out, size_t outlen) KIT_WUR;
/* 1 if s is valid UTF-8 without NUL or C0 controls other than \t \n, and
 * \r only before \n (CR LF). */
int kit_utf8_valid(const char *s, size_t len);
/* Copy s into out (size bytes), replacing invalid UTF-8 and what a
 * terminal would obey by '?' (C0, DEL and C1 controls, bidirectional
 * overrides and isolates, line and paragraph separators), so untrusted
 * text can be printed on a terminal. */
void kit_str_sanitize(const char *s, char *out, size_t size);
/* The first character of the UTF-8 string s that text never needs and a
 * display obeys rather than shows: a C1 control (U+0080-U+009F), a
 * bidirectional embedding, override or isolate (U+202A-U+202E,
 * U+2066-U+2069) or a line or paragraph separator (U+2028, U+2029); its
 * code point in *cp.  NULL when there is none (or s is not UTF-8 there). */
const char *kit_str_hidden_control(const char *s, unsigned *cp);
/*
 * Strings with their positions, sorted to be found in O(log n): ids and
 * file names of a campaign's lists, where a scan per item would make
 * validation quadratic.  The strings are borrowed.
 */
struct kit_strpos {
	const char *s;
	size_t pos;
};
/* Sort by string, then by position (equal strings keep their order). */
void kit_strpos_sort(struct kit_strpos *v, size_t n);
/* The first entry (lowest position) for s in sorted v, or NULL. */
const struct kit_strpos *kit_strpos_find(const struct kit_strpos *v,
					 size_t n, const char *s);
/* Jansson's error text (json_error_t.text) for input that is not trusted,
 * without the input's own bytes it quotes (" near '...'"), sanitised:
 * what is wrong, never what the file holds (it may not be ours to show). */
void kit_json_reason(const char *text, char *out, size_t size);
/* 1 if a spreadsheet opening s in a CSV cell would run it as a formula:
 * it starts with = + - @ tab or CR (OWASP's CSV injection list). */
int kit_str_is_formula(const char *s);
/* Parse a count from the command line: decimal digits only (no sign, no
 * space), then, when suffixes are allowed, one of k/K (x1024), m/M
 * (x1024^2) or g/G (x1024^3).  -1 unless the value, suffix applied, is
 * min..max (max at most INT64_MAX); no overflow on the way. */
int kit_num_parse(const char *s, uint64_t min, uint64_t max,
		  int allow_suffix, int64_t *out) KIT_WUR;
/* Edits between a and b, ignoring ASCII case: insertions, deletions,
 * substitutions and swaps of two neighbours (optimal string alignment).
 * Strings longer than 64 bytes count as far from everything. */
size_t kit_str_distance(const char *a, const char *b);
/* For "did you mean": the candidate (of n, or up to a NULL entry) closest
 * to s, if it is at most max edits away, closer than s is long, and no
 * other candidate is as close; else NULL. */
const char *kit_str_closest(const char *s, const char *const *cands,
			    size_t n, size_t max);
/* The longest id, of every kind: campaign, office, post, TUF role. */
#define KIT_ID_MAX 64
/* 1 if s (may be NULL: 0) is 1..KIT_ID_MAX bytes of a-z 0-9 '-' (campaign
 * and office ids, platforms), plus A-Z '.' '_' when allow_upper_dot (post
 * ids, role names).  The one id check: every reader and writer of an id
 * asks it. */
int kit_str_is_id(const char *s, int allow_upper_dot);

/*
 * Files.  Paths are plain strings; nothing follows a symlink where a
 * symlink could be planted (O_NOFOLLOW).  Every read has a hard cap.
 */
/* Read the whole file (at most max bytes, else KIT_E_SECURITY "larger than
 * allowed").  *out is NUL-terminated, caller frees.  KIT_E_IO on errors,
 * and for anything but a regular file (opened as kit_file_open_read()). */
int kit_file_read(const char *path, size_t max, unsigned char **out,
		  size_t *len, struct kit_error *err) KIT_WUR;
/* The same for path beneath the directory dirfd (see kit_file_open_read). */
int kit_file_read_at(int dirfd, const char *path, size_t max,
		     unsigned char **out, size_t *len,
		     struct kit_error *err) KIT_WUR;
/* The same from the open regular file fd (shown names it in messages). */
int kit_fd_read_all(int fd, const char *shown, size_t max,
		    unsigned char **out, size_t *len,
		    struct kit_error *err) KIT_WUR;
/* Write buf to path atomically: path.tmp.<pid>, fsync, rename, fsync dir. */
int kit_file_write_atomic(const char *path, const void *buf, size_t len,
			  mode_t mode, struct kit_error *err) KIT_WUR;
/* Write buf to a new file (O_EXCL): fails if it exists. */
int kit_file_write_excl(const char *path, const void *buf, size_t len,
			mode_t mode, struct kit_error *err) KIT_WUR;
/* Copy a regular file (no symlinks) to dst atomically. */
int kit_file_copy(const char *src, const char *dst, mode_t mode,
		  struct kit_error *err) KIT_WUR;
/* write() all of buf, retrying on EINTR; -1 with errno set on failure. */
int kit_fd_write_all(int fd, const void *buf, size_t len) KIT_WUR;
/* Read the regular file at path (no symlink) in large blocks, calling
 * fn(arg, block, n) for each; *len (may be NULL) receives the size read.
 * KIT_E_IO on errors.  Memory stays flat whatever the size. */
int kit_file_stream(const char *path,
		    void (*fn)(void *arg, const void *p, size_t n), void *arg,
		    uint64_t *len, struct kit_error *err) KIT_WUR;
int kit_file_stream_at(int dirfd, const char *path,
		       void (*fn)(void *arg, const void *p, size_t n),
		       void *arg, uint64_t *len, struct kit_error *err) KIT_WUR;
int kit_file_exists(const char *path);
int kit_dir_exists(const char *path);
int kit_mkdir_p(const char *path, mode_t mode, struct kit_error *err) KIT_WUR;
/* Remove a file or a whole tree; ENOENT is ok.  No link is followed or
 * traversed, at path or below it (kit_rm_rf_at(AT_FDCWD, path, path)). */
int kit_rm_rf(const char *path, struct kit_error *err) KIT_WUR;
int kit_fsync_path(const char *path, struct kit_error *err) KIT_WUR;
/*
 * A batch of files made durable at once (kit-publish writing hundreds of
 * kits, their signatures and roles): after kit_file_defer_begin(),
 * kit_file_write_atomic(), kit_file_write_excl(), kit_file_copy(),
 * kit_fsync_path() and kit_fd_sync() still write and rename as before but
 * do not wait for the disk; kit_file_defer_end() makes the whole file
 * system of dir durable with one syncfs() and ends the batch (calls nest;
 * the outermost end syncs).  A caller must end the batch before it writes
 * anything that names the batch's files.  Not thread-safe.
 */
void kit_file_defer_begin(void);
int kit_file_defer_end(const char *dir, struct kit_error *err) KIT_WUR;
/* fsync(fd), or nothing inside a batch. */
int kit_fd_sync(int fd);
/* fsync the directory containing path. */
int kit_fsync_parent(const char *path, struct kit_error *err) KIT_WUR;
/* Join a and b with one '/', into out (size); KIT_E_INVALID if too long. */
int kit_path_join(char *out, size_t size, const char *a, const char *b,
		  struct kit_error *err) KIT_WUR;
/* 1 if rel is a safe relative path: not empty, not absolute, no "." or
 * ".." component, no empty component, no backslash, valid UTF-8. */
int kit_path_is_safe(const char *rel);

/*
 * Directories where someone else may have planted links: a state
 * directory, removable media, a campaign directory.  Open the top once and
 * walk below it with these; nothing here follows a symbolic link at any
 * step below the directory descriptor it is given.  Errors are KIT_E_IO,
 * one line naming the path (`shown`, or path) and what was refused.
 */
/* Open rel (a kit_path_is_safe() path) beneath the open directory dirfd:
 * each directory on the way with O_NOFOLLOW|O_DIRECTORY (a link there is
 * ENOTDIR), the last component with flags|O_NOFOLLOW|O_CLOEXEC (a link is
 * ELOOP); mode when O_CREAT.  Returns the descriptor, or -1 with errno set
 * (EINVAL for an unsafe rel). */
int kit_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode);
/* Open an existing regular file for reading: path beneath dirfd as
 * kit_openat_beneath(), or with dirfd AT_FDCWD a plain path whose last
 * component only is not followed (the caller trusts its directories).
 * Opened O_NONBLOCK, so that a FIFO cannot block the open, then refused
 * unless fstat says regular file, then blocking again.  *st (may be NULL)
 * receives its status.  Returns the descriptor, or -1 with errno telling
 * why: ENOENT missing, ELOOP or ENOTDIR a link (or a file) on the way,
 * EINVAL something other than a regular file, others from the system. */
int kit_file_open_read(int dirfd, const char *path, struct stat *st,
		       struct kit_error *err) KIT_WUR;
/* Open path (as kit_file_open_read) for writing in place with flags
 * (O_WRONLY or O_RDWR, O_CREAT, O_APPEND, O_TRUNC) and mode: only a
 * regular file of this user with exactly one link (a second link could be
 * a file outside the directory), truncated only once that is checked. */
int kit_file_open_write(int dirfd, const char *path, int flags, mode_t mode,
			struct kit_error *err) KIT_WUR;
/* Open the directory name (one component) under dirfd without following
 * a link, creating it first (mode 0755) when create, and only if it is
 * owned by this user and writable by no one else (group or others): what
 * another user cannot write into, they cannot plant links in.  shown names
 * it in messages.  Returns the descriptor, or -1. */
int kit_dir_open_owned(int dirfd, const char *name, int create,
		       const char *shown, struct kit_error *err) KIT_WUR;
/* Open the top directory path (created with its parents when create), its
 * last component not a link.  With writer, also refuse it unless owned by
 * this user and writable by no one else, and unless every directory above
 * it is owned by root or this user and writable by no one else (or
 * sticky, as /tmp): then no other user can move the path elsewhere.
 * *canon receives the absolute path without links of what was opened
 * (caller frees); build further paths on it.  Returns the descriptor. */
int kit_dir_open_top(const char *path, int create, int writer, char **canon,
		     struct kit_error *err) KIT_WUR;
/* A stream of the entries of the open directory dirfd (its own offset;
 * dirfd stays open), for readdir() and closedir(); NULL on errors. */
DIR *kit_dir_list(int dirfd, const char *shown, struct kit_error *err) KIT_WUR;
/* Remove name beneath dirfd: a file or a link (never followed) in one
 * call, or a tree whose directories are opened O_NOFOLLOW one level at a
 * time, so that no link is ever traversed.  ENOENT is success.  At most
 * 256 levels deep (one descriptor per level).  shown names name. */
int kit_rm_rf_at(int dirfd, const char *name, const char *shown,
		 struct kit_error *err) KIT_WUR;

/*
 * A growable byte buffer with a hard cap fixed at creation.
 */
struct kit_buf {
	unsigned char *data;
	size_t len, cap, max;
};
void kit_buf_init(struct kit_buf *b, size_t max);
int kit_buf_append(struct kit_buf *b, const void *p, size_t n,
		   struct kit_error *err) KIT_WUR;
int kit_buf_printf(struct kit_buf *b, struct kit_error *err, const char *fmt,
		   ...) KIT_PRINTF(3, 4) KIT_WUR;
void kit_buf_free(struct kit_buf *b);

/*
 * Time.  Instants are int64_t seconds since the epoch, UTC.
 */
/* The clock: time(NULL); in builds with KIT_TEST_CLOCK defined (the
 * sanitizer builds the tests use), KIT_TEST_NOW (RFC 3339) when set. */
int64_t kit_time_now(void);
/* Parse RFC 3339 "YYYY-MM-DDTHH:MM:SS" with optional fraction and optional
 * offset ("Z", "+hh:mm").  *has_offset says whether one was given; without
 * it *t holds the wall-clock fields as if in UTC (a floating time), and
 * tm_out (if not NULL) the fields. */
int kit_time_parse(const char *s, int64_t *t, int *has_offset,
		   struct kit_error *err) KIT_WUR;
/* The years a kit may name (its window, posts and source date): far
 * enough for any campaign, near enough that every computation over them
 * (zone transitions for a calendar, day-by-day scans) stays cheap. */
#define KIT_YEAR_MIN 1970
#define KIT_YEAR_MAX 2199
/* 1 if the instant (or floating time) t lies in KIT_YEAR_MIN..MAX, UTC. */
int kit_time_in_years(int64_t t);
/* "2016-12-15T08:00:00Z" into out (>= 21 bytes). */
void kit_time_format_utc(int64_t t, char *out, size_t size);
/* 1 if zone names a TZif file under /usr/share/zoneinfo (IANA). */
int kit_tz_valid(const char *zone);
/* For an unknown zone: the IANA name it most likely means, from the tz
 * database's zone.tab: the same name in other case or with spaces for
 * '_', the zone whose city is zone's last part ("Nairobi" gives
 * "Africa/Nairobi"), or the one city a typo or two away.  1 and the name
 * in out, or 0. */
int kit_tz_suggest(const char *zone, char *out, size_t size);
/* The kit_tz_* conversions leave TZ set to the last zone they used and
 * remember their last results (time.c says why): nothing else in kit uses
 * local time. */
/* Resolve a floating wall-clock time (fields as from kit_time_parse without
 * offset) in zone to an instant.  Gap times (DST spring forward) move
 * forward by the gap; repeated times take the first occurrence. */
int kit_tz_local_to_utc(const char *zone, int64_t floating, int64_t *t,
			struct kit_error *err) KIT_WUR;
/* Broken-down local time of instant t in zone, with its UTC offset in
 * seconds and the zone abbreviation (abbr >= 16 bytes, may be NULL). */
int kit_tz_utc_to_local(const char *zone, int64_t t, struct tm *out,
			long *gmtoff, char *abbr, size_t abbr_size,
			struct kit_error *err) KIT_WUR;
/* Parse a duration "90d", "12h", "30m", "45s", "2w" into seconds. */
int kit_duration_parse(const char *s, int64_t *secs,
		       struct kit_error *err) KIT_WUR;

#endif
