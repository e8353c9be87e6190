/* kit-fuzz-links: manifest */
/* kit-fuzz-dict: kit */
/*
 * text_fuzz.c: the small readers every format leans on, fed one string:
 * terminal sanitising, UTF-8, safe relative paths, ids, RFC 3339 times,
 * durations, command-line counts, hex, IANA zone names, and the text
 * length of a post on each platform (kit_manifest_post_length, what
 * validation, export and the kit page all count).
 *
 * What must hold: sanitised text is valid UTF-8, fits its buffer and is
 * left as it is by a second pass; a path called safe has no "", "." or
 * ".." component, no backslash and no leading '/'; an id holds only its
 * characters; a time with an offset prints and parses back to the same
 * instant; hex decodes and encodes back; a zone name never climbs out of
 * the zone database; a post without a link counts as its text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_manifest.h"

static void
sanitize(const char *s, size_t size)
{
	char *a = kit_xmalloc(size), *b = kit_xmalloc(size);

	kit_str_sanitize(s, a, size);
	if (strlen(a) >= size || !kit_utf8_valid(a, strlen(a)))
		fuzz_die("sanitised text is not valid UTF-8 in its buffer", NULL);
	kit_str_sanitize(a, b, size);
	if (strcmp(a, b) != 0)
		fuzz_die("sanitising twice changes the text", NULL);
	free(a);
	free(b);
}

static void
path_safe(const char *s)
{
	const char *c = s, *e;

	if (!kit_path_is_safe(s))
		return;
	if (*s == '/' || strchr(s, '\\') || !kit_utf8_valid(s, strlen(s)))
		fuzz_die("a safe path is absolute, has a backslash or bad UTF-8",
			 NULL);
	for (;; c = e + 1) {
		size_t n;

		e = strchr(c, '/');
		n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			fuzz_die("a safe path has an empty, . or .. component", NULL);
		if (!e)
			break;
	}
}

static void
times(const char *s)
{
	struct kit_error err = {0};
	int64_t t, t2, d;
	int off = 0, off2 = 0;
	char out[64];

	if (kit_time_parse(s, &t, &off, &err) == 0 && off &&
	    t >= -62135596800LL && t <= 253402300799LL) {
		kit_time_format_utc(t, out, sizeof(out));
		if (kit_time_parse(out, &t2, &off2, &err) != 0 || t2 != t)
			fuzz_die("a time does not read back as printed", &err);
	}
	kit_err_clear(&err);
	if (kit_duration_parse(s, &d, &err) != 0 && err.code == KIT_E_OK)
		fuzz_die("a refused duration without a class", NULL);
	if (kit_num_parse(s, 0, INT64_MAX, 1, &d) == 0 && d < 0)
		fuzz_die("a count parsed negative", NULL);
}

static void
hex(const char *s)
{
	size_t n = strlen(s) / 2, i;
	unsigned char *b = kit_xmalloc(n + 1);
	char *e = kit_xmalloc(2 * n + 1);

	if (kit_hex_decode(s, b, n) == 0) {
		kit_hex_encode(b, n, e);
		for (i = 0; i < 2 * n; i++)
			if (e[i] != (s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]))
				fuzz_die("hex does not encode back", NULL);
	}
	free(b);
	free(e);
}

static void
ids_and_zones(const char *s)
{
	const char *p;

	if (kit_str_is_id(s, 0))
		for (p = s; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '-'))
				fuzz_die("an id with a character ids do not have",
					 NULL);
	if (kit_tz_valid(s) && (s[0] == '/' || strstr(s, "..")))
		fuzz_die("a zone name outside the zone database", NULL);
}

static void
lengths(const char *s)
{
	static const char *const platforms[] = {
		"x", "mastodon", "bluesky", "threads", "instagram", "linkedin",
		"facebook", "tiktok", "youtube", "whatsapp", NULL};
	size_t i;
	long limit, n, m;

	for (i = 0; platforms[i]; i++) {
		n = kit_manifest_text_length(platforms[i], s, &limit);
		m = kit_manifest_post_length(platforms[i], s, NULL, &limit);
		if (n != m)
			fuzz_die("a post without a link counts other than its text", NULL);
		(void)kit_manifest_post_length(platforms[i], s,
					       "https://example.org/x", &limit);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = kit_xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	sanitize(s, 1 + (size ? data[0] % 64 : 0));
	sanitize(s, size + 8);
	path_safe(s);
	times(s);
	hex(s);
	ids_and_zones(s);
	if (kit_utf8_valid(s, strlen(s)))
		lengths(s);
	free(s);
	return 0;
}
