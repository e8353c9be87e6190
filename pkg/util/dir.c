/*
 * dir.c: directories where someone else may have planted links (a state
 * directory, removable media, a campaign directory).  Open the top once,
 * walk below it without following a link at any step, check who may write
 * into what we write into, and remove trees without traversing a link.
 */
/* X/Open for realpath() and S_ISVTX (the sticky bit of /tmp). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_util.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
/* kit_rm_rf_at() holds one descriptor per level. */
#define RM_DEPTH_MAX 256
/* Passes over a directory whose entries change while it is emptied. */
#define RM_PASSES 4

int
kit_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *slash;
	int fd = dirfd, next, e;
	size_t n;

	if (!kit_path_is_safe(rel)) {
		errno = EINVAL;
		return -1;
	}
	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n > NAME_MAX) {
			e = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		/* O_NOFOLLOW|O_DIRECTORY: a link here is ENOTDIR, never
		 * walked through */
		next = openat(fd, comp, DIR_FLAGS);
		if (next < 0) {
			e = errno;
			goto fail;
		}
		if (fd != dirfd)
			close(fd);
		fd = next;
		p = slash + 1;
	}
	next = openat(fd, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	e = errno;
	if (fd != dirfd)
		close(fd);
	errno = e;
	return next;
fail:
	if (fd != dirfd)
		close(fd);
	errno = e;
	return -1;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* Why opening path failed, in words; a link met on the way is named. */
static int
open_failed(struct kit_error *err, int e, const char *path)
{
	if (e == ELOOP)
		return kit_err(err, KIT_E_IO,
			       "refusing %s: it is a symbolic link, and links are not followed here; put the file itself there",
			       path);
	if (e == ENOTDIR)
		return kit_err(err, KIT_E_IO,
			       "refusing %s: a directory on its way is a symbolic link or a file, and links are not followed here; put the real directory there",
			       path);
	return kit_err_errno(err, KIT_E_IO, e, "cannot open %s", path);
}

/* Open path (see kit_file_open_read) with flags, only a regular file:
 * O_NONBLOCK, so that opening a FIFO does not wait for its other end. */
static int
open_regular(int dirfd, const char *path, int flags, mode_t mode,
	     struct stat *sb, const char *advice, struct kit_error *err)
{
	int fd, e;

	flags |= O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC;
	if (dirfd == AT_FDCWD)
		fd = open(path, flags, mode);
	else
		fd = kit_openat_beneath(dirfd, path, flags, mode);
	if (fd < 0) {
		e = errno;
		open_failed(err, e, path);
		goto fail;
	}
	if (fstat(fd, sb) != 0) {
		e = errno;
		kit_err_errno(err, KIT_E_IO, e, "cannot stat %s", path);
		goto fail;
	}
	if (!S_ISREG(sb->st_mode)) {
		e = EINVAL;
		kit_err(err, KIT_E_IO,
			"refusing %s: it is %s, not a regular file; %s", path,
			kind_of(sb->st_mode), advice);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	errno = e; /* why, for callers that tell refusals apart */
	return -1;
}

int
kit_file_open_read(int dirfd, const char *path, struct stat *st,
		   struct kit_error *err)
{
	struct stat sb;
	int fd;

	fd = open_regular(dirfd, path, O_RDONLY, 0, &sb,
			  "put the file itself there", err);
	if (fd < 0)
		return -1;
	/* blocking reads again (O_RDONLY is 0: the only flag left) */
	if (fcntl(fd, F_SETFL, 0) != 0) {
		int e = errno;

		kit_err_errno(err, KIT_E_IO, e, "cannot read %s", path);
		close(fd);
		errno = e;
		return -1;
	}
	if (st)
		*st = sb;
	return fd;
}

int
kit_file_open_write(int dirfd, const char *path, int flags, mode_t mode,
		    struct kit_error *err)
{
	struct stat sb;
	int fd, trunc = flags & O_TRUNC;

	/* O_TRUNC only once we know what we opened */
	fd = open_regular(dirfd, path, flags & ~O_TRUNC, mode, &sb,
			  "remove it", err);
	if (fd < 0)
		return -1;
	if (sb.st_nlink != 1) {
		kit_err(err, KIT_E_IO,
			"refusing %s: it has %ld hard links, and another may be a file outside this directory; remove it",
			path, (long)sb.st_nlink);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		kit_err(err, KIT_E_IO,
			"refusing %s: it belongs to uid %ld, not to this user (uid %ld); remove it",
			path, (long)sb.st_uid, (long)geteuid());
		goto fail;
	}
	if (fcntl(fd, F_SETFL, flags & O_APPEND) != 0 ||
	    (trunc && ftruncate(fd, 0) != 0)) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot write %s", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

DIR *
kit_dir_list(int dirfd, const char *shown, struct kit_error *err)
{
	/* a description of its own: reading it leaves dirfd's offset */
	int fd = openat(dirfd, ".", DIR_FLAGS);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", shown);
		if (fd >= 0)
			close(fd);
	}
	return d;
}

/* Ours to write into: owned by this user, writable by nobody else. */
static int
dir_is_ours(const struct stat *st, const char *shown, struct kit_error *err)
{
	if (st->st_uid != geteuid())
		return kit_err(err, KIT_E_IO,
			       "refusing %s: it belongs to uid %ld, not to this user (uid %ld), and its owner could plant links in it; chown it to this user or run as its owner",
			       shown, (long)st->st_uid, (long)geteuid());
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return kit_err(err, KIT_E_IO,
			       "refusing %s: it is writable by %s (mode %04o), who could plant links in it; run 'chmod go-w %s'",
			       shown,
			       (st->st_mode & S_IWOTH) ? "everyone" : "its group",
			       (unsigned)(st->st_mode & 07777), shown);
	return 0;
}

/* What is at name instead of a directory we could open without a link. */
static int
not_a_dir(int dirfd, const char *name, int e, const char *shown,
	  struct kit_error *err)
{
	struct stat st;

	if ((e == ENOTDIR || e == ELOOP) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return kit_err(err, KIT_E_IO,
			       "refusing %s: it is %s, not a directory, and is never followed; remove it",
			       shown, kind_of(st.st_mode));
	return open_failed(err, e, shown);
}

int
kit_dir_open_owned(int dirfd, const char *name, int create,
		   const char *shown, struct kit_error *err)
{
	struct stat st;
	int fd;

	if (create && mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot create directory %s", shown);
	fd = openat(dirfd, name, DIR_FLAGS);
	if (fd < 0)
		return not_a_dir(dirfd, name, errno, shown, err);
	if (fstat(fd, &st) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s", shown);
		goto fail;
	}
	if (dir_is_ours(&st, shown, err) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Every directory above canon (an absolute path without links): owned by
 * root or by us, and not writable by anyone else unless sticky (/tmp), so
 * nobody else can move the path somewhere else while we use it.
 */
static int
ancestors_safe(const char *canon, const char *shown, struct kit_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	if (kit_snprintf(err, path, sizeof(path), "%s", canon) != 0)
		return -1;
	while ((slash = strrchr(path, '/')) != NULL) {
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (lstat(path, &st) != 0)
			return kit_err_errno(err, KIT_E_IO, errno,
					     "cannot stat %s", path);
		if (!S_ISDIR(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != geteuid()))
			return kit_err(err, KIT_E_IO,
				       "refusing %s: %s above it belongs to uid %ld, who could move it elsewhere; keep it under directories of root or of this user",
				       shown, path, (long)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX))
			return kit_err(err, KIT_E_IO,
				       "refusing %s: %s above it is writable by others (mode %04o), who could move it elsewhere; run 'chmod go-w %s' or keep it elsewhere",
				       shown, path,
				       (unsigned)(st.st_mode & 07777), path);
		if (slash == path)
			break;
	}
	return 0;
}

int
kit_dir_open_top(const char *path, int create, int writer, char **canon,
		 struct kit_error *err)
{
	struct stat st, cst;
	char *real = NULL;
	int fd = -1;

	*canon = NULL;
	if (create && kit_mkdir_p(path, 0755, err) != 0)
		return -1;
	fd = open(path, DIR_FLAGS);
	if (fd < 0) {
		if (errno == ENOENT)
			return kit_err(err, KIT_E_IO, "%s does not exist",
				       path);
		return not_a_dir(AT_FDCWD, path, errno, path, err);
	}
	if (fstat(fd, &st) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s", path);
		goto fail;
	}
	real = realpath(path, NULL);
	if (real == NULL) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot resolve %s", path);
		goto fail;
	}
	/* the name we opened and the one we will use are one directory */
	if (lstat(real, &cst) != 0 || cst.st_dev != st.st_dev ||
	    cst.st_ino != st.st_ino) {
		kit_err(err, KIT_E_IO, "%s changed while it was opened", path);
		goto fail;
	}
	if (writer && (dir_is_ours(&st, path, err) != 0 ||
		       ancestors_safe(real, path, err) != 0))
		goto fail;
	*canon = real;
	return fd;
fail:
	free(real);
	close(fd);
	return -1;
}

/* "cannot <what> <shown>", or "... <name> in <shown>" below the top. */
static int
rm_failed(struct kit_error *err, int e, const char *what, const char *name,
	  const char *shown, int depth)
{
	if (depth == 0)
		return kit_err_errno(err, KIT_E_IO, e, "cannot %s %s", what,
				     shown);
	return kit_err_errno(err, KIT_E_IO, e, "cannot %s %s in %s", what,
			     name, shown);
}

static int
rm_at(int at, const char *name, const char *shown, int depth,
      struct kit_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	int fd, pass, rc = -1;

	/* a file or a link goes in one call; a link is never followed */
	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return rm_failed(err, errno, "remove", name, shown, depth);
	if (depth >= RM_DEPTH_MAX)
		return kit_err(err, KIT_E_IO,
			       "cannot remove %s: nested more than %d levels deep; remove it by hand",
			       shown, RM_DEPTH_MAX);
	fd = openat(at, name, DIR_FLAGS);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return rm_failed(err, errno, "open", name, shown, depth);
	}
	d = fdopendir(fd);
	if (d == NULL) {
		int e = errno;

		close(fd);
		return rm_failed(err, e, "open", name, shown, depth);
	}
	for (pass = 0; pass < RM_PASSES; pass++) {
		if (pass > 0)
			rewinddir(d);
		for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (rm_at(dirfd(d), de->d_name, shown, depth + 1,
				  err) != 0)
				goto out;
		}
		if (errno != 0) {
			rm_failed(err, errno, "read", name, shown, depth);
			goto out;
		}
		if (unlinkat(at, name, AT_REMOVEDIR) == 0 ||
		    errno == ENOENT) {
			rc = 0;
			goto out;
		}
		if (errno != ENOTEMPTY && errno != EEXIST)
			break;
	}
	rm_failed(err, errno, "remove", name, shown, depth);
out:
	closedir(d);
	return rc;
}

int
kit_rm_rf_at(int at, const char *name, const char *shown,
	     struct kit_error *err)
{
	return rm_at(at, name, shown, 0, err);
}

int
kit_rm_rf(const char *path, struct kit_error *err)
{
	return rm_at(AT_FDCWD, path, path, 0, err);
}
