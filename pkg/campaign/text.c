/*
 * text.c: platforms, their text limits and how each counts, and the
 * language table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"

struct platform {
	const char *name;
	long limit;
	int mode; /* how it counts */
};

enum { COUNT_X, COUNT_CLUSTERS_URL23, COUNT_CLUSTERS, COUNT_CODEPOINTS };

static const struct platform platforms[] = {
	{"x", 280, COUNT_X},
	{"mastodon", 500, COUNT_CLUSTERS_URL23},
	{"bluesky", 300, COUNT_CLUSTERS},
	{"threads", 500, COUNT_CLUSTERS},
	{"instagram", 2200, COUNT_CODEPOINTS},
	{"linkedin", 3000, COUNT_CODEPOINTS},
	{"facebook", 63206, COUNT_CODEPOINTS},
};

/*
 * ISO 639-1 codes kit accepts: the languages of the organisation's
 * countries of operation most likely to carry a campaign.  Extend the
 * table (and the README) when an office needs another one.
 */
static const char *const languages[] = {
	"af", "am", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "da",
	"de", "el", "en", "es", "et", "fa", "fi", "fr", "ga", "ha", "he",
	"hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "km",
	"ko", "ku", "ky", "lb", "lt", "lv", "mk", "mn", "ms", "mt", "my",
	"ne", "nl", "no", "pl", "ps", "pt", "ro", "ru", "si", "sk", "sl",
	"so", "sq", "sr", "sv", "sw", "ta", "tg", "th", "ti", "tk", "tl",
	"tr", "uk", "ur", "uz", "vi", "yo", "zh",
};

/*
 * The same languages by their ISO 639-2 codes (terminology, then
 * bibliographic where it differs): people type "swa" or "fre" for sw and
 * fr.  Only to suggest the two-letter code; kits carry ISO 639-1.
 */
static const char *const languages3[][3] = {
	{"af", "afr", NULL},  {"am", "amh", NULL},  {"ar", "ara", NULL},
	{"az", "aze", NULL},  {"be", "bel", NULL},  {"bg", "bul", NULL},
	{"bn", "ben", NULL},  {"bs", "bos", NULL},  {"ca", "cat", NULL},
	{"cs", "ces", "cze"}, {"da", "dan", NULL},  {"de", "deu", "ger"},
	{"el", "ell", "gre"}, {"en", "eng", NULL},  {"es", "spa", NULL},
	{"et", "est", NULL},  {"fa", "fas", "per"}, {"fi", "fin", NULL},
	{"fr", "fra", "fre"}, {"ga", "gle", NULL},  {"ha", "hau", NULL},
	{"he", "heb", NULL},  {"hi", "hin", NULL},  {"hr", "hrv", NULL},
	{"hu", "hun", NULL},  {"hy", "hye", "arm"}, {"id", "ind", NULL},
	{"is", "isl", "ice"}, {"it", "ita", NULL},  {"ja", "jpn", NULL},
	{"ka", "kat", "geo"}, {"kk", "kaz", NULL},  {"km", "khm", NULL},
	{"ko", "kor", NULL},  {"ku", "kur", NULL},  {"ky", "kir", NULL},
	{"lb", "ltz", NULL},  {"lt", "lit", NULL},  {"lv", "lav", NULL},
	{"mk", "mkd", "mac"}, {"mn", "mon", NULL},  {"ms", "msa", "may"},
	{"mt", "mlt", NULL},  {"my", "mya", "bur"}, {"ne", "nep", NULL},
	{"nl", "nld", "dut"}, {"no", "nor", NULL},  {"pl", "pol", NULL},
	{"ps", "pus", NULL},  {"pt", "por", NULL},  {"ro", "ron", "rum"},
	{"ru", "rus", NULL},  {"si", "sin", NULL},  {"sk", "slk", "slo"},
	{"sl", "slv", NULL},  {"so", "som", NULL},  {"sq", "sqi", "alb"},
	{"sr", "srp", NULL},  {"sv", "swe", NULL},  {"sw", "swa", NULL},
	{"ta", "tam", NULL},  {"tg", "tgk", NULL},  {"th", "tha", NULL},
	{"ti", "tir", NULL},  {"tk", "tuk", NULL},  {"tl", "tgl", NULL},
	{"tr", "tur", NULL},  {"uk", "ukr", NULL},  {"ur", "urd", NULL},
	{"uz", "uzb", NULL},  {"vi", "vie", NULL},  {"yo", "yor", NULL},
	{"zh", "zho", "chi"},
};

int
kc_language_suggest(const char *lang, char *out, size_t size)
{
	char low[8];
	size_t i, n = lang ? strlen(lang) : 0;

	if (n == 0 || n >= sizeof(low))
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ? lang[i] - 'A' + 'a' : lang[i]);
	/* "EN", "en_gb", "en-gb": the code in its usual form */
	if (n == 5 && (low[2] == '_' || low[2] == '-')) {
		low[2] = '\0';
		if (!kit_campaign_language_known(low) || low[3] < 'a' ||
		    low[3] > 'z' || low[4] < 'a' || low[4] > 'z')
			return 0;
		return snprintf(out, size, "%s-%c%c", low, low[3] - 'a' + 'A',
				low[4] - 'a' + 'A') < (int)size;
	}
	if (n == 2 && kit_campaign_language_known(low))
		return snprintf(out, size, "%s", low) < (int)size;
	for (i = 0; n == 3 && i < sizeof(languages3) / sizeof(languages3[0]); i++)
		if (!strcmp(low, languages3[i][1]) ||
		    (languages3[i][2] && !strcmp(low, languages3[i][2])))
			return snprintf(out, size, "%s", languages3[i][0]) < (int)size;
	return 0;
}

const char *
kc_platform_suggest(const char *platform)
{
	const char *names[sizeof(platforms) / sizeof(platforms[0])];
	size_t i;

	/* the platform's former name is what people still type */
	if (platform && !strcmp(platform, "twitter"))
		return "x";
	for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		names[i] = platforms[i].name;
	return kit_str_closest(platform, names, i, 2);
}

int
kit_campaign_platform_known(const char *platform)
{
	size_t i;

	for (i = 0; platform && i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (!strcmp(platforms[i].name, platform))
			return 1;
	return 0;
}

int
kit_campaign_language_known(const char *lang)
{
	char primary[3];
	size_t i, n;

	if (!lang)
		return 0;
	n = strlen(lang);
	/* "en" or "en-GB" / "pt-BR": the primary subtag decides */
	if (n != 2 && !(n == 5 && lang[2] == '-' && lang[3] >= 'A' &&
			lang[3] <= 'Z' && lang[4] >= 'A' && lang[4] <= 'Z'))
		return 0;
	primary[0] = lang[0];
	primary[1] = lang[1];
	primary[2] = '\0';
	for (i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
		if (!strcmp(languages[i], primary))
			return 1;
	return 0;
}

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
kit_campaign_text_length(const char *platform, const char *text, long *limit)
{
	const struct platform *pl = NULL;
	const unsigned char *p;
	size_t i, n, len, u;
	unsigned long c;
	long total = 0;
	int after_zwj = 0, ri_open = 0;

	for (i = 0; platform && i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (!strcmp(platforms[i].name, platform))
			pl = &platforms[i];
	if (!pl || !text)
		return -1;
	if (limit)
		*limit = pl->limit;
	p = (const unsigned char *)text;
	n = strlen(text);
	for (i = 0; i < n; i += len) {
		if (pl->mode == COUNT_X || pl->mode == COUNT_CLUSTERS_URL23) {
			u = url_at(text + i, text);
			if (u) {
				total += 23;
				len = u;
				after_zwj = ri_open = 0;
				continue;
			}
		}
		len = utf8_next(p + i, n - i, &c);
		if (len == 0)
			return -1;
		if (pl->mode == COUNT_CODEPOINTS) {
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
		if (pl->mode == COUNT_X)
			total += x_light(c) ? 1 : 2;
		else
			total++;
	}
	return total;
}

long
kc_post_length(const char *platform, const char *text, const char *link,
	       long *limit)
{
	char *full;
	long n;

	/* counted as published: the link follows the text unless the text
	 * already holds it */
	if (link && !strstr(text, link))
		full = kit_aprintf("%s %s", text, link);
	else
		full = kit_strdup(text);
	n = kit_campaign_text_length(platform, full, limit);
	free(full);
	return n;
}
