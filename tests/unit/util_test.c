/* util_test.c: errors, files, time and zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kit_util.h"

static void
test_error_first_wins(void **state)
{
	struct kit_error err = {0};

	(void)state;
	assert_int_equal(kit_err(&err, KIT_E_SECURITY, "deep %d", 1), -1);
	assert_int_equal(kit_err(&err, KIT_E_IO, "shallow"), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	kit_err_prefix(&err, "fetching %s", "x");
	assert_string_equal(err.msg, "fetching x: deep 1");
	assert_int_equal(kit_err_exit_code(&err), 3);
	kit_err_clear(&err);
	assert_int_equal(kit_err_exit_code(&err), 0);
	err.code = KIT_E_IO;
	assert_int_equal(kit_err_exit_code(&err), 5);
	err.code = KIT_E_NETWORK;
	assert_int_equal(kit_err_exit_code(&err), 4);
	err.code = KIT_E_USAGE;
	assert_int_equal(kit_err_exit_code(&err), 2);
}

/* The one failure report of every program: one sanitised line, the exit
 * code of the class, and never exit 0 for a failure nobody explained. */
static int
report(const struct kit_error *err, char *out, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int code;

	assert_non_null(f);
	code = kit_err_report("kit-test", err, f);
	fclose(f);
	snprintf(out, size, "%s", text);
	free(text);
	return code;
}

static void
test_error_report(void **state)
{
	struct kit_error err = {0}, dst = {0};
	char out[1024];

	(void)state;
	assert_int_equal(report(&err, out, sizeof(out)), 1);
	assert_string_equal(out, "kit-test: internal error: a step failed without saying why; please report it\n");
	assert_int_equal(report(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "internal error"));
	err.code = KIT_E_IO; /* a class without a message */
	assert_int_equal(report(&err, out, sizeof(out)), 5);
	assert_non_null(strstr(out, "kit-test: internal error"));
	kit_err_clear(&err);
	kit_err(&err, KIT_E_SECURITY, "target \x1b]0;x\x07 two\nlines \xff");
	assert_int_equal(report(&err, out, sizeof(out)), 3);
	assert_string_equal(out, "kit-test: target ?]0;x? two?lines ?\n");
	/* the copy helper: unset becomes internal, set passes as it is */
	kit_err_clear(&err);
	assert_int_equal(kit_err_copy(&dst, &err), -1);
	assert_int_equal(dst.code, KIT_E_INVALID);
	assert_non_null(strstr(dst.msg, "internal error"));
	kit_err_clear(&dst);
	kit_err(&err, KIT_E_NETWORK, "mirror %s: timed out", "m1");
	assert_int_equal(kit_err_copy(&dst, &err), -1);
	assert_int_equal(dst.code, KIT_E_NETWORK);
	assert_string_equal(dst.msg, "mirror m1: timed out");
	assert_int_equal(kit_err_copy(&dst, NULL), -1);
	assert_int_equal(dst.code, KIT_E_NETWORK); /* the first error wins */
	/* what to do, appended where only the caller knows it */
	kit_err_suffix(&dst, "try mirror %d", 2);
	assert_string_equal(dst.msg, "mirror m1: timed out; try mirror 2");
	kit_err_clear(&err);
	kit_err_suffix(&err, "nothing to add to");
	assert_int_equal(err.code, KIT_E_OK);
	assert_string_equal(err.msg, "");
	/* usage errors leave the same way */
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_int_equal(kit_err_report_usage("kit-test", f, "--keep takes %d to %d", 1, 100), 2);
		fclose(f);
		assert_string_equal(text, "kit-test: --keep takes 1 to 100; see 'kit-test --help'\n");
		free(text);
	}
}

static void
test_prefix_long(void **state)
{
	struct kit_error err = {0};
	char big[600];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kit_err(&err, KIT_E_INVALID, "%s", big);
	kit_err_prefix(&err, "ctx");
	assert_true(strlen(err.msg) == sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "ctx: aaa", 8);
}

static void
test_time_parse(void **state)
{
	struct kit_error err = {0};
	int64_t t;
	int off;
	char buf[32];

	(void)state;
	assert_int_equal(kit_time_parse("2016-12-15T09:00:00+01:00", &t, &off, &err), 0);
	assert_true(off);
	kit_time_format_utc(t, buf, sizeof(buf));
	assert_string_equal(buf, "2016-12-15T08:00:00Z");
	assert_int_equal(kit_time_parse("2016-12-15T09:00:00", &t, &off, &err), 0);
	assert_false(off);
	assert_int_equal(t, 1481792400);
	assert_int_equal(kit_time_parse("1969-12-31T23:59:59.5Z", &t, &off, &err), 0);
	assert_int_equal(t, -1);
	kit_time_format_utc(951782400, buf, sizeof(buf));
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	static const char *bad[] = {"2016-02-30T00:00:00Z", "2016-12-15 9:00",
				    "2016-12-15T09:00:00+1", "x", "2016-13-01T00:00:00Z",
				    "2016-12-15T09:00:00Zjunk"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kit_err_clear(&err);
		assert_int_equal(kit_time_parse(bad[i], &t, &off, &err), -1);
		assert_int_equal(err.code, KIT_E_INVALID);
	}
}

static void
test_zones(void **state)
{
	struct kit_error err = {0};
	int64_t f, t;
	int off;
	struct tm tm;
	long gmtoff;
	char abbr[16], buf[32];

	(void)state;
	assert_true(kit_tz_valid("Europe/Budapest"));
	assert_true(kit_tz_valid("Asia/Ashgabat"));
	assert_false(kit_tz_valid("Mars/Olympus"));
	assert_false(kit_tz_valid("../../etc/passwd"));
	assert_false(kit_tz_valid("/etc/localtime"));
	/* winter: +01:00 */
	assert_int_equal(kit_time_parse("2016-12-15T09:00:00", &f, &off, &err), 0);
	assert_int_equal(kit_tz_local_to_utc("Europe/Budapest", f, &t, &err), 0);
	kit_time_format_utc(t, buf, sizeof(buf));
	assert_string_equal(buf, "2016-12-15T08:00:00Z");
	assert_int_equal(kit_tz_local_to_utc("Asia/Ashgabat", f, &t, &err), 0);
	kit_time_format_utc(t, buf, sizeof(buf));
	assert_string_equal(buf, "2016-12-15T04:00:00Z");
	/* spring forward: 02:30 does not exist in Budapest on 2021-03-28 */
	assert_int_equal(kit_time_parse("2021-03-28T02:30:00", &f, &off, &err), 0);
	assert_int_equal(kit_tz_local_to_utc("Europe/Budapest", f, &t, &err), 0);
	kit_time_format_utc(t, buf, sizeof(buf));
	assert_string_equal(buf, "2021-03-28T01:30:00Z");
	/* fall back: 02:30 happens twice on 2021-10-31; the first is CEST */
	assert_int_equal(kit_time_parse("2021-10-31T02:30:00", &f, &off, &err), 0);
	assert_int_equal(kit_tz_local_to_utc("Europe/Budapest", f, &t, &err), 0);
	kit_time_format_utc(t, buf, sizeof(buf));
	assert_string_equal(buf, "2021-10-31T00:30:00Z");
	assert_int_equal(kit_tz_utc_to_local("Europe/Budapest", t, &tm, &gmtoff,
					     abbr, sizeof(abbr), &err),
			 0);
	assert_int_equal(gmtoff, 7200);
	assert_string_equal(abbr, "CEST");
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(kit_tz_local_to_utc("Nowhere/Zone", f, &t, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
}

static void
test_now_override(void **state)
{
	(void)state;
	setenv("KIT_TEST_NOW", "2030-01-01T00:00:00Z", 1);
	assert_int_equal(kit_time_now(), 1893456000);
	unsetenv("KIT_TEST_NOW");
	assert_true(kit_time_now() > 1893456000 - 10LL * 365 * 86400);
}

static void
test_duration(void **state)
{
	struct kit_error err = {0};
	int64_t s;

	(void)state;
	assert_int_equal(kit_duration_parse("90d", &s, &err), 0);
	assert_int_equal(s, 90 * 86400);
	assert_int_equal(kit_duration_parse("-1h", &s, &err), 0);
	assert_int_equal(s, -3600);
	assert_int_equal(kit_duration_parse("12", &s, &err), -1);
	assert_int_equal(err.code, KIT_E_USAGE);
}

static void
test_paths(void **state)
{
	(void)state;
	assert_true(kit_path_is_safe("statements/a.md"));
	assert_false(kit_path_is_safe("../x"));
	assert_false(kit_path_is_safe("a/../../x"));
	assert_false(kit_path_is_safe("/etc/passwd"));
	assert_false(kit_path_is_safe("a//b"));
	assert_false(kit_path_is_safe("a/./b"));
	assert_false(kit_path_is_safe("a\\b"));
	assert_false(kit_path_is_safe(""));
	assert_false(kit_path_is_safe("bad\xff"));
}

static void
test_files(void **state)
{
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-util-XXXXXX", p[512], q[512];
	unsigned char *data = NULL;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	assert_int_equal(kit_mkdir_p(p, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/a/f", dir);
	assert_int_equal(kit_file_write_atomic(p, "hello", 5, 0644, &err), 0);
	assert_int_equal(kit_file_read(p, 5, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal((char *)data, "hello");
	free(data);
	/* over the cap: refused as a security matter (endless data) */
	assert_int_equal(kit_file_read(p, 4, &data, &len, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_null(data);
	kit_err_clear(&err);
	assert_int_equal(kit_file_write_excl(p, "x", 1, 0600, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	kit_err_clear(&err);
	/* a symlink is not followed */
	snprintf(q, sizeof(q), "%s/link", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(kit_file_read(q, 100, &data, &len, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	kit_err_clear(&err);
	snprintf(q, sizeof(q), "%s/copy", dir);
	if (kit_file_copy(p, q, 0644, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(kit_file_exists(q));
	assert_int_equal(kit_rm_rf(dir, &err), 0);
	assert_false(kit_dir_exists(dir));
}

static void
put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	struct kit_error err = {0};

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (kit_file_write_atomic(p, text, strlen(text), 0644, &err) != 0)
		fail_msg("%s", err.msg);
}

/* Walking below an opened directory never goes through a link, opening a
 * FIFO never blocks, a second link to a file is never written through,
 * and removal never traverses a link. */
static void
test_no_links(void **state)
{
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-util-XXXXXX", p[512], q[512];
	unsigned char *data = NULL;
	char *canon = NULL;
	size_t len;
	int dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/in/sub", dir);
	assert_int_equal(kit_mkdir_p(p, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/out", dir);
	assert_int_equal(kit_mkdir_p(p, 0755, &err), 0);
	put(dir, "in/sub/f", "inside");
	put(dir, "out/secret", "outside");
	snprintf(p, sizeof(p), "%s/in", dir);
	dfd = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	snprintf(p, sizeof(p), "%s/in/l", dir);
	assert_int_equal(symlink("../out", p), 0);
	snprintf(p, sizeof(p), "%s/in/sub/lf", dir);
	assert_int_equal(symlink("../../out/secret", p), 0);

	fd = kit_openat_beneath(dfd, "sub/f", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	/* a link as a directory on the way, or as the file itself */
	assert_int_equal(kit_openat_beneath(dfd, "l/secret", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(kit_openat_beneath(dfd, "sub/lf", O_RDONLY, 0), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(kit_openat_beneath(dfd, "../out/secret", O_RDONLY, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(kit_file_read_at(dfd, "sub/f", 100, &data, &len, &err), 0);
	assert_string_equal((char *)data, "inside");
	free(data);
	assert_int_equal(kit_file_read_at(dfd, "l/secret", 100, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "symbolic link"));
	kit_err_clear(&err);

	/* a FIFO is refused at once, not waited on */
	snprintf(p, sizeof(p), "%s/in/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(kit_file_read(p, 100, &data, &len, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	assert_non_null(strstr(err.msg, "a FIFO, not a regular file"));
	kit_err_clear(&err);

	/* a hard link to a file elsewhere is not written, nor truncated */
	snprintf(p, sizeof(p), "%s/out/secret", dir);
	snprintf(q, sizeof(q), "%s/in/part", dir);
	assert_int_equal(link(p, q), 0);
	assert_int_equal(kit_file_open_write(AT_FDCWD, q, O_RDWR | O_CREAT | O_TRUNC, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "2 hard links"));
	kit_err_clear(&err);
	assert_int_equal(kit_file_read(p, 100, &data, &len, &err), 0);
	assert_string_equal((char *)data, "outside");
	free(data);
	assert_int_equal(unlink(q), 0);
	fd = kit_file_open_write(AT_FDCWD, q, O_WRONLY | O_CREAT | O_TRUNC, 0644, &err);
	assert_true(fd >= 0);
	close(fd);

	/* directories of ours only, never a link */
	assert_int_equal(kit_dir_open_owned(dfd, "l", 0, "in/l", &err), -1);
	assert_non_null(strstr(err.msg, "refusing in/l: it is a symbolic link"));
	kit_err_clear(&err);
	fd = kit_dir_open_owned(dfd, "sub", 0, "in/sub", &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/in/sub", dir);
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(kit_dir_open_owned(dfd, "sub", 0, "in/sub", &err), -1);
	assert_non_null(strstr(err.msg, "writable by everyone"));
	kit_err_clear(&err);
	assert_int_equal(chmod(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/in/l", dir);
	assert_int_equal(kit_dir_open_top(p, 0, 0, &canon, &err), -1);
	assert_null(canon);
	kit_err_clear(&err);
	snprintf(p, sizeof(p), "%s/in/sub/", dir);
	fd = kit_dir_open_top(p, 0, 1, &canon, &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/in/sub", dir);
	assert_string_equal(canon, p);
	free(canon);

	/* removal: links go, what they point to stays */
	snprintf(p, sizeof(p), "%s/in/sub/deeper", dir);
	assert_int_equal(kit_mkdir_p(p, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/in/sub/deeper/l", dir);
	assert_int_equal(symlink("../../../out", p), 0);
	assert_int_equal(kit_rm_rf_at(dfd, "l", "in/l", &err), 0);
	assert_int_equal(kit_rm_rf_at(dfd, "sub", "in/sub", &err), 0);
	assert_int_equal(kit_rm_rf_at(dfd, "sub", "in/sub", &err), 0); /* gone */
	snprintf(p, sizeof(p), "%s/out/secret", dir);
	assert_true(kit_file_exists(p));
	snprintf(p, sizeof(p), "%s/in/sub", dir);
	assert_false(kit_dir_exists(p));
	close(dfd);
	assert_int_equal(kit_rm_rf(dir, &err), 0);
	assert_false(kit_dir_exists(dir));
}

static void
test_buf_and_utf8(void **state)
{
	struct kit_error err = {0};
	struct kit_buf b;
	char out[64];

	(void)state;
	kit_buf_init(&b, 8);
	assert_int_equal(kit_buf_append(&b, "1234", 4, &err), 0);
	assert_int_equal(kit_buf_printf(&b, &err, "%d", 5678), 0);
	assert_string_equal((char *)b.data, "12345678");
	assert_int_equal(kit_buf_append(&b, "9", 1, &err), -1);
	kit_buf_free(&b);
	assert_true(kit_utf8_valid("Köszönjük 日本", strlen("Köszönjük 日本")));
	assert_false(kit_utf8_valid("\xc0\xaf", 2));     /* overlong */
	assert_false(kit_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(kit_utf8_valid("a\x1b[2J", 5));     /* escape */
	assert_true(kit_utf8_valid("a\r\nb", 4));        /* CR LF */
	assert_false(kit_utf8_valid("a\rb", 3));         /* a lone CR */
	assert_false(kit_utf8_valid("a\r", 2));
	kit_str_sanitize("a\x1b[2Jb\xff", out, sizeof(out));
	assert_string_equal(out, "a?[2Jb?");
	/* what Jansson quotes of the input stays out */
	{
		char big[64];

		kit_json_reason("'[' or '{' expected near 'SECRET'", big,
				sizeof(big));
		assert_string_equal(big, "'[' or '{' expected");
		kit_json_reason("end of file expected", big, sizeof(big));
		assert_string_equal(big, "end of file expected");
	}
	/* C1 (CSI U+009B, NEL U+0085), bidi overrides and isolates, U+2028 */
	kit_str_sanitize("a\xc2\x9b"
			 "2Jb\xc2\x85"
			 "c\xe2\x80\xae"
			 "gpj.exe\xe2\x81\xa6"
			 "d\xe2\x81\xa9"
			 "e\xe2\x80\xaa"
			 "f\xe2\x80\xa8"
			 "g",
			 out, sizeof(out));
	assert_string_equal(out, "a?2Jb?c?gpj.exe?d?e?f?g");
	/* neighbours stay: U+00A0, U+00E9, U+2027, U+202F, U+2065, U+206A */
	kit_str_sanitize("\xc2\xa0\xc3\xa9\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", out, sizeof(out));
	assert_string_equal(out, "\xc2\xa0\xc3\xa9\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
}

/* Counts from the command line: limits after the suffix, no overflow. */
static void
test_num_parse(void **state)
{
	int64_t v = -7;

	(void)state;
	assert_int_equal(kit_num_parse("100", 1, 100, 0, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(kit_num_parse("101", 1, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse("1k", 1, 100, 0, &v), -1); /* no suffix here */
	assert_int_equal(kit_num_parse("1k", 1, 100, 1, &v), -1); /* 1024 > 100 */
	assert_int_equal(kit_num_parse("0", 1, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse("-1", 0, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse(" 5", 0, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse("+5", 0, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse("", 0, 100, 0, &v), -1);
	assert_int_equal(kit_num_parse("5kk", 0, 1 << 20, 1, &v), -1);
	assert_int_equal(kit_num_parse("200k", 0, 1 << 20, 1, &v), 0);
	assert_int_equal(v, 200 * 1024);
	assert_int_equal(kit_num_parse("4096M", 1, 1ULL << 50, 1, &v), 0);
	assert_int_equal(v, 4096LL << 20);
	assert_int_equal(kit_num_parse("4g", 1, 1ULL << 50, 1, &v), 0);
	assert_int_equal(v, 4LL << 30);
	/* past 2^50 after the suffix, past INT64_MAX, past UINT64_MAX */
	assert_int_equal(kit_num_parse("1048577G", 1, 1ULL << 50, 1, &v), -1);
	assert_int_equal(kit_num_parse("9223372036854775807M", 1, UINT64_MAX, 1, &v), -1);
	assert_int_equal(kit_num_parse("9223372036854775808", 1, UINT64_MAX, 0, &v), -1);
	assert_int_equal(kit_num_parse("18446744073709551616", 1, UINT64_MAX, 0, &v), -1);
	assert_int_equal(kit_num_parse("99999999999999999999999", 1, UINT64_MAX, 0, &v), -1);
	assert_int_equal(kit_num_parse("9223372036854775807", 1, UINT64_MAX, 0, &v), 0);
	assert_int_equal(v, INT64_MAX);
}

/* "Did you mean": edit distance with swaps, a unique close candidate, and
 * the IANA zone a city name stands for. */
static void
test_closest(void **state)
{
	static const char *const fields[] = {"id", "platform", "time", "text", "link", "media", "language", "note", NULL};
	static const char *const langs[] = {"en", "es", "fr"};
	char zone[80];

	(void)state;
	assert_int_equal(kit_str_distance("platfrom", "platform"), 1);
	assert_int_equal(kit_str_distance("Platform", "platform"), 0);
	assert_int_equal(kit_str_distance("swa", "sw"), 1);
	assert_int_equal(kit_str_distance("", "abc"), 3);
	assert_int_equal(kit_str_distance("kitten", "sitting"), 3);
	assert_string_equal(kit_str_closest("platfrom", fields, SIZE_MAX, 2), "platform");
	assert_string_equal(kit_str_closest("langauge", fields, SIZE_MAX, 2), "language");
	assert_string_equal(kit_str_closest("tiem", fields, SIZE_MAX, 2), "time");
	assert_null(kit_str_closest("colour", fields, SIZE_MAX, 2));
	assert_null(kit_str_closest("tex", fields, SIZE_MAX, 0));
	/* a tie is no hint: "e" is one edit from en and es; so is "eb" */
	assert_null(kit_str_closest("eb", langs, 3, 1));
	assert_null(kit_str_closest("e", langs, 3, 2));
	assert_string_equal(kit_str_closest("fra", langs, 3, 1), "fr");
	assert_null(kit_str_closest(NULL, langs, 3, 1));
	/* a name over 64 bytes is compared with nothing (it crashed) */
	assert_null(kit_str_closest("hashtaTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTgs",
				    fields, SIZE_MAX, 2));
	assert_int_equal(kit_tz_suggest("Nairobi", zone, sizeof(zone)), 1);
	assert_string_equal(zone, "Africa/Nairobi");
	assert_int_equal(kit_tz_suggest("europe/budapest", zone, sizeof(zone)), 1);
	assert_string_equal(zone, "Europe/Budapest");
	assert_int_equal(kit_tz_suggest("America/Nairobi", zone, sizeof(zone)), 1);
	assert_string_equal(zone, "Africa/Nairobi");
	assert_int_equal(kit_tz_suggest("Asia/Ashgabad", zone, sizeof(zone)), 1);
	assert_string_equal(zone, "Asia/Ashgabat");
	assert_int_equal(kit_tz_suggest("Buenos Aires", zone, sizeof(zone)), 1);
	assert_string_equal(zone, "America/Argentina/Buenos_Aires");
	assert_int_equal(kit_tz_suggest("Mars/Olympus", zone, sizeof(zone)), 0);
	assert_int_equal(kit_tz_suggest("Europe/Budapest", zone, sizeof(zone)), 0);
	assert_int_equal(kit_tz_suggest("Nairobi", zone, 5), 0); /* no room */
}

/* Sorted strings with positions: the first of equal strings is found. */
static void
test_strpos(void **state)
{
	struct kit_strpos v[] = {{"p3", 0}, {"p1", 1}, {"p2", 2}, {"p1", 3}, {"p0", 4}};
	const struct kit_strpos *f;

	(void)state;
	kit_strpos_sort(v, 5);
	assert_string_equal(v[0].s, "p0");
	f = kit_strpos_find(v, 5, "p1");
	assert_non_null(f);
	assert_int_equal(f->pos, 1);
	assert_int_equal(f[1].pos, 3);
	assert_int_equal(kit_strpos_find(v, 5, "p3")->pos, 0);
	assert_null(kit_strpos_find(v, 5, "p4"));
	assert_null(kit_strpos_find(v, 5, "a"));
	assert_null(kit_strpos_find(v, 0, "p1"));
}

/* Ids: the lower-case set, the wider one for post ids, and the length cap. */
static void
test_str_is_id(void **state)
{
	(void)state;
	char id[KIT_ID_MAX + 2];

	assert_true(kit_str_is_id("together-2016", 0));
	assert_false(kit_str_is_id("Together", 0));
	assert_true(kit_str_is_id("Post_1.fb", 1));
	assert_false(kit_str_is_id("post 1", 1));
	assert_false(kit_str_is_id("caf\xc3\xa9", 1));
	assert_false(kit_str_is_id("", 1));
	assert_false(kit_str_is_id(NULL, 1));
	/* one limit for every kind of id: KIT_ID_MAX bytes, not one more */
	assert_int_equal(KIT_ID_MAX, 64);
	memset(id, 'a', KIT_ID_MAX);
	id[KIT_ID_MAX] = '\0';
	assert_true(kit_str_is_id(id, 0));
	assert_true(kit_str_is_id(id, 1));
	id[KIT_ID_MAX] = 'a';
	id[KIT_ID_MAX + 1] = '\0';
	assert_false(kit_str_is_id(id, 0));
	assert_false(kit_str_is_id(id, 1));
	/* OWASP's formula starts */
	assert_true(kit_str_is_formula("=1+1"));
	assert_true(kit_str_is_formula("+1"));
	assert_true(kit_str_is_formula("-1"));
	assert_true(kit_str_is_formula("@x"));
	assert_true(kit_str_is_formula("\tx"));
	assert_true(kit_str_is_formula("\rx"));
	assert_false(kit_str_is_formula("a=1"));
	assert_false(kit_str_is_formula(""));
	assert_false(kit_str_is_formula(NULL));
}

static void
test_hidden_control(void **state)
{
	unsigned cp = 0;
	const char *s;

	(void)state;
	assert_null(kit_str_hidden_control("plain text, Ελληνικά, العربية \u200f", &cp));
	assert_null(kit_str_hidden_control("tab\tand\nnewline", &cp));
	s = "ok \xc2\x9b[2J";
	assert_ptr_equal(kit_str_hidden_control(s, &cp), s + 3);
	assert_int_equal(cp, 0x9b);
	s = "pay \xe2\x80\xae"
	    "0001$";
	assert_ptr_equal(kit_str_hidden_control(s, &cp), s + 4);
	assert_int_equal(cp, 0x202e);
	s = "\xe2\x81\xa6"
	    "x\xe2\x81\xa9";
	assert_ptr_equal(kit_str_hidden_control(s, &cp), s);
	assert_int_equal(cp, 0x2066);
	s = "a\xe2\x80\xa8"
	    "b";
	assert_ptr_equal(kit_str_hidden_control(s, &cp), s + 1);
	assert_int_equal(cp, 0x2028);
	/* U+00A0 (no-break space) and U+200F (RLM) are text, not controls */
	assert_null(kit_str_hidden_control("a\xc2\xa0"
					   "b\xe2\x80\x8f",
					   &cp));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_first_wins),
		cmocka_unit_test(test_error_report),
		cmocka_unit_test(test_str_is_id),
		cmocka_unit_test(test_hidden_control),
		cmocka_unit_test(test_num_parse),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_strpos),
		cmocka_unit_test(test_prefix_long),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_now_override),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_no_links),
		cmocka_unit_test(test_buf_and_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
