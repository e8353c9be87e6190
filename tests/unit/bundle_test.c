/*
 * bundle_test.c: the deterministic writer, the extractor attacked by a
 * corpus of hostile archives (written with libarchive directly, bypassing
 * our writer), and installation: switch, prune, rollback, verify, lock.
 *
 * Every refusal asserts the exact class, the check that fired (a piece of
 * the message), that staging is gone and that the installed kit is
 * byte-for-byte what it was (a digest of the whole kit directory).
 *
 * KIT_BUNDLE_WRITE_CORPUS=<dir> makes test_corpus_seeds write the fuzz
 * seeds (tests/fuzz/corpus/extract/) there.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "kit_bundle.h"
#include "kit_crypto.h"
#include "kit_manifest.h"
#include "kit_util.h"

#define MTIME 1481760000 /* 2016-12-15T00:00:00Z */

/* ----------------------------------------------------------------- helpers */

static char *
make_tmpdir(void)
{
	char tmpl[] = "/tmp/kit-bundle-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return kit_strdup(d);
}

static void
rm_tree(const char *dir)
{
	struct kit_error err = {0};

	assert_int_equal(kit_rm_rf(dir, &err), 0);
}

static char *
pjoin(const char *a, const char *b)
{
	return kit_aprintf("%s/%s", a, b);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Digest of a whole tree: names, types, link targets and contents. */
static void
tree_hash_into(struct kit_sha256 *h, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (!d) {
		kit_sha256_update(h, "(none)", 6);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = kit_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = kit_strdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		char *p = pjoin(dir, names[i]);
		char *r = kit_aprintf("%s/%s", rel, names[i]);
		struct stat st;

		assert_int_equal(lstat(p, &st), 0);
		kit_sha256_update(h, r, strlen(r) + 1);
		if (S_ISLNK(st.st_mode)) {
			char t[512];
			ssize_t l = readlink(p, t, sizeof(t));

			assert_true(l > 0);
			kit_sha256_update(h, "L", 1);
			kit_sha256_update(h, t, (size_t)l);
		} else if (S_ISDIR(st.st_mode)) {
			kit_sha256_update(h, "D", 1);
			tree_hash_into(h, p, r);
		} else {
			char hex[KIT_SHA256_HEX];
			struct kit_error err = {0};

			assert_int_equal(kit_sha256_file(p, hex, NULL, &err), 0);
			kit_sha256_update(h, "F", 1);
			kit_sha256_update(h, hex, 64);
		}
		free(p);
		free(r);
		free(names[i]);
	}
	free(names);
}

static void
tree_hash(const char *dir, char *hex)
{
	struct kit_sha256 *h = kit_sha256_new();

	tree_hash_into(h, dir, "");
	kit_sha256_final_hex(h, hex);
	kit_sha256_free(h);
}

static int
files_equal(const char *a, const char *b)
{
	char ha[KIT_SHA256_HEX], hb[KIT_SHA256_HEX];
	struct kit_error err = {0};

	if (kit_sha256_file(a, ha, NULL, &err) != 0 ||
	    kit_sha256_file(b, hb, NULL, &err) != 0)
		return 0;
	return strcmp(ha, hb) == 0;
}

/* -------------------------------------------------- good kits (our writer) */

struct kfile {
	const char *path;
	const char *text;
};

/* A schema-valid manifest model of a kit without posts, files added
 * with model_file(). */
static struct kit_manifest *
test_model(int version)
{
	struct kit_manifest *m = kit_manifest_new();

	m->campaign = kit_strdup("together-2016");
	m->office = kit_strdup("global");
	m->version = version;
	m->title = kit_strdup("Together");
	m->window_start = kit_strdup("2016-12-15T00:00:00+01:00");
	m->window_end = kit_strdup("2016-12-18T23:59:59+01:00");
	m->timezone = kit_strdup("Europe/Zurich");
	m->languages = kit_xcalloc(1, sizeof(*m->languages));
	m->languages[m->n_languages++] = kit_strdup("en");
	m->tool = kit_strdup("bundle_test");
	m->source_date_epoch = MTIME;
	return m;
}

static void
model_file(struct kit_manifest *m, const char *path, uint64_t size,
	   const char *sha, const char *type)
{
	struct kit_manifest_file *f;

	m->files = kit_xrealloc(m->files, (m->n_files + 1) * sizeof(*m->files));
	f = &m->files[m->n_files++];
	f->path = kit_strdup(path);
	f->size = size;
	(void)snprintf(f->sha256, sizeof(f->sha256), "%s", sha);
	f->type = kit_strdup(type);
}

/* manifest.json bytes of m, by its writer (m freed). */
static char *
model_bytes(struct kit_manifest *m)
{
	struct kit_error err = {0};
	char *out = NULL;
	size_t len;

	if (kit_manifest_content(m, m->content, &err) != 0 ||
	    kit_manifest_write(m, &out, &len, &err) != 0)
		fail_msg("manifest: %s", err.msg);
	kit_manifest_free(m);
	return out;
}

/* A manifest for in-memory files, as the publisher would write it. */
static char *
manifest_text(int version, const struct kfile *f, size_t n,
	      const char *src_path, const char *src_name)
{
	struct kit_manifest *m = test_model(version);
	char hex[KIT_SHA256_HEX];
	size_t i;

	for (i = 0; i < n; i++) {
		kit_sha256_hex(f[i].text, strlen(f[i].text), hex);
		model_file(m, f[i].path, strlen(f[i].text), hex, "text/markdown");
	}
	if (src_path) {
		uint64_t len = 0;
		struct kit_error err = {0};

		assert_int_equal(kit_sha256_file(src_path, hex, &len, &err), 0);
		model_file(m, src_name, len, hex, "application/octet-stream");
	}
	return model_bytes(m);
}

static const struct kfile kit_files[] = {
	{"statements/dg-2016.md", "# Together\n\nRespect, safety, dignity.\n"},
	{"about.md", "Who we are.\n"},
	{"index.html", "<!doctype html><title>Together</title>\n"},
	{"statements/caf\xc3\xa9-\xc3\x89t\xc3\xa9.md", "UTF-8 name.\n"},
	{"media/posters/a-very-long-directory-name-to-need-a-pax-header-"
	 "because-ustar-names-stop-at-one-hundred-bytes/poster.txt",
	 "long name\n"},
};
#define N_KIT_FILES (sizeof(kit_files) / sizeof(kit_files[0]))

/* Write kit version `version` (with `extra` appended to about.md's text
 * when not NULL, so versions differ) to out. */
static void
write_kit(const char *dir, const char *out, int version, const char *extra)
{
	struct kfile f[N_KIT_FILES];
	struct kit_bundle_entry e[N_KIT_FILES + 1];
	char *src = pjoin(dir, "video-src.bin");
	char *about = NULL, *man;
	struct kit_error err = {0};
	unsigned char *blob = kit_xmalloc(3 * 1024 * 1024 + 7);
	size_t i;
	int fd;

	/* a source file larger than one read block, streamed from disk */
	for (i = 0; i < 3 * 1024 * 1024 + 7; i++)
		blob[i] = (unsigned char)((i * 2654435761u) >> 13);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, 3 * 1024 * 1024 + 7),
			 3 * 1024 * 1024 + 7);
	close(fd);
	free(blob);
	memcpy(f, kit_files, sizeof(f));
	if (extra) {
		about = kit_aprintf("Who we are.\n%s\n", extra);
		f[1].text = about;
	}
	man = manifest_text(version, f, N_KIT_FILES, src, "media/video.bin");
	/* given unsorted on purpose */
	for (i = 0; i < N_KIT_FILES; i++) {
		e[i].path = f[i].path;
		e[i].src = NULL;
		e[i].data = f[i].text;
		e[i].len = strlen(f[i].text);
	}
	e[N_KIT_FILES].path = "media/video.bin";
	e[N_KIT_FILES].src = src;
	e[N_KIT_FILES].data = NULL;
	e[N_KIT_FILES].len = 0;
	assert_int_equal(kit_bundle_write(out, man, strlen(man), e,
					  N_KIT_FILES + 1, AT_FDCWD, MTIME, 3,
					  &err),
			 0);
	free(man);
	free(about);
	free(src);
}

/* extract + install, as kit-fetch does */
static void
fetch_kit(const char *dir, const char *kit_dir, int version,
	  const char *extra, int keep)
{
	char *arc = pjoin(dir, "kit.tar.zst");
	char *staging = pjoin(dir, "state/staging/kit");
	struct kit_error err = {0};
	struct kit_manifest_target x = {.campaign = "together-2016",
					.office = "global",
					.version = version};
	struct kit_manifest *m = NULL;

	write_kit(dir, arc, version, extra);
	if (kit_bundle_extract(arc, staging, NULL, kit_bundle_check_expect, &x,
			       &m, &err) != 0)
		fail_msg("extract: %s", err.msg);
	assert_int_equal(m->version, version);
	kit_manifest_free(m);
	if (kit_bundle_install(kit_dir, staging, version, keep, &err) != 0)
		fail_msg("install: %s", err.msg);
	assert_false(kit_dir_exists(staging));
	free(arc);
	free(staging);
}

/* ------------------------------------------------------------ determinism */

static void
test_write_deterministic(void **state)
{
	char *dir = make_tmpdir();
	char *a = pjoin(dir, "a.tar.zst"), *b = pjoin(dir, "b.tar.zst");
	char *cmd, line[1024];
	const char *expect[] = {
		"manifest.json",
		"about.md",
		"index.html",
		"media/",
		"media/posters/",
		"media/posters/a-very-long-directory-name-to-need-a-pax-header-"
		"because-ustar-names-stop-at-one-hundred-bytes/",
		"media/posters/a-very-long-directory-name-to-need-a-pax-header-"
		"because-ustar-names-stop-at-one-hundred-bytes/poster.txt",
		"media/video.bin",
		"statements/",
		"statements/caf\xc3\xa9-\xc3\x89t\xc3\xa9.md",
		"statements/dg-2016.md",
	};
	size_t n = 0, nexp = sizeof(expect) / sizeof(expect[0]);
	FILE *p;
	pid_t child;
	int status = 0;

	(void)state;
	write_kit(dir, a, 1, NULL);
	sleep(1); /* a different wall clock must not matter, */
	fflush(NULL);
	child = fork(); /* nor a different pid (pax header names) */
	assert_true(child >= 0);
	if (child == 0) {
		write_kit(dir, b, 1, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(files_equal(a, b));
	cmd = kit_aprintf("%s.tmp", a);
	assert_false(kit_file_exists(cmd));
	free(cmd);

	/* the stock tools read it: uid/gid 0, fixed mtime, sorted, dirs
	 * first, modes 0644/0755 */
	cmd = kit_aprintf("TZ=UTC LC_ALL=C.UTF-8 tar --zstd --numeric-owner "
			  "-tvf '%s'",
			  a);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char want[1024];
		int dir_entry;

		line[strcspn(line, "\n")] = '\0';
		assert_true(n < nexp);
		dir_entry = expect[n][strlen(expect[n]) - 1] == '/';
		assert_non_null(strstr(line, " 0/0 "));
		assert_non_null(strstr(line, " 2016-12-15 00:00 "));
		assert_int_equal(strncmp(line, dir_entry ? "drwxr-xr-x" : "-rw-r--r--", 10),
				 0);
		snprintf(want, sizeof(want), " %s", expect[n]);
		if (!kit_str_has_suffix(line, want))
			fail_msg("tar listing line %zu: \"%s\", want \"%s\"", n,
				 line, expect[n]);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, nexp);
	free(cmd);

	/* zstd -dc | tar agrees too */
	cmd = kit_aprintf("zstd -qdc '%s' | tar -tf - | wc -l", a);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(strtol(line, NULL, 10), (long)nexp);
	assert_int_equal(pclose(p), 0);
	free(cmd);

	free(a);
	free(b);
	rm_tree(dir);
	free(dir);
}

static void
test_write_refuses_bad_input(void **state)
{
	char *dir = make_tmpdir();
	char *out = pjoin(dir, "o.tar.zst");
	struct kit_error err = {0};
	struct kit_bundle_entry dup[2] = {{"a.txt", NULL, "x", 1},
					  {"a.txt", NULL, "y", 1}};
	struct kit_bundle_entry filedir[2] = {{"a", NULL, "x", 1},
					      {"a/b", NULL, "y", 1}};
	struct kit_bundle_entry dotdot[1] = {{"../a", NULL, "x", 1}};
	struct kit_bundle_entry missing[1] = {{"a", "/nonexistent/x", NULL, 0}};

	(void)state;
	assert_int_equal(kit_bundle_write(out, "{}", 2, dup, 2, AT_FDCWD, 0, 1,
					  &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_write(out, "{}", 2, filedir, 2, AT_FDCWD, 0,
					  1, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_write(out, "{}", 2, dotdot, 1, AT_FDCWD, 0,
					  1, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_write(out, "{}", 2, missing, 1, AT_FDCWD, 0,
					  1, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_IO);
	assert_false(kit_file_exists(out));
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_write(out, "{}", 2, NULL, 0, AT_FDCWD, 0,
					  22, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	/* what every office would refuse as a decompression bomb (the
	 * extractor's default ratio, 200) is not written at all */
	{
		size_t big = 8u << 20;
		unsigned char *zeros = kit_xcalloc(big, 1);
		struct kit_bundle_entry bomb[2] = {{"media/a.txt", NULL, "a\n", 2},
						   {"media/zeros.png", NULL, zeros, big}};

		kit_err_clear(&err);
		assert_int_equal(kit_bundle_write(out, "{}", 2, bomb, 2, AT_FDCWD,
						  0, 9, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_INVALID);
		assert_non_null(strstr(err.msg, "over the 200 times every office allows by default (kit-fetch init --max-ratio)"));
		assert_non_null(strstr(err.msg, "its largest file is media/zeros.png (8388608 bytes)"));
		assert_false(kit_file_exists(out));
		free(zeros);
	}
	free(out);
	rm_tree(dir);
	free(dir);
}

/* -------------------------------------------------------------- round trip */

static void
test_round_trip(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "state/kits/together-2016");
	char *f, *g, *src;
	struct kit_error err = {0};
	int v = -1;
	size_t i;

	(void)state;
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 0);
	fetch_kit(dir, kit_dir, 1, NULL, 0);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 1);
	if (kit_bundle_verify(kit_dir, NULL, NULL, &err) != 0)
		fail_msg("verify: %s", err.msg);
	for (i = 0; i < N_KIT_FILES; i++) {
		unsigned char *t = NULL;
		size_t len = 0;

		f = kit_aprintf("%s/current/%s", kit_dir, kit_files[i].path);
		assert_int_equal(kit_file_read(f, 1 << 20, &t, &len, &err), 0);
		assert_int_equal(len, strlen(kit_files[i].text));
		assert_memory_equal(t, kit_files[i].text, len);
		free(t);
		free(f);
	}
	f = kit_aprintf("%s/current/media/video.bin", kit_dir);
	src = pjoin(dir, "video-src.bin");
	assert_true(files_equal(f, src));
	g = kit_aprintf("%s/current/manifest.json", kit_dir);
	assert_true(kit_file_exists(g));
	free(f);
	free(g);
	free(src);
	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

/* ------------------------------------------------------- hostile archives */

struct raw {
	const char *name;
	int type; /* AE_IF*; 0 = regular file */
	int perm; /* 0 = 0644 / 0755 */
	const char *data;
	size_t zeros; /* content: this many zero bytes instead of data */
	const char *link;
	int hard;
	size_t noise; /* content: this many pseudo-random bytes */
};

/* Deterministic incompressible bytes. */
static void
noise_fill(unsigned char *p, size_t n, uint64_t *x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		p[i] = (unsigned char)(*x >> 24);
	}
}

static size_t
raw_size(const struct raw *r)
{
	if (r->noise)
		return r->noise;
	return r->zeros ? r->zeros : (r->data ? strlen(r->data) : 0);
}

static void
raw_hash(const struct raw *r, char *hex)
{
	struct kit_sha256 *h = kit_sha256_new();
	static const unsigned char z[65536];
	size_t left = r->zeros;

	if (r->noise) {
		unsigned char *buf = kit_xmalloc(r->noise);
		uint64_t x = 88172645463325252ULL;

		noise_fill(buf, r->noise, &x);
		kit_sha256_update(h, buf, r->noise);
		free(buf);
	} else if (!r->zeros && r->data) {
		kit_sha256_update(h, r->data, strlen(r->data));
	}
	while (left) {
		size_t k = left < sizeof(z) ? left : sizeof(z);

		kit_sha256_update(h, z, k);
		left -= k;
	}
	kit_sha256_final_hex(h, hex);
	kit_sha256_free(h);
}

/* A manifest model listing every safe regular member. */
static struct kit_manifest *
manifest_for(const struct raw *r, size_t n)
{
	struct kit_manifest *m = test_model(2);
	char hex[KIT_SHA256_HEX];
	size_t i, k;

	for (i = 0; i < n; i++) {
		int dup = 0;

		if ((r[i].type && r[i].type != AE_IFREG) || r[i].hard ||
		    !kit_path_is_safe(r[i].name) ||
		    !strcmp(r[i].name, "manifest.json"))
			continue;
		for (k = 0; k < i; k++)
			if (!strcmp(r[k].name, r[i].name))
				dup = 1;
		if (dup)
			continue;
		raw_hash(&r[i], hex);
		model_file(m, r[i].name, raw_size(&r[i]), hex,
			   "application/octet-stream");
	}
	return m;
}

static void
raw_member(struct archive *a, struct archive_entry *e, const struct raw *r)
{
	static const unsigned char z[65536];
	int type = r->type ? r->type : (int)AE_IFREG;
	size_t left;

	archive_entry_clear(e);
	archive_entry_copy_pathname(e, r->name);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, (mode_t)(r->perm ? r->perm
						   : (type == AE_IFDIR ? 0755 : 0644)));
	archive_entry_set_mtime(e, MTIME, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, r->link);
	if (r->hard)
		archive_entry_set_hardlink(e, r->link);
	if (type == AE_IFCHR) {
		archive_entry_set_rdevmajor(e, 1);
		archive_entry_set_rdevminor(e, 3);
	}
	archive_entry_set_size(e, type == AE_IFREG && !r->hard
					  ? (la_int64_t)raw_size(r)
					  : 0);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	if (type != AE_IFREG || r->hard)
		return;
	if (r->noise) {
		unsigned char *buf = kit_xmalloc(r->noise);
		uint64_t x = 88172645463325252ULL;

		noise_fill(buf, r->noise, &x);
		assert_int_equal(archive_write_data(a, buf, r->noise),
				 (la_ssize_t)r->noise);
		free(buf);
	} else if (!r->zeros && r->data) {
		assert_int_equal(archive_write_data(a, r->data, strlen(r->data)),
				 (la_ssize_t)strlen(r->data));
	}
	for (left = r->zeros; left;) {
		size_t k = left < sizeof(z) ? left : sizeof(z);

		assert_int_equal(archive_write_data(a, z, k), (la_ssize_t)k);
		left -= k;
	}
}

/* Write members with the manifest at position manifest_pos (-1: none). */
static void
write_raw(const char *path, const struct raw *r, size_t n, const char *man,
	  int manifest_pos, int plain)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct raw mr = {"manifest.json", 0, 0, man, 0, NULL, 0, 0};
	size_t i;

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (!plain)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	(void)archive_write_set_filter_option(a, NULL, "compression-level",
					      "1");
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i <= n; i++) {
		if ((int)i == manifest_pos)
			raw_member(a, e, &mr);
		if (i < n)
			raw_member(a, e, &r[i]);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
}

enum tweak {
	T_NONE,
	T_DROP_LAST,   /* manifest forgets the last file */
	T_FIRST3,      /* manifest lists the first three files only */
	T_ADD_MISSING, /* manifest lists a file the archive lacks */
	T_WRONG_SIZE,  /* manifest says one byte more */
	T_WRONG_HASH,  /* manifest hash of something else */
	T_BAD_JSON,    /* manifest is not JSON */
	T_NO_FILES,    /* manifest without files[] */
	T_WRONG_CAMPAIGN,
	T_FILE_DIR, /* manifest lists "a" and "a/b" (its writer would not) */
	T_TRUNCATE, /* archive cut in half */
	T_CORRUPT,  /* bytes in the middle flipped */
};

struct evil {
	const char *label;
	struct raw m[12];
	size_t n;
	enum tweak tweak;
	int manifest_pos;
	int plain;
	uint64_t max_total, max_ratio, max_entries;
	const char *expect;
};

#define BIG (48u * 1024 * 1024)

static const struct evil evils[] = {
	{"dotdot", {{"ok.txt", 0, 0, "ok\n", 0, NULL, 0, 0}, {"../x", 0, 0, "evil\n", 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "contains '..'"},
	{"absolute", {{"/etc/x", 0, 0, "evil\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "absolute path"},
	{"inner dotdot", {{"a/../../x", 0, 0, "evil\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "contains '..'"},
	{"empty component", {{"a//x", 0, 0, "evil\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "empty or '.' component"},
	{"dot component", {{"./x", 0, 0, "evil\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "empty or '.' component"},
	{"symlink", {{"link", AE_IFLNK, 0777, NULL, 0, "/etc/passwd", 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "is a symlink"},
	{"hardlink", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}, {"b.txt", 0, 0, NULL, 0, "a.txt", 1, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "is a hard link"},
	{"hardlink outside", {{"b.txt", 0, 0, NULL, 0, "/etc/shadow", 1, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "is a hard link"},
	{"char device", {{"null", AE_IFCHR, 0666, NULL, 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "is a device"},
	{"fifo", {{"pipe", AE_IFIFO, 0644, NULL, 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "is a FIFO"},
	{"setuid", {{"run.sh", 0, 04755, "#!/bin/sh\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "setuid, setgid or sticky"},
	{"sticky dir", {{"d", AE_IFDIR, 01777, NULL, 0, NULL, 0, 0}, {"d/x", 0, 0, "x\n", 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "setuid, setgid or sticky"},
	{"duplicate", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}, {"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "duplicate entry"},
	{"manifest twice", {{"manifest.json", 0, 0, "{}", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "duplicate entry manifest.json"},
	{"not in manifest", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}, {"extra.txt", 0, 0, "x\n", 0, NULL, 0, 0}}, 2, T_DROP_LAST, 0, 0, 0, 0, 0, "not in manifest.json"},
	{"directory not in manifest", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}, {"empty", AE_IFDIR, 0, NULL, 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "holds no file of the manifest"},
	{"missing", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_ADD_MISSING, 0, 0, 0, 0, 0, "but not in the archive"},
	{"wrong size", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_WRONG_SIZE, 0, 0, 0, 0, 0, "bytes but manifest.json says"},
	{"wrong hash", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_WRONG_HASH, 0, 0, 0, 0, 0, "has SHA-256"},
	{"manifest not first", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_NONE, 1, 0, 0, 0, 0, "the first entry is a.txt"},
	{"no manifest", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_NONE, -1, 0, 0, 0, 0, "the first entry is a.txt"},
	{"malformed manifest", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_BAD_JSON, 0, 0, 0, 0, 0, "manifest.json:2:"},
	{"manifest without files", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_NO_FILES, 0, 0, 0, 0, 0, "has no \"files\""},
	{"wrong campaign", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_WRONG_CAMPAIGN, 0, 0, 0, 0, 0, "but the signed target says"},
	{"bomb (total)", {{"big.bin", 0, 0, NULL, BIG, NULL, 0, 0}}, 1, T_NONE, 0, 0, 8u * 1024 * 1024, 1000000000, 0, "more than 8388608 bytes"},
	{"bomb (ratio)", {{"big.bin", 0, 0, NULL, BIG, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 50, 0, "expands more than 50 times"},
	{"too many entries", {{"1", 0, 0, "1", 0, NULL, 0, 0}, {"2", 0, 0, "2", 0, NULL, 0, 0}, {"3", 0, 0, "3", 0, NULL, 0, 0}, {"4", 0, 0, "4", 0, NULL, 0, 0}, {"5", 0, 0, "5", 0, NULL, 0, 0}, {"6", 0, 0, "6", 0, NULL, 0, 0}}, 6, T_FIRST3, 0, 0, 0, 0, 4, "has more than 4 entries"},
	{"too many files", {{"1", 0, 0, "1", 0, NULL, 0, 0}, {"2", 0, 0, "2", 0, NULL, 0, 0}, {"3", 0, 0, "3", 0, NULL, 0, 0}, {"4", 0, 0, "4", 0, NULL, 0, 0}, {"5", 0, 0, "5", 0, NULL, 0, 0}}, 5, T_NONE, 0, 0, 0, 0, 4, "more than the 4 allowed"},
	{"invalid utf-8", {{"bad\xff\xfe.txt", 0, 0, "x\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "not valid UTF-8"},
	{"control character", {{"bad\x1b[2J.txt", 0, 0, "x\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 0, 0, 0, 0, "not valid UTF-8"},
	{"case collision", {{"README.md", 0, 0, "a\n", 0, NULL, 0, 0}, {"readme.md", 0, 0, "b\n", 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "collides with"},
	{"case collision (dir)", {{"Media/a.txt", 0, 0, "a\n", 0, NULL, 0, 0}, {"media/b.txt", 0, 0, "b\n", 0, NULL, 0, 0}}, 2, T_NONE, 0, 0, 0, 0, 0, "collides with"},
	{"case collision (unicode)",
	 {{"\xc3\x89t\xc3\xa9.md", 0, 0, "a\n", 0, NULL, 0, 0},
	  {"\xc3\xa9t\xc3\xa9.md", 0, 0, "b\n", 0, NULL, 0, 0}},
	 2,
	 T_NONE,
	 0,
	 0,
	 0,
	 0,
	 0,
	 "collides with"},
	{"file as directory", {{"a", 0, 0, "a\n", 0, NULL, 0, 0}, {"a/b", 0, 0, "b\n", 0, NULL, 0, 0}}, 2, T_FILE_DIR, 0, 0, 0, 0, 0, "as a file and a directory"},
	{"truncated", {{"noise.bin", 0, 0, NULL, 0, NULL, 0, 1500000}, {"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 2, T_TRUNCATE, 0, 0, 0, 0, 0, "corrupt or truncated data in noise.bin"},
	{"truncated short", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_TRUNCATE, 0, 0, 0, 0, 0, "truncated"},
	{"corrupt", {{"a.txt", 0, 0, "hello hello hello hello\n", 0, NULL, 0, 0}, {"b.txt", 0, 0, "some other text, long enough\n", 0, NULL, 0, 0}}, 2, T_CORRUPT, 0, 0, 0, 0, 0, ""},
	{"not compressed", {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}}, 1, T_NONE, 0, 1, 0, 0, 0, "not zstd-compressed"},
};

/* Build the hostile archive of case c at path. */
static void
build_evil(const struct evil *c, const char *path)
{
	static const char other_hash[] = "6e340b9cffb37a989ca544e6bb780a2c"
					 "78901d3fb33738768511a30617afa01d";
	struct kit_manifest *m = manifest_for(c->m, c->n);
	char *man, *files;
	size_t keep;

	switch (c->tweak) {
	case T_DROP_LAST:
	case T_FIRST3:
		keep = c->tweak == T_FIRST3 ? 3 : m->n_files - 1;
		while (m->n_files > keep) {
			m->n_files--;
			free(m->files[m->n_files].path);
			free(m->files[m->n_files].type);
		}
		break;
	case T_ADD_MISSING:
		model_file(m, "gone.txt", 1, other_hash, "text/plain");
		break;
	case T_WRONG_SIZE:
		m->files[0].size++;
		break;
	case T_WRONG_HASH:
		memcpy(m->files[0].sha256, other_hash, sizeof(other_hash));
		break;
	case T_WRONG_CAMPAIGN:
		free(m->campaign);
		m->campaign = kit_strdup("other-2016");
		break;
	case T_FILE_DIR:
		m->files[1].path[1] = '_'; /* "a_b" now, "a/b" in the bytes */
		break;
	default:
		break;
	}
	man = model_bytes(m);
	if (c->tweak == T_NO_FILES) {
		/* the one member renamed: "files" is missing */
		files = strstr(man, "\"files\": [");
		assert_non_null(files);
		memcpy(files, "\"filez\"", 7);
	} else if (c->tweak == T_FILE_DIR) {
		files = strstr(man, "\"a_b\"");
		assert_non_null(files);
		files[2] = '/';
	} else if (c->tweak == T_BAD_JSON) {
		free(man);
		man = kit_strdup("{\"schema\": 1, \"files\": [\n  {\"path\": }\n");
	}
	write_raw(path, c->m, c->n, man, c->manifest_pos, c->plain);
	free(man);
	if (c->tweak == T_TRUNCATE || c->tweak == T_CORRUPT) {
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		if (c->tweak == T_TRUNCATE) {
			assert_int_equal(truncate(path, st.st_size / 2), 0);
		} else {
			int fd = open(path, O_RDWR);
			unsigned char junk[24];

			memset(junk, 0xA5, sizeof(junk));
			assert_true(fd >= 0);
			assert_int_equal(pwrite(fd, junk, sizeof(junk),
						st.st_size / 2 - 12),
					 (ssize_t)sizeof(junk));
			close(fd);
		}
	}
}

static void
test_evil_corpus(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "state/kits/together-2016");
	char *staging = pjoin(dir, "state/staging/kit");
	char *arc = pjoin(dir, "evil.tar.zst");
	char before[KIT_SHA256_HEX], after[KIT_SHA256_HEX];
	size_t i;

	(void)state;
	fetch_kit(dir, kit_dir, 1, NULL, 0);
	tree_hash(kit_dir, before);
	for (i = 0; i < sizeof(evils) / sizeof(evils[0]); i++) {
		const struct evil *c = &evils[i];
		struct kit_bundle_limits lim = kit_bundle_limits_default();
		struct kit_manifest_target x = {.campaign = "together-2016",
						.office = "global"};
		struct kit_error err = {0};
		struct kit_manifest *m = (struct kit_manifest *)1;
		int rc;

		if (c->max_total)
			lim.max_total = c->max_total;
		if (c->max_ratio)
			lim.max_ratio = c->max_ratio;
		if (c->max_entries)
			lim.max_entries = c->max_entries;
		build_evil(c, arc);
		rc = kit_bundle_extract(arc, staging, &lim,
					kit_bundle_check_expect, &x, &m, &err);
		if (rc != -1 || err.code != KIT_E_SECURITY ||
		    !strstr(err.msg, c->expect))
			fail_msg("case \"%s\": rc %d class %d: %s (want \"%s\")",
				 c->label, rc, (int)err.code, err.msg,
				 c->expect);
		print_message("refused %-26s %s\n", c->label, err.msg);
		assert_null(m);
		assert_false(kit_dir_exists(staging));
		assert_false(kit_file_exists(staging));
		tree_hash(kit_dir, after);
		assert_string_equal(before, after);
		assert_int_equal(unlink(arc), 0);
	}
	/* and the kit still verifies */
	{
		struct kit_error err = {0};

		assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);
	}
	free(arc);
	free(staging);
	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

/*
 * The archive cannot be written (RLIMIT_FSIZE stands in for a full disk:
 * write() fails with EFBIG once the file reaches 64 KiB): the compressed
 * stream's own error is reported, and neither the archive nor its
 * temporary file is left behind.
 */
static void
test_write_fails_cleanly(void **state)
{
	char *dir = make_tmpdir();
	char *out = pjoin(dir, "o.tar.zst");
	char *tmp = pjoin(dir, "o.tar.zst.tmp");
	unsigned char *noise = kit_xmalloc(1u << 20);
	uint64_t seed = 88172645463325252ULL;
	struct kit_bundle_entry e[1] = {{"media/noise.bin", NULL, NULL, 0}};
	struct kit_error err = {0};
	struct rlimit old, small;
	void (*was)(int);

	(void)state;
	noise_fill(noise, 1u << 20, &seed);
	e[0].data = noise;
	e[0].len = 1u << 20;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64 * 1024;
	was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(kit_bundle_write(out, "{}", 2, e, 1, AT_FDCWD, 0, 3,
					  &err),
			 -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(err.code, KIT_E_IO);
	if (!strstr(err.msg, "cannot write") || !strstr(err.msg, "too large"))
		fail_msg("unexpected message: %s", err.msg);
	assert_false(kit_file_exists(out));
	assert_false(kit_file_exists(tmp));
	free(noise);
	free(tmp);
	free(out);
	rm_tree(dir);
	free(dir);
}

static void
test_extract_refuses_existing_staging(void **state)
{
	char *dir = make_tmpdir();
	char *arc = pjoin(dir, "kit.tar.zst");
	char *staging = pjoin(dir, "staging");
	char *keep = pjoin(staging, "keep");
	struct kit_error err = {0};

	(void)state;
	write_kit(dir, arc, 1, NULL);
	assert_int_equal(mkdir(staging, 0755), 0);
	write_text(keep, "mine\n");
	assert_int_equal(kit_bundle_extract(arc, staging, NULL, NULL, NULL,
					    NULL, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_IO);
	assert_true(kit_file_exists(keep)); /* not ours to remove */
	free(keep);
	free(staging);
	free(arc);
	rm_tree(dir);
	free(dir);
}

/*
 * A sparse member (pax GNU.sparse 1.0): a 64 KiB hole, then 64 KiB of
 * data.  Its manifest entry is right for the bytes a reader that fills
 * holes would produce, so only the sparseness itself can refuse it.
 */
/*
 * A valid kit whose zstd frame declares a 128 MiB window (what `zstd
 * --long=27` writes): a reader would allocate that much; the extractor
 * refuses frames over the 8 MiB kit-publish's levels use.  The same tar
 * with an ordinary frame extracts (the control).
 */
static void
test_extract_refuses_huge_window(void **state)
{
	static const struct raw m[1] = {{"a.txt", 0, 0, "a\n", 0, NULL, 0, 0}};
	char *dir = make_tmpdir();
	char *plain = pjoin(dir, "kit.tar"), *arc = pjoin(dir, "kit.tar.zst");
	char *staging = pjoin(dir, "staging");
	struct kit_error err = {0};
	char *mtext = model_bytes(manifest_for(m, 1));
	unsigned char *tar = NULL, *zbuf;
	size_t tlen = 0, zcap, wlog;
	int fd;

	(void)state;
	write_raw(plain, m, 1, mtext, 0, 1);
	assert_int_equal(kit_file_read(plain, 1u << 20, &tar, &tlen, &err), 0);
	zcap = ZSTD_compressBound(tlen) + 64;
	zbuf = kit_xmalloc(zcap);
	for (wlog = 23; wlog <= 27; wlog += 4) {
		ZSTD_CCtx *z = ZSTD_createCCtx();
		ZSTD_inBuffer in = {tar, tlen, 0};
		ZSTD_outBuffer out = {zbuf, zcap, 0};

		/* streaming without a pledged size keeps the declared window */
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(
			z, ZSTD_c_windowLog, (int)wlog)));
		/* a first ZSTD_e_end would know the size and shrink the
		 * window: stream */
		assert_false(ZSTD_isError(ZSTD_compressStream2(
			z, &out, &in, ZSTD_e_continue)));
		for (;;) {
			size_t left = ZSTD_compressStream2(z, &out, &in,
							   ZSTD_e_end);

			assert_false(ZSTD_isError(left));
			if (left == 0)
				break;
		}
		ZSTD_freeCCtx(z);
		fd = open(arc, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, zbuf, out.pos), (ssize_t)out.pos);
		close(fd);
		kit_err_clear(&err);
		if (wlog == 23) {
			if (kit_bundle_extract(arc, staging, NULL, NULL, NULL,
					       NULL, &err) != 0)
				fail_msg("window 2^23: %s", err.msg);
			rm_tree(staging);
			continue;
		}
		assert_int_equal(kit_bundle_extract(arc, staging, NULL, NULL,
						    NULL, NULL, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		if (!strstr(err.msg, "window over 8 MiB"))
			fail_msg("unexpected message: %s", err.msg);
		assert_false(kit_dir_exists(staging));
	}
	free(zbuf);
	free(tar);
	free(mtext);
	free(staging);
	free(arc);
	free(plain);
	rm_tree(dir);
	free(dir);
}

static void
test_extract_refuses_sparse(void **state)
{
	char *dir = make_tmpdir();
	char *arc = pjoin(dir, "sparse.tar.zst");
	char *staging = pjoin(dir, "staging");
	unsigned char *full = kit_xcalloc(1, 131072);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct kit_error err = {0};
	char hex[KIT_SHA256_HEX], *man;
	uint64_t seed = 88172645463325252ULL;
	struct kit_manifest *m = test_model(2);

	(void)state;
	noise_fill(full + 65536, 65536, &seed); /* no bomb ratio to trip */
	kit_sha256_hex(full, 131072, hex);
	model_file(m, "holes.bin", 131072, hex, "application/octet-stream");
	man = model_bytes(m);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, arc), ARCHIVE_OK);
	archive_entry_copy_pathname(e, "manifest.json");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(man));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, man, strlen(man)),
			 (la_ssize_t)strlen(man));
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, "holes.bin");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 131072);
	archive_entry_sparse_add_entry(e, 65536, 65536);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	/* the logical content: the writer leaves the hole out */
	assert_int_equal(archive_write_data(a, full, 131072), 131072);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);

	assert_int_equal(kit_bundle_extract(arc, staging, NULL, NULL, NULL,
					    NULL, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	if (!strstr(err.msg, "holes.bin is a sparse file"))
		fail_msg("unexpected message: %s", err.msg);
	assert_false(kit_dir_exists(staging));
	free(man);
	free(full);
	free(staging);
	free(arc);
	rm_tree(dir);
	free(dir);
}

/* --------------------------------------------------------------- install */

static int
release_exists(const char *kit_dir, int v)
{
	char *p = kit_aprintf("%s/releases/%d", kit_dir, v);
	int r = kit_dir_exists(p);

	free(p);
	return r;
}

static void
test_install_switch_prune_rollback(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "state/kits/together-2016");
	struct kit_error err = {0};
	char extra[32];
	int v, i;

	(void)state;
	for (i = 1; i <= 5; i++) {
		snprintf(extra, sizeof(extra), "version %d", i);
		fetch_kit(dir, kit_dir, i, extra, 3);
		assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
		assert_int_equal(v, i);
	}
	assert_false(release_exists(kit_dir, 1));
	assert_false(release_exists(kit_dir, 2));
	assert_true(release_exists(kit_dir, 3));
	assert_true(release_exists(kit_dir, 4));
	assert_true(release_exists(kit_dir, 5));

	/* rollback: 5 -> 4 -> 3 -> nothing older */
	assert_int_equal(kit_bundle_rollback(kit_dir, &err), 0);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 4);
	assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);
	assert_int_equal(kit_bundle_rollback(kit_dir, &err), 0);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(kit_bundle_rollback(kit_dir, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 3);
	kit_err_clear(&err);

	/* install 6 with keep=2 while 3 is current: 5 and 6 stay */
	fetch_kit(dir, kit_dir, 6, "version 6", 2);
	assert_true(release_exists(kit_dir, 5));
	assert_true(release_exists(kit_dir, 6));
	assert_false(release_exists(kit_dir, 3));
	assert_false(release_exists(kit_dir, 4));

	/* a leftover releases/7 from an interrupted run is replaced */
	{
		char *p = kit_aprintf("%s/releases/7", kit_dir);
		char *q = kit_aprintf("%s/releases/7/junk", kit_dir);

		assert_int_equal(mkdir(p, 0755), 0);
		write_text(q, "half-written\n");
		fetch_kit(dir, kit_dir, 7, "version 7", 3);
		assert_false(kit_file_exists(q));
		assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);
		free(p);
		free(q);
	}
	/* reinstalling the current version (repair) swaps it atomically */
	{
		char *p = kit_aprintf("%s/current/about.md", kit_dir);

		write_text(p, "damaged\n");
		assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		kit_err_clear(&err);
		fetch_kit(dir, kit_dir, 7, "version 7", 3);
		assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);
		assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
		assert_int_equal(v, 7);
		free(p);
	}
	/* pruning keeps current even when it is not among the newest */
	fetch_kit(dir, kit_dir, 2, "version 2 again", 3);
	assert_true(release_exists(kit_dir, 2));
	assert_true(release_exists(kit_dir, 5));
	assert_true(release_exists(kit_dir, 6));
	assert_true(release_exists(kit_dir, 7));
	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

/* What a crash can leave behind is cleaned or replaced by the next run. */
static void
test_install_leftovers(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "kits/k");
	char *cur_new = pjoin(kit_dir, "current.new");
	char *old = pjoin(kit_dir, "releases/.old-12345");
	char *old_file = pjoin(kit_dir, "releases/.old-12345/x");
	char *cur = pjoin(kit_dir, "current");
	struct kit_error err = {0};
	int v = 0;

	(void)state;
	fetch_kit(dir, kit_dir, 1, NULL, 3);
	/* killed between symlink() and rename(), and during a replacement */
	assert_int_equal(symlink("releases/999", cur_new), 0);
	assert_int_equal(mkdir(old, 0755), 0);
	write_text(old_file, "x\n");
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 1); /* current.new is not current */
	fetch_kit(dir, kit_dir, 2, "v2", 3);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 2);
	assert_false(kit_file_exists(old));
	{
		struct stat st;

		assert_int_equal(lstat(cur_new, &st), -1);
	}
	assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);

	/* a current that points elsewhere is not followed */
	assert_int_equal(unlink(cur), 0);
	assert_int_equal(symlink("/etc", cur), 0);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);

	free(cur);
	free(old_file);
	free(old);
	free(cur_new);
	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

struct seen {
	int changed, missing, extra;
	char last[256];
};

static void
report(enum kit_bundle_problem what, const char *path, const char *detail,
       void *arg)
{
	struct seen *s = arg;

	(void)detail;
	if (what == KIT_BUNDLE_CHANGED)
		s->changed++;
	else if (what == KIT_BUNDLE_MISSING)
		s->missing++;
	else if (what == KIT_BUNDLE_EXTRA)
		s->extra++;
	snprintf(s->last, sizeof(s->last), "%s", path);
}

static int
refuse_version_2(const struct kit_manifest *manifest, void *arg,
		 struct kit_error *err)
{
	(void)arg;
	if (manifest->version == 2)
		return kit_err(err, KIT_E_SECURITY, "not the signed one");
	return 0;
}

/* A release that is not current: verified against its manifest after a
 * check of the manifest, switched to, and fingerprinted by its stamp. */
static void
test_release_verify_switch_stamp(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "kits/k");
	char *f = NULL, *link = NULL;
	char s1[KIT_SHA256_HEX], s2[KIT_SHA256_HEX], s3[KIT_SHA256_HEX];
	struct kit_error err = {0};
	struct seen seen;
	int v = 0, fd;

	(void)state;
	fetch_kit(dir, kit_dir, 1, NULL, 0);
	fetch_kit(dir, kit_dir, 2, "two", 0);
	assert_int_equal(kit_bundle_rollback(kit_dir, &err), 0);

	assert_int_equal(kit_bundle_verify_release(kit_dir, 2, NULL, NULL,
						   NULL, NULL, &err),
			 0);
	assert_int_equal(kit_bundle_verify_release(kit_dir, 2, refuse_version_2,
						   NULL, NULL, NULL, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "not the signed one"));
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_verify_release(kit_dir, 7, NULL, NULL,
						   NULL, NULL, &err),
			 -1);
	kit_err_clear(&err);

	/* the stamp: the same while nothing changes, new after any change,
	 * even one that puts the bytes and the mtime back */
	assert_int_equal(kit_bundle_release_stamp(kit_dir, 2, s1, &err), 0);
	assert_int_equal(kit_bundle_release_stamp(kit_dir, 2, s2, &err), 0);
	assert_string_equal(s1, s2);
	f = kit_aprintf("%s/releases/2/about.md", kit_dir);
	{
		struct stat st;
		struct timespec ts[2];
		char c;

		assert_int_equal(lstat(f, &st), 0);
		fd = open(f, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &c, 1, 0), 1);
		assert_int_equal(pwrite(fd, &c, 1, 0), 1);
		close(fd);
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		assert_int_equal(utimensat(AT_FDCWD, f, ts, 0), 0);
	}
	assert_int_equal(kit_bundle_release_stamp(kit_dir, 2, s2, &err), 0);
	assert_string_not_equal(s1, s2);
	assert_int_equal(kit_bundle_verify_release(kit_dir, 2, NULL, NULL,
						   NULL, NULL, &err),
			 0);
	/* a planted link changes it too, and is not followed */
	link = kit_aprintf("%s/releases/2/statements/passwd", kit_dir);
	assert_int_equal(symlink("/etc", link), 0);
	assert_int_equal(kit_bundle_release_stamp(kit_dir, 2, s3, &err), 0);
	assert_string_not_equal(s2, s3);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(kit_bundle_verify_release(kit_dir, 2, NULL, NULL,
						   report, &seen, &err),
			 -1);
	assert_int_equal(seen.extra, 1);
	kit_err_clear(&err);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(kit_bundle_release_stamp(kit_dir, 7, s3, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);

	/* switch back to the release kept on disk */
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(kit_bundle_switch(kit_dir, 2, &err), 0);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(kit_bundle_verify(kit_dir, NULL, NULL, &err), 0);
	assert_int_equal(kit_bundle_switch(kit_dir, 9, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_int_equal(kit_bundle_current_version(kit_dir, &v, &err), 0);
	assert_int_equal(v, 2);
	free(link);
	free(f);
	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

static void
test_verify_detects_changes(void **state)
{
	char *dir = make_tmpdir();
	char *kit_dir = pjoin(dir, "kits/k");
	char *f = NULL;
	struct kit_error err = {0};
	struct seen s;
	int fd;
	unsigned char c;

	(void)state;
	fetch_kit(dir, kit_dir, 1, NULL, 0);

	/* one changed byte in the middle of the 3 MiB file */
	f = kit_aprintf("%s/current/media/video.bin", kit_dir);
	fd = open(f, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 1500000), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, 1500000), 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(kit_bundle_verify(kit_dir, report, &s, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_int_equal(s.changed, 1);
	assert_int_equal(s.missing + s.extra, 0);
	assert_string_equal(s.last, "media/video.bin");
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, 1500000), 1);
	close(fd);
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_verify(kit_dir, report, &s, &err), 0);
	free(f);

	/* a missing file */
	f = kit_aprintf("%s/current/about.md", kit_dir);
	assert_int_equal(unlink(f), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(kit_bundle_verify(kit_dir, report, &s, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_int_equal(s.missing, 1);
	assert_string_equal(s.last, "about.md");
	kit_err_clear(&err);
	free(f);

	/* an extra file and a planted symlink */
	f = kit_aprintf("%s/current/statements/extra.md", kit_dir);
	write_text(f, "planted\n");
	free(f);
	f = kit_aprintf("%s/current/passwd", kit_dir);
	assert_int_equal(symlink("/etc/passwd", f), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(kit_bundle_verify(kit_dir, report, &s, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_int_equal(s.missing, 1);
	assert_int_equal(s.extra, 2);
	free(f);

	free(kit_dir);
	rm_tree(dir);
	free(dir);
}

static void
test_lock_contention(void **state)
{
	char *dir = make_tmpdir();
	struct kit_error err = {0};
	int fd = -1, status = 0;
	pid_t child;

	(void)state;
	assert_int_equal(kit_bundle_lock(dir, &fd, &err), 0);
	assert_true(fd >= 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct kit_error cerr = {0};
		char want[64];
		int cfd = -1;

		snprintf(want, sizeof(want),
			 "another kit-fetch is running (pid %ld)",
			 (long)getppid());
		if (kit_bundle_lock(dir, &cfd, &cerr) == 0)
			_exit(10);
		if (cerr.code != KIT_E_IO)
			_exit(11);
		if (!strstr(cerr.msg, want))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	kit_bundle_unlock(fd);

	/* free again: the child gets it now */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct kit_error cerr = {0};
		int cfd = -1;

		_exit(kit_bundle_lock(dir, &cfd, &cerr) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	kit_bundle_unlock(-1);
	rm_tree(dir);
	free(dir);
}

static void
test_unwritable(void **state)
{
	char *dir = make_tmpdir();
	char *file = pjoin(dir, "plain-file");
	char *kit_dir = pjoin(file, "kits/k"); /* under a file: ENOTDIR */
	char *ok_kit = pjoin(dir, "ro/kits/ok");
	char *staging = pjoin(dir, "staging-x");
	char *arc = pjoin(dir, "kit.tar.zst");
	char before[KIT_SHA256_HEX], after[KIT_SHA256_HEX];
	struct kit_error err = {0};
	int fd = -1;

	(void)state;
	write_text(file, "x\n");
	write_kit(dir, arc, 2, "v2");
	assert_int_equal(kit_bundle_extract(arc, staging, NULL, NULL, NULL,
					    NULL, &err),
			 0);
	if (getuid() == 0)
		print_message("running as root, which ignores permissions: "
			      "testing an unwritable kit dir as a path under a "
			      "regular file (ENOTDIR)\n");
	assert_int_equal(kit_bundle_install(kit_dir, staging, 2, 3, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	assert_true(kit_dir_exists(staging)); /* nothing lost */
	kit_err_clear(&err);
	assert_int_equal(kit_bundle_lock(file, &fd, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	kit_err_clear(&err);

	/* a real read-only kit dir: current must stay as it was */
	fetch_kit(dir, ok_kit, 1, NULL, 3);
	tree_hash(ok_kit, before);
	if (getuid() != 0) {
		int rc;

		assert_int_equal(chmod(ok_kit, 0500), 0);
		rc = kit_bundle_install(ok_kit, staging, 2, 3, &err);
		assert_int_equal(chmod(ok_kit, 0755), 0);
		assert_int_equal(rc, -1);
		assert_int_equal(err.code, KIT_E_IO);
	} else {
		/* root: a read-only bind mount over the state dir (kit and
		 * staging on it, as in kit-fetch), if we may */
		char *ro = pjoin(dir, "ro");
		char *ro_staging = pjoin(dir, "ro/staging");
		char *cmd = kit_aprintf("mount --bind '%s' '%s' 2>/dev/null && "
					"mount -o remount,bind,ro '%s' '%s' "
					"2>/dev/null",
					ro, ro, ro, ro);
		char *um = kit_aprintf("umount '%s'", ro);

		assert_int_equal(kit_bundle_extract(arc, ro_staging, NULL, NULL,
						    NULL, NULL, &err),
				 0);
		if (system(cmd) == 0) {
			int rc = kit_bundle_install(ok_kit, ro_staging, 2, 3,
						    &err);

			assert_int_equal(system(um), 0);
			print_message("read-only kit dir: %s\n", err.msg);
			assert_int_equal(rc, -1);
			assert_int_equal(err.code, KIT_E_IO);
		} else {
			(void)system(um);
			print_message("no read-only bind mount here (needs "
				      "CAP_SYS_ADMIN): skipped that case\n");
		}
		free(cmd);
		free(um);
		free(ro);
		free(ro_staging);
	}
	assert_true(kit_dir_exists(staging));
	tree_hash(ok_kit, after);
	assert_string_equal(before, after);
	free(arc);
	free(staging);
	free(ok_kit);
	free(kit_dir);
	free(file);
	rm_tree(dir);
	free(dir);
}

static void
test_clean_staging(void **state)
{
	char *dir = make_tmpdir();
	char *s = pjoin(dir, "staging");
	char *a = pjoin(dir, "staging/a"), *b = pjoin(dir, "staging/a/b");
	char *c = pjoin(dir, "staging/c");
	struct kit_error err = {0};

	(void)state;
	assert_int_equal(kit_bundle_clean_staging(dir, &err), 0); /* none */
	assert_int_equal(mkdir(s, 0755), 0);
	assert_int_equal(mkdir(a, 0755), 0);
	write_text(b, "left by a crash\n");
	write_text(c, "left by a crash\n");
	assert_int_equal(kit_bundle_clean_staging(dir, &err), 0);
	assert_true(kit_dir_exists(s));
	assert_false(kit_file_exists(a));
	assert_false(kit_file_exists(c));
	free(a);
	free(b);
	free(c);
	free(s);
	rm_tree(dir);
	free(dir);
}

/* The small valid kit of the fuzz corpus (also a golden file). */
static void
write_small_kit(const char *path)
{
	struct kfile f[1] = {{"statements/a.md", "# A\n"}};
	struct kit_bundle_entry e[1] = {{"statements/a.md", NULL, "# A\n", 4}};
	struct kit_error err = {0};
	char *man = manifest_text(1, f, 1, NULL, NULL);

	assert_int_equal(kit_bundle_write(path, man, strlen(man), e, 1,
					  AT_FDCWD, MTIME, 19, &err),
			 0);
	free(man);
}

/* The committed seed still extracts, and our writer still produces it
 * byte for byte (a golden file for determinism across builds). */
static void
test_golden_seed(void **state)
{
	const char *seed = "../fuzz/corpus/extract/valid.tar.zst";
	char *dir = make_tmpdir();
	char *again = pjoin(dir, "again.tar.zst");
	char *staging = pjoin(dir, "staging");
	struct kit_error err = {0};

	(void)state;
	assert_true(kit_file_exists(seed));
	if (kit_bundle_extract(seed, staging, NULL, NULL, NULL, NULL, &err) != 0)
		fail_msg("extract %s: %s", seed, err.msg);
	write_small_kit(again);
	if (!files_equal(seed, again))
		fail_msg("%s differs from what the writer makes today: the "
			 "archive format changed (libarchive or zstd?); if "
			 "intended, regenerate with KIT_BUNDLE_WRITE_CORPUS",
			 seed);
	free(again);
	free(staging);
	rm_tree(dir);
	free(dir);
}

/* Fuzz seeds for tests/fuzz/corpus/extract/, when asked. */
static void
test_corpus_seeds(void **state)
{
	const char *out = getenv("KIT_BUNDLE_WRITE_CORPUS");
	const char *pick[] = {"dotdot", "symlink", "hardlink", "case collision",
			      "manifest not first", "wrong hash",
			      "truncated short", "not compressed"};
	char *p, *q;
	size_t i, k;

	(void)state;
	if (!out || !*out)
		return; /* only on request */
	/* a small valid kit, from our writer */
	p = kit_aprintf("%s/valid.tar.zst", out);
	write_small_kit(p);
	free(p);
	for (k = 0; k < sizeof(pick) / sizeof(pick[0]); k++)
		for (i = 0; i < sizeof(evils) / sizeof(evils[0]); i++) {
			if (strcmp(evils[i].label, pick[k]) != 0)
				continue;
			q = kit_strdup(pick[k]);
			for (char *c = q; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') ||
				      (*c >= '0' && *c <= '9')))
					*c = '-';
			p = kit_aprintf("%s/%s.tar.zst", out, q);
			build_evil(&evils[i], p);
			free(p);
			free(q);
		}
}

/* ------------------------------------------------ packs, index, assembly */

/* The pack as a server: each range read from the pack file and handed to
 * the sink in small pieces from where it says it is, as the transport
 * does.  With mirrors > 1, a mirror whose bytes the sink refuses is
 * dropped and the next one asked; only the first serves the byte at
 * corrupt (+1) flipped; cut (+1) ends a transfer after that many bytes,
 * as a dropped connection the run gives up on. */
struct fake_server {
	const char *pack_path;
	const char *pack_hex;
	int calls;
	int mirrors;       /* 0 or 1: one */
	uint64_t corrupt;  /* 1 + the pack byte the first mirror flips, or 0 */
	uint64_t cut;      /* 1 + bytes a transfer sends before it breaks, or 0 */
	uint64_t sent;     /* bytes handed to sinks */
	uint64_t first_at; /* where the last call's first transfer started */
	int bad, again;    /* the sink's answers seen */
};

static int
fake_range(void *arg, const char *hex, uint64_t off, uint64_t len,
	   const struct kit_bundle_sink *sink, struct kit_error *err)
{
	struct fake_server *s = arg;
	unsigned char *all = NULL;
	size_t n = 0;
	int mirror = 0, tries = 0, rc = 0;

	s->calls++;
	if (strcmp(hex, s->pack_hex) != 0)
		return kit_err(err, KIT_E_NETWORK, "no pack %s", hex);
	if (kit_file_read(s->pack_path, 1 << 26, &all, &n, err) != 0)
		return -1;
	if (off + len > n) {
		free(all);
		return kit_err(err, KIT_E_SECURITY, "pack shorter than the range");
	}
	for (;;) {
		uint64_t at = sink->held(sink->arg), sent = 0;

		if (tries++ == 0)
			s->first_at = at;
		if (tries > 8) {
			rc = kit_err(err, KIT_E_NETWORK, "too many tries");
			break;
		}
		rc = 0;
		while (at < len && rc == 0) {
			unsigned char piece[5000];
			size_t k = len - at < sizeof(piece) ? (size_t)(len - at) : sizeof(piece);

			if (s->cut && sent + k > s->cut - 1)
				k = (size_t)(s->cut - 1 - sent);
			if (k == 0)
				break;
			memcpy(piece, all + off + at, k);
			if (mirror == 0 && s->corrupt && s->corrupt - 1 >= off + at &&
			    s->corrupt - 1 < off + at + k)
				piece[s->corrupt - 1 - off - at] ^= 0x55;
			rc = sink->write(sink->arg, piece, k, err);
			s->sent += k;
			sent += k;
			at += k;
		}
		if (rc == 0 && at < len) {
			rc = kit_err(err, KIT_E_NETWORK, "connection cut after %llu bytes", (unsigned long long)sent);
			break;
		}
		if (rc == KIT_BUNDLE_SINK_AGAIN) {
			s->again++;
			kit_err_clear(err);
			continue;
		}
		if (rc == KIT_BUNDLE_SINK_BAD) {
			s->bad++;
			sink->rewind(sink->arg);
			if (++mirror < s->mirrors) {
				kit_err_clear(err);
				continue;
			}
			err->code = KIT_E_SECURITY;
			rc = -1;
		}
		break;
	}
	free(all);
	return rc;
}

struct objkit {
	char *dir, *pack, pack_hex[KIT_SHA256_HEX];
	struct kit_manifest_index *ix;
	struct kit_manifest m;
	struct kit_manifest_file files[4];
	unsigned char text[20000], rnd[3000];
};

static void
objkit_file(struct objkit *k, size_t i, const char *path, const void *b,
	    size_t n)
{
	k->files[i].path = (char *)path;
	k->files[i].size = n;
	kit_sha256_hex(b, n, k->files[i].sha256);
}

/* A pack of a compressible text and random bytes, an index of both, and
 * a manifest model of a.txt (text), b.bin (random), c.txt (the text again). */
static void
objkit_new(struct objkit *k)
{
	struct kit_error err = {0};
	struct kit_bundle_pack *p;
	struct kit_manifest_object o;
	size_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < sizeof(k->text); i++)
		k->text[i] = (unsigned char)("campaign kit text "[i % 18]);
	{
		uint64_t x = 88172645463325252ull; /* xorshift64 */

		for (i = 0; i < sizeof(k->rnd); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			k->rnd[i] = (unsigned char)(x >> 24);
		}
	}
	k->dir = make_tmpdir();
	k->pack = kit_aprintf("%s/p.pack", k->dir);
	p = kit_bundle_pack_new(k->pack, 3, &err);
	assert_non_null(p);
	k->ix = kit_manifest_index_new();
	objkit_file(k, 0, "a.txt", k->text, sizeof(k->text));
	objkit_file(k, 1, "b.bin", k->rnd, sizeof(k->rnd));
	objkit_file(k, 2, "c.txt", k->text, sizeof(k->text));
	for (i = 0; i < 2; i++) {
		memset(&o, 0, sizeof(o));
		memcpy(o.sha256, k->files[i].sha256, KIT_SHA256_HEX);
		o.size = k->files[i].size;
		assert_int_equal(kit_bundle_pack_add(p, -1, NULL, i ? (void *)k->rnd : (void *)k->text, (size_t)o.size, &o, &err), 0);
		(void)kit_manifest_index_add(k->ix, &o);
	}
	assert_int_equal(k->ix->objects[0].zstd, 1); /* text: smaller */
	assert_true(k->ix->objects[0].stored < sizeof(k->text) / 10);
	assert_int_equal(k->ix->objects[1].zstd, 0); /* random: raw */
	assert_int_equal(kit_bundle_pack_finish(p, k->pack_hex, &err), 0);
	kit_bundle_pack_free(p);
	(void)kit_manifest_index_pack(k->ix, k->pack_hex);
	k->m.files = k->files;
	k->m.n_files = 3;
}

static void
objkit_free(struct objkit *k)
{
	rm_tree(k->dir);
	free(k->dir);
	free(k->pack);
	kit_manifest_index_free(k->ix);
}

static int
assemble(struct objkit *k, const struct kit_bundle_base *base,
	 struct fake_server *srv, const char *staging, struct kit_error *err)
{
	return kit_bundle_assemble(staging, "{}", 2, &k->m, k->ix, base, k->dir,
				   UINT64_MAX, NULL, fake_range, srv, NULL, err);
}

static void
test_assemble_objects(void **state)
{
	struct objkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	unsigned char *got = NULL;
	size_t n;
	char *staging, *p;
	struct stat a, c;

	(void)state;
	objkit_new(&k);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	staging = kit_aprintf("%s/staging", k.dir);
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), 0);
	assert_int_equal(srv.calls, 1); /* one range for both objects */
	p = kit_aprintf("%s/c.txt", staging);
	assert_int_equal(kit_file_read(p, 1 << 20, &got, &n, &err), 0);
	assert_int_equal(n, sizeof(k.text));
	assert_memory_equal(got, k.text, n);
	free(got);
	/* two paths, one content: fetched once, linked */
	assert_int_equal(stat(p, &c), 0);
	free(p);
	p = kit_aprintf("%s/a.txt", staging);
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_ino, c.st_ino);
	free(p);
	p = kit_aprintf("%s/manifest.json", staging);
	assert_true(kit_file_exists(p));
	free(p);
	free(staging);
	objkit_free(&k);
}

/* Hostile objects and names: each refused as KIT_E_SECURITY with its
 * reason, and no staging directory left. */
static void
test_assemble_refuses(void **state)
{
	struct objkit k;
	struct kit_error err;
	struct fake_server srv = {0};
	char *staging;
	struct kit_manifest_object saved;
	int i;
	static const struct {
		const char *label, *p0, *p2, *msg;
	} names[] = {
		{"case", "A.txt", "a.txt", "one name when case is ignored"},
		{"case dir", "Media/a.txt", "media/c.txt", "one name when case is ignored"},
		{"file and dir", "x", "x/c.txt", "also a directory"},
		{"latin-1", "\xc3\x89t\xc3\xa9.txt", "\xc3\xa9t\xc3\xa9.txt", "one name when case is ignored"},
	};

	(void)state;
	objkit_new(&k);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	staging = kit_aprintf("%s/staging", k.dir);
	for (i = 0; i < 4; i++) {
		memset(&err, 0, sizeof(err));
		k.files[0].path = (char *)names[i].p0;
		k.files[2].path = (char *)names[i].p2;
		srv.calls = 0;
		assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		if (strstr(err.msg, names[i].msg) == NULL)
			fail_msg("%s: %s", names[i].label, err.msg);
		assert_int_equal(srv.calls, 0); /* refused before any fetch */
		assert_false(kit_file_exists(staging));
	}
	k.files[0].path = (char *)"a.txt";
	k.files[2].path = (char *)"c.txt";
	/* a wrong hash of the stored frame: refused before zstd reads it */
	saved = k.ix->objects[0];
	k.ix->objects[0].stored_sha256[0] = k.ix->objects[0].stored_sha256[0] == '0' ? '1' : '0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "stored bytes hash to"));
	assert_false(kit_file_exists(staging));
	k.ix->objects[0] = saved;
	/* a raw object whose bytes are not the file's */
	saved = k.ix->objects[1];
	k.ix->objects[1].offset -= 1;
	memset(&err, 0, sizeof(err));
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "the signed index says"));
	assert_false(kit_file_exists(staging));
	k.ix->objects[1] = saved;
	/* an offset past the pack's end: the fetch fails, nothing stays */
	k.ix->objects[1].offset += 1000000;
	memset(&err, 0, sizeof(err));
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_false(kit_file_exists(staging));
	k.ix->objects[1] = saved;
	/* a file the index does not list */
	k.files[1].sha256[0] = k.files[1].sha256[0] == 'a' ? 'b' : 'a';
	memset(&err, 0, sizeof(err));
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "lists no object"));
	free(staging);
	objkit_free(&k);
}

/* The base release: trusted files are linked; an untrusted one that was
 * changed on disk is fetched again rather than reused. */
static void
test_assemble_base(void **state)
{
	struct objkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	struct kit_manifest bm;
	struct kit_manifest_file bf[1];
	struct kit_bundle_base base;
	struct kit_bundle_assembly st;
	char *bdir, *staging, *p;
	unsigned char *got = NULL;
	size_t n;

	(void)state;
	objkit_new(&k);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	bdir = kit_aprintf("%s/base", k.dir);
	assert_int_equal(mkdir(bdir, 0755), 0);
	p = kit_aprintf("%s/old-b.bin", bdir);
	assert_int_equal(kit_file_write_atomic(p, k.rnd, sizeof(k.rnd), 0644, &err), 0);
	free(p);
	memset(&bm, 0, sizeof(bm));
	bf[0] = k.files[1];
	bf[0].path = (char *)"old-b.bin";
	bm.files = bf;
	bm.n_files = 1;
	base.dirfd = open(bdir, O_RDONLY | O_DIRECTORY);
	base.m = &bm;
	base.trusted = 1;
	staging = kit_aprintf("%s/staging", k.dir);
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), 0);
	assert_int_equal(st.reused, 1);
	assert_int_equal(st.fetched, 1);
	{ /* a file of ours only we may write: linked; one others may
		 * write (as a planted link to a file elsewhere would be):
		 * copied, never made part of the new release */
		struct stat a, c;
		char *bp = kit_aprintf("%s/old-b.bin", bdir), *sp = kit_aprintf("%s/b.bin", staging);

		assert_int_equal(stat(bp, &a), 0);
		assert_int_equal(stat(sp, &c), 0);
		assert_int_equal(a.st_ino, c.st_ino);
		rm_tree(staging);
		assert_int_equal(chmod(bp, 0666), 0);
		assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), 0);
		assert_int_equal(st.reused, 1);
		assert_int_equal(stat(sp, &c), 0);
		assert_int_not_equal(a.st_ino, c.st_ino);
		assert_int_equal(c.st_size, (off_t)sizeof(k.rnd));
		assert_int_equal(chmod(bp, 0644), 0);
		free(bp);
		free(sp);
	}
	rm_tree(staging);
	/* untrusted and changed on disk: fetched, not reused */
	p = kit_aprintf("%s/old-b.bin", bdir);
	assert_int_equal(kit_file_write_atomic(p, "tampered", 8, 0644, &err), 0);
	free(p);
	base.trusted = 0;
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), 0);
	assert_int_equal(st.reused, 0);
	assert_int_equal(st.fetched, 2);
	p = kit_aprintf("%s/b.bin", staging);
	assert_int_equal(kit_file_read(p, 1 << 20, &got, &n, &err), 0);
	assert_int_equal(n, sizeof(k.rnd));
	assert_memory_equal(got, k.rnd, n);
	free(got);
	free(p);
	/* over max_fetch: 1, nothing written */
	rm_tree(staging);
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, 10, NULL, fake_range, &srv, &st, &err), 1);
	assert_false(kit_file_exists(staging));
	close(base.dirfd);
	free(staging);
	free(bdir);
	objkit_free(&k);
}

/* Deltas: a file the base release had in another version comes as a
 * zstd patch-from frame; one made from another base than the index says
 * is refused. */
static void
test_assemble_delta(void **state)
{
	struct objkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	struct kit_manifest bm;
	struct kit_manifest_file bf[1];
	struct kit_bundle_base base;
	struct kit_bundle_assembly st;
	struct kit_bundle_pack *p;
	struct kit_manifest_delta d;
	unsigned char old[20000], other[20000], *dbytes = NULL, *got = NULL;
	size_t dlen, n, i;
	char *bdir, *staging, *path, *pack2;
	uint64_t off;

	(void)state;
	objkit_new(&k);
	/* the old a.txt: the text with a few words changed */
	memcpy(old, k.text, sizeof(old));
	memcpy(old + 5000, "CHANGED WORDS", 13);
	for (i = 0; i < sizeof(other); i++)
		other[i] = (unsigned char)("another text entirely "[i % 22]);
	bdir = kit_aprintf("%s/base", k.dir);
	assert_int_equal(mkdir(bdir, 0755), 0);
	path = kit_aprintf("%s/a.txt", bdir);
	assert_int_equal(kit_file_write_atomic(path, old, sizeof(old), 0644, &err), 0);
	free(path);
	memset(&bm, 0, sizeof(bm));
	bf[0].path = (char *)"a.txt";
	bf[0].size = sizeof(old);
	kit_sha256_hex(old, sizeof(old), bf[0].sha256);
	bm.files = bf;
	bm.n_files = 1;
	base.dirfd = open(bdir, O_RDONLY | O_DIRECTORY);
	base.m = &bm;
	base.trusted = 0;
	/* a second pack with the delta of the text from the old text */
	pack2 = kit_aprintf("%s/q.pack", k.dir);
	p = kit_bundle_pack_new(pack2, 3, &err);
	assert_non_null(p);
	memset(&d, 0, sizeof(d));
	assert_int_equal(kit_bundle_delta_make(old, sizeof(old), k.text, sizeof(k.text), 3, &dbytes, &dlen, d.stored_sha256, &err), 0);
	assert_true(dlen < k.ix->objects[0].stored);
	assert_int_equal(kit_bundle_pack_add_raw(p, dbytes, dlen, &off, &err), 0);
	free(dbytes);
	assert_int_equal(kit_bundle_pack_finish(p, d.base_sha256 /* scratch */, &err), 0);
	kit_bundle_pack_free(p);
	/* the fake server serves one pack: put the delta at the end of it */
	{
		unsigned char *a = NULL, *b = NULL;
		size_t al, bl;
		char *cat;

		assert_int_equal(kit_file_read(k.pack, 1 << 24, &a, &al, &err), 0);
		assert_int_equal(kit_file_read(pack2, 1 << 24, &b, &bl, &err), 0);
		cat = kit_xmalloc(al + bl);
		memcpy(cat, a, al);
		memcpy(cat + al, b, bl);
		assert_int_equal(kit_file_write_atomic(k.pack, cat, al + bl, 0644, &err), 0);
		d.offset = al + off;
		d.stored = bl;
		free(a);
		free(b);
		free(cat);
	}
	memcpy(d.sha256, k.files[0].sha256, KIT_SHA256_HEX);
	memcpy(d.base_sha256, bf[0].sha256, KIT_SHA256_HEX);
	d.pack = 0;
	kit_manifest_index_add_delta(k.ix, &d);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	staging = kit_aprintf("%s/staging", k.dir);
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), 0);
	assert_int_equal(st.deltas, 1);
	path = kit_aprintf("%s/a.txt", staging);
	assert_int_equal(kit_file_read(path, 1 << 20, &got, &n, &err), 0);
	assert_int_equal(n, sizeof(k.text));
	assert_memory_equal(got, k.text, n);
	free(got);
	free(path);
	rm_tree(staging);
	/* the base on disk is not what the index says: the whole object */
	path = kit_aprintf("%s/a.txt", bdir);
	assert_int_equal(kit_file_write_atomic(path, other, sizeof(other), 0644, &err), 0);
	free(path);
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), 0);
	assert_int_equal(st.deltas, 0);
	rm_tree(staging);
	/* a delta made from another base than the index says: refused */
	path = kit_aprintf("%s/a.txt", bdir);
	assert_int_equal(kit_file_write_atomic(path, old, sizeof(old), 0644, &err), 0);
	free(path);
	{
		struct kit_bundle_pack *p3;
		unsigned char *a = NULL, *b = NULL;
		size_t al, bl;
		char *cat, scratch[KIT_SHA256_HEX];

		assert_int_equal(kit_bundle_delta_make(other, sizeof(other), k.text, sizeof(k.text), 3, &dbytes, &dlen, k.ix->deltas[0].stored_sha256, &err), 0);
		(void)unlink(pack2);
		p3 = kit_bundle_pack_new(pack2, 3, &err);
		assert_int_equal(kit_bundle_pack_add_raw(p3, dbytes, dlen, &off, &err), 0);
		assert_int_equal(kit_bundle_pack_finish(p3, scratch, &err), 0);
		kit_bundle_pack_free(p3);
		free(dbytes);
		assert_int_equal(kit_file_read(k.pack, 1 << 24, &a, &al, &err), 0);
		assert_int_equal(kit_file_read(pack2, 1 << 24, &b, &bl, &err), 0);
		cat = kit_xmalloc(al + bl);
		memcpy(cat, a, al);
		memcpy(cat + al, b, bl);
		assert_int_equal(kit_file_write_atomic(k.pack, cat, al + bl, 0644, &err), 0);
		k.ix->deltas[0].offset = al;
		k.ix->deltas[0].stored = bl;
		free(a);
		free(b);
		free(cat);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_false(kit_file_exists(staging));
	close(base.dirfd);
	free(staging);
	free(pack2);
	free(bdir);
	objkit_free(&k);
}

/* The index: written and parsed back the same; the rules refused. */
static void
test_index_format(void **state)
{
	struct objkit k;
	struct kit_error err = {0};
	struct kit_manifest_index *ix;
	char *text = NULL, *bad;
	size_t len;
	static const struct {
		const char *from, *to, *msg;
	} evil[] = {
		{"[[\"", "[[\"A", "lower-case hex"},
		{"\"packs\":[\"", "\"packs\":[\"", NULL},
		{",0,0,", ",7,0,", "names pack 7"},
		{"\"deltas\":[[\"", "\"deltas\":[[\"0", "lower-case hex"},
		{"\"index\":1", "\"index\":2", "format 1"},
	};
	size_t i;

	(void)state;
	objkit_new(&k);
	k.ix->kit = 1;
	k.ix->campaign = kit_strdup("together-2016");
	k.ix->office = kit_strdup("global");
	k.ix->version = 3;
	memcpy(k.ix->content, k.files[0].sha256, KIT_SHA256_HEX);
	memcpy(k.ix->manifest_sha256, k.files[1].sha256, KIT_SHA256_HEX);
	k.ix->manifest_size = k.files[1].size;
	{
		struct kit_manifest_delta d;

		memset(&d, 0, sizeof(d));
		memcpy(d.sha256, k.files[0].sha256, KIT_SHA256_HEX);
		memcpy(d.base_sha256, k.files[1].sha256, KIT_SHA256_HEX);
		memcpy(d.stored_sha256, k.files[1].sha256, KIT_SHA256_HEX);
		d.stored = 10;
		kit_manifest_index_add_delta(k.ix, &d);
	}
	assert_int_equal(kit_manifest_index_write(k.ix, &text, &len, &err), 0);
	ix = kit_manifest_index_parse(text, len, "t.idx", &err);
	assert_non_null(ix);
	assert_int_equal(ix->n_objects, 2);
	assert_int_equal(ix->n_deltas, 1);
	assert_int_equal(ix->version, 3);
	assert_non_null(kit_manifest_index_find(ix, k.files[0].sha256));
	kit_manifest_index_free(ix);
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		char *at = strstr(text, evil[i].from);

		if (evil[i].msg == NULL)
			continue;
		assert_non_null(at);
		bad = kit_aprintf("%.*s%s%s", (int)(at - text), text, evil[i].to, at + strlen(evil[i].from));
		memset(&err, 0, sizeof(err));
		ix = kit_manifest_index_parse(bad, strlen(bad), "t.idx", &err);
		assert_null(ix);
		assert_int_equal(err.code, KIT_E_INVALID);
		if (strstr(err.msg, evil[i].msg) == NULL)
			fail_msg("%s: %s", evil[i].to, err.msg);
		free(bad);
	}
	/* the same object twice */
	{
		char *o = strstr(text, "[[") + 1, *end = strstr(o, "]") + 1;

		bad = kit_aprintf("%.*s,%.*s%s", (int)(end - text), text, (int)(end - o), o, end);
		memset(&err, 0, sizeof(err));
		assert_null(kit_manifest_index_parse(bad, strlen(bad), "t.idx", &err));
		assert_non_null(strstr(err.msg, "listed twice"));
		free(bad);
	}
	free(text);
	objkit_free(&k);
}

/* A compressible file whose size is a multiple of zstd's output block
 * (128 KiB): its frame ends with the output buffer exactly full, and no
 * further call may be taken for the start of another frame. */
static void
test_assemble_block_multiple(void **state)
{
	struct kit_error err = {0};
	struct kit_bundle_pack *p;
	struct kit_manifest_index *ix = kit_manifest_index_new();
	struct kit_manifest m;
	struct kit_manifest_file f[1];
	struct kit_manifest_object o;
	struct fake_server srv = {0};
	char hex[KIT_SHA256_HEX], *dir = make_tmpdir(), *pack, *staging, *path;
	size_t n = 2 * 131072, i, got_n;
	unsigned char *text = kit_xmalloc(n), *got = NULL;

	(void)state;
	for (i = 0; i < n; i++)
		text[i] = (unsigned char)("a kit text of 256 KiB, "[i % 23]);
	pack = kit_aprintf("%s/p.pack", dir);
	p = kit_bundle_pack_new(pack, 3, &err);
	assert_non_null(p);
	memset(&o, 0, sizeof(o));
	kit_sha256_hex(text, n, o.sha256);
	o.size = n;
	assert_int_equal(kit_bundle_pack_add(p, -1, NULL, text, n, &o, &err), 0);
	assert_int_equal(o.zstd, 1);
	assert_int_equal(kit_bundle_pack_finish(p, hex, &err), 0);
	kit_bundle_pack_free(p);
	(void)kit_manifest_index_add(ix, &o);
	(void)kit_manifest_index_pack(ix, hex);
	memset(&m, 0, sizeof(m));
	f[0].path = (char *)"big.txt";
	f[0].size = n;
	memcpy(f[0].sha256, o.sha256, KIT_SHA256_HEX);
	m.files = f;
	m.n_files = 1;
	srv.pack_path = pack;
	srv.pack_hex = hex;
	staging = kit_aprintf("%s/staging", dir);
	if (kit_bundle_assemble(staging, "{}", 2, &m, ix, NULL, dir, UINT64_MAX,
				NULL, fake_range, &srv, NULL, &err) != 0)
		fail_msg("refused: %s", err.msg);
	path = kit_aprintf("%s/big.txt", staging);
	assert_int_equal(kit_file_read(path, 1 << 20, &got, &got_n, &err), 0);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, text, n);
	free(got);
	free(path);
	free(staging);
	free(pack);
	free(text);
	kit_manifest_index_free(ix);
	rm_tree(dir);
	free(dir);
}

/* ------------------------------------------- ranges streamed into staging */

/* A pack of n files of the given sizes (file i: "f<i>.bin", seeded random
 * bytes, so stored raw), its index and a manifest model of them. */
struct rawkit {
	char *dir, *pack, pack_hex[KIT_SHA256_HEX];
	struct kit_manifest_index *ix;
	struct kit_manifest m;
	struct kit_manifest_file files[4];
	char names[4][32];
	unsigned char *data[4];
	size_t n;
};

static void
rawkit_new(struct rawkit *k, const size_t *sizes, size_t n)
{
	struct kit_error err = {0};
	struct kit_bundle_pack *p;
	struct kit_manifest_object o;
	uint64_t x = 88172645463325252ull;
	size_t i, j;

	memset(k, 0, sizeof(*k));
	k->dir = make_tmpdir();
	k->pack = kit_aprintf("%s/p.pack", k->dir);
	p = kit_bundle_pack_new(k->pack, 3, &err);
	assert_non_null(p);
	k->ix = kit_manifest_index_new();
	k->n = n;
	for (i = 0; i < n; i++) {
		k->data[i] = kit_xmalloc(sizes[i]);
		for (j = 0; j < sizes[i]; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			k->data[i][j] = (unsigned char)(x >> 24);
		}
		snprintf(k->names[i], sizeof(k->names[i]), "f%zu.bin", i);
		k->files[i].path = k->names[i];
		k->files[i].size = sizes[i];
		kit_sha256_hex(k->data[i], sizes[i], k->files[i].sha256);
		memset(&o, 0, sizeof(o));
		memcpy(o.sha256, k->files[i].sha256, KIT_SHA256_HEX);
		o.size = sizes[i];
		assert_int_equal(kit_bundle_pack_add(p, -1, NULL, k->data[i], sizes[i], &o, &err), 0);
		assert_int_equal(o.zstd, 0);
		(void)kit_manifest_index_add(k->ix, &o);
	}
	assert_int_equal(kit_bundle_pack_finish(p, k->pack_hex, &err), 0);
	kit_bundle_pack_free(p);
	(void)kit_manifest_index_pack(k->ix, k->pack_hex);
	k->m.files = k->files;
	k->m.n_files = n;
	k->m.campaign = (char *)"camp";
}

static void
rawkit_free(struct rawkit *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->data[i]);
	rm_tree(k->dir);
	free(k->dir);
	free(k->pack);
	kit_manifest_index_free(k->ix);
}

/* 1 when staging/path holds exactly file i of k. */
static int
rawkit_has(const struct rawkit *k, const char *staging, size_t i)
{
	struct kit_error err = {0};
	unsigned char *got = NULL;
	size_t n = 0;
	char *p = kit_aprintf("%s/%s", staging, k->names[i]);
	int ok = kit_file_read(p, 1 << 26, &got, &n, &err) == 0 &&
		 n == k->files[i].size && memcmp(got, k->data[i], n) == 0;

	free(got);
	free(p);
	return ok;
}

/* How many entries the directory dir holds besides the pack. */
static int
entries_besides_pack(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		     strcmp(e->d_name, "p.pack") != 0;
	closedir(d);
	return n;
}

/* A raw object with one wrong byte in its middle: written as it arrives,
 * it counts only once its hash is checked at its end.  From one mirror:
 * refused (KIT_E_SECURITY, its hash named), no staging and no part file
 * left; from a mirror and a good one after it: the next one serves it. */
static void
test_assemble_stream_wrong_byte(void **state)
{
	static const size_t sizes[] = {70000, 3 << 20};
	struct rawkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	struct kit_bundle_assembly st;
	char *staging;
	size_t i;

	(void)state;
	rawkit_new(&k, sizes, 2);
	staging = kit_aprintf("%s/staging", k.dir);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	for (i = 0; i < 2; i++) {
		/* a byte in the middle of the small object, then of the large
		 * one (which arrives in a part file) */
		const struct kit_manifest_object *o = kit_manifest_index_find(k.ix, k.files[i].sha256);

		srv.corrupt = 1 + o->offset + o->stored / 2;
		srv.mirrors = 1;
		srv.bad = 0;
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		assert_non_null(strstr(err.msg, "its stored bytes hash to"));
		assert_non_null(strstr(err.msg, k.files[i].sha256 + 0 * 64));
		assert_int_equal(srv.bad, 1);
		assert_false(kit_dir_exists(staging));
		assert_int_equal(entries_besides_pack(k.dir), 0);
		/* a good mirror after it */
		srv.mirrors = 2;
		srv.bad = 0;
		memset(&err, 0, sizeof(err));
		if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
			fail_msg("refused: %s", err.msg);
		assert_int_equal(srv.bad, 1);
		assert_true(rawkit_has(&k, staging, 0));
		assert_true(rawkit_has(&k, staging, 1));
		assert_int_equal(st.fetched, 2);
		rm_tree(staging);
		assert_int_equal(entries_besides_pack(k.dir), 0);
	}
	free(staging);
	rawkit_free(&k);
}

/* A large raw object cut off at 90 %: the next assembly resumes it from
 * its part file (fewer bytes sent than the object); a part whose kept
 * bytes are wrong is fetched again from its start, not blamed on the
 * mirror; a complete part gives back its last byte. */
static void
test_assemble_stream_resume(void **state)
{
	static const size_t sizes[] = {4 << 20};
	struct rawkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	struct kit_bundle_assembly st;
	char *staging, *part;
	struct stat sb;
	FILE *f;

	(void)state;
	rawkit_new(&k, sizes, 1);
	staging = kit_aprintf("%s/staging", k.dir);
	part = kit_aprintf("%s/obj.camp.%s.part", k.dir, k.files[0].sha256);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	srv.cut = 1 + sizes[0] / 10 * 9;
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err), -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_false(kit_dir_exists(staging));
	assert_int_equal(stat(part, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, sizes[0] / 10 * 9);
	/* the next run */
	srv.cut = 0;
	srv.sent = 0;
	memset(&err, 0, sizeof(err));
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.first_at, sizes[0] / 10 * 9);
	assert_true(srv.sent < sizes[0] / 5);
	assert_int_equal(st.stored, sizes[0] - sizes[0] / 10 * 9);
	assert_true(rawkit_has(&k, staging, 0));
	assert_false(kit_file_exists(part)); /* it became the staging file */
	rm_tree(staging);

	/* kept bytes that are wrong: fetched again from the start */
	f = fopen(part, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(k.data[0], 1, 1000, f), 1000);
	fputc(k.data[0][1000] ^ 1, f);
	fclose(f);
	srv.sent = 0;
	srv.again = srv.bad = 0;
	memset(&err, 0, sizeof(err));
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.again, 1);
	assert_int_equal(srv.bad, 0);
	assert_true(rawkit_has(&k, staging, 0));
	rm_tree(staging);

	/* a complete part (cut off between its last byte and its link) */
	assert_int_equal(kit_file_write_atomic(part, k.data[0], sizes[0], 0644, &err), 0);
	srv.sent = 0;
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.sent, 1);
	assert_true(rawkit_has(&k, staging, 0));
	rm_tree(staging);

	/* a part with a second link (not one kit-fetch would keep): removed,
	 * the object fetched whole, the other name untouched */
	{
		char *other = kit_aprintf("%s/other", k.dir);

		assert_int_equal(kit_file_write_atomic(part, k.data[0], 1000, 0644, &err), 0);
		assert_int_equal(link(part, other), 0);
		srv.sent = 0;
		if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
			fail_msg("refused: %s", err.msg);
		assert_int_equal(srv.sent, sizes[0]);
		assert_true(rawkit_has(&k, staging, 0));
		assert_int_equal(stat(other, &sb), 0);
		assert_int_equal(sb.st_size, 1000);
		free(other);
	}
	free(part);
	free(staging);
	rawkit_free(&k);
}

/* What an interrupted run left in the work directory and this one does
 * not resume is removed when an assembly starts: span files of an earlier
 * kit-fetch, part files of this campaign's objects it does not want (the
 * kit installed meanwhile, another version); another campaign's part
 * files stay for its own update. */
static void
test_assemble_cleans_leftovers(void **state)
{
	static const size_t sizes[] = {5000};
	struct rawkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	char *staging, *p[3];
	size_t i;
	static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

	(void)state;
	rawkit_new(&k, sizes, 1);
	staging = kit_aprintf("%s/staging", k.dir);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	p[0] = kit_aprintf("%s/%s.0-100.span.part", k.dir, zeros);
	p[1] = kit_aprintf("%s/obj.camp.%s.part", k.dir, zeros);
	p[2] = kit_aprintf("%s/obj.other.%s.part", k.dir, zeros);
	for (i = 0; i < 3; i++)
		assert_int_equal(kit_file_write_atomic(p[i], "x", 1, 0644, &err), 0);
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, NULL, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_false(kit_file_exists(p[0]));
	assert_false(kit_file_exists(p[1]));
	assert_true(kit_file_exists(p[2]));
	for (i = 0; i < 3; i++)
		free(p[i]);
	free(staging);
	rawkit_free(&k);
}

/* A first install (no base) fetches the objects it wants in a pack in one
 * range across small gaps (an object it does not want between them); an
 * update keeps to 4 KiB gaps. */
static void
test_assemble_first_merges_gaps(void **state)
{
	static const size_t sizes[] = {200000, 20000, 200000};
	struct rawkit k;
	struct kit_error err = {0};
	struct fake_server srv = {0};
	struct kit_bundle_assembly st;
	struct kit_manifest base_m;
	struct kit_bundle_base base = {-1, &base_m, 1};
	char *staging;

	(void)state;
	rawkit_new(&k, sizes, 3);
	staging = kit_aprintf("%s/staging", k.dir);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	/* the kit wants f0 and f2, not f1 between them */
	k.files[1] = k.files[2];
	k.m.n_files = 2;
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.calls, 1);
	assert_int_equal(st.spans, 1);
	assert_int_equal(st.stored, 420000);
	assert_true(rawkit_has(&k, staging, 0));
	rm_tree(staging);
	/* an update from a base with nothing in common: two ranges */
	memset(&base_m, 0, sizeof(base_m));
	base.dirfd = open(k.dir, O_RDONLY | O_DIRECTORY);
	srv.calls = 0;
	if (kit_bundle_assemble(staging, "{}", 2, &k.m, k.ix, &base, k.dir, UINT64_MAX, NULL, fake_range, &srv, &st, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.calls, 2);
	assert_int_equal(st.stored, 400000);
	close(base.dirfd);
	free(staging);
	rawkit_free(&k);
}

/* A zstd frame of more than 8 MiB (random hex digits compress to about
 * half) arrives in a part file, is checked there, then decoded into
 * staging; cut off, it is resumed. */
static void
test_assemble_stream_large_frame(void **state)
{
	struct kit_error err = {0};
	struct kit_bundle_pack *p;
	struct kit_manifest_index *ix = kit_manifest_index_new();
	struct kit_manifest m;
	struct kit_manifest_file f[1];
	struct kit_manifest_object o;
	struct fake_server srv = {0};
	char hex[KIT_SHA256_HEX], *dir = make_tmpdir(), *pack, *staging, *path, *part;
	size_t n = 18u << 20, i, got_n;
	unsigned char *text = kit_xmalloc(n), *got = NULL;
	uint64_t x = 88172645463325252ull;
	struct stat sb;

	(void)state;
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		text[i] = (unsigned char)"0123456789abcdef"[(x >> 24) & 15];
	}
	pack = kit_aprintf("%s/p.pack", dir);
	p = kit_bundle_pack_new(pack, 1, &err);
	assert_non_null(p);
	memset(&o, 0, sizeof(o));
	kit_sha256_hex(text, n, o.sha256);
	o.size = n;
	assert_int_equal(kit_bundle_pack_add(p, -1, NULL, text, n, &o, &err), 0);
	assert_int_equal(o.zstd, 1);
	assert_true(o.stored > (8u << 20));
	assert_int_equal(kit_bundle_pack_finish(p, hex, &err), 0);
	kit_bundle_pack_free(p);
	(void)kit_manifest_index_add(ix, &o);
	(void)kit_manifest_index_pack(ix, hex);
	memset(&m, 0, sizeof(m));
	f[0].path = (char *)"big.txt";
	f[0].size = n;
	memcpy(f[0].sha256, o.sha256, KIT_SHA256_HEX);
	m.files = f;
	m.n_files = 1;
	srv.pack_path = pack;
	srv.pack_hex = hex;
	staging = kit_aprintf("%s/staging", dir);
	part = kit_aprintf("%s/obj.kit.%s.part", dir, o.stored_sha256);
	srv.cut = 1 + (4u << 20);
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &m, ix, NULL, dir, UINT64_MAX, NULL, fake_range, &srv, NULL, &err), -1);
	assert_int_equal(stat(part, &sb), 0);
	assert_int_equal(sb.st_size, 4u << 20);
	srv.cut = 0;
	if (kit_bundle_assemble(staging, "{}", 2, &m, ix, NULL, dir, UINT64_MAX, NULL, fake_range, &srv, NULL, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.first_at, 4u << 20);
	path = kit_aprintf("%s/big.txt", staging);
	assert_int_equal(kit_file_read(path, 1 << 26, &got, &got_n, &err), 0);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, text, n);
	assert_false(kit_file_exists(part));
	free(got);
	got = NULL;
	/* and in one go */
	rm_tree(staging);
	if (kit_bundle_assemble(staging, "{}", 2, &m, ix, NULL, dir, UINT64_MAX, NULL, fake_range, &srv, NULL, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(srv.first_at, 0);
	assert_int_equal(kit_file_read(path, 1 << 26, &got, &got_n, &err), 0);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, text, n);
	assert_false(kit_file_exists(part));
	free(got);
	free(path);
	free(part);
	free(staging);
	free(pack);
	free(text);
	kit_manifest_index_free(ix);
	rm_tree(dir);
	free(dir);
}

/* What a signer could put in a manifest and its index: each refused as
 * KIT_E_SECURITY before anything is installed. */
static void
test_assemble_signed_attacks(void **state)
{
	struct objkit k;
	struct kit_error err;
	struct fake_server srv = {0};
	struct kit_bundle_limits lim = kit_bundle_limits_default();
	struct kit_manifest_file files[8];
	struct kit_manifest_object o;
	struct kit_manifest m;
	char *staging;
	uint64_t left;
	int i;

	(void)state;
	objkit_new(&k);
	srv.pack_path = k.pack;
	srv.pack_hex = k.pack_hex;
	staging = kit_aprintf("%s/staging", k.dir);

	/* Manifest.json beside the kit's own manifest.json */
	k.files[0].path = (char *)"Manifest.json";
	memset(&err, 0, sizeof(err));
	srv.calls = 0;
	assert_int_equal(assemble(&k, NULL, &srv, staging, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	if (strstr(err.msg, "one name when case is ignored") == NULL)
		fail_msg("Manifest.json: %s", err.msg);
	assert_int_equal(srv.calls, 0);
	assert_false(kit_file_exists(staging));
	k.files[0].path = (char *)"a.txt";

	/* an empty file whose digest is not that of nothing */
	memset(&o, 0, sizeof(o));
	memset(o.sha256, 'a', KIT_SHA256_HEX - 1);
	o.offset = 5;
	(void)kit_manifest_index_add(k.ix, &o);
	files[0] = k.files[0];
	files[1].path = (char *)"empty.txt";
	files[1].size = 0;
	memcpy(files[1].sha256, o.sha256, KIT_SHA256_HEX);
	memset(&m, 0, sizeof(m));
	m.files = files;
	m.n_files = 2;
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &m, k.ix, NULL, k.dir, UINT64_MAX, NULL, fake_range, &srv, NULL, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	if (strstr(err.msg, "empty.txt: has sha256 e3b0c442") == NULL)
		fail_msg("empty file: %s", err.msg);
	assert_false(kit_file_exists(staging));

	/* sizes that wrap the sum around 2^64 under the office's limit: one
	 * big file (as a zstd bomb would be) and four near 2^62 */
	lim.max_total = 1 << 20;
	files[1] = k.files[1];
	files[1].size = 1ull << 30;
	left = (uint64_t)0 - (1ull << 30) - sizeof(k.text) + 100;
	for (i = 0; i < 5; i++) {
		memset(&o, 0, sizeof(o));
		if (i == 0) {
			memcpy(o.sha256, files[1].sha256, KIT_SHA256_HEX);
			o.size = files[1].size;
		} else {
			snprintf(o.sha256, KIT_SHA256_HEX, "%064d", i);
			o.size = left / (uint64_t)(5 - i);
			left -= o.size;
			files[1 + i].path = kit_aprintf("filler%d", i);
			files[1 + i].size = o.size;
			memcpy(files[1 + i].sha256, o.sha256, KIT_SHA256_HEX);
		}
		o.zstd = 1;
		o.stored = 10;
		o.offset = 0;
		memset(o.stored_sha256, 'b', KIT_SHA256_HEX - 1);
		if (i == 0) {
			/* b.bin's object, now a "bomb" */
			struct kit_manifest_object *b = (struct kit_manifest_object *)
				kit_manifest_index_find(k.ix, o.sha256);
			*b = o;
		} else {
			(void)kit_manifest_index_add(k.ix, &o);
		}
	}
	m.n_files = 6;
	srv.calls = 0;
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_bundle_assemble(staging, "{}", 2, &m, k.ix, NULL, k.dir, UINT64_MAX, &lim, fake_range, &srv, NULL, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	if (strstr(err.msg, "more than the 1048576 bytes this office accepts") == NULL)
		fail_msg("wrapped sizes: %s", err.msg);
	assert_int_equal(srv.calls, 0);
	assert_false(kit_file_exists(staging));
	for (i = 1; i < 5; i++)
		free((char *)files[1 + i].path);

	free(staging);
	objkit_free(&k);
}

/* Digests that share their first 48 bits, as a signer could choose them:
 * the index's table must still find each one in a few probes. */
static void
test_index_chosen_digests(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest_index *ix;
	size_t n = 4096, i, len = 0, cap = n * 90 + 256, longest = 0;
	char *text = kit_xmalloc(cap);

	(void)state;
	len += (size_t)snprintf(text + len, cap - len, "{\"index\":1,\"kit\":null,\"packs\":[\"%064d\"],\"objects\":[", 0);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s[\"000000000000%052zx\",1,0,%zu,1,null]", i ? "," : "", i * 7919, i);
	len += (size_t)snprintf(text + len, cap - len, "]}");
	ix = kit_manifest_index_parse(text, len, "t.idx", &err);
	if (ix == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(ix->n_objects, n);
	/* the longest run of occupied slots: n when they all collide */
	for (i = 0; i < 2 * ix->n_slots; i++) {
		size_t run = 0;

		while (run < ix->n_slots && ix->slots[(i + run) & (ix->n_slots - 1)] != (size_t)-1)
			run++;
		if (run > longest)
			longest = run;
		i += run;
	}
	if (longest > 100)
		fail_msg("a run of %zu occupied slots for %zu chosen digests", longest, n);
	for (i = 0; i < n; i += 97) {
		char hex[KIT_SHA256_HEX];

		snprintf(hex, sizeof(hex), "000000000000%052zx", i * 7919);
		assert_non_null(kit_manifest_index_find(ix, hex));
	}
	kit_manifest_index_free(ix);
	free(text);
}

/* CPU seconds this process has used. */
static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* An index (signed by a stolen key) listing many deltas of one object,
 * whose bases differ only in their last digits: each pair was checked
 * against every earlier one, 40,000 took 7 s of a release build (160,000
 * fit in the 32 MiB an office accepts); a pair listed twice far apart is
 * still refused. */
static void
test_index_many_deltas(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest_index *ix;
	size_t n = 40000, i, len = 0, cap = n * 220 + 512;
	char *text = kit_xmalloc(cap), obj[KIT_SHA256_HEX];
	double t0;
	int dup;

	(void)state;
	memset(obj, 'f', KIT_SHA256_HEX - 1);
	obj[KIT_SHA256_HEX - 1] = '\0';
	for (dup = 0; dup < 2; dup++) {
		len = (size_t)snprintf(text, cap, "{\"index\":1,\"kit\":null,\"packs\":[\"%064d\"],\"objects\":[[\"%s\",1000,0,0,1000,null]],\"deltas\":[", 0, obj);
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, cap - len, "%s[\"%s\",\"%056d%08zx\",0,0,1,\"%064d\"]", i ? "," : "", obj, 0, dup && i == n - 1 ? (size_t)1 : i + 1, 1);
		len += (size_t)snprintf(text + len, cap - len, "]}");
		t0 = cpu_seconds();
		ix = kit_manifest_index_parse(text, len, "t.idx", &err);
		if (dup) {
			assert_null(ix);
			assert_non_null(strstr(err.msg, "listed twice"));
			kit_err_clear(&err);
			continue;
		}
		if (ix == NULL)
			fail_msg("%s", err.msg);
		assert_int_equal(ix->n_deltas, n);
		if (cpu_seconds() - t0 > 5.0)
			fail_msg("%zu deltas of one object took %.1f s of CPU to parse", n, cpu_seconds() - t0);
		kit_manifest_index_free(ix);
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_deterministic),
		cmocka_unit_test(test_write_refuses_bad_input),
		cmocka_unit_test(test_write_fails_cleanly),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_evil_corpus),
		cmocka_unit_test(test_extract_refuses_existing_staging),
		cmocka_unit_test(test_extract_refuses_sparse),
		cmocka_unit_test(test_extract_refuses_huge_window),
		cmocka_unit_test(test_install_switch_prune_rollback),
		cmocka_unit_test(test_install_leftovers),
		cmocka_unit_test(test_verify_detects_changes),
		cmocka_unit_test(test_release_verify_switch_stamp),
		cmocka_unit_test(test_lock_contention),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_clean_staging),
		cmocka_unit_test(test_golden_seed),
		cmocka_unit_test(test_corpus_seeds),
		cmocka_unit_test(test_assemble_objects),
		cmocka_unit_test(test_assemble_refuses),
		cmocka_unit_test(test_assemble_base),
		cmocka_unit_test(test_assemble_delta),
		cmocka_unit_test(test_index_format),
		cmocka_unit_test(test_assemble_block_multiple),
		cmocka_unit_test(test_assemble_signed_attacks),
		cmocka_unit_test(test_index_chosen_digests),
		cmocka_unit_test(test_index_many_deltas),
		cmocka_unit_test(test_assemble_stream_wrong_byte),
		cmocka_unit_test(test_assemble_stream_resume),
		cmocka_unit_test(test_assemble_cleans_leftovers),
		cmocka_unit_test(test_assemble_first_merges_gaps),
		cmocka_unit_test(test_assemble_stream_large_frame),
	};

	return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
