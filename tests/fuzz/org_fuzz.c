/* kit-fuzz-links: org */
/* kit-fuzz-dict: kit */
/*
 * org_fuzz.c: the registry of offices (offices.json, kit_org_parse),
 * which kit-fetch reads from the repository.
 *
 * What must hold: a refusal says why; a registry that parses is written
 * (kit_org_write) to bytes that parse again to the same bytes, with the
 * same offices, each found by its id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_org.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_error err = {0};
	struct kit_org *org, *again = NULL;
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, i;

	org = kit_org_parse(data, size, "offices.json", &err);
	if (org == NULL) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a refusal without a class or message", NULL);
		fuzz_debug("parse: %s", err.msg);
		return 0;
	}
	a = kit_org_write(org, &alen, &err);
	if (a == NULL)
		fuzz_die("a registry that parsed does not write", &err);
	again = kit_org_parse((const unsigned char *)a, alen, "written", &err);
	if (again == NULL)
		fuzz_die("a written registry does not parse", &err);
	b = kit_org_write(again, &blen, &err);
	if (b == NULL || alen != blen || memcmp(a, b, alen) != 0 ||
	    kit_org_count(org) != kit_org_count(again))
		fuzz_die("a registry does not read back as written", &err);
	for (i = 0; i < kit_org_count(org); i++) {
		const struct kit_org_office *o = kit_org_at(org, i);

		if (o == NULL || kit_org_find(again, o->id) == NULL)
			fuzz_die("an office is lost in the round trip", NULL);
		(void)kit_org_closest(org, o->id);
	}
	fuzz_debug("%zu offices", kit_org_count(org));
	free(a);
	free(b);
	kit_org_free(again);
	kit_org_free(org);
	return 0;
}
