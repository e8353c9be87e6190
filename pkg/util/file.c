/* file.c: capped reads, atomic writes, directories. */
/* syncfs() (Linux) makes a batch of files durable at once
 * (kit_file_defer_end()). */
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

#include "kit_util.h"

#define COPY_BLOCK (256 * 1024)

int
kit_file_read(const char *path, size_t max, unsigned char **out, size_t *len,
	      struct kit_error *err)
{
	return kit_file_read_at(AT_FDCWD, path, max, out, len, err);
}

int
kit_file_read_at(int dirfd, const char *path, size_t max, unsigned char **out,
		 size_t *len, struct kit_error *err)
{
	int fd, rc;

	*out = NULL;
	if (len)
		*len = 0;
	fd = kit_file_open_read(dirfd, path, NULL, err);
	if (fd < 0)
		return -1;
	rc = kit_fd_read_all(fd, path, max, out, len, err);
	close(fd);
	return rc;
}

int
kit_fd_read_all(int fd, const char *shown, size_t max, unsigned char **out,
		size_t *len, struct kit_error *err)
{
	int rc = -1;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	struct stat st;

	*out = NULL;
	if (len)
		*len = 0;
	if (fstat(fd, &st) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot stat %s",
				     shown);
	if ((uint64_t)st.st_size > max)
		return kit_err(err, KIT_E_SECURITY,
			       "%s is %lld bytes, larger than the %zu allowed",
			       shown, (long long)st.st_size, max);
	/* room for the file, one byte more to notice growth, and the NUL */
	cap = (size_t)st.st_size + 2;
	buf = kit_xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap > max / 2 ? max + 2 : cap * 2;
			buf = kit_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				      shown);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			kit_err(err, KIT_E_SECURITY,
				"%s grew past the %zu bytes allowed", shown, max);
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
	rc = 0;
out:
	free(buf);
	return rc;
}

int
kit_fd_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Between kit_file_defer_begin() and kit_file_defer_end(): files are
 * still written atomically, but made durable once, at the end. */
static int defer_sync;

void
kit_file_defer_begin(void)
{
	defer_sync++;
}

int
kit_file_defer_end(const char *dir, struct kit_error *err)
{
	int fd, rc = 0;

	if (defer_sync > 0)
		defer_sync--;
	if (defer_sync > 0)
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", dir);
	if (syncfs(fd) != 0)
		rc = kit_err_errno(err, KIT_E_IO, errno, "cannot sync the file system of %s", dir);
	close(fd);
	return rc;
}

int
kit_fd_sync(int fd)
{
	return defer_sync > 0 ? 0 : fsync(fd);
}

int
kit_fsync_path(const char *path, struct kit_error *err)
{
	int fd;

	if (defer_sync > 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open %s",
				     path);
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return kit_err_errno(err, KIT_E_IO, e, "cannot sync %s", path);
	}
	close(fd);
	return 0;
}

int
kit_fsync_parent(const char *path, struct kit_error *err)
{
	char dir[PATH_MAX];
	char *slash;

	if (kit_snprintf(err, dir, sizeof(dir), "%s", path) != 0)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return kit_fsync_path(".", err);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return kit_fsync_path(dir, err);
}

static int
write_file(const char *path, int flags, const void *buf, size_t len,
	   mode_t mode, struct kit_error *err)
{
	int fd;

	fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot create %s",
				     path);
	if (kit_fd_write_all(fd, buf, len) != 0 || kit_fd_sync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return kit_err_errno(err, KIT_E_IO, e, "cannot write %s", path);
	}
	if (close(fd) != 0) {
		int e = errno;

		unlink(path);
		return kit_err_errno(err, KIT_E_IO, e, "cannot write %s", path);
	}
	return 0;
}

int
kit_file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct kit_error *err)
{
	char tmp[PATH_MAX];

	if (kit_snprintf(err, tmp, sizeof(tmp), "%s.tmp.%ld", path,
			 (long)getpid()) != 0)
		return -1;
	unlink(tmp);
	if (write_file(tmp, O_EXCL, buf, len, mode, err) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return kit_err_errno(err, KIT_E_IO, e, "cannot rename %s to %s",
				     tmp, path);
	}
	return kit_fsync_parent(path, err);
}

int
kit_file_write_excl(const char *path, const void *buf, size_t len,
		    mode_t mode, struct kit_error *err)
{
	if (write_file(path, O_EXCL, buf, len, mode, err) != 0)
		return -1;
	return kit_fsync_parent(path, err);
}

int
kit_file_copy(const char *src, const char *dst, mode_t mode,
	      struct kit_error *err)
{
	char tmp[PATH_MAX];
	int in = -1, out = -1, rc = -1;
	unsigned char *buf = NULL;
	ssize_t r;

	if (kit_snprintf(err, tmp, sizeof(tmp), "%s.tmp.%ld", dst,
			 (long)getpid()) != 0)
		return -1;
	in = kit_file_open_read(AT_FDCWD, src, NULL, err);
	if (in < 0)
		goto out;
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		   mode);
	if (out < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s", tmp);
		goto out;
	}
	buf = kit_xmalloc(COPY_BLOCK);
	for (;;) {
		r = read(in, buf, COPY_BLOCK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				      src);
			goto out;
		}
		if (r == 0)
			break;
		if (kit_fd_write_all(out, buf, (size_t)r) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot write %s",
				      tmp);
			goto out;
		}
	}
	if (kit_fd_sync(out) != 0 || close(out) != 0) {
		out = -1;
		kit_err_errno(err, KIT_E_IO, errno, "cannot write %s", tmp);
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s to %s",
			      tmp, dst);
		goto out;
	}
	if (kit_fsync_parent(dst, err) != 0)
		goto out;
	rc = 0;
out:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
kit_file_stream(const char *path,
		void (*fn)(void *arg, const void *p, size_t n), void *arg,
		uint64_t *len, struct kit_error *err)
{
	return kit_file_stream_at(AT_FDCWD, path, fn, arg, len, err);
}

int
kit_file_stream_at(int dirfd, const char *path,
		   void (*fn)(void *arg, const void *p, size_t n), void *arg,
		   uint64_t *len, struct kit_error *err)
{
	unsigned char *buf = NULL;
	uint64_t total = 0;
	ssize_t r;
	int fd, rc = -1;

	fd = kit_file_open_read(dirfd, path, NULL, err);
	if (fd < 0)
		return -1;
	buf = kit_xmalloc(COPY_BLOCK * 4);
	for (;;) {
		r = read(fd, buf, COPY_BLOCK * 4);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot read %s",
				      path);
			goto out;
		}
		if (r == 0)
			break;
		fn(arg, buf, (size_t)r);
		total += (uint64_t)r;
	}
	if (len)
		*len = total;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int
kit_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
kit_dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
kit_mkdir_p(const char *path, mode_t mode, struct kit_error *err)
{
	char buf[PATH_MAX];
	char *p;

	if (kit_snprintf(err, buf, sizeof(buf), "%s", path) != 0)
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return kit_err_errno(err, KIT_E_IO, errno,
					     "cannot create directory %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "cannot create directory %s", buf);
	if (!kit_dir_exists(buf))
		return kit_err(err, KIT_E_IO, "%s exists and is not a directory",
			       buf);
	return 0;
}

int
kit_path_join(char *out, size_t size, const char *a, const char *b,
	      struct kit_error *err)
{
	size_t la = strlen(a);

	if (la > 0 && a[la - 1] == '/')
		return kit_snprintf(err, out, size, "%s%s", a, b);
	return kit_snprintf(err, out, size, "%s/%s", a, b);
}

int
kit_path_is_safe(const char *rel)
{
	const char *p = rel, *slash;
	size_t n;

	if (rel[0] == '\0' || rel[0] == '/' || strchr(rel, '\\') != NULL)
		return 0;
	if (!kit_utf8_valid(rel, strlen(rel)) || strpbrk(rel, "\t\r\n"))
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}
