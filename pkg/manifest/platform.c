/*
 * platform.c: the platforms a kit's posts may name, what each is called,
 * its limit and how it counts: the one table validation, kit-schedule's
 * exports and the kit page all read.
 */
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
