/*
 * transport_test.c: kit_transport against real servers started here on
 * 127.0.0.1: a fault-injecting python server (drops, stalls, 503s, extra
 * bytes, corrupt mirrors), nginx over HTTP and HTTPS with a test CA made at
 * run time, and a forward proxy.  Every server is stopped in the group
 * teardown, and each server also stops itself when this process is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "kit_crypto.h"
#include "kit_transport.h"
#include "kit_util.h"

#define SERVERS "../fixtures/servers"
#define PYTHON "/usr/bin/python3"
#define BIG_LEN (1024u * 1024u)

static struct {
	char tmp[256];
	char root[512];
	char dl[512];
	char stats[512];
	char control[512];
	char big_hash[KIT_SHA256_HEX];
	pid_t fs_pid;
	int fs_port;
	int ng_ok;
	int ng_http, ng_https;
	char ngdir[512];
	char ca[600];
	int closed_port;
	char fs_base[128];
} G;

static char logbuf[8192];

static void
capture_log(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(logbuf);
	if (n + strlen(line) + 2 < sizeof logbuf) {
		memcpy(logbuf + n, line, strlen(line));
		logbuf[n + strlen(line)] = '\n';
		logbuf[n + strlen(line) + 1] = '\0';
	}
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- servers ---------------------------------------------------------------- */

/* Start argv (a python script) with its stdout on a pipe; read the port it
 * prints on its first line (10 s at most). */
static int
spawn_server(char *const argv[], pid_t *pid_out, int *port_out)
{
	int fds[2];
	char line[64];
	size_t n = 0;
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	double end = now_s() + 10.0;
	while (n < sizeof line - 1 && now_s() < end) {
		struct pollfd p = {fds[0], POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t r = read(fds[0], line + n, 1);
		if (r <= 0)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(fds[0]);
	char *e = NULL;
	long port = strtol(line, &e, 10);
	*pid_out = pid;
	if (n == 0 || port <= 0 || port > 65535) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		*pid_out = 0;
		return -1;
	}
	*port_out = (int)port;
	return 0;
}

/* SIGTERM, wait up to 5 s, then SIGKILL. */
static void
stop_server(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return;
		}
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static int
nginx_start(void)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "bash " SERVERS "/nginx.sh start %s %s %ld",
		 G.ngdir, G.root, (long)getpid());
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[64] = "";
	char *ok = fgets(line, sizeof line, p);
	int rc = pclose(p);
	if (!ok || rc != 0 || sscanf(line, "%d %d", &G.ng_http, &G.ng_https) != 2)
		return -1;
	snprintf(G.ca, sizeof G.ca, "%s/tls/ca.pem", G.ngdir);
	return 0;
}

static void
nginx_stop(void)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "bash " SERVERS "/nginx.sh stop %s", G.ngdir);
	if (system(cmd) != 0)
		fprintf(stderr, "nginx.sh stop failed\n");
}

/* ---- fixtures ---------------------------------------------------------------- */

static void
put_big(const char *dir, const unsigned char *data, size_t len)
{
	char path[1024];
	struct kit_error err = {0};
	snprintf(path, sizeof path, "%s/%s/f", G.root, dir);
	assert_int_equal(kit_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof path, "%s/%s/f/big.bin", G.root, dir);
	assert_int_equal(kit_file_write_atomic(path, data, len, 0644, &err), 0);
}

static const char *control_json =
	"{\"rules\": [\n"
	" {\"prefix\": \"/drop/\", \"mode\": \"drop\", \"after\": 524288, \"times\": 1},\n"
	" {\"prefix\": \"/runs/\", \"mode\": \"stall\", \"after\": 262144, \"times\": 1},\n"
	" {\"prefix\": \"/stall/\", \"mode\": \"stall\", \"after\": 0, \"times\": -1},\n"
	" {\"prefix\": \"/s503/\", \"mode\": \"status\", \"code\": 503, \"times\": 2},\n"
	" {\"prefix\": \"/s500/\", \"mode\": \"status\", \"code\": 500, \"times\": -1},\n"
	" {\"prefix\": \"/extra-none/\", \"mode\": \"extra\", \"extra\": 65536, \"length\": \"none\", \"times\": -1},\n"
	" {\"prefix\": \"/extra-lying/\", \"mode\": \"extra\", \"extra\": 65536, \"length\": \"lying\", \"times\": -1},\n"
	" {\"prefix\": \"/extra-honest/\", \"mode\": \"extra\", \"extra\": 65536, \"length\": \"honest\", \"times\": -1},\n"
	" {\"prefix\": \"/bad1/\", \"mode\": \"corrupt\", \"times\": -1},\n"
	" {\"prefix\": \"/bad2/\", \"mode\": \"corrupt\", \"times\": -1},\n"
	" {\"prefix\": \"/slow/\", \"mode\": \"slow\", \"rate\": 262144, \"times\": -1},\n"
	" {\"prefix\": \"/redir-ok/\", \"mode\": \"redirect\", \"location\": \"/plain/f/big.bin\", \"times\": -1},\n"
	" {\"prefix\": \"/redir-file/\", \"mode\": \"redirect\", \"location\": \"file:///etc/passwd\", \"times\": -1}\n"
	"]}\n";

static int
closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &l) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

static int
group_setup(void **state)
{
	(void)state;
	struct kit_error err = {0};
	static const char *const dirs[] = {
		"plain",
		"drop",
		"runs",
		"stall",
		"s503",
		"s500",
		"extra-none",
		"extra-lying",
		"extra-honest",
		"good",
		"slow",
		"garbage",
		"bad1",
		"bad2", /* the server corrupts these on the wire */
		"redir-ok",
		"redir-file",
	};
	snprintf(G.tmp, sizeof G.tmp, "/tmp/kit-transport-XXXXXX");
	if (!mkdtemp(G.tmp))
		return -1;
	snprintf(G.root, sizeof G.root, "%s/root", G.tmp);
	snprintf(G.dl, sizeof G.dl, "%s/dl", G.tmp);
	snprintf(G.stats, sizeof G.stats, "%s/stats.json", G.tmp);
	snprintf(G.control, sizeof G.control, "%s/control.json", G.tmp);
	snprintf(G.ngdir, sizeof G.ngdir, "%s/nginx", G.tmp);
	if (kit_mkdir_p(G.root, 0755, &err) != 0 || kit_mkdir_p(G.dl, 0755, &err) != 0)
		return -1;

	/* 1 MiB of deterministic, incompressible-looking bytes */
	unsigned char *big = kit_xmalloc(BIG_LEN);
	uint64_t x = 0x243f6a8885a308d3ULL;
	for (size_t i = 0; i < BIG_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		big[i] = (unsigned char)(x >> 24);
	}
	kit_sha256_hex(big, BIG_LEN, G.big_hash);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		put_big(dirs[i], big, BIG_LEN);
	free(big);

	char p[1024];
	snprintf(p, sizeof p, "%s/meta", G.root);
	if (kit_mkdir_p(p, 0755, &err) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/meta/timestamp.json", G.root);
	const char *ts = "{\"signed\": {\"version\": 1}}\n";
	/* two minutes old: its Last-Modified is a validator (RFC 9110) */
	struct timespec aged[2] = {{time(NULL) - 120, 0},
				   {time(NULL) - 120, 0}};
	if (kit_file_write_atomic(p, ts, strlen(ts), 0644, &err) != 0 ||
	    utimensat(AT_FDCWD, p, aged, 0) != 0 ||
	    kit_file_write_atomic(G.control, control_json, strlen(control_json),
				  0644, &err) != 0)
		return -1;
	/* written just now: its modification time proves nothing */
	snprintf(p, sizeof p, "%s/meta/fresh.json", G.root);
	if (kit_file_write_atomic(p, ts, strlen(ts), 0644, &err) != 0)
		return -1;

	char owner[32];
	snprintf(owner, sizeof owner, "%ld", (long)getpid());
	char *const argv[] = {(char *)PYTHON, (char *)SERVERS "/faultserver.py",
			      (char *)"--root", G.root, (char *)"--stats",
			      G.stats, (char *)"--control", G.control,
			      (char *)"--owner", owner, (char *)"--max-seconds",
			      (char *)"600", NULL};
	if (spawn_server(argv, &G.fs_pid, &G.fs_port) != 0) {
		fprintf(stderr, "cannot start faultserver.py\n");
		return -1;
	}
	snprintf(G.fs_base, sizeof G.fs_base, "http://127.0.0.1:%d", G.fs_port);
	G.ng_ok = nginx_start() == 0;
	if (!G.ng_ok)
		fprintf(stderr, "nginx did not start (see %s/logs)\n", G.ngdir);
	G.closed_port = closed_port();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	struct kit_error err = {0};
	stop_server(&G.fs_pid);
	nginx_stop();
	if (kit_rm_rf(G.tmp, &err) != 0)
		fprintf(stderr, "cannot remove %s: %s\n", G.tmp, err.msg);
	return 0;
}

static int
each_setup(void **state)
{
	(void)state;
	logbuf[0] = '\0';
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static void
test_opts(struct kit_transport_opts *o, const char *const *urls,
	  size_t n)
{
	kit_transport_opts_init(o);
	o->base_urls = urls;
	o->n_base_urls = n;
	o->retries = 3;
	o->backoff_base_ms = 10;
	o->backoff_cap_ms = 100;
	o->connect_timeout = 5;
	o->quiet = 1;
	o->log = capture_log;
}

static struct kit_transport *
mk(const char *const *urls, size_t n)
{
	struct kit_transport_opts o;
	struct kit_error err = {0};
	test_opts(&o, urls, n);
	struct kit_transport *t = kit_transport_new(&o, &err);
	if (!t)
		fail_msg("kit_transport_new: %s", err.msg);
	return t;
}

static void
dest_for(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", G.dl, name);
}

static void
assert_file_hash(const char *path, const char *hex)
{
	char got[KIT_SHA256_HEX];
	uint64_t len = 0;
	struct kit_error err = {0};
	assert_int_equal(kit_sha256_file(path, got, &len, &err), 0);
	assert_string_equal(got, hex);
}

static int
part_exists(const char *dest)
{
	char p[1100];
	snprintf(p, sizeof p, "%s.part", dest);
	return kit_file_exists(p);
}

static int64_t
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* Requests and body bytes the fault server recorded for path (waiting up
 * to 3 s for at least min_requests, as it records after each response). */
static void
server_stats(const char *path, int min_requests, long *requests,
	     long *bytes, char *ranges, size_t ranges_size)
{
	double end = now_s() + 3.0;
	*requests = 0;
	*bytes = 0;
	if (ranges)
		ranges[0] = '\0';
	for (;;) {
		json_error_t je;
		json_t *root = json_load_file(G.stats, 0, &je);
		json_t *p = root ? json_object_get(json_object_get(root, "paths"),
						   path)
				 : NULL;
		if (p) {
			*requests = (long)json_integer_value(
				json_object_get(p, "requests"));
			*bytes = (long)json_integer_value(json_object_get(p, "bytes"));
			if (ranges) {
				char *s = json_dumps(json_object_get(p, "ranges"),
						     JSON_COMPACT);
				snprintf(ranges, ranges_size, "%s", s ? s : "");
				free(s);
			}
		}
		json_decref(root);
		if (*requests >= min_requests || now_s() > end)
			return;
		struct timespec ts = {0, 50000000L};
		nanosleep(&ts, NULL);
	}
}

static void
url_of(char *out, size_t size, const char *dir)
{
	snprintf(out, size, "%s/%s/", G.fs_base, dir);
}

/* ---- tests ------------------------------------------------------------------ */

static void
test_new_rejects_bad_options(void **state)
{
	(void)state;
	struct kit_transport_opts o;
	struct kit_error err = {0};
	const char *ftp[] = {"ftp://127.0.0.1/repo/"};
	test_opts(&o, ftp, 1);
	assert_null(kit_transport_new(&o, &err));
	assert_int_equal(err.code, KIT_E_INVALID);

	kit_err_clear(&err);
	test_opts(&o, NULL, 0);
	assert_null(kit_transport_new(&o, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_transport_free(NULL);
}

static void
test_unsafe_relpath(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "unsafe.bin");
	assert_int_equal(kit_transport_fetch(t, "../root/plain/f/big.bin", dest,
					     BIG_LEN, NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);
	assert_int_equal(kit_transport_fetch(t, "/etc/passwd", dest, BIG_LEN,
					     NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_int_equal(kit_transport_stats(t)->requests, 0);
	assert_false(kit_file_exists(dest));
	kit_transport_free(t);
}

/* "%XX" in a relpath is an escape the caller made (TUF role names): it goes
 * out as it is, over HTTP and file://; an escape that decodes to "..", "."
 * or NUL is refused like the plain forms, and with a file:// base also one
 * that decodes to a separator. */
static void
put_plain(const char *dir, const char *file, const char *body)
{
	char path[1024];
	struct kit_error err = {0};
	snprintf(path, sizeof path, "%s/plain/%s", G.root, dir);
	assert_int_equal(kit_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof path, "%s/plain/%s/%s", G.root, dir, file);
	assert_int_equal(kit_file_write_atomic(path, body, strlen(body), 0644,
					       &err),
			 0);
}

static void
test_relpath_escapes(void **state)
{
	(void)state;
	char u[1024], dest[1024];
	struct kit_error err = {0};
	long req, bytes;
	const char *body = "role metadata\n";
	/* the name on disk is what the escapes decode to */
	put_plain("m", "1.x?# y.json", body);

	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "escaped.json");
	if (kit_transport_fetch(t, "m/1.x%3F%23 y.json", dest, 1024, NULL, 0,
				&err) != 0)
		fail_msg("%s", err.msg);
	server_stats("/plain/m/1.x?# y.json", 1, &req, &bytes, NULL, 0);
	assert_int_equal(req, 1);
	/* a role named "a/b": one segment for the client, a path for this
	 * server, which decodes the request */
	put_plain("m/1.a", "b.json", body);
	dest_for(dest, sizeof dest, "escaped-slash.json");
	if (kit_transport_fetch(t, "m/1.a%2Fb.json", dest, 1024, NULL, 0,
				&err) != 0)
		fail_msg("%s", err.msg);
	static const char *const bad_http[] = {"m/%2E%2E/f/big.bin", "m/a%00b"};
	for (size_t i = 0; i < sizeof bad_http / sizeof bad_http[0]; i++) {
		kit_err_clear(&err);
		assert_int_equal(kit_transport_fetch(t, bad_http[i], dest, BIG_LEN,
						     NULL, 0, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_INVALID);
	}
	assert_int_equal(kit_transport_stats(t)->requests, 2);
	kit_transport_free(t);

	snprintf(u, sizeof u, "file://%s/plain/", G.root);
	t = mk(urls, 1);
	dest_for(dest, sizeof dest, "escaped-file.json");
	if (kit_transport_fetch(t, "m/1.x%3f%23%20y.json", dest, 1024, NULL, 0,
				&err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(file_size(dest), (int64_t)strlen(body));

	static const char *const bad[] = {
		"m/..%2Fplain%2Fm%2F1.x%3F%23 y.json",
		"m/%2E%2E/plain/f/big.bin",
		"%2e/f/big.bin",
		"m/a%5Cb",
		"m/a%00b",
		"%2F",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		kit_err_clear(&err);
		dest_for(dest, sizeof dest, "escaped-bad.json");
		assert_int_equal(kit_transport_fetch(t, bad[i], dest, BIG_LEN,
						     NULL, 0, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_INVALID);
		assert_non_null(strstr(err.msg, "unsafe path"));
		assert_false(kit_file_exists(dest));
	}
	assert_int_equal(kit_transport_stats(t)->requests, 1);
	kit_transport_free(t);
}

static void
test_file_url(void **state)
{
	(void)state;
	char u[1024], dest[1024];
	struct kit_error err = {0};
	snprintf(u, sizeof u, "file://%s/plain/", G.root);
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "file-url.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_false(part_exists(dest));

	/* a part copied half-way from a stick continues with a range */
	char src[1024], part[1100];
	unsigned char *buf = NULL;
	size_t len = 0;
	snprintf(src, sizeof src, "%s/plain/f/big.bin", G.root);
	assert_int_equal(kit_file_read(src, BIG_LEN, &buf, &len, &err), 0);
	dest_for(dest, sizeof dest, "file-url-resume.bin");
	snprintf(part, sizeof part, "%s.part", dest);
	assert_int_equal(kit_file_write_atomic(part, buf, 300000, 0644, &err), 0);
	free(buf);
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->resumes, 1);
	assert_int_equal(kit_transport_stats(t)->bytes_received,
			 2 * BIG_LEN - 300000);
	kit_transport_free(t);
}

static void
test_plain_path(void **state)
{
	(void)state;
	char u[1024], dest[1024];
	struct kit_error err = {0};
	snprintf(u, sizeof u, "%s/plain", G.root); /* no scheme, no slash */
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	assert_true(kit_str_has_prefix(kit_transport_stats(t)->mirrors[0].url,
				       "file:///"));
	dest_for(dest, sizeof dest, "plain-path.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);

	/* a missing file on the stick: a network-class error, "not found" */
	kit_err_clear(&err);
	dest_for(dest, sizeof dest, "plain-missing.bin");
	assert_int_equal(kit_transport_fetch(t, "f/none.bin", dest, BIG_LEN,
					     NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_true(kit_transport_not_found(t));
	assert_false(kit_file_exists(dest));
	kit_transport_free(t);

	/* a relative directory is taken from the current one */
	const char *rel[] = {"../fixtures/servers"};
	t = mk(rel, 1);
	dest_for(dest, sizeof dest, "relative.py");
	if (kit_transport_fetch(t, "faultserver.py", dest, 1 << 20, NULL, 0,
				&err) != 0)
		fail_msg("%s", err.msg);
	assert_true(file_size(dest) > 1000);
	kit_transport_free(t);
}

/* A copy on removable media: a link (to a file or as a directory on the
 * way) or a FIFO is refused as bad bytes at once, never read. */
static void
test_file_url_no_links(void **state)
{
	(void)state;
	char u[1024], dest[1024], p[1200], q[1200];
	struct kit_error err = {0};
	snprintf(u, sizeof u, "%s/media", G.root);
	snprintf(p, sizeof p, "%s/media/d", G.root);
	assert_int_equal(kit_mkdir_p(p, 0755, &err), 0);
	snprintf(p, sizeof p, "%s/plain/f/big.bin", G.root);
	snprintf(q, sizeof q, "%s/media/d/link.bin", G.root);
	assert_int_equal(symlink(p, q), 0);
	snprintf(p, sizeof p, "%s/plain/f", G.root);
	snprintf(q, sizeof q, "%s/media/dirlink", G.root);
	assert_int_equal(symlink(p, q), 0);
	snprintf(q, sizeof q, "%s/media/d/fifo", G.root);
	assert_int_equal(mkfifo(q, 0644), 0);
	const char *urls[] = {u};
	static const char *const rel[] = {"d/link.bin", "dirlink/big.bin",
					  "d/fifo"};
	static const char *const why[] = {"symbolic link", "on its way",
					  "a FIFO"};
	for (size_t i = 0; i < 3; i++) {
		struct kit_transport *t = mk(urls, 1);
		kit_err_clear(&err);
		dest_for(dest, sizeof dest, "media.bin");
		assert_int_equal(kit_transport_fetch(t, rel[i], dest, BIG_LEN,
						     NULL, 0, &err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		assert_non_null(strstr(err.msg, why[i]));
		assert_false(kit_transport_not_found(t));
		assert_int_equal(kit_transport_stats(t)->bytes_received, 0);
		assert_false(kit_file_exists(dest));
		kit_transport_free(t);
	}
}

static void
test_http_nginx(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	if (!G.ng_ok)
		fail_msg("nginx is not running");
	snprintf(u, sizeof u, "http://127.0.0.1:%d/plain/", G.ng_http);
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "nginx-http.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->requests, 1);
	assert_true(kit_transport_stats(t)->bytes_received >= BIG_LEN);
	kit_transport_free(t);
}

static void
test_https_nginx_ca(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	if (!G.ng_ok)
		fail_msg("nginx is not running");
	snprintf(u, sizeof u, "https://127.0.0.1:%d/plain/", G.ng_https);
	const char *urls[] = {u};
	test_opts(&o, urls, 1);
	o.cainfo = G.ca;
	struct kit_transport *t = kit_transport_new(&o, &err);
	assert_non_null(t);
	dest_for(dest, sizeof dest, "nginx-https.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	kit_transport_free(t);
}

static void
test_https_without_ca(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	if (!G.ng_ok)
		fail_msg("nginx is not running");
	snprintf(u, sizeof u, "https://127.0.0.1:%d/plain/", G.ng_https);
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "nginx-noca.bin");
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	if (!strstr(err.msg, "certificate") && !strstr(err.msg, "SSL"))
		fail_msg("no TLS reason in: %s", err.msg);
	/* a certificate that does not verify is not retried */
	assert_int_equal(kit_transport_stats(t)->requests, 1);
	assert_false(kit_file_exists(dest));
	kit_transport_free(t);
}

static void
test_drop_resumes_in_call(void **state)
{
	(void)state;
	char u[256], dest[1024], ranges[256];
	struct kit_error err = {0};
	long req, bytes;
	url_of(u, sizeof u, "drop");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "drop.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_false(part_exists(dest));
	server_stats("/drop/f/big.bin", 2, &req, &bytes, ranges, sizeof ranges);
	assert_int_equal(req, 2);
	assert_non_null(strstr(ranges, "bytes=524288-"));
	assert_true((double)bytes < 1.5 * BIG_LEN);
	assert_int_equal(kit_transport_stats(t)->resumes, 1);
	assert_int_equal(kit_transport_stats(t)->retries, 1);
	assert_true((double)kit_transport_stats(t)->bytes_received < 1.5 * BIG_LEN);
	kit_transport_free(t);
}

static void
test_resume_across_runs(void **state)
{
	(void)state;
	char u[256], dest[1024], ranges[256];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	long req, bytes;
	url_of(u, sizeof u, "runs");
	const char *urls[] = {u};
	dest_for(dest, sizeof dest, "runs.bin");

	/* run 1: the server stalls after 256 KiB; no retries; slow-retrieval
	 * guard of 2 s ends it */
	test_opts(&o, urls, 1);
	o.retries = 0;
	o.low_speed_time = 2;
	struct kit_transport *t = kit_transport_new(&o, &err);
	assert_non_null(t);
	double t0 = now_s();
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_true(now_s() - t0 < 15.0);
	kit_transport_free(t);
	assert_false(kit_file_exists(dest));
	char part[1100];
	snprintf(part, sizeof part, "%s.part", dest);
	int64_t kept = file_size(part);
	assert_true(kept > 0 && kept <= 262144);

	/* run 2: a new transport continues the part */
	kit_err_clear(&err);
	t = mk(urls, 1);
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_false(part_exists(dest));
	assert_int_equal(kit_transport_stats(t)->resumes, 1);
	assert_int_equal(kit_transport_stats(t)->bytes_received,
			 BIG_LEN - (uint64_t)kept);
	server_stats("/runs/f/big.bin", 2, &req, &bytes, ranges, sizeof ranges);
	assert_int_equal(req, 2);
	assert_true((double)bytes < 1.5 * BIG_LEN);
	kit_transport_free(t);
}

static void
test_503_twice_then_success(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	long req, bytes;
	url_of(u, sizeof u, "s503");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "s503.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	server_stats("/s503/f/big.bin", 3, &req, &bytes, NULL, 0);
	assert_int_equal(req, 3);
	assert_int_equal(kit_transport_stats(t)->retries, 2);
	assert_non_null(strstr(logbuf, "HTTP 503"));
	kit_transport_free(t);
}

/* A server of two canned answers, one per connection, from a thread. */
static const char *const folded_answers[2] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Last: a header\r\n\r\n{}",
	/* the first header line starts with a space: a fold with nothing
	 * before it */
	"HTTP/1.1 200 OK\r\n :\r\nContent-Length: 2\r\n\r\n{}",
};

static void *
serve_folded(void *arg)
{
	int lfd = *(int *)arg;
	for (int i = 0; i < 2; i++) {
		char buf[4096];
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			break;
		if (read(fd, buf, sizeof buf) < 0) {
			/* the answer goes out anyway */
		}
		if (send(fd, folded_answers[i], strlen(folded_answers[i]),
			 MSG_NOSIGNAL) < 0) {
			/* the client's error says what happened */
		}
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	return NULL;
}

/* libcurl before 8.1.0 kept a pointer to the last header of a transfer
 * across curl_easy_reset(); a next response whose first header line is
 * folded was unfolded into freed memory (ASan: heap-use-after-free).  The
 * transport uses a new handle per transfer: both fetches succeed or fail
 * cleanly.  (Found by tests/fuzz/transport_fuzz.c.) */
static void
test_folded_first_header(void **state)
{
	(void)state;
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	pthread_t th;
	char u[64], dest[1024];
	struct kit_error err = {0};
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &l), 0);
	assert_int_equal(pthread_create(&th, NULL, serve_folded, &lfd), 0);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(a.sin_port));
	const char *urls[] = {u};
	struct kit_transport_opts o;
	test_opts(&o, urls, 1);
	o.retries = 0;
	struct kit_transport *t = kit_transport_new(&o, &err);
	assert_non_null(t);
	dest_for(dest, sizeof dest, "folded-1.json");
	assert_int_equal(kit_transport_fetch(t, "a.json", dest, 64, NULL, 0, &err), 0);
	dest_for(dest, sizeof dest, "folded-2.json");
	if (kit_transport_fetch(t, "b.json", dest, 64, NULL, 0, &err) != 0)
		assert_int_equal(err.code, KIT_E_NETWORK);
	kit_transport_free(t);
	pthread_join(th, NULL);
	close(lfd);
}

static void
test_500_gives_up_after_retries(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	long req, bytes;
	url_of(u, sizeof u, "s500");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1); /* 3 retries */
	dest_for(dest, sizeof dest, "s500.bin");
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	server_stats("/s500/f/big.bin", 4, &req, &bytes, NULL, 0);
	assert_int_equal(req, 4);
	assert_false(kit_file_exists(dest));
	kit_transport_free(t);
}

static void
test_404_not_retried(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	long req, bytes;
	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "missing.bin");
	assert_int_equal(kit_transport_fetch(t, "f/missing.bin", dest, BIG_LEN,
					     NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_non_null(strstr(err.msg, "404"));
	assert_non_null(strstr(err.msg, "/plain/f/missing.bin"));
	assert_true(kit_transport_not_found(t));
	server_stats("/plain/f/missing.bin", 1, &req, &bytes, NULL, 0);
	assert_int_equal(req, 1);
	assert_int_equal(kit_transport_stats(t)->requests, 1);
	assert_int_equal(kit_transport_stats(t)->retries, 0);
	assert_false(kit_file_exists(dest));
	assert_false(part_exists(dest));
	kit_transport_free(t);
}

static void
test_stall_aborts(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	url_of(u, sizeof u, "stall");
	const char *urls[] = {u};
	test_opts(&o, urls, 1);
	o.retries = 1;
	o.low_speed_time = 2;
	struct kit_transport *t = kit_transport_new(&o, &err);
	assert_non_null(t);
	dest_for(dest, sizeof dest, "stall.bin");
	double t0 = now_s();
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	double el = now_s() - t0;
	assert_int_equal(err.code, KIT_E_NETWORK);
	if (!strstr(err.msg, "slow"))
		fail_msg("no slow-retrieval reason in: %s", err.msg);
	assert_true(el >= 3.5 && el < 15.0); /* two tries of ~2 s each */
	assert_int_equal(kit_transport_stats(t)->requests, 2);
	assert_false(kit_file_exists(dest));
	kit_transport_free(t);
}

static void
test_redirects(void **state)
{
	(void)state;
	char ok[256], bad[256], dest[1024];
	struct kit_error err = {0};
	url_of(ok, sizeof ok, "redir-ok");
	url_of(bad, sizeof bad, "redir-file");
	const char *urls_ok[] = {ok};
	const char *urls_bad[] = {bad};
	struct kit_transport *t = mk(urls_ok, 1);
	dest_for(dest, sizeof dest, "redir-ok.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->requests, 2);
	kit_transport_free(t);

	/* a server cannot send us to a local file */
	t = mk(urls_bad, 1);
	dest_for(dest, sizeof dest, "redir-file.bin");
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_NETWORK);
	assert_false(kit_file_exists(dest));
	assert_false(part_exists(dest));
	kit_transport_free(t);
}

static void
test_larger_than_allowed(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "too-large.bin");
	/* declared by Content-Length: refused before a byte is stored */
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN - 1,
					     NULL, 0, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "endless data"));
	assert_false(kit_file_exists(dest));
	assert_false(part_exists(dest));
	kit_transport_free(t);
}

static void
test_extra_bytes_without_length(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	url_of(u, sizeof u, "extra-none");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "extra-none.bin");
	/* an old file at dest must survive the refusal */
	assert_int_equal(kit_file_write_atomic(dest, "old", 3, 0644, &err), 0);
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "larger than the 1048576 bytes"));
	assert_non_null(strstr(err.msg, "endless data"));
	assert_int_equal(file_size(dest), 3);
	assert_false(part_exists(dest));
	/* the write callback stopped it: not much past the limit */
	assert_true(kit_transport_stats(t)->bytes_received <= BIG_LEN + 65536);
	kit_transport_free(t);
}

static void
test_extra_bytes_lying_length(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	url_of(u, sizeof u, "extra-lying");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "extra-lying.bin");
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "endless data"));
	assert_false(kit_file_exists(dest));
	assert_false(part_exists(dest));
	kit_transport_free(t);
}

static void
test_extra_bytes_honest_length(void **state)
{
	(void)state;
	char u[256], dest[1024];
	struct kit_error err = {0};
	url_of(u, sizeof u, "extra-honest");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "extra-honest.bin");
	/* garbage past Content-Length is not part of the body; this server
	 * ignores Range, so the kept part is replaced by the 200 answer */
	char part[1100];
	snprintf(part, sizeof part, "%s.part", dest);
	assert_int_equal(kit_file_write_atomic(part, "0123456789", 10, 0644,
					       &err),
			 0);
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->requests, 1);
	assert_int_equal(kit_transport_stats(t)->resumes, 0);
	kit_transport_free(t);
}

static void
test_mirror_down_then_good(void **state)
{
	(void)state;
	char down[128], good[256], dest[1024];
	struct kit_error err = {0};
	snprintf(down, sizeof down, "http://127.0.0.1:%d/good/", G.closed_port);
	url_of(good, sizeof good, "good");
	const char *urls[] = {down, good};
	struct kit_transport *t = mk(urls, 2);
	dest_for(dest, sizeof dest, "mirror-down.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	const struct kit_transport_stats *st = kit_transport_stats(t);
	assert_int_equal(st->mirrors[0].failures, 1);
	assert_int_equal(st->mirrors[0].requests, 4); /* 1 + 3 retries */
	assert_int_equal(st->mirrors[0].bad_bytes, 0);
	assert_int_equal(st->mirrors[1].requests, 1);
	assert_non_null(strstr(logbuf, "next mirror"));
	kit_transport_free(t);
}

static void
test_bad_mirror_skipped(void **state)
{
	(void)state;
	char bad[256], good[256], dest[1024];
	struct kit_error err = {0};
	long req, bytes;
	url_of(bad, sizeof bad, "bad1");
	url_of(good, sizeof good, "good");
	const char *urls[] = {bad, good};
	struct kit_transport *t = mk(urls, 2);
	dest_for(dest, sizeof dest, "bad-mirror.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	const struct kit_transport_stats *st = kit_transport_stats(t);
	assert_int_equal(st->mirrors[0].bad_bytes, 1);
	assert_int_equal(st->mirrors[0].skipped, 1);
	assert_int_equal(st->mirrors[1].bad_bytes, 0);
	/* named in the log, with the hash it served */
	assert_non_null(strstr(logbuf, bad));
	assert_non_null(strstr(logbuf, "skipped"));

	/* the next file in the same run does not ask the bad mirror again */
	dest_for(dest, sizeof dest, "bad-mirror-2.bin");
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	server_stats("/bad1/f/big.bin", 1, &req, &bytes, NULL, 0);
	assert_int_equal(req, 1);
	assert_int_equal(st->mirrors[0].requests, 1);
	kit_transport_free(t);
}

static void
test_all_mirrors_bad(void **state)
{
	(void)state;
	char b1[256], b2[256], dest[1024];
	struct kit_error err = {0};
	url_of(b1, sizeof b1, "bad1");
	url_of(b2, sizeof b2, "bad2");
	const char *urls[] = {b1, b2};
	struct kit_transport *t = mk(urls, 2);
	dest_for(dest, sizeof dest, "all-bad.bin");
	assert_int_equal(kit_file_write_atomic(dest, "old", 3, 0644, &err), 0);
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "sha256"));
	assert_int_equal(file_size(dest), 3);
	assert_false(part_exists(dest));
	assert_int_equal(kit_transport_stats(t)->mirrors[0].bad_bytes, 1);
	assert_int_equal(kit_transport_stats(t)->mirrors[1].bad_bytes, 1);

	/* both now skipped for the run: refused without a request */
	kit_err_clear(&err);
	uint64_t before = kit_transport_stats(t)->requests;
	assert_int_equal(kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					     G.big_hash, BIG_LEN, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_int_equal(kit_transport_stats(t)->requests, before);
	kit_transport_free(t);
}

static void
test_stale_part_restarts(void **state)
{
	(void)state;
	char u[256], dest[1024], part[1100];
	struct kit_error err = {0};
	url_of(u, sizeof u, "garbage");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "stale.bin");
	snprintf(part, sizeof part, "%s.part", dest);
	/* a part from a crash, with wrong bytes: the resumed file does not
	 * hash right, so it is fetched again from zero, mirror not blamed */
	assert_int_equal(kit_file_write_atomic(part, "garbage!", 8, 0644, &err), 0);
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->mirrors[0].bad_bytes, 0);
	assert_int_equal(kit_transport_stats(t)->requests, 2);

	/* a complete, good part: installed without any request */
	unsigned char *buf = NULL;
	size_t len = 0;
	assert_int_equal(kit_file_read(dest, BIG_LEN, &buf, &len, &err), 0);
	assert_int_equal(kit_file_write_atomic(part, buf, len, 0644, &err), 0);
	free(buf);
	assert_int_equal(unlink(dest), 0);
	uint64_t before = kit_transport_stats(t)->requests;
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				BIG_LEN, &err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->requests, before);

	/* the same complete part without a known length: the range from its
	 * end gets a 416, and the file is fetched again from zero */
	assert_int_equal(kit_file_read(dest, BIG_LEN, &buf, &len, &err), 0);
	assert_int_equal(kit_file_write_atomic(part, buf, len, 0644, &err), 0);
	free(buf);
	assert_int_equal(unlink(dest), 0);
	before = kit_transport_stats(t)->requests;
	if (kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash, 0,
				&err) != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	assert_int_equal(kit_transport_stats(t)->requests, before + 2);
	long req, bytes;
	char ranges[512];
	server_stats("/garbage/f/big.bin", 4, &req, &bytes, ranges, sizeof ranges);
	assert_int_equal(req, 4);
	assert_non_null(strstr(ranges, "\"bytes=1048576-\""));
	kit_transport_free(t);
}

static void
test_conditional(void **state)
{
	(void)state;
	char u[256], dest[1024], etag[KIT_TRANSPORT_VALIDATOR_MAX],
		lm[KIT_TRANSPORT_VALIDATOR_MAX];
	struct kit_error err = {0};
	struct kit_transport_cond c;
	long req, bytes;
	url_of(u, sizeof u, "meta");
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "timestamp.json");
	c = (struct kit_transport_cond){.not_modified = -1};
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 0);
	assert_true(strlen(c.etag_out) > 2);
	assert_true(strlen(c.last_modified_out) > 10);
	assert_int_equal(file_size(dest), 27);
	snprintf(etag, sizeof etag, "%s", c.etag_out);
	snprintf(lm, sizeof lm, "%s", c.last_modified_out);

	/* the caller's copy is left alone on 304 */
	assert_int_equal(kit_file_write_atomic(dest, "mine", 4, 0644, &err), 0);
	uint64_t before = kit_transport_stats(t)->requests;
	c = (struct kit_transport_cond){.etag = etag};
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 1);
	assert_string_equal(c.etag_out, "");
	assert_int_equal(kit_transport_stats(t)->requests, before + 1);
	assert_int_equal(kit_transport_stats(t)->not_modified, 1);
	assert_int_equal(file_size(dest), 4);
	assert_false(part_exists(dest));

	/* If-Modified-Since alone */
	c = (struct kit_transport_cond){.last_modified = lm};
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 1);
	server_stats("/meta/timestamp.json", 3, &req, &bytes, NULL, 0);
	assert_int_equal(req, 3);

	/* a stale ETag: the new file comes */
	c = (struct kit_transport_cond){.etag = "\"other\""};
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 0);
	assert_int_equal(file_size(dest), 27);

	/* header injection through a stored validator is refused */
	c = (struct kit_transport_cond){.etag = "\"x\"\r\nX-Evil: 1"};
	assert_int_equal(kit_transport_fetch_cond(t, "timestamp.json", dest,
						  16384, &c, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	/* and so is a call without its validators */
	kit_err_clear(&err);
	assert_int_equal(kit_transport_fetch_cond(t, "timestamp.json", dest,
						  16384, NULL, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_transport_free(t);
}

static void
test_conditional_nginx(void **state)
{
	(void)state;
	char u[256], dest[1024], etag[KIT_TRANSPORT_VALIDATOR_MAX];
	struct kit_error err = {0};
	struct kit_transport_cond c = {.not_modified = -1};
	if (!G.ng_ok)
		fail_msg("nginx is not running");
	snprintf(u, sizeof u, "http://127.0.0.1:%d/meta/", G.ng_http);
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "timestamp-nginx.json");
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 0);
	assert_true(strlen(c.etag_out) > 2);
	snprintf(etag, sizeof etag, "%s", c.etag_out);
	c = (struct kit_transport_cond){.etag = etag};
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 1);
	assert_int_equal(kit_transport_stats(t)->requests, 2);
	kit_transport_free(t);
}

/* A file modified less than a minute before the response's Date: a
 * second change within the same second would keep both its Last-Modified
 * and nginx's ETag, so neither is handed back for a later request. */
static void
test_conditional_fresh(void **state)
{
	(void)state;
	char u[2][256], dest[1024];
	struct kit_error err = {0};
	struct kit_transport_cond c;
	url_of(u[0], sizeof u[0], "meta");
	snprintf(u[1], sizeof u[1], "http://127.0.0.1:%d/meta/", G.ng_http);
	dest_for(dest, sizeof dest, "fresh.json");
	for (size_t i = 0; i < 2; i++) {
		const char *urls[] = {u[i]};
		if (i == 1 && !G.ng_ok)
			fail_msg("nginx is not running");
		struct kit_transport *t = mk(urls, 1);
		c = (struct kit_transport_cond){.not_modified = -1};
		snprintf(c.etag_out, sizeof c.etag_out, "x");
		snprintf(c.last_modified_out, sizeof c.last_modified_out, "x");
		if (kit_transport_fetch_cond(t, "fresh.json", dest, 16384, &c,
					     &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(c.not_modified, 0);
		assert_int_equal(file_size(dest), 27);
		assert_string_equal(c.etag_out, "");
		assert_string_equal(c.last_modified_out, "");
		/* the aged file of the same server keeps them */
		c = (struct kit_transport_cond){.not_modified = -1};
		if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384,
					     &c, &err) != 0)
			fail_msg("%s", err.msg);
		assert_true(strlen(c.etag_out) > 2);
		assert_true(strlen(c.last_modified_out) > 10);
		kit_transport_free(t);
	}
}

static void
test_conditional_file_url(void **state)
{
	(void)state;
	char u[1024], dest[1024];
	struct kit_error err = {0};
	struct kit_transport_cond c = {.etag = "\"whatever\"",
				       .not_modified = -1};
	snprintf(u, sizeof u, "%s/meta", G.root);
	const char *urls[] = {u};
	struct kit_transport *t = mk(urls, 1);
	dest_for(dest, sizeof dest, "timestamp-file.json");
	if (kit_transport_fetch_cond(t, "timestamp.json", dest, 16384, &c,
				     &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.not_modified, 0);
	assert_int_equal(file_size(dest), 27);
	/* too small a limit: endless data, also for file:// */
	c = (struct kit_transport_cond){.not_modified = -1};
	assert_int_equal(kit_transport_fetch_cond(t, "timestamp.json", dest, 10,
						  &c, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_int_equal(file_size(dest), 27);
	kit_transport_free(t);
}

static void
run_proxied(const char *envvar)
{
	char u[256], dest[1024], logpath[600], owner[32], want[256];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	pid_t pid = 0;
	int port = 0;
	snprintf(logpath, sizeof logpath, "%s/proxy-%s.log", G.tmp,
		 envvar ? envvar : "opt");
	snprintf(owner, sizeof owner, "%ld", (long)getpid());
	char *const argv[] = {(char *)PYTHON, (char *)SERVERS "/proxy.py",
			      (char *)"--log", logpath, (char *)"--owner",
			      owner, (char *)"--max-seconds", (char *)"120",
			      NULL};
	assert_int_equal(spawn_server(argv, &pid, &port), 0);
	char purl[64];
	snprintf(purl, sizeof purl, "http://127.0.0.1:%d", port);

	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	test_opts(&o, urls, 1);
	if (envvar)
		setenv(envvar, purl, 1);
	else
		o.proxy = purl;
	struct kit_transport *t = kit_transport_new(&o, &err);
	dest_for(dest, sizeof dest, envvar ? "proxied-env.bin" : "proxied.bin");
	int rc = t ? kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					 G.big_hash, BIG_LEN, &err)
		   : -1;
	if (envvar)
		unsetenv(envvar);
	kit_transport_free(t);
	stop_server(&pid);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);

	unsigned char *log = NULL;
	size_t len = 0;
	assert_int_equal(kit_file_read(logpath, 65536, &log, &len, &err), 0);
	snprintf(want, sizeof want, "GET %s/plain/f/big.bin", G.fs_base);
	if (!strstr((char *)log, want))
		fail_msg("proxy log lacks \"%s\": %s", want, (char *)log);
	free(log);
}

static void
test_proxy_option(void **state)
{
	(void)state;
	run_proxied(NULL);
}

static void
test_proxy_from_env(void **state)
{
	(void)state;
	run_proxied("http_proxy");
}

static void
test_https_through_proxy(void **state)
{
	(void)state;
	char u[256], dest[1024], logpath[600], owner[32], want[64];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	pid_t pid = 0;
	int port = 0;
	if (!G.ng_ok)
		fail_msg("nginx is not running");
	snprintf(logpath, sizeof logpath, "%s/proxy-connect.log", G.tmp);
	snprintf(owner, sizeof owner, "%ld", (long)getpid());
	char *const argv[] = {(char *)PYTHON, (char *)SERVERS "/proxy.py",
			      (char *)"--log", logpath, (char *)"--owner",
			      owner, (char *)"--max-seconds", (char *)"120",
			      NULL};
	assert_int_equal(spawn_server(argv, &pid, &port), 0);
	char purl[64];
	snprintf(purl, sizeof purl, "http://127.0.0.1:%d", port);
	snprintf(u, sizeof u, "https://127.0.0.1:%d/plain/", G.ng_https);
	const char *urls[] = {u};
	test_opts(&o, urls, 1);
	o.proxy = purl;
	o.cainfo = G.ca;
	struct kit_transport *t = kit_transport_new(&o, &err);
	dest_for(dest, sizeof dest, "proxied-https.bin");
	int rc = t ? kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN,
					 G.big_hash, BIG_LEN, &err)
		   : -1;
	kit_transport_free(t);
	stop_server(&pid);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_file_hash(dest, G.big_hash);
	unsigned char *log = NULL;
	size_t len = 0;
	assert_int_equal(kit_file_read(logpath, 65536, &log, &len, &err), 0);
	snprintf(want, sizeof want, "CONNECT 127.0.0.1:%d", G.ng_https);
	assert_non_null(strstr((char *)log, want));
	free(log);
}

static void
test_rate_limit_and_json(void **state)
{
	(void)state;
	char u[256], dest[1024], out[600];
	struct kit_transport_opts o;
	struct kit_error err = {0};
	url_of(u, sizeof u, "plain");
	const char *urls[] = {u};
	test_opts(&o, urls, 1);
	o.max_recv_speed = 1024 * 1024; /* 1 MiB/s: a 1 MiB file takes ~1 s */
	o.json_progress = 1;
	struct kit_transport *t = kit_transport_new(&o, &err);
	assert_non_null(t);
	dest_for(dest, sizeof dest, "rate.bin");

	/* JSON lines go to stdout: catch them in a file */
	snprintf(out, sizeof out, "%s/json.out", G.tmp);
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	double t0 = now_s();
	int rc = kit_transport_fetch(t, "f/big.bin", dest, BIG_LEN, G.big_hash,
				     BIG_LEN, &err);
	double el = now_s() - t0;
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	kit_transport_free(t);
	if (rc != 0)
		fail_msg("%s", err.msg);
	if (el < 0.6)
		fail_msg("1 MiB at 1 MiB/s took only %.2f s", el);

	unsigned char *buf = NULL;
	size_t len = 0;
	assert_int_equal(kit_file_read(out, 65536, &buf, &len, &err), 0);
	/* every line is a JSON object; the last one says complete */
	char *save = (char *)buf, *line, *last = NULL;
	int n = 0;
	while ((line = save) && *line) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		save = nl + 1;
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		if (!j)
			fail_msg("not JSON: %s", line);
		assert_true(json_is_object(j));
		json_decref(j);
		last = line;
		n++;
	}
	assert_true(n >= 1);
	json_error_t je;
	json_t *j = json_loads(last, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "complete");
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
			    G.big_hash);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")),
			 BIG_LEN);
	json_decref(j);
	free(buf);
}

int
main(void)
{
	/* the tests decide about proxies themselves */
	static const char *const proxy_vars[] = {
		"http_proxy",
		"https_proxy",
		"HTTPS_PROXY",
		"all_proxy",
		"ALL_PROXY",
		"no_proxy",
		"NO_PROXY",
	};
	for (size_t i = 0; i < sizeof proxy_vars / sizeof proxy_vars[0]; i++)
		unsetenv(proxy_vars[i]);
	signal(SIGPIPE, SIG_IGN);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_new_rejects_bad_options, each_setup),
		cmocka_unit_test_setup(test_unsafe_relpath, each_setup),
		cmocka_unit_test_setup(test_relpath_escapes, each_setup),
		cmocka_unit_test_setup(test_file_url, each_setup),
		cmocka_unit_test_setup(test_folded_first_header, each_setup),
		cmocka_unit_test_setup(test_plain_path, each_setup),
		cmocka_unit_test_setup(test_file_url_no_links, each_setup),
		cmocka_unit_test_setup(test_http_nginx, each_setup),
		cmocka_unit_test_setup(test_https_nginx_ca, each_setup),
		cmocka_unit_test_setup(test_https_without_ca, each_setup),
		cmocka_unit_test_setup(test_drop_resumes_in_call, each_setup),
		cmocka_unit_test_setup(test_resume_across_runs, each_setup),
		cmocka_unit_test_setup(test_503_twice_then_success, each_setup),
		cmocka_unit_test_setup(test_500_gives_up_after_retries, each_setup),
		cmocka_unit_test_setup(test_404_not_retried, each_setup),
		cmocka_unit_test_setup(test_stall_aborts, each_setup),
		cmocka_unit_test_setup(test_redirects, each_setup),
		cmocka_unit_test_setup(test_larger_than_allowed, each_setup),
		cmocka_unit_test_setup(test_extra_bytes_without_length, each_setup),
		cmocka_unit_test_setup(test_extra_bytes_lying_length, each_setup),
		cmocka_unit_test_setup(test_extra_bytes_honest_length, each_setup),
		cmocka_unit_test_setup(test_mirror_down_then_good, each_setup),
		cmocka_unit_test_setup(test_bad_mirror_skipped, each_setup),
		cmocka_unit_test_setup(test_all_mirrors_bad, each_setup),
		cmocka_unit_test_setup(test_stale_part_restarts, each_setup),
		cmocka_unit_test_setup(test_conditional, each_setup),
		cmocka_unit_test_setup(test_conditional_nginx, each_setup),
		cmocka_unit_test_setup(test_conditional_fresh, each_setup),
		cmocka_unit_test_setup(test_conditional_file_url, each_setup),
		cmocka_unit_test_setup(test_proxy_option, each_setup),
		cmocka_unit_test_setup(test_proxy_from_env, each_setup),
		cmocka_unit_test_setup(test_https_through_proxy, each_setup),
		cmocka_unit_test_setup(test_rate_limit_and_json, each_setup),
	};
	return cmocka_run_group_tests_name("transport", tests, group_setup,
					   group_teardown);
}
