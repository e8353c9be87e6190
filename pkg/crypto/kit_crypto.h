/*
 * kit_crypto.h: SHA-256 (streaming), Ed25519 keys and signatures via
 * OpenSSL EVP, passphrase-encrypted PKCS#8 key files, passphrase input,
 * and minisign-format detached signatures.
 *
 * Errors: KIT_E_INVALID for malformed input, KIT_E_SECURITY for a wrong
 * passphrase or a signature that does not verify, KIT_E_IO for files.
 * Messages carry OpenSSL's own reason where there is one.
 */
#ifndef KIT_CRYPTO_H
#define KIT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "kit_util.h"

#define KIT_SHA256_LEN 32
#define KIT_SHA256_HEX 65 /* 64 hex digits and NUL */
#define KIT_ED25519_SIG_LEN 64
#define KIT_ED25519_PUB_LEN 32

/* Streaming SHA-256.  new() returns NULL only on out-of-memory. */
struct kit_sha256;
struct kit_sha256 *kit_sha256_new(void);
void kit_sha256_update(struct kit_sha256 *h, const void *p, size_t n);
/* Write the lowercase hex digest into hex[KIT_SHA256_HEX]; h can be
 * reused afterwards (it is reset). */
void kit_sha256_final_hex(struct kit_sha256 *h, char *hex);
void kit_sha256_free(struct kit_sha256 *h);
void kit_sha256_hex(const void *p, size_t n, char *hex);
/* Hash a whole file (regular file, no symlink) in large blocks. */
int kit_sha256_file(const char *path, char *hex, uint64_t *len,
		    struct kit_error *err) KIT_WUR;
/* The same for path beneath the open directory dirfd, no link followed at
 * any component (kit_file_open_read). */
int kit_sha256_file_at(int dirfd, const char *path, char *hex, uint64_t *len,
		       struct kit_error *err) KIT_WUR;
/* Compare two hex digests in constant time; 1 if equal. */
int kit_hex_equal(const char *a, const char *b);
/* 1 if s (may be NULL: 0) is exactly 2 * nbytes lower-case hex digits: the
 * only form in which a digest read from metadata or a manifest is
 * accepted (it may become part of a file name). */
int kit_hex_is_digest(const char *s, size_t nbytes);

/* SHA-512 (TUF targets may list it instead of or besides SHA-256). */
#define KIT_SHA512_LEN 64
#define KIT_SHA512_HEX 129 /* 128 hex digits and NUL */
void kit_sha512_hex(const void *p, size_t n, char *hex);
/* Hash a whole file (regular, no symlink) in one pass with SHA-256 into
 * sha256hex[KIT_SHA256_HEX] and SHA-512 into sha512hex[KIT_SHA512_HEX];
 * either may be NULL (not computed).  *len (may be NULL) gets the size. */
int kit_digests_file(const char *path, char *sha256hex, char *sha512hex,
		     uint64_t *len, struct kit_error *err) KIT_WUR;

/*
 * A key, private or public only.  Opaque.  Keys made, saved, loaded and
 * used for signing are Ed25519 (kit-publish writes only those); public
 * keys of the other TUF schemes are read for verification only.
 */
struct kit_key;
enum kit_key_scheme {
	KIT_KEY_ED25519 = 0,        /* "ed25519": raw 64-byte signature */
	KIT_KEY_ECDSA_P256 = 1,     /* "ecdsa-sha2-nistp256": P-256, SHA-256,
				   * DER signature */
	KIT_KEY_RSA_PSS_SHA256 = 2, /* "rsassa-pss-sha256": MGF1-SHA-256, any
				     * salt length on verification */
};
/* A public key for scheme from a PEM SubjectPublicKeyInfo ("-----BEGIN
 * PUBLIC KEY-----", as securesystemslib writes "keyval.public" for ECDSA
 * and RSA keys), the first PEM block; any other block (a private key,
 * encrypted or not) is refused and no passphrase is ever asked for.
 * KIT_E_SECURITY when it does not parse, is another type
 * than the scheme needs (P-256 for ECDSA; RSA of 2048 to 8192 bits), or is
 * longer than 16 KiB. */
struct kit_key *kit_key_from_public_pem(const char *pem,
					enum kit_key_scheme scheme,
					struct kit_error *err) KIT_WUR;
enum kit_key_scheme kit_key_scheme(const struct kit_key *k);
struct kit_key *kit_key_generate(struct kit_error *err) KIT_WUR;
/* From 32 raw public bytes given as 64 hex digits (TUF "keyval.public"). */
struct kit_key *kit_key_from_public_hex(const char *hex,
					struct kit_error *err) KIT_WUR;
/* From a 32-byte RFC 8032 private seed (test vectors). */
struct kit_key *kit_key_from_seed(const unsigned char *seed,
				  struct kit_error *err) KIT_WUR;
void kit_key_free(struct kit_key *k);
int kit_key_has_private(const struct kit_key *k);
/* The identity of a public key whatever its encoding in metadata: SHA-256
 * of its DER SubjectPublicKeyInfo into out[KIT_SHA256_LEN], EC keys with a
 * named curve and an uncompressed point however they were read.  Two key
 * objects (or key ids) with the same fingerprint are one key. */
int kit_key_fingerprint(const struct kit_key *k, unsigned char *out,
			struct kit_error *err) KIT_WUR;
/* The raw 32-byte public key (Ed25519 keys only; zeros for others). */
void kit_key_public_raw(const struct kit_key *k, unsigned char *out);
/* Public key as 64 lowercase hex digits into hex[65] (Ed25519 only). */
void kit_key_public_hex(const struct kit_key *k, char *hex);
/* Save the private key as passphrase-encrypted PKCS#8 PEM (AES-256-CBC,
 * scrypt-free PBKDF2 as OpenSSL defaults), created O_EXCL mode 0600. */
int kit_key_save(const struct kit_key *k, const char *path,
		 const char *passphrase, struct kit_error *err) KIT_WUR;
/* Load a key file; KIT_E_SECURITY "wrong passphrase" when it does not
 * decrypt.  Refuses a file readable by group or others? no: warns only. */
struct kit_key *kit_key_load(const char *path, const char *passphrase,
			     struct kit_error *err) KIT_WUR;
/* Sign msg with an Ed25519 private key; sig receives KIT_ED25519_SIG_LEN
 * bytes. */
int kit_key_sign(const struct kit_key *k, const void *msg, size_t len,
		 unsigned char *sig, struct kit_error *err) KIT_WUR;
/* 0 when sig is a valid signature of msg by k in k's scheme, else -1 with
 * KIT_E_SECURITY. */
int kit_key_verify(const struct kit_key *k, const void *msg, size_t len,
		   const unsigned char *sig, size_t siglen,
		   struct kit_error *err) KIT_WUR;

/*
 * Passphrases: from KIT_PASSPHRASE_FILE (first line), else KIT_PASSPHRASE,
 * else a prompt on /dev/tty without echo (twice when confirm is set).
 * buf receives a NUL-terminated string; wipe it with OPENSSL_cleanse.
 */
int kit_passphrase_get(const char *prompt, int confirm, char *buf,
		       size_t size, struct kit_error *err) KIT_WUR;

/*
 * minisign: the key id is the first 8 bytes of SHA-256 of the raw public
 * key (little-endian as minisign prints it).  Signatures use the
 * pre-hashed "ED" algorithm: Ed25519 over BLAKE2b-512 of the file, and a
 * global signature over the signature and the trusted comment.
 */
void kit_minisign_keyid(const struct kit_key *k, unsigned char *id8);
/* The public key file text ("untrusted comment: ...\n<base64>\n"), newly
 * allocated. */
char *kit_minisign_pubkey(const struct kit_key *k, struct kit_error *err) KIT_WUR;
/* Sign the file at path; returns the .minisig text, newly allocated.
 * trusted_comment must be one line of printable text. */
char *kit_minisign_sign_file(const struct kit_key *k, const char *path,
			     const char *trusted_comment,
			     struct kit_error *err) KIT_WUR;
/* Verify a .minisig text against the file at path with key k. */
int kit_minisign_verify_file(const struct kit_key *k, const char *path,
			     const char *sigtext,
			     struct kit_error *err) KIT_WUR;

#endif
