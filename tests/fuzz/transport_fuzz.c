/* kit-fuzz-links: transport */
/* kit-fuzz-dict: http */
/*
 * transport_fuzz.c: kit's HTTP handling (kit_transport_fetch_cond and
 * kit_transport_fetch: status codes, Content-Length and Content-Range,
 * resume of a .part, ETag, Last-Modified and Date, Retry-After, redirects,
 * mirrors) against a server that answers with the input.
 *
 * A thread of this process listens on 127.0.0.1 and is every request's
 * proxy (so no name is ever resolved and nothing leaves the machine); the
 * i-th request it receives is answered with the i-th slice of the input
 * (slices cut at the line "@@kit-fuzz@@", sent as they are, then the
 * connection is closed), and with a 404 once they run out.  Each input
 * drives: a conditional GET of metadata/timestamp.json with validators, a
 * download of a target with an expected hash that resumes a .part of its
 * first 12 bytes, and a plain download capped at 1024 bytes; two mirrors,
 * one retry each, backoffs of a few milliseconds.
 *
 * What must hold: a failure has a class and a message; a download that
 * succeeds is no longer than its cap and, with a hash, holds exactly the
 * expected bytes; validators handed back are one line of printable ASCII
 * (they are sent again as request headers).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "kit_crypto.h"
#include "kit_transport.h"

#define SEP "\n@@kit-fuzz@@\n"
#define NSLICES 16
#define TARGET "kit version one\n"

static const char not_found[] =
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fuzz_slice slices[NSLICES];
static size_t nslices, next_slice;
static int listen_fd = -1;
static char proxy[64];

/* Read the request head (up to a blank line, 16 KiB, or 2 s). */
static void
read_request(int fd)
{
	char buf[16384];
	size_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};

	while (n < sizeof(buf) - 1 && poll(&p, 1, 2000) > 0) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
}

static void *
serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		const void *p = not_found;
		size_t len = sizeof(not_found) - 1, off = 0;
		char *copy = NULL;

		if (fd < 0)
			continue;
		read_request(fd);
		/* a copy: the client may give up and the input be freed while
		 * this answer is still being sent */
		pthread_mutex_lock(&mu);
		fuzz_debug("request %zu", next_slice);
		if (next_slice < nslices) {
			len = slices[next_slice].len;
			copy = kit_xmalloc(len + 1);
			memcpy(copy, slices[next_slice].p, len);
			p = copy;
			next_slice++;
		}
		pthread_mutex_unlock(&mu);
		while (off < len) {
			ssize_t w = send(fd, (const char *)p + off, len - off,
					 MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		shutdown(fd, SHUT_RDWR);
		close(fd);
		free(copy);
	}
	return NULL;
}

static void
start_server(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t th;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 16) ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &alen))
		fuzz_die("cannot start the test server", NULL);
	if (pthread_create(&th, NULL, serve, NULL) != 0)
		fuzz_die("cannot start the test server", NULL);
	pthread_detach(th);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u",
		 (unsigned)ntohs(a.sin_port));
}

static void
failed(const char *what, const struct kit_error *err)
{
	if (err->code == KIT_E_OK || err->msg[0] == '\0')
		fuzz_die("a failure without a class or message", NULL);
	fuzz_debug("%s: %s", what, err->msg);
}

static void
printable(const char *what, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			fuzz_die(what, NULL);
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		fuzz_die("a download that succeeded left no file", NULL);
	return (uint64_t)st.st_size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bases[] = {"http://a.invalid/repo/",
					    "http://b.invalid/"};
	struct kit_transport_opts o;
	struct kit_transport *t;
	struct kit_error err = {0};
	char ts[512], tg[512], part[600], sn[512], hex[KIT_SHA256_HEX];
	unsigned char *got = NULL;
	size_t len = 0;
	struct kit_transport_cond cond = {
		.etag = "\"5f2b1a00-1a\"",
		.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT",
	};

	fuzz_workdir("transport");
	if (listen_fd < 0)
		start_server();
	pthread_mutex_lock(&mu);
	nslices = fuzz_split(data, size, SEP, slices, NSLICES);
	next_slice = 0;
	pthread_mutex_unlock(&mu);

	fuzz_rm("dl");
	fuzz_path(ts, sizeof(ts), "dl/timestamp.json");
	fuzz_path(tg, sizeof(tg), "dl/target");
	fuzz_path(sn, sizeof(sn), "dl/snapshot.json");
	snprintf(part, sizeof(part), "%s.part", tg);
	fuzz_put("dl/target.part", TARGET, 12);

	kit_transport_opts_init(&o);
	o.base_urls = bases;
	o.n_base_urls = 2;
	o.proxy = proxy;
	o.connect_timeout = 2;
	o.low_speed_limit = 1;
	o.low_speed_time = 2;
	o.retries = 1;
	o.backoff_base_ms = 1;
	o.backoff_cap_ms = 4;
	o.quiet = 1;
	o.no_sync = 1;
	t = kit_transport_new(&o, &err);
	if (t == NULL)
		fuzz_die("transport", &err);

	if (kit_transport_fetch_cond(t, "metadata/timestamp.json", ts, 16384,
				     &cond, &err) != 0) {
		failed("timestamp", &err);
	} else if (fuzz_debug("timestamp: %s", cond.not_modified ? "not modified" : "ok"),
		   !cond.not_modified) {
		if (file_size(ts) > 16384)
			fuzz_die("a download over its cap", NULL);
		printable("an ETag that is not printable ASCII", cond.etag_out);
		printable("a Last-Modified that is not printable ASCII", cond.last_modified_out);
	}

	kit_err_clear(&err);
	kit_sha256_hex(TARGET, strlen(TARGET), hex);
	if (kit_transport_fetch(t, "targets/c/x.tar.zst", tg, 64, hex,
				strlen(TARGET), &err) != 0) {
		failed("target", &err);
	} else {
		fuzz_debug("target: ok");
		if (kit_file_read(tg, 64, &got, &len, &err) != 0 ||
		    len != strlen(TARGET) || memcmp(got, TARGET, len) != 0)
			fuzz_die("a download with a hash holds other bytes", &err);
		free(got);
	}

	kit_err_clear(&err);
	if (kit_transport_fetch(t, "metadata/1.snapshot.json", sn, 1024, NULL,
				0, &err) != 0)
		failed("snapshot", &err);
	else if (fuzz_debug("snapshot: ok"), file_size(sn) > 1024)
		fuzz_die("a download over its cap", NULL);
	kit_transport_free(t);
	return 0;
}
