/* kit-fuzz-links: crypto */
/*
 * minisign_fuzz.c: the .minisig reader (kit_minisign_verify_file).
 *
 * Input: the signature text and the signed file, cut at the line
 * "@@kit-fuzz@@"; the key is RFC 8032 test key 1 (gen_signed_seeds.py
 * signs the seeds with it).  What must hold: a refusal says why; a
 * signature that verifies stops verifying when the file changes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tuf.h"
#include "fuzz_util.h"

#define SEP "\n@@kit-fuzz@@\n"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_slice s[2];
	struct kit_error err = {0};
	char path[512], *text;
	int rc;

	fuzz_workdir("minisign");
	fuzz_tuf_keys();
	fuzz_split(data, size, SEP, s, 2);
	fuzz_put("file", s[1].p, s[1].len);
	fuzz_path(path, sizeof(path), "file");
	text = fuzz_strndup(&s[0]);
	rc = kit_minisign_verify_file(fuzz_tuf_key[0], path, text, &err);
	fuzz_debug("verify: %s", rc == 0 ? "ok" : err.msg);
	if (rc != 0 && (err.code == KIT_E_OK || err.msg[0] == '\0'))
		fuzz_die("a refusal without a message", NULL);
	if (rc == 0) {
		fuzz_put("file", "changed", 7);
		if (kit_minisign_verify_file(fuzz_tuf_key[0], path, text, &err) == 0 &&
		    (s[1].len != 7 || memcmp(s[1].p, "changed", 7) != 0))
			fuzz_die("a signature verifies a changed file", NULL);
	}
	free(text);
	return 0;
}
