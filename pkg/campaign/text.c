/*
 * text.c: the language table (the platforms and how each counts are
 * pkg/manifest's, kit_manifest_platform).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"

/*
 * ISO 639-1 codes kit accepts: the languages of the organisation's
 * countries of operation most likely to carry a campaign.  Extend the
 * table (and the README) when an office needs another one.
 */
static const char *const languages[] = {
	"af",
	"am",
	"ar",
	"az",
	"be",
	"bg",
	"bn",
	"bs",
	"ca",
	"cs",
	"da",
	"de",
	"el",
	"en",
	"es",
	"et",
	"fa",
	"fi",
	"fr",
	"ga",
	"ha",
	"he",
	"hi",
	"hr",
	"hu",
	"hy",
	"id",
	"is",
	"it",
	"ja",
	"ka",
	"kk",
	"km",
	"ko",
	"ku",
	"ky",
	"lb",
	"lt",
	"lv",
	"mk",
	"mn",
	"ms",
	"mt",
	"my",
	"ne",
	"nl",
	"no",
	"pl",
	"ps",
	"pt",
	"ro",
	"ru",
	"si",
	"sk",
	"sl",
	"so",
	"sq",
	"sr",
	"sv",
	"sw",
	"ta",
	"tg",
	"th",
	"ti",
	"tk",
	"tl",
	"tr",
	"uk",
	"ur",
	"uz",
	"vi",
	"yo",
	"zh",
};

/*
 * The same languages by their ISO 639-2 codes (terminology, then
 * bibliographic where it differs): people type "swa" or "fre" for sw and
 * fr.  Only to suggest the two-letter code; kits carry ISO 639-1.
 */
static const char *const languages3[][3] = {
	{"af", "afr", NULL},
	{"am", "amh", NULL},
	{"ar", "ara", NULL},
	{"az", "aze", NULL},
	{"be", "bel", NULL},
	{"bg", "bul", NULL},
	{"bn", "ben", NULL},
	{"bs", "bos", NULL},
	{"ca", "cat", NULL},
	{"cs", "ces", "cze"},
	{"da", "dan", NULL},
	{"de", "deu", "ger"},
	{"el", "ell", "gre"},
	{"en", "eng", NULL},
	{"es", "spa", NULL},
	{"et", "est", NULL},
	{"fa", "fas", "per"},
	{"fi", "fin", NULL},
	{"fr", "fra", "fre"},
	{"ga", "gle", NULL},
	{"ha", "hau", NULL},
	{"he", "heb", NULL},
	{"hi", "hin", NULL},
	{"hr", "hrv", NULL},
	{"hu", "hun", NULL},
	{"hy", "hye", "arm"},
	{"id", "ind", NULL},
	{"is", "isl", "ice"},
	{"it", "ita", NULL},
	{"ja", "jpn", NULL},
	{"ka", "kat", "geo"},
	{"kk", "kaz", NULL},
	{"km", "khm", NULL},
	{"ko", "kor", NULL},
	{"ku", "kur", NULL},
	{"ky", "kir", NULL},
	{"lb", "ltz", NULL},
	{"lt", "lit", NULL},
	{"lv", "lav", NULL},
	{"mk", "mkd", "mac"},
	{"mn", "mon", NULL},
	{"ms", "msa", "may"},
	{"mt", "mlt", NULL},
	{"my", "mya", "bur"},
	{"ne", "nep", NULL},
	{"nl", "nld", "dut"},
	{"no", "nor", NULL},
	{"pl", "pol", NULL},
	{"ps", "pus", NULL},
	{"pt", "por", NULL},
	{"ro", "ron", "rum"},
	{"ru", "rus", NULL},
	{"si", "sin", NULL},
	{"sk", "slk", "slo"},
	{"sl", "slv", NULL},
	{"so", "som", NULL},
	{"sq", "sqi", "alb"},
	{"sr", "srp", NULL},
	{"sv", "swe", NULL},
	{"sw", "swa", NULL},
	{"ta", "tam", NULL},
	{"tg", "tgk", NULL},
	{"th", "tha", NULL},
	{"ti", "tir", NULL},
	{"tk", "tuk", NULL},
	{"tl", "tgl", NULL},
	{"tr", "tur", NULL},
	{"uk", "ukr", NULL},
	{"ur", "urd", NULL},
	{"uz", "uzb", NULL},
	{"vi", "vie", NULL},
	{"yo", "yor", NULL},
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
