/* tuf_int.h: helpers shared by the files of pkg/tuf (not public). */
#ifndef KIT_TUF_INT_H
#define KIT_TUF_INT_H

#include <jansson.h>

#include "kit_tuf.h"

/* keyid of a TUF key object. */
int tuf_keyid_of_json(const json_t *key, char *keyid, struct kit_error *err);
/* Strict "YYYY-MM-DDTHH:MM:SSZ"; -1 when malformed. */
int tuf_parse_expires(const char *s, int64_t *t);
/* "targets/<dir>/<hash>.<basename>" (consistent) or "targets/<name>"
 * into out; -1 when too long or name is unsafe (kit_tuf_name_is_safe). */
int tuf_target_relpath(char *out, size_t size, const char *name,
		       const char *hash, int consistent);
/* Digest length in bytes of a hash algorithm this client computes
 * ("sha256", "sha512"); 0 for any other. */
size_t tuf_hash_len(const char *alg);

#endif
