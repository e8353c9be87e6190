/* crypto_test.c: RFC 8032 vectors, key files, minisign against the real tool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kit_crypto.h"

struct vector {
	const char *seed, *pub, *msg, *sig;
};

/* RFC 8032 section 7.1, tests 1 to 3. */
static const struct vector rfc8032[] = {
	{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	 "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
	{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	 "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	 "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	 "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	 "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void
test_rfc8032(void **state)
{
	struct kit_error err = {0};
	unsigned char seed[32], msg[8], sig[64], want[64];
	char hex[65];
	size_t i, mlen;

	(void)state;
	for (i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		const struct vector *v = &rfc8032[i];
		struct kit_key *k, *pub;

		assert_int_equal(kit_hex_decode(v->seed, seed, 32), 0);
		mlen = strlen(v->msg) / 2;
		assert_int_equal(kit_hex_decode(v->msg, msg, mlen), 0);
		assert_int_equal(kit_hex_decode(v->sig, want, 64), 0);
		k = kit_key_from_seed(seed, &err);
		assert_non_null(k);
		kit_key_public_hex(k, hex);
		assert_string_equal(hex, v->pub);
		assert_int_equal(kit_key_sign(k, msg, mlen, sig, &err), 0);
		assert_memory_equal(sig, want, 64);
		pub = kit_key_from_public_hex(v->pub, &err);
		assert_non_null(pub);
		assert_false(kit_key_has_private(pub));
		assert_int_equal(kit_key_verify(pub, msg, mlen, sig, 64, &err), 0);
		/* attack: one flipped bit in the signature, then in the message */
		sig[10] ^= 1;
		assert_int_equal(kit_key_verify(pub, msg, mlen, sig, 64, &err), -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		kit_err_clear(&err);
		sig[10] ^= 1;
		msg[0] ^= 0x80;
		assert_int_equal(kit_key_verify(pub, msg, mlen ? mlen : 1, sig, 64,
						&err),
				 -1);
		kit_err_clear(&err);
		assert_int_equal(kit_key_verify(pub, msg, mlen, sig, 63, &err), -1);
		kit_err_clear(&err);
		kit_key_free(k);
		kit_key_free(pub);
	}
	assert_null(kit_key_from_public_hex("zz", &err));
	assert_int_equal(err.code, KIT_E_SECURITY);
}

static void
test_sha256(void **state)
{
	char hex[65];
	struct kit_sha256 *h = kit_sha256_new();

	(void)state;
	kit_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	kit_sha256_update(h, "a", 1);
	kit_sha256_update(h, "bc", 2);
	kit_sha256_final_hex(h, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	kit_sha256_free(h);
	assert_true(kit_hex_equal("ab", "ab"));
	assert_false(kit_hex_equal("ab", "ac"));
	assert_false(kit_hex_equal("ab", "abc"));
}

/* FIPS 180-2 "abc" for SHA-512; one pass over a file for both digests;
 * the only digest text accepted from metadata. */
static void
test_sha512_and_digest_text(void **state)
{
	static const char abc512[] =
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
	static const char abc256[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-crypto-XXXXXX", path[256];
	char h256[KIT_SHA256_HEX], h512[KIT_SHA512_HEX], dots[65];
	uint64_t len = 0;
	FILE *f;
	int i;

	(void)state;
	kit_sha512_hex("abc", 3, h512);
	assert_string_equal(h512, abc512);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/abc", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("abc", f);
	fclose(f);
	assert_int_equal(kit_digests_file(path, h256, h512, &len, &err), 0);
	assert_int_equal(len, 3);
	assert_string_equal(h256, abc256);
	assert_string_equal(h512, abc512);
	memset(h256, 0, sizeof(h256));
	assert_int_equal(kit_digests_file(path, NULL, h512, NULL, &err), 0);
	assert_int_equal(kit_sha256_file(path, h256, &len, &err), 0);
	assert_string_equal(h256, abc256);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(kit_digests_file(path, h256, NULL, NULL, &err), -1);
	assert_int_equal(rmdir(dir), 0);

	assert_true(kit_hex_is_digest(abc256, KIT_SHA256_LEN));
	assert_true(kit_hex_is_digest(abc512, KIT_SHA512_LEN));
	assert_false(kit_hex_is_digest(abc512, KIT_SHA256_LEN));
	assert_false(kit_hex_is_digest(abc256, KIT_SHA512_LEN));
	assert_false(kit_hex_is_digest(NULL, KIT_SHA256_LEN));
	assert_false(kit_hex_is_digest("", KIT_SHA256_LEN));
	assert_false(kit_hex_is_digest(
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		KIT_SHA256_LEN));
	assert_false(kit_hex_is_digest(
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
		KIT_SHA256_LEN));
	for (i = 0; i < 21; i++)
		memcpy(dots + 3 * i, "../", 3);
	dots[63] = 'x';
	dots[64] = '\0';
	assert_false(kit_hex_is_digest(dots, KIT_SHA256_LEN));
	assert_false(kit_hex_is_digest(
		" a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		KIT_SHA256_LEN));
}

static void
test_key_files(void **state)
{
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-crypto-XXXXXX", path[256];
	struct kit_key *k, *l;
	char a[65], b[65];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/root-1.pem", dir);
	k = kit_key_generate(&err);
	assert_non_null(k);
	assert_int_equal(kit_key_save(k, path, "short", &err), -1);
	assert_int_equal(err.code, KIT_E_USAGE);
	kit_err_clear(&err);
	assert_int_equal(kit_key_save(k, path, "correct horse", &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never overwritten */
	assert_int_equal(kit_key_save(k, path, "correct horse", &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	kit_err_clear(&err);
	l = kit_key_load(path, "wrong horse", &err);
	assert_null(l);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	kit_err_clear(&err);
	l = kit_key_load(path, "correct horse", &err);
	assert_non_null(l);
	kit_key_public_hex(k, a);
	kit_key_public_hex(l, b);
	assert_string_equal(a, b);
	kit_key_free(k);
	kit_key_free(l);
	unlink(path);
	rmdir(dir);
}

static void
test_passphrase_sources(void **state)
{
	struct kit_error err = {0};
	char buf[64], path[] = "/tmp/kit-pass-XXXXXX";
	int fd;

	(void)state;
	unsetenv("KIT_PASSPHRASE_FILE");
	setenv("KIT_PASSPHRASE", "from env", 1);
	assert_int_equal(kit_passphrase_get("p: ", 0, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "from env");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from file\nrest\n", 15), 15);
	close(fd);
	setenv("KIT_PASSPHRASE_FILE", path, 1);
	assert_int_equal(kit_passphrase_get("p: ", 0, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "from file");
	unlink(path);
	assert_int_equal(kit_passphrase_get("p: ", 0, buf, sizeof(buf), &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	unsetenv("KIT_PASSPHRASE_FILE");
	unsetenv("KIT_PASSPHRASE");
}

/* Our .minisig must satisfy the stock minisign tool, and tampering must not. */
static void
test_minisign_real_tool(void **state)
{
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-minisign-XXXXXX", file[128], pub[128], sig[256];
	char cmd[1024];
	char *pubtext, *sigtext;
	struct kit_key *k;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/global.tar.zst", dir);
	snprintf(pub, sizeof(pub), "%s/kit.pub", dir);
	snprintf(sig, sizeof(sig), "%s.minisig", file);
	f = fopen(file, "w");
	assert_non_null(f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	k = kit_key_generate(&err);
	assert_non_null(k);
	pubtext = kit_minisign_pubkey(k, &err);
	sigtext = kit_minisign_sign_file(k, file,
					 "campaign:together-2016 office:global version:1",
					 &err);
	assert_non_null(pubtext);
	assert_non_null(sigtext);
	assert_int_equal(kit_file_write_atomic(pub, pubtext, strlen(pubtext), 0644, &err), 0);
	assert_int_equal(kit_file_write_atomic(sig, sigtext, strlen(sigtext), 0644, &err), 0);
	assert_int_equal(kit_minisign_verify_file(k, file, sigtext, &err), 0);
	snprintf(cmd, sizeof(cmd), "minisign -V -q -p %s -m %s", pub, file);
	assert_int_equal(system(cmd), 0);
	/* tamper with one byte: the real tool and ours both refuse */
	f = fopen(file, "r+");
	assert_non_null(f);
	fseek(f, 500, SEEK_SET);
	fputc('X', f);
	fclose(f);
	assert_int_not_equal(system(cmd), 0);
	assert_int_equal(kit_minisign_verify_file(k, file, sigtext, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	free(pubtext);
	free(sigtext);
	kit_key_free(k);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Run a shell command; fail the test when it fails. */
static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static char *
slurp(const char *path, size_t *len)
{
	struct kit_error err = {0};
	unsigned char *b = NULL;

	if (kit_file_read(path, 1 << 20, &b, len, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	return (char *)b;
}

/*
 * ECDSA P-256 and RSA-PSS public keys, with keys and signatures made by the
 * openssl tool as securesystemslib makes them (PEM SubjectPublicKeyInfo,
 * DER ECDSA signature, PSS with MGF1-SHA-256 and a 32-byte salt); wrong
 * messages, wrong padding, other curves and small RSA keys refused.
 */
static void
test_other_key_types(void **state)
{
	static const struct {
		const char *gen, *sigopt;
		enum kit_key_scheme scheme;
	} kinds[] = {
		{"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "",
		 KIT_KEY_ECDSA_P256},
		{"-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
		 "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest",
		 KIT_KEY_RSA_PSS_SHA256},
		/* the largest salt (another signer's choice) verifies too */
		{"-algorithm RSA -pkeyopt rsa_keygen_bits:3072",
		 "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max",
		 KIT_KEY_RSA_PSS_SHA256},
	};
	static const char *const misfits[] = {
		"-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
		"-algorithm RSA -pkeyopt rsa_keygen_bits:1024",
		"-algorithm ED25519",
	};
	static const char *const ec_forms[] = {
		"-conv_form compressed",
		"-conv_form hybrid",
		"-param_enc explicit",
		"-param_enc explicit -conv_form compressed",
	};
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-crypto-XXXXXX";
	unsigned char fp1[KIT_SHA256_LEN], fp2[KIT_SHA256_LEN];
	struct kit_key *k, *k2;
	char path[256], *pem, *sig;
	size_t i, pemlen, siglen;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sh("printf 'signed bytes' >%s/msg", dir);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		sh("cd %s && openssl genpkey %s -out key.pem 2>/dev/null && "
		   "openssl pkey -in key.pem -pubout -out pub.pem && "
		   "openssl dgst -sha256 %s -sign key.pem -out sig msg && "
		   "openssl dgst -sha256 -sigopt rsa_padding_mode:pkcs1 "
		   "-sign key.pem -out sig-pkcs1 msg 2>/dev/null || true",
		   dir, kinds[i].gen, kinds[i].sigopt);
		snprintf(path, sizeof(path), "%s/pub.pem", dir);
		pem = slurp(path, &pemlen);
		snprintf(path, sizeof(path), "%s/sig", dir);
		sig = slurp(path, &siglen);
		k = kit_key_from_public_pem(pem, kinds[i].scheme, &err);
		if (k == NULL)
			fail_msg("%s: %s", kinds[i].gen, err.msg);
		assert_int_equal(kit_key_scheme(k), kinds[i].scheme);
		assert_false(kit_key_has_private(k));
		if (kit_key_verify(k, "signed bytes", 12, (unsigned char *)sig,
				   siglen, &err) != 0)
			fail_msg("%s: %s", kinds[i].gen, err.msg);
		assert_int_equal(kit_key_verify(k, "signed bytez", 12,
						(unsigned char *)sig, siglen,
						&err),
				 -1);
		assert_int_equal(err.code, KIT_E_SECURITY);
		sig[siglen / 2] ^= 1;
		assert_int_equal(kit_key_verify(k, "signed bytes", 12,
						(unsigned char *)sig, siglen,
						&err),
				 -1);
		free(sig);
		if (kinds[i].scheme == KIT_KEY_RSA_PSS_SHA256) {
			/* PKCS#1 v1.5 is another scheme */
			snprintf(path, sizeof(path), "%s/sig-pkcs1", dir);
			sig = slurp(path, &siglen);
			assert_int_equal(kit_key_verify(k, "signed bytes", 12,
							(unsigned char *)sig,
							siglen, &err),
					 -1);
			free(sig);
		}
		/* the same key read again has the same fingerprint */
		k2 = kit_key_from_public_pem(pem, kinds[i].scheme, &err);
		assert_non_null(k2);
		assert_int_equal(kit_key_fingerprint(k, fp1, &err), 0);
		assert_int_equal(kit_key_fingerprint(k2, fp2, &err), 0);
		assert_memory_equal(fp1, fp2, sizeof(fp1));
		kit_key_free(k2);
		/* and is refused for the other scheme */
		memset(&err, 0, sizeof(err));
		assert_null(kit_key_from_public_pem(
			pem, kinds[i].scheme == KIT_KEY_ECDSA_P256 ? KIT_KEY_RSA_PSS_SHA256 : KIT_KEY_ECDSA_P256,
			&err));
		assert_int_equal(err.code, KIT_E_SECURITY);
		kit_key_free(k);
		free(pem);
	}
	/* one P-256 key in each SubjectPublicKeyInfo form (point compressed
	 * or hybrid, curve by explicit parameters): one fingerprint, so it
	 * counts once toward a threshold */
	sh("cd %s && openssl ecparam -name prime256v1 -genkey -noout "
	   "-out key.pem && openssl ec -in key.pem -pubout -out pub.pem "
	   "2>/dev/null",
	   dir);
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	pem = slurp(path, &pemlen);
	k = kit_key_from_public_pem(pem, KIT_KEY_ECDSA_P256, &err);
	assert_non_null(k);
	assert_int_equal(kit_key_fingerprint(k, fp1, &err), 0);
	kit_key_free(k);
	free(pem);
	for (i = 0; i < sizeof(ec_forms) / sizeof(ec_forms[0]); i++) {
		sh("cd %s && openssl ec -in key.pem -pubout %s -out form.pem "
		   "2>/dev/null",
		   dir, ec_forms[i]);
		snprintf(path, sizeof(path), "%s/form.pem", dir);
		pem = slurp(path, &pemlen);
		k = kit_key_from_public_pem(pem, KIT_KEY_ECDSA_P256, &err);
		if (k == NULL)
			fail_msg("%s: %s", ec_forms[i], err.msg);
		assert_int_equal(kit_key_fingerprint(k, fp2, &err), 0);
		if (memcmp(fp1, fp2, sizeof(fp1)) != 0)
			fail_msg("%s: another fingerprint for the same key",
				 ec_forms[i]);
		kit_key_free(k);
		free(pem);
	}
	for (i = 0; i < sizeof(misfits) / sizeof(misfits[0]); i++) {
		sh("cd %s && openssl genpkey %s -out key.pem 2>/dev/null && "
		   "openssl pkey -in key.pem -pubout -out pub.pem",
		   dir, misfits[i]);
		snprintf(path, sizeof(path), "%s/pub.pem", dir);
		pem = slurp(path, &pemlen);
		memset(&err, 0, sizeof(err));
		assert_null(kit_key_from_public_pem(pem, KIT_KEY_ECDSA_P256, &err));
		assert_int_equal(err.code, KIT_E_SECURITY);
		assert_null(kit_key_from_public_pem(pem, KIT_KEY_RSA_PSS_SHA256, &err));
		free(pem);
	}
	memset(&err, 0, sizeof(err));
	assert_null(kit_key_from_public_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n"
					    "-----END PUBLIC KEY-----\n",
					    KIT_KEY_ECDSA_P256, &err));
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_null(kit_key_from_public_pem("", KIT_KEY_ECDSA_P256, &err));
	sh("rm -rf %s", dir);
}

/*
 * A metadata "public" key that is a private key PEM is refused, and one
 * that is an encrypted private key never makes OpenSSL ask for its
 * passphrase (on a terminal, kit-fetch would wait for it): the child has no
 * terminal and the passphrase waits on its standard input, where OpenSSL's
 * default prompt would read it.
 */
static void
test_public_pem_only(void **state)
{
	static const char *const forms[] = {
		"openssl pkey -in key.pem -out form.pem",
		"openssl pkey -in key.pem -aes256 -passout pass:secret-pass "
		"-out form.pem",
		"openssl ec -in key.pem -out form.pem 2>/dev/null",
	};
	struct kit_error err = {0};
	char dir[] = "/tmp/kit-crypto-XXXXXX", path[256], *pem;
	int fds[2], status;
	size_t i, len;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sh("cd %s && openssl genpkey -algorithm EC -pkeyopt "
	   "ec_paramgen_curve:P-256 -out key.pem 2>/dev/null",
	   dir);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		sh("cd %s && %s", dir, forms[i]);
		snprintf(path, sizeof(path), "%s/form.pem", dir);
		pem = slurp(path, &len);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], "secret-pass\n", 12), 12);
		close(fds[1]);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct kit_key *k;

			(void)setsid(); /* no controlling terminal */
			if (dup2(fds[0], 0) < 0)
				_exit(3);
			k = kit_key_from_public_pem(pem, KIT_KEY_ECDSA_P256,
						    &err);
			if (k != NULL)
				_exit(1);
			if (read(0, path, sizeof(path)) != 12)
				_exit(4); /* the passphrase was asked for */
			_exit(err.code == KIT_E_SECURITY ? 0 : 2);
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("%s: accepted, or its passphrase asked for "
				 "(status %d)",
				 forms[i], status);
		free(pem);
	}
	sh("rm -rf %s", dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_sha512_and_digest_text),
		cmocka_unit_test(test_other_key_types),
		cmocka_unit_test(test_public_pem_only),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_passphrase_sources),
		cmocka_unit_test(test_minisign_real_tool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
