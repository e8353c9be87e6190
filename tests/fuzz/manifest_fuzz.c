/* kit-fuzz-links: manifest */
/* kit-fuzz-dict: kit */
/*
 * manifest_fuzz.c: the bundle manifest's one parser (kit_manifest_parse)
 * and its writer.  The input is a manifest.json; the seeds are the
 * committed manifests/ of the real campaigns and kit-schedule's fixtures.
 *
 * What must hold: a refusal carries a class and a message; a manifest the
 * parser accepts passes kit_manifest_check, is written again by the writer
 * (which refuses nothing the parser accepted), and those bytes parse back
 * to the same content digest and are written again to the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_error err = {0};
	struct kit_manifest *m, *again;
	char a[KIT_SHA256_HEX], b[KIT_SHA256_HEX];
	char *bytes = NULL, *bytes2 = NULL;
	size_t len = 0, len2 = 0;

	m = kit_manifest_parse(data, size, "manifest.json", &err);
	if (m == NULL) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a refusal without an error class or message", NULL);
		fuzz_debug("parse: %s", err.msg);
		return 0;
	}
	if (kit_manifest_check(m, &err) != 0)
		fuzz_die("a parsed manifest fails its own check", &err);
	if (kit_manifest_content(m, a, &err) != 0 ||
	    kit_manifest_write(m, &bytes, &len, &err) != 0)
		fuzz_die("a parsed manifest cannot be written", &err);
	again = kit_manifest_parse(bytes, len, "written", &err);
	if (again == NULL)
		fuzz_die("what the writer wrote does not parse", &err);
	if (kit_manifest_content(again, b, &err) != 0 || strcmp(a, b) != 0)
		fuzz_die("written again, the content digest changed", &err);
	if (kit_manifest_write(again, &bytes2, &len2, &err) != 0 ||
	    len2 != len || memcmp(bytes, bytes2, len) != 0)
		fuzz_die("written twice, the bytes differ", &err);
	fuzz_debug("%zu posts, %zu files", m->n_posts, m->n_files);
	free(bytes);
	free(bytes2);
	kit_manifest_free(again);
	kit_manifest_free(m);
	return 0;
}
