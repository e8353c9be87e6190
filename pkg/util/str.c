/* str.c: strings, hex, UTF-8 and capped buffers. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_util.h"

static void
oom(void)
{
	fputs("kit: out of memory\n", stderr);
	abort();
}

void *
kit_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
kit_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
kit_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
kit_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = kit_xmalloc(n);

	memcpy(p, s, n);
	return p;
}

int
kit_snprintf(struct kit_error *err, char *buf, size_t size, const char *fmt,
	     ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return kit_err(err, KIT_E_INVALID,
			       "text too long for its %zu-byte buffer", size);
	return 0;
}

char *
kit_aprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = kit_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
kit_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
kit_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

void
kit_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kit_hex_decode(const char *hex, unsigned char *out, size_t outlen)
{
	size_t i;

	if (strlen(hex) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int
kit_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		/* CR only in CR LF: kit-schedule reads CR LF as LF and refuses
		 * a lone CR, which returns a terminal's cursor */
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			return 0;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
		if (p[i] == 0x7f)
			return 0;
		n = utf8_seq(p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * 1 if the valid sequence p (n bytes) is a character a terminal obeys
 * rather than shows: C0 and DEL, C1 (U+0080-U+009F: CSI U+009B starts an
 * escape sequence on many terminals), the bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Trojan Source"
 * reordering), and the line and paragraph separators (U+2028, U+2029).
 */
static int
terminal_control(const unsigned char *p, size_t n)
{
	if (n == 1)
		return p[0] < 0x20 || p[0] == 0x7f;
	if (n == 2)
		return p[0] == 0xc2 && p[1] <= 0x9f;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80)
		return p[2] >= 0xa8 && p[2] <= 0xae;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return 0;
}

const char *
kit_str_hidden_control(const char *s, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, len = strlen(s);

	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (n == 0)
			return NULL;
		if (n > 1 && terminal_control(p + i, n)) {
			*cp = n == 2 ? ((p[i] & 0x1fu) << 6 | (p[i + 1] & 0x3fu))
				     : ((p[i] & 0x0fu) << 12 |
					(p[i + 1] & 0x3fu) << 6 |
					(p[i + 2] & 0x3fu));
			return s + i;
		}
		i += n;
	}
	return NULL;
}

void
kit_str_sanitize(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n, len = strlen(s);

	if (size == 0)
		return;
	while (i < len && o + 1 < size) {
		n = utf8_seq(p + i, len - i);
		if (n == 0 || terminal_control(p + i, n)) {
			out[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

void
kit_buf_init(struct kit_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

int
kit_buf_append(struct kit_buf *b, const void *p, size_t n,
	       struct kit_error *err)
{
	size_t want;

	if (n > b->max || b->len > b->max - n)
		return kit_err(err, KIT_E_INVALID,
			       "buffer would exceed its %zu-byte limit", b->max);
	if (b->len + n + 1 > b->cap) {
		want = b->cap ? b->cap : 256;
		while (want < b->len + n + 1)
			want *= 2;
		b->data = kit_xrealloc(b->data, want);
		b->cap = want;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0'; /* always a C string too */
	return 0;
}

int
kit_buf_printf(struct kit_buf *b, struct kit_error *err, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return kit_err(err, KIT_E_INVALID, "cannot format text");
	if ((size_t)n < sizeof(small))
		return kit_buf_append(b, small, (size_t)n, err);
	big = kit_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = kit_buf_append(b, big, (size_t)n, err);
	free(big);
	return rc;
}

void
kit_buf_free(struct kit_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
kit_str_is_id(const char *s, int allow_upper_dot)
{
	size_t n;

	if (!s || !*s)
		return 0;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
			continue;
		if (allow_upper_dot &&
		    ((c >= 'A' && c <= 'Z') || c == '.' || c == '_'))
			continue;
		return 0;
	}
	return n <= KIT_ID_MAX;
}

int
kit_num_parse(const char *s, uint64_t min, uint64_t max, int allow_suffix,
	      int64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (allow_suffix && (*p == 'k' || *p == 'K'))
		mult = 1024, p++;
	else if (allow_suffix && (*p == 'm' || *p == 'M'))
		mult = 1024 * 1024, p++;
	else if (allow_suffix && (*p == 'g' || *p == 'G'))
		mult = 1024 * 1024 * 1024, p++;
	if (*p != '\0' || v > UINT64_MAX / mult)
		return -1;
	v *= mult;
	/* the limits hold for the value the user meant, suffix applied */
	if (v < min || v > max || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int
fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

size_t
kit_str_distance(const char *a, const char *b)
{
	enum { MAXLEN = 64 };
	size_t d[MAXLEN + 1][MAXLEN + 1];
	size_t n = strlen(a), m = strlen(b), i, j, best;

	if (n > MAXLEN || m > MAXLEN)
		return SIZE_MAX;
	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			int same = fold((unsigned char)a[i - 1]) ==
				   fold((unsigned char)b[j - 1]);

			best = d[i - 1][j - 1] + !same;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    fold((unsigned char)a[i - 1]) == fold((unsigned char)b[j - 2]) &&
			    fold((unsigned char)a[i - 2]) == fold((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

const char *
kit_str_closest(const char *s, const char *const *cands, size_t n,
		size_t max)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX;
	int tie = 0;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n && cands[i] != NULL; i++) {
		d = kit_str_distance(s, cands[i]);
		if (d == SIZE_MAX)
			continue; /* too long to compare: no hint */
		if (d < bestd) {
			best = cands[i];
			bestd = d;
			tie = 0;
		} else if (d == bestd && strcmp(best, cands[i]) != 0) {
			tie = 1;
		}
	}
	/* "a" is one edit from every one-letter name: that is no hint */
	if (best == NULL || tie || bestd > max || bestd >= strlen(s))
		return NULL;
	return best;
}

int
kit_str_is_formula(const char *s)
{
	return s != NULL && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

static int
strpos_cmp(const void *a, const void *b)
{
	const struct kit_strpos *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void
kit_strpos_sort(struct kit_strpos *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), strpos_cmp);
}

const struct kit_strpos *
kit_strpos_find(const struct kit_strpos *v, size_t n, const char *s)
{
	size_t lo = 0, hi = n, mid;

	/* the lower bound: the first entry not below s */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].s, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].s, s) == 0 ? &v[lo] : NULL;
}

void
kit_json_reason(const char *text, char *out, size_t size)
{
	char cut[256];
	const char *near = strstr(text, " near ");
	size_t n = near ? (size_t)(near - text) : strlen(text);

	/* the bytes Jansson quotes after "near" are the input's own */
	if (n >= sizeof(cut))
		n = sizeof(cut) - 1;
	memcpy(cut, text, n);
	cut[n] = '\0';
	kit_str_sanitize(cut, out, size);
}
