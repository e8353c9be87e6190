/*
 * kit-conformance-client: kit's TUF client behind the command line of the
 * TUF conformance suite (theupdateframework/tuf-conformance, CLIENT-CLI.md),
 * so that suite can drive the code kit-fetch runs: pkg/tuf's client
 * workflow over pkg/transport (libcurl), nothing of its own but the
 * argument parsing and where files go.
 *
 *   kit-conformance-client [--lazy-root] --metadata-dir DIR init TRUSTED_ROOT
 *   kit-conformance-client [--lazy-root] --metadata-dir DIR --metadata-url URL refresh
 *   kit-conformance-client [--lazy-root] --metadata-dir DIR --metadata-url URL
 *       --target-name PATH [--target-name PATH]... --target-base-url URL
 *       --target-dir DIR download
 *
 * METADATA_DIR is the client's state directory: root.json, timestamp.json,
 * snapshot.json, targets.json and each delegated role as
 * <percent-encoded role name>.json, the bytes as the repository served
 * them.  Targets are stored in TARGET_DIR under the SHA-256 hex of their
 * name (one file per target path whatever it holds, never a path from the
 * repository) and are not downloaded again while they still match the
 * trusted metadata.  --lazy-root runs the client in kit-fetch's mode:
 * the validators (ETag, Last-Modified) of the trusted timestamp are kept in
 * METADATA_DIR/http-validators, timestamp.json is asked for conditionally,
 * and kit_tuf_client_set_lazy_root() is on while validators are held.
 *
 * Exit codes, as the protocol asks: 0 when the command succeeded, 1 when
 * any part of it failed (2 for a command line it does not understand).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit_crypto.h"
#include "kit_transport.h"
#include "kit_tuf.h"
#include "kit_util.h"

#define PROG "kit-conformance-client"
#define MAX_TARGET_NAMES 64

static const char usage[] =
	"usage: " PROG " [--lazy-root] --metadata-dir DIR init TRUSTED_ROOT\n"
	"       " PROG " [--lazy-root] --metadata-dir DIR --metadata-url URL refresh\n"
	"       " PROG " [--lazy-root] --metadata-dir DIR --metadata-url URL --target-name PATH...\n"
	"                 --target-base-url URL --target-dir DIR download\n"
	"The client-under-test of the TUF conformance suite (CLIENT-CLI.md); exit 0 ok, 1 failed, 2 usage.\n";

struct opts {
	const char *metadata_dir, *metadata_url, *target_base_url, *target_dir;
	const char *target_names[MAX_TARGET_NAMES];
	size_t n_target_names;
	int lazy;
};

/* "metadata/..." from the metadata URL, "targets/..." from the target
 * base URL: the suite gives the two separately. */
struct bases {
	struct kit_transport *metadata, *targets;
	/* --lazy-root: the HTTP validators of the trusted timestamp, kept in
	 * METADATA_DIR/VALIDATORS_FILE as kit-fetch keeps them in its state */
	int lazy, ts_fetched;
	char etag[KIT_TRANSPORT_VALIDATOR_MAX], lm[KIT_TRANSPORT_VALIDATOR_MAX];
	char new_etag[KIT_TRANSPORT_VALIDATOR_MAX];
	char new_lm[KIT_TRANSPORT_VALIDATOR_MAX];
};

#define VALIDATORS_FILE "http-validators"

static int
fetch_cb(void *arg, const char *relpath, const char *dest, uint64_t max_len,
	 struct kit_error *err)
{
	struct bases *b = arg;
	struct kit_transport *t;
	const char *rel;

	if (kit_str_has_prefix(relpath, "metadata/")) {
		t = b->metadata;
		rel = relpath + strlen("metadata/");
	} else if (kit_str_has_prefix(relpath, "targets/")) {
		t = b->targets;
		rel = relpath + strlen("targets/");
	} else {
		return kit_err(err, KIT_E_INVALID, "no base URL for %s", relpath);
	}
	if (t == NULL)
		return kit_err(err, KIT_E_INVALID, "%s needs --target-base-url",
			       relpath);
	if (b->lazy && strcmp(rel, "timestamp.json") == 0) {
		struct kit_transport_cond cond = {.etag = b->etag,
						  .last_modified = b->lm};
		int rc = kit_transport_fetch_cond(t, rel, dest, max_len, &cond,
						  err);

		memcpy(b->new_etag, cond.etag_out, sizeof(b->new_etag));
		memcpy(b->new_lm, cond.last_modified_out, sizeof(b->new_lm));
		if (rc != 0)
			return kit_transport_not_found(t) ? KIT_TUF_FETCH_NOT_FOUND
							  : -1;
		b->ts_fetched |= !cond.not_modified;
		return cond.not_modified ? KIT_TUF_FETCH_NOT_MODIFIED
					 : KIT_TUF_FETCH_OK;
	}
	if (kit_transport_fetch(t, rel, dest, max_len, NULL, 0, err) != 0)
		return kit_transport_not_found(t) ? KIT_TUF_FETCH_NOT_FOUND : -1;
	return KIT_TUF_FETCH_OK;
}

/* "<etag>\n<last-modified>\n"; anything else counts as none. */
static void
load_validators(const struct opts *o, struct bases *b)
{
	struct kit_error ignore = {0};
	char path[4096], *nl;
	unsigned char *text = NULL;
	size_t len;

	if (kit_path_join(path, sizeof(path), o->metadata_dir, VALIDATORS_FILE,
			  &ignore) < 0 ||
	    kit_file_read(path, 2 * KIT_TRANSPORT_VALIDATOR_MAX, &text, &len,
			  &ignore) != 0)
		return;
	nl = memchr(text, '\n', len);
	if (nl != NULL && (size_t)(nl - (char *)text) < sizeof(b->etag)) {
		char *rest = nl + 1, *end;

		*nl = '\0';
		end = memchr(rest, '\n', len - (size_t)(rest - (char *)text));
		if (end != NULL && (size_t)(end - rest) < sizeof(b->lm)) {
			*end = '\0';
			snprintf(b->etag, sizeof(b->etag), "%s", (char *)text);
			snprintf(b->lm, sizeof(b->lm), "%s", rest);
		}
	}
	free(text);
}

static void
save_validators(const struct opts *o, const struct bases *b)
{
	struct kit_error ignore = {0};
	char path[4096], line[2 * KIT_TRANSPORT_VALIDATOR_MAX + 2];

	if (!b->ts_fetched ||
	    kit_path_join(path, sizeof(path), o->metadata_dir, VALIDATORS_FILE,
			  &ignore) < 0)
		return;
	if (b->new_etag[0] == '\0' && b->new_lm[0] == '\0') {
		(void)unlink(path);
		return;
	}
	snprintf(line, sizeof(line), "%s\n%s\n", b->new_etag, b->new_lm);
	if (kit_file_write_atomic(path, line, strlen(line), 0644,
				  &ignore) != 0) {
		/* best effort, as kit-fetch: the next refresh walks the root */
	}
}

static struct kit_transport *
open_transport(const char *url, struct kit_error *err)
{
	struct kit_transport_opts to;

	kit_transport_opts_init(&to);
	to.base_urls = &url;
	to.n_base_urls = 1;
	/* Files are checked against the signed metadata after the transfer,
	 * and metadata is persisted by the TUF client itself (as kit-fetch). */
	to.no_sync = 1;
	return kit_transport_new(&to, err);
}

/* Target name -> TARGET_DIR/<sha256 hex of the name>. */
static int
target_path(const struct opts *o, const char *name, const char *prefix,
	    char *out, size_t size, struct kit_error *err)
{
	char hex[KIT_SHA256_HEX];

	kit_sha256_hex(name, strlen(name), hex);
	return kit_snprintf(err, out, size, "%s/%s%s", o->target_dir, prefix,
			    hex);
}

/* 1 when path already holds the target as the trusted metadata says:
 * its length, and every hash listed of those this client computes. */
static int
cached(const struct kit_tuf_target *t, const char *path)
{
	struct kit_error ignore = {0};
	char h256[KIT_SHA256_HEX], h512[KIT_SHA512_HEX];
	uint64_t len = 0;

	return (t->sha256 != NULL || t->sha512 != NULL) &&
	       kit_file_exists(path) &&
	       kit_digests_file(path, t->sha256 ? h256 : NULL,
				t->sha512 ? h512 : NULL, &len, &ignore) == 0 &&
	       len == t->length &&
	       (t->sha256 == NULL || kit_hex_equal(h256, t->sha256)) &&
	       (t->sha512 == NULL || kit_hex_equal(h512, t->sha512));
}

static int
download(const struct opts *o, struct kit_tuf_client *c, struct kit_error *err)
{
	struct kit_tuf_target t;
	char dest[4096], tmp[4096];
	size_t i;
	int st;

	for (i = 0; i < o->n_target_names; i++) {
		const char *name = o->target_names[i];

		st = kit_tuf_client_find_target(c, name, &t, err);
		if (st < 0)
			return -1;
		if (st > 0)
			return kit_err(err, KIT_E_INVALID, "target \"%.200s\" is "
							   "not in the trusted targets metadata or "
							   "its delegations",
				       name);
		if (target_path(o, name, "", dest, sizeof(dest), err) < 0 ||
		    target_path(o, name, ".download.", tmp, sizeof(tmp), err) < 0)
			return -1;
		if (cached(&t, dest)) {
			printf("%s: %s is up to date in %s\n", PROG, name, dest);
			continue;
		}
		/* into a temporary name first: a refused download must not
		 * remove the good copy an earlier run left */
		if (kit_tuf_client_fetch_target(c, name, tmp, err) < 0)
			return -1;
		if (rename(tmp, dest) < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "rename %s", tmp);
			(void)unlink(tmp);
			return -1;
		}
		printf("%s: downloaded %s to %s\n", PROG, name, dest);
	}
	return 0;
}

static int
run(const char *cmd, const struct opts *o, struct kit_error *err)
{
	struct bases b = {0};
	struct kit_tuf_client *c = NULL;
	int rc = -1;

	if (o->metadata_url == NULL) {
		kit_err(err, KIT_E_USAGE, "%s needs --metadata-url", cmd);
		goto out;
	}
	b.metadata = open_transport(o->metadata_url, err);
	if (b.metadata == NULL)
		goto out;
	if (o->target_base_url != NULL) {
		b.targets = open_transport(o->target_base_url, err);
		if (b.targets == NULL)
			goto out;
	}
	c = kit_tuf_client_new(o->metadata_dir, fetch_cb, &b, err);
	if (c == NULL)
		goto out;
	/* as kit-fetch: lazy only with validators a 304 can answer */
	b.lazy = o->lazy;
	if (b.lazy)
		load_validators(o, &b);
	kit_tuf_client_set_lazy_root(c, b.etag[0] != '\0' || b.lm[0] != '\0');
	if (kit_tuf_client_update(c, err) < 0)
		goto out;
	if (b.lazy)
		save_validators(o, &b);
	printf("%s: trusted root v%lld, timestamp v%lld, snapshot v%lld, "
	       "targets v%lld\n",
	       PROG,
	       (long long)kit_tuf_client_version(c, KIT_TUF_ROOT),
	       (long long)kit_tuf_client_version(c, KIT_TUF_TIMESTAMP),
	       (long long)kit_tuf_client_version(c, KIT_TUF_SNAPSHOT),
	       (long long)kit_tuf_client_version(c, KIT_TUF_TARGETS));
	if (strcmp(cmd, "download") == 0) {
		if (o->n_target_names == 0 || o->target_dir == NULL ||
		    b.targets == NULL) {
			kit_err(err, KIT_E_USAGE, "download needs --target-name, "
						  "--target-base-url and --target-dir");
			goto out;
		}
		if (download(o, c, err) < 0)
			goto out;
	}
	rc = 0;
out:
	kit_tuf_client_free(c);
	kit_transport_free(b.metadata);
	kit_transport_free(b.targets);
	return rc;
}

enum {
	OPT_METADATA_DIR = 256,
	OPT_METADATA_URL,
	OPT_TARGET_NAME,
	OPT_TARGET_BASE_URL,
	OPT_TARGET_DIR,
	OPT_LAZY_ROOT,
	OPT_HELP,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"metadata-dir", required_argument, NULL, OPT_METADATA_DIR},
		{"metadata-url", required_argument, NULL, OPT_METADATA_URL},
		{"target-name", required_argument, NULL, OPT_TARGET_NAME},
		{"target-base-url", required_argument, NULL, OPT_TARGET_BASE_URL},
		{"target-dir", required_argument, NULL, OPT_TARGET_DIR},
		{"lazy-root", no_argument, NULL, OPT_LAZY_ROOT},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	struct kit_error err = {0};
	const char *cmd;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_METADATA_DIR: o.metadata_dir = optarg; break;
		case OPT_METADATA_URL: o.metadata_url = optarg; break;
		case OPT_TARGET_NAME:
			if (o.n_target_names == MAX_TARGET_NAMES) {
				fprintf(stderr, PROG ": more than %d --target-name options\n",
					MAX_TARGET_NAMES);
				return 2;
			}
			o.target_names[o.n_target_names++] = optarg;
			break;
		case OPT_TARGET_BASE_URL: o.target_base_url = optarg; break;
		case OPT_TARGET_DIR: o.target_dir = optarg; break;
		case OPT_LAZY_ROOT: o.lazy = 1; break;
		case 'v': break; /* always as verbose as it gets */
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, PROG ": unknown or incomplete option %s\n%s",
				argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind >= argc || o.metadata_dir == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "init") == 0) {
		/* the same check kit-fetch init makes on the root it pins */
		if (optind + 1 != argc) {
			fputs(usage, stderr);
			return 2;
		}
		if (kit_tuf_client_pin_root(o.metadata_dir, argv[optind], 1,
					    &err) < 0)
			goto fail;
		printf("%s: pinned %s in %s\n", PROG, argv[optind], o.metadata_dir);
		return 0;
	}
	if ((strcmp(cmd, "refresh") != 0 && strcmp(cmd, "download") != 0) ||
	    optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (run(cmd, &o, &err) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, PROG ": %s\n", err.msg);
	return err.code == KIT_E_USAGE ? 2 : 1;
}
