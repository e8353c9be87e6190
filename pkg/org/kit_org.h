/*
 * kit_org.h: the organisation's registry of offices, the one owner of its
 * format.  kit-publish keeps it in the repository as the target
 * "offices.json" of the top-level targets role (so HQ's targets keys sign
 * it); kit-fetch reads it to check the office it was set up for and to
 * learn that office's zone and languages.
 *
 * Format (UTF-8 JSON, at most KIT_ORG_MAX_BYTES):
 *   {"schema": 1,
 *    "offices": [{"id": "hungary", "name": "IOM Hungary",
 *                 "country": "Hungary", "timezone": "Europe/Budapest",
 *                 "languages": ["hu", "en"],
 *                 "keys": ["<64 hex>", ...], "threshold": 1}]}
 * id: kit_str_is_id(id, 0); unique; the writer sorts by
 * id.  name and country: 1..KIT_ORG_TEXT_MAX bytes of UTF-8 without
 * control characters.  timezone: an IANA name (checked against this
 * machine's tz database when set, not when parsed: an office whose tzdata
 * is older must still read the rest).  languages: 1..KIT_ORG_LANGS codes
 * (kit-publish checks them against kit's table when it sets them).
 * keys / threshold: optional, the office's own signing keys (Ed25519
 * public keys as 64 lower-case hex digits, TUF's keyval.public, at most
 * KIT_ORG_KEYS) and how many keys must sign its role, from 1 to nkeys + 1:
 * the role's keys are the office's and HQ's office key, so a threshold of
 * nkeys + 1 needs HQ's co-signature; absent when HQ signs for the office.  Unknown
 * fields are refused, at every level.
 *
 * The module needs only pkg/util, so kit-schedule can read the entry
 * kit-fetch keeps for its office.
 *
 * Error classes: KIT_E_INVALID (bad input to a setter, a registry that
 * does not parse or breaks a rule: the message names the office and the
 * field), KIT_E_SECURITY (larger than KIT_ORG_MAX_BYTES).
 */
#ifndef KIT_ORG_H
#define KIT_ORG_H

#include <stddef.h>

#include "kit_util.h"

#define KIT_ORG_TARGET "offices.json"
#define KIT_ORG_MAX_BYTES (1u << 20)
#define KIT_ORG_MAX_OFFICES 2000
#define KIT_ORG_TEXT_MAX 200
#define KIT_ORG_LANGS 16
/* bytes of one language code (an id with upper case, "pt-BR") */
#define KIT_ORG_LANG_MAX 16
#define KIT_ORG_KEYS 8

/* One office; every string owned by the registry it came from, or by the
 * caller when passed to kit_org_set(). */
struct kit_org_office {
	const char *id;
	const char *name;
	const char *country;
	const char *timezone;
	const char *const *languages;
	size_t nlanguages;
	const char *const *keys; /* Ed25519 public keys, hex; may be 0 */
	size_t nkeys;
	unsigned threshold; /* 1..nkeys + 1 when nkeys > 0 (HQ too) */
};

struct kit_org;

/* An empty registry.  Never NULL.  kit_org_free(NULL) does nothing. */
struct kit_org *kit_org_new(void);
void kit_org_free(struct kit_org *org);
/* Parse registry bytes (borrowed) strictly; what names them in messages.
 * NULL and err set when they break any rule above. */
struct kit_org *kit_org_parse(const unsigned char *buf, size_t len,
			      const char *what, struct kit_error *err) KIT_WUR;
/* The registry's bytes (sorted by id, 1-space indent, "\n" at the end),
 * caller frees; KIT_E_SECURITY when over KIT_ORG_MAX_BYTES (checked here,
 * before anyone writes it). */
char *kit_org_write(const struct kit_org *org, size_t *len,
		    struct kit_error *err) KIT_WUR;

size_t kit_org_count(const struct kit_org *org);
/* The i-th office by id, NULL past the end; borrowed from org. */
const struct kit_org_office *kit_org_at(const struct kit_org *org, size_t i);
/* The office with this id, or NULL. */
const struct kit_org_office *kit_org_find(const struct kit_org *org,
					  const char *id);
/* For "did you mean": the registered id closest to id (kit_str_closest,
 * at most 2 edits), or NULL. */
const char *kit_org_closest(const struct kit_org *org, const char *id);

/* Add office o (copied), or replace the one with its id; checks every
 * rule and the zone against this machine's tz database (with its close
 * match); the caller checks languages against its table and that the keys
 * are keys.  KIT_E_INVALID. */
int kit_org_set(struct kit_org *org, const struct kit_org_office *o,
		struct kit_error *err) KIT_WUR;
/* Remove the office with this id; KIT_E_INVALID (with its close match)
 * when there is none. */
int kit_org_remove(struct kit_org *org, const char *id,
		   struct kit_error *err) KIT_WUR;

#endif
