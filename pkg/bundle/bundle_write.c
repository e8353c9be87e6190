/*
 * bundle_write.c: the deterministic archive writer.
 *
 * Determinism comes from what we put in each header, not from libarchive
 * defaults: every entry is built from scratch (path, type, mode, size,
 * one mtime, uid/gid 0), so nothing of the building machine (owner names,
 * atime/ctime, xattrs, ACLs, inode numbers) can leak in.  pax-restricted
 * only adds an extended header when a name does not fit ustar, and
 * libarchive names those "PaxHeader/<name>" without the pid.
 *
 * libarchive writes the tar stream; libzstd compresses it here, with one
 * worker thread (ZSTD_c_nbWorkers = 1) and fixed 4 MiB jobs, so that this
 * thread reads the sources and writes the archive while the worker
 * compresses: the overlap `zstd -T1` has.  Fixed parameters make the
 * output the same whatever the timing (zstd guarantees it for a given
 * job size), so builds stay byte-identical; the job size bounds memory
 * (libzstd's default jobs for level 9 cost ~110 MiB of RSS, 4 MiB jobs
 * ~40 MiB) for 0.01 % more bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "bundle_int.h"
#include "kit_bundle.h"

#define READ_BLOCK (1024 * 1024)
#define OUT_BLOCK (256 * 1024)
#define ZSTD_JOB (4u << 20)

/* The compressed output: libarchive's write callback feeds it. */
struct zout {
	ZSTD_CCtx *z;
	int fd;
	unsigned char *buf;
	size_t size;
	const char *path;
	struct kit_error err; /* why a callback failed */
	uint64_t in, out;     /* tar bytes in, compressed bytes out */
};

/* A member to write: a file (entry != NULL) or a directory. */
struct member {
	const char *path; /* borrowed or owned (dirs) */
	const struct kit_bundle_entry *entry;
	char *owned;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static void
members_free(struct member *m, size_t n)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < n; i++)
		free(m[i].owned);
	free(m);
}

/*
 * The list of members: every entry and every parent directory, sorted
 * bytewise.  A directory is a prefix of its contents, so it sorts first.
 */
static int
build_members(const struct kit_bundle_entry *entries, size_t n,
	      struct member **out, size_t *count, struct kit_error *err)
{
	struct member *m = NULL;
	size_t cap = 0, len = 0, i, k;
	int rc = -1;

	for (i = 0; i < n; i++) {
		const char *p = entries[i].path;

		if (!p || !kit_path_is_safe(p)) {
			kit_err(err, KIT_E_INVALID,
				"bundle entry %zu has an unsafe path \"%s\"; use a relative '/'-separated path without . or ..",
				i, p ? p : "(null)");
			goto out;
		}
		if (strcmp(p, "manifest.json") == 0) {
			kit_err(err, KIT_E_INVALID,
				"bundle entry manifest.json is reserved for the manifest");
			goto out;
		}
		if (!entries[i].src && !entries[i].data && entries[i].len) {
			kit_err(err, KIT_E_INVALID,
				"bundle entry %s has neither a source file nor data", p);
			goto out;
		}
		/* the entry and each parent directory */
		for (k = 0;; k++) {
			const char *slash = strchr(p + k, '/');
			struct member nm = {0};

			if (len == cap) {
				cap = cap ? cap * 2 : 64;
				m = kit_xrealloc(m, cap * sizeof(*m));
			}
			if (slash) {
				nm.owned = kit_xmalloc((size_t)(slash - p) + 1);
				memcpy(nm.owned, p, (size_t)(slash - p));
				nm.owned[slash - p] = '\0';
				nm.path = nm.owned;
				m[len++] = nm;
				k = (size_t)(slash - p);
				continue;
			}
			nm.path = p;
			nm.entry = &entries[i];
			m[len++] = nm;
			break;
		}
	}
	if (len)
		qsort(m, len, sizeof(*m), member_cmp);
	/* drop repeated directories; refuse repeated files and a path that
	 * is both a file and a directory */
	for (i = 0, k = 0; i < len; i++) {
		if (k > 0 && strcmp(m[k - 1].path, m[i].path) == 0) {
			if (m[k - 1].entry || m[i].entry) {
				kit_err(err, KIT_E_INVALID,
					"bundle path %s is given twice (or is both a file and a directory)",
					m[i].path);
				/* m[0..k) and m[i..len) still own theirs */
				for (; i < len; i++)
					m[k++] = m[i];
				len = k;
				goto out;
			}
			free(m[i].owned);
			continue;
		}
		m[k++] = m[i];
	}
	*out = m;
	*count = k;
	m = NULL;
	rc = 0;
out:
	if (m)
		members_free(m, len);
	return rc;
}

static int
arch_err(struct archive *a, struct kit_error *err, const char *what,
	 const char *path)
{
	return kit_err(err, KIT_E_IO, "cannot write %s to %s: %s", what, path,
		       archive_error_string(a) ? archive_error_string(a)
					       : "unknown libarchive error");
}

/* Header for one member; size is ignored for directories. */
static int
write_header(struct archive *a, struct archive_entry *e, const char *name,
	     int dir, int64_t size, int64_t mtime, const char *out_path,
	     struct kit_error *err)
{
	archive_entry_clear(e);
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return arch_err(a, err, name, out_path);
	return 0;
}

static int
write_data(struct archive *a, const void *p, size_t n, const char *name,
	   const char *out_path, struct kit_error *err)
{
	const unsigned char *c = p;

	while (n > 0) {
		la_ssize_t w = archive_write_data(a, c, n);

		if (w <= 0)
			return arch_err(a, err, name, out_path);
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Stream a source file: size fixed by fstat before the header, checked
 * again at the end so a file that changes under us is an error, not a
 * silently wrong archive. */
static int
write_file_member(struct archive *a, struct archive_entry *e,
		  const struct member *m, int src_dir, int64_t mtime,
		  unsigned char *buf, const char *out_path,
		  struct kit_error *err)
{
	int fd = -1, rc = -1;
	struct stat st;
	uint64_t left;
	const char *src = m->entry->src;

	if (!src) {
		if (write_header(a, e, m->path, 0, (int64_t)m->entry->len,
				 mtime, out_path, err) != 0 ||
		    write_data(a, m->entry->data, m->entry->len, m->path,
			       out_path, err) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	/* beneath src_dir, no link followed at any component */
	fd = kit_file_open_read(src_dir, src, &st, err);
	if (fd < 0) {
		kit_err_prefix(err, "%s in the bundle", m->path);
		goto out;
	}
	if (write_header(a, e, m->path, 0, (int64_t)st.st_size, mtime,
			 out_path, err) != 0)
		goto out;
	left = (uint64_t)st.st_size;
	for (;;) {
		ssize_t r = read(fd, buf, READ_BLOCK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				      src);
			goto out;
		}
		if (r == 0)
			break;
		if ((uint64_t)r > left) {
			kit_err(err, KIT_E_IO,
				"%s grew while it was being archived; build again",
				src);
			goto out;
		}
		if (write_data(a, buf, (size_t)r, m->path, out_path, err) != 0)
			goto out;
		left -= (uint64_t)r;
	}
	if (left != 0) {
		kit_err(err, KIT_E_IO,
			"%s shrank while it was being archived; build again",
			src);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Compress in (or, with end, finish the frame) and write what comes out. */
static int
zout_feed(struct zout *zo, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = {p, n, 0};

	zo->in += n;
	for (;;) {
		ZSTD_outBuffer out = {zo->buf, zo->size, 0};
		size_t left = ZSTD_compressStream2(zo->z, &out, &in, end);

		if (ZSTD_isError(left))
			return kit_err(&zo->err, KIT_E_IO,
				       "cannot compress %s: %s", zo->path,
				       ZSTD_getErrorName(left));
		if (out.pos && kit_fd_write_all(zo->fd, zo->buf, out.pos) != 0)
			return kit_err_errno(&zo->err, KIT_E_IO, errno,
					     "cannot write %s", zo->path);
		zo->out += out.pos;
		if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static la_ssize_t
zout_write(struct archive *a, void *ud, const void *p, size_t n)
{
	(void)a;
	return zout_feed(ud, p, n, ZSTD_e_continue) == 0 ? (la_ssize_t)n : -1;
}

static int
zout_init(struct zout *zo, int fd, int level, const char *path,
	  struct kit_error *err)
{
	size_t r;

	memset(zo, 0, sizeof(*zo));
	zo->fd = fd;
	zo->path = path;
	zo->size = ZSTD_CStreamOutSize();
	zo->buf = kit_xmalloc(zo->size);
	zo->z = ZSTD_createCCtx();
	if (!zo->z)
		return kit_err(err, KIT_E_INVALID, "out of memory for zstd");
	r = ZSTD_CCtx_setParameter(zo->z, ZSTD_c_compressionLevel, level);
	/* a libzstd built without threads refuses workers: compress here */
	if (!ZSTD_isError(r) &&
	    !ZSTD_isError(ZSTD_CCtx_setParameter(zo->z, ZSTD_c_nbWorkers, 1)))
		r = ZSTD_CCtx_setParameter(zo->z, ZSTD_c_jobSize, ZSTD_JOB);
	if (ZSTD_isError(r))
		return kit_err(err, KIT_E_INVALID, "zstd level %d: %s", level,
			       ZSTD_getErrorName(r));
	return 0;
}

static void
zout_free(struct zout *zo)
{
	ZSTD_freeCCtx(zo->z);
	free(zo->buf);
}

/*
 * What every office would refuse, by the extractor's default limits
 * (kit_bundle_limits_default, the fetcher's defaults too): more members,
 * a larger manifest, more unpacked bytes, or a higher expansion ratio.
 * Checked here so that the publisher never signs a kit no office takes.
 */
static int
check_office_limits(size_t members, size_t manifest_len,
		    const struct zout *zo, const char *largest,
		    uint64_t largest_size, struct kit_error *err)
{
	struct kit_bundle_limits lim = kit_bundle_limits_default();

	if (members + 1 > lim.max_entries)
		return kit_err(err, KIT_E_INVALID, "%zu members, over the %llu an office accepts; split the campaign", members + 1, (unsigned long long)lim.max_entries);
	if (manifest_len > KIT_MANIFEST_MAX)
		return kit_err(err, KIT_E_INVALID, "a %zu-byte manifest, over the %u bytes an office accepts; split the campaign", manifest_len, KIT_MANIFEST_MAX);
	if (zo == NULL)
		return 0;
	if (zo->in > lim.max_total)
		return kit_err(err, KIT_E_INVALID, "unpacks to %llu bytes, over the %llu every office allows by default (kit-fetch init --max-unpacked), so every office would refuse it; its largest file is %s (%llu bytes): make the media smaller or split the campaign", (unsigned long long)zo->in, (unsigned long long)lim.max_total, largest ? largest : "manifest.json", (unsigned long long)largest_size);
	if (kb_expands_over(zo->in, zo->out, lim.max_ratio))
		return kit_err(err, KIT_E_INVALID, "unpacks to %llu bytes from %llu, over the %llu times every office allows by default (kit-fetch init --max-ratio), so every office would refuse it as a decompression bomb; its largest file is %s (%llu bytes): a file that compresses this well (zeros, padding) does not belong in a kit", (unsigned long long)zo->in, (unsigned long long)zo->out, (unsigned long long)lim.max_ratio, largest ? largest : "manifest.json", (unsigned long long)largest_size);
	return 0;
}

/* A pax archive writing through zo into tmp, or NULL (err set). */
static struct archive *
archive_open_zstd(struct zout *zo, const char *tmp, struct kit_error *err)
{
	struct archive *a = archive_write_new();

	if (!a) {
		kit_err(err, KIT_E_INVALID, "out of memory creating %s", tmp);
		return NULL;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, OUT_BLOCK) != ARCHIVE_OK ||
	    /* no zero padding after the tar stream */
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, zo, NULL, zout_write, NULL, NULL) !=
		    ARCHIVE_OK) {
		arch_err(a, err, "the archive", tmp);
		archive_write_free(a);
		return NULL;
	}
	return a;
}

/* manifest.json first, then every member in order; *largest names the
 * largest file (for the limits' messages). */
static int
write_members(struct archive *a, struct archive_entry *e,
	      const void *manifest, size_t manifest_len,
	      const struct member *mem, size_t count, int src_dir,
	      int64_t mtime, unsigned char *buf, const char *tmp,
	      const char **largest, uint64_t *largest_size,
	      struct kit_error *err)
{
	size_t i;

	if (write_header(a, e, "manifest.json", 0, (int64_t)manifest_len,
			 mtime, tmp, err) != 0 ||
	    write_data(a, manifest, manifest_len, "manifest.json", tmp,
		       err) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (!mem[i].entry) {
			if (write_header(a, e, mem[i].path, 1, 0, mtime, tmp,
					 err) != 0)
				return -1;
			continue;
		}
		if (write_file_member(a, e, &mem[i], src_dir, mtime, buf, tmp,
				      err) != 0)
			return -1;
		if ((uint64_t)archive_entry_size(e) >= *largest_size) {
			*largest = mem[i].path;
			*largest_size = (uint64_t)archive_entry_size(e);
		}
	}
	return 0;
}

/* The finished tmp (fd) made durable and renamed to out_path (its
 * directory not yet synced); fd is closed either way. */
static int
commit_file(int fd, const char *tmp, const char *out_path,
	    struct kit_error *err)
{
	if (kit_fd_sync(fd) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s", tmp);
		close(fd);
		return -1;
	}
	if (close(fd) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot close %s", tmp);
	if (rename(tmp, out_path) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s to %s", tmp, out_path);
	return 0;
}

/* The arguments kit_bundle_write() takes, checked; *level set. */
static int
check_args(const char *out_path, const void *manifest, size_t n,
	   const struct kit_bundle_entry *entries, int64_t mtime, int *level,
	   struct kit_error *err)
{
	if (!out_path || !manifest || (n && !entries) || mtime < 0)
		return kit_err(err, KIT_E_INVALID, "kit_bundle_write: bad arguments");
	if (*level == 0)
		*level = KIT_BUNDLE_ZSTD_DEFAULT;
	/* levels 20-22 need a 128 MiB+ window on the reading side */
	if (*level < 1 || *level > 19)
		return kit_err(err, KIT_E_INVALID, "zstd level %d is out of range; use 1 to 19", *level);
	return 0;
}

static int
bundle_write(const char *out_path, const void *manifest, size_t manifest_len,
	     const struct kit_bundle_entry *entries, size_t n, int src_dir,
	     int64_t mtime, int zstd_level, struct kit_error *err)
{
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct member *mem = NULL;
	struct zout zo;
	const char *largest = NULL;
	uint64_t largest_size = 0;
	size_t count = 0;
	unsigned char *buf = NULL;
	char tmp[4096];
	int fd = -1, rc = -1, tmp_made = 0;

	memset(&zo, 0, sizeof(zo));
	if (check_args(out_path, manifest, n, entries, mtime, &zstd_level,
		       err) != 0)
		return -1;
	if (build_members(entries, n, &mem, &count, err) != 0)
		return -1;
	if (check_office_limits(count, manifest_len, NULL, NULL, 0,
				err) != 0)
		goto out;
	if (kit_snprintf(err, tmp, sizeof(tmp), "%s.tmp", out_path) != 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s", tmp);
		goto out;
	}
	tmp_made = 1;
	buf = kit_xmalloc(READ_BLOCK);
	if (zout_init(&zo, fd, zstd_level, tmp, err) != 0)
		goto out;
	e = archive_entry_new();
	if (!e) {
		kit_err(err, KIT_E_INVALID, "out of memory creating %s", tmp);
		goto out;
	}
	a = archive_open_zstd(&zo, tmp, err);
	if (!a ||
	    write_members(a, e, manifest, manifest_len, mem, count, src_dir,
			  mtime, buf, tmp, &largest, &largest_size, err) != 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		arch_err(a, err, "the end of the archive", tmp);
		goto out;
	}
	if (zout_feed(&zo, NULL, 0, ZSTD_e_end) != 0 ||
	    check_office_limits(count, manifest_len, &zo, largest,
				largest_size, err) != 0)
		goto out;
	if (commit_file(fd, tmp, out_path, err) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	tmp_made = 0;
	if (kit_fsync_parent(out_path, err) != 0)
		goto out;
	rc = 0;
out:
	/* a failed write callback knows why better than libarchive */
	if (rc != 0 && err && zo.err.code != KIT_E_OK) {
		kit_err_clear(err);
		kit_err_copy(err, &zo.err);
	}
	if (a)
		archive_write_free(a);
	zout_free(&zo);
	archive_entry_free(e);
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	free(buf);
	members_free(mem, count);
	return rc;
}

int
kit_bundle_write(const char *out_path, const void *manifest,
		 size_t manifest_len, const struct kit_bundle_entry *entries,
		 size_t n, int src_dir, int64_t mtime, int zstd_level,
		 struct kit_error *err)
{
	locale_t old, loc = kb_utf8_locale_enter(&old);
	int rc = bundle_write(out_path, manifest, manifest_len, entries, n,
			      src_dir, mtime, zstd_level, err);

	kb_utf8_locale_leave(loc, old);
	return rc;
}
