/* kit-fuzz-links: crypto */
/*
 * keyfile_fuzz.c: private key files (kit_key_load: PEM, PKCS#8, encrypted
 * with the passphrase "correct horse battery staple"), public keys as TUF
 * metadata gives them (kit_key_from_public_hex for Ed25519,
 * kit_key_from_public_pem for ECDSA P-256 and RSA) and the passphrase file
 * (KIT_PASSPHRASE_FILE, first line).
 *
 * The input is loaded as it is, and also wrapped as the base64 body of an
 * "ENCRYPTED PRIVATE KEY" and of a "PRIVATE KEY" PEM, so mutations reach
 * the DER inside (seeds: real openssl genpkey outputs, PEM and DER).  What
 * must hold: a key that loads signs, and its signature verifies with the
 * public key read back from hex; a refusal says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz_util.h"
#include "kit_crypto.h"

#define PASS "correct horse battery staple"

static void
load(const char *path)
{
	struct kit_error err = {0};
	struct kit_key *k, *pub;
	unsigned char sig[KIT_ED25519_SIG_LEN];
	char hex[2 * KIT_ED25519_PUB_LEN + 1];

	k = kit_key_load(path, PASS, &err);
	if (k == NULL) {
		if (err.code == KIT_E_OK || err.msg[0] == '\0')
			fuzz_die("a refused key without a message", NULL);
		fuzz_debug("load: %s", err.msg);
		return;
	}
	fuzz_debug("load: ok");
	kit_key_public_hex(k, hex);
	pub = kit_key_from_public_hex(hex, &err);
	if (!kit_key_has_private(k) || pub == NULL ||
	    kit_key_sign(k, "kit", 3, sig, &err) != 0 ||
	    kit_key_verify(pub, "kit", 3, sig, sizeof(sig), &err) != 0)
		fuzz_die("a loaded key does not sign and verify", &err);
	kit_key_free(pub);
	kit_key_free(k);
}

static void
load_wrapped(const uint8_t *data, size_t size, const char *label)
{
	size_t cap = 4 * (size / 3 + 1) + 1, hl = strlen(label), n, i, o = 0;
	size_t pcap = cap + cap / 64 + 2 * hl + 64;
	unsigned char *b64 = kit_xmalloc(cap);
	char *pem = kit_xmalloc(pcap), path[512];

	n = (size_t)EVP_EncodeBlock(b64, data, (int)size);
	o += (size_t)snprintf(pem, pcap, "-----BEGIN %s-----\n", label);
	for (i = 0; i < n; i += 64) {
		size_t l = n - i < 64 ? n - i : 64;

		memcpy(pem + o, b64 + i, l);
		o += l;
		pem[o++] = '\n';
	}
	o += (size_t)snprintf(pem + o, pcap - o, "-----END %s-----\n", label);
	fuzz_put("wrapped.pem", pem, o);
	fuzz_path(path, sizeof(path), "wrapped.pem");
	load(path);
	free(b64);
	free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_error err = {0};
	struct kit_key *k;
	char path[512], pass[256], *text;

	fuzz_workdir("keyfile");
	if (size > 1u << 20)
		return 0;
	fuzz_put("key.pem", data, size);
	fuzz_path(path, sizeof(path), "key.pem");
	load(path);
	load_wrapped(data, size, "ENCRYPTED PRIVATE KEY");
	load_wrapped(data, size, "PRIVATE KEY");

	text = kit_xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	k = kit_key_from_public_hex(text, &err);
	kit_key_free(k);
	kit_err_clear(&err);
	k = kit_key_from_public_pem(text, KIT_KEY_ECDSA_P256, &err);
	kit_key_free(k);
	kit_err_clear(&err);
	k = kit_key_from_public_pem(text, KIT_KEY_RSA_PSS_SHA256, &err);
	kit_key_free(k);
	free(text);

	if (setenv("KIT_PASSPHRASE_FILE", path, 1) != 0)
		abort();
	kit_err_clear(&err);
	if (kit_passphrase_get("passphrase: ", 0, pass, sizeof(pass), &err) == 0 &&
	    strpbrk(pass, "\r\n") != NULL)
		fuzz_die("a passphrase with a line break", NULL);
	return 0;
}
