/*
 * kit_fetcher.h: what kit-fetch does in a country office: keep the state
 * directory, run the TUF update over the transport, pick the kits meant
 * for this office, download, extract safely and install atomically, and
 * keep an append-only log of every install and refusal.
 *
 * State directory (--state DIR):
 *   config.json        url, mirrors, office, transfer limits (kit-fetch init)
 *   metadata/          the pinned root and the last trusted metadata
 *   downloads/         archives in transit (.part files resume)
 *   staging/           extraction in progress (cleaned on the next run)
 *   kits/<campaign>/   releases/<version>/ and current -> releases/<version>
 *   lock, log (JSON lines), status.json
 *   http-cache.json    validators of the trusted timestamp (RFC 9110 rule)
 *   verified.json      per kit, the release last hashed against its signed
 *                      target and its stat stamp (kit_bundle_release_stamp)
 *   poll.json          what the last complete update left (its timestamp's
 *                      digest, the earliest expiry of what it relied on, the
 *                      kits): an unchanged poll is then the timestamp alone
 *
 * Error classes: those of the modules below, unchanged: KIT_E_SECURITY
 * (refused), KIT_E_NETWORK, KIT_E_IO (state directory, disk, lock),
 * KIT_E_INVALID, KIT_E_USAGE.  Every refusal leaves the installed kits as
 * they were and is written to the log.
 */
#ifndef KIT_FETCHER_H
#define KIT_FETCHER_H

#include <stdint.h>
#include <stdio.h>

#include "kit_util.h"

#define KIT_FETCHER_MAX_MIRRORS 15

struct kit_fetcher_opts {
	const char *state_dir;
	/* init */
	const char *root_json;
	const char *url; /* NULL: the office syncs from removable media */
	const char *mirrors[KIT_FETCHER_MAX_MIRRORS];
	size_t n_mirrors;
	const char *office;
	int force;            /* init: replace a pinned root, dropping all
			       * the old trust gave (metadata, validators,
			       * downloads) */
	int64_t max_unpacked; /* init: bytes a kit may unpack to, 0 default */
	int64_t max_ratio;    /* init: unpacked / archive size, 0 default */
	int retired_remove;   /* init: remove the kit of a retired campaign
			       * (one the repository no longer offers); else
			       * it stays installed */
	/* update */
	const char *from_dir; /* offline: a repository copy on removable media */
	const char *proxy;
	const char *cainfo;
	int64_t limit_rate;   /* B/s, 0 none */
	long low_speed_limit; /* B/s, 0 default */
	long low_speed_time;  /* s, 0 default */
	long retry_base_ms;   /* 0 default (tests make it small) */
	int keep;             /* releases kept, 0 default (3) */
	int quiet;
	int json; /* JSON lines on stdout */
};

void kit_fetcher_opts_init(struct kit_fetcher_opts *o);

int kit_fetcher_init(const struct kit_fetcher_opts *o,
		     struct kit_error *err) KIT_WUR;
/* Update the kits (all, or only the campaigns named).  A kit already at
 * the signed version is reinstalled when its files no longer match (from
 * releases/<v> on disk when that is intact, else downloaded); a newer
 * release kept on disk after a rollback is switched to without a
 * download once it checks out.  With from_dir, a copy whose timestamp is
 * older than (or the same as) the trusted one is "nothing new" (0). */
int kit_fetcher_update(const struct kit_fetcher_opts *o,
		       const char *const *campaigns, size_t n,
		       struct kit_error *err) KIT_WUR;
/* Print the state; only reads (no lock, no write), for any user who can
 * read the state directory. */
int kit_fetcher_status(const struct kit_fetcher_opts *o, FILE *out,
		       struct kit_error *err) KIT_WUR;
/* Re-hash every installed kit; KIT_E_SECURITY when a file changed (its
 * stamp in verified.json is dropped, so the next update repairs it). */
int kit_fetcher_verify(const struct kit_fetcher_opts *o, FILE *out,
		       struct kit_error *err) KIT_WUR;
int kit_fetcher_rollback(const struct kit_fetcher_opts *o,
			 const char *campaign, struct kit_error *err) KIT_WUR;

#endif
