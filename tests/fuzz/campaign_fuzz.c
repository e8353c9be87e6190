/* kit-fuzz-links: campaign schedule */
/* kit-fuzz-dict: kit */
/*
 * campaign_fuzz.c: a campaign directory written from the input, loaded
 * (kit_campaign_load), validated (kit_campaign_validate), and, when it
 * validates, built into the global kit and up to three office kits
 * (kit_campaign_kit_new: merge, manifest, Markdown and the HTML preview).
 *
 * Input: files cut at the line "@@kit-fuzz@@", each "<path>\n<bytes>"
 * (gen_campaign_seeds.py packs a directory so).  Paths that are not safe
 * relative paths (kit_path_is_safe) are skipped, at most 32 files.
 *
 * What must hold: a load or build that fails says why (class and
 * message); every diagnostic formats to one line without control
 * characters; a built kit's manifest.json is accepted by kit-schedule's
 * reader (kit_schedule_parse): what validates must be usable downstream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_campaign.h"
#include "kit_schedule.h"

#define MAX_FILES 32

static void
check_diags(const struct kit_campaign_diags *d)
{
	char line[2048];
	size_t i;
	const char *p;

	for (i = 0; i < d->n; i++) {
		kit_campaign_diag_format(&d->v[i], "c", line, sizeof(line));
		for (p = line; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fuzz_die("a diagnostic with a control character",
					 NULL);
	}
}

static void
build(const struct kit_campaign *c, const char *office)
{
	struct kit_error err = {0};
	struct kit_campaign_kit *k;
	struct kit_schedule *s;
	const char *bytes;
	size_t len = 0;

	k = kit_campaign_kit_new(c, office, 3, 1481716800, &err);
	if (k == NULL) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a failed build without a message", NULL);
		fuzz_debug("build %s: %s", office ? office : "global", err.msg);
		return;
	}
	bytes = kit_campaign_kit_manifest_bytes(k, &len);
	s = kit_schedule_parse(bytes, len, "manifest.json", &err);
	if (s == NULL)
		fuzz_die("kit-schedule refuses a manifest that validated", &err);
	fuzz_debug("built %s: %zu entries, %zu posts", office ? office : "global",
		   kit_campaign_kit_entry_count(k), kit_schedule_count(s));
	kit_schedule_free(s);
	kit_campaign_kit_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_campaign_diags d;
	struct kit_error err = {0};
	struct kit_campaign *c;
	char dir[512];
	size_t i;
	int errors;

	fuzz_workdir("campaign");
	fuzz_path(dir, sizeof(dir), "c");
	fuzz_rm("c");
	fuzz_unpack(data, size, "c", NULL, MAX_FILES);
	kit_campaign_diags_init(&d);
	c = kit_campaign_load(dir, &d, &err);
	if (c == NULL) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a failed load without a message", NULL);
		fuzz_debug("load: %s", err.msg);
		check_diags(&d);
		kit_campaign_diags_free(&d);
		return 0;
	}
	errors = kit_campaign_validate(c, &d);
	kit_campaign_diags_sort(&d);
	check_diags(&d);
	fuzz_debug("validate: %d errors, %zu warnings", errors, d.warnings);
	if (errors == 0) {
		build(c, NULL);
		for (i = 0; i < kit_campaign_office_count(c) && i < 3; i++)
			build(c, kit_campaign_office_id(c, i));
	}
	kit_campaign_free(c);
	kit_campaign_diags_free(&d);
	return 0;
}
