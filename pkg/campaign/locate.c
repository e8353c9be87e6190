/*
 * locate.c: a position index for JSON that Jansson has already parsed.
 *
 * Jansson validates and parses; it reports positions only for syntax
 * errors.  To put a validation message at the line:column of a member we
 * scan the raw text once more with a tiny tokenizer that only records
 * where each value (and its key) starts, by JSON path ("posts[3].time").
 * The text is known to be valid JSON, so the scanner does not validate;
 * it stops quietly at anything unexpected.
 */
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"

#define LOC_DEPTH_MAX 64
#define LOC_PATH_MAX 512
#define LOC_MAX 100000

struct scan {
	const unsigned char *p, *end;
	int line, col; /* of the next character */
	struct kc_file *f;
	size_t cap;
	int bad;
};

static void
adv(struct scan *s)
{
	unsigned char c = *s->p++;

	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		/* a character starts here: columns count characters, as Jansson */
		s->col++;
	}
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		adv(s);
}

static void
add_loc(struct scan *s, const char *path, int kl, int kc)
{
	struct kc_loc *l;

	if (s->f->nlocs >= LOC_MAX) {
		s->bad = 1;
		return;
	}
	if (s->f->nlocs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->f->locs = kit_xrealloc(s->f->locs, s->cap * sizeof(*l));
	}
	l = &s->f->locs[s->f->nlocs++];
	l->path = kit_strdup(path);
	l->kline = kl;
	l->kcol = kc;
	l->vline = s->line;
	l->vcol = s->col;
}

/* Skip a string at s->p (on its opening quote); copy its raw contents
 * (escapes left as written) into out when out is not NULL. */
static void
skip_string(struct scan *s, char *out, size_t size)
{
	size_t n = 0;

	adv(s); /* " */
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end) {
			if (out && n + 1 < size)
				out[n++] = (char)*s->p;
			adv(s);
		}
		if (out && n + 1 < size)
			out[n++] = (char)*s->p;
		adv(s);
	}
	if (s->p < s->end)
		adv(s);
	if (out)
		out[n] = '\0';
}

static void scan_value(struct scan *s, const char *path, int kl, int kc,
		       int depth);

static void
scan_object(struct scan *s, const char *path, int depth)
{
	char key[256], sub[LOC_PATH_MAX];
	int kl, kc;

	adv(s); /* { */
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			break;
		kl = s->line;
		kc = s->col;
		skip_string(s, key, sizeof(key));
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':') {
			s->bad = 1;
			return;
		}
		adv(s);
		if (*path)
			(void)snprintf(sub, sizeof(sub), "%s.%s", path, key);
		else
			(void)snprintf(sub, sizeof(sub), "%s", key);
		scan_value(s, sub, kl, kc, depth + 1);
		if (s->bad)
			return;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',')
			adv(s);
	}
	if (s->p < s->end && *s->p == '}')
		adv(s);
}

static void
scan_array(struct scan *s, const char *path, int depth)
{
	char sub[LOC_PATH_MAX];
	size_t i = 0;

	adv(s); /* [ */
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p == ']')
			break;
		(void)snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		scan_value(s, sub, 0, 0, depth + 1);
		if (s->bad)
			return;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',')
			adv(s);
		else
			break;
	}
	skip_ws(s);
	if (s->p < s->end && *s->p == ']')
		adv(s);
}

static void
scan_value(struct scan *s, const char *path, int kl, int kc, int depth)
{
	skip_ws(s);
	if (s->p >= s->end || depth > LOC_DEPTH_MAX) {
		s->bad = 1;
		return;
	}
	add_loc(s, path, kl ? kl : s->line, kl ? kc : s->col);
	switch (*s->p) {
	case '{':
		scan_object(s, path, depth);
		break;
	case '[':
		scan_array(s, path, depth);
		break;
	case '"':
		skip_string(s, NULL, 0);
		break;
	default:
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			adv(s);
		break;
	}
}

int
kc_locate_build(struct kc_file *f)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.p = f->raw;
	s.end = f->raw + f->len;
	s.line = 1;
	s.col = 1;
	s.f = f;
	/* a UTF-8 byte order mark is not a column */
	if (f->len >= 3 && !memcmp(f->raw, "\xEF\xBB\xBF", 3))
		s.p += 3;
	scan_value(&s, "", 0, 0, 0);
	return s.bad ? -1 : 0;
}

void
kc_locate(const struct kc_file *f, const char *path, int at_key, int *line,
	  int *col)
{
	char buf[LOC_PATH_MAX];
	size_t i, n;

	(void)snprintf(buf, sizeof(buf), "%s", path ? path : "");
	for (;;) {
		for (i = 0; i < f->nlocs; i++) {
			if (strcmp(f->locs[i].path, buf) != 0)
				continue;
			*line = at_key ? f->locs[i].kline : f->locs[i].vline;
			*col = at_key ? f->locs[i].kcol : f->locs[i].vcol;
			return;
		}
		/* not there (a missing member): its parent */
		n = strlen(buf);
		if (n == 0)
			break;
		while (n > 0 && buf[n - 1] != '.' && buf[n - 1] != '[')
			n--;
		if (n > 0 && buf[n - 1] == '[') {
			buf[n - 1] = '\0';
		} else if (n > 0) {
			buf[n - 1] = '\0';
		} else {
			buf[0] = '\0';
		}
		at_key = 0;
	}
	*line = 1;
	*col = 1;
}
