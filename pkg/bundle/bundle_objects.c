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

struct want {
	const struct kit_manifest_object *o; /* the file's object */
	struct kit_manifest_object x;        /* what is fetched: o, or a delta */
	const char *base_path;               /* a delta's base in the base release */
	const char *path;                    /* the first path of the kit with this content */
};

/* What a fetched range must hold: the objects (as fetched) of w[0..n), or
 * just one, each by its stored hash; the check the transport makes before
 * the bytes count, so that a mirror serving wrong ones is skipped. */
struct span_check {
	const struct want *w;
	size_t n;
	const struct kit_manifest_object *one;
	uint64_t start; /* the range's first byte in the pack */
};

static int stored_ok(int sfd, uint64_t at, const struct kit_manifest_object *o,
		     const char *shown, struct kit_error *err);

static int
span_check(const char *path, void *arg, char *why, size_t why_size)
{
	const struct span_check *c = arg;
	struct kit_error e = {0};
	int fd = kit_file_open_read(AT_FDCWD, path, NULL, &e), rc = 0;
	size_t i;

	if (fd < 0) {
		snprintf(why, why_size, "cannot read the fetched range");
		return -1;
	}
	for (i = 0; rc == 0 && i < (c->one ? 1 : c->n); i++) {
		const struct kit_manifest_object *o = c->one ? c->one : &c->w[i].x;
		char name[40];

		snprintf(name, sizeof(name), "object %.16s", o->sha256);
		rc = stored_ok(fd, o->offset - c->start, o, name, &e);
	}
	close(fd);
	if (rc != 0)
		snprintf(why, why_size, "%s", e.msg);
	return rc;
}

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
 * Object o, whose stored bytes are at byte at of the open span file sfd,
 * written to the open file out (or into *mem, at most o->size bytes, when
 * out < 0).  The stored bytes are hashed and checked first; only then are
 * they decoded, and what they decode to is checked again.
 */
static int
decode_object(int sfd, uint64_t at, const struct kit_manifest_object *o,
	      const void *prefix, size_t prefix_len, int out,
	      unsigned char *mem, const char *shown, struct kit_error *err)
{
	unsigned char *buf = kit_xmalloc(BLOCK), *obuf = NULL;
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
		if (stored_ok(sfd, at, o, shown, err) != 0) {
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
		ssize_t r = read_block(sfd, at, done, o->stored, buf, shown, err);

		if (r < 0)
			goto out;
		done += (uint64_t)r;
		ZSTD_inBuffer in = {buf, (size_t)r, 0};
		int full = 0;

		do {
			const unsigned char *piece = buf;
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

static int
span_path(char *out, size_t size, const char *work_dir, const char *pack,
	  uint64_t start, uint64_t len, struct kit_error *err)
{
	return kit_snprintf(err, out, size, "%s/%s.%llu-%llu.span", work_dir,
			    pack, (unsigned long long)start,
			    (unsigned long long)len);
}

/* The smallest delta of sha256 from a base in have (NULL: none). */
static const struct kit_manifest_delta *
best_delta(const struct kit_manifest_index *ix, const char *sha256,
	   const struct kit_manifest_index *have)
{
	const struct kit_manifest_delta *best = NULL;
	size_t i;

	for (i = 0; i < ix->n_deltas; i++) {
		const struct kit_manifest_delta *d = &ix->deltas[i];

		if (strcmp(d->sha256, sha256) != 0 ||
		    kit_manifest_index_find(have, d->base_sha256) == NULL)
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
			const void *base, size_t base_len,
			const char *work_dir, size_t max,
			kit_bundle_range_fn fetch, void *arg,
			unsigned char **out, size_t *len,
			struct kit_error *err)
{
	char path[PATH_MAX];
	unsigned char *mem = NULL;
	struct kit_manifest_index *have = kit_manifest_index_new();
	const struct kit_manifest_delta *d = NULL;
	struct kit_manifest_object x = *o;
	struct span_check one = {NULL, 0, NULL, 0};
	int fd = -1, rc = -1;

	*out = NULL;
	*len = 0;
	path[0] = '\0';
	if (o->size > max || o->pack >= ix->n_packs || o->stored == 0) {
		kit_err(err, KIT_E_SECURITY, "object %.16s: %llu bytes, over the %zu allowed, or stored nowhere; refused", o->sha256, (unsigned long long)o->size, max);
		goto out;
	}
	if (base != NULL && base_len <= KIT_INDEX_DELTA_MAX) {
		struct kit_manifest_object b;

		memset(&b, 0, sizeof(b));
		kit_sha256_hex(base, base_len, b.sha256);
		(void)kit_manifest_index_add(have, &b);
		d = best_delta(ix, o->sha256, have);
		if (d != NULL && d->stored < o->stored)
			x = as_delta(o, d);
		else
			d = NULL;
	}
	if (span_path(path, sizeof(path), work_dir, ix->packs[x.pack],
		      x.offset, x.stored, err) != 0)
		goto out;
	one.one = &x;
	one.start = x.offset;
	if (fetch(arg, ix->packs[x.pack], x.offset, x.stored, path, span_check,
		  &one, err) != 0)
		goto out;
	fd = kit_file_open_read(AT_FDCWD, path, NULL, err);
	if (fd < 0)
		goto out;
	mem = kit_xmalloc(o->size + 1);
	if (decode_object(fd, 0, &x, d ? base : NULL, d ? base_len : 0, -1,
			  mem, "manifest.json", err) != 0)
		goto out;
	mem[o->size] = '\0';
	*out = mem;
	*len = (size_t)o->size;
	mem = NULL;
	rc = 0;
out:
	free(mem);
	if (fd >= 0)
		close(fd);
	if (path[0])
		(void)unlink(path);
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
	if (o->stored > 0 && decode_object(fd, o->offset, o, NULL, 0, -1, mem, path, err) != 0) {
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
	int sdfd = -1, made = 0, rc = -1, fd = -1;

	memset(&s, 0, sizeof(s));
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
			const struct kit_manifest_delta *d = best_delta(ix, f->sha256, have);
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
	if (make_dirs(sdfd, m, staging_dir, err) != 0)
		goto out;
	qsort(w, nw, sizeof(*w), by_pack_offset);
	for (i = 0; i < nw; i = k) {
		char span[PATH_MAX];
		uint64_t start = w[i].x.offset, end = start + w[i].x.stored;

		for (k = i + 1; k < nw && w[k].x.pack == w[i].x.pack &&
				w[k].x.offset >= end &&
				w[k].x.offset - end <= SPAN_GAP;
		     k++)
			end = w[k].x.offset + w[k].x.stored;
		if (end == start) {
			/* empty files: nothing to fetch, but their digest
			 * is still checked (decode_object reads nothing) */
			for (; i < k; i++) {
				char shown[200];

				kit_str_sanitize(w[i].path, shown, sizeof(shown));
				fd = kit_openat_beneath(sdfd, w[i].path, O_WRONLY | O_CREAT | O_EXCL, 0644);
				if (fd < 0) {
					kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", staging_dir, shown);
					goto out;
				}
				if (decode_object(-1, 0, &w[i].x, NULL, 0, fd, NULL, shown, err) != 0)
					goto out;
				close(fd);
				fd = -1;
			}
			continue;
		}
		struct span_check sc = {&w[i], k - i, NULL, start};

		if (span_path(span, sizeof(span), work_dir,
			      ix->packs[w[i].x.pack], start, end - start, err) != 0 ||
		    fetch(arg, ix->packs[w[i].x.pack], start, end - start, span,
			  span_check, &sc, err) != 0)
			goto out;
		s.spans++;
		s.stored += end - start;
		int sfd = kit_file_open_read(AT_FDCWD, span, NULL, err);

		if (sfd < 0)
			goto out;
		for (size_t j = i; j < k; j++) {
			char shown[200];
			unsigned char *pre = NULL;
			size_t plen = 0;

			kit_str_sanitize(w[j].path, shown, sizeof(shown));
			if (w[j].base_path &&
			    read_base(base, w[j].base_path, &pre, &plen, err) != 0) {
				close(sfd);
				goto out;
			}
			fd = kit_openat_beneath(sdfd, w[j].path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", staging_dir, shown);
				free(pre);
				close(sfd);
				goto out;
			}
			if (decode_object(sfd, w[j].x.offset - start, &w[j].x, pre, plen, fd, NULL, shown, err) != 0) {
				free(pre);
				close(sfd);
				goto out;
			}
			if (pre) {
				free(pre);
				s.deltas++;
			}
			if (close(fd) != 0) {
				fd = -1;
				kit_err_errno(err, KIT_E_IO, errno, "cannot close %s/%s", staging_dir, shown);
				close(sfd);
				goto out;
			}
			fd = -1;
			s.fetched++;
		}
		close(sfd);
		(void)unlink(span);
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
	free(from);
	free(w);
	kit_manifest_index_free(have);
	kit_manifest_index_free(got);
	return rc;
}
