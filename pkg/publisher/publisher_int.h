/* publisher_int.h: what the publisher's files share (not a public API). */
#ifndef KIT_PUBLISHER_INT_H
#define KIT_PUBLISHER_INT_H

#include "kit_manifest.h"
#include "kit_org.h"
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

/* HQ's key for the offices' delegated roles, keys_dir/offices-1.pem (the
 * keys' passphrase), made on first use, and added to r for signing.
 * Caller frees after r. */
struct kit_key *pub_hq_key(const struct kit_publisher_opts *o,
			   struct kit_tuf_repo *r, const char *pass,
			   struct kit_error *err) KIT_WUR;
/* Delegate office's role as its registry entry f says (NULL: HQ signs for
 * it): its paths "*" "/<office>.idx" and "*" "/<office>.tar.zst" (every
 * campaign, nothing else; kit_manifest_target_pattern),
 * terminating, its keys the office's own and HQ's office key hq, its
 * threshold the entry's (1 when HQ signs alone).  Nothing changes when the
 * delegation says that already. */
int pub_office_delegate(struct kit_tuf_repo *r, const struct kit_key *hq,
			const char *office, const struct kit_org_office *f,
			struct kit_error *err) KIT_WUR;

/* 1 when the delegation of office's role lists the pattern of its kits of
 * kind (kit_manifest_target_pattern); a delegation from before .idx
 * targets lists only the archives'. */
int pub_office_covers(const struct kit_tuf_repo *r, const char *office,
		      enum kit_manifest_target_kind kind);

/* The delegated roles the current snapshot lists (the offices' roles):
 * names into *out (caller frees each and the array); the count. */
size_t pub_roles(const struct kit_tuf_repo *r, char ***out);
/* Prune what no client can need after a commit (kit_tuf_repo_prune with
 * the timestamp's lifetime, an hour at least); a failure is a warning. */
void pub_prune(const struct kit_publisher_opts *o, struct kit_tuf_repo *r);

/*
 * packs.c: each file's content stored once in the repository
 * (packs/<sha256>.pack, kit_bundle_pack_*), found again through the
 * publisher's catalog (packs/catalog.json, a kit index without a kit).
 * pub_packs_open loads the catalog (a missing, unreadable or stale one
 * -- naming a pack that is not there, or too short -- counts as empty:
 * the objects are stored again).  pub_packs_add_kit stores the kit's
 * objects the repository lacks into this publish's one new pack and
 * remembers the kit as number *kit_no; with prev_index (the index of the
 * kit's previous version, may be NULL) a new file of at most
 * KIT_INDEX_DELTA_MAX bytes whose path had other content there (and the
 * manifest) also gets a delta from that content when the delta is less
 * than half the object.  pub_packs_finish names the pack
 * by its hash, writes each kit's index (packs/<sha256>.idx) and the
 * catalog; then pub_packs_index gives a kit's index hash and length, and
 * (upd_from > 0) those of the index of only what the kit's version
 * upd_from lacks.
 */
struct pub_packs;
struct kit_campaign_kit;
struct pub_packs *pub_packs_open(const char *repo_dir, int zstd_level,
				 struct kit_error *err) KIT_WUR;
int pub_packs_add_kit(struct pub_packs *pp, const struct kit_campaign_kit *kit,
		      const char *campaign, int version, const char *prev_index,
		      size_t *kit_no, struct kit_error *err) KIT_WUR;
int pub_packs_finish(struct pub_packs *pp, struct kit_error *err) KIT_WUR;
void pub_packs_index(const struct pub_packs *pp, size_t kit_no,
		     const char **sha256, uint64_t *len, int *upd_from,
		     const char **upd_sha256, uint64_t *upd_len);
/* Objects and stored bytes this publish added. */
void pub_packs_added(const struct pub_packs *pp, size_t *objects,
		     uint64_t *bytes);
void pub_packs_free(struct pub_packs *pp);
/*
 * After kit_tuf_repo_prune: remove the packs (packs/<sha256>.pack) and
 * indexes (packs/<sha256>.idx) that no kept version names, once unchanged
 * for longer than grace seconds.  Kept versions are every targets metadata
 * file still in metadata/ (the top-level targets and every delegated role,
 * of every campaign); what they name is each target's custom.index and
 * custom.index.update, and a target that is itself an index
 * (<campaign>/<kit>.idx, read from packs/ or its target file); a pack is
 * named when a kept index lists it.  The catalog loses the objects of the
 * packs that go first (written atomically and durably), then they are
 * unlinked: a crash in between leaves packs nothing names, removed next
 * time.  An index that cannot be read or parsed prunes nothing
 * (KIT_E_IO / KIT_E_INVALID).  Counts what went into *files, *bytes.
 */
int pub_packs_prune(const char *repo_dir, int64_t grace, int64_t now,
		    size_t *files, uint64_t *bytes, struct kit_error *err) KIT_WUR;

#endif
