/*
 * fuzz_util.h: what the fuzz targets share (included, not linked: each
 * target is one .c file plus replay.c or libFuzzer).
 *
 * - fuzz_workdir(): one private directory per process under $TMPDIR (else
 *   /tmp), removed at exit; targets that parse files write the input there.
 * - fuzz_split(): cut the input into slices at a separator line, so one
 *   input can stand for several files (a campaign directory, a repository).
 *   Slices that are not given are absent (len 0, present 0).
 * - fuzz_put(): write a file below a directory, creating its parents;
 *   fuzz_unpack(): write the files packed in the input ("<path>\n<bytes>"
 *   slices) below a directory.
 * - fuzz_die(): a broken invariant or a harness failure; fuzz_debug():
 *   what an input led to, printed when KIT_FUZZ_DEBUG is set.
 *
 * A failure of the harness itself (disk full, mkdtemp) aborts: it is not
 * the input's fault and must not pass for a finding-free run.
 */
#ifndef KIT_FUZZ_UTIL_H
#define KIT_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_slice {
	const uint8_t *p;
	size_t len;
	int present;
};

static char fuzz_dir[256];

/* With KIT_FUZZ_DEBUG set, say what an input led to (for writing seeds). */
static inline void fuzz_debug(const char *fmt, ...) KIT_PRINTF(1, 2);
static inline void
fuzz_debug(const char *fmt, ...)
{
	va_list ap;

	if (getenv("KIT_FUZZ_DEBUG") == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A harness failure or a broken invariant: say what and abort. */
static inline void fuzz_die(const char *what, const struct kit_error *err)
	__attribute__((noreturn));
static inline void
fuzz_die(const char *what, const struct kit_error *err)
{
	fprintf(stderr, "fuzz: %s%s%s\n", what, err && err->msg[0] ? ": " : "",
		err ? err->msg : "");
	abort();
}

static inline void
fuzz_cleanup(void)
{
	struct kit_error err = {0};

	if (fuzz_dir[0] && kit_rm_rf(fuzz_dir, &err) != 0)
		fprintf(stderr, "fuzz: %s\n", err.msg);
}

/* The process's work directory, created on first use. */
static inline const char *
fuzz_workdir(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	if (!fuzz_dir[0]) {
		if (tmp == NULL || *tmp != '/')
			tmp = "/tmp";
		if (snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/kit-%s-fuzz-XXXXXX",
			     tmp, name) >= (int)sizeof(fuzz_dir) ||
		    mkdtemp(fuzz_dir) == NULL)
			abort();
		atexit(fuzz_cleanup);
	}
	return fuzz_dir;
}

/* "<workdir>/<rel>" into out (abort when too long). */
static inline void
fuzz_path(char *out, size_t size, const char *rel)
{
	if (snprintf(out, size, "%s/%s", fuzz_dir, rel) >= (int)size)
		abort();
}

/* Empty the work directory's entry rel (a file or a tree). */
static inline void
fuzz_rm(const char *rel)
{
	struct kit_error err = {0};
	char path[512];

	fuzz_path(path, sizeof(path), rel);
	if (kit_rm_rf(path, &err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
}

/* Write len bytes to <workdir>/<rel>, creating parent directories; -1
 * (with err set) when a file stands where a directory must go or the
 * other way round, as an input may ask. */
static inline int
fuzz_try_put(const char *rel, const void *p, size_t len, struct kit_error *err)
{
	char path[512], *slash;

	fuzz_path(path, sizeof(path), rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (kit_mkdir_p(path, 0755, err) != 0)
		return -1;
	*slash = '/';
	if (kit_dir_exists(path))
		return kit_err(err, KIT_E_IO, "%s is a directory", path);
	return kit_file_write_atomic(path, p, len, 0644, err);
}

/* As fuzz_try_put(), for the harness's own files: a failure aborts. */
static inline void
fuzz_put(const char *rel, const void *p, size_t len)
{
	struct kit_error err = {0};

	if (fuzz_try_put(rel, p, len, &err) != 0)
		fuzz_die("write", &err);
}

/*
 * Cut data at each occurrence of sep (a whole line such as
 * "\n--kit-fuzz--\n") into at most n slices; the remainder after the
 * n-th separator belongs to the last slice.  Returns the number given.
 */
static inline size_t
fuzz_split(const uint8_t *data, size_t size, const char *sep,
	   struct fuzz_slice *s, size_t n)
{
	size_t seplen = strlen(sep), i = 0, start = 0, at;

	memset(s, 0, n * sizeof(*s));
	if (n == 0)
		return 0;
	for (at = 0; i + 1 < n && at + seplen <= size; at++) {
		if (memcmp(data + at, sep, seplen) != 0)
			continue;
		s[i].p = data + start;
		s[i].len = at - start;
		s[i].present = 1;
		i++;
		start = at + seplen;
		at = start - 1;
	}
	s[i].p = data + start;
	s[i].len = size - start;
	s[i].present = 1;
	return i + 1;
}

/*
 * Write the files packed in data: slices cut at the line "@@kit-fuzz@@",
 * each "<path>\n<bytes>", to <workdir>/<under>/<path>.  Paths that are not
 * safe (kit_path_is_safe), over 200 bytes, or that start with none of the
 * prefixes in allow (a NULL-terminated list; NULL allows any) are skipped;
 * at most max files (max <= 64).
 */
static inline void
fuzz_unpack(const uint8_t *data, size_t size, const char *under,
	    const char *const *allow, size_t max)
{
	struct fuzz_slice s[64];
	struct kit_error err = {0};
	size_t n, i, j, off = under[0] ? strlen(under) + 1 : 0;
	char rel[512];

	n = fuzz_split(data, size, "\n@@kit-fuzz@@\n", s, max < 64 ? max : 64);
	for (i = 0; i < n; i++) {
		const uint8_t *nl = memchr(s[i].p, '\n', s[i].len);
		size_t plen = nl ? (size_t)(nl - s[i].p) : s[i].len;
		int ok = allow == NULL;

		if (plen == 0 || plen > 200 || off + plen + 1 > sizeof(rel))
			continue;
		if (off)
			snprintf(rel, sizeof(rel), "%s/", under);
		memcpy(rel + off, s[i].p, plen);
		rel[off + plen] = '\0';
		for (j = 0; allow && allow[j]; j++)
			ok |= kit_str_has_prefix(rel + off, allow[j]);
		if (!ok || strlen(rel) != off + plen ||
		    !kit_path_is_safe(rel + off))
			continue;
		if (fuzz_try_put(rel, nl ? nl + 1 : s[i].p + plen,
				 nl ? s[i].len - plen - 1 : 0, &err) != 0)
			kit_err_clear(&err); /* a/b after a file a: skipped */
	}
}

/* A NUL-terminated copy of a slice (caller frees). */
static inline char *
fuzz_strndup(const struct fuzz_slice *s)
{
	char *c = kit_xmalloc(s->len + 1);

	if (s->len)
		memcpy(c, s->p, s->len);
	c[s->len] = '\0';
	return c;
}

#endif
