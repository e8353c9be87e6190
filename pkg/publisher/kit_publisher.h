/*
 * kit_publisher.h: what kit-publish does, from campaign sources to a signed
 * static repository.  It ties campaign (validation, kits), bundle
 * (deterministic archives) and tuf (repository writer) together.
 *
 * Passphrases come from kit_passphrase_get() (KIT_PASSPHRASE_FILE,
 * KIT_PASSPHRASE, or a prompt).  Progress goes to stderr; stdout stays for
 * data (diagnostics of validate, the public key of pubkey).
 *
 * Error classes: KIT_E_INVALID (a campaign that does not validate, bad
 * options), KIT_E_USAGE, KIT_E_SECURITY (wrong passphrase, a repository
 * that does not verify, too few keys), KIT_E_IO.
 */
#ifndef KIT_PUBLISHER_H
#define KIT_PUBLISHER_H

#include <stdio.h>

#include "kit_org.h"
#include "kit_tuf.h"
#include "kit_util.h"

#define KIT_PUBLISHER_ZSTD_DEFAULT 9

struct kit_publisher_opts {
	const char *repo_dir;           /* the static repository */
	const char *keys_dir;           /* private keys, outside the repository */
	struct kit_tuf_repo_config cfg; /* keys, thresholds, expiry per role */
	int expiry_set[KIT_TUF_NROLES]; /* 1 where --expires overrode cfg */
	int zstd_level;                 /* 1..19 */
	int kit_version;                /* for build without a repository (>= 1) */
	const char *manifests_dir;      /* build: also write manifests here */
	int archives;                   /* publish: also <office>.tar.zst targets */
	int quiet;
};

void kit_publisher_opts_init(struct kit_publisher_opts *o);
/* Parse "timestamp=1d,snapshot=7d,targets=90d,root=365d" into o. */
int kit_publisher_parse_expires(struct kit_publisher_opts *o, const char *spec,
				struct kit_error *err) KIT_WUR;

/* New repository and keys (and the minisign key, keys_dir/minisign.pem;
 * its public key at repo_dir/minisign.pub). */
int kit_publisher_init(const struct kit_publisher_opts *o,
		       struct kit_error *err) KIT_WUR;
/* Print every diagnostic ("file:line:col: error: ...") on out; *errors
 * receives the count of errors.  Returns -1 with KIT_E_INVALID when there
 * is any error. */
int kit_publisher_validate(const char *campaign_dir, FILE *out,
			   size_t *errors, struct kit_error *err) KIT_WUR;
/* Build every kit of the campaign into out_dir/<campaign>/<office>.tar.zst
 * (and the manifests when o->manifests_dir is set). */
int kit_publisher_build(const struct kit_publisher_opts *o,
			const char *campaign_dir, const char *out_dir,
			struct kit_error *err) KIT_WUR;
/* Validate every campaign, then build and publish what changed (version
 * + 1 per changed kit) as one new targets version: each kit's index as
 * the target <campaign>/<office>.idx, its files in packs/, and with
 * o->archives its archive <campaign>/<office>.tar.zst too, with a
 * .minisig beside it; nothing is published when any campaign does not
 * validate.  *published receives the number of kits added (0: the
 * repository already had this content). */
int kit_publisher_publish(const struct kit_publisher_opts *o,
			  const char *const *campaign_dirs, size_t ndirs,
			  size_t *published, struct kit_error *err) KIT_WUR;
/* Retire campaign: every kit of it leaves the targets metadata (one new
 * targets version); offices keep or remove their installed kit as their
 * configuration says (kit-fetch init --retired).  After every commit
 * (publish, timestamp, retire, office) the repository is pruned of what no
 * client can need (kit_tuf_repo_prune): old metadata versions and the
 * target files only they named, once the timestamp's lifetime has passed
 * since they were superseded.  KIT_E_INVALID (with the close match) for a
 * campaign the repository does not have. */
int kit_publisher_retire(const struct kit_publisher_opts *o,
			 const char *campaign, struct kit_error *err) KIT_WUR;
/* Re-sign snapshot and timestamp with fresh expiry (for a timer). */
int kit_publisher_timestamp(const struct kit_publisher_opts *o,
			    struct kit_error *err) KIT_WUR;
/* New keys for role; a new root version (pending until enough root keys
 * signed it, then published). */
int kit_publisher_rotate(const struct kit_publisher_opts *o, const char *role,
			 unsigned nkeys, unsigned threshold,
			 struct kit_error *err) KIT_WUR;
/* Add the signature of the root key in key_file (its own passphrase) to
 * the pending root, and publish it when the thresholds are met. */
int kit_publisher_sign_root(const struct kit_publisher_opts *o,
			    const char *key_file, struct kit_error *err) KIT_WUR;
/* Print the minisign public key (minisign -V -p FILE). */
int kit_publisher_pubkey(const struct kit_publisher_opts *o, FILE *out,
			 struct kit_error *err) KIT_WUR;
/*
 * Write a copy of the repository to dest (removable media, for offices
 * that sync rarely) whose own snapshot and timestamp stay valid for
 * expires seconds; the live repository is re-signed above them with its
 * usual expiry (kit_tuf_repo_sign_copy), so only the copy carries the long
 * one.  The copy holds what a TUF client needs: every root version, the
 * current targets metadata, the copy's snapshot and timestamp (written
 * last), minisign.pub, and the kits with their .minisig: all of them, or
 * with office (not NULL) the ones that office installs (its own of each
 * campaign, else the global one; kit_campaign_pick_kits).  Written in C
 * through dirfds: no link is followed in the repository or on the medium,
 * each file goes through a temporary name renamed over it, every kit is
 * checked against its signed hash as it is copied.  What was written and
 * until when the copy is valid is said on stderr (not with o->quiet).
 * KIT_E_USAGE for --to inside the repository or overlapping the keys.
 */
int kit_publisher_export(const struct kit_publisher_opts *o, const char *dest,
			 int64_t expires, const char *office,
			 struct kit_error *err) KIT_WUR;

/*
 * The organisation's office registry (kit_org.h), the target
 * KIT_ORG_TARGET of the top-level targets role: set adds or replaces one
 * office, remove takes one out (with the close match when there is no such
 * office), import sets every office of a file (JSON lines, one office
 * object a line, or a whole registry), each signed and published as one
 * new targets version (nothing when the registry did not change).  list
 * prints the published registry (id, zone, languages, keys, name, country;
 * or its JSON with json), needing no keys.  Once the registry lists any
 * office, publish refuses a campaign with an overlay for an office it does
 * not list (KIT_E_INVALID, with the close match).
 */
int kit_publisher_office_set(const struct kit_publisher_opts *o,
			     const struct kit_org_office *office,
			     struct kit_error *err) KIT_WUR;
int kit_publisher_office_remove(const struct kit_publisher_opts *o,
				const char *id, struct kit_error *err) KIT_WUR;
int kit_publisher_office_import(const struct kit_publisher_opts *o,
				const char *path, struct kit_error *err) KIT_WUR;
int kit_publisher_office_list(const struct kit_publisher_opts *o, int json,
			      FILE *out, struct kit_error *err) KIT_WUR;

/*
 * Offices that sign their own overlay.  The registry lists the office's
 * keys (Ed25519, hex) and a threshold; HQ's set / import then delegates the
 * office's role to those keys and HQ's office key (threshold 1: either may
 * sign; the number of the office's keys + 1: HQ co-signs), and HQ's publish
 * leaves that office's overlay to the office.
 * office_key: the office's signing key, keys_dir/office.pem (made on first
 * use, encrypted with the passphrase); its public half as hex on out, for
 * HQ's office add --key.
 * office_publish: the office's focal point, with its keys_dir, builds its
 * kit of each campaign (only when its inputs changed, as publish does) into
 * the repository and signs the office's role with the office's key: a new
 * metadata/N.<office>.json (fewer signatures than the threshold when HQ
 * must co-sign) and the archives under targets/; nothing else (the
 * snapshot and timestamp are HQ's: HQ's next commit, kit-publish timestamp
 * or office cosign, lists the role).  KIT_E_INVALID when the registry does
 * not list the office with this key, or HQ has not delegated its role to it
 * yet, or a campaign has no overlay for it.
 * office_cosign: HQ adds its office key's signature to the office's role as
 * the office signed it (the same version), says what it signed, and
 * commits; KIT_E_SECURITY when the role still falls short of its threshold.
 */
int kit_publisher_office_key(const struct kit_publisher_opts *o, FILE *out,
			     struct kit_error *err) KIT_WUR;
int kit_publisher_office_publish(const struct kit_publisher_opts *o,
				 const char *office,
				 const char *const *campaign_dirs, size_t ndirs,
				 size_t *published_count,
				 struct kit_error *err) KIT_WUR;
int kit_publisher_office_cosign(const struct kit_publisher_opts *o,
				const char *office,
				struct kit_error *err) KIT_WUR;

#endif
