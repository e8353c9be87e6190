/*
 * bundle_extract.c: the streaming verified extractor.
 *
 * libarchive only parses the tar stream here; the archive is read and
 * decompressed ahead of it on a second thread (unzstd.c, libzstd, frames
 * of at most an 8 MiB window), and every byte that reaches the disk
 * goes through our own open(O_EXCL|O_NOFOLLOW)/write() loop.  Why not
 * archive_write_disk with ARCHIVE_EXTRACT_SECURE_SYMLINKS | _NODOTDOT |
 * _NOABSOLUTEPATHS?  Those flags stop the classic path escapes, but they
 * do not refuse the rest of what a kit must never contain: hard links,
 * devices and FIFOs are created, setuid bits are dropped silently (or
 * kept, with ARCHIVE_EXTRACT_PERM) instead of being refused, duplicates
 * overwrite earlier members, case collisions are not noticed, and nothing
 * there knows the manifest.  We also need to hash each byte as it is
 * written, which needs our own write loop anyway.  So the policy is
 * "refuse the whole archive on the first surprise", entirely in this file,
 * and staging is a directory we create, so nothing in it predates us.
 */
/* sync_file_range() is Linux's: _GNU_SOURCE for this one file; elsewhere
 * the #ifdef leaves the plain fsync pass. */
#define _GNU_SOURCE
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

#include "bundle_int.h"
#include "kit_bundle.h"
#include "kit_crypto.h"

#define MAX_PATH_BYTES 4095
#define MAX_NAME_BYTES 255

struct kit_bundle_limits
kit_bundle_limits_default(void)
{
	struct kit_bundle_limits l;

	l.max_total = 4ULL * 1024 * 1024 * 1024;
	l.max_ratio = 200;
	l.max_entries = KIT_MANIFEST_FILES_MAX;
	return l;
}

int
kb_expands_over(uint64_t unpacked, uint64_t packed, uint64_t max_ratio)
{
	if (max_ratio == 0)
		return 0;
	if (packed == 0)
		return unpacked > 0;
	/* unpacked > max_ratio * packed, without overflow */
	return unpacked / packed > max_ratio ||
	       (unpacked / packed == max_ratio && unpacked % packed != 0);
}

/* ------------------------------------------------------ a small hash table */

enum rec_kind {
	REC_FILE = 1,     /* manifest file / archive file member */
	REC_DIR,          /* manifest: parent of a file */
	REC_DIR_ENTRY,    /* archive: directory member */
	REC_DIR_IMPLICIT, /* archive: parent we created for a member */
};

struct rec {
	char *key;  /* manifest: the path; seen: the case-folded path */
	char *orig; /* seen: the path as in the archive */
	enum rec_kind kind;
	int seen;
	uint64_t size;
	char sha[KIT_SHA256_HEX];
};

struct table {
	struct rec *v;
	size_t cap, n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct rec *
table_find(const struct table *t, const char *key)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = (size_t)hash_str(key) & (t->cap - 1); t->v[i].key;
	     i = (i + 1) & (t->cap - 1))
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	return NULL;
}

static void
table_grow(struct table *t)
{
	struct rec *old = t->v;
	size_t oldcap = t->cap, i, j;

	t->cap = oldcap ? oldcap * 2 : 256;
	t->v = kit_xcalloc(t->cap, sizeof(*t->v));
	for (i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		for (j = (size_t)hash_str(old[i].key) & (t->cap - 1);
		     t->v[j].key; j = (j + 1) & (t->cap - 1))
			;
		t->v[j] = old[i];
	}
	free(old);
}

/* Insert key (copied); the caller checked it is absent. */
static struct rec *
table_add(struct table *t, const char *key)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap)
		table_grow(t);
	for (i = (size_t)hash_str(key) & (t->cap - 1); t->v[i].key;
	     i = (i + 1) & (t->cap - 1))
		;
	t->v[i].key = kit_strdup(key);
	t->n++;
	return &t->v[i];
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		free(t->v[i].key);
		free(t->v[i].orig);
	}
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}

/* ------------------------------------------------------------ case folding */

/*
 * Simple lower-casing, enough to catch the names that collide on the
 * case-insensitive file systems offices use (NTFS, APFS, FAT on USB
 * sticks): ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals.
 * No Unicode normalisation (NFC/NFD look-alikes are not caught).
 */
static uint32_t
fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c == 0x130)
		return 'i';
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return (c % 2 == 0) ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c % 2 == 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	return c;
}

/* s is valid UTF-8 (checked before); the result is newly allocated. */
char *
kb_fold_utf8(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = kit_xmalloc(n * 2 + 1);
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t c;
		int len;

		if (*p < 0x80) {
			c = *p;
			len = 1;
		} else if ((*p & 0xE0) == 0xC0) {
			c = *p & 0x1F;
			len = 2;
		} else if ((*p & 0xF0) == 0xE0) {
			c = *p & 0x0F;
			len = 3;
		} else {
			c = *p & 0x07;
			len = 4;
		}
		for (int i = 1; i < len && p[i]; i++)
			c = (c << 6) | (p[i] & 0x3F);
		p += len;
		c = fold_cp(c);
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xC0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xE0 | (c >> 12));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | (c >> 18));
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[o] = '\0';
	return out;
}

/* ----------------------------------------------------------- the extractor */

struct ctx {
	struct archive *a;
	const char *archive_path;
	const char *staging;
	struct kit_bundle_limits lim;
	uint64_t archive_size;
	uint64_t data_total; /* file bytes written so far */
	uint64_t entries;
	struct table manifest; /* exact path -> expected file / dir */
	struct table seen;     /* folded path -> what we created */
	struct kit_sha256 *h;
	struct kb_unzstd *unz; /* reads and decompresses the archive */
};

static const char *
arch_reason(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s ? s : "unknown libarchive error";
}

/* Untrusted names go through this before any message. */
static void
clean_name(const char *name, char *out, size_t size)
{
	kit_str_sanitize(name, out, size);
}

/* Decompression bombs: checked after every header and every data block,
 * against both the tar stream (headers, padding) and the file data. */
static int
check_totals(struct ctx *c, struct kit_error *err)
{
	la_int64_t fb = archive_filter_bytes(c->a, 0);
	uint64_t dec = fb > 0 ? (uint64_t)fb : 0;

	if (c->data_total > dec)
		dec = c->data_total;
	if (dec > c->lim.max_total)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s decompresses to more than %llu bytes, the limit; refusing it as a decompression bomb",
			       c->archive_path,
			       (unsigned long long)c->lim.max_total);
	if (kb_expands_over(dec, c->archive_size, c->lim.max_ratio))
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s expands more than %llu times its %llu compressed bytes; refusing it as a decompression bomb",
			       c->archive_path,
			       (unsigned long long)c->lim.max_ratio,
			       (unsigned long long)c->archive_size);
	return 0;
}

static int
staging_path(const struct ctx *c, const char *rel, char *out, size_t size,
	     struct kit_error *err)
{
	return kit_path_join(out, size, c->staging, rel, err);
}

/* Open a new file in staging: never an existing one, never via a link. */
static int
create_file(const struct ctx *c, const char *rel, int *fd,
	    struct kit_error *err)
{
	char path[8192];

	if (staging_path(c, rel, path, sizeof(path), err) != 0)
		return -1;
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0644);
	if (*fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot create %s",
				     path);
	return 0;
}

static int
make_dir(const struct ctx *c, const char *rel, struct kit_error *err)
{
	char path[8192];

	if (staging_path(c, rel, path, sizeof(path), err) != 0)
		return -1;
	if (mkdir(path, 0755) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot create %s",
				     path);
	return 0;
}

/*
 * Record a member (and its parents) in the seen table, creating the
 * directories we need.  Refuses duplicates, case collisions and a file
 * used as a directory.
 */
static int
register_member(struct ctx *c, const char *name, int dir,
		struct kit_error *err)
{
	char prefix[MAX_PATH_BYTES + 1], shown[256], other[256];
	const char *slash;
	struct rec *r;
	char *folded = NULL;
	int rc = -1;

	clean_name(name, shown, sizeof(shown));
	/* parents first, top down */
	for (slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t n = (size_t)(slash - name);

		memcpy(prefix, name, n);
		prefix[n] = '\0';
		free(folded);
		folded = kb_fold_utf8(prefix);
		r = table_find(&c->seen, folded);
		if (r) {
			if (strcmp(r->orig, prefix) != 0) {
				clean_name(r->orig, other, sizeof(other));
				kit_err(err, KIT_E_SECURITY,
					"archive %s: %s collides with %s when case is ignored; refusing it (it would mix files on Windows and macOS)",
					c->archive_path, shown, other);
				goto out;
			}
			if (r->kind == REC_FILE) {
				clean_name(prefix, other, sizeof(other));
				kit_err(err, KIT_E_SECURITY,
					"archive %s: %s needs %s as a directory but it is a file; refusing it",
					c->archive_path, shown, other);
				goto out;
			}
			continue;
		}
		if (make_dir(c, prefix, err) != 0)
			goto out;
		r = table_add(&c->seen, folded);
		r->orig = kit_strdup(prefix);
		r->kind = REC_DIR_IMPLICIT;
	}
	free(folded);
	folded = kb_fold_utf8(name);
	r = table_find(&c->seen, folded);
	if (r) {
		if (strcmp(r->orig, name) != 0) {
			clean_name(r->orig, other, sizeof(other));
			kit_err(err, KIT_E_SECURITY,
				"archive %s: %s collides with %s when case is ignored; refusing it (it would mix files on Windows and macOS)",
				c->archive_path, shown, other);
			goto out;
		}
		if (dir && r->kind == REC_DIR_IMPLICIT) {
			r->kind = REC_DIR_ENTRY;
			rc = 0;
			goto out;
		}
		kit_err(err, KIT_E_SECURITY,
			"archive %s: duplicate entry %s; refusing it",
			c->archive_path, shown);
		goto out;
	}
	if (dir && make_dir(c, name, err) != 0)
		goto out;
	r = table_add(&c->seen, folded);
	r->orig = kit_strdup(name);
	r->kind = dir ? REC_DIR_ENTRY : REC_FILE;
	rc = 0;
out:
	free(folded);
	return rc;
}

/*
 * The checks on a member's header: type, mode bits, name.  On success
 * name (NUL-terminated, trailing '/' of a directory removed) is in out.
 */
static int
check_header(struct ctx *c, struct archive_entry *e, char *out, size_t size,
	     int *is_dir, struct kit_error *err)
{
	const char *name = archive_entry_pathname_utf8(e);
	char shown[256];
	size_t len;
	const char *p, *comp;
	mode_t type = archive_entry_filetype(e);

	if (!name)
		name = archive_entry_pathname(e);
	if (!name || !*name)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: entry %llu has no name; refusing it",
			       c->archive_path, (unsigned long long)c->entries);
	clean_name(name, shown, sizeof(shown));
	len = strlen(name);
	if (!kit_utf8_valid(name, len))
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: entry name \"%s\" is not valid UTF-8 (or holds control characters); refusing it",
			       c->archive_path, shown);
	if (archive_entry_hardlink(e))
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is a hard link; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (type == AE_IFLNK || archive_entry_symlink(e))
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is a symlink; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (type == AE_IFCHR || type == AE_IFBLK)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is a device; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (type == AE_IFIFO)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is a FIFO; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (type == AE_IFSOCK)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is a socket; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (type != AE_IFREG && type != AE_IFDIR)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s has an unknown type; kits hold regular files and directories only",
			       c->archive_path, shown);
	if (archive_entry_mode(e) & 07000)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s has setuid, setgid or sticky bits (mode %04o); refusing it",
			       c->archive_path, shown,
			       (unsigned)(archive_entry_mode(e) & 07777));
	*is_dir = type == AE_IFDIR;
	if (*is_dir && len > 1 && name[len - 1] == '/')
		len--;
	if (name[0] == '/')
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s is an absolute path; refusing it",
			       c->archive_path, shown);
	if (len > MAX_PATH_BYTES || len >= size)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: name %.64s... is longer than %d bytes; refusing it",
			       c->archive_path, shown, MAX_PATH_BYTES);
	memcpy(out, name, len);
	out[len] = '\0';
	for (comp = out; comp; comp = p ? p + 1 : NULL) {
		size_t cl;

		p = strchr(comp, '/');
		cl = p ? (size_t)(p - comp) : strlen(comp);
		if (cl == 2 && comp[0] == '.' && comp[1] == '.')
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: %s contains '..'; refusing it (path traversal)",
				       c->archive_path, shown);
		if (cl > MAX_NAME_BYTES)
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: a component of %s is longer than %d bytes; refusing it",
				       c->archive_path, shown, MAX_NAME_BYTES);
	}
	if (!kit_path_is_safe(out))
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: %s has an empty or '.' component or a backslash; refusing it",
			       c->archive_path, shown);
	return 0;
}

/*
 * Stream one member's data into fd, hashing it (and keeping a copy in
 * keep when it is not NULL: manifest.json).  The blocks come straight
 * from libarchive's decompression buffer (no copy of ours); a block that
 * does not start where the last one ended is a hole of a sparse member,
 * which kits never hold.
 */
static int
copy_data(struct ctx *c, int fd, const char *shown, uint64_t expect,
	  uint64_t *got, struct kit_buf *keep, struct kit_error *err)
{
	*got = 0;
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(c->a, &p, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: corrupt or truncated data in %s: %s; download it again",
				       c->archive_path, shown,
				       arch_reason(c->a));
		if (off < 0 || (uint64_t)off != *got)
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: %s is a sparse file (data at offset %lld after %llu bytes); kits hold plain files only, refusing it",
				       c->archive_path, shown, (long long)off,
				       (unsigned long long)*got);
		if (n == 0)
			continue;
		*got += (uint64_t)n;
		c->data_total += (uint64_t)n;
		if (*got > expect)
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: %s is larger than the %llu bytes its manifest says; refusing it",
				       c->archive_path, shown,
				       (unsigned long long)expect);
		if (check_totals(c, err) != 0)
			return -1;
		kit_sha256_update(c->h, p, n);
		if (keep && kit_buf_append(keep, p, n, err) != 0)
			return -1;
		if (kit_fd_write_all(fd, p, n) != 0)
			return kit_err_errno(err, KIT_E_IO, errno,
					     "cannot write %s in %s", shown,
					     c->staging);
	}
	return 0;
}

static int
extract_member(struct ctx *c, struct archive_entry *e, struct kit_error *err)
{
	char name[MAX_PATH_BYTES + 1], shown[256], hex[KIT_SHA256_HEX];
	struct rec *m;
	int dir = 0, fd = -1, rc = -1;
	uint64_t got;

	if (check_header(c, e, name, sizeof(name), &dir, err) != 0)
		goto out;
	clean_name(name, shown, sizeof(shown));
	if (strcmp(name, "manifest.json") == 0) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: duplicate entry manifest.json; refusing it",
			c->archive_path);
		goto out;
	}
	m = table_find(&c->manifest, name);
	if (dir) {
		if (!m || m->kind != REC_DIR) {
			kit_err(err, KIT_E_SECURITY,
				"archive %s: directory %s holds no file of the manifest; refusing it",
				c->archive_path, shown);
			goto out;
		}
		rc = register_member(c, name, 1, err);
		goto out;
	}
	if (!m || m->kind != REC_FILE) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: %s is not in manifest.json; refusing it",
			c->archive_path, shown);
		goto out;
	}
	if (archive_entry_size_is_set(e) &&
	    (archive_entry_size(e) < 0 ||
	     (uint64_t)archive_entry_size(e) != m->size)) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: %s is %lld bytes but manifest.json says %llu; refusing it",
			c->archive_path, shown, (long long)archive_entry_size(e),
			(unsigned long long)m->size);
		goto out;
	}
	if (register_member(c, name, 0, err) != 0 ||
	    create_file(c, name, &fd, err) != 0 ||
	    copy_data(c, fd, shown, m->size, &got, NULL, err) != 0)
		goto out;
	if (got != m->size) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: %s is %llu bytes but manifest.json says %llu; refusing it",
			c->archive_path, shown, (unsigned long long)got,
			(unsigned long long)m->size);
		goto out;
	}
	kit_sha256_final_hex(c->h, hex);
	if (!kit_hex_equal(hex, m->sha)) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: %s has SHA-256 %s but manifest.json says %s; refusing it",
			c->archive_path, shown, hex, m->sha);
		goto out;
	}
	m->seen = 1;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start writing this file back now; the install's fsync pass then
	 * mostly waits for work already under way instead of starting it
	 * file by file.  Durability still comes from that fsync. */
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	if (close(fd) != 0) {
		fd = -1;
		kit_err_errno(err, KIT_E_IO, errno, "cannot write %s in %s",
			      shown, c->staging);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* files[] of the parsed manifest (its owner checked their shape, safety
 * and uniqueness) into the table of expected members, with every parent
 * directory. */
static int
load_manifest(struct ctx *c, const struct kit_manifest *m,
	      struct kit_error *err)
{
	size_t i;
	char shown[256];

	if (m->n_files > c->lim.max_entries)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s: manifest.json lists %zu files, more than the %llu allowed; refusing it",
			       c->archive_path, m->n_files,
			       (unsigned long long)c->lim.max_entries);
	for (i = 0; i < m->n_files; i++) {
		const char *path = m->files[i].path;
		const char *slash;
		struct rec *r;

		clean_name(path, shown, sizeof(shown));
		r = table_find(&c->manifest, path);
		if (r)
			return kit_err(err, KIT_E_SECURITY,
				       "archive %s: manifest.json lists %s twice (or as file and directory); refusing it", c->archive_path, shown);
		r = table_add(&c->manifest, path);
		r->kind = REC_FILE;
		r->size = m->files[i].size;
		memcpy(r->sha, m->files[i].sha256, KIT_SHA256_HEX);
		for (slash = strchr(path, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			char prefix[MAX_PATH_BYTES + 1];
			size_t n = (size_t)(slash - path);

			memcpy(prefix, path, n);
			prefix[n] = '\0';
			r = table_find(&c->manifest, prefix);
			if (r && r->kind != REC_DIR)
				return kit_err(err, KIT_E_SECURITY,
					       "archive %s: manifest.json lists %s as a file and a directory; refusing it", c->archive_path,
					       shown);
			if (!r)
				table_add(&c->manifest, prefix)->kind = REC_DIR;
		}
	}
	return 0;
}

/* The first member: manifest.json, read whole (capped), kept in staging,
 * parsed by its owner. */
static int
read_manifest(struct ctx *c, struct archive_entry *e, struct kit_manifest **m,
	      struct kit_error *err)
{
	const char *name = archive_entry_pathname(e);
	char shown[256], hex[KIT_SHA256_HEX];
	struct kit_error perr = {0};
	struct kit_buf b;
	int fd = -1, rc = -1;
	uint64_t got;

	kit_buf_init(&b, KIT_MANIFEST_MAX);
	clean_name(name ? name : "(no name)", shown, sizeof(shown));
	if (!name || strcmp(name, "manifest.json") != 0 ||
	    archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_hardlink(e) || archive_entry_symlink(e)) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: the first entry is %s, not the regular file manifest.json; refusing it",
			c->archive_path, shown);
		goto out;
	}
	if (archive_entry_mode(e) & 07000) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: manifest.json has setuid, setgid or sticky bits; refusing it", c->archive_path);
		goto out;
	}
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
	    (uint64_t)archive_entry_size(e) > KIT_MANIFEST_MAX) {
		kit_err(err, KIT_E_SECURITY,
			"archive %s: manifest.json is %lld bytes, more than the %u allowed; refusing it",
			c->archive_path, (long long)archive_entry_size(e),
			KIT_MANIFEST_MAX);
		goto out;
	}
	if (register_member(c, "manifest.json", 0, err) != 0 ||
	    create_file(c, "manifest.json", &fd, err) != 0 ||
	    copy_data(c, fd, "manifest.json",
		      (uint64_t)archive_entry_size(e), &got, &b, err) != 0)
		goto out;
	kit_sha256_final_hex(c->h, hex); /* reset the hasher */
	if (close(fd) != 0) {
		fd = -1;
		kit_err_errno(err, KIT_E_IO, errno,
			      "cannot write manifest.json in %s", c->staging);
		goto out;
	}
	fd = -1;
	*m = kit_manifest_parse(b.data, b.len, "manifest.json", &perr);
	if (!*m) {
		kit_err(err, KIT_E_SECURITY, "archive %s: %s; refusing it",
			c->archive_path, perr.msg);
		goto out;
	}
	if (load_manifest(c, *m, err) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	kit_buf_free(&b);
	return rc;
}

/* Read the next header; corrupt data is the archive's fault. */
static int
next_header(struct ctx *c, struct archive_entry **e, int *eof,
	    struct kit_error *err)
{
	int r = archive_read_next_header(c->a, e);

	*eof = 0;
	if (r == ARCHIVE_EOF) {
		*eof = 1;
		return 0;
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s is corrupt, truncated or not a zstd-compressed tar (after %llu entries): %s; download it again",
			       c->archive_path, (unsigned long long)c->entries,
			       arch_reason(c->a));
	if (++c->entries > c->lim.max_entries)
		return kit_err(err, KIT_E_SECURITY,
			       "archive %s has more than %llu entries; refusing it", c->archive_path,
			       (unsigned long long)c->lim.max_entries);
	return check_totals(c, err);
}

int
kit_bundle_check_expect(const struct kit_manifest *m, void *arg,
			struct kit_error *err)
{
	return kit_manifest_target_check(m, arg, err);
}

static int
make_staging(const char *staging, struct kit_error *err)
{
	char parent[4096];
	char *slash;

	if (kit_snprintf(err, parent, sizeof(parent), "%s", staging) != 0)
		return -1;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (kit_mkdir_p(parent, 0755, err) != 0)
			return -1;
	}
	if (mkdir(staging, 0755) != 0) {
		if (errno == EEXIST)
			return kit_err(err, KIT_E_IO,
				       "staging directory %s already exists; remove it (kit_bundle_clean_staging)",
				       staging);
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot create staging directory %s",
				     staging);
	}
	return 0;
}

/* The archive, opened without following a link: a non-empty regular
 * file.  Its descriptor, or -1 (err set); *size its length. */
static int
open_archive(const char *archive_path, uint64_t *size, struct kit_error *err)
{
	struct stat st;
	int fd = open(archive_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open archive %s", archive_path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		kit_err(err, KIT_E_IO, "archive %s is not a regular file", archive_path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		kit_err(err, KIT_E_SECURITY, "archive %s is empty; download it again", archive_path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* c->a reading the tar stream that c->unz decompresses from fd. */
static int
open_reader(struct ctx *c, int fd, struct kit_error *err)
{
	c->h = kit_sha256_new();
	c->a = archive_read_new();
	if (!c->h || !c->a)
		return kit_err(err, KIT_E_INVALID, "out of memory reading %s", c->archive_path);
	if (archive_read_support_format_tar(c->a) != ARCHIVE_OK)
		return kit_err(err, KIT_E_INVALID, "libarchive lacks zstd or tar support: %s", arch_reason(c->a));
	c->unz = kb_unzstd_new(fd, c->archive_path, err);
	if (!c->unz)
		return -1;
	if (archive_read_open(c->a, c->unz, NULL, kb_unzstd_read, NULL) != ARCHIVE_OK)
		return kit_err(err, KIT_E_SECURITY, "archive %s is corrupt, truncated or not a zstd-compressed tar: %s; download it again", c->archive_path, arch_reason(c->a));
	return 0;
}

/* manifest.json, the first member, read into *root and held to the
 * signed target by check. */
static int
first_member(struct ctx *c, kit_bundle_check_fn check, void *check_arg,
	     struct kit_manifest **root, struct kit_error *err)
{
	struct archive_entry *e;
	int eof;

	if (next_header(c, &e, &eof, err) != 0)
		return -1;
	if (eof)
		return kit_err(err, KIT_E_SECURITY, "archive %s holds no entries; manifest.json is missing", c->archive_path);
	if (read_manifest(c, e, root, err) != 0)
		return -1;
	if (check && check(*root, check_arg, err) != 0)
		return kit_err(err, KIT_E_SECURITY, "archive %s: manifest.json does not match the signed target; refusing it", c->archive_path);
	return 0;
}

/* Every other member, then the totals, then every file the manifest
 * names found. */
static int
other_members(struct ctx *c, struct kit_error *err)
{
	struct archive_entry *e;
	int eof;
	size_t i;

	for (;;) {
		if (next_header(c, &e, &eof, err) != 0)
			return -1;
		if (eof)
			break;
		if (extract_member(c, e, err) != 0)
			return -1;
	}
	if (check_totals(c, err) != 0)
		return -1;
	for (i = 0; i < c->manifest.cap; i++) {
		const struct rec *r = &c->manifest.v[i];
		char shown[256];

		if (r->key && r->kind == REC_FILE && !r->seen) {
			clean_name(r->key, shown, sizeof(shown));
			return kit_err(err, KIT_E_SECURITY, "archive %s: %s is in manifest.json but not in the archive; refusing it", c->archive_path, shown);
		}
	}
	return 0;
}

static int
bundle_extract(const char *archive_path, const char *staging_dir,
	       const struct kit_bundle_limits *lim, kit_bundle_check_fn check,
	       void *check_arg, struct kit_manifest **manifest_out,
	       struct kit_error *err)
{
	struct ctx c;
	struct kit_manifest *root = NULL;
	int fd = -1, rc = -1, made = 0;

	memset(&c, 0, sizeof(c));
	if (manifest_out)
		*manifest_out = NULL;
	if (!archive_path || !staging_dir)
		return kit_err(err, KIT_E_INVALID, "kit_bundle_extract: bad arguments");
	c.archive_path = archive_path;
	c.staging = staging_dir;
	c.lim = lim ? *lim : kit_bundle_limits_default();
	fd = open_archive(archive_path, &c.archive_size, err);
	if (fd < 0)
		goto out;
	if (make_staging(staging_dir, err) != 0)
		goto out;
	made = 1;
	if (open_reader(&c, fd, err) != 0 ||
	    first_member(&c, check, check_arg, &root, err) != 0 ||
	    other_members(&c, err) != 0)
		goto out;
	if (manifest_out) {
		*manifest_out = root;
		root = NULL;
	}
	rc = 0;
out:
	/* a read that failed: the decompressing thread knows why */
	if (rc != 0 && c.unz)
		(void)kb_unzstd_error(c.unz, err);
	if (c.a)
		archive_read_free(c.a);
	kb_unzstd_free(c.unz);
	if (fd >= 0)
		close(fd);
	kit_sha256_free(c.h);
	table_free(&c.manifest);
	table_free(&c.seen);
	kit_manifest_free(root);
	if (rc != 0 && made) {
		struct kit_error ignore = {0};

		/* nothing half-extracted stays behind */
		if (kit_rm_rf(staging_dir, &ignore) != 0)
			kit_err_prefix(err, "(could not remove %s either) ", staging_dir);
	}
	return rc;
}

int
kit_bundle_extract(const char *archive_path, const char *staging_dir,
		   const struct kit_bundle_limits *lim,
		   kit_bundle_check_fn check, void *check_arg,
		   struct kit_manifest **manifest_out, struct kit_error *err)
{
	locale_t old, loc = kb_utf8_locale_enter(&old);
	int rc = bundle_extract(archive_path, staging_dir, lim, check,
				check_arg, manifest_out, err);

	kb_utf8_locale_leave(loc, old);
	return rc;
}
