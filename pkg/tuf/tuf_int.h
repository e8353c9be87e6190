/* tuf_int.h: helpers shared by the files of pkg/tuf (not public). */
#ifndef KIT_TUF_INT_H
#define KIT_TUF_INT_H

#include <stdint.h>

#include <jansson.h>

#include "kit_tuf.h"

/*
 * The threshold check of kit_tuf_verify() with the keys given directly:
 * keys (object key id -> TUF key), ids (array of the key ids role may sign
 * with), threshold (>= 1); role names the role in messages (a delegated
 * role's name is fine).  For delegations: pass the delegating metadata's
 * "keys" and the delegation's "keyids" and "threshold".
 */
int tuf_verify_keys(const json_t *keys, const json_t *ids, int64_t threshold,
		    const char *role, const json_t *meta, const char *what,
		    struct kit_error *err);
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
