/*
 * kit_tuf.h: The Update Framework 1.0.x for kit: canonical JSON, the
 * metadata model and its checks, signatures with thresholds, a repository
 * writer (kit-publish) and the client workflow of the specification's
 * section 5 (kit-fetch).
 *
 * Trust model.  A client trusts one pinned root.  Everything else follows
 * from it: the root chain N+1.root.json ... (each new root signed by the
 * old root's threshold and its own), then timestamp -> snapshot -> targets
 * -> target files, each bounded in size and checked by length, SHA-256,
 * signatures, version (no rollback) and expiry.  Delegated targets roles
 * (spec 5.6.7) are followed when a target is looked up
 * (kit_tuf_client_find_target()), each verified with the keys and
 * threshold of the delegation that led to it.  The writer makes ed25519
 * keys ({"keytype":"ed25519",
 * "scheme":"ed25519","keyval":{"public":"<64 hex>"}}) with key ids the
 * SHA-256 hex of that object's canonical JSON; the client also verifies
 * "ecdsa"/"ecdsa-sha2-nistp256" keys of scheme "ecdsa-sha2-nistp256" and
 * "rsa" keys of scheme "rsassa-pss-sha256" (keyval.public a PEM public
 * key, signatures hex: DER for ECDSA), does not require key ids to be
 * hashes (see kit_tuf_verify()), and ignores keys of other types (they
 * never count towards a threshold).  Hashes (of targets and of metadata
 * files): "sha256" and "sha512" are computed and must be exactly their
 * digest in lower-case hex (else the metadata is refused); every one of
 * them that is listed must match; other algorithms are ignored, and a
 * target listing none of the two is refused when it is fetched (the rest of
 * the targets stay usable).  Names from metadata (target names, role names)
 * pass kit_tuf_name_is_safe() before they become part of any path.
 *
 * Error classes:
 *   KIT_E_SECURITY  anything that fails verification: malformed or
 *                   unparsable metadata, bad or too few signatures, wrong
 *                   role, rollback, expiry, length or hash mismatch, a file
 *                   larger than allowed; the message names the role or file,
 *                   why, and what to do.
 *   KIT_E_NETWORK   the fetch callback failed (its own message is kept).
 *   KIT_E_IO        local files (state dir, repository, keys dir).
 *   KIT_E_INVALID   bad arguments, internal failure.
 *
 * Thread safety: objects are not shared between threads.
 */
#ifndef KIT_TUF_H
#define KIT_TUF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kit_crypto.h"
#include "kit_util.h"

#define KIT_TUF_SPEC_VERSION "1.0.31"

/* Download caps where trusted metadata gives no length. */
#define KIT_TUF_MAX_ROOT_LEN (512u * 1024u)
#define KIT_TUF_MAX_TIMESTAMP_LEN (16u * 1024u)
#define KIT_TUF_MAX_SNAPSHOT_LEN (4u * 1024u * 1024u)
#define KIT_TUF_MAX_TARGETS_LEN (16u * 1024u * 1024u)
/* At most this many new root versions in one update (spec 5.3.3 "Y"). */
#define KIT_TUF_MAX_ROOT_ROTATIONS 32
/* At most this many delegated roles visited in one target lookup (spec
 * 5.6.7.1; python-tuf's max_delegations). */
#define KIT_TUF_MAX_DELEGATIONS 32
/* Cap on canonical JSON output. */
#define KIT_TUF_MAX_CANONICAL (64u * 1024u * 1024u)

enum kit_tuf_role {
	KIT_TUF_ROOT = 0,
	KIT_TUF_TARGETS = 1,
	KIT_TUF_SNAPSHOT = 2,
	KIT_TUF_TIMESTAMP = 3,
	KIT_TUF_NROLES = 4,
};

/* "root", "targets", "snapshot", "timestamp" (static strings). */
const char *kit_tuf_role_name(enum kit_tuf_role role);
/* The role for a name; -1 when unknown. */
int kit_tuf_role_from_name(const char *name);

/* ------------------------------------------------------------------ */
/* Canonical JSON and signatures                                      */
/* ------------------------------------------------------------------ */

/*
 * Append the canonical JSON (OLPC, as securesystemslib and TUF define it)
 * of j to out: object keys sorted by byte order, no whitespace, strings
 * with only '"' and '\' escaped (every other byte as is, UTF-8 untouched),
 * integers only, true/false/null.  Refuses reals (KIT_E_INVALID) and an
 * output over out's cap.  out is caller-owned (kit_buf_init()ed).
 */
int kit_tuf_canonical(const json_t *j, struct kit_buf *out,
		      struct kit_error *err) KIT_WUR;

/* The TUF public key object of k ({"keytype","scheme","keyval"}); new
 * reference, caller json_decref()s.  Never NULL. */
json_t *kit_tuf_key_json(const struct kit_key *k);
/* keyid = SHA-256 hex of the canonical JSON of the key object, into
 * keyid[KIT_SHA256_HEX]. */
int kit_tuf_keyid(const struct kit_key *k, char *keyid,
		  struct kit_error *err) KIT_WUR;

/*
 * Sign metadata {"signed": ..., "signatures": [...]} in place with k
 * (private): an ed25519 signature over canonical(signed), added to
 * "signatures" (created if missing), replacing an earlier signature by
 * the same key id.
 */
int kit_tuf_sign(json_t *meta, const struct kit_key *k,
		 struct kit_error *err) KIT_WUR;

/*
 * Check the shape of metadata for role: {"signed","signatures"}, _type,
 * spec_version 1.x.y, version >= 1, expires "YYYY-MM-DDTHH:MM:SSZ", and
 * the role's own fields (root: keys, roles with keyids and threshold >= 1,
 * consistent_snapshot; timestamp: meta "snapshot.json"; snapshot: meta
 * with "targets.json"; targets: targets with length, hashes.sha256 and
 * object custom).  what names the file in messages.  version and expires
 * may be NULL.  KIT_E_SECURITY when anything is off.
 */
int kit_tuf_check(const json_t *meta, enum kit_tuf_role role,
		  const char *what, int64_t *version, int64_t *expires,
		  struct kit_error *err) KIT_WUR;

/*
 * Verify that meta carries valid signatures of role by at least the
 * threshold of distinct keys that root (a checked root metadata object,
 * {"signed",...}) authorises for role.  Signatures by key ids the role does
 * not list, or by keys of a type this client does not verify, are ignored.
 * Keys are told apart by their decoded bytes (kit_key_fingerprint): one key
 * counts once however many key ids or spellings list it.  A key id need not
 * be the hash of its key (python-tuf and the conformance suite's tuf-on-ci
 * and Sigstore repositories do not require it).  KIT_E_SECURITY naming
 * what, the role, the threshold and how many valid signatures were found.
 */
int kit_tuf_verify(const json_t *root, enum kit_tuf_role role,
		   const json_t *meta, const char *what,
		   struct kit_error *err) KIT_WUR;

/* Longest name from metadata that may become a path, and longest
 * component of it (room for a 128-digit hash and a dot in 255 bytes). */
#define KIT_TUF_MAX_NAME 1024
#define KIT_TUF_MAX_NAME_PART 120
/*
 * The one rule for a name from metadata before it becomes a path or part
 * of one, on disk or in a request: kit_path_is_safe() (relative, no ".",
 * ".." or empty component, no backslash, UTF-8 without control
 * characters), at most KIT_TUF_MAX_NAME bytes, each component at most
 * KIT_TUF_MAX_NAME_PART.  1 if safe (name may be NULL: 0).
 */
int kit_tuf_name_is_safe(const char *name);
/*
 * A role name as one file name component, for "<role>.json" in a state
 * directory and "N.<role>.json" in a request: every byte but A-Z a-z 0-9
 * '.' '_' '-' '~' percent-encoded (as python-tuf's quote(name, "")), then
 * checked with kit_tuf_name_is_safe().  KIT_E_SECURITY for "", ".", ".."
 * or a name too long for size or the rule.
 */
int kit_tuf_role_filename(const char *role, char *out, size_t size,
			  struct kit_error *err) KIT_WUR;

/* Parse metadata bytes (Jansson, duplicate keys refused); KIT_E_SECURITY
 * with Jansson's line and column.  buf is borrowed: the caller keeps it and
 * frees it, whatever the result.  New reference. */
json_t *kit_tuf_parse(const unsigned char *buf, size_t len, const char *what,
		      struct kit_error *err) KIT_WUR;

/* ------------------------------------------------------------------ */
/* Repository writer (kit-publish)                                    */
/* ------------------------------------------------------------------ */

/*
 * Layout written (consistent snapshots):
 *   repo/metadata/N.root.json (every version kept) and root.json (copy of
 *   the newest), N.targets.json, N.<role>.json for delegated roles,
 *   N.snapshot.json, timestamp.json,
 *   pending.root.json while a new root collects signatures;
 *   repo/targets/<dir>/<sha256>.<basename> for target "<dir>/<basename>".
 * Keys dir (outside the repository): one passphrase-encrypted PKCS#8 PEM
 * per key, "<role>-<n>.pem" (0600, never overwritten), and keys.json
 * (no secrets): {"keys":[{"role","keyid","file"}], "expires":{role:secs}}.
 * Which keys are in force is decided by the current root; keys.json only
 * says which file holds which key id.
 * Write order: target files, N.targets.json, N.snapshot.json,
 * timestamp.json last, each atomic, so a reader never sees a timestamp
 * that points at a missing file.
 */
struct kit_tuf_role_config {
	unsigned keys;      /* number of keys, >= 1 */
	unsigned threshold; /* 1 <= threshold <= keys */
	int64_t expires;    /* seconds from signing */
};
struct kit_tuf_repo_config {
	struct kit_tuf_role_config role[KIT_TUF_NROLES];
};
/* 1 key, threshold 1; expiry root 365d, targets 90d, snapshot 7d,
 * timestamp 1d. */
void kit_tuf_repo_config_default(struct kit_tuf_repo_config *cfg);

/*
 * Create a new repository in repo_dir (its metadata/ must not exist yet)
 * with new keys in keys_dir (created 0700), all encrypted with passphrase:
 * 1.root.json (signed by all root keys), 1.targets.json (no targets),
 * 1.snapshot.json, timestamp.json.  KIT_E_INVALID for a bad config or an
 * existing repository, KIT_E_IO for files.
 */
int kit_tuf_repo_init(const char *repo_dir, const char *keys_dir,
		      const struct kit_tuf_repo_config *cfg,
		      const char *passphrase, struct kit_error *err) KIT_WUR;

struct kit_tuf_repo;
/*
 * Open a repository: loads the newest N.root.json (which must be signed by
 * its own threshold), timestamp.json, and the snapshot and targets they
 * point to, and pending.root.json if present, each shape-checked
 * (KIT_E_SECURITY when malformed; signatures of the other roles are not
 * required here: after a rotation commit re-signs them).  keys_dir may be
 * NULL (no signing possible).  Caller frees with kit_tuf_repo_free().
 */
struct kit_tuf_repo *kit_tuf_repo_open(const char *repo_dir,
				       const char *keys_dir,
				       struct kit_error *err) KIT_WUR;
void kit_tuf_repo_free(struct kit_tuf_repo *r);
/* Keep the open descriptor fd (a lock taken before the repository was
 * opened) until kit_tuf_repo_free() closes it. */
void kit_tuf_repo_hold(struct kit_tuf_repo *r, int fd);

/* Override a role's expiry (seconds) for this session. */
void kit_tuf_repo_set_expiry(struct kit_tuf_repo *r, enum kit_tuf_role role,
			     int64_t secs);
/*
 * Load the private keys of role that the current root (and, for root, the
 * pending root) lists and whose files are in keys_dir, decrypted with
 * passphrase.  Files absent from keys_dir are skipped (held by someone
 * else).  Returns the number of keys loaded (>= 0) or -1: KIT_E_SECURITY
 * for a wrong passphrase, KIT_E_IO.
 */
int kit_tuf_repo_unlock(struct kit_tuf_repo *r, enum kit_tuf_role role,
			const char *passphrase, struct kit_error *err) KIT_WUR;
/* Add a private key loaded by the caller (e.g. a root key holder's own
 * file, kit_key_load()).  Borrowed: k must outlive r.  role is advisory:
 * the current (or pending) root decides what a key may sign. */
int kit_tuf_repo_add_key(struct kit_tuf_repo *r, enum kit_tuf_role role,
			 const struct kit_key *k, struct kit_error *err) KIT_WUR;

/*
 * Add or replace target name ("<dir>/<basename>", kit_path_is_safe) from
 * the file at path, with custom (an object, borrowed and copied; NULL for
 * none).  The file is copied now to targets/<dir>/<sha256>.<basename>;
 * the metadata changes on kit_tuf_repo_commit().
 */
int kit_tuf_repo_add_target(struct kit_tuf_repo *r, const char *name,
			    const char *path, const json_t *custom,
			    struct kit_error *err) KIT_WUR;
/* Remove a target (its consistent file stays for clients mid-update). */
int kit_tuf_repo_remove_target(struct kit_tuf_repo *r, const char *name,
			       struct kit_error *err) KIT_WUR;
/* Where the repository holds the file of target name (as published:
 * repo_dir/targets/<dir>/<sha256>.<basename>), into out; KIT_E_INVALID
 * when no target has that name or the path is too long. */
int kit_tuf_repo_target_path(const struct kit_tuf_repo *r, const char *name,
			     char *out, size_t size,
			     struct kit_error *err) KIT_WUR;
/* The current targets object (name -> {length, hashes, custom});
 * borrowed, valid until the next call on r. */
const json_t *kit_tuf_repo_targets(const struct kit_tuf_repo *r);
/* Version of the current metadata of role. */
int64_t kit_tuf_repo_version(const struct kit_tuf_repo *r,
			     enum kit_tuf_role role);

/*
 * Delegated targets roles (spec 4.5), for roles such as one per office:
 * kit_tuf_repo_delegate() adds (or replaces, keeping its place) the
 * delegation of the top-level targets to role d->name: its public keys
 * (their private halves need not be here), threshold, path patterns (as
 * kit_tuf_client_find_target() matches them) and whether it is
 * terminating.  Role names: 1..64 bytes of A-Z a-z 0-9 '-' '.' '_', not
 * starting with '.', not a top-level role's (KIT_E_INVALID).  Keys no role
 * uses any more leave the delegations.  The role starts with no targets.
 * kit_tuf_repo_add_role_target() / _remove_role_target() change the
 * targets of a delegated role as kit_tuf_repo_add_target() does for the
 * top-level one; a name outside the role's paths is refused
 * (KIT_E_INVALID: clients would never look for it there).
 * kit_tuf_repo_role_targets(): a role's targets object (borrowed, NULL for
 * no such role).
 * kit_tuf_repo_sign_role(): for a role's own key holder: write
 * metadata/N.<role>.json when the role changed (signed by the threshold of
 * its keys, added with kit_tuf_repo_add_key(); KIT_E_SECURITY when too
 * few), nothing else.  kit_tuf_repo_open() takes the newest such file, so
 * the next kit_tuf_repo_commit() (by whoever holds the snapshot and
 * timestamp keys) lists it in the snapshot.
 */
struct kit_tuf_delegation {
	const char *name;
	const struct kit_key *const *keys; /* public keys, borrowed */
	size_t nkeys;                      /* 1..16 */
	unsigned threshold;                /* 1..nkeys */
	const char *const *paths;          /* patterns, at least one */
	size_t npaths;
	int terminating;
};
int kit_tuf_repo_delegate(struct kit_tuf_repo *r,
			  const struct kit_tuf_delegation *d,
			  struct kit_error *err) KIT_WUR;
int kit_tuf_repo_add_role_target(struct kit_tuf_repo *r, const char *role,
				 const char *name, const char *path,
				 const json_t *custom,
				 struct kit_error *err) KIT_WUR;
int kit_tuf_repo_remove_role_target(struct kit_tuf_repo *r, const char *role,
				    const char *name,
				    struct kit_error *err) KIT_WUR;
const json_t *kit_tuf_repo_role_targets(const struct kit_tuf_repo *r,
					const char *role);
/* Take the delegation of role out of the top-level targets (and its keys
 * no other role uses): the next commit's snapshot no longer lists it, and
 * kit_tuf_repo_prune() removes its metadata once no kept snapshot lists it.
 * KIT_E_INVALID when there is no such role. */
int kit_tuf_repo_undelegate(struct kit_tuf_repo *r, const char *role,
			    struct kit_error *err) KIT_WUR;
int kit_tuf_repo_sign_role(struct kit_tuf_repo *r, const char *role,
			   struct kit_error *err) KIT_WUR;
/*
 * Roles signed by more than one party (an office's key and HQ's, threshold
 * two).  With partial roles on, the writer signs a changed role with the
 * keys it holds even when they are fewer than the threshold (at least one:
 * the others co-sign that same version), and a commit leaves a role that
 * does not verify yet as it is, instead of signing it again.
 * kit_tuf_repo_cosign_role(): add a signature by every loaded key of the
 * role's delegation that has not signed it, to the role's current version
 * as it is (the same file, rewritten atomically; *added counts them).
 * kit_tuf_repo_role_verifies(): 1 when the role's current version has
 * the threshold of its delegation's signatures.
 * kit_tuf_repo_delegation(): the role's entry in the top-level
 * delegations ({name, keyids, threshold, paths, terminating}; borrowed,
 * NULL when not delegated).
 */
void kit_tuf_repo_set_partial_roles(struct kit_tuf_repo *r, int on);
int kit_tuf_repo_cosign_role(struct kit_tuf_repo *r, const char *role,
			     size_t *added, struct kit_error *err) KIT_WUR;
int kit_tuf_repo_role_verifies(const struct kit_tuf_repo *r, const char *role);
/* The version of the role's current metadata (0: none yet). */
int64_t kit_tuf_repo_role_version(const struct kit_tuf_repo *r,
				  const char *role);
const json_t *kit_tuf_repo_delegation(const struct kit_tuf_repo *r,
				      const char *role);

/*
 * Write a new N.<role>.json for each delegated role that changed (or no
 * longer verifies under its delegation), then a new N.targets.json when
 * targets changed or the targets file no longer verifies under the current
 * root (after a rotation), then always a new N.snapshot.json (listing
 * targets.json and every delegated role) and timestamp.json with fresh
 * expiry (so commit with no change is "kit-publish timestamp").  Needs the
 * keys of the roles it signs (threshold of each): KIT_E_SECURITY when too
 * few, before anything is written.
 */
int kit_tuf_repo_commit(struct kit_tuf_repo *r, struct kit_error *err) KIT_WUR;

/*
 * A snapshot and a timestamp for a copy of the repository on removable
 * media, for offices that sync rarely: signed now, listing the current
 * targets metadata, versions one above the current ones, the timestamp
 * expiring `expires` seconds from now (>= 60) and the snapshot then or at
 * its usual expiry, whichever is later.  Nothing is written: out receives
 * the bytes of <snapshot_name> and of timestamp.json (free them with
 * kit_tuf_copy_free()).  r then counts them as its current snapshot and
 * timestamp, so a kit_tuf_repo_commit() that follows signs the live
 * repository's with versions above them and its usual expiry: a version
 * a copy carries never means anything else online, and only the copy
 * carries the long expiry.  Needs the threshold of snapshot and
 * timestamp keys (KIT_E_SECURITY otherwise).
 */
struct kit_tuf_copy {
	unsigned char *snapshot, *timestamp;
	size_t snapshot_len, timestamp_len;
	char snapshot_name[64];    /* "<version>.snapshot.json" */
	int64_t timestamp_expires; /* Unix time */
};
int kit_tuf_repo_sign_copy(struct kit_tuf_repo *r, int64_t expires,
			   struct kit_tuf_copy *out,
			   struct kit_error *err) KIT_WUR;
void kit_tuf_copy_free(struct kit_tuf_copy *c);
/* The bytes of the current metadata of role (for root: the newest root),
 * as on disk; borrowed, valid until the next call that changes r. */
const unsigned char *kit_tuf_repo_meta_bytes(const struct kit_tuf_repo *r,
					     enum kit_tuf_role role,
					     size_t *len);
/* Where a repository keeps target name, the one rule (TUF 1.0, 5.7.3):
 * with consistent snapshots "targets/<dir>/<hash>.<basename>" (the hash
 * before the file's base name, not before the whole path), without them
 * "targets/<name>", into out; -1 when it does not fit or name fails
 * kit_tuf_name_is_safe().  The repository writer always writes consistent
 * snapshots; a client asks kit_tuf_client_target_path(). */
int kit_tuf_target_path(char *out, size_t size, const char *name,
			const char *hash, int consistent) KIT_WUR;
/* The lifetime role's metadata is signed with (seconds), and the
 * repository's directory (borrowed). */
int64_t kit_tuf_repo_lifetime(const struct kit_tuf_repo *r,
			      enum kit_tuf_role role);
const char *kit_tuf_repo_dir(const struct kit_tuf_repo *r);
/*
 * Remove what no client can need any more.  Metadata: a version of the
 * snapshot or of a targets role (top-level or delegated) older than the
 * one the current snapshot lists, once the version after it has been on
 * disk for longer than grace seconds (a client or mirror holding an
 * unexpired timestamp from before then may still ask for it: pass at
 * least the timestamp's lifetime).  Every version of a delegated role the
 * current snapshot no longer lists (its delegation was taken out), once no
 * kept snapshot version lists it.  Root versions stay (clients walk the
 * chain).  Target files (targets/..., with their .minisig) that no kept
 * targets metadata names, unchanged for longer than grace.  Counts what
 * was removed into *files and *bytes (may be NULL).  KIT_E_IO.
 */
int kit_tuf_repo_prune(struct kit_tuf_repo *r, int64_t grace, int64_t now,
		       size_t *files, uint64_t *bytes,
		       struct kit_error *err) KIT_WUR;
/* When the current metadata of role expires (Unix time; 0 if unknown). */
int64_t kit_tuf_repo_expires(const struct kit_tuf_repo *r,
			     enum kit_tuf_role role);

/*
 * Root changes go through metadata/pending.root.json, version current+1.
 * kit_tuf_repo_rotate(): new keys for role (nkeys, threshold) saved in
 * keys_dir with passphrase, replacing the role's keys in the pending root
 * (created from the current root with a fresh expiry when absent); old
 * signatures on the pending root are dropped, then it is signed with every
 * unlocked or new root key (old and new).
 * kit_tuf_repo_sign_root(): add k's signature (k must be a root key of the
 * current or the pending root; KIT_E_SECURITY otherwise).
 * kit_tuf_repo_publish_root(): when the pending root is signed by the
 * current root's threshold and its own, write N.root.json and root.json
 * and remove pending.root.json; else KIT_E_SECURITY saying which threshold
 * is missing.  Then kit_tuf_repo_commit() re-signs the rotated roles.
 */
int kit_tuf_repo_rotate(struct kit_tuf_repo *r, enum kit_tuf_role role,
			unsigned nkeys, unsigned threshold,
			const char *passphrase, struct kit_error *err) KIT_WUR;
int kit_tuf_repo_sign_root(struct kit_tuf_repo *r, const struct kit_key *k,
			   struct kit_error *err) KIT_WUR;
int kit_tuf_repo_publish_root(struct kit_tuf_repo *r,
			      struct kit_error *err) KIT_WUR;

/* ------------------------------------------------------------------ */
/* Client (kit-fetch)                                                 */
/* ------------------------------------------------------------------ */

/*
 * The fetch callback downloads relpath (relative to the repository base:
 * "metadata/timestamp.json", "metadata/3.root.json",
 * "targets/<dir>/<sha256>.<basename>") to dest_path (created or truncated),
 * writing never more than max_len bytes (stop and fail with KIT_E_SECURITY
 * or KIT_E_NETWORK when the server sends more; the client also checks the
 * size).  Returns:
 *   KIT_TUF_FETCH_OK (0)            dest_path holds the file;
 *   KIT_TUF_FETCH_NOT_FOUND (1)     the server says it does not exist
 *                                   (404; ends the root chain walk);
 *   KIT_TUF_FETCH_NOT_MODIFIED (2)  only for "metadata/timestamp.json":
 *                                   unchanged since the timestamp this
 *                                   client last accepted (keep validators
 *                                   such as the ETag only after a
 *                                   successful update);
 *   -1                              transport error, err set (KIT_E_NETWORK).
 */
#define KIT_TUF_FETCH_OK 0
#define KIT_TUF_FETCH_NOT_FOUND 1
#define KIT_TUF_FETCH_NOT_MODIFIED 2
typedef int (*kit_tuf_fetch_fn)(void *arg, const char *relpath,
				const char *dest_path, uint64_t max_len,
				struct kit_error *err);

struct kit_tuf_client;
/*
 * state_dir holds the trusted metadata: root.json (must exist: install it
 * with kit_tuf_client_pin_root()), and timestamp.json, snapshot.json,
 * targets.json once trusted, and KIT_TUF_ROOT_WALK_FILE (the time of the
 * last root chain walk); downloads go to state_dir/.download.* first.
 * Nothing is read before kit_tuf_client_update().  Caller frees.
 */
struct kit_tuf_client *kit_tuf_client_new(const char *state_dir,
					  kit_tuf_fetch_fn fetch, void *arg,
					  struct kit_error *err) KIT_WUR;
void kit_tuf_client_free(struct kit_tuf_client *c);

/*
 * Install root_path as the pinned root state_dir/root.json after checking
 * it (shape, signed by its own threshold; expiry is not checked: the next
 * update walks the chain from it).  Refuses to replace an existing root
 * unless replace is set.  KIT_E_SECURITY, KIT_E_IO.
 */
int kit_tuf_client_pin_root(const char *state_dir, const char *root_path,
			    int replace, struct kit_error *err) KIT_WUR;

/*
 * Lazy root mode (off by default, spec order): turn it on only when the
 * fetch callback will ask for timestamp.json conditionally (it holds the
 * HTTP validators of the trusted timestamp, so an unchanged one comes back
 * as KIT_TUF_FETCH_NOT_MODIFIED).  The timestamp is then fetched first,
 * and when the server answers NOT_MODIFIED the root chain probe is
 * skipped, so an unchanged repository costs one small request.  Any other
 * answer (a new timestamp, or the same bytes in a full response) walks the
 * root chain before the timestamp is checked.  The walk is not skipped
 * either when the trusted root has expired, or when the last walk recorded
 * in state_dir/KIT_TUF_ROOT_WALK_FILE is missing, malformed, in the future
 * or KIT_TUF_ROOT_WALK_INTERVAL or more ago; every completed walk (in
 * either mode) records its time there.  So a new root is noticed with the
 * next new timestamp, the next expiry of the trusted root, or within a
 * day.  Without validators, keep it off: the first request would then be
 * wasted and the order not the specification's.
 */
#define KIT_TUF_ROOT_WALK_FILE "last-root-walk"
#define KIT_TUF_ROOT_WALK_INTERVAL (24 * 3600)
void kit_tuf_client_set_lazy_root(struct kit_tuf_client *c, int on);
/*
 * Strict paths (off by default, as the specification and python-tuf do):
 * when on, a delegated role that lists any target its delegation's paths
 * or hash prefixes do not cover is refused whole (KIT_E_SECURITY), where
 * the specification only ignores such a target.  kit-fetch turns it on: an
 * office's key that signs another office's kit (or anything outside its
 * own paths) is an attack to report, not noise.
 */
void kit_tuf_client_set_strict_paths(struct kit_tuf_client *c, int on);

/*
 * What the caller recorded after its last complete update (lazy root mode
 * only): the SHA-256 of the trusted timestamp.json then
 * (kit_tuf_client_timestamp_digest) and the earliest expiry of every piece
 * of metadata it relied on (kit_tuf_client_earliest_expiry).  The next
 * kit_tuf_client_update() then stops after the timestamp request when the
 * repository answers that it is unchanged, the trusted timestamp (still
 * verified with the trusted root) has that digest, no root walk is due and
 * that expiry is still ahead: kit_tuf_client_unchanged() says 1, and no
 * snapshot, targets or delegated role is loaded (ask nothing of them; run
 * an update without the hint for that).  Anything else, a new timestamp
 * above all, takes every step of the workflow.  A hint from hostile state
 * can only skip re-verifying files this client verified and wrote itself;
 * the freeze check stands (the expiry is the earlier of the hint's and the
 * timestamp's own).  digest NULL: no hint.
 */
void kit_tuf_client_set_unchanged_hint(struct kit_tuf_client *c,
				       const char *digest, int64_t expires);
int kit_tuf_client_unchanged(const struct kit_tuf_client *c);
/* After a successful update: the SHA-256 of the trusted timestamp.json
 * into hex[KIT_SHA256_HEX] (0; -1 when there is none), and the earliest
 * expiry of the trusted root, timestamp, snapshot, targets and every
 * delegated role loaded since (0 when none). */
int kit_tuf_client_timestamp_digest(const struct kit_tuf_client *c, char *hex);
int64_t kit_tuf_client_earliest_expiry(const struct kit_tuf_client *c);

/*
 * The workflow of spec section 5: fixed start time (kit_time_now()), the
 * pinned/trusted root, root chain walk (at most
 * KIT_TUF_MAX_ROOT_ROTATIONS), root expiry, fast-forward recovery
 * (timestamp and snapshot dropped when their keys rotated), timestamp,
 * snapshot, targets; each file persisted atomically into state_dir only
 * after it passed every check.  A trusted snapshot or targets file that
 * matches what the newer role lists is reused without a download.
 * On failure the trusted files already persisted stay (the previous ones
 * for the failed role).  KIT_E_SECURITY, KIT_E_NETWORK, KIT_E_IO.
 */
int kit_tuf_client_update(struct kit_tuf_client *c,
			  struct kit_error *err) KIT_WUR;

/* After a successful update: 1 when the targets metadata is new since the
 * last update (a different version than before it), else 0. */
int kit_tuf_client_targets_changed(const struct kit_tuf_client *c);
/*
 * The timestamp versions of the last kit_tuf_client_update(), success or
 * not: *offered, what the repository served once its signatures verified
 * (the trusted version again when it was unchanged or "not modified"; 0
 * when none verified), *trusted, what this client trusted before (0:
 * none); either pointer may be NULL.  Returns 1 when the repository's
 * timestamp verified and was not newer: offered == trusted is an
 * unchanged repository, offered < trusted the rollback refusal the update
 * failed with (a copy older than this client's state, or an attack: the
 * caller names it; nothing of it was trusted).  0 otherwise.
 */
int kit_tuf_client_timestamp_versions(const struct kit_tuf_client *c,
				      int64_t *offered, int64_t *trusted);
/* Trusted version of role after update (0 when none). */
int64_t kit_tuf_client_version(const struct kit_tuf_client *c,
			       enum kit_tuf_role role);

/* A target from the trusted targets metadata.  Strings and custom are
 * borrowed from c: valid until the next update or free.  name is as the
 * metadata writes it: check it with kit_tuf_name_is_safe() before it
 * becomes part of a path. */
struct kit_tuf_target {
	const char *name;
	uint64_t length;
	const char *sha256;   /* 64 lower-case hex digits, NULL if not listed */
	const char *sha512;   /* 128 lower-case hex digits, NULL if not listed */
	const json_t *custom; /* object or NULL */
};
/* Number of targets, and the i-th in name order (0 <= i < count). */
size_t kit_tuf_client_target_count(const struct kit_tuf_client *c);
int kit_tuf_client_target_at(const struct kit_tuf_client *c, size_t i,
			     struct kit_tuf_target *out) KIT_WUR;
/* Look a target up by name: KIT_E_INVALID "no such target" if absent. */
int kit_tuf_client_target_get(const struct kit_tuf_client *c, const char *name,
			      struct kit_tuf_target *out,
			      struct kit_error *err) KIT_WUR;
/*
 * Look target name up as the specification's 5.6.7 says: a preorder
 * depth-first search of the delegation graph from the top-level targets,
 * in the order each role lists its delegations, following a delegation
 * only when its "paths" (shell patterns matched component by component:
 * '*' and '?' never match '/', case matters) or "path_hash_prefixes" (of
 * the SHA-256 hex of the name) cover the name, or the one TAP 15 bin of
 * "succinct_roles" it hashes to; a terminating delegation ends the search
 * after its own subtree; a role already visited is skipped (cycles); at
 * most KIT_TUF_MAX_DELEGATIONS delegated roles are visited.
 * Each delegated role the search reaches is used only when the trusted
 * snapshot lists "<role>.json" (no request otherwise), with that version
 * (and length and hashes when listed), unexpired, and signed by the
 * threshold of the keys of the delegation that led to it, checked again
 * each time another delegator leads to it.  A copy in state_dir (file name:
 * the role name percent-encoded, ".json") that passes is reused; else
 * metadata/N.<role>.json is downloaded (the role name percent-encoded as
 * python-tuf's quote(name, "")) and kept there.
 * Returns 0 with out filled (strings borrowed from c until the next update
 * or free), 1 when no role that may list name lists it (out untouched),
 * or -1: KIT_E_SECURITY (a delegated role failed a check or is missing
 * from the snapshot: the search stops, as a later role must not answer for
 * a broken earlier one), KIT_E_NETWORK, KIT_E_IO, KIT_E_INVALID (no
 * update yet).  Needs a successful update first.
 */
int kit_tuf_client_find_target(struct kit_tuf_client *c, const char *name,
			       struct kit_tuf_target *out,
			       struct kit_error *err) KIT_WUR;
/*
 * Where the repository the trusted root describes keeps target t (as
 * kit_tuf_target_path(), consistent or not as the root says, with its
 * sha256, else its sha512), into out.  KIT_E_SECURITY for a name that
 * fails kit_tuf_name_is_safe() or a target listing neither hash,
 * KIT_E_INVALID when the path does not fit or before an update.
 */
int kit_tuf_client_target_path(const struct kit_tuf_client *c,
			       const struct kit_tuf_target *t, char *out,
			       size_t size, struct kit_error *err) KIT_WUR;
/*
 * Download target name (looked up with kit_tuf_client_find_target();
 * KIT_E_INVALID when no role lists it) to dest_path through the callback
 * (at kit_tuf_client_target_path(), max_len = the signed length), then check the length and every listed
 * SHA-256 / SHA-512: KIT_E_SECURITY on mismatch, a longer file, a name
 * that fails kit_tuf_name_is_safe() or a target listing neither hash
 * (dest_path is removed then).  Needs a successful update first.
 */
int kit_tuf_client_fetch_target(struct kit_tuf_client *c, const char *name,
				const char *dest_path,
				struct kit_error *err) KIT_WUR;

#endif
