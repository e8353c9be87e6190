/* kit-fuzz-links: tuf */
/*
 * canonical_fuzz.c: canonical JSON (kit_tuf_canonical) over any JSON that
 * Jansson parses.
 *
 * What must hold: the output of a value parses again (unless a string holds
 * a control character, which canonical JSON leaves raw and JSON does not
 * allow) to a value that is equal and whose canonical form is the same
 * bytes: no whitespace, keys sorted, one form per value.  A refusal (a
 * real number, nesting over 64 levels) has an error class and a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_tuf.h"

static int
has_control(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_error err = {0};
	struct kit_buf a, b;
	json_error_t je;
	json_t *j, *k = NULL;

	j = json_loadb((const char *)data, size,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (j == NULL)
		return 0;
	kit_buf_init(&a, 1u << 24);
	kit_buf_init(&b, 1u << 24);
	if (kit_tuf_canonical(j, &a, &err) < 0) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			abort();
		goto out;
	}
	if (has_control(a.data, a.len))
		goto out;
	k = json_loadb((const char *)a.data, a.len,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (k == NULL) {
		fprintf(stderr, "canonical_fuzz: output does not parse: %s\n",
			je.text);
		abort();
	}
	if (!json_equal(j, k) || kit_tuf_canonical(k, &b, &err) < 0 ||
	    a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
		fprintf(stderr, "canonical_fuzz: not one form per value\n");
		abort();
	}
out:
	json_decref(j);
	json_decref(k);
	kit_buf_free(&a);
	kit_buf_free(&b);
	return 0;
}
