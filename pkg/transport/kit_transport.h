/*
 * kit_transport.h: downloads over http://, https:// and file:// with
 * libcurl, built for country-office links that drop, stall and sit behind
 * proxies, and for repository copies on removable media.
 *
 * A transport holds an ordered list of base URLs (the primary, then
 * mirrors).  Each fetch tries them in order and fails over per file.  A
 * base URL may be a plain directory path; it becomes a file:// URL.
 * Files under a file:// base (removable media) are read by the transport
 * itself, not libcurl: opened beneath the base directory without following
 * a link at any component, and only when they are regular files (O_NONBLOCK
 * while opening, so a FIFO cannot block the run).  A link, a FIFO, a device
 * or a directory there is bad bytes from that mirror (KIT_E_SECURITY), and
 * none of its content is read.
 *
 * What it guarantees:
 *  - never more than max_len bytes are accepted for a file (the length the
 *    signed metadata allows); a server sending more is refused
 *    (KIT_E_SECURITY, "endless data");
 *  - a transfer is aborted only when it stays below low_speed_limit B/s
 *    for low_speed_time seconds (slow retrieval), never on a fixed total
 *    timeout that would kill honest slow links; connects time out;
 *  - transient failures (connection errors, timeouts, dropped connections,
 *    HTTP 5xx, 408, 429) are retried with exponential backoff and jitter;
 *    other 4xx are not;
 *  - a download streams into <dest>.part with a running SHA-256; when an
 *    expected hash is given, an existing .part (from an earlier try or an
 *    earlier run killed at any moment) is resumed with an HTTP Range
 *    request, and the whole file is hashed and checked before it is
 *    renamed to <dest> (fsync first).  Without an expected hash nothing is
 *    resumed (a stale part could not be checked);
 *  - a mirror that serves bad bytes (wrong hash or length, too long) is
 *    skipped for the rest of the transport's life ("this run") and named
 *    in the log and the stats;
 *  - TLS is always verified (peer and host, TLS 1.2 or later);
 *    opts->cainfo names a CA bundle used instead of the system's, for
 *    offices behind a TLS-inspecting proxy.  Only http, https and file
 *    are allowed; redirects only to http/https (https only from an https
 *    base), at most 5.
 *  - proxies come from the usual environment variables (http_proxy,
 *    https_proxy, no_proxy, as libcurl reads them) unless opts->proxy sets
 *    one explicitly.
 *
 * Error classes: KIT_E_INVALID (bad options, unsafe relpath), KIT_E_NETWORK
 * (transport failures; the message carries curl's error text and the URL),
 * KIT_E_SECURITY (bad bytes from every mirror that answered), KIT_E_IO
 * (the local .part or destination file).
 *
 * A transport is not thread-safe; use one per thread.
 */
#ifndef KIT_TRANSPORT_H
#define KIT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kit_util.h"

#define KIT_TRANSPORT_MAX_MIRRORS 16
#define KIT_TRANSPORT_URL_MAX 2048
/* ETag / Last-Modified values kept for conditional requests. */
#define KIT_TRANSPORT_VALIDATOR_MAX 256
/* Seconds a Last-Modified (or a time-derived ETag) must lie before the
 * response's Date to be kept as a validator (RFC 9110 8.8.2.2). */
#define KIT_TRANSPORT_VALIDATOR_MIN_AGE 60

struct kit_transport_opts {
	/* Base URLs in order: primary first, then mirrors (at most
	 * KIT_TRANSPORT_MAX_MIRRORS).  http://, https://, file:// or a plain
	 * directory path.  Copied by kit_transport_new(). */
	const char *const *base_urls;
	size_t n_base_urls;
	long connect_timeout;   /* seconds; 0 = 30 */
	long low_speed_limit;   /* B/s; 0 = 1000 */
	long low_speed_time;    /* seconds; 0 = 30 */
	int retries;            /* extra tries per mirror; < 0 = 4 */
	long backoff_base_ms;   /* first backoff; 0 = 1000 */
	long backoff_cap_ms;    /* largest backoff; 0 = 30000 */
	const char *proxy;      /* explicit proxy URL, or NULL for the env */
	const char *cainfo;     /* CA bundle (PEM) instead of the system's */
	int64_t max_recv_speed; /* B/s limit (--limit-rate); 0 = none */
	int quiet;              /* no log lines on stderr, no progress */
	int progress;           /* progress bar on stderr when it is a tty */
	int json_progress;      /* JSON lines on stdout per progress/complete */
	/* 1: do not fsync finished downloads.  For callers that check a file
	 * against its signed hash again before relying on it after a crash
	 * (kit-fetch does), this saves a sync of every archive it deletes
	 * once installed. */
	int no_sync;
	/* Log sink for retries, failovers and bad mirrors (one line each,
	 * no newline).  NULL: "kit-fetch: <line>" on stderr unless quiet. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

/* Fill opts with the defaults above (all zero, retries -1). */
void kit_transport_opts_init(struct kit_transport_opts *opts);

struct kit_transport_mirror {
	const char *url;    /* the normalised base URL (owned by t) */
	uint64_t requests;  /* requests sent to this mirror */
	uint64_t failures;  /* failed transfers (network or bad bytes) */
	uint64_t bad_bytes; /* files it served with wrong bytes */
	int skipped;        /* 1 once it served bad bytes: not used again */
};

struct kit_transport_stats {
	uint64_t requests;       /* all requests made */
	uint64_t bytes_received; /* body bytes received on the wire */
	uint64_t retries;        /* tries after the first, all mirrors */
	uint64_t resumes;        /* transfers that continued a .part */
	uint64_t not_modified;   /* 304 answers */
	size_t n_mirrors;
	struct kit_transport_mirror mirrors[KIT_TRANSPORT_MAX_MIRRORS];
};

struct kit_transport;

/* New transport; opts are copied (strings too).  KIT_E_INVALID for no base
 * URL, too many, or an unsupported scheme.  Free with kit_transport_free. */
struct kit_transport *kit_transport_new(const struct kit_transport_opts *opts,
					struct kit_error *err) KIT_WUR;
void kit_transport_free(struct kit_transport *t);

/* Counters since kit_transport_new(); owned by t, valid until it is freed. */
const struct kit_transport_stats *
kit_transport_stats(const struct kit_transport *t);

/*
 * Download relpath (a safe relative path, '/'-separated, resolved against
 * each base URL) into dest_path, through dest_path.part.  Each segment is
 * URL-escaped here, except "%XX" (two hex digits), which is an escape the
 * caller made and is sent as it is (TUF role names: "1.a%2Fb.json"); a
 * relpath whose escapes decode to NUL or a "." or ".." segment is refused
 * like the plain forms (KIT_E_INVALID), and so is one whose escapes decode
 * to '/' or '\\' when a base is file:// (it would become a local path).
 *
 * max_len (> 0): hard cap on the bytes accepted.  expect_sha256_hex (64 hex
 * digits) and expect_len (> 0) are checked when given (NULL / 0 = not
 * checked); with a hash, an existing .part is resumed.  On success
 * dest_path holds the file (fsynced, renamed into place).  On failure
 * dest_path is untouched; a .part may stay behind for a later resume (only
 * when a hash was given and its bytes may still be good).
 *
 * Errors: KIT_E_SECURITY when mirrors served bad bytes ("larger than the N
 * bytes the signed metadata allows (endless data)", hash or length
 * mismatch) and none served good ones; KIT_E_NETWORK when none could be
 * reached or all failed in transport; KIT_E_IO for local files;
 * KIT_E_INVALID for an unsafe relpath or bad arguments.
 */
int kit_transport_fetch(struct kit_transport *t, const char *relpath,
			const char *dest_path, uint64_t max_len,
			const char *expect_sha256_hex, uint64_t expect_len,
			struct kit_error *err) KIT_WUR;

/*
 * Where the bytes of a range go (kit_transport_fetch_range): the caller
 * takes them as they arrive and checks them itself, so that nothing is
 * written twice.
 *  held    called before each transfer: how many bytes from the range's
 *          start the sink already has (0 at first, or what an earlier
 *          run left it); the transfer asks for the rest.
 *  write   the next n bytes, in order: 0 to go on; -1 for a failure of
 *          its own (err set: the fetch stops with that error);
 *          KIT_TRANSPORT_SINK_BAD when the bytes are wrong (err->msg says
 *          why: the mirror is skipped for the run and the next one asked
 *          from held()); KIT_TRANSPORT_SINK_AGAIN when bytes it kept from
 *          an earlier transfer may be what is wrong: asked again from
 *          held() (a few times, then the mirror is skipped).
 *  rewind  forget the bytes of an unfinished piece (its mirror's bytes
 *          are refused, or the transfer starts over): held() goes back.
 */
#define KIT_TRANSPORT_SINK_BAD 1
#define KIT_TRANSPORT_SINK_AGAIN 2
struct kit_transport_sink {
	uint64_t (*held)(void *arg);
	int (*write)(void *arg, const void *buf, size_t n,
		     struct kit_error *err);
	void (*rewind)(void *arg);
	void *arg;
};

/*
 * Fetch bytes [offset, offset + len) of relpath (a pack) into sink, with
 * an HTTP Range request from where sink->held() says (a file:// base is
 * read from there).  Exactly len bytes are accepted: a server that sends
 * more (or declares more) is refused as endless data (KIT_E_SECURITY), one
 * that answers with the whole file (200) or another range is retried and
 * then fails over (KIT_E_NETWORK), a pack shorter than offset + len is bad
 * bytes.  A transfer that breaks off is resumed from sink->held(); bytes
 * the sink refuses are bad bytes from that mirror, which is skipped for the
 * run while the next one is asked.  Errors as kit_transport_fetch(), and
 * the sink's own.
 */
int kit_transport_fetch_range(struct kit_transport *t, const char *relpath,
			      uint64_t offset, uint64_t len,
			      const struct kit_transport_sink *sink,
			      struct kit_error *err) KIT_WUR;

/*
 * 1 when the last kit_transport_fetch() / _fetch_cond() failed because the
 * file does not exist: at least one mirror answered 404 or 410 (or the
 * file:// path is missing), none served it or bad bytes, the others failed
 * in transport.  The error is still KIT_E_NETWORK; a TUF client uses this
 * to end the walk up the root chain.  0 otherwise.
 */
int kit_transport_not_found(const struct kit_transport *t);

/*
 * 1 when the last kit_transport_fetch_range() failed because no mirror
 * answered the range request usably (the whole file with 200, several
 * ranges, or another range than the one asked for, each time): the
 * caller may fetch the whole file instead.
 */
int kit_transport_range_refused(const struct kit_transport *t);

/*
 * A conditional GET (kit_transport_fetch_cond): the validators sent, and
 * what came back.  The caller fills etag and last_modified; the fetch sets
 * the rest.
 */
struct kit_transport_cond {
	/* If-None-Match and If-Modified-Since: NULL or "" = not sent;
	 * printable ASCII only, at most KIT_TRANSPORT_VALIDATOR_MAX - 1
	 * bytes (they come from the caller's state: anything else is
	 * refused, not sent) */
	const char *etag;
	const char *last_modified;
	/* 1 on 304: nothing was written */
	int not_modified;
	/* the response's ETag and Last-Modified, "" when it sent none, one
	 * did not fit, or they cannot prove sameness later (see below) */
	char etag_out[KIT_TRANSPORT_VALIDATOR_MAX];
	char last_modified_out[KIT_TRANSPORT_VALIDATOR_MAX];
};

/*
 * Conditional GET for metadata such as timestamp.json: relpath, dest_path
 * and max_len as kit_transport_fetch() (no hash, no resume).  cond->etag
 * and cond->last_modified become If-None-Match and If-Modified-Since.  On
 * 304, cond->not_modified = 1 and nothing is written.  Otherwise
 * cond->not_modified = 0, dest_path holds the new file, and the response's
 * ETag / Last-Modified are in cond->etag_out / cond->last_modified_out.
 * Both are "" when they cannot prove sameness later (RFC 9110 8.8.2.2):
 * the response has no Date, or its Last-Modified, or the modification time
 * in an nginx-style ETag ("<hex mtime>-<hex size>"), is less than
 * KIT_TRANSPORT_VALIDATOR_MIN_AGE seconds before its Date, so a second
 * change within the same second would go unseen.  The outputs are "" on
 * failure too.
 * file:// bases are simply fetched.  Validators are per server: with
 * mirrors, a 304 from any of them means "nothing newer there".
 * Errors as kit_transport_fetch(); KIT_E_INVALID when cond is NULL or a
 * validator is not one line of printable text.
 */
int kit_transport_fetch_cond(struct kit_transport *t, const char *relpath,
			     const char *dest_path, uint64_t max_len,
			     struct kit_transport_cond *cond,
			     struct kit_error *err) KIT_WUR;

#endif
