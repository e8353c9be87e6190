/* publisher_int.h: what the publisher's files share (not a public API). */
#ifndef KIT_PUBLISHER_INT_H
#define KIT_PUBLISHER_INT_H

#include "kit_publisher.h"

#define PASS_MAX 256

/* Progress on stderr, "kit-publish: ..." (nothing when quiet). */
void say(const struct kit_publisher_opts *o, const char *fmt, ...)
	KIT_PRINTF(2, 3);
/* Open the repository and unlock the keys of the roles a commit signs
 * (root too when with_root); pass[PASS_MAX] receives the passphrase. */
struct kit_tuf_repo *open_repo(const struct kit_publisher_opts *o, char *pass,
			       int with_root, struct kit_error *err) KIT_WUR;
/* The published office registry (an empty one when there is none yet);
 * caller frees.  KIT_E_SECURITY when the file does not match its target. */
struct kit_org *pub_registry(const struct kit_tuf_repo *r,
			     struct kit_error *err) KIT_WUR;

/* The delegated roles the current snapshot lists (the offices' roles):
 * names into *out (caller frees each and the array); the count. */
size_t pub_roles(const struct kit_tuf_repo *r, char ***out);
/* Prune what no client can need after a commit (kit_tuf_repo_prune with
 * the timestamp's lifetime, an hour at least); a failure is a warning. */
void pub_prune(const struct kit_publisher_opts *o, struct kit_tuf_repo *r);

#endif
