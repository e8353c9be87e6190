/*
 * kit_transport.c: libcurl transfers with resume, retries, mirrors, length
 * caps and progress.  See kit_transport.h for the contract.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kit_crypto.h"
#include "kit_transport.h"

#define PATH_BUF 4096
#define WHY_BUF 448
#define MAX_RESTARTS 2
/* reads from a file:// base (removable media) */
#define LOCAL_BLOCK (512 * 1024)
/* libcurl hands a body over 16 KiB at a time; the part is written this
 * much at a time (a write call per piece cost 2 s of system time a GiB) */
#define PART_BUF (512 * 1024)

struct kit_transport {
	struct kit_transport_opts o; /* proxy/cainfo/base_urls point below */
	char *urls[KIT_TRANSPORT_MAX_MIRRORS];
	/* the directory of each file:// base (decoded), NULL for http(s) */
	char *dirs[KIT_TRANSPORT_MAX_MIRRORS];
	int https_only_redirects[KIT_TRANSPORT_MAX_MIRRORS];
	char *proxy;
	char *cainfo;
	CURL *curl;      /* this transfer's handle, new for each one */
	CURLSH *share;   /* connections, DNS and TLS sessions across them */
	int global_init; /* curl_global_init() succeeded for t */
	int tty;
	int last_not_found;
	int last_no_range; /* a range request answered unusably everywhere */
	uint64_t rng;
	struct kit_transport_stats st;
	char errbuf[CURL_ERROR_SIZE];
};

/* What one transfer ended with, and so what the fetch loop does next. */
enum outcome {
	OUT_OK,           /* file complete and verified, renamed into place */
	OUT_NOT_MODIFIED, /* 304 */
	OUT_TRANSIENT,    /* retry this mirror after a backoff, resuming */
	OUT_PERMANENT,    /* this mirror cannot serve it: next mirror */
	OUT_BAD_BYTES,    /* wrong bytes from this mirror: skip it for the run */
	OUT_RESTART,      /* range not usable or stale part: again from zero */
	OUT_LOCAL,        /* local I/O failure: stop, err is set */
};

/* Why the write callback stopped a transfer. */
enum stop {
	STOP_NONE,
	STOP_TOO_LARGE,
	STOP_STATUS,
	STOP_BAD_RANGE,
	STOP_IO,
	STOP_SHORT,
	STOP_SINK, /* the caller's sink refused: sink_rc, sink_err */
};

struct job {
	struct kit_transport *t;
	const char *relpath;
	const char *dest;
	char part[PATH_BUF];
	uint64_t max_len;
	const char *exp_hash;
	uint64_t exp_len;
	int resume_ok;
	int range; /* a byte range of the file: range_start, exp_len */
	uint64_t range_start;
	/* where a range's bytes go, checked as they arrive (no part) */
	const struct kit_transport_sink *sink;
	int sink_rc;
	struct kit_error sink_err;
	struct kit_transport_cond *cond; /* a conditional GET, or NULL */
	int mismatch_restarted;
	int not_found; /* set by a transfer that got 404/410/missing file */
	/* per transfer */
	char url[KIT_TRANSPORT_URL_MAX];
	size_t mirror;
	int is_http;
	int fd;
	struct kit_sha256 *h;
	unsigned char *buf; /* bytes for the part not yet written */
	size_t buffered;
	uint64_t offset; /* bytes of the part kept before this transfer */
	uint64_t got;    /* bytes written by this transfer */
	int started;
	int resumed;
	long code;
	enum stop stop;
	int io_errno;
	long retry_after_ms;
	struct timespec t0, last_bar, last_json;
	int bar_drawn;
};

static void tlog(struct kit_transport *t, const char *fmt, ...) KIT_PRINTF(2, 3);
static void whyf(char *why, const char *fmt, ...) KIT_PRINTF(2, 3);

/* Messages are one line for a human; truncating a long URL is acceptable. */
static void
whyf(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(why, WHY_BUF, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
}

static void
tlog(struct kit_transport *t, const char *fmt, ...)
{
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof line, fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	if (t->o.log)
		t->o.log(t->o.log_ctx, line);
	else if (!t->o.quiet)
		fprintf(stderr, "kit-fetch: %s\n", line);
}

/* ---- time and backoff -------------------------------------------------- */

static int64_t
mono_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mono_ms(&ts);
}

static uint64_t
rng_next(struct kit_transport *t)
{
	/* xorshift64: jitter only needs to spread offices apart, not secrecy */
	uint64_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static long
backoff_ms(struct kit_transport *t, int attempt)
{
	long d = t->o.backoff_base_ms;
	for (int i = 0; i < attempt && d < t->o.backoff_cap_ms; i++)
		d *= 2;
	if (d > t->o.backoff_cap_ms)
		d = t->o.backoff_cap_ms;
	long half = d / 2;
	return half + (long)(rng_next(t) % (uint64_t)(d - half + 1));
}

/* ---- paths and URLs ---------------------------------------------------- */

static int
has_scheme(const char *s, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncasecmp(s, scheme, n) == 0;
}

static int
hex_value(char ch)
{
	return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

static int
is_hex_digit(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* Append n bytes of s URL-escaped by libcurl. */
static int
append_escaped(CURL *c, struct kit_buf *out, const char *s,
	       size_t n, struct kit_error *err)
{
	if (n == 0)
		return 0;
	char *e = curl_easy_escape(c, s, (int)n);
	if (!e)
		return kit_err(err, KIT_E_INVALID, "cannot escape path %.*s",
			       (int)n, s);
	int rc = kit_buf_append(out, e, strlen(e), err);
	curl_free(e);
	return rc;
}

/* Append the segments of a '/'-separated path to out, each URL-escaped by
 * libcurl, with a '/' between them.  With keep_escapes, a '%' followed by
 * two hex digits is an escape the caller made (a TUF role name such as
 * "a/b" is requested as "1.a%2Fb.json") and goes out as it is. */
static int
append_escaped_path(CURL *c, struct kit_buf *out, const char *path,
		    int keep_escapes, struct kit_error *err)
{
	const char *p = path;
	int first = 1;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!first && kit_buf_append(out, "/", 1, err) != 0)
			return -1;
		first = 0;
		size_t start = 0;
		for (size_t i = 0; keep_escapes && i + 2 < n; i++) {
			if (p[i] != '%' || !is_hex_digit(p[i + 1]) ||
			    !is_hex_digit(p[i + 2]))
				continue;
			if (append_escaped(c, out, p + start, i - start, err) != 0 ||
			    kit_buf_append(out, p + i, 3, err) != 0)
				return -1;
			start = i + 3;
			i += 2;
		}
		if (append_escaped(c, out, p + start, n - start, err) != 0)
			return -1;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p && kit_buf_append(out, "/", 1, err) != 0)
			return -1;
	}
	return 0;
}

/* A base URL with a trailing '/'; a plain path becomes file://<abs path>/. */
static char *
normalise_base(CURL *c, const char *base, struct kit_error *err)
{
	struct kit_buf b;
	char *cwd = NULL;
	char *ret = NULL;
	kit_buf_init(&b, KIT_TRANSPORT_URL_MAX);
	if (!base || !*base) {
		kit_err(err, KIT_E_INVALID, "empty base URL");
		goto out;
	}
	if (strstr(base, "://")) {
		if (!has_scheme(base, "http://") && !has_scheme(base, "https://") &&
		    !has_scheme(base, "file://")) {
			kit_err(err, KIT_E_INVALID,
				"base URL %s: only http://, https:// and file:// are supported", base);
			goto out;
		}
		for (const char *p = base; *p; p++) {
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				kit_err(err, KIT_E_INVALID,
					"base URL %s: spaces or control characters; percent-encode them", base);
				goto out;
			}
		}
		if (kit_buf_append(&b, base, strlen(base), err) != 0)
			goto out;
	} else {
		if (kit_buf_append(&b, "file://", 7, err) != 0)
			goto out;
		if (base[0] != '/') {
			cwd = getcwd(NULL, 0);
			if (!cwd) {
				kit_err_errno(err, KIT_E_IO, errno,
					      "base path %s: cannot get the current directory", base);
				goto out;
			}
			if (append_escaped_path(c, &b, cwd, 0, err) != 0 ||
			    kit_buf_append(&b, "/", 1, err) != 0)
				goto out;
		}
		if (append_escaped_path(c, &b, base, 0, err) != 0)
			goto out;
	}
	if ((b.len == 0 || b.data[b.len - 1] != '/') &&
	    kit_buf_append(&b, "/", 1, err) != 0)
		goto out;
	if (kit_buf_append(&b, "", 1, err) != 0)
		goto out;
	ret = kit_strdup((const char *)b.data);
out:
	if (!ret)
		kit_err_prefix(err, "mirror");
	free(cwd);
	kit_buf_free(&b);
	return ret;
}

/* The local directory a file:// base names, decoded (file:///path/ or
 * file://localhost/path/). */
static char *
file_base_dir(const char *url, struct kit_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *path = NULL, *ret = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) !=
		    CURLUE_OK) {
		kit_err(err, KIT_E_INVALID,
			"base URL %s: not a file URL naming a directory", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] && strcasecmp(host, "localhost") != 0) {
		kit_err(err, KIT_E_INVALID,
			"base URL %s: a file URL names a local directory (file:///path)", url);
		goto out;
	}
	ret = kit_strdup(path);
out:
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

/* relpath with each '%' and two hex digits decoded (newly allocated). */
static char *
unescape(const char *relpath)
{
	size_t n = strlen(relpath), o = 0;
	char *out = kit_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (relpath[i] == '%' && i + 2 < n &&
		    is_hex_digit(relpath[i + 1]) && is_hex_digit(relpath[i + 2])) {
			out[o++] = (char)(hex_value(relpath[i + 1]) * 16 +
					  hex_value(relpath[i + 2]));
			i += 2;
			continue;
		}
		out[o++] = relpath[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * The escapes kept by append_escaped_path() must not undo the path checks:
 * servers decode them, so no decoded segment may be "." or ".." or hold a
 * NUL; and as libcurl turns a file:// URL into a local path, with a file://
 * base no escape may decode to '/' or '\' either (an HTTP server may hold
 * a TUF role named "a/b" as "1.a%2Fb.json"; a directory cannot).
 */
static int
escapes_are_safe(const char *relpath, int file_base)
{
	const char *p = relpath;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		size_t dots = 0, chars = 0;
		for (size_t i = 0; i < n; i++, chars++) {
			int ch = (unsigned char)p[i];
			if (ch == '%' && i + 2 < n && is_hex_digit(p[i + 1]) &&
			    is_hex_digit(p[i + 2])) {
				ch = hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]);
				i += 2;
			}
			if (ch == 0 || (file_base && (ch == '/' || ch == '\\')))
				return 0;
			dots += ch == '.';
		}
		if (chars == dots && chars <= 2)
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

static int
url_for(struct job *j, size_t mi, struct kit_error *err)
{
	struct kit_buf b;
	int rc = -1;
	kit_buf_init(&b, KIT_TRANSPORT_URL_MAX);
	const char *base = j->t->urls[mi];
	if (kit_buf_append(&b, base, strlen(base), err) != 0 ||
	    append_escaped_path(j->t->curl, &b, j->relpath, 1, err) != 0 ||
	    kit_buf_append(&b, "", 1, err) != 0)
		goto out;
	memcpy(j->url, b.data, b.len);
	j->is_http = !has_scheme(base, "file://");
	rc = 0;
out:
	kit_buf_free(&b);
	return rc;
}

/* ---- a transport ------------------------------------------------------- */

void
kit_transport_opts_init(struct kit_transport_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->retries = -1;
}

/* The defaults of kit_transport_opts for what the caller left at 0. */
static void
apply_defaults(struct kit_transport_opts *o)
{
	if (o->connect_timeout <= 0)
		o->connect_timeout = 30;
	if (o->low_speed_limit <= 0)
		o->low_speed_limit = 1000;
	if (o->low_speed_time <= 0)
		o->low_speed_time = 30;
	if (o->retries < 0)
		o->retries = 4;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = 1000;
	if (o->backoff_cap_ms <= 0)
		o->backoff_cap_ms = 30000;
	if (o->backoff_cap_ms < o->backoff_base_ms)
		o->backoff_cap_ms = o->backoff_base_ms;
	if (o->max_recv_speed < 0)
		o->max_recv_speed = 0;
}

/* A seed that differs between offices started at the same moment. */
static uint64_t
rng_seed(const struct kit_transport *t)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)t;
	return x ? x : 0x9e3779b97f4a7c15ULL;
}

/* The base URLs of opts, normalised, with the directory of each file://
 * one. */
static int
add_mirrors(struct kit_transport *t,
	    const struct kit_transport_opts *opts,
	    struct kit_error *err)
{
	for (size_t i = 0; i < opts->n_base_urls; i++) {
		t->urls[i] = normalise_base(t->curl, opts->base_urls[i], err);
		if (!t->urls[i])
			return -1;
		if (has_scheme(t->urls[i], "file://")) {
			t->dirs[i] = file_base_dir(t->urls[i], err);
			if (!t->dirs[i])
				return -1;
		}
		t->https_only_redirects[i] = has_scheme(t->urls[i], "https://");
		t->st.mirrors[i].url = t->urls[i];
		t->st.n_mirrors = i + 1;
	}
	return 0;
}

struct kit_transport *
kit_transport_new(const struct kit_transport_opts *opts,
		  struct kit_error *err)
{
	struct kit_transport *t = NULL;
	struct kit_transport *ret = NULL;

	if (!opts || opts->n_base_urls == 0 || !opts->base_urls) {
		kit_err(err, KIT_E_INVALID, "no repository URL or mirror given");
		goto out;
	}
	if (opts->n_base_urls > KIT_TRANSPORT_MAX_MIRRORS) {
		kit_err(err, KIT_E_INVALID, "%zu mirrors given; at most %d", opts->n_base_urls, KIT_TRANSPORT_MAX_MIRRORS);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		kit_err(err, KIT_E_INVALID, "libcurl failed to initialise");
		goto out;
	}
	t = kit_xcalloc(1, sizeof *t);
	t->global_init = 1;
	t->curl = curl_easy_init();
	t->share = curl_share_init();
	if (!t->curl || !t->share ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		kit_err(err, KIT_E_INVALID, "libcurl: cannot create a handle");
		goto out;
	}
	t->o = *opts;
	t->o.base_urls = NULL;
	apply_defaults(&t->o);
	if (opts->proxy && *opts->proxy)
		t->proxy = kit_strdup(opts->proxy);
	if (opts->cainfo && *opts->cainfo)
		t->cainfo = kit_strdup(opts->cainfo);
	t->o.proxy = t->proxy;
	t->o.cainfo = t->cainfo;
	t->tty = isatty(2);
	t->rng = rng_seed(t);
	if (add_mirrors(t, opts, err) != 0)
		goto out;
	ret = t;
	t = NULL;
out:
	kit_transport_free(t);
	return ret;
}

void
kit_transport_free(struct kit_transport *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < KIT_TRANSPORT_MAX_MIRRORS; i++) {
		free(t->urls[i]);
		free(t->dirs[i]);
	}
	free(t->proxy);
	free(t->cainfo);
	curl_easy_cleanup(t->curl);
	curl_share_cleanup(t->share);
	if (t->global_init)
		curl_global_cleanup();
	free(t);
}

const struct kit_transport_stats *
kit_transport_stats(const struct kit_transport *t)
{
	return &t->st;
}

int
kit_transport_not_found(const struct kit_transport *t)
{
	return t ? t->last_not_found : 0;
}

int
kit_transport_range_refused(const struct kit_transport *t)
{
	return t ? t->last_no_range : 0;
}

/* ---- progress ---------------------------------------------------------- */

static void
fmt_bytes(double v, char *out, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%.0f %s", v, units[u]);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

static void
json_line(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static uint64_t
job_total(const struct job *j, curl_off_t dltotal)
{
	if (j->exp_len)
		return j->exp_len;
	if (dltotal > 0)
		return j->offset + (uint64_t)dltotal;
	return 0;
}

static void
draw_bar(struct job *j, uint64_t have, uint64_t total, double rate,
	 int final)
{
	char hb[32], tb[32], rb[32], left[32], bar[24];
	fmt_bytes((double)have, hb, sizeof hb);
	fmt_bytes((double)total, tb, sizeof tb);
	fmt_bytes(rate, rb, sizeof rb);
	if (final) {
		snprintf(left, sizeof left, "done");
	} else if (total > have && rate > 1.0) {
		double secs = (double)(total - have) / rate;
		long s = secs > 359999.0 ? 359999L : (long)secs;
		snprintf(left, sizeof left, "%ld:%02ld:%02ld left", s / 3600,
			 (s / 60) % 60, s % 60);
	} else {
		snprintf(left, sizeof left, "--:--:-- left");
	}
	size_t fill = total ? (size_t)((double)have / (double)total * 20.0) : 0;
	if (fill > 20)
		fill = 20;
	for (size_t i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	char name[48];
	kit_str_sanitize(j->relpath, name, sizeof name);
	fprintf(stderr, "\r%-40.40s [%s] %10s / %-10s %10s/s %s\033[K", name, bar,
		hb, total ? tb : "?", rb, left);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
	j->bar_drawn = 1;
}

static double
job_rate(const struct job *j, int64_t now)
{
	int64_t el = now - mono_ms(&j->t0);
	if (el <= 0)
		return 0.0;
	return (double)j->got * 1000.0 / (double)el;
}

static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
	    curl_off_t ultotal, curl_off_t ulnow)
{
	struct job *j = ud;
	struct kit_transport *t = j->t;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (!j->started)
		return 0;
	int64_t now = now_ms();
	uint64_t have = j->offset + j->got;
	uint64_t total = job_total(j, dltotal);
	double rate = job_rate(j, now);
	if (t->o.progress && t->tty && !t->o.quiet &&
	    now - mono_ms(&j->last_bar) >= 200) {
		clock_gettime(CLOCK_MONOTONIC, &j->last_bar);
		draw_bar(j, have, total, rate, 0);
	}
	if (t->o.json_progress && now - mono_ms(&j->last_json) >= 1000) {
		clock_gettime(CLOCK_MONOTONIC, &j->last_json);
		json_line(json_pack("{s:s, s:s, s:I, s:I, s:I}", "event",
				    "progress", "file", j->relpath, "bytes",
				    (json_int_t)have, "total", (json_int_t)total,
				    "rate", (json_int_t)rate));
	}
	return 0;
}

/* ---- the part and the body --------------------------------------------- */

static void
hash_reset(struct job *j)
{
	char scratch[KIT_SHA256_HEX];
	kit_sha256_final_hex(j->h, scratch); /* final resets the state */
}

/* The buffered bytes into the part; -1 with j->io_errno set. */
static int
flush_part(struct job *j)
{
	if (j->buffered > 0 && kit_fd_write_all(j->fd, j->buf, j->buffered) != 0) {
		j->io_errno = errno;
		return -1;
	}
	j->buffered = 0;
	return 0;
}

static int
truncate_part(struct job *j)
{
	j->buffered = 0;
	if (ftruncate(j->fd, 0) != 0 || lseek(j->fd, 0, SEEK_SET) != 0) {
		j->io_errno = errno;
		return -1;
	}
	hash_reset(j);
	j->offset = 0;
	return 0;
}

/* Open the part; with resume allowed keep and hash what is there. */
static int
open_part(struct job *j, struct kit_error *err)
{
	int flags = O_RDWR | O_CREAT;
	struct stat sb;
	unsigned char *buf = NULL;
	int rc = -1;

	if (j->sink) {
		/* the sink holds what earlier transfers brought */
		j->offset = j->sink->held(j->sink->arg);
		if (j->offset > j->exp_len)
			j->offset = 0;
		return 0;
	}
	if (!j->resume_ok)
		flags |= O_TRUNC;
	/* never through a link, nor into a file with a second name
	 * elsewhere (a planted hard link would be overwritten) */
	j->fd = kit_file_open_write(AT_FDCWD, j->part, flags, 0644, err);
	if (j->fd < 0)
		return -1;
	if (fstat(j->fd, &sb) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s", j->part);
		goto out;
	}
	j->offset = 0;
	uint64_t size = (uint64_t)sb.st_size;
	if (size == 0 || size > j->max_len || (j->exp_len && size > j->exp_len)) {
		if (size != 0 && ftruncate(j->fd, 0) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot truncate %s",
				      j->part);
			goto out;
		}
		rc = 0;
		goto out;
	}
	buf = kit_xmalloc(65536);
	uint64_t done = 0;
	while (done < size) {
		ssize_t r = read(j->fd, buf, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				      j->part);
			goto out;
		}
		if (r == 0)
			break;
		kit_sha256_update(j->h, buf, (size_t)r);
		done += (uint64_t)r;
	}
	if (done != size || lseek(j->fd, (off_t)size, SEEK_SET) != (off_t)size) {
		kit_err(err, KIT_E_IO, "partial download %s changed while read",
			j->part);
		goto out;
	}
	j->offset = size;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The first body bytes arrived: the headers are complete.  Decide whether
 * the body continues our part (206 from our offset), replaces it (200), or
 * must not be written at all. */
static int
on_first_bytes(struct job *j)
{
	CURL *c = j->t->curl;
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	j->code = code;
	if (j->is_http) {
		if (code == 206) {
			struct curl_header *h = NULL;
			unsigned long long start = 0;
			char *end = NULL;
			if ((j->offset == 0 && !j->range) ||
			    curl_easy_header(c, "Content-Range", 0, CURLH_HEADER,
					     -1, &h) != CURLHE_OK ||
			    strncasecmp(h->value, "bytes ", 6) != 0) {
				j->stop = STOP_BAD_RANGE;
				return -1;
			}
			errno = 0;
			start = strtoull(h->value + 6, &end, 10);
			if (errno || end == h->value + 6 || *end != '-' ||
			    start != j->range_start + j->offset) {
				j->stop = STOP_BAD_RANGE;
				return -1;
			}
			if (j->range) {
				/* a pack shorter than the signed index says
				 * ends the range early: its bytes are bad */
				const char *e = end + 1;
				unsigned long long last = strtoull(e, &end, 10);

				if (errno || end == e ||
				    last + 1 < j->range_start + j->exp_len) {
					j->stop = STOP_SHORT;
					return -1;
				}
			}
			if (j->offset > 0) {
				/* a range from its start is no resume */
				j->resumed = 1;
				j->t->st.resumes++;
			}
		} else if (code == 200 && j->range) {
			/* the whole file instead of the range asked for */
			j->stop = STOP_BAD_RANGE;
			return -1;
		} else if (code == 200) {
			if (j->offset > 0 && truncate_part(j) != 0) {
				j->stop = STOP_IO;
				return -1;
			}
		} else {
			j->stop = STOP_STATUS;
			return -1;
		}
	} else if (j->offset > 0) {
		j->resumed = 1;
		j->t->st.resumes++;
	}
	curl_off_t cl = -1;
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) ==
		    CURLE_OK &&
	    cl >= 0 && j->offset + (uint64_t)cl > j->max_len) {
		/* refused before a byte is stored: the server declares more
		 * than the signed metadata allows */
		j->stop = STOP_TOO_LARGE;
		return -1;
	}
	return 0;
}

/* Store n body bytes: into the part and the running hash, never a byte
 * past what the metadata allows (endless data).  -1 with j->stop set. */
static int
sink(struct job *j, const void *p, size_t n)
{
	if (j->offset + j->got + n > j->max_len) {
		j->stop = STOP_TOO_LARGE;
		return -1;
	}
	if (j->sink) {
		int rc = j->sink->write(j->sink->arg, p, n, &j->sink_err);

		if (rc != 0) {
			j->sink_rc = rc;
			j->stop = STOP_SINK;
			return -1;
		}
		j->got += n;
		return 0;
	}
	if (j->buffered + n > PART_BUF && flush_part(j) != 0) {
		j->stop = STOP_IO;
		return -1;
	}
	if (n >= PART_BUF) {
		if (kit_fd_write_all(j->fd, p, n) != 0) {
			j->io_errno = errno;
			j->stop = STOP_IO;
			return -1;
		}
	} else {
		if (j->buf == NULL)
			j->buf = kit_xmalloc(PART_BUF);
		memcpy(j->buf + j->buffered, p, n);
		j->buffered += n;
	}
	kit_sha256_update(j->h, p, n);
	j->got += n;
	return 0;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb;
	j->t->st.bytes_received += n;
	if (!j->started) {
		j->started = 1;
		clock_gettime(CLOCK_MONOTONIC, &j->t0);
		if (on_first_bytes(j) != 0)
			return CURL_WRITEFUNC_ERROR;
	}
	return sink(j, p, n) == 0 ? n : CURL_WRITEFUNC_ERROR;
}

/* When the write side stopped the transfer, what that means: 1 and *o
 * set, else 0. */
static int
stop_outcome(struct job *j, char *why, struct kit_error *err,
	     enum outcome *o)
{
	switch (j->stop) {
	case STOP_TOO_LARGE:
		whyf(why, "%s from %s is larger than the %llu bytes the signed metadata allows (endless data)", j->relpath, j->url,
		     (unsigned long long)j->max_len);
		*o = OUT_BAD_BYTES;
		return 1;
	case STOP_IO:
		kit_err_errno(err, KIT_E_IO, j->io_errno,
			      "cannot write the download %s", j->part);
		*o = OUT_LOCAL;
		return 1;
	case STOP_BAD_RANGE:
		whyf(why, "%s from %s: the server answered the range request from byte %llu wrongly", j->relpath, j->url,
		     (unsigned long long)(j->range_start + j->offset));
		*o = OUT_RESTART;
		return 1;
	case STOP_SHORT:
		whyf(why, "%s from %s is shorter than the %llu bytes from byte %llu the signed index names", j->relpath, j->url, (unsigned long long)j->exp_len, (unsigned long long)j->range_start);
		*o = OUT_BAD_BYTES;
		return 1;
	case STOP_SINK:
		if (j->sink_rc < 0) {
			*err = j->sink_err;
			*o = OUT_LOCAL;
			return 1;
		}
		whyf(why, "%s from %s: %s", j->relpath, j->url, j->sink_err.msg);
		*o = j->sink_rc == KIT_TRANSPORT_SINK_AGAIN ? OUT_RESTART : OUT_BAD_BYTES;
		return 1;
	case STOP_STATUS:
	case STOP_NONE:
		break;
	}
	return 0;
}

/* Verify a completed part and move it into place. */
static enum outcome
finish(struct job *j, char *why, struct kit_error *err)
{
	char hex[KIT_SHA256_HEX];
	uint64_t total = j->offset + j->got;
	if (j->fd >= 0 && flush_part(j) != 0) {
		kit_err_errno(err, KIT_E_IO, j->io_errno, "cannot write the download %s", j->part);
		return OUT_LOCAL;
	}
	kit_sha256_final_hex(j->h, hex);
	if (j->exp_len && total < j->exp_len) {
		whyf(why, "download of %s from %s ended after %llu of %llu bytes",
		     j->relpath, j->url, (unsigned long long)total,
		     (unsigned long long)j->exp_len);
		return OUT_TRANSIENT;
	}
	if (j->exp_len && total != j->exp_len) {
		whyf(why, "%s from %s is %llu bytes, the signed metadata says %llu",
		     j->relpath, j->url, (unsigned long long)total,
		     (unsigned long long)j->exp_len);
		return OUT_BAD_BYTES;
	}
	if (j->sink)
		goto done; /* checked as the bytes arrived */
	if (j->exp_hash && !kit_hex_equal(hex, j->exp_hash)) {
		if (j->resumed && !j->mismatch_restarted) {
			/* the kept part may be what went wrong (an earlier
			 * mirror, a crash): try once from zero before blaming */
			j->mismatch_restarted = 1;
			whyf(why, "%s from %s: resumed file does not match its hash; downloading it again from the start",
			     j->relpath, j->url);
			return OUT_RESTART;
		}
		whyf(why, "%s from %s has sha256 %s, the signed metadata says %s",
		     j->relpath, j->url, hex, j->exp_hash);
		return OUT_BAD_BYTES;
	}
	if (!j->t->o.no_sync && fsync(j->fd) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot fsync %s", j->part);
		return OUT_LOCAL;
	}
	if (close(j->fd) != 0) {
		j->fd = -1;
		kit_err_errno(err, KIT_E_IO, errno, "cannot close %s", j->part);
		return OUT_LOCAL;
	}
	j->fd = -1;
	if (rename(j->part, j->dest) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s to %s",
			      j->part, j->dest);
		return OUT_LOCAL;
	}
	if (!j->t->o.no_sync && kit_fsync_parent(j->dest, err) != 0)
		return OUT_LOCAL;
done:
	if (j->bar_drawn)
		draw_bar(j, total, total, job_rate(j, now_ms()), 1);
	if (j->t->o.json_progress && j->sink)
		json_line(json_pack("{s:s, s:s, s:I, s:I, s:s, s:b}", "event",
				    "complete", "file", j->relpath, "offset",
				    (json_int_t)j->range_start, "bytes",
				    (json_int_t)total, "mirror",
				    j->t->urls[j->mirror], "resumed", j->resumed));
	else if (j->t->o.json_progress)
		json_line(json_pack("{s:s, s:s, s:I, s:s, s:s, s:b}", "event",
				    "complete", "file", j->relpath, "bytes",
				    (json_int_t)total, "sha256", hex, "mirror",
				    j->t->urls[j->mirror], "resumed", j->resumed));
	return OUT_OK;
}

/* ---- what an answer means ---------------------------------------------- */

static int
transient_curl_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

static int
transient_status(long code)
{
	return code >= 500 || code == 408 || code == 429;
}

static long
retry_after_ms(CURL *c)
{
	struct curl_header *h = NULL;
	if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return 0;
	char *end = NULL;
	errno = 0;
	long v = strtol(h->value, &end, 10);
	if (errno || end == h->value || v < 0)
		return 0;
	return v > 3600 ? 3600000L : v * 1000;
}

static const char *
curl_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "; if a proxy inspects TLS, give its CA bundle (kit-fetch init --cacert FILE)";
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "; check the proxy setting (--proxy, https_proxy)";
	case CURLE_OPERATION_TIMEDOUT:
		return "; the link was too slow or stalled (a later run resumes)";
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return "; check the network, the proxy or the mirror list";
	default:
		return "";
	}
}

static void
copy_validator(CURL *c, const char *name, char *out, size_t size)
{
	struct curl_header *h = NULL;
	if (!out || size == 0)
		return;
	out[0] = '\0';
	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return;
	size_t n = strlen(h->value);
	if (n >= size || n >= KIT_TRANSPORT_VALIDATOR_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h->value[i] < 0x20 ||
		    (unsigned char)h->value[i] > 0x7e)
			return;
	memcpy(out, h->value, n + 1);
}

/* The time a header such as Date or Last-Modified gives; -1 when absent
 * or not an HTTP date. */
static time_t
header_time(CURL *c, const char *name)
{
	struct curl_header *h = NULL;
	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	return curl_getdate(h->value, NULL);
}

/* nginx builds its ETag as "<mtime in hex>-<size in hex>" (W/ in front
 * once compressed): the time in it, or -1 when etag has another shape. */
static time_t
etag_time(const char *etag)
{
	const char *p = etag;
	uint64_t v = 0;
	size_t n = 0;

	if (strncmp(p, "W/", 2) == 0)
		p += 2;
	if (*p++ != '"')
		return -1;
	for (; p[n] && p[n] != '-'; n++) {
		int d = p[n] >= '0' && p[n] <= '9'   ? p[n] - '0'
			: p[n] >= 'a' && p[n] <= 'f' ? p[n] - 'a' + 10
						     : -1;
		if (d < 0 || n >= 15)
			return -1;
		v = v * 16 + (uint64_t)d;
	}
	if (n == 0 || p[n] != '-')
		return -1;
	return (time_t)v;
}

/*
 * Keep the validators of a response only when they prove sameness later.
 * Last-Modified has one-second resolution: a file replaced twice within
 * that second keeps it (and nginx's ETag, made of the modification second
 * and the size, when the size is the same too).  RFC 9110 8.8.2.2: a
 * modification time is a strong validator only when the response's Date is
 * at least 60 s later; a client that polled between two writes of one
 * second would otherwise be told "not modified" until the next change.  So
 * both validators are dropped when the Date is missing, the Last-Modified
 * is younger than that, or the ETag carries such a young time; an
 * unchanged file then costs one plain GET until it is a minute old.
 */
static void
keep_strong_validators(CURL *c, char *etag, char *lm)
{
	time_t date = header_time(c, "Date"), t;
	int weak = date < 0;

	if (!weak && lm && lm[0]) {
		t = header_time(c, "Last-Modified");
		weak = t < 0 || date - t < KIT_TRANSPORT_VALIDATOR_MIN_AGE;
	}
	if (!weak && etag && etag[0]) {
		t = etag_time(etag);
		weak = t >= 0 && date - t < KIT_TRANSPORT_VALIDATOR_MIN_AGE;
	}
	if (weak) {
		if (etag)
			etag[0] = '\0';
		if (lm)
			lm[0] = '\0';
	}
}

/* ---- one transfer from a file:// base ---------------------------------- */

/* Open relpath beneath the file:// base's directory (see local_transfer()).
 * The file's descriptor, or -1 with *o and why set. */
static int
local_open(struct job *j, struct stat *st, char *why,
	   enum outcome *o)
{
	const char *dir = j->t->dirs[j->mirror];
	struct kit_error e = {0};
	char *name = NULL;
	int dfd, fd = -1, en;

	*o = OUT_PERMANENT;
	/* the directory given may itself be reached through a link */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		en = errno;
		j->not_found = en == ENOENT;
		whyf(why, "cannot open %s: %s", dir, strerror(en));
		goto out;
	}
	/* the escapes a caller kept (a role "a/b" is 1.a%2Fb.json) name
	 * the file as libcurl would have decoded them (job_init refused
	 * those that decode to '/', '\\', NUL, "." or "..") */
	name = unescape(j->relpath);
	fd = kit_file_open_read(dfd, name, st, &e);
	if (fd < 0) {
		en = errno;
		if (en == ENOENT) {
			j->not_found = 1;
			whyf(why, "%s is not in %s", j->relpath, dir);
		} else {
			whyf(why, "%s (on %s)", e.msg, dir);
			if (en == ELOOP || en == ENOTDIR || en == EINVAL)
				*o = OUT_BAD_BYTES;
		}
	}
out:
	free(name);
	if (dfd >= 0)
		close(dfd);
	return fd;
}

/* Copy the open file fd (size bytes) from j->offset into the part, with
 * the slow-retrieval guard between reads.  OUT_OK: all of it is in the
 * part (not yet checked). */
static enum outcome
local_copy(struct job *j, int fd, uint64_t size,
	   char *why, struct kit_error *err)
{
	struct kit_transport *t = j->t;
	const char *dir = t->dirs[j->mirror];
	unsigned char *buf = kit_xmalloc(LOCAL_BLOCK);
	enum outcome o = OUT_OK;
	int64_t window = now_ms(), slow_ms = t->o.low_speed_time * 1000L;
	uint64_t in_window = 0;

	for (;;) {
		size_t want = LOCAL_BLOCK;
		ssize_t r;

		if (j->range && j->exp_len - j->offset - j->got < want)
			want = (size_t)(j->exp_len - j->offset - j->got);
		if (want == 0)
			break;
		r = read(fd, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			whyf(why, "cannot read %s in %s: %s", j->relpath, dir, strerror(errno));
			o = OUT_TRANSIENT;
			goto out;
		}
		if (r == 0)
			break;
		t->st.bytes_received += (uint64_t)r;
		if (sink(j, buf, (size_t)r) != 0) {
			(void)stop_outcome(j, why, err, &o);
			goto out;
		}
		(void)on_progress(j, (curl_off_t)size - (curl_off_t)j->offset,
				  0, 0, 0);
		in_window += (uint64_t)r;
		if (now_ms() - window < slow_ms)
			continue;
		if (in_window < (uint64_t)t->o.low_speed_limit *
					(uint64_t)t->o.low_speed_time) {
			whyf(why, "%s in %s: read below %ld B/s for %ld s (a failing device?)", j->relpath, dir, t->o.low_speed_limit, t->o.low_speed_time);
			o = OUT_TRANSIENT;
			goto out;
		}
		window = now_ms();
		in_window = 0;
	}
out:
	free(buf);
	return o;
}

/*
 * A file:// base (a repository copy on removable media, a directory): the
 * file is read here rather than by libcurl, so that it is opened beneath
 * the base directory without following a link at any component (a link on
 * a stick to a root-only file must not be read as root), and only if it is
 * a regular file (a FIFO must not block the run for ever: O_NONBLOCK while
 * opening, then fstat).  A link or a special file is bad bytes from this
 * mirror: refused (KIT_E_SECURITY), its content never read, so never in a
 * message.  Size: refused before a byte is read when larger than max_len,
 * and never stored past it.  Time: the slow-retrieval guard of the
 * network applies between reads (a dead device that blocks a read() of a
 * regular file cannot be interrupted from here).
 */
static enum outcome
local_transfer(struct job *j, char *why,
	       struct kit_error *err)
{
	struct kit_transport *t = j->t;
	struct stat st;
	enum outcome o = OUT_PERMANENT;
	int fd;

	t->st.requests++;
	t->st.mirrors[j->mirror].requests++;
	fd = local_open(j, &st, why, &o);
	if (fd < 0)
		goto out;
	j->started = 1;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if (j->range) {
		/* a range of a pack: the file must hold all of it */
		if ((uint64_t)st.st_size < j->range_start + j->exp_len ||
		    lseek(fd, (off_t)(j->range_start + j->offset), SEEK_SET) < 0) {
			whyf(why, "%s in %s is shorter than the %llu bytes from byte %llu the signed index names", j->relpath, t->dirs[j->mirror], (unsigned long long)j->exp_len, (unsigned long long)j->range_start);
			o = OUT_BAD_BYTES;
			goto out;
		}
		if (j->offset > 0) {
			j->resumed = 1;
			t->st.resumes++;
		}
	} else if ((uint64_t)st.st_size > j->max_len) {
		j->stop = STOP_TOO_LARGE;
		(void)stop_outcome(j, why, err, &o);
		goto out;
	} else if (j->offset > 0) {
		if ((uint64_t)st.st_size < j->offset ||
		    lseek(fd, (off_t)j->offset, SEEK_SET) < 0) {
			whyf(why, "%s in %s is shorter than the part kept; copying it again from the start", j->relpath, t->dirs[j->mirror]);
			o = OUT_RESTART;
			goto out;
		}
		j->resumed = 1;
		t->st.resumes++;
	}
	o = local_copy(j, fd, (uint64_t)st.st_size, why, err);
	if (o == OUT_OK)
		o = finish(j, why, err);
out:
	if (fd >= 0)
		close(fd);
	return o;
}

/* ---- one transfer over http(s) ----------------------------------------- */

/* Connect, speed and buffer limits: slow retrieval is aborted only when the
 * rate stays below the limit for the whole window, never on a total
 * timeout that would kill honest slow links. */
static void
set_limits(CURL *c, const struct kit_transport *t)
{
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, t->o.connect_timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, t->o.low_speed_limit);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, t->o.low_speed_time);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (t->o.max_recv_speed > 0) {
		/* libcurl checks the rate between reads, and one read pass can
		 * drain up to 100 buffers; small buffers keep a fast link from
		 * bursting far past the limit (about 1/4 s worth at most) */
		long bs = (long)(t->o.max_recv_speed / 400);
		if (bs < 1024)
			bs = 1024;
		if (bs > CURL_MAX_WRITE_SIZE)
			bs = CURL_MAX_WRITE_SIZE;
		curl_easy_setopt(c, CURLOPT_BUFFERSIZE, bs);
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE,
				 (curl_off_t)t->o.max_recv_speed);
	} else {
		/* the largest receive buffer: a fast link then costs a few
		 * thousand reads and writes per GiB instead of 65,000 */
		curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
	}
}

/* TLS is always verified; a CA bundle replaces the system's (an office
 * behind a TLS-inspecting proxy gives the proxy's CA). */
static void
set_tls(CURL *c, const struct kit_transport *t)
{
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (t->cainfo) {
		curl_easy_setopt(c, CURLOPT_CAINFO, t->cainfo);
		curl_easy_setopt(c, CURLOPT_PROXY_CAINFO, t->cainfo);
	}
	if (t->proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, t->proxy);
}

/*
 * A new handle for every transfer, not curl_easy_reset(): libcurl before
 * 8.1.0 keeps a pointer to the previous response's last header across a
 * reset, and a response whose first header line starts with a space (a
 * folded line) is unfolded into that freed memory (curl pull request
 * 11103; tests/fuzz/transport_fuzz.c found it).  Connections, DNS and TLS
 * sessions are kept in t->share.  The handle replaces t->curl.
 */
static CURL *
new_handle(struct job *j, struct kit_error *err)
{
	struct kit_transport *t = j->t;
	CURL *c = curl_easy_init();

	if (!c) {
		kit_err(err, KIT_E_INVALID, "libcurl: cannot create a handle");
		return NULL;
	}
	curl_easy_cleanup(t->curl);
	t->curl = c;
	curl_easy_setopt(c, CURLOPT_SHARE, t->share);
	t->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 t->https_only_redirects[j->mirror] ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kit-fetch/" KIT_VERSION);
	set_limits(c, t);
	set_tls(c, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, j);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	return c;
}

/* One request header "name: value" appended to *hdrs. */
static int
add_header(struct curl_slist **hdrs, const char *name,
	   const char *value, struct kit_error *err)
{
	char line[KIT_TRANSPORT_VALIDATOR_MAX + 32];
	struct curl_slist *l;

	if (kit_snprintf(err, line, sizeof line, "%s: %s", name, value) != 0)
		return -1;
	l = curl_slist_append(*hdrs, line);
	if (!l)
		return kit_err(err, KIT_E_INVALID, "out of memory");
	*hdrs = l;
	return 0;
}

/* What this request asks for beyond the file: its encoding, the rest of a
 * kept part (Range), and the validators of a conditional GET.  *hdrs
 * receives the headers the handle points to (the caller frees them after
 * the transfer). */
static int
set_request(struct job *j, CURL *c, struct curl_slist **hdrs,
	    struct kit_error *err)
{
	char range[48];

	/* A file that is not resumed (metadata) may come compressed: every
	 * office downloads the snapshot after each change anywhere, and it
	 * compresses several times.  Limits and hashes apply to the decoded
	 * bytes (on_write), so a compressed bomb stops at max_len like any
	 * other endless data.  Archives (resumed by byte ranges, and zstd
	 * already) are asked for as they are. */
	if (!j->resume_ok)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (j->range) {
		if (kit_snprintf(err, range, sizeof range, "%llu-%llu",
				 (unsigned long long)(j->range_start + j->offset),
				 (unsigned long long)(j->range_start + j->exp_len - 1)) != 0)
			return -1;
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	} else if (j->offset > 0) {
		/* a plain Range (not RESUME_FROM) so that a 200 can restart
		 * from zero in the same request */
		if (kit_snprintf(err, range, sizeof range, "%llu-",
				 (unsigned long long)j->offset) != 0)
			return -1;
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	if (!j->cond)
		return 0;
	if (j->cond->etag && *j->cond->etag &&
	    add_header(hdrs, "If-None-Match", j->cond->etag, err) != 0)
		return -1;
	if (j->cond->last_modified && *j->cond->last_modified &&
	    add_header(hdrs, "If-Modified-Since", j->cond->last_modified, err) != 0)
		return -1;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

/* What a finished request means unless stop_outcome() said it: curl's
 * error (when the write side did not stop the transfer), or the HTTP
 * status.  OUT_OK here only means "a body to check". */
static enum outcome
http_outcome(struct job *j, CURL *c, CURLcode rc,
	     char *why, struct kit_error *err)
{
	struct kit_transport *t = j->t;
	long code = j->code;

	if (j->stop == STOP_NONE && j->offset > 0 &&
	    (rc == CURLE_BAD_DOWNLOAD_RESUME || rc == CURLE_RANGE_ERROR)) {
		whyf(why, "%s from %s: cannot continue from byte %llu (%s)", j->relpath, j->url, (unsigned long long)j->offset, t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		return OUT_RESTART;
	}
	if (j->stop == STOP_NONE && rc != CURLE_OK) {
		whyf(why, "download of %s failed: %s (curl error %d)%s", j->url, t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc), (int)rc, curl_hint(rc));
		j->not_found = rc == CURLE_FILE_COULDNT_READ_FILE;
		return transient_curl_code(rc) ? OUT_TRANSIENT : OUT_PERMANENT;
	}
	if (code == 304 && j->cond) {
		t->st.not_modified++;
		if (t->o.json_progress)
			json_line(json_pack("{s:s, s:s}", "event", "not_modified",
					    "file", j->relpath));
		return OUT_NOT_MODIFIED;
	}
	if (code == 416 && j->range) {
		whyf(why, "%s from %s is shorter than the %llu bytes from byte %llu the signed index names (416)", j->relpath, j->url, (unsigned long long)j->exp_len, (unsigned long long)j->range_start);
		return OUT_BAD_BYTES;
	}
	if (code == 416 && j->offset > 0) {
		whyf(why, "%s from %s: range from byte %llu refused (416)", j->relpath, j->url, (unsigned long long)j->offset);
		return OUT_RESTART;
	}
	if (code != 200 && code != 206) {
		whyf(why, "download of %s failed: HTTP %ld", j->url, code);
		if (transient_status(code)) {
			j->retry_after_ms = retry_after_ms(c);
			return OUT_TRANSIENT;
		}
		j->not_found = code == 404 || code == 410;
		return OUT_PERMANENT;
	}
	/* a 200 with no body: on_first_bytes() did not truncate the part */
	if (!j->started && code == 200 && j->offset > 0 && !j->sink &&
	    truncate_part(j) != 0) {
		kit_err_errno(err, KIT_E_IO, j->io_errno, "cannot truncate %s", j->part);
		return OUT_LOCAL;
	}
	return OUT_OK;
}

/* The request for j over http(s), its answer checked, the file verified
 * and moved into place (finish()). */
static enum outcome
http_transfer(struct job *j, char *why,
	      struct kit_error *err)
{
	struct kit_transport *t = j->t;
	struct curl_slist *hdrs = NULL;
	enum outcome o = OUT_LOCAL;
	long redirects = 0;
	CURL *c;
	CURLcode rc;

	c = new_handle(j, err);
	if (!c || set_request(j, c, &hdrs, err) != 0)
		goto out;
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &redirects);
	t->st.requests += 1 + (uint64_t)redirects;
	t->st.mirrors[j->mirror].requests += 1 + (uint64_t)redirects;
	if (!j->started)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->code);
	if (stop_outcome(j, why, err, &o))
		goto out;
	o = http_outcome(j, c, rc, why, err);
	if (o != OUT_OK)
		goto out;
	o = finish(j, why, err);
	if (o == OUT_OK && j->cond) {
		struct kit_transport_cond *cd = j->cond;
		copy_validator(c, "ETag", cd->etag_out, sizeof cd->etag_out);
		copy_validator(c, "Last-Modified", cd->last_modified_out,
			       sizeof cd->last_modified_out);
		keep_strong_validators(c, cd->etag_out, cd->last_modified_out);
	}
out:
	curl_slist_free_all(hdrs);
	return o;
}

/* ---- one transfer from one mirror -------------------------------------- */

/* Forget what the previous transfer of j recorded. */
static void
transfer_reset(struct job *j, size_t mi, char *why)
{
	j->mirror = mi;
	j->fd = -1;
	j->got = 0;
	j->started = 0;
	j->resumed = 0;
	j->code = 0;
	j->stop = STOP_NONE;
	j->io_errno = 0;
	j->retry_after_ms = 0;
	j->not_found = 0;
	j->bar_drawn = 0;
	j->sink_rc = 0;
	kit_err_clear(&j->sink_err);
	memset(&j->last_bar, 0, sizeof j->last_bar);
	memset(&j->last_json, 0, sizeof j->last_json);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	why[0] = '\0';
}

/* One try at j from mirror mi: the part opened (and what it holds
 * hashed), the bytes fetched, checked and moved into place.  why receives
 * the reason of any outcome but OUT_OK, OUT_NOT_MODIFIED and OUT_LOCAL
 * (err is set for OUT_LOCAL). */
static enum outcome
transfer_once(struct job *j, size_t mi, char *why,
	      struct kit_error *err)
{
	enum outcome o = OUT_LOCAL;

	transfer_reset(j, mi, why);
	if (url_for(j, mi, err) != 0)
		goto out;
	j->h = kit_sha256_new();
	if (!j->h) {
		kit_err(err, KIT_E_INVALID, "out of memory");
		goto out;
	}
	if (open_part(j, err) != 0)
		goto out;
	if (j->exp_len && j->offset == j->exp_len) {
		/* a complete part from an earlier run: check it, no request */
		j->resumed = 1;
		o = finish(j, why, err);
	} else if (j->is_http) {
		o = http_transfer(j, why, err);
	} else {
		o = local_transfer(j, why, err);
	}
out:
	if (j->bar_drawn && o != OUT_OK) {
		fputc('\n', stderr);
		fflush(stderr);
	}
	if (j->fd >= 0) {
		/* keep what arrived for a resume, across a crash too */
		if (j->resume_ok && flush_part(j) == 0 && o == OUT_TRANSIENT)
			(void)fsync(j->fd);
		close(j->fd);
		j->fd = -1;
	}
	j->buffered = 0;
	free(j->buf);
	j->buf = NULL;
	kit_sha256_free(j->h);
	j->h = NULL;
	return o;
}

/* ---- the fetch loop: retries per mirror, failover between mirrors ------ */

/* What the tries at one file came to, over all mirrors. */
struct tally {
	int n_tried;    /* mirrors tried (not skipped) */
	int n_bad;      /* mirrors that served bad bytes */
	int n_net;      /* mirrors that failed otherwise */
	int n_missing;  /* ... of which said the file does not exist */
	int n_no_range; /* ... or answered a range request unusably */
	char why[WHY_BUF], last_net[WHY_BUF], last_bad[WHY_BUF];
};

/* Forget what the part holds: the file, or what the sink holds of an
 * unfinished piece. */
static int
drop_part(struct job *j)
{
	if (j->sink) {
		j->sink->rewind(j->sink->arg);
		return 0;
	}
	return unlink(j->part) != 0 && errno != ENOENT ? -1 : 0;
}

/* The bytes mirror m served were wrong: it is not asked again this run. */
static void
skip_mirror(struct job *j, struct kit_transport_mirror *m,
	    struct tally *tl)
{
	(void)drop_part(j);
	m->bad_bytes++;
	m->failures++;
	m->skipped = 1;
	tl->n_bad++;
	memcpy(tl->last_bad, tl->why, sizeof tl->why);
	/* with one source the failure line says it all */
	if (j->t->st.n_mirrors > 1)
		tlog(j->t, "%s; mirror %s is skipped for the rest of this run", tl->why, m->url);
}

/* The wait before the next try: the backoff, or the server's Retry-After
 * when longer (but never past the largest backoff). */
static long
retry_delay(struct job *j, int attempt)
{
	struct kit_transport *t = j->t;
	long d = backoff_ms(t, attempt);

	if (j->retry_after_ms > d)
		d = j->retry_after_ms > t->o.backoff_cap_ms ? t->o.backoff_cap_ms
							    : j->retry_after_ms;
	return d;
}

/*
 * Tries j at mirror mi until it is served, the mirror fails for good (its
 * retries or restarts used up) or serves bad bytes.  1: the file is in
 * place or not modified; 0: go on with the next mirror (tl says why);
 * -1: a local failure, err is set.
 */
static int
try_mirror(struct job *j, size_t mi, struct tally *tl,
	   struct kit_error *err)
{
	struct kit_transport *t = j->t;
	struct kit_transport_mirror *m = &t->st.mirrors[mi];
	int attempt = 0, restarts = 0;

	for (;;) {
		enum outcome o = transfer_once(j, mi, tl->why, err);
		if (o == OUT_OK)
			return 1;
		if (o == OUT_NOT_MODIFIED) {
			(void)drop_part(j);
			j->cond->not_modified = 1;
			return 1;
		}
		if (o == OUT_LOCAL)
			return -1;
		if (o == OUT_RESTART && restarts < MAX_RESTARTS) {
			restarts++;
			if (drop_part(j) != 0)
				return kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s", j->part);
			if (tl->why[0])
				tlog(t, "%s", tl->why);
			continue;
		}
		if (o == OUT_BAD_BYTES ||
		    (o == OUT_RESTART && j->stop == STOP_SINK)) {
			/* (bytes the sink refused again and again) */
			skip_mirror(j, m, tl);
			return 0;
		}
		if (o == OUT_TRANSIENT && attempt < t->o.retries) {
			long d = retry_delay(j, attempt);
			attempt++;
			t->st.retries++;
			tlog(t, "%s; retry %d of %d in %ld ms", tl->why, attempt, t->o.retries, d);
			sleep_ms(d);
			continue;
		}
		/* permanent, retries used up, or restarts used up */
		if (o == OUT_RESTART) {
			(void)drop_part(j);
			tl->n_no_range += j->range;
		}
		if (j->not_found)
			tl->n_missing++;
		m->failures++;
		tl->n_net++;
		memcpy(tl->last_net, tl->why, sizeof tl->why);
		if (t->st.n_mirrors > 1)
			tlog(t, "%s; trying the next mirror", tl->why);
		return 0;
	}
}

/* j from each mirror in turn, until one serves it. */
static int
run_job(struct job *j, struct kit_error *err)
{
	struct kit_transport *t = j->t;
	struct tally tl;

	memset(&tl, 0, sizeof tl);
	t->last_not_found = 0;
	t->last_no_range = 0;
	for (size_t mi = 0; mi < t->st.n_mirrors; mi++) {
		if (t->st.mirrors[mi].skipped)
			continue;
		tl.n_tried++;
		int rc = try_mirror(j, mi, &tl, err);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
	if (!j->resume_ok)
		(void)unlink(j->part);
	if (tl.n_tried == 0)
		return kit_err(err, KIT_E_SECURITY, "%s: every mirror served bad bytes earlier in this run; check the mirrors or add a good one", j->relpath);
	if (tl.n_bad > 0)
		return kit_err(err, KIT_E_SECURITY, "%s%s%s; the file was refused", tl.last_bad, tl.n_net ? "; other mirrors failed: " : "", tl.n_net ? tl.last_net : "");
	t->last_not_found = tl.n_missing > 0;
	t->last_no_range = tl.n_no_range > 0;
	return kit_err(err, KIT_E_NETWORK, "%s", tl.last_net);
}

/* ---- the fetches ------------------------------------------------------- */

static int
job_init(struct job *j, struct kit_transport *t, const char *relpath,
	 const char *dest, uint64_t max_len, struct kit_error *err)
{
	memset(j, 0, sizeof *j);
	j->t = t;
	j->fd = -1;
	if (!t || !relpath || !dest)
		return kit_err(err, KIT_E_INVALID, "transport fetch: missing argument");
	int file_base = 0;
	for (size_t i = 0; i < t->st.n_mirrors; i++)
		file_base |= has_scheme(t->urls[i], "file://");
	if (!kit_path_is_safe(relpath) || !escapes_are_safe(relpath, file_base))
		return kit_err(err, KIT_E_INVALID,
			       "refusing to fetch unsafe path \"%s\"", relpath);
	if (max_len == 0)
		return kit_err(err, KIT_E_INVALID,
			       "fetch of %s without a length limit", relpath);
	j->relpath = relpath;
	j->dest = dest;
	j->max_len = max_len;
	if (kit_snprintf(err, j->part, sizeof j->part, "%s.part", dest) != 0)
		return -1;
	return 0;
}

int
kit_transport_fetch(struct kit_transport *t, const char *relpath,
		    const char *dest_path, uint64_t max_len,
		    const char *expect_sha256_hex, uint64_t expect_len,
		    struct kit_error *err)
{
	struct job j;
	unsigned char raw[KIT_SHA256_LEN];
	char lower[KIT_SHA256_HEX];

	if (job_init(&j, t, relpath, dest_path, max_len, err) != 0)
		return -1;
	if (expect_sha256_hex) {
		if (strlen(expect_sha256_hex) != 64 ||
		    kit_hex_decode(expect_sha256_hex, raw, sizeof raw) != 0)
			return kit_err(err, KIT_E_INVALID,
				       "expected sha256 of %s is not 64 hex digits", relpath);
		kit_hex_encode(raw, sizeof raw, lower);
		j.exp_hash = lower;
		j.resume_ok = 1;
	}
	if (expect_len > max_len)
		return kit_err(err, KIT_E_INVALID,
			       "expected length of %s exceeds its limit", relpath);
	j.exp_len = expect_len;
	return run_job(&j, err);
}

int
kit_transport_fetch_range(struct kit_transport *t, const char *relpath,
			  uint64_t offset, uint64_t len,
			  const struct kit_transport_sink *sink,
			  struct kit_error *err)
{
	struct job j;

	if (job_init(&j, t, relpath, relpath, len ? len : 1, err) != 0)
		return -1;
	if (len == 0 || offset > UINT64_MAX / 2 || len > UINT64_MAX / 2 ||
	    sink == NULL || !sink->held || !sink->write || !sink->rewind)
		return kit_err(err, KIT_E_INVALID, "range of %s: bad offset, length or sink", relpath);
	j.range = 1;
	j.range_start = offset;
	j.exp_len = len;
	/* the sink holds each object in the range to its hash as it
	 * arrives, so that a mirror serving wrong bytes is skipped like any
	 * other; there is no part file */
	j.sink = sink;
	j.part[0] = '\0';
	j.resume_ok = 1;
	return run_job(&j, err);
}

static int
validator_ok(const char *v)
{
	if (!v)
		return 1;
	size_t n = strlen(v);
	if (n >= KIT_TRANSPORT_VALIDATOR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

int
kit_transport_fetch_cond(struct kit_transport *t, const char *relpath,
			 const char *dest_path, uint64_t max_len,
			 struct kit_transport_cond *cond,
			 struct kit_error *err)
{
	struct job j;

	if (!cond)
		return kit_err(err, KIT_E_INVALID, "conditional fetch of %s without its validators", relpath ? relpath : "a file");
	cond->not_modified = 0;
	cond->etag_out[0] = '\0';
	cond->last_modified_out[0] = '\0';
	if (job_init(&j, t, relpath, dest_path, max_len, err) != 0)
		return -1;
	/* validators come from our state; refuse header injection anyway */
	if (!validator_ok(cond->etag) || !validator_ok(cond->last_modified))
		return kit_err(err, KIT_E_INVALID, "stored ETag or Last-Modified for %s is not one line of printable text", relpath);
	j.cond = cond;
	return run_job(&j, err);
}
