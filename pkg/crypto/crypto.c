/* crypto.c: SHA-256, Ed25519 keys and signatures, key files (OpenSSL EVP). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kit_crypto.h"

#define KEYFILE_MAX (64 * 1024)

struct kit_sha256 {
	EVP_MD_CTX *ctx;
};

#define PUBLIC_PEM_MAX (16 * 1024)

struct kit_key {
	EVP_PKEY *pkey;
	int has_private;
	enum kit_key_scheme scheme;
};

struct kit_sha256 *
kit_sha256_new(void)
{
	struct kit_sha256 *h = kit_xcalloc(1, sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void
kit_sha256_update(struct kit_sha256 *h, const void *p, size_t n)
{
	/* EVP_DigestUpdate only fails on a misused context. */
	(void)EVP_DigestUpdate(h->ctx, p, n);
}

void
kit_sha256_final_hex(struct kit_sha256 *h, char *hex)
{
	unsigned char md[KIT_SHA256_LEN];
	unsigned int len = 0;

	(void)EVP_DigestFinal_ex(h->ctx, md, &len);
	kit_hex_encode(md, KIT_SHA256_LEN, hex);
	(void)EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void
kit_sha256_free(struct kit_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
kit_sha256_hex(const void *p, size_t n, char *hex)
{
	unsigned char md[KIT_SHA256_LEN];

	(void)EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	kit_hex_encode(md, KIT_SHA256_LEN, hex);
}

int
kit_sha256_file(const char *path, char *hex, uint64_t *len,
		struct kit_error *err)
{
	return kit_digests_file(path, hex, NULL, len, err);
}

int
kit_hex_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

int
kit_hex_is_digest(const char *s, size_t nbytes)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * nbytes)
		return 0;
	for (i = 0; i < 2 * nbytes; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
kit_sha512_hex(const void *p, size_t n, char *hex)
{
	unsigned char md[KIT_SHA512_LEN];

	(void)EVP_Digest(p, n, md, NULL, EVP_sha512(), NULL);
	kit_hex_encode(md, KIT_SHA512_LEN, hex);
}

struct two_digests {
	EVP_MD_CTX *c256, *c512;
};

static void
two_digests_block(void *arg, const void *p, size_t n)
{
	struct two_digests *d = arg;

	if (d->c256 != NULL)
		(void)EVP_DigestUpdate(d->c256, p, n);
	if (d->c512 != NULL)
		(void)EVP_DigestUpdate(d->c512, p, n);
}

static int
digest_hex(EVP_MD_CTX *ctx, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(ctx, md, &len) != 1)
		return -1;
	kit_hex_encode(md, len, hex);
	return 0;
}

static int
digests_at(int dirfd, const char *path, char *sha256hex, char *sha512hex,
	   uint64_t *len, struct kit_error *err)
{
	struct two_digests d = {NULL, NULL};
	int rc = -1;

	if ((sha256hex != NULL &&
	     ((d.c256 = EVP_MD_CTX_new()) == NULL ||
	      EVP_DigestInit_ex(d.c256, EVP_sha256(), NULL) != 1)) ||
	    (sha512hex != NULL &&
	     ((d.c512 = EVP_MD_CTX_new()) == NULL ||
	      EVP_DigestInit_ex(d.c512, EVP_sha512(), NULL) != 1))) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot start hashing %s", path);
		goto out;
	}
	if (kit_file_stream_at(dirfd, path, two_digests_block, &d, len,
			       err) != 0)
		goto out;
	if ((d.c256 != NULL && digest_hex(d.c256, sha256hex) < 0) ||
	    (d.c512 != NULL && digest_hex(d.c512, sha512hex) < 0)) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot hash %s", path);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(d.c256);
	EVP_MD_CTX_free(d.c512);
	return rc;
}

int
kit_digests_file(const char *path, char *sha256hex, char *sha512hex,
		 uint64_t *len, struct kit_error *err)
{
	return digests_at(AT_FDCWD, path, sha256hex, sha512hex, len, err);
}

int
kit_sha256_file_at(int dirfd, const char *path, char *hex, uint64_t *len,
		   struct kit_error *err)
{
	return digests_at(dirfd, path, hex, NULL, len, err);
}

static struct kit_key *
wrap(EVP_PKEY *pkey, int has_private)
{
	struct kit_key *k = kit_xcalloc(1, sizeof(*k));

	k->pkey = pkey;
	k->has_private = has_private;
	k->scheme = KIT_KEY_ED25519;
	return k;
}

enum kit_key_scheme
kit_key_scheme(const struct kit_key *k)
{
	return k->scheme;
}

/* The key type the scheme needs: P-256 for ECDSA, RSA of a sane size. */
static int
pem_key_fits(EVP_PKEY *pkey, enum kit_key_scheme scheme)
{
	char group[64] = "";
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(pkey);

	switch (scheme) {
	case KIT_KEY_ECDSA_P256:
		return EVP_PKEY_is_a(pkey, "EC") &&
		       EVP_PKEY_get_utf8_string_param(pkey, "group", group,
						      sizeof(group), &glen) == 1 &&
		       strcmp(group, "prime256v1") == 0;
	case KIT_KEY_RSA_PSS_SHA256:
		return EVP_PKEY_is_a(pkey, "RSA") && bits >= 2048 && bits <= 8192;
	case KIT_KEY_ED25519:
		return EVP_PKEY_is_a(pkey, "ED25519");
	}
	return 0;
}

/*
 * One encoding per EC key.  The same P-256 key has several
 * SubjectPublicKeyInfo forms (its point uncompressed, compressed or hybrid,
 * its curve by name or by explicit parameters that match the named curve),
 * and the fingerprint is the hash of that DER: left as read, one key listed
 * in two forms would count twice toward a threshold.  The key is set to a
 * named curve and an uncompressed point, so every form encodes alike.
 */
static int
ec_canonical(EVP_PKEY *pkey)
{
	return EVP_PKEY_set_utf8_string_param(
		       pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) == 1 &&
	       EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
					      OSSL_PKEY_EC_ENCODING_GROUP) == 1;
}

struct kit_key *
kit_key_from_public_pem(const char *pem, enum kit_key_scheme scheme,
			struct kit_error *err)
{
	size_t len = pem != NULL ? strlen(pem) : 0;
	EVP_PKEY *pkey = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	struct kit_key *k;
	BIO *mem;

	if (len == 0 || len > PUBLIC_PEM_MAX) {
		kit_err(err, KIT_E_SECURITY, "public key: no PEM text, or more than %d bytes", PUBLIC_PEM_MAX);
		return NULL;
	}
	/* The first PEM block, which must be a PUBLIC KEY, as DER read by
	 * itself: PEM_read_bio_PUBKEY's decoder also takes private keys, and
	 * for an encrypted one asks for its passphrase on the terminal. */
	mem = BIO_new_mem_buf(pem, (int)len);
	if (mem != NULL &&
	    PEM_read_bio(mem, &name, &header, &der, &derlen) == 1 &&
	    strcmp(name, PEM_STRING_PUBLIC) == 0 && header[0] == '\0') {
		p = der;
		pkey = d2i_PUBKEY(NULL, &p, derlen);
		if (pkey != NULL && p != der + derlen) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	BIO_free(mem);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	if (pkey == NULL) {
		kit_err_ssl(err, KIT_E_SECURITY, "public key is not a PEM SubjectPublicKeyInfo");
		return NULL;
	}
	if (!pem_key_fits(pkey, scheme)) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		kit_err(err, KIT_E_SECURITY, "public key is not of the type its scheme needs (ECDSA P-256, or RSA of 2048 to 8192 bits)");
		return NULL;
	}
	if (scheme == KIT_KEY_ECDSA_P256 && !ec_canonical(pkey)) {
		EVP_PKEY_free(pkey);
		kit_err_ssl(err, KIT_E_SECURITY, "ECDSA public key cannot be brought to its named curve and uncompressed point");
		return NULL;
	}
	k = wrap(pkey, 0);
	k->scheme = scheme;
	return k;
}

struct kit_key *
kit_key_generate(struct kit_error *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (pkey == NULL) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot generate an Ed25519 key");
		return NULL;
	}
	return wrap(pkey, 1);
}

struct kit_key *
kit_key_from_public_hex(const char *hex, struct kit_error *err)
{
	unsigned char raw[KIT_ED25519_PUB_LEN];
	EVP_PKEY *pkey;

	if (kit_hex_decode(hex, raw, sizeof(raw)) != 0) {
		kit_err(err, KIT_E_SECURITY,
			"public key '%.70s' is not 64 hex digits of an Ed25519 key",
			hex);
		return NULL;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw,
					   sizeof(raw));
	if (pkey == NULL) {
		kit_err_ssl(err, KIT_E_SECURITY, "bad Ed25519 public key");
		return NULL;
	}
	return wrap(pkey, 0);
}

struct kit_key *
kit_key_from_seed(const unsigned char *seed, struct kit_error *err)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						      seed, 32);

	if (pkey == NULL) {
		kit_err_ssl(err, KIT_E_INVALID, "bad Ed25519 private key");
		return NULL;
	}
	return wrap(pkey, 1);
}

void
kit_key_free(struct kit_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL cleanses private key material */
	free(k);
}

int
kit_key_has_private(const struct kit_key *k)
{
	return k->has_private;
}

int
kit_key_fingerprint(const struct kit_key *k, unsigned char *out,
		    struct kit_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k->pkey, &der);

	if (len <= 0)
		return kit_err_ssl(err, KIT_E_INVALID, "cannot encode a public key");
	(void)EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return 0;
}

void
kit_key_public_raw(const struct kit_key *k, unsigned char *out)
{
	size_t len = KIT_ED25519_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(k->pkey, out, &len) != 1)
		memset(out, 0, KIT_ED25519_PUB_LEN);
}

void
kit_key_public_hex(const struct kit_key *k, char *hex)
{
	unsigned char raw[KIT_ED25519_PUB_LEN];

	kit_key_public_raw(k, raw);
	kit_hex_encode(raw, sizeof(raw), hex);
}

int
kit_key_save(const struct kit_key *k, const char *path,
	     const char *passphrase, struct kit_error *err)
{
	BIO *mem = NULL;
	char *pem = NULL;
	long len;
	int rc = -1;

	if (!k->has_private)
		return kit_err(err, KIT_E_INVALID,
			       "cannot save %s: no private key", path);
	if (passphrase == NULL || strlen(passphrase) < 8)
		return kit_err(err, KIT_E_USAGE,
			       "the passphrase for %s is shorter than 8 characters; choose a longer one",
			       path);
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(mem, k->pkey, EVP_aes_256_cbc(),
					  passphrase, (int)strlen(passphrase),
					  NULL, NULL) != 1) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot encrypt key for %s",
			    path);
		goto out;
	}
	len = BIO_get_mem_data(mem, &pem);
	/* O_EXCL: never overwrite a key; mode 0600 from the start. */
	if (kit_file_write_excl(path, pem, (size_t)len, 0600, err) != 0)
		goto out;
	rc = 0;
out:
	BIO_free(mem);
	return rc;
}

struct kit_key *
kit_key_load(const char *path, const char *passphrase, struct kit_error *err)
{
	unsigned char *text = NULL;
	size_t len = 0;
	BIO *mem = NULL;
	EVP_PKEY *pkey = NULL;
	struct kit_key *k = NULL;

	if (kit_file_read(path, KEYFILE_MAX, &text, &len, err) != 0) {
		kit_err_prefix(err, "cannot load key");
		return NULL;
	}
	mem = BIO_new_mem_buf(text, (int)len);
	if (mem == NULL) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot load key %s: out of memory",
			    path);
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, (void *)passphrase);
	if (pkey == NULL) {
		kit_err_ssl(err, KIT_E_SECURITY,
			    "cannot decrypt key %s: wrong passphrase or damaged key file; check KIT_PASSPHRASE_FILE or retype it",
			    path);
		goto out;
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		kit_err(err, KIT_E_INVALID, "key %s is not an Ed25519 key",
			path);
		EVP_PKEY_free(pkey);
		goto out;
	}
	k = wrap(pkey, 1);
out:
	BIO_free(mem);
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	return k;
}

int
kit_key_sign(const struct kit_key *k, const void *msg, size_t len,
	     unsigned char *sig, struct kit_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = KIT_ED25519_SIG_LEN;
	int rc = -1;

	if (!k->has_private) {
		kit_err(err, KIT_E_INVALID, "cannot sign with a public key");
		goto out;
	}
	if (ctx == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != KIT_ED25519_SIG_LEN) {
		kit_err_ssl(err, KIT_E_INVALID, "cannot sign");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
kit_key_verify(const struct kit_key *k, const void *msg, size_t len,
	       const unsigned char *sig, size_t siglen, struct kit_error *err)
{
	static const char *const names[] = {
		"Ed25519",
		"ECDSA P-256",
		"RSA-PSS",
	};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (ctx == NULL)
		return kit_err(err, KIT_E_INVALID, "out of memory");
	switch (k->scheme) {
	case KIT_KEY_ED25519: /* pure Ed25519: no digest of ours */
		ok = siglen == KIT_ED25519_SIG_LEN &&
		     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1;
		break;
	case KIT_KEY_ECDSA_P256: /* DER (r, s) over SHA-256 */
		ok = siglen > 0 && siglen <= 72 &&
		     EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
					  k->pkey) == 1;
		break;
	case KIT_KEY_RSA_PSS_SHA256:
		/* securesystemslib signs with the digest's length as salt
		 * and verifies with any salt length (PSS.AUTO): the same. */
		ok = siglen == (size_t)EVP_PKEY_get_size(k->pkey) &&
		     EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL,
					  k->pkey) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
		break;
	}
	ok = ok && EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return kit_err(err, KIT_E_SECURITY, "%s signature does not verify",
			       names[k->scheme]);
	return 0;
}

/* Read a line from fd without echo when it is a terminal. */
static int
read_tty_line(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int restore = 0;
	size_t n = 0;
	char c;
	ssize_t r;

	if (write(fd, prompt, strlen(prompt)) < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		return -1;
	return r < 0 ? -1 : 0;
}

int
kit_passphrase_get(const char *prompt, int confirm, char *buf, size_t size,
		   struct kit_error *err)
{
	const char *file = getenv("KIT_PASSPHRASE_FILE");
	const char *env = getenv("KIT_PASSPHRASE");
	unsigned char *text = NULL;
	char again[256];
	size_t len = 0;
	int fd, rc;

	if (file != NULL && *file != '\0') {
		if (kit_file_read(file, 4096, &text, &len, err) != 0) {
			kit_err_prefix(err, "cannot read the passphrase (KIT_PASSPHRASE_FILE)");
			return -1;
		}
		len = strcspn((char *)text, "\r\n");
		rc = kit_snprintf(err, buf, size, "%.*s", (int)len,
				  (char *)text);
		OPENSSL_cleanse(text, strlen((char *)text));
		free(text);
		return rc;
	}
	if (env != NULL && *env != '\0')
		return kit_snprintf(err, buf, size, "%s", env);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kit_err(err, KIT_E_USAGE,
			       "a passphrase is needed and there is no terminal to ask it on; set KIT_PASSPHRASE_FILE");
	rc = read_tty_line(fd, prompt, buf, size);
	if (rc == 0 && confirm) {
		rc = read_tty_line(fd, "again: ", again, sizeof(again));
		if (rc == 0 && strcmp(again, buf) != 0)
			rc = kit_err(err, KIT_E_USAGE,
				     "the two passphrases differ; try again");
		OPENSSL_cleanse(again, sizeof(again));
	}
	close(fd);
	if (rc != 0)
		return kit_err(err, KIT_E_USAGE, "cannot read the passphrase");
	return 0;
}
