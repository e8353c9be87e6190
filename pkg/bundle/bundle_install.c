/*
 * bundle_install.c: atomic installation, rollback, verification, the lock
 * and stale staging clean-up.
 *
 * Atomicity rests on two rename()s on one file system: the fully written
 * and fsync'd staging tree becomes releases/<version>/, then a fresh
 * symlink current.new replaces current.  A crash before the second rename
 * leaves current on the old release (the new one is a harmless extra
 * directory, replaced on the next run); after it, on the new one.
 */
/* _GNU_SOURCE for renameat2(RENAME_EXCHANGE) (Linux): the one way to
 * replace the release current points to without a moment where current
 * dangles.  Everything else here is POSIX. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kit_bundle.h"
#include "kit_crypto.h"

#define PATH_BYTES 4096
#define MAX_RELEASES 100000

/* ----------------------------------------------------------------- helpers */

/* A canonical release name: 1..999999999 without leading zeros. */
static int
parse_version(const char *s, int *v)
{
	long n = 0;
	size_t i;

	if (!s[0] || s[0] == '0' || strlen(s) > 9)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	*v = (int)n;
	return 0;
}

/*
 * fsync every file, then every directory (children before parents), in
 * one pass after all writes: the kernel has already started writing back,
 * so this costs about one flush, not one per write.
 */
static int
fsync_tree(const char *dir, struct kit_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char path[PATH_BYTES];
	struct stat st;
	int rc = -1, fd;

	d = opendir(dir);
	if (!d) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", dir);
		goto out;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (kit_path_join(path, sizeof(path), dir, de->d_name, err) != 0)
			goto out;
		if (lstat(path, &st) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s",
				      path);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (fsync_tree(path, err) != 0)
				goto out;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			kit_err(err, KIT_E_SECURITY,
				"%s in staging is neither a file nor a directory; refusing to install it", path);
			goto out;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot open %s",
				      path);
			goto out;
		}
		if (fsync(fd) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s",
				      path);
			close(fd);
			goto out;
		}
		close(fd);
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read directory %s",
			      dir);
		goto out;
	}
	if (kit_fsync_path(dir, err) != 0)
		goto out;
	rc = 0;
out:
	if (d)
		closedir(d);
	return rc;
}

static int
int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/* The release versions in releases (an open directory), highest first.
 * Only real directories count: a link planted there is never a release. */
static int
list_releases(int rfd, const char *shown, int **out, size_t *n,
	      struct kit_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int *v = NULL, rc = -1, ver;
	size_t cap = 0, len = 0;

	*out = NULL;
	*n = 0;
	d = kit_dir_list(rfd, shown, err);
	if (d == NULL)
		return -1;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (parse_version(de->d_name, &ver) != 0)
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(rfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (len >= MAX_RELEASES) {
			kit_err(err, KIT_E_IO, "%s holds more than %d releases",
				shown, MAX_RELEASES);
			goto out;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			v = kit_xrealloc(v, cap * sizeof(*v));
		}
		v[len++] = ver;
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", shown);
		goto out;
	}
	if (len)
		qsort(v, len, sizeof(*v), int_desc);
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	free(v);
	closedir(d);
	return rc;
}

/* current.new -> releases/<version>, renamed over current, the kit
 * directory (kfd) synced. */
static int
switch_current(int kfd, const char *kit_dir, int version,
	       struct kit_error *err)
{
	char target[64];

	if (kit_snprintf(err, target, sizeof(target), "releases/%d",
			 version) != 0)
		return -1;
	if (unlinkat(kfd, "current.new", 0) != 0 && errno != ENOENT)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot remove %s/current.new", kit_dir);
	if (symlinkat(target, kfd, "current.new") != 0)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot create %s/current.new", kit_dir);
	if (renameat(kfd, "current.new", kfd, "current") != 0) {
		int e = errno;

		(void)unlinkat(kfd, "current.new", 0);
		return kit_err_errno(err, KIT_E_IO, e,
				     "cannot switch %s/current to %s", kit_dir,
				     target);
	}
	if (fsync(kfd) != 0 && errno != EINVAL)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s",
				     kit_dir);
	return 0;
}

/* Keep the `keep` highest releases and the current one; best effort.
 * Removal goes through rfd and never traverses a link. */
static void
prune(int rfd, const char *shown, int keep, int current)
{
	struct kit_error ignore = {0};
	int *v = NULL;
	size_t n = 0, i;
	char name[32];
	DIR *d;
	struct dirent *de;

	if (list_releases(rfd, shown, &v, &n, &ignore) != 0)
		return;
	for (i = (size_t)keep; i < n; i++) {
		if (v[i] == current)
			continue;
		(void)snprintf(name, sizeof(name), "%d", v[i]);
		if (kit_rm_rf_at(rfd, name, shown, &ignore) != 0)
			kit_err_clear(&ignore);
	}
	free(v);
	/* leftovers of an interrupted replacement */
	d = kit_dir_list(rfd, shown, &ignore);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".old-", 5) != 0)
			continue;
		if (kit_rm_rf_at(rfd, de->d_name, shown, &ignore) != 0)
			kit_err_clear(&ignore);
	}
	closedir(d);
}

/* ----------------------------------------------------------------- install */

/* The version kit_dir's `current` (read at `at`, name `cur`) points to. */
static int
current_version_at(int at, const char *cur, const char *shown, int *version,
		   struct kit_error *err)
{
	char target[256];
	ssize_t n;

	*version = 0;
	n = readlinkat(at, cur, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EINVAL)
			return kit_err(err, KIT_E_SECURITY,
				       "%s is not a symlink; remove it and run kit-fetch update", shown);
		return kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				     shown);
	}
	target[n] = '\0';
	if (strncmp(target, "releases/", 9) != 0 ||
	    parse_version(target + 9, version) != 0) {
		*version = 0;
		return kit_err(err, KIT_E_SECURITY,
			       "%s points to an unexpected place; remove it and run kit-fetch update", shown);
	}
	return 0;
}

int
kit_bundle_current_version(const char *kit_dir, int *version,
			   struct kit_error *err)
{
	char cur[PATH_BYTES];

	*version = 0;
	if (kit_path_join(cur, sizeof(cur), kit_dir, "current", err) != 0)
		return -1;
	return current_version_at(AT_FDCWD, cur, cur, version, err);
}

/* kit_dir and its releases/, opened without following a link and only
 * when this user owns them and no one else may write to them (created
 * when create).  *kfd and *rfd receive the descriptors. */
static int
open_kit(const char *kit_dir, int create, int *kfd, int *rfd,
	 char *rshown, size_t rsize, struct kit_error *err)
{
	*kfd = *rfd = -1;
	if (kit_path_join(rshown, rsize, kit_dir, "releases", err) != 0 ||
	    (create && kit_mkdir_p(kit_dir, 0755, err) != 0))
		return -1;
	*kfd = kit_dir_open_owned(AT_FDCWD, kit_dir, 0, kit_dir, err);
	if (*kfd < 0)
		return -1;
	*rfd = kit_dir_open_owned(*kfd, "releases", create, rshown, err);
	if (*rfd < 0) {
		close(*kfd);
		*kfd = -1;
		return -1;
	}
	return 0;
}

/* Replace the existing release `name` in releases (rfd) with staging. */
static int
replace_release(const char *staging, int rfd, const char *releases,
		const char *name, int is_current, struct kit_error *err)
{
	char trash[64];
	struct kit_error ignore = {0};

#ifdef RENAME_EXCHANGE
	if (is_current) {
		/* one atomic step: dest gets the new tree, staging the old */
		if (renameat2(AT_FDCWD, staging, rfd, name,
			      RENAME_EXCHANGE) == 0) {
			if (kit_rm_rf(staging, &ignore) != 0) {
				/* installed; the old copy stays behind */
			}
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS)
			return kit_err_errno(err, KIT_E_IO, errno,
					     "cannot swap %s and %s/%s",
					     staging, releases, name);
		/* file system without RENAME_EXCHANGE: below, with a
		 * short window where current dangles */
	}
#else
	(void)is_current;
#endif
	if (kit_snprintf(err, trash, sizeof(trash), ".old-%ld",
			 (long)getpid()) != 0)
		return -1;
	if (kit_rm_rf_at(rfd, trash, releases, err) != 0)
		return -1;
	if (renameat(rfd, name, rfd, trash) != 0)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot move aside %s/%s", releases, name);
	if (renameat(AT_FDCWD, staging, rfd, name) != 0) {
		int e = errno;

		(void)renameat(rfd, trash, rfd, name);
		return kit_err_errno(err, KIT_E_IO, e,
				     "cannot rename %s to %s/%s", staging,
				     releases, name);
	}
	if (kit_rm_rf_at(rfd, trash, releases, &ignore) != 0) {
		/* installed; prune() removes the leftover later */
	}
	return 0;
}

int
kit_bundle_install(const char *kit_dir, const char *staging_dir, int version,
		   int keep, struct kit_error *err)
{
	char releases[PATH_BYTES], name[32];
	struct stat st;
	int cur = 0, kfd = -1, rfd = -1, rc = -1;

	if (!kit_dir || !staging_dir || version < 1 || version > 999999999)
		return kit_err(err, KIT_E_INVALID,
			       "kit_bundle_install: bad arguments (version %d)",
			       version);
	if (keep <= 0)
		keep = KIT_BUNDLE_KEEP_DEFAULT;
	if (lstat(staging_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kit_err(err, KIT_E_INVALID,
			       "staging directory %s is missing", staging_dir);
	if (kit_snprintf(err, name, sizeof(name), "%d", version) != 0)
		return -1;
	if (open_kit(kit_dir, 1, &kfd, &rfd, releases, sizeof(releases),
		     err) != 0) {
		kit_err_prefix(err, "cannot install into %s", kit_dir);
		return -1;
	}
	if (current_version_at(kfd, "current", kit_dir, &cur, err) != 0 ||
	    fsync_tree(staging_dir, err) != 0)
		goto out;
	if (fstatat(rfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (replace_release(staging_dir, rfd, releases, name,
				    cur == version, err) != 0)
			goto out;
	} else if (renameat(AT_FDCWD, staging_dir, rfd, name) != 0) {
		int e = errno;

		kit_err_errno(err, KIT_E_IO, e, "cannot rename %s to %s/%s%s",
			      staging_dir, releases, name,
			      e == EXDEV ? " (staging must be on the same file system)"
					 : "");
		goto out;
	}
	if (fsync(rfd) != 0 && errno != EINVAL) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s", releases);
		goto out;
	}
	if (kit_fsync_parent(staging_dir, err) != 0 ||
	    switch_current(kfd, kit_dir, version, err) != 0)
		goto out;
	prune(rfd, releases, keep, version);
	rc = 0;
out:
	close(rfd);
	close(kfd);
	return rc;
}

int
kit_bundle_switch(const char *kit_dir, int version, struct kit_error *err)
{
	char releases[PATH_BYTES], name[32];
	struct stat st;
	int kfd = -1, rfd = -1, rc = -1;

	if (version < 1 || version > 999999999)
		return kit_err(err, KIT_E_INVALID,
			       "kit_bundle_switch: bad arguments (version %d)",
			       version);
	if (open_kit(kit_dir, 0, &kfd, &rfd, releases, sizeof(releases),
		     err) != 0)
		return -1;
	if (kit_snprintf(err, name, sizeof(name), "%d", version) != 0)
		goto out;
	if (fstatat(rfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		kit_err(err, KIT_E_INVALID, "%s/%s is not on disk", releases,
			name);
		goto out;
	}
	rc = switch_current(kfd, kit_dir, version, err);
out:
	if (rfd >= 0)
		close(rfd);
	if (kfd >= 0)
		close(kfd);
	return rc;
}

int
kit_bundle_rollback(const char *kit_dir, struct kit_error *err)
{
	char releases[PATH_BYTES];
	int cur = 0, *v = NULL, target = 0, rc = -1, kfd = -1, rfd = -1;
	size_t n = 0, i;
	struct stat st;

	if (lstat(kit_dir, &st) != 0 && errno == ENOENT)
		return kit_err(err, KIT_E_INVALID,
			       "no kit is installed in %s; nothing to roll back",
			       kit_dir);
	if (open_kit(kit_dir, 0, &kfd, &rfd, releases, sizeof(releases),
		     err) != 0)
		return -1;
	if (current_version_at(kfd, "current", kit_dir, &cur, err) != 0)
		goto out;
	if (cur == 0) {
		kit_err(err, KIT_E_INVALID,
			"no kit is installed in %s; nothing to roll back",
			kit_dir);
		goto out;
	}
	if (list_releases(rfd, releases, &v, &n, err) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i] < cur) {
			target = v[i];
			break;
		}
	if (!target) {
		kit_err(err, KIT_E_INVALID,
			"%s has no release older than version %d to roll back to",
			kit_dir, cur);
		goto out;
	}
	/* Releases share unchanged files (hard links): an edit in one may
	 * have changed this one since it was verified.  Only a release that
	 * still is what its manifest says is switched to. */
	if (kit_bundle_verify_release(kit_dir, target, NULL, NULL, NULL, NULL,
				      err) != 0) {
		if (err->code == KIT_E_SECURITY) {
			kit_err_clear(err);
			kit_err(err, KIT_E_SECURITY, "release %d of %s differs from its manifest (changed on disk since it was installed), so it is not rolled back to; version %d stays current: run kit-fetch verify to see what changed", target, kit_dir, cur);
		}
		goto out;
	}
	if (switch_current(kfd, kit_dir, target, err) != 0)
		goto out;
	rc = 0;
out:
	free(v);
	if (rfd >= 0)
		close(rfd);
	if (kfd >= 0)
		close(kfd);
	return rc;
}

/* ------------------------------------------------------------------ verify */

struct vfile {
	const char *path;
	int seen;
};

struct vctx {
	const char *root; /* the release directory */
	struct vfile *files;
	size_t n;
	kit_bundle_report_fn report;
	void *arg;
	int problems;
};

static int
vfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vfile *)a)->path,
		      ((const struct vfile *)b)->path);
}

static void
problem(struct vctx *v, enum kit_bundle_problem what, const char *path,
	const char *detail)
{
	v->problems++;
	if (v->report)
		v->report(what, path, detail, v->arg);
}

static struct vfile *
vfind(const struct vctx *v, const char *path)
{
	struct vfile key = {path, 0};

	return v->n ? bsearch(&key, v->files, v->n, sizeof(*v->files),
			      vfile_cmp)
		    : NULL;
}

/* 1 if some manifest file lies under dir/. */
static int
vis_dir(const struct vctx *v, const char *dir)
{
	size_t lo = 0, hi = v->n, dl = strlen(dir);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v->files[mid].path, dir) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->n; lo++) {
		const char *p = v->files[lo].path;

		if (strncmp(p, dir, dl) != 0)
			return 0;
		if (p[dl] == '/')
			return 1;
	}
	return 0;
}

/* Walk the release for extras and non-regular files. */
static int
vwalk(struct vctx *v, const char *rel, struct kit_error *err)
{
	char dir[PATH_BYTES], path[PATH_BYTES], child[PATH_BYTES];
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int rc = -1;

	if (rel[0]) {
		if (kit_path_join(dir, sizeof(dir), v->root, rel, err) != 0)
			return -1;
	} else if (kit_snprintf(err, dir, sizeof(dir), "%s", v->root) != 0) {
		return -1;
	}
	d = opendir(dir);
	if (!d)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open %s",
				     dir);
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rel[0]) {
			if (kit_path_join(child, sizeof(child), rel, de->d_name,
					  err) != 0)
				goto out;
		} else if (kit_snprintf(err, child, sizeof(child), "%s",
					de->d_name) != 0) {
			goto out;
		}
		if (kit_path_join(path, sizeof(path), v->root, child, err) != 0)
			goto out;
		if (lstat(path, &st) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s",
				      path);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!vis_dir(v, child)) {
				problem(v, KIT_BUNDLE_EXTRA, child,
					"directory not in the manifest");
				continue;
			}
			if (vwalk(v, child, err) != 0)
				goto out;
			continue;
		}
		if (strcmp(child, "manifest.json") == 0 && S_ISREG(st.st_mode))
			continue;
		if (vfind(v, child))
			continue; /* checked (and reported) by hashing */
		problem(v, KIT_BUNDLE_EXTRA, child,
			vis_dir(v, child) ? "not a directory"
					  : "not in the manifest");
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", dir);
		goto out;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

int
kit_bundle_verify(const char *kit_dir, kit_bundle_report_fn report,
		  void *arg, struct kit_error *err)
{
	int cur = 0;

	if (kit_bundle_current_version(kit_dir, &cur, err) != 0)
		return -1;
	if (!cur)
		return kit_err(err, KIT_E_INVALID,
			       "no kit is installed in %s; run kit-fetch update",
			       kit_dir);
	return kit_bundle_verify_release(kit_dir, cur, NULL, NULL, report, arg,
					 err);
}

int
kit_bundle_verify_release(const char *kit_dir, int cur,
			  kit_bundle_check_fn check, void *check_arg,
			  kit_bundle_report_fn report, void *arg,
			  struct kit_error *err)
{
	char root[PATH_BYTES], mpath[PATH_BYTES], name[32], path[PATH_BYTES];
	char hex[KIT_SHA256_HEX], detail[200];
	struct kit_manifest *m = NULL;
	size_t i;
	struct vctx v;
	int rc = -1;
	struct stat st;

	memset(&v, 0, sizeof(v));
	v.report = report;
	v.arg = arg;
	if (kit_snprintf(err, name, sizeof(name), "releases/%d", cur) != 0 ||
	    kit_path_join(root, sizeof(root), kit_dir, name, err) != 0 ||
	    kit_path_join(mpath, sizeof(mpath), root, "manifest.json", err) != 0)
		return -1;
	v.root = root;
	m = kit_manifest_load(AT_FDCWD, mpath, err);
	if (!m) {
		/* a manifest that no longer parses is a kit that changed */
		if (err->code == KIT_E_INVALID) {
			err->code = KIT_E_SECURITY;
			kit_err_suffix(err, "run kit-fetch update to reinstall");
		}
		goto out;
	}
	if (check && check(m, check_arg, err) != 0) {
		if (err->code == KIT_E_OK)
			kit_err(err, KIT_E_SECURITY, "%s: refused", mpath);
		kit_err_prefix(err, "%s", mpath);
		goto out;
	}
	v.files = kit_xcalloc(m->n_files + 1, sizeof(*v.files));
	for (i = 0; i < m->n_files; i++)
		v.files[v.n++].path = m->files[i].path;
	if (v.n)
		qsort(v.files, v.n, sizeof(*v.files), vfile_cmp);
	for (i = 0; i < m->n_files; i++) {
		const char *p = m->files[i].path;
		uint64_t size = 0;
		struct kit_error herr = {0};

		if (kit_path_join(path, sizeof(path), root, p, err) != 0)
			goto out;
		if (lstat(path, &st) != 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				kit_err_errno(err, KIT_E_IO, errno,
					      "cannot stat %s", path);
				goto out;
			}
			problem(&v, KIT_BUNDLE_MISSING, p, "missing");
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			problem(&v, KIT_BUNDLE_CHANGED, p,
				"not a regular file");
			continue;
		}
		if (kit_sha256_file(path, hex, &size, &herr) != 0) {
			kit_err_copy(err, &herr);
			goto out;
		}
		if (m->files[i].size != size) {
			snprintf(detail, sizeof(detail),
				 "size %llu, manifest says %llu",
				 (unsigned long long)size,
				 (unsigned long long)m->files[i].size);
			problem(&v, KIT_BUNDLE_CHANGED, p, detail);
			continue;
		}
		if (!kit_hex_equal(hex, m->files[i].sha256)) {
			snprintf(detail, sizeof(detail),
				 "sha256 %s differs from the manifest",
				 hex);
			problem(&v, KIT_BUNDLE_CHANGED, p, detail);
		}
	}
	if (vwalk(&v, "", err) != 0)
		goto out;
	if (v.problems) {
		kit_err(err, KIT_E_SECURITY,
			"%d file(s) of kit %s (release %d) differ from its manifest; run kit-fetch update to reinstall it",
			v.problems, kit_dir, cur);
		goto out;
	}
	rc = 0;
out:
	free(v.files);
	kit_manifest_free(m);
	return rc;
}

/* -------------------------------------------------------- lock and staging */

int
kit_bundle_lock(const char *state_dir, int *fd, struct kit_error *err)
{
	char path[PATH_BYTES], pid[32];
	struct flock fl;
	int f = -1, n;

	*fd = -1;
	if (kit_path_join(path, sizeof(path), state_dir, "lock", err) != 0)
		return -1;
	/* never through a link, nor a second name of a file elsewhere: the
	 * pid is written into it */
	f = kit_file_open_write(AT_FDCWD, path, O_RDWR | O_CREAT, 0644, err);
	if (f < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(f, F_SETLK, &fl) != 0) {
		int e = errno;
		long holder = 0;

		if (e == EACCES || e == EAGAIN) {
			memset(&fl, 0, sizeof(fl));
			fl.l_type = F_WRLCK;
			fl.l_whence = SEEK_SET;
			if (fcntl(f, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
				holder = (long)fl.l_pid;
			close(f);
			return kit_err(err, KIT_E_IO,
				       "another kit-fetch is running (pid %ld) holding %s; wait for it to finish",
				       holder, path);
		}
		close(f);
		return kit_err_errno(err, KIT_E_IO, e, "cannot lock %s", path);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
		int e = errno;

		close(f);
		return kit_err_errno(err, KIT_E_IO, e, "cannot write %s", path);
	}
	*fd = f;
	return 0;
}

void
kit_bundle_unlock(int fd)
{
	struct flock fl;

	if (fd < 0)
		return;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(fd, F_SETLK, &fl);
	close(fd);
}

int
kit_bundle_clean_staging(const char *state_dir, struct kit_error *err)
{
	char dir[PATH_BYTES];
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int fd = -1, rc = -1;

	if (kit_path_join(dir, sizeof(dir), state_dir, "staging", err) != 0)
		return -1;
	if (lstat(dir, &st) != 0 && errno == ENOENT)
		return 0;
	/* staging itself must be ours and not a link (else this would
	 * empty the directory it points to), and nothing below it is
	 * traversed through a link */
	fd = kit_dir_open_owned(AT_FDCWD, dir, 0, dir, err);
	if (fd < 0)
		return -1;
	d = kit_dir_list(fd, dir, err);
	if (d == NULL)
		goto out;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (kit_rm_rf_at(fd, de->d_name, dir, err) != 0)
			goto out;
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", dir);
		goto out;
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	close(fd);
	return rc;
}
