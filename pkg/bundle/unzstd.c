/*
 * unzstd.c: the archive's decompression, on its own thread.
 *
 * The extractor's thread parses the tar stream (libarchive), checks every
 * member, hashes and writes the files; this thread reads the archive and
 * decompresses it (libzstd) into a few large chunks ahead of it, so the
 * two halves of the work share two cores.  Chunks are handed over whole
 * (a few hundred hand-overs per GiB, not one per block) and their number
 * is fixed, so memory does not depend on the archive.
 *
 * Only zstd frames are accepted: anything else in the file, or a frame cut
 * short, is an error libarchive's read gets at the point the tar stream
 * would have needed those bytes, so the extractor's message says where.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "bundle_int.h"

#define CHUNKS 3
#define CHUNK (2u << 20)
#define IN_BLOCK (1u << 20)

struct kb_unzstd {
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t full;  /* a chunk was filled, or the end came */
	pthread_cond_t empty; /* a chunk was given back, or stop */
	int fd;
	ZSTD_DCtx *z;
	unsigned char *in;
	unsigned char *chunk[CHUNKS];
	size_t len[CHUNKS];
	size_t head, n; /* filled chunks: ring [head, head + n) */
	int held;       /* the reader holds chunk head */
	int eof;        /* no more chunks will come */
	int stop;       /* the reader is gone */
	int failed;     /* the archive is bad or unreadable: why */
	int reported;   /* ... and the reader asked past that point */
	struct kit_error why;
	const char *path;
};

/* Publish chunk slot (filled to len) and wait for a free one. */
static int
publish(struct kb_unzstd *u, size_t slot, size_t len)
{
	int stop;

	pthread_mutex_lock(&u->mu);
	u->len[slot] = len;
	u->n++;
	pthread_cond_signal(&u->full);
	while (u->n == CHUNKS && !u->stop)
		pthread_cond_wait(&u->empty, &u->mu);
	stop = u->stop;
	pthread_mutex_unlock(&u->mu);
	return stop ? -1 : 0;
}

static void
finish(struct kb_unzstd *u, int failed)
{
	pthread_mutex_lock(&u->mu);
	u->eof = 1;
	u->failed = failed;
	pthread_cond_signal(&u->full);
	pthread_mutex_unlock(&u->mu);
}

/* What is wrong with the archive, said briefly: the extractor puts it
 * after "archive X is corrupt..." or "...data in <member>: ". */
static void
zstd_problem(struct kb_unzstd *u, size_t code)
{
	switch (ZSTD_getErrorCode(code)) {
	case ZSTD_error_prefix_unknown:
		kit_err(&u->why, KIT_E_SECURITY,
			"not zstd-compressed (or bytes follow its last frame)");
		break;
	case ZSTD_error_frameParameter_windowTooLarge:
		kit_err(&u->why, KIT_E_SECURITY,
			"needs a zstd window over 8 MiB, which kit-publish never writes");
		break;
	default:
		kit_err(&u->why, KIT_E_SECURITY, "zstd: %s",
			ZSTD_getErrorName(code));
	}
}

static void *
run(void *arg)
{
	struct kb_unzstd *u = arg;
	ZSTD_inBuffer in = {u->in, 0, 0};
	ZSTD_outBuffer out = {u->chunk[0], CHUNK, 0};
	size_t slot = 0, last = 1, before;
	int at_eof = 0;

	for (;;) {
		if (in.pos == in.size && !at_eof) {
			ssize_t r = read(u->fd, u->in, IN_BLOCK);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				kit_err_errno(&u->why, KIT_E_IO, errno,
					      "cannot read archive %s", u->path);
				break;
			}
			in.size = (size_t)r;
			in.pos = 0;
			at_eof = r == 0;
		}
		before = out.pos;
		last = ZSTD_decompressStream(u->z, &out, &in);
		if (ZSTD_isError(last)) {
			zstd_problem(u, last);
			break;
		}
		if (out.pos == out.size) {
			if (publish(u, slot, out.pos) != 0)
				return NULL;
			slot = (slot + 1) % CHUNKS;
			out.dst = u->chunk[slot];
			out.pos = 0;
			continue;
		}
		if (at_eof && in.pos == in.size) {
			if (last == 0)
				break; /* every frame complete */
			if (out.pos == before) {
				kit_err(&u->why, KIT_E_SECURITY,
					"its last zstd frame is cut short");
				break;
			}
		}
	}
	/* what was decompressed before the end (or the error) still counts:
	 * the tar stream may end there */
	if (out.pos > 0 && publish(u, slot, out.pos) != 0)
		return NULL;
	finish(u, u->why.code != KIT_E_OK);
	return NULL;
}

struct kb_unzstd *
kb_unzstd_new(int fd, const char *path, struct kit_error *err)
{
	struct kb_unzstd *u = kit_xcalloc(1, sizeof(*u));
	int i, e;

	u->fd = fd;
	u->path = path;
	u->in = kit_xmalloc(IN_BLOCK);
	for (i = 0; i < CHUNKS; i++)
		u->chunk[i] = kit_xmalloc(CHUNK);
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->full, NULL);
	pthread_cond_init(&u->empty, NULL);
	u->z = ZSTD_createDCtx();
	if (!u->z) {
		kit_err(err, KIT_E_INVALID, "out of memory reading %s", path);
		kb_unzstd_free(u);
		return NULL;
	}
	/* the writer's level 19 window at most (8 MiB); a larger one is
	 * refused instead of allocated */
	(void)ZSTD_DCtx_setParameter(u->z, ZSTD_d_windowLogMax, 23);
	e = pthread_create(&u->th, NULL, run, u);
	if (e != 0) {
		kit_err_errno(err, KIT_E_IO, e,
			      "cannot start a thread to read %s", path);
		kb_unzstd_free(u);
		return NULL;
	}
	u->started = 1;
	return u;
}

/* libarchive's read callback: the next chunk (the last one goes back). */
la_ssize_t
kb_unzstd_read(struct archive *a, void *ud, const void **buf)
{
	struct kb_unzstd *u = ud;
	la_ssize_t n = 0;

	pthread_mutex_lock(&u->mu);
	if (u->held) {
		u->head = (u->head + 1) % CHUNKS;
		u->n--;
		u->held = 0;
		pthread_cond_signal(&u->empty);
	}
	while (u->n == 0 && !u->eof)
		pthread_cond_wait(&u->full, &u->mu);
	if (u->n > 0) {
		*buf = u->chunk[u->head];
		n = (la_ssize_t)u->len[u->head];
		u->held = 1;
	} else if (u->failed) {
		archive_set_error(a, u->why.code == KIT_E_IO ? EIO : EINVAL,
				  "%s", u->why.msg);
		u->reported = 1;
		n = -1;
	}
	pthread_mutex_unlock(&u->mu);
	return n;
}

int
kb_unzstd_error(struct kb_unzstd *u, struct kit_error *err)
{
	int failed;

	pthread_mutex_lock(&u->mu);
	/* the archive's faults are in libarchive's message already; a
	 * failure to read the file is ours to say */
	failed = u->reported && u->why.code == KIT_E_IO;
	if (failed && err) {
		kit_err_clear(err);
		kit_err_copy(err, &u->why);
	}
	pthread_mutex_unlock(&u->mu);
	return failed ? -1 : 0;
}

void
kb_unzstd_free(struct kb_unzstd *u)
{
	int i;

	if (!u)
		return;
	if (u->started) {
		pthread_mutex_lock(&u->mu);
		u->stop = 1;
		pthread_cond_signal(&u->empty);
		pthread_mutex_unlock(&u->mu);
		pthread_join(u->th, NULL);
	}
	ZSTD_freeDCtx(u->z);
	for (i = 0; i < CHUNKS; i++)
		free(u->chunk[i]);
	free(u->in);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->full);
	pthread_cond_destroy(&u->empty);
	free(u);
}
