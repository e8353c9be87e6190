/* tuf_int.h: helpers shared by the files of pkg/tuf (not public). */
#ifndef KIT_TUF_INT_H
#define KIT_TUF_INT_H

#include <stdint.h>

#include <jansson.h>

#include "kit_tuf.h"

/*
 * The threshold check of kit_tuf_verify() with the keys given directly:
 * keys (object key id -> TUF key), ids (array of the key ids role may sign
 * with), threshold (>= 1); role names the role and namer what defines its
 * keys ("the trusted root", "delegating role \"x\"") in messages.  For
 * delegations: pass the delegating metadata's "keys" and the delegation's
 * "keyids" and "threshold".
 */
int tuf_verify_keys(const json_t *keys, const json_t *ids, int64_t threshold,
		    const char *role, const char *namer, const json_t *meta,
		    const char *what, struct kit_error *err);
/* keyid of a TUF key object. */
int tuf_keyid_of_json(const json_t *key, char *keyid, struct kit_error *err);
/* Each entry of a "keys" object (root's or a delegator's) has keytype,
 * scheme and keyval; KIT_E_SECURITY naming what. */
int tuf_check_keys(const json_t *keys, const char *what, struct kit_error *err);
/* Strict "YYYY-MM-DDTHH:MM:SSZ"; -1 when malformed. */
int tuf_parse_expires(const char *s, int64_t *t);
/* Digest length in bytes of a hash algorithm this client computes
 * ("sha256", "sha512"); 0 for any other. */
size_t tuf_hash_len(const char *alg);

/* --- delegated targets roles (delegation.c) ------------------------------ */

/* Shape of a targets role's "delegations" object (kit_tuf_check() calls
 * it): keys, and either roles (each with a name that is not a top-level
 * role's and not repeated, keyids without repeats, threshold >= 1,
 * terminating, and exactly one of paths / path_hash_prefixes) or TAP 15
 * succinct_roles (keyids, threshold, bit_length 1..32, name_prefix).
 * KIT_E_SECURITY naming what. */
int tuf_check_delegations(const json_t *d, const char *what,
			  struct kit_error *err);

/* 1 when the delegation role (an entry of "roles") covers target name:
 * one of its "paths" patterns or "path_hash_prefixes" matches. */
int tuf_delegation_covers(const json_t *role, const char *name);

/* The delegated roles one client has loaded since its last update. */
struct tuf_deleg;
void tuf_deleg_free(struct tuf_deleg *d);

/* A kit_tuf_target from target name's entry ti (borrowed). */
void tuf_fill_target(const char *name, const json_t *ti,
		     struct kit_tuf_target *out);

/* What client.c lends delegation.c: the trusted "signed" object of a
 * top-level role (NULL before an update), the state directory, the
 * delegated roles slot, and its download, hash and expiry checks. */
/* 1 when the trusted root says the repository has consistent snapshots
 * (N.<role>.json, targets/<dir>/<hash>.<basename>). */
int tuf_client_consistent(const struct kit_tuf_client *c);
const json_t *tuf_client_signed(const struct kit_tuf_client *c,
				enum kit_tuf_role role);
const char *tuf_client_dir(const struct kit_tuf_client *c);
struct tuf_deleg **tuf_client_deleg(struct kit_tuf_client *c);
/* kit_tuf_client_set_strict_paths()'s setting. */
int tuf_client_strict_paths(const struct kit_tuf_client *c);
int tuf_client_download(struct kit_tuf_client *c, const char *name,
			size_t max, unsigned char **raw, size_t *len,
			struct kit_error *err);
int tuf_client_check_len_hashes(const json_t *entry, const unsigned char *raw,
				size_t len, const char *what, const char *by,
				struct kit_error *err);
int tuf_client_expired(struct kit_tuf_client *c, const char *what,
		       int64_t expires, struct kit_error *err);

/* The targets object of role's metadata ("targets", or a delegated role
 * by its name) when r holds exactly what N.<role>.json of version says:
 * written or read by r and not changed since; else NULL (read the file). */
const json_t *tuf_repo_committed_targets(const struct kit_tuf_repo *r,
					 const char *role, int64_t version);

/* The earliest "expires" of the delegated roles loaded (INT64_MAX when
 * none). */
int64_t tuf_deleg_earliest_expiry(const struct tuf_deleg *d);

#endif
