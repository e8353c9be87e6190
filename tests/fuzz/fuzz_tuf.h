/*
 * fuzz_tuf.h: the keys and the root the TUF fuzz targets share.
 *
 * Keys 1 and 2 are RFC 8032 section 7.1 test keys 1 and 2, key 3 an ECDSA
 * P-256 and key 4 an RSA-PSS test key (public halves only here);
 * gen_signed_seeds.py signs the seeds with the same keys, so mutated inputs
 * still carry valid signatures.  fuzz_tuf_root() is the harness's root:
 * version 1, key 1 for every role with threshold 1, consistent snapshots,
 * expiring in 2099.
 *
 * fuzz_tuf_real_signers() counts how many of the four real keys made a
 * valid signature of meta: only they can sign (an input cannot forge), so
 * a threshold met by more signatures than that counts a key twice.
 */
#ifndef KIT_FUZZ_TUF_H
#define KIT_FUZZ_TUF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_crypto.h"
#include "kit_tuf.h"

static const unsigned char fuzz_tuf_seed[2][32] = {
	{0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60},
	{0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
	 0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
	 0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb},
};

static const char fuzz_tuf_pem[2][512] = {
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEthKuAVOrT5CzJV+FGPNIAGM1lQbp\n"
	"pFCtrzInDD4W+1BJZHri9Th1VjWYket5MNR43hK6z3+2VI/LCwIbsRfQYg==\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0CK4tVuG7Iv7EfuvDSNk\n"
	"NWX+Vs6917mKqjCfaJ2lNiyxXrLfOei1IX2luogiZe6zOgxZnnOLBZqsJWUl4PCp\n"
	"RwC1A3XEO3Dbo+rdkRcauQ2Ua9N+XU45HOGgf7ZyvaSYHq7YM2a/pm9bvnHKAnsQ\n"
	"/VtjpAmlnPnbbwp3i4q+LbaZl7mUxExsbZR32myTRNednl442ltTGJ2qGePOwaYF\n"
	"7Acwzg8aNSJXfXcdfOhib9V8jEYO5sgC0lj7Cud9yzuJ78sQYsEM8hZWc3Hy/bLQ\n"
	"HvpuRY/ZHRjfh4o6g39Z5nulrfITV03QVgqILauapyysnC+Fy6IlzfBMj824Q71W\n"
	"HQIDAQAB\n"
	"-----END PUBLIC KEY-----\n",
};

static struct kit_key *fuzz_tuf_key[4];

static inline void
fuzz_tuf_keys(void)
{
	struct kit_error err = {0};
	int i;

	for (i = 0; i < 2 && fuzz_tuf_key[i] == NULL; i++)
		if ((fuzz_tuf_key[i] = kit_key_from_seed(fuzz_tuf_seed[i], &err)) == NULL)
			fuzz_die("key", &err);
	if (fuzz_tuf_key[2] == NULL &&
	    ((fuzz_tuf_key[2] = kit_key_from_public_pem(fuzz_tuf_pem[0],
							KIT_KEY_ECDSA_P256, &err)) == NULL ||
	     (fuzz_tuf_key[3] = kit_key_from_public_pem(fuzz_tuf_pem[1],
							KIT_KEY_RSA_PSS_SHA256, &err)) == NULL))
		fuzz_die("key", &err);
}

/* The harness's root metadata (new reference). */
static inline json_t *
fuzz_tuf_root(void)
{
	static const char *const names[] = {"root", "targets", "snapshot",
					    "timestamp"};
	struct kit_error err = {0};
	char kid[KIT_SHA256_HEX];
	json_t *signed_, *meta, *roles;
	size_t i;

	fuzz_tuf_keys();
	if (kit_tuf_keyid(fuzz_tuf_key[0], kid, &err) < 0)
		fuzz_die("keyid", &err);
	roles = json_object();
	for (i = 0; i < 4; i++)
		json_object_set_new(roles, names[i],
				    json_pack("{s:[s], s:i}", "keyids", kid,
					      "threshold", 1));
	signed_ = json_pack("{s:s, s:s, s:i, s:s, s:b, s:{s:o}, s:o}", "_type",
			    "root", "spec_version", "1.0.31", "version", 1,
			    "expires", "2099-12-31T23:59:59Z",
			    "consistent_snapshot", 1, "keys", kid,
			    kit_tuf_key_json(fuzz_tuf_key[0]), "roles", roles);
	meta = json_pack("{s:o, s:[]}", "signed", signed_, "signatures");
	if (meta == NULL || kit_tuf_sign(meta, fuzz_tuf_key[0], &err) < 0)
		fuzz_die("sign the root", &err);
	return meta;
}

static inline int64_t
fuzz_tuf_real_signers(const json_t *meta)
{
	struct kit_error err = {0};
	struct kit_buf b;
	const json_t *sigs = json_object_get(meta, "signatures"), *sg;
	unsigned char raw[1024];
	int64_t n = 0;
	size_t i, k, len;

	fuzz_tuf_keys();
	kit_buf_init(&b, KIT_TUF_MAX_CANONICAL);
	if (kit_tuf_canonical(json_object_get(meta, "signed"), &b, &err) < 0) {
		kit_buf_free(&b);
		return 0;
	}
	for (k = 0; k < 4; k++) {
		json_array_foreach (sigs, i, sg) {
			const char *hex = json_string_value(json_object_get(sg, "sig"));

			len = hex ? strlen(hex) / 2 : 0;
			if (len == 0 || len > sizeof(raw) || strlen(hex) % 2 ||
			    kit_hex_decode(hex, raw, len) < 0)
				continue;
			kit_err_clear(&err);
			if (kit_key_verify(fuzz_tuf_key[k], b.data, b.len, raw,
					   len, &err) == 0) {
				n++;
				break;
			}
		}
	}
	kit_buf_free(&b);
	return n;
}

/* The threshold root gives role (0 when it gives none). */
static inline int64_t
fuzz_tuf_threshold(const json_t *root, enum kit_tuf_role role)
{
	return json_integer_value(json_object_get(
		json_object_get(json_object_get(json_object_get(root, "signed"),
						"roles"),
				kit_tuf_role_name(role)),
		"threshold"));
}

#endif
