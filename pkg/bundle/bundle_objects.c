/*
 * bundle_objects.c: packs of stored objects (kit-publish) and kits
 * assembled from them and from the release already installed (kit-fetch).
 * See kit_bundle.h, "packs of stored objects".
 *
 * Every object that arrives is hostile until its stored bytes have the
 * length and SHA-256 the signed index gives: only then does zstd read
 * them, with the output capped at the file's signed size and checked
 * against its SHA-256 again.
 */
/* sync_file_range() is Linux's: _GNU_SOURCE for it, as in
 * bundle_extract.c; elsewhere the #ifdef leaves the install's fsync pass. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "bundle_int.h"
#include "kit_bundle.h"

#define BLOCK (1u << 20)
#define SAMPLE (128u << 10)
/* objects closer than this in a pack are fetched in one range */
#define SPAN_GAP (4u << 10)

/* ------------------------------------------------------------------ writer */

struct kit_bundle_pack {
	char *path;
	int fd;
	int level;
	int finished;
	uint64_t size;
	ZSTD_CCtx *z;
	unsigned char *in, *out;
	size_t out_size;
};

struct kit_bundle_pack *
kit_bundle_pack_new(const char *path, int zstd_level, struct kit_error *err)
{
	struct kit_bundle_pack *p;

	if (zstd_level == 0)
		zstd_level = KIT_BUNDLE_ZSTD_DEFAULT;
	if (zstd_level < 1 || zstd_level > 19) {
		kit_err(err, KIT_E_INVALID, "zstd level %d: use 1 to 19", zstd_level);
		return NULL;
	}
	p = kit_xcalloc(1, sizeof(*p));
	p->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (p->fd < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s", path);
		free(p);
		return NULL;
	}
	p->path = kit_strdup(path);
	p->level = zstd_level;
	p->z = ZSTD_createCCtx();
	p->in = kit_xmalloc(BLOCK);
	p->out_size = ZSTD_CStreamOutSize();
	p->out = kit_xmalloc(p->out_size);
	if (p->z == NULL) {
		kit_err(err, KIT_E_INVALID, "zstd: out of memory");
		kit_bundle_pack_free(p);
		return NULL;
	}
	return p;
}

uint64_t
kit_bundle_pack_size(const struct kit_bundle_pack *p)
{
	return p ? p->size : 0;
}

/* The source of one object, read in blocks from its start. */
struct source {
	int fd; /* -1: data */
	const unsigned char *data;
	size_t len, pos;
	const char *shown;
};

static int
source_open(struct source *s, int src_dir, const char *src, const void *data,
	    size_t len, struct kit_error *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->shown = src ? src : "(generated)";
	if (src == NULL) {
		s->data = data;
		s->len = len;
		return 0;
	}
	s->fd = kit_file_open_read(src_dir, src, NULL, err);
	return s->fd < 0 ? -1 : 0;
}

static int
source_rewind(struct source *s, struct kit_error *err)
{
	s->pos = 0;
	if (s->fd >= 0 && lseek(s->fd, 0, SEEK_SET) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", s->shown);
	return 0;
}

/* Up to max bytes into buf: the count, 0 at the end, -1 on errors. */
static ssize_t
source_read(struct source *s, unsigned char *buf, size_t max,
	    struct kit_error *err)
{
	ssize_t r;

	if (s->fd < 0) {
		size_t n = s->len - s->pos < max ? s->len - s->pos : max;

		memcpy(buf, s->data + s->pos, n);
		s->pos += n;
		return (ssize_t)n;
	}
	do
		r = read(s->fd, buf, max);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", s->shown);
	return r;
}

static void
source_close(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* 1 when zstd makes the first SAMPLE bytes at least 3% smaller. */
static int
worth_compressing(struct kit_bundle_pack *p, struct source *s,
		  struct kit_error *err)
{
	size_t n = 0, bound;
	ssize_t r;
	unsigned char *dst;
	size_t z;

	while (n < SAMPLE && (r = source_read(s, p->in + n, SAMPLE - n, err)) > 0)
		n += (size_t)r;
	if (source_rewind(s, err) != 0)
		return -1;
	if (n < 64)
		return 0;
	bound = ZSTD_compressBound(n);
	dst = kit_xmalloc(bound);
	z = ZSTD_compress(dst, bound, p->in, n, 3);
	free(dst);
	return !ZSTD_isError(z) && z < n - n / 33;
}

static int
pack_write(struct kit_bundle_pack *p, const void *b, size_t n,
	   struct kit_sha256 *h, struct kit_error *err)
{
	if (kit_fd_write_all(p->fd, b, n) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot write %s", p->path);
	if (h)
		kit_sha256_update(h, b, n);
	p->size += n;
	return 0;
}

/* Copy or compress the whole source to the end of the pack; *raw_hex
 * receives the source's digest, stored_hex the stored bytes'. */
static int
store(struct kit_bundle_pack *p, struct source *s, int compress,
      char *raw_hex, char *stored_hex, uint64_t *raw_len,
      struct kit_error *err)
{
	struct kit_sha256 *hr = kit_sha256_new(), *hs = kit_sha256_new();
	int rc = -1;

	*raw_len = 0;
	if (hr == NULL || hs == NULL) {
		kit_err(err, KIT_E_INVALID, "out of memory");
		goto out;
	}
	if (compress) {
		ZSTD_CCtx_reset(p->z, ZSTD_reset_session_and_parameters);
		if (ZSTD_isError(ZSTD_CCtx_setParameter(p->z, ZSTD_c_compressionLevel, p->level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(p->z, ZSTD_c_checksumFlag, 0))) {
			kit_err(err, KIT_E_INVALID, "zstd: cannot set the level");
			goto out;
		}
	}
	for (;;) {
		ssize_t r = source_read(s, p->in, BLOCK, err);
		ZSTD_EndDirective end = r == 0 ? ZSTD_e_end : ZSTD_e_continue;

		if (r < 0)
			goto out;
		kit_sha256_update(hr, p->in, (size_t)r);
		*raw_len += (uint64_t)r;
		if (!compress) {
			if (r == 0)
				break;
			if (pack_write(p, p->in, (size_t)r, hs, err) != 0)
				goto out;
			continue;
		}
		ZSTD_inBuffer in = {p->in, (size_t)r, 0};
		size_t left;

		do {
			ZSTD_outBuffer o = {p->out, p->out_size, 0};

			left = ZSTD_compressStream2(p->z, &o, &in, end);
			if (ZSTD_isError(left)) {
				kit_err(err, KIT_E_INVALID, "zstd: %s", ZSTD_getErrorName(left));
				goto out;
			}
			if (pack_write(p, p->out, o.pos, hs, err) != 0)
				goto out;
		} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
		if (r == 0)
			break;
	}
	kit_sha256_final_hex(hr, raw_hex);
	kit_sha256_final_hex(hs, stored_hex);
	rc = 0;
out:
	kit_sha256_free(hr);
	kit_sha256_free(hs);
	return rc;
}

static int
pack_cut(struct kit_bundle_pack *p, uint64_t at, struct kit_error *err)
{
	if (ftruncate(p->fd, (off_t)at) != 0 ||
	    lseek(p->fd, (off_t)at, SEEK_SET) != (off_t)at)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot truncate %s", p->path);
	p->size = at;
	return 0;
}

int
kit_bundle_pack_add(struct kit_bundle_pack *p, int src_dir, const char *src,
		    const void *data, size_t len, struct kit_manifest_object *o,
		    struct kit_error *err)
{
	struct source s;
	char raw[KIT_SHA256_HEX], stored[KIT_SHA256_HEX];
	uint64_t start = p->size, n = 0;
	int compress, rc = -1;

	if (source_open(&s, src_dir, src, data, len, err) != 0)
		return -1;
	compress = worth_compressing(p, &s, err);
	if (compress < 0)
		goto out;
	if (store(p, &s, compress, raw, stored, &n, err) != 0)
		goto out;
	if (compress && p->size - start >= n) {
		/* not smaller after all: raw */
		compress = 0;
		if (pack_cut(p, start, err) != 0 || source_rewind(&s, err) != 0 ||
		    store(p, &s, 0, raw, stored, &n, err) != 0)
			goto out;
	}
	if (n != o->size || strcmp(raw, o->sha256) != 0) {
		kit_err(err, KIT_E_IO, "%s changed while it was packed (%llu bytes, sha256 %.16s..., the kit's manifest says %llu, %.16s...); publish again", s.shown, (unsigned long long)n, raw, (unsigned long long)o->size, o->sha256);
		goto out;
	}
	o->offset = start;
	o->stored = p->size - start;
	o->zstd = compress;
	if (compress)
		memcpy(o->stored_sha256, stored, KIT_SHA256_HEX);
	else
		o->stored_sha256[0] = '\0';
	rc = 0;
out:
	if (rc != 0 && p->size != start) {
		struct kit_error ignore = {0};

		(void)pack_cut(p, start, &ignore);
	}
	source_close(&s);
	return rc;
}

int
kit_bundle_pack_add_raw(struct kit_bundle_pack *p, const void *data,
			size_t len, uint64_t *offset, struct kit_error *err)
{
	*offset = p->size;
	return pack_write(p, data, len, NULL, err);
}

int
kit_bundle_delta_make(const void *base, size_t base_len, const void *data,
		      size_t len, int zstd_level, unsigned char **out,
		      size_t *out_len, char stored_hex[KIT_SHA256_HEX],
		      struct kit_error *err)
{
	ZSTD_CCtx *z = NULL;
	size_t bound = ZSTD_compressBound(len), n;
	unsigned wlog = 10;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if (base_len > KIT_INDEX_DELTA_MAX || len > KIT_INDEX_DELTA_MAX)
		return kit_err(err, KIT_E_INVALID, "delta: base or file over %u bytes", KIT_INDEX_DELTA_MAX);
	while (wlog < 23 && ((size_t)1 << wlog) < base_len + len)
		wlog++;
	z = ZSTD_createCCtx();
	*out = kit_xmalloc(bound ? bound : 1);
	if (z == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, zstd_level ? zstd_level : KIT_BUNDLE_ZSTD_DEFAULT)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog, (int)wlog)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_enableLongDistanceMatching, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_refPrefix(z, base, base_len))) {
		kit_err(err, KIT_E_INVALID, "zstd: cannot set up a delta");
		goto out;
	}
	n = ZSTD_compress2(z, *out, bound, data, len);
	if (ZSTD_isError(n)) {
		kit_err(err, KIT_E_INVALID, "zstd: %s", ZSTD_getErrorName(n));
		goto out;
	}
	*out_len = n;
	kit_sha256_hex(*out, n, stored_hex);
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	ZSTD_freeCCtx(z);
	return rc;
}

int
kit_bundle_pack_finish(struct kit_bundle_pack *p, char hex[KIT_SHA256_HEX],
		       struct kit_error *err)
{
	if (kit_fd_sync(p->fd) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s", p->path);
	if (close(p->fd) != 0) {
		p->fd = -1;
		return kit_err_errno(err, KIT_E_IO, errno, "cannot close %s", p->path);
	}
	p->fd = -1;
	if (kit_sha256_file(p->path, hex, NULL, err) != 0)
		return -1;
	p->finished = 1;
	return 0;
}

void
kit_bundle_pack_free(struct kit_bundle_pack *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (!p->finished && p->path)
		(void)unlink(p->path);
	ZSTD_freeCCtx(p->z);
	free(p->in);
	free(p->out);
	free(p->path);
	free(p);
}

/* ------------------------------------------------------------------ reader */

/* A zstd frame (an object or a delta) of at most this many stored bytes
 * is held in memory until its hash is checked, then decoded; a larger
 * one goes to a part file first. */
#define MEM_MAX (8u << 20)
/* A raw object of at least this many bytes arrives in a part file of the
 * work directory named by its hash, which a later run resumes when this
 * one is cut off, and becomes the staging file once its hash is checked;
 * a smaller one is written straight into staging. */
#define PART_MIN BLOCK
/* A first install (nothing to reuse) merges the gaps between the objects
 * it wants in a pack while they stay under 1/8 of the bytes wanted or
 * under this: fewer requests for a few more bytes. */
#define FIRST_GAP (64u << 10)

static int read_base(const struct kit_bundle_base *b, const char *path,
		     unsigned char **out, size_t *len, struct kit_error *err);
static int copy_fd(int in, int out, const char *shown, struct kit_sha256 *h,
		   uint64_t *n, struct kit_error *err);

struct want {
	const struct kit_manifest_object *o; /* the file's object */
	struct kit_manifest_object x;        /* what is fetched: o, or a delta */
	const char *base_path;               /* a delta's base in the base release */
	const char *path;                    /* the first path of the kit with this content */
	uint64_t kept;                       /* bytes in its part file from an earlier run */
};

/*
 * The objects of one range as its bytes arrive (a kit_bundle_sink): each
 * object's stored bytes are hashed as they come and count only when they
 * have the length and hash of the signed index.  A raw object is written
 * as it arrives (into staging, or its part file when large); a zstd frame
 * is held in memory (or its part file when large) and decoded only once
 * its hash is right.  Gap bytes between the objects are dropped.
 */
struct stream {
	struct want *w; /* the range's objects, by offset */
	size_t n;
	uint64_t start; /* the range's first byte in the pack */
	uint64_t held;  /* bytes of the range had */
	size_t cur;     /* the first object not complete */
	/* the current object */
	uint64_t got;
	int earlier; /* some of got came before this transfer */
	int fd;      /* its file, or -1 */
	int in_part; /* fd is its part file in the work directory */
	struct kit_sha256 *h;
	unsigned char *mem; /* its stored bytes, when held in memory */
	size_t mem_cap;
	/* bytes for fd not yet written: libcurl hands over 16 KiB at a
	 * time, they are written WBUF at a time */
	unsigned char *wbuf;
	size_t wlen;
	/* where objects go */
	int one;  /* kit_bundle_object_fetch: the one object into out */
	int sdfd; /* the staging directory */
	const char *staging;
	int wdfd; /* the work directory (part files) */
	const char *work;
	const char *tag;
	const struct kit_bundle_base *base;
	unsigned char *out; /* kit_bundle_object_fetch: the decoded object */
	const void *prefix;
	size_t prefix_len;
	struct kit_bundle_assembly *st;
};

/* The next block of the stored bytes [done, stored) at byte at of sfd
 * into buf: its length, or -1 (err set). */
static ssize_t
read_block(int sfd, uint64_t at, uint64_t done, uint64_t stored,
	   unsigned char *buf, const char *shown, struct kit_error *err)
{
	size_t want = stored - done < BLOCK ? (size_t)(stored - done) : BLOCK;
	ssize_t r;

	do
		r = pread(sfd, buf, want, (off_t)(at + done));
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		kit_err_errno(err, KIT_E_IO, r < 0 ? errno : EIO, "cannot read the fetched bytes of %s", shown);
		return -1;
	}
	return r;
}

/* 0 when o's stored bytes at byte at of sfd hash to what the index says
 * (the frame's hash, or the file's for raw bytes); -1 with err set
 * (KIT_E_SECURITY when they do not, KIT_E_IO when they cannot be read). */
static int
stored_ok(int sfd, uint64_t at, const struct kit_manifest_object *o,
	  const char *shown, struct kit_error *err)
{
	unsigned char *buf = kit_xmalloc(BLOCK);
	struct kit_sha256 *h = kit_sha256_new();
	const char *want = o->zstd ? o->stored_sha256 : o->sha256;
	char hex[KIT_SHA256_HEX];
	uint64_t done;
	int rc = -1;

	if (h == NULL) {
		kit_err(err, KIT_E_INVALID, "out of memory");
		goto out;
	}
	for (done = 0; done < o->stored;) {
		ssize_t r = read_block(sfd, at, done, o->stored, buf, shown, err);

		if (r < 0)
			goto out;
		kit_sha256_update(h, buf, (size_t)r);
		done += (uint64_t)r;
	}
	kit_sha256_final_hex(h, hex);
	if (!kit_hex_equal(hex, want)) {
		kit_err(err, KIT_E_SECURITY, "%s: its stored bytes hash to %s, the signed index says %s", shown, hex, want);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	kit_sha256_free(h);
	return rc;
}

/*
 * Object o, whose stored bytes are src (in memory) or at byte at of the
 * open file sfd, written to the open file out (or into *mem, at most
 * o->size bytes, when out < 0).  Unless the caller says they are checked,
 * the stored bytes are hashed first; only then are they decoded, and what
 * they decode to is checked again.
 */
static int
decode_object(int sfd, uint64_t at, const unsigned char *src, int checked,
	      const struct kit_manifest_object *o, const void *prefix,
	      size_t prefix_len, int out, unsigned char *mem,
	      const char *shown, struct kit_error *err)
{
	unsigned char *buf = src ? NULL : kit_xmalloc(BLOCK), *obuf = NULL;
	struct kit_sha256 *h = kit_sha256_new();
	ZSTD_DCtx *z = NULL;
	char hex[KIT_SHA256_HEX];
	uint64_t done, produced = 0;
	int rc = -1;

	if (h == NULL) {
		kit_err(err, KIT_E_INVALID, "out of memory");
		goto out;
	}
	if (o->zstd) {
		if (!checked && stored_ok(sfd, at, o, shown, err) != 0) {
			if (err->code == KIT_E_SECURITY)
				kit_err_suffix(err, "; refused");
			goto out;
		}
		z = ZSTD_createDCtx();
		obuf = kit_xmalloc(ZSTD_DStreamOutSize());
		if (z == NULL) {
			kit_err(err, KIT_E_INVALID, "zstd: out of memory");
			goto out;
		}
		(void)ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, 23);
		if (prefix != NULL &&
		    ZSTD_isError(ZSTD_DCtx_refPrefix(z, prefix, prefix_len))) {
			kit_err(err, KIT_E_INVALID, "zstd: cannot use the base of a delta");
			goto out;
		}
	}
	size_t last = 0;

	for (done = 0; done < o->stored;) {
		const unsigned char *blk;
		ssize_t r;

		if (src) {
			blk = src + done;
			r = o->stored - done < BLOCK ? (ssize_t)(o->stored - done) : (ssize_t)BLOCK;
		} else {
			blk = buf;
			r = read_block(sfd, at, done, o->stored, buf, shown, err);
			if (r < 0)
				goto out;
		}
		done += (uint64_t)r;
		ZSTD_inBuffer in = {blk, (size_t)r, 0};
		int full = 0;

		do {
			const unsigned char *piece = blk;
			size_t n = (size_t)r;

			if (o->zstd) {
				ZSTD_outBuffer ob = {obuf, ZSTD_DStreamOutSize(), 0};

				last = ZSTD_decompressStream(z, &ob, &in);
				if (ZSTD_isError(last)) {
					kit_err(err, KIT_E_SECURITY, "%s: its zstd frame does not decode (%s); refused", shown, ZSTD_getErrorName(last));
					goto out;
				}
				piece = obuf;
				n = ob.pos;
				full = ob.pos == ob.size;
			} else {
				in.pos = in.size;
			}
			if (produced + n > o->size) {
				kit_err(err, KIT_E_SECURITY, "%s: decodes to more than the %llu bytes the manifest says; refused", shown, (unsigned long long)o->size);
				goto out;
			}
			if (out >= 0 && kit_fd_write_all(out, piece, n) != 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot write %s", shown);
				goto out;
			}
			if (out < 0)
				memcpy(mem + produced, piece, n);
			kit_sha256_update(h, piece, n);
			produced += n;
			/* a full buffer may hold more; once the frame has
			 * ended (0) another call would start a new one */
		} while (in.pos < in.size || (full && last != 0));
	}
	kit_sha256_final_hex(h, hex);
	if ((o->zstd && last != 0) || produced != o->size) {
		kit_err(err, KIT_E_SECURITY, "%s: decodes to %llu bytes, the manifest says %llu; refused", shown, (unsigned long long)produced, (unsigned long long)o->size);
		goto out;
	}
	if (!kit_hex_equal(hex, o->sha256)) {
		kit_err(err, KIT_E_SECURITY, "%s: has sha256 %s, the manifest says %s; refused", shown, hex, o->sha256);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(obuf);
	ZSTD_freeDCtx(z);
	kit_sha256_free(h);
	return rc;
}

/* Bytes for the open file of an object are written WBUF at a time. */
#define WBUF (512u << 10)

/* The hash that names x's stored bytes (and its part file). */
static const char *
stored_hex(const struct kit_manifest_object *x)
{
	return x->zstd ? x->stored_sha256 : x->sha256;
}

/* 1 when x arrives in a part file of the work directory. */
static int
uses_part(const struct stream *s, const struct kit_manifest_object *x)
{
	if (s->one)
		return 0;
	return x->zstd ? x->stored > MEM_MAX : x->stored >= PART_MIN;
}

/* The part file of stored bytes hex: obj.<tag>.<hex>.part */
static void
part_name(char *out, size_t size, const char *tag, const char *hex)
{
	snprintf(out, size, "obj.%s.%s.part", tag, hex);
}

/* Start writing writeback of a finished file now (the install's one fsync
 * pass then mostly waits for work under way), then close it. */
static int
close_written(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	return close(fd);
}

/* The current object's file could not be written: err names it. */
static int
write_failed(struct stream *s, struct kit_error *err)
{
	const struct want *w = &s->w[s->cur];
	char shown[200];
	int e = errno;

	if (s->in_part)
		part_name(shown, sizeof(shown), s->tag, stored_hex(&w->x));
	else
		kit_str_sanitize(w->path, shown, sizeof(shown));
	return kit_err_errno(err, KIT_E_IO, e, "cannot write %s/%s", s->in_part ? s->work : s->staging, shown);
}

/* The buffered bytes of the current object into its file. */
static int
stream_flush(struct stream *s, struct kit_error *err)
{
	if (s->wlen > 0 && kit_fd_write_all(s->fd, s->wbuf, s->wlen) != 0)
		return write_failed(s, err);
	s->wlen = 0;
	return 0;
}

/* n bytes for the current object's file, written WBUF at a time. */
static int
stream_put(struct stream *s, const unsigned char *p, size_t n,
	   struct kit_error *err)
{
	if (s->wbuf == NULL)
		s->wbuf = kit_xmalloc(WBUF);
	if (s->wlen + n > WBUF && stream_flush(s, err) != 0)
		return -1;
	if (n >= WBUF)
		return kit_fd_write_all(s->fd, p, n) == 0 ? 0 : write_failed(s, err);
	memcpy(s->wbuf + s->wlen, p, n);
	s->wlen += n;
	return 0;
}

/* Forget the bytes of the current object: held goes back to its start. */
static void
obj_reset(struct stream *s)
{
	const struct want *w = s->cur < s->n ? &s->w[s->cur] : NULL;
	char name[200];

	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
		if (w && s->in_part) {
			part_name(name, sizeof(name), s->tag, stored_hex(&w->x));
			(void)unlinkat(s->wdfd, name, 0);
		} else if (w) {
			(void)unlinkat(s->sdfd, w->path, 0);
		}
	}
	if (s->h) {
		char scratch[KIT_SHA256_HEX];

		kit_sha256_final_hex(s->h, scratch); /* resets it */
	}
	s->held -= s->got;
	s->got = 0;
	s->wlen = 0;
	s->earlier = 0;
	s->in_part = 0;
}

/* Open where the current object's first bytes go. */
static int
obj_open(struct stream *s, struct kit_error *err)
{
	const struct want *w = &s->w[s->cur];
	char name[200], shown[200];

	if (s->one || (w->x.zstd && !uses_part(s, &w->x))) {
		if (w->x.stored > s->mem_cap) {
			s->mem = kit_xrealloc(s->mem, (size_t)w->x.stored);
			s->mem_cap = (size_t)w->x.stored;
		}
		return 0;
	}
	if (uses_part(s, &w->x)) {
		part_name(name, sizeof(name), s->tag, stored_hex(&w->x));
		/* read back to decode a zstd frame once it is checked */
		s->fd = kit_file_open_write(s->wdfd, name, O_RDWR | O_CREAT | O_TRUNC, 0644, err);
		s->in_part = 1;
		return s->fd < 0 ? -1 : 0;
	}
	s->fd = kit_openat_beneath(s->sdfd, w->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (s->fd < 0) {
		kit_str_sanitize(w->path, shown, sizeof(shown));
		return kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", s->staging, shown);
	}
	return 0;
}

/* Hard-link the checked part file name as the staging file path. */
static int
part_to_staging(struct stream *s, const char *name, const char *path,
		struct kit_error *err)
{
	const char *slash = strrchr(path, '/');
	char dir[KIT_MANIFEST_PATH_MAX + 1], shown[200];
	int dfd = s->sdfd, rc = 0;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		dfd = kit_openat_beneath(s->sdfd, dir, O_RDONLY | O_DIRECTORY, 0);
	}
	if (dfd < 0 || linkat(s->wdfd, name, dfd, slash ? slash + 1 : path, 0) != 0) {
		kit_str_sanitize(path, shown, sizeof(shown));
		rc = kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", s->staging, shown);
	}
	if (dfd >= 0 && dfd != s->sdfd)
		close(dfd);
	if (rc == 0)
		(void)unlinkat(s->wdfd, name, 0);
	return rc;
}

/* The current object's last byte arrived: 0 when it is checked and in
 * place, else -1 (err set), KIT_BUNDLE_SINK_BAD or _AGAIN (its bytes
 * forgotten). */
static int
obj_end(struct stream *s, struct kit_error *err)
{
	struct want *w = &s->w[s->cur];
	const char *want = stored_hex(&w->x);
	char hex[KIT_SHA256_HEX], name[200], shown[200];
	unsigned char *pre = NULL;
	size_t plen = 0;
	int out = -1, rc = -1;

	kit_sha256_final_hex(s->h, hex);
	kit_str_sanitize(w->path ? w->path : "manifest.json", shown, sizeof(shown));
	if (!kit_hex_equal(hex, want) || (!w->x.zstd && w->x.stored != w->x.size)) {
		int again = s->earlier;

		if (again)
			kit_err(err, KIT_E_SECURITY, "object %.16s (%s): the bytes kept from an earlier try do not hash to the signed index; fetching it again from its start", w->x.sha256, shown);
		else
			kit_err(err, KIT_E_SECURITY, "object %.16s (%s): its stored bytes hash to %s, the signed index says %s", w->x.sha256, shown, hex, want);
		obj_reset(s);
		return again ? KIT_BUNDLE_SINK_AGAIN : KIT_BUNDLE_SINK_BAD;
	}
	part_name(name, sizeof(name), s->tag, want);
	if (s->fd >= 0 && stream_flush(s, err) != 0)
		goto out;
	if (!w->x.zstd && !s->one) {
		/* raw: the bytes written are the file */
		if (close_written(s->fd) != 0) {
			s->fd = -1;
			kit_err_errno(err, KIT_E_IO, errno, "cannot write %s/%s", s->staging, shown);
			goto out;
		}
		s->fd = -1;
		if (s->in_part && part_to_staging(s, name, w->path, err) != 0)
			goto out;
	} else {
		if (w->base_path && read_base(s->base, w->base_path, &pre, &plen, err) != 0)
			goto out;
		if (!s->one) {
			out = kit_openat_beneath(s->sdfd, w->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (out < 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", s->staging, shown);
				goto out;
			}
		}
		if (decode_object(s->fd, 0, s->fd >= 0 ? NULL : s->mem, 1, &w->x,
				  pre ? pre : s->prefix, pre ? plen : s->prefix_len,
				  out, s->out, shown, err) != 0)
			goto out;
		if (out >= 0 && close_written(out) != 0) {
			out = -1;
			kit_err_errno(err, KIT_E_IO, errno, "cannot write %s/%s", s->staging, shown);
			goto out;
		}
		out = -1;
		if (s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
			(void)unlinkat(s->wdfd, name, 0);
		}
		if (s->st && w->base_path)
			s->st->deltas++;
	}
	if (s->st)
		s->st->fetched++;
	s->cur++;
	s->got = 0;
	s->earlier = 0;
	s->in_part = 0;
	rc = 0;
out:
	if (out >= 0)
		close(out);
	free(pre);
	return rc;
}

static uint64_t
stream_held(void *arg)
{
	struct stream *s = arg;

	/* a transfer starts: what the current object has is from before */
	s->earlier = s->got > 0;
	return s->held;
}

static void
stream_rewind(void *arg)
{
	obj_reset(arg);
}

static int
stream_write(void *arg, const void *buf, size_t n, struct kit_error *err)
{
	struct stream *s = arg;
	const unsigned char *p = buf;

	while (n > 0) {
		const struct want *w = s->cur < s->n ? &s->w[s->cur] : NULL;
		uint64_t at = s->start + s->held, take;

		if (w == NULL) {
			kit_err(err, KIT_E_SECURITY, "bytes past the last object of the range");
			return KIT_BUNDLE_SINK_BAD;
		}
		if (at < w->x.offset) {
			/* a gap: bytes of objects not wanted */
			take = w->x.offset - at < n ? w->x.offset - at : n;
			s->held += take;
			p += take;
			n -= (size_t)take;
			continue;
		}
		if (s->got == 0 && s->fd < 0 && obj_open(s, err) != 0)
			return -1;
		take = w->x.stored - s->got < n ? w->x.stored - s->got : n;
		kit_sha256_update(s->h, p, (size_t)take);
		if (s->fd >= 0 && stream_put(s, p, (size_t)take, err) != 0)
			return -1;
		if (s->fd < 0)
			memcpy(s->mem + s->got, p, (size_t)take);
		s->got += take;
		s->held += take;
		p += take;
		n -= (size_t)take;
		if (s->got == w->x.stored) {
			int rc = obj_end(s, err);

			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/*
 * A stream of the n objects from w (sorted by offset, none empty) for the
 * range from start: when the first object's part file holds bytes from an
 * earlier run, they are hashed and the range goes on after them (a part
 * as long as the object gives back its last byte, which is then fetched
 * again and the whole object checked as it arrives).
 */
static int
stream_start(struct stream *s, struct want *w, size_t n, uint64_t start,
	     struct kit_error *err)
{
	char name[200];
	struct stat st;

	s->w = w;
	s->n = n;
	s->start = start;
	s->held = s->got = 0;
	s->cur = 0;
	s->earlier = s->in_part = 0;
	s->fd = -1;
	if (s->h == NULL)
		s->h = kit_sha256_new();
	if (s->h == NULL)
		return kit_err(err, KIT_E_INVALID, "out of memory");
	if (n == 0 || w[0].kept == 0)
		return 0;
	part_name(name, sizeof(name), s->tag, stored_hex(&w[0].x));
	s->fd = kit_file_open_write(s->wdfd, name, O_RDWR, 0644, err);
	if (s->fd < 0) {
		/* gone, or not a file of ours with one link: from the start */
		kit_err_clear(err);
		if (unlinkat(s->wdfd, name, 0) != 0 && errno != ENOENT)
			return kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s/%s", s->work, name);
		return 0;
	}
	if (fstat(s->fd, &st) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot read %s/%s", s->work, name);
	s->in_part = 1;
	if ((uint64_t)st.st_size >= w[0].x.stored &&
	    ftruncate(s->fd, (off_t)(st.st_size > (off_t)w[0].x.stored ? 0 : w[0].x.stored - 1)) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot truncate %s/%s", s->work, name);
	if (fstat(s->fd, &st) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot read %s/%s", s->work, name);
	if (copy_fd(s->fd, -1, name, s->h, &s->got, err) != 0)
		return -1;
	if (s->got != (uint64_t)st.st_size)
		return kit_err(err, KIT_E_IO, "%s/%s changed while it was read", s->work, name);
	s->held = s->got;
	return 0;
}

/*
 * The work directory before any range is fetched: what an earlier run
 * left there that this one does not resume is removed (span files of an
 * earlier kit-fetch, part files of this kit's objects that are no longer
 * wanted: another version, or the kit installed meanwhile); a part file
 * of an object wanted (w, sorted) gives its w[].kept.
 */
static int
clean_work(struct stream *s, struct want *w, size_t nw,
	   struct kit_error *err)
{
	DIR *d = kit_dir_list(s->wdfd, s->work, err);
	struct dirent *e;
	char prefix[80];
	size_t plen, j;
	int rc = 0;

	if (d == NULL)
		return -1;
	snprintf(prefix, sizeof(prefix), "obj.%s.", s->tag);
	plen = strlen(prefix);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *nm = e->d_name;
		size_t n = strlen(nm);
		char hex[KIT_SHA256_HEX];
		struct stat st;
		int drop = 0;

		if ((n > 5 && strcmp(nm + n - 5, ".span") == 0) ||
		    (n > 10 && strcmp(nm + n - 10, ".span.part") == 0))
			drop = 1;
		if (n == plen + 64 + 5 && strncmp(nm, prefix, plen) == 0 &&
		    strcmp(nm + n - 5, ".part") == 0) {
			memcpy(hex, nm + plen, 64);
			hex[64] = '\0';
			drop = 1;
			for (j = 0; j < nw; j++) {
				if (!uses_part(s, &w[j].x) || strcmp(stored_hex(&w[j].x), hex) != 0)
					continue;
				drop = 0;
				if (fstatat(s->wdfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode))
					w[j].kept = (uint64_t)st.st_size;
				break;
			}
		}
		if (drop && unlinkat(s->wdfd, nm, 0) != 0 && errno != ENOENT)
			rc = kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s/%s", s->work, nm);
	}
	closedir(d);
	return rc;
}

static void
stream_free(struct stream *s)
{
	struct kit_error ignore = {0};

	/* what arrived of a part is kept for the next run */
	if (s->fd >= 0 && s->in_part && s->cur < s->n)
		(void)stream_flush(s, &ignore);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	kit_sha256_free(s->h);
	s->h = NULL;
	free(s->mem);
	s->mem = NULL;
	s->mem_cap = 0;
	free(s->wbuf);
	s->wbuf = NULL;
	s->wlen = 0;
}

/* An index's deltas by the file they make, for best_delta: looked up by
 * halving, not read whole for each file (a signed index may list 160,000
 * deltas, a kit 100,000 files). */
struct deltas {
	const struct kit_manifest_delta **v;
	size_t n;
};

static int
by_made(const void *a, const void *b)
{
	const struct kit_manifest_delta *const *x = a, *const *y = b;

	return strcmp((*x)->sha256, (*y)->sha256);
}

static void
deltas_sort(struct deltas *ds, const struct kit_manifest_index *ix)
{
	size_t i;

	ds->n = ix->n_deltas;
	ds->v = kit_xcalloc(ds->n + 1, sizeof(*ds->v));
	for (i = 0; i < ds->n; i++)
		ds->v[i] = &ix->deltas[i];
	qsort(ds->v, ds->n, sizeof(*ds->v), by_made);
}

/* The smallest delta of sha256 from a base in have (NULL: none). */
static const struct kit_manifest_delta *
best_delta(const struct deltas *ds, const char *sha256,
	   const struct kit_manifest_index *have)
{
	const struct kit_manifest_delta *best = NULL;
	size_t lo = 0, hi = ds->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ds->v[mid]->sha256, sha256) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ds->n && strcmp(ds->v[lo]->sha256, sha256) == 0; lo++) {
		const struct kit_manifest_delta *d = ds->v[lo];

		if (kit_manifest_index_find(have, d->base_sha256) == NULL)
			continue;
		if (best == NULL || d->stored < best->stored)
			best = d;
	}
	return best;
}

/* The object o stored as delta d: a zstd frame in d's place. */
static struct kit_manifest_object
as_delta(const struct kit_manifest_object *o, const struct kit_manifest_delta *d)
{
	struct kit_manifest_object x = *o;

	x.pack = d->pack;
	x.offset = d->offset;
	x.stored = d->stored;
	x.zstd = 1;
	memcpy(x.stored_sha256, d->stored_sha256, KIT_SHA256_HEX);
	return x;
}

int
kit_bundle_object_fetch(const struct kit_manifest_index *ix,
			const struct kit_manifest_object *o,
			const void *base, size_t base_len, size_t max,
			kit_bundle_range_fn fetch, void *arg,
			unsigned char **out, size_t *len,
			struct kit_error *err)
{
	struct kit_manifest_index *have = kit_manifest_index_new();
	const struct kit_manifest_delta *d = NULL;
	struct want one;
	struct stream s;
	struct kit_bundle_sink sink = {stream_held, stream_write, stream_rewind, &s};
	int rc = -1;

	*out = NULL;
	*len = 0;
	memset(&s, 0, sizeof(s));
	s.fd = s.sdfd = s.wdfd = -1;
	s.one = 1;
	memset(&one, 0, sizeof(one));
	one.o = o;
	one.x = *o;
	if (o->size > max || o->pack >= ix->n_packs || o->stored == 0) {
		kit_err(err, KIT_E_SECURITY, "object %.16s: %llu bytes, over the %zu allowed, or stored nowhere; refused", o->sha256, (unsigned long long)o->size, max);
		goto out;
	}
	if (base != NULL && base_len <= KIT_INDEX_DELTA_MAX) {
		struct kit_manifest_object b;
		struct deltas ds;

		memset(&b, 0, sizeof(b));
		kit_sha256_hex(base, base_len, b.sha256);
		(void)kit_manifest_index_add(have, &b);
		deltas_sort(&ds, ix);
		d = best_delta(&ds, o->sha256, have);
		free(ds.v);
		if (d != NULL && d->stored < o->stored)
			one.x = as_delta(o, d);
		else
			d = NULL;
	}
	/* held in memory: a zstd frame is never much larger than what it
	 * decodes to */
	if (one.x.stored > ZSTD_compressBound(max)) {
		kit_err(err, KIT_E_SECURITY, "object %.16s: %llu stored bytes for at most %zu; refused", o->sha256, (unsigned long long)one.x.stored, max);
		goto out;
	}
	if (stream_start(&s, &one, 1, one.x.offset, err) != 0)
		goto out;
	s.out = kit_xmalloc(o->size + 1);
	s.prefix = d ? base : NULL;
	s.prefix_len = d ? base_len : 0;
	if (fetch(arg, ix->packs[one.x.pack], one.x.offset, one.x.stored, &sink, err) != 0)
		goto out;
	if (s.cur != 1) {
		kit_err(err, KIT_E_SECURITY, "object %.16s: the range ended early; refused", o->sha256);
		goto out;
	}
	s.out[o->size] = '\0';
	*out = s.out;
	*len = (size_t)o->size;
	s.out = NULL;
	rc = 0;
out:
	free(s.out);
	stream_free(&s);
	kit_manifest_index_free(have);
	return rc;
}

int
kit_bundle_object_read_local(const char *repo_dir,
			     const struct kit_manifest_index *ix,
			     const struct kit_manifest_object *o,
			     unsigned char **out, size_t *len,
			     struct kit_error *err)
{
	char path[PATH_MAX];
	unsigned char *mem = NULL;
	int fd = -1, rc = -1;

	*out = NULL;
	*len = 0;
	if (o->size > KIT_INDEX_DELTA_MAX || o->pack >= ix->n_packs)
		return kit_err(err, KIT_E_INVALID, "object %.16s: over %u bytes", o->sha256, KIT_INDEX_DELTA_MAX);
	if (kit_snprintf(err, path, sizeof(path), "%s/packs/%s.pack", repo_dir, ix->packs[o->pack]) != 0)
		return -1;
	fd = kit_file_open_read(AT_FDCWD, path, NULL, err);
	if (fd < 0)
		return -1;
	mem = kit_xmalloc(o->size + 1);
	if (o->stored > 0 && decode_object(fd, o->offset, NULL, 0, o, NULL, 0, -1, mem, path, err) != 0) {
		err->code = KIT_E_INVALID;
		goto out;
	}
	mem[o->size] = '\0';
	*out = mem;
	*len = (size_t)o->size;
	mem = NULL;
	rc = 0;
out:
	free(mem);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- assembly */

static int
by_pack_offset(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->x.pack != y->x.pack)
		return x->x.pack < y->x.pack ? -1 : 1;
	return x->x.offset < y->x.offset ? -1 : x->x.offset > y->x.offset;
}

/* The base file path, whole, into *out (at most KIT_INDEX_DELTA_MAX). */
static int
read_base(const struct kit_bundle_base *b, const char *path,
	  unsigned char **out, size_t *len, struct kit_error *err)
{
	return kit_file_read_at(b->dirfd, path, KIT_INDEX_DELTA_MAX, out, len, err);
}

struct name {
	char *folded, *orig;
	int dir;
};

static int
by_folded(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	int c = strcmp(x->folded, y->folded);

	return c ? c : strcmp(x->orig, y->orig);
}

/* Paths (and their directories) that would be one name where case is
 * ignored, or a file that is also a directory. */
static int
check_names(const struct kit_manifest *m, struct kit_error *err)
{
	struct name *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	for (i = 0; i < m->n_files; i++) {
		const char *p = m->files[i].path;
		const char *s;

		for (s = strchr(p, '/');; s = strchr(s + 1, '/')) {
			size_t len = s ? (size_t)(s - p) : strlen(p);

			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				v = kit_xrealloc(v, cap * sizeof(*v));
			}
			v[n].orig = kit_xmalloc(len + 1);
			memcpy(v[n].orig, p, len);
			v[n].orig[len] = '\0';
			v[n].folded = kb_fold_utf8(v[n].orig);
			v[n].dir = s != NULL;
			n++;
			if (s == NULL)
				break;
		}
	}
	/* the kit's own manifest.json is a name too, as in the extractor */
	if (n == cap) {
		cap = cap ? cap * 2 : 256;
		v = kit_xrealloc(v, cap * sizeof(*v));
	}
	v[n].orig = kit_strdup("manifest.json");
	v[n].folded = kb_fold_utf8(v[n].orig);
	v[n].dir = 0;
	n++;
	qsort(v, n, sizeof(*v), by_folded);
	for (i = 1; i < n; i++) {
		char shown[200];

		if (strcmp(v[i - 1].folded, v[i].folded) != 0)
			continue;
		if (v[i - 1].dir && v[i].dir && strcmp(v[i - 1].orig, v[i].orig) == 0)
			continue; /* one directory of two files */
		kit_str_sanitize(v[i].orig, shown, sizeof(shown));
		kit_err(err, KIT_E_SECURITY, "the kit's manifest names %s and another file or directory that are one name when case is ignored (or a file that is also a directory); refused", shown);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(v[i].folded);
		free(v[i].orig);
	}
	free(v);
	return rc;
}

/* Directories of every file, made beneath the staging directory dfd. */
static int
make_dirs(int dfd, const struct kit_manifest *m, const char *staging,
	  struct kit_error *err)
{
	char buf[KIT_MANIFEST_PATH_MAX + 1];
	size_t i;

	for (i = 0; i < m->n_files; i++) {
		char *s;

		snprintf(buf, sizeof(buf), "%s", m->files[i].path);
		for (s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			if (mkdirat(dfd, buf, 0755) != 0 && errno != EEXIST)
				return kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", staging, buf);
			*s = '/';
		}
	}
	return 0;
}

static int
copy_fd(int in, int out, const char *shown, struct kit_sha256 *h,
	uint64_t *n, struct kit_error *err)
{
	unsigned char *buf = kit_xmalloc(BLOCK);
	int rc = -1;

	*n = 0;
	for (;;) {
		ssize_t r = read(in, buf, BLOCK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", shown);
			goto out;
		}
		if (r == 0)
			break;
		if (h)
			kit_sha256_update(h, buf, (size_t)r);
		if (out >= 0 && kit_fd_write_all(out, buf, (size_t)r) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot write %s", shown);
			goto out;
		}
		*n += (uint64_t)r;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* 1 when the base file path has content f (hashed), 0 when not. */
static int
base_matches(const struct kit_bundle_base *b, const struct kit_manifest_file *f,
	     const char *path)
{
	struct kit_error ignore = {0};
	char hex[KIT_SHA256_HEX];
	uint64_t n = 0;

	if (kit_sha256_file_at(b->dirfd, path, hex, &n, &ignore) != 0)
		return 0;
	return n == f->size && kit_hex_equal(hex, f->sha256);
}

/*
 * Reuse the base's file bpath as staging's path (content f): a hard link
 * when the file is one kit-fetch made (a regular file of ours that only we
 * may write), else a copy checked against f as it is made, so a file
 * planted in a release (a hard link to a file elsewhere, someone else's,
 * writable by others) never becomes part of the new one.
 */
static int
reuse(int sdfd, const struct kit_bundle_base *b, const char *bpath,
      const struct kit_manifest_file *f, const char *staging,
      struct kit_error *err)
{
	const char *path = f->path;
	struct kit_sha256 *h = NULL;
	char hex[KIT_SHA256_HEX];
	int in = -1, out = -1, rc = -1;
	struct stat st;
	uint64_t n;

	if (fstatat(b->dirfd, bpath, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH | S_ISUID | S_ISGID)) == 0 &&
	    linkat(b->dirfd, bpath, sdfd, path, 0) == 0)
		return 0;
	in = kit_file_open_read(b->dirfd, bpath, NULL, err);
	if (in < 0)
		goto out;
	out = kit_openat_beneath(sdfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (out < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", staging, path);
		goto out;
	}
	h = kit_sha256_new();
	if (copy_fd(in, out, path, h, &n, err) != 0)
		goto out;
	kit_sha256_final_hex(h, hex);
	if (n != f->size || !kit_hex_equal(hex, f->sha256)) {
		kit_err(err, KIT_E_SECURITY, "%s changed while it was copied from the installed release; refused: nothing was installed, run kit-fetch update again", path);
		goto out;
	}
	rc = 0;
out:
	kit_sha256_free(h);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = kit_err_errno(err, KIT_E_IO, errno, "cannot close %s/%s", staging, path);
	return rc;
}

int
kit_bundle_assemble(const char *staging_dir, const void *manifest,
		    size_t manifest_len, const struct kit_manifest *m,
		    const struct kit_manifest_index *ix,
		    const struct kit_bundle_base *base, const char *work_dir,
		    uint64_t max_fetch, const struct kit_bundle_limits *lim,
		    kit_bundle_range_fn fetch, void *arg,
		    struct kit_bundle_assembly *st, struct kit_error *err)
{
	struct kit_bundle_limits dl = kit_bundle_limits_default();
	struct kit_manifest_index *have = kit_manifest_index_new();
	struct kit_manifest_index *got = kit_manifest_index_new();
	struct kit_bundle_assembly s;
	struct want *w = NULL;
	const char **from = NULL; /* per file: the base path to reuse, or NULL */
	size_t i, k, nw = 0;
	uint64_t total = 0, need = 0;
	int sdfd = -1, made = 0, rc = -1, fd = -1, wdfd = -1;
	int first = base == NULL || base->m == NULL; /* nothing to reuse */
	struct stream sm;
	struct kit_bundle_sink sink = {stream_held, stream_write, stream_rewind, &sm};
	struct deltas ds = {NULL, 0};

	memset(&s, 0, sizeof(s));
	memset(&sm, 0, sizeof(sm));
	sm.fd = sm.sdfd = sm.wdfd = -1;
	if (lim == NULL)
		lim = &dl;
	if (m->n_files + 1 > lim->max_entries) {
		kit_err(err, KIT_E_SECURITY, "the kit's manifest lists %zu files, more than the %llu this office accepts; refused", m->n_files, (unsigned long long)lim->max_entries);
		goto out;
	}
	/* What the base release holds, by content: "offset" is the index of
	 * its file in the base manifest. */
	for (i = 0; base && base->m && i < base->m->n_files; i++) {
		struct kit_manifest_object b;

		if (kit_manifest_index_find(have, base->m->files[i].sha256))
			continue;
		memset(&b, 0, sizeof(b));
		memcpy(b.sha256, base->m->files[i].sha256, KIT_SHA256_HEX);
		b.size = base->m->files[i].size;
		b.offset = i;
		(void)kit_manifest_index_add(have, &b);
	}
	for (i = 0; i < m->n_files; i++) {
		const struct kit_manifest_object *o =
			kit_manifest_index_find(ix, m->files[i].sha256);
		const struct kit_manifest_object *h =
			kit_manifest_index_find(have, m->files[i].sha256);

		/* total stays at most max_total: sizes near 2^62 must not
		 * wrap the sum back under the limit */
		total = m->files[i].size > lim->max_total - total ? lim->max_total + 1 : total + m->files[i].size;
		if (o == NULL && h != NULL && h->size == m->files[i].size)
			continue; /* in the base (checked again below) */
		if (o == NULL || o->size != m->files[i].size) {
			char shown[200];

			kit_str_sanitize(m->files[i].path, shown, sizeof(shown));
			kit_err(err, KIT_E_SECURITY, "%s: the signed index lists no object with its sha256 and size; refused", shown);
			goto out;
		}
	}
	if (total > lim->max_total) {
		kit_err(err, KIT_E_SECURITY, "the kit unpacks to more than the %llu bytes this office accepts (kit-fetch init --max-unpacked); refused", (unsigned long long)lim->max_total);
		goto out;
	}
	if (check_names(m, err) != 0)
		goto out;
	from = kit_xcalloc(m->n_files + 1, sizeof(*from));
	w = kit_xcalloc(m->n_files + 1, sizeof(*w));
	if (base && base->m)
		deltas_sort(&ds, ix);
	for (i = 0; i < m->n_files; i++) {
		const struct kit_manifest_file *f = &m->files[i];
		const struct kit_manifest_object *b = kit_manifest_index_find(have, f->sha256);
		struct kit_manifest_object mark;

		if (b && b->size == f->size) {
			const char *bp = base->m->files[b->offset].path;

			if (base->trusted || base_matches(base, f, bp)) {
				from[i] = bp;
				continue;
			}
		}
		if (kit_manifest_index_find(got, f->sha256))
			continue;
		if (kit_manifest_index_find(ix, f->sha256) == NULL) {
			char shown[200];

			/* the base has no longer what the index left out */
			kit_str_sanitize(f->path, shown, sizeof(shown));
			kit_err(err, KIT_E_SECURITY, "%s: the installed file differs from the kit's manifest and the signed index lists no object for it; refused", shown);
			goto out;
		}
		memset(&mark, 0, sizeof(mark));
		memcpy(mark.sha256, f->sha256, KIT_SHA256_HEX);
		(void)kit_manifest_index_add(got, &mark);
		w[nw].o = kit_manifest_index_find(ix, f->sha256);
		w[nw].x = *w[nw].o;
		w[nw].path = f->path;
		if (base && base->m) {
			const struct kit_manifest_delta *d = best_delta(&ds, f->sha256, have);
			const struct kit_manifest_object *hb = d ? kit_manifest_index_find(have, d->base_sha256) : NULL;

			if (d && hb && d->stored < w[nw].o->stored &&
			    (base->trusted ||
			     base_matches(base, &base->m->files[hb->offset],
					  base->m->files[hb->offset].path))) {
				w[nw].x = as_delta(w[nw].o, d);
				w[nw].base_path = base->m->files[hb->offset].path;
			}
		}
		need = w[nw].x.stored > UINT64_MAX - need ? UINT64_MAX : need + w[nw].x.stored;
		nw++;
	}
	if (need > max_fetch) {
		rc = 1;
		goto out;
	}
	wdfd = open(work_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (wdfd < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", work_dir);
		goto out;
	}
	sm.wdfd = wdfd;
	sm.work = work_dir;
	sm.tag = m->campaign && kit_str_is_id(m->campaign, 0) ? m->campaign : "kit";
	sm.base = base;
	sm.st = &s;
	qsort(w, nw, sizeof(*w), by_pack_offset);
	if (clean_work(&sm, w, nw, err) != 0)
		goto out;
	if (mkdir(staging_dir, 0755) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s", staging_dir);
		goto out;
	}
	made = 1;
	sdfd = open(staging_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sdfd < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", staging_dir);
		goto out;
	}
	sm.sdfd = sdfd;
	sm.staging = staging_dir;
	if (make_dirs(sdfd, m, staging_dir, err) != 0)
		goto out;
	for (i = 0; i < nw; i = k) {
		uint64_t start = w[i].x.offset, end = start + w[i].x.stored;
		uint64_t wanted = w[i].x.stored, gaps = 0;

		if (w[i].x.stored == 0) {
			/* an empty file: nothing to fetch, but its digest
			 * is still checked (decode_object reads nothing) */
			char shown[200];

			k = i + 1;
			kit_str_sanitize(w[i].path, shown, sizeof(shown));
			fd = kit_openat_beneath(sdfd, w[i].path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", staging_dir, shown);
				goto out;
			}
			if (decode_object(-1, 0, NULL, 1, &w[i].x, NULL, 0, fd, NULL, shown, err) != 0)
				goto out;
			close(fd);
			fd = -1;
			continue;
		}
		/* one range while the objects are close together in the pack
		 * (after one with bytes kept from an earlier run, a new one) */
		for (k = i + 1; k < nw && w[k].x.pack == w[i].x.pack &&
				w[k].x.stored > 0 && w[k].kept == 0 &&
				w[k].x.offset >= end;
		     k++) {
			uint64_t gap = w[k].x.offset - end;
			uint64_t allow = (wanted + w[k].x.stored) / 8;

			if (gap > SPAN_GAP &&
			    (!first || gaps + gap > (allow > FIRST_GAP ? allow : FIRST_GAP)))
				break;
			gaps += gap;
			wanted += w[k].x.stored;
			end = w[k].x.offset + w[k].x.stored;
		}
		if (stream_start(&sm, &w[i], k - i, start, err) != 0)
			goto out;
		s.stored += end - start - sm.held;
		if (fetch(arg, ix->packs[w[i].x.pack], start, end - start, &sink, err) != 0)
			goto out;
		if (sm.cur != k - i) {
			kit_err(err, KIT_E_SECURITY, "the range from byte %llu of pack %.16s ended before its objects; refused", (unsigned long long)start, ix->packs[w[i].x.pack]);
			goto out;
		}
		s.spans++;
	}
	/* every other path: from the base, or the same content fetched for
	 * another path of this kit */
	for (i = 0; i < m->n_files; i++) {
		const struct kit_manifest_file *f = &m->files[i];

		if (from[i]) {
			if (reuse(sdfd, base, from[i], f, staging_dir, err) != 0)
				goto out;
			s.reused++;
			continue;
		}
		for (k = 0; k < nw && strcmp(w[k].o->sha256, f->sha256) != 0; k++)
			;
		if (k < nw && strcmp(w[k].path, f->path) != 0) {
			struct kit_bundle_base self = {sdfd, NULL, 1};

			if (reuse(sdfd, &self, w[k].path, f, staging_dir, err) != 0)
				goto out;
		}
	}
	fd = kit_openat_beneath(sdfd, "manifest.json", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || kit_fd_write_all(fd, manifest, manifest_len) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot write %s/manifest.json", staging_dir);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = kit_err_errno(err, KIT_E_IO, errno, "cannot close %s/manifest.json", staging_dir);
	stream_free(&sm);
	if (wdfd >= 0)
		close(wdfd);
	if (sdfd >= 0)
		close(sdfd);
	if (rc < 0 && made) {
		struct kit_error ignore = {0};

		if (kit_rm_rf(staging_dir, &ignore) != 0) {
			/* best effort: the caller cleans staging too */
		}
	}
	if (st)
		*st = s;
	free(ds.v);
	free(from);
	free(w);
	kit_manifest_index_free(have);
	kit_manifest_index_free(got);
	return rc;
}
