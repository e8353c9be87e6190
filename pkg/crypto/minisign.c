/*
 * minisign.c: detached signatures in minisign's format, so that anyone can
 * check a bundle by hand with the stock `minisign -V`.  The prehashed "ED"
 * algorithm: Ed25519 over BLAKE2b-512 of the file, then a global signature
 * over that signature followed by the trusted comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kit_crypto.h"

#define BLAKE_LEN 64

void
kit_minisign_keyid(const struct kit_key *k, unsigned char *id8)
{
	unsigned char raw[KIT_ED25519_PUB_LEN], md[32];

	/* minisign draws key ids at random; ours is derived from the key so
	 * the same key always has the same id. */
	kit_key_public_raw(k, raw);
	(void)EVP_Digest(raw, sizeof(raw), md, NULL, EVP_sha256(), NULL);
	memcpy(id8, md, 8);
}

static void
keyid_text(const unsigned char *id8, char *out)
{
	int i;

	/* minisign prints the little-endian 64-bit number */
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", id8[7 - i]);
}

static char *
b64(const unsigned char *in, size_t n)
{
	char *out = kit_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Decode base64 text that must give exactly want bytes. */
static int
unb64(const char *in, size_t inlen, unsigned char *out, size_t want)
{
	unsigned char tmp[256];
	int n;
	size_t pad = 0;

	if (inlen == 0 || inlen > 4 * ((sizeof(tmp) + 2) / 3) || inlen % 4)
		return -1;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)inlen);
	if (n < 0)
		return -1;
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	if ((size_t)n - pad != want)
		return -1;
	memcpy(out, tmp, want);
	return 0;
}

char *
kit_minisign_pubkey(const struct kit_key *k, struct kit_error *err)
{
	unsigned char blob[2 + 8 + KIT_ED25519_PUB_LEN];
	char id[17], *enc, *text;

	(void)err;
	blob[0] = 'E';
	blob[1] = 'd';
	kit_minisign_keyid(k, blob + 2);
	kit_key_public_raw(k, blob + 10);
	keyid_text(blob + 2, id);
	enc = b64(blob, sizeof(blob));
	text = kit_aprintf("untrusted comment: minisign public key %s\n%s\n", id,
			   enc);
	free(enc);
	return text;
}

static void
blake2b_block(void *arg, const void *p, size_t n)
{
	(void)EVP_DigestUpdate(arg, p, n);
}

static int
blake2b_file(const char *path, unsigned char *md, struct kit_error *err)
{
	EVP_MD *alg = EVP_MD_fetch(NULL, "BLAKE2B-512", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int rc = -1;

	if (alg == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, alg, NULL) != 1) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot start BLAKE2b-512");
		goto out;
	}
	if (kit_file_stream(path, blake2b_block, ctx, NULL, err) != 0)
		goto out;
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != BLAKE_LEN) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot hash %s", path);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(alg);
	return rc;
}

char *
kit_minisign_sign_file(const struct kit_key *k, const char *path,
		       const char *trusted_comment, struct kit_error *err)
{
	unsigned char md[BLAKE_LEN], blob[2 + 8 + KIT_ED25519_SIG_LEN];
	unsigned char *global_msg = NULL, global[KIT_ED25519_SIG_LEN];
	size_t tlen = strlen(trusted_comment);
	char *sig_b64 = NULL, *global_b64 = NULL, *text = NULL;
	char id[17];

	if (!kit_utf8_valid(trusted_comment, tlen) ||
	    strpbrk(trusted_comment, "\r\n") != NULL) {
		kit_err(err, KIT_E_INVALID,
			"a minisign trusted comment must be one line of text");
		return NULL;
	}
	if (blake2b_file(path, md, err) != 0)
		return NULL;
	blob[0] = 'E';
	blob[1] = 'D';
	kit_minisign_keyid(k, blob + 2);
	if (kit_key_sign(k, md, sizeof(md), blob + 10, err) != 0)
		return NULL;
	global_msg = kit_xmalloc(KIT_ED25519_SIG_LEN + tlen);
	memcpy(global_msg, blob + 10, KIT_ED25519_SIG_LEN);
	memcpy(global_msg + KIT_ED25519_SIG_LEN, trusted_comment, tlen);
	if (kit_key_sign(k, global_msg, KIT_ED25519_SIG_LEN + tlen, global,
			 err) != 0)
		goto out;
	keyid_text(blob + 2, id);
	sig_b64 = b64(blob, sizeof(blob));
	global_b64 = b64(global, sizeof(global));
	text = kit_aprintf("untrusted comment: signature from kit-publish key %s\n%s\ntrusted comment: %s\n%s\n",
			   id, sig_b64, trusted_comment, global_b64);
out:
	free(global_msg);
	free(sig_b64);
	free(global_b64);
	return text;
}

/* Next line of text (up to '\n'), or NULL. */
static const char *
next_line(const char **p, size_t *len)
{
	const char *start = *p, *nl;

	if (**p == '\0')
		return NULL;
	nl = strchr(start, '\n');
	*len = nl ? (size_t)(nl - start) : strlen(start);
	*p = nl ? nl + 1 : start + *len;
	if (*len > 0 && start[*len - 1] == '\r')
		(*len)--;
	return start;
}

int
kit_minisign_verify_file(const struct kit_key *k, const char *path,
			 const char *sigtext, struct kit_error *err)
{
	const char *p = sigtext, *line[4];
	size_t len[4];
	unsigned char blob[2 + 8 + KIT_ED25519_SIG_LEN], id[8];
	unsigned char global[KIT_ED25519_SIG_LEN], md[BLAKE_LEN];
	unsigned char *msg = NULL;
	size_t tlen;
	int i, rc = -1;
	static const char tc[] = "trusted comment: ";

	for (i = 0; i < 4; i++)
		if ((line[i] = next_line(&p, &len[i])) == NULL)
			return kit_err(err, KIT_E_SECURITY,
				       "%s.minisig: not a minisign signature (4 lines expected)",
				       path);
	if (unb64(line[1], len[1], blob, sizeof(blob)) != 0 ||
	    memcmp(blob, "ED", 2) != 0 ||
	    len[2] < sizeof(tc) - 1 || memcmp(line[2], tc, sizeof(tc) - 1) ||
	    unb64(line[3], len[3], global, sizeof(global)) != 0)
		return kit_err(err, KIT_E_SECURITY,
			       "%s.minisig: malformed minisign signature", path);
	kit_minisign_keyid(k, id);
	if (CRYPTO_memcmp(id, blob + 2, 8) != 0)
		return kit_err(err, KIT_E_SECURITY,
			       "%s.minisig: signed by another key", path);
	if (blake2b_file(path, md, err) != 0)
		return -1;
	if (kit_key_verify(k, md, sizeof(md), blob + 10, KIT_ED25519_SIG_LEN,
			   err) != 0) {
		kit_err_prefix(err, "%s", path);
		return -1;
	}
	tlen = len[2] - (sizeof(tc) - 1);
	msg = kit_xmalloc(KIT_ED25519_SIG_LEN + tlen + 1);
	memcpy(msg, blob + 10, KIT_ED25519_SIG_LEN);
	memcpy(msg + KIT_ED25519_SIG_LEN, line[2] + sizeof(tc) - 1, tlen);
	if (kit_key_verify(k, msg, KIT_ED25519_SIG_LEN + tlen, global,
			   sizeof(global), err) != 0) {
		kit_err_prefix(err, "%s: trusted comment", path);
		goto out;
	}
	rc = 0;
out:
	free(msg);
	return rc;
}
