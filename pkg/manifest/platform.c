/*
 * platform.c: the platforms a kit's posts may name, what each is called,
 * its limit and how it counts: the one table validation, kit-schedule's
 * exports and the kit page all read.
 */
#include <stdlib.h>
#include <string.h>

#include "kit_manifest.h"

/* In the order of the platform enum of the JSON Schemas in manifests/schema/
 * (the unit test holds them together).  Limits and counting: README. */
static const struct kit_manifest_platform platforms[] = {
	{"x", "X", "X", 280, KIT_MANIFEST_COUNT_X, 23},
	{"facebook", "Facebook", "f", 63206, KIT_MANIFEST_COUNT_CODEPOINTS, 0},
	{"instagram", "Instagram", "IG", 2200, KIT_MANIFEST_COUNT_CODEPOINTS, 0},
	{"linkedin", "LinkedIn", "in", 3000, KIT_MANIFEST_COUNT_CODEPOINTS, 0},
	{"mastodon", "Mastodon", "M", 500, KIT_MANIFEST_COUNT_CLUSTERS, 23},
	{"threads", "Threads", "@", 500, KIT_MANIFEST_COUNT_CLUSTERS, 0},
	{"bluesky", "Bluesky", "B", 300, KIT_MANIFEST_COUNT_CLUSTERS, 0},
};

const struct kit_manifest_platform *
kit_manifest_platform(const char *id)
{
	size_t i;

	for (i = 0; id && i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (strcmp(platforms[i].id, id) == 0)
			return &platforms[i];
	return NULL;
}

const struct kit_manifest_platform *
kit_manifest_platform_at(size_t i)
{
	return i < sizeof(platforms) / sizeof(platforms[0]) ? &platforms[i] : NULL;
}

const char *
kit_manifest_platform_suggest(const char *s)
{
	const char *names[sizeof(platforms) / sizeof(platforms[0])];
	size_t i;

	/* the platform's former name is what people still type */
	if (s && !strcmp(s, "twitter"))
		return "x";
	for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		names[i] = platforms[i].id;
	return kit_str_closest(s, names, i, 2);
}

/* ---- counting --------------------------------------------------------------- */

/* Decode one UTF-8 code point; returns its length or 0 if invalid. */
static size_t
utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		c = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		c = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* twitter-text v3: the ranges that weigh 1; everything else weighs 2. */
static int
x_light(unsigned long c)
{
	return c <= 0x10FF || (c >= 0x2000 && c <= 0x200D) ||
	       (c >= 0x2010 && c <= 0x201F) || (c >= 0x2032 && c <= 0x2037);
}

/* Code points that extend the character before them (combining marks,
 * variation selectors, skin tones, emoji tags, ZWJ). */
static int
extends(unsigned long c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	       (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
	       (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0x1F3FB && c <= 0x1F3FF) ||
	       (c >= 0xE0020 && c <= 0xE007F) || c == 0x200D;
}

static int
is_regional(unsigned long c)
{
	return c >= 0x1F1E6 && c <= 0x1F1FF;
}

/* Length in bytes of a URL starting at s (http:// or https://), or 0. */
static size_t
url_at(const char *s, const char *start)
{
	size_t n;
	unsigned char prev;

	if (s > start) {
		prev = (unsigned char)s[-1];
		if ((prev >= 'a' && prev <= 'z') || (prev >= 'A' && prev <= 'Z') ||
		    (prev >= '0' && prev <= '9') || prev == '/' || prev == '@')
			return 0;
	}
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return 0;
	n = 0;
	while (s[n] && !strchr(" \t\r\n", s[n]) && (unsigned char)s[n] < 0x80)
		n++;
	/* trailing punctuation belongs to the sentence, not the URL */
	while (n > 0 && strchr(".,;:!?)'\"", s[n - 1]))
		n--;
	return n > 8 ? n : 0;
}

long
kit_manifest_text_length(const char *platform, const char *text, long *limit)
{
	const struct kit_manifest_platform *pl = kit_manifest_platform(platform);
	const unsigned char *p;
	size_t i, n, len, u;
	unsigned long c;
	long total = 0;
	int after_zwj = 0, ri_open = 0;

	if (!pl || !text)
		return -1;
	if (limit)
		*limit = pl->limit;
	p = (const unsigned char *)text;
	n = strlen(text);
	for (i = 0; i < n; i += len) {
		if (pl->url_weight > 0) {
			u = url_at(text + i, text);
			if (u) {
				total += pl->url_weight;
				len = u;
				after_zwj = ri_open = 0;
				continue;
			}
		}
		len = utf8_next(p + i, n - i, &c);
		if (len == 0)
			return -1;
		if (pl->count == KIT_MANIFEST_COUNT_CODEPOINTS) {
			total++;
			continue;
		}
		/* a character that continues the one before adds nothing,
		 * so an emoji sequence weighs as one emoji */
		if (i > 0 && (extends(c) || after_zwj ||
			      (is_regional(c) && ri_open))) {
			after_zwj = c == 0x200D;
			ri_open = 0;
			continue;
		}
		after_zwj = 0;
		ri_open = is_regional(c);
		if (pl->count == KIT_MANIFEST_COUNT_X)
			total += x_light(c) ? 1 : 2;
		else
			total++;
	}
	return total;
}

long
kit_manifest_post_length(const char *platform, const char *text,
			 const char *link, long *limit)
{
	char *full;
	long n;

	if (!text)
		return -1;
	/* counted as published: the link follows the text unless the text
	 * already holds it */
	if (link && !strstr(text, link))
		full = kit_aprintf("%s %s", text, link);
	else
		full = kit_strdup(text);
	n = kit_manifest_text_length(platform, full, limit);
	free(full);
	return n;
}
