/* publisher.c: campaign sources to a signed static repository. */
/* realpath() is POSIX but X/Open-guarded in glibc: compare --keys and
 * --repo with links resolved. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "kit_bundle.h"
#include "kit_campaign.h"
#include "kit_crypto.h"
#include "kit_publisher.h"
#include "kit_tuf.h"
#include "publisher_int.h"

void
kit_publisher_opts_init(struct kit_publisher_opts *o)
{
	memset(o, 0, sizeof(*o));
	kit_tuf_repo_config_default(&o->cfg);
	o->zstd_level = KIT_PUBLISHER_ZSTD_DEFAULT;
	o->kit_version = 1;
}

int
kit_publisher_parse_expires(struct kit_publisher_opts *o, const char *spec,
			    struct kit_error *err)
{
	char buf[256], *item, *save = NULL, *eq;
	int role;
	int64_t secs;

	if (kit_snprintf(err, buf, sizeof(buf), "%s", spec) != 0)
		return -1;
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		if (eq == NULL)
			return kit_err(err, KIT_E_USAGE,
				       "--expires '%s': write ROLE=DURATION, e.g. timestamp=1d,targets=90d",
				       item);
		*eq = '\0';
		role = kit_tuf_role_from_name(item);
		if (role < 0)
			return kit_err(err, KIT_E_USAGE,
				       "--expires: unknown role '%s'; use root, targets, snapshot or timestamp",
				       item);
		if (kit_duration_parse(eq + 1, &secs, err) != 0)
			return -1;
		o->cfg.role[role].expires = secs;
		o->expiry_set[role] = 1;
	}
	return 0;
}

static int
get_pass(const char *prompt, int confirm, char *pass, struct kit_error *err)
{
	return kit_passphrase_get(prompt, confirm, pass, PASS_MAX, err);
}

void
say(const struct kit_publisher_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	fputs("kit-publish: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
minisign_key_path(const struct kit_publisher_opts *o, char *out, size_t size,
		  struct kit_error *err)
{
	return kit_path_join(out, size, o->keys_dir, "minisign.pem", err);
}

static int
write_minisign_pub(const struct kit_publisher_opts *o, const struct kit_key *k,
		   struct kit_error *err)
{
	char path[PATH_MAX], *text;
	int rc;

	if (kit_path_join(path, sizeof(path), o->repo_dir, "minisign.pub",
			  err) != 0)
		return -1;
	text = kit_minisign_pubkey(k, err);
	if (text == NULL)
		return -1;
	rc = kit_file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

/*
 * path as an absolute path without symlinks, "." or "..", for a path that
 * need not exist yet: the longest existing prefix through realpath(), the
 * rest (which no link can be part of) appended name by name.
 */
static int
resolve_path(const char *path, char *out, size_t size, struct kit_error *err)
{
	char buf[PATH_MAX], cwd[PATH_MAX], *slash, *name, *save = NULL;
	char rest[PATH_MAX] = "", tmp[PATH_MAX];
	size_t n;

	if (path[0] == '/') {
		if (kit_snprintf(err, buf, sizeof(buf), "%s", path) != 0)
			return -1;
	} else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		return kit_err_errno(err, KIT_E_IO, errno, "cannot resolve %s", path);
	} else if (kit_path_join(buf, sizeof(buf), cwd, path, err) != 0) {
		return -1;
	}
	while (realpath(buf, out) == NULL) {
		if (errno != ENOENT)
			return kit_err_errno(err, KIT_E_IO, errno, "cannot resolve %s", path);
		slash = strrchr(buf, '/');
		if (slash == NULL || slash == buf)
			return kit_err(err, KIT_E_IO, "cannot resolve %s", path);
		if (kit_snprintf(err, tmp, sizeof(tmp), "%s/%s", slash + 1, rest) != 0)
			return -1;
		memcpy(rest, tmp, sizeof(rest));
		*slash = '\0';
	}
	for (name = strtok_r(rest, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		n = strlen(out);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			slash = strrchr(out, '/');
			if (slash != NULL)
				slash[slash == out ? 1 : 0] = '\0';
			continue;
		}
		if (kit_snprintf(err, out + n, size - n, "%s%s",
				 n > 1 ? "/" : "", name) != 0)
			return -1;
	}
	return 0;
}

/* 1 if a is b or lies below it (both resolved). */
static int
path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/*
 * The private keys never go where the repository is served or copied
 * from: refuse --keys inside --repo (a web server would serve them), the
 * same directory, or a --repo inside --keys (serving or copying the parent
 * carries the keys).  Paths are compared after resolving links, so a link
 * cannot hide one inside the other.
 */
static int
keys_apart(const struct kit_publisher_opts *o, struct kit_error *err)
{
	char repo[PATH_MAX], keys[PATH_MAX];

	if (resolve_path(o->repo_dir, repo, sizeof(repo), err) != 0 ||
	    resolve_path(o->keys_dir, keys, sizeof(keys), err) != 0)
		return -1;
	if (path_within(keys, repo))
		return kit_err(err, KIT_E_USAGE, "--keys %s is inside --repo %s, where a web server would serve the private keys; keep the keys outside the repository, e.g. --keys ~/secure/kit-keys", o->keys_dir, o->repo_dir);
	if (path_within(repo, keys))
		return kit_err(err, KIT_E_USAGE, "--repo %s is inside --keys %s, so serving or copying the keys directory carries the repository and the keys together; use two separate directories", o->repo_dir, o->keys_dir);
	return 0;
}

static int lock_repo(const char *repo_dir, struct kit_error *err);

int
kit_publisher_init(const struct kit_publisher_opts *o, struct kit_error *err)
{
	char pass[PASS_MAX], path[PATH_MAX];
	struct kit_key *k = NULL;
	int rc = -1, lock = -1;

	if (o->repo_dir == NULL || o->keys_dir == NULL)
		return kit_err(err, KIT_E_USAGE,
			       "init needs --repo DIR and --keys DIR");
	if (keys_apart(o, err) != 0)
		return -1;
	if (get_pass("passphrase for the new keys: ", 1, pass, err) != 0)
		return -1;
	if (kit_mkdir_p(o->repo_dir, 0755, err) != 0)
		goto out;
	/* the lock every later writer takes, there from the start */
	lock = lock_repo(o->repo_dir, err);
	if (lock < 0)
		goto out;
	if (kit_tuf_repo_init(o->repo_dir, o->keys_dir, &o->cfg, pass, err) != 0)
		goto out;
	k = kit_key_generate(err);
	if (k == NULL || minisign_key_path(o, path, sizeof(path), err) != 0 ||
	    kit_key_save(k, path, pass, err) != 0 ||
	    write_minisign_pub(o, k, err) != 0)
		goto out;
	say(o, "new repository in %s, keys in %s", o->repo_dir, o->keys_dir);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_key_free(k);
	if (lock >= 0)
		close(lock);
	if (rc != 0)
		kit_err_prefix(err, "cannot create the repository");
	return rc;
}

static void
print_diags(struct kit_campaign_diags *d, const char *dir, FILE *out)
{
	char line[1024];
	size_t i;

	kit_campaign_diags_sort(d);
	for (i = 0; i < d->n; i++) {
		kit_campaign_diag_format(&d->v[i], dir, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

/* Load and validate; prints diagnostics; NULL when there are errors. */
static struct kit_campaign *
load_valid(const char *dir, FILE *out, size_t *errors, struct kit_error *err)
{
	struct kit_campaign_diags d;
	struct kit_campaign *c;
	char path[PATH_MAX];
	struct stat st;

	if (kit_path_join(path, sizeof(path), dir, "campaign.json", err) != 0)
		return NULL;
	/* (a link there is refused by the loader, with its reason) */
	if (lstat(path, &st) != 0) {
		kit_err(err, KIT_E_INVALID,
			"%s: no such file; a campaign directory needs campaign.json (see the README's campaign format)",
			path);
		return NULL;
	}
	kit_campaign_diags_init(&d);
	c = kit_campaign_load(dir, &d, err);
	if (c != NULL)
		(void)kit_campaign_validate(c, &d);
	print_diags(&d, dir, out);
	if (errors)
		*errors = d.errors;
	if (c != NULL && d.unsafe > 0)
		kit_err(err, KIT_E_SECURITY,
			"refusing %s: %zu file%s reached through a symbolic link or not regular (listed above); put the files themselves in the campaign directory",
			dir, d.unsafe, d.unsafe == 1 ? "" : "s");
	if (c == NULL || d.errors > 0) {
		kit_err(err, KIT_E_INVALID,
			"%s does not validate: %zu error%s (listed above); fix them and run again",
			dir, d.errors, d.errors == 1 ? "" : "s");
		kit_campaign_free(c);
		c = NULL;
	}
	kit_campaign_diags_free(&d);
	return c;
}

int
kit_publisher_validate(const char *campaign_dir, FILE *out, size_t *errors,
		       struct kit_error *err)
{
	struct kit_campaign *c = load_valid(campaign_dir, out, errors, err);

	if (c == NULL)
		return -1;
	kit_campaign_free(c);
	return 0;
}

static int64_t
source_date(const struct kit_campaign *c)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0)
			return (int64_t)v;
	}
	return kit_campaign_source_date(c);
}

/* Write the archive of kit to path. */
static int
write_kit(const struct kit_publisher_opts *o, struct kit_campaign_kit *kit,
	  const char *path, struct kit_error *err)
{
	size_t i, n = kit_campaign_kit_entry_count(kit), m = 0, mlen;
	struct kit_bundle_entry *e;
	const char *mbytes = kit_campaign_kit_manifest_bytes(kit, &mlen);
	int rc;

	e = kit_xcalloc(n ? n : 1, sizeof(*e));
	for (i = 0; i < n; i++) {
		const struct kit_campaign_entry *ce =
			kit_campaign_kit_entry(kit, i);

		if (strcmp(ce->path, "manifest.json") == 0)
			continue; /* the writer puts it first itself */
		e[m].path = ce->path;
		e[m].src = ce->source;
		e[m].data = ce->data;
		e[m].len = ce->len;
		m++;
	}
	rc = kit_bundle_write(path, mbytes, mlen, e, m,
			      kit_campaign_kit_dirfd(kit),
			      kit_campaign_kit_source_date(kit), o->zstd_level,
			      err);
	if (rc != 0)
		kit_err_prefix(err, "kit %s", kit_campaign_kit_office(kit));
	free(e);
	return rc;
}

static const char *
office_at(const struct kit_campaign *c, size_t i)
{
	return i == 0 ? NULL : kit_campaign_office_id(c, i - 1);
}

int
kit_publisher_build(const struct kit_publisher_opts *o,
		    const char *campaign_dir, const char *out_dir,
		    struct kit_error *err)
{
	struct kit_campaign *c;
	struct kit_campaign_kit *kit = NULL;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t i, n;
	int rc = -1;

	c = load_valid(campaign_dir, stderr, NULL, err);
	if (c == NULL)
		return -1;
	if (kit_snprintf(err, dir, sizeof(dir), "%s/%s", out_dir,
			 kit_campaign_id(c)) != 0 ||
	    kit_mkdir_p(dir, 0755, err) != 0)
		goto out;
	n = kit_campaign_office_count(c) + 1;
	for (i = 0; i < n; i++) {
		kit = kit_campaign_kit_new(c, office_at(c, i), o->kit_version,
					   source_date(c), err);
		if (kit == NULL)
			goto out;
		if (kit_snprintf(err, path, sizeof(path), "%s/%s.tar.zst", dir,
				 kit_campaign_kit_office(kit)) != 0 ||
		    write_kit(o, kit, path, err) != 0)
			goto out;
		say(o, "built %s", path);
		kit_campaign_kit_free(kit);
		kit = NULL;
	}
	if (o->manifests_dir != NULL &&
	    kit_campaign_write_manifests(c, o->manifests_dir, err) != 0)
		goto out;
	rc = 0;
out:
	kit_campaign_kit_free(kit);
	kit_campaign_free(c);
	return rc;
}

/*
 * The repository opened for writing, under an exclusive lock on
 * <repo>/.kit-publish.lock taken before any metadata is read: two
 * kit-publish runs at once (a publish and the daily timestamp timer) each
 * wrote the next metadata version from what it had read, so the slower one
 * failed half-way ("N.snapshot.json exists already"), leaving its targets
 * version behind, after which every publish failed; and the other's
 * pruning removed a pack the slower one's new index reused.  The second
 * run waits for the first.
 */
static int
lock_repo(const char *repo_dir, struct kit_error *err)
{
	char path[PATH_MAX];
	int fd;

	if (kit_snprintf(err, path, sizeof(path), "%s/.kit-publish.lock", repo_dir) != 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open the repository's lock %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK)
		fprintf(stderr, "kit-publish: another kit-publish is writing %s; waiting for it to finish\n", repo_dir);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		kit_err_errno(err, KIT_E_IO, errno, "cannot lock %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static struct kit_tuf_repo *
open_locked(const char *repo_dir, const char *keys_dir, struct kit_error *err)
{
	struct kit_tuf_repo *r;
	int fd = lock_repo(repo_dir, err);

	if (fd < 0)
		return NULL;
	r = kit_tuf_repo_open(repo_dir, keys_dir, err);
	if (r == NULL) {
		close(fd);
		return NULL;
	}
	kit_tuf_repo_hold(r, fd);
	return r;
}

struct kit_tuf_repo *
open_repo(const struct kit_publisher_opts *o, char *pass, int with_root,
	  struct kit_error *err)
{
	struct kit_tuf_repo *r;
	int role;

	if (o->repo_dir == NULL || o->keys_dir == NULL) {
		kit_err(err, KIT_E_USAGE, "this needs --repo DIR and --keys DIR");
		return NULL;
	}
	if (keys_apart(o, err) != 0)
		return NULL;
	r = open_locked(o->repo_dir, o->keys_dir, err);
	if (r == NULL)
		return NULL;
	/* an office's role that awaits HQ's co-signature stays as it is */
	kit_tuf_repo_set_partial_roles(r, 1);
	if (get_pass("passphrase for the keys: ", 0, pass, err) != 0)
		goto fail;
	for (role = with_root ? KIT_TUF_ROOT : KIT_TUF_TARGETS;
	     role < KIT_TUF_NROLES; role++) {
		if (kit_tuf_repo_unlock(r, (enum kit_tuf_role)role, pass,
					err) < 0)
			goto fail;
		if (o->expiry_set[role])
			kit_tuf_repo_set_expiry(r, (enum kit_tuf_role)role,
						o->cfg.role[role].expires);
	}
	return r;
fail:
	kit_tuf_repo_free(r);
	return NULL;
}

/* Target name as published (NULL when not): in the office's delegated
 * role, else (a repository from before delegations) in the top-level
 * targets; its custom object read into *kt (version 0, content and
 * inputs NULL when not published or not said).  A version the next one
 * cannot follow (not an integer from 1 to INT_MAX - 1: offices take 1 to
 * INT_MAX) is refused rather than truncated or overflowed. */
static int
published(const struct kit_tuf_repo *r, const char *office, const char *name,
	  const json_t **target, struct kit_manifest_target *kt,
	  struct kit_error *err)
{
	const json_t *role = office ? kit_tuf_repo_role_targets(r, office) : NULL;
	const json_t *t = role ? json_object_get(role, name) : NULL;
	struct kit_error why = {0};

	if (t == NULL)
		t = json_object_get(kit_tuf_repo_targets(r), name);
	*target = t;
	memset(kt, 0, sizeof(*kt));
	if (t == NULL)
		return 0;
	(void)kit_manifest_target_read(json_object_get(t, "custom"), kt, &why);
	if (kt->version == 0 || kt->version == INT_MAX)
		return kit_err(err, KIT_E_INVALID, "target %s in the repository has custom.version %lld, which no next version can follow (kit versions are 1 to %d); publish the campaign under a new id", name, kt->version_signed, INT_MAX);
	return 0;
}

/* What else makes a kit's targets besides its campaign's files: this
 * program's version and the build options, archives or not
 * (kit_campaign_kit_inputs). */
static void
build_salt(const struct kit_publisher_opts *o, const struct kit_campaign *c,
	   char *out, size_t size)
{
	(void)snprintf(out, size, "kit-publish %s zstd %d source_date %lld archives %d",
		       KIT_VERSION, o->zstd_level, (long long)source_date(c),
		       o->archives ? 1 : 0);
}

/* The minisign key, decrypted once per publish (not once a kit: its
 * passphrase-based key derivation is made to be slow). */
struct minisign {
	const struct kit_publisher_opts *o;
	const char *pass;
	struct kit_key *k;
};

static int
sign_minisig(struct minisign *ms, const char *archive, const char *dest,
	     const char *comment, struct kit_error *err)
{
	char path[PATH_MAX];
	char *sig;
	int rc;

	if (ms->k == NULL) {
		if (minisign_key_path(ms->o, path, sizeof(path), err) != 0)
			return -1;
		ms->k = kit_key_load(path, ms->pass, err);
		if (ms->k == NULL)
			return -1;
	}
	sig = kit_minisign_sign_file(ms->k, archive, comment, err);
	rc = sig ? kit_file_write_atomic(dest, sig, strlen(sig), 0644, err)
		 : -1;
	free(sig);
	return rc;
}

/* Files a publish added to targets/, removed again if it fails before
 * the metadata that would name them is written. */
struct added {
	char **paths;
	size_t n;
};

static void
added_push(struct added *a, const char *path)
{
	a->paths = kit_xrealloc(a->paths, (a->n + 1) * sizeof(*a->paths));
	a->paths[a->n++] = kit_strdup(path);
}

static void
added_free(struct added *a, int remove)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (remove)
			(void)unlink(a->paths[i]);
		free(a->paths[i]);
	}
	free(a->paths);
}

struct kit_key *
pub_hq_key(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	   const char *pass, struct kit_error *err)
{
	char path[PATH_MAX];
	struct kit_key *k;

	if (kit_path_join(path, sizeof(path), o->keys_dir, "offices-1.pem", err) != 0)
		return NULL;
	if (kit_file_exists(path)) {
		k = kit_key_load(path, pass, err);
	} else {
		k = kit_key_generate(err);
		if (k != NULL && kit_key_save(k, path, pass, err) != 0) {
			kit_key_free(k);
			k = NULL;
		}
	}
	if (k != NULL && kit_tuf_repo_add_key(r, KIT_TUF_TARGETS, k, err) != 0) {
		kit_key_free(k);
		k = NULL;
	}
	return k;
}

/*
 * Every office's kits go into its own delegated targets role, named by
 * its id (pub_office_delegate: every campaign's <office>.idx and
 * <office>.tar.zst, nothing else; HQ's office key, and the office's own keys when the registry lists
 * them): an office's poll then pays for its own kits, the global ones and a
 * small snapshot, not for 400 offices' kits.  A repository from before
 * delegations has the office's kits in the top-level targets: they move
 * into the role as they are republished.
 */
static int
office_target(struct kit_tuf_repo *r, const struct kit_key *hq,
	      const struct kit_org *org, const char *office, const char *name,
	      const char *path, const json_t *custom, struct kit_error *err)
{
	if (office == NULL || hq == NULL)
		return kit_tuf_repo_add_target(r, name, path, custom, err);
	/* a delegation from before .idx targets covers the archives only:
	 * delegated again, with both (never by an office's own key: its
	 * publish does not add an .idx its delegation does not cover) */
	if ((kit_tuf_repo_role_targets(r, office) == NULL ||
	     (kit_manifest_target_kind(name) == KIT_TARGET_INDEX &&
	      !pub_office_covers(r, office, KIT_TARGET_INDEX))) &&
	    pub_office_delegate(r, hq, office, kit_org_find(org, office), err) != 0)
		return -1;
	if (json_object_get(kit_tuf_repo_targets(r), name) != NULL &&
	    kit_tuf_repo_remove_target(r, name, err) != 0)
		return -1;
	return kit_tuf_repo_add_role_target(r, office, name, path, custom, err);
}

/*
 * A kit built again with the same content (its inputs changed in a way
 * that does not show, or were not recorded yet: a kit published before
 * inputs were, or by another version of kit-publish): its target keeps
 * its file and version and records the new inputs, so the next publish
 * skips it without building it.
 */
static int
note_inputs(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	    const struct kit_key *hq, const struct kit_org *org,
	    const char *office, const char *name, const json_t *t,
	    const char *inputs, struct kit_error *err)
{
	const char *sha = json_string_value(json_object_get(json_object_get(t, "hashes"), "sha256"));
	char rel[PATH_MAX], path[PATH_MAX];
	json_t *custom = json_deep_copy(json_object_get(t, "custom"));
	int rc = -1;

	if (custom == NULL || sha == NULL ||
	    kit_tuf_target_path(rel, sizeof(rel), name, sha, 1) != 0) {
		kit_err(err, KIT_E_INVALID, "target %s in the repository has no sha256 or custom object; publish the campaign under a new id", name);
		goto out;
	}
	if (json_object_set_new(custom, "inputs", json_string(inputs)) != 0 ||
	    kit_path_join(path, sizeof(path), o->repo_dir, rel, err) != 0 ||
	    office_target(r, hq, org, office, name, path, custom, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(custom);
	return rc;
}

/* A kit built and packed, signed once the publish's pack has its name
 * (its index, in custom.index, names the pack): its .idx target (idx
 * set), its archive (arc set: path and sig), with custom, whose index is
 * set from kit_no unless kit_no is NO_KIT (custom is complete). */
#define NO_KIT ((size_t)-1)

struct pending {
	char *idx, *arc, *office, *path, *sig, *comment;
	json_t *custom;
	size_t kit_no;
};

struct pendings {
	struct pending *v;
	size_t n;
};

static void
pendings_free(struct pendings *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].idx);
		free(p->v[i].arc);
		free(p->v[i].office);
		free(p->v[i].path);
		free(p->v[i].sig);
		free(p->v[i].comment);
		json_decref(p->v[i].custom);
	}
	free(p->v);
}

/* The .idx target of a pending kit: the index packs.c wrote, copied to
 * where the TUF module keeps the target (added, so that a publish that
 * fails takes it out again). */
static int
sign_index(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	   const struct kit_key *hq, const struct kit_org *org,
	   const struct pending *p, const char *ixsha, struct added *added,
	   struct kit_error *err)
{
	char path[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];

	if (kit_snprintf(err, path, sizeof(path), "%s/packs/%s.idx", o->repo_dir, ixsha) != 0 ||
	    kit_tuf_target_path(rel, sizeof(rel), p->idx, ixsha, 1) != 0 ||
	    kit_path_join(target, sizeof(target), o->repo_dir, rel, err) != 0)
		return kit_err(err, KIT_E_INVALID, "target name %s too long", p->idx);
	if (!kit_file_exists(target))
		added_push(added, target);
	return office_target(r, hq, org, p->office, p->idx, path, p->custom, err);
}

/* Sign what publish_kit built: custom.index, the targets, the .minisig. */
static int
sign_pending(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	     const struct kit_key *hq, const struct kit_org *org,
	     struct minisign *ms, struct pub_packs *pp, const struct pending *p,
	     struct added *added, struct kit_error *err)
{
	const char *ixsha = NULL, *upsha;
	uint64_t ixlen, uplen;
	int from;

	if (p->kit_no != NO_KIT) {
		pub_packs_index(pp, p->kit_no, &ixsha, &ixlen, &from, &upsha, &uplen);
		if (kit_manifest_target_set_index(p->custom, ixsha, ixlen, err) != 0 ||
		    (from > 0 &&
		     kit_manifest_target_set_update(p->custom, from, upsha, uplen, err) != 0))
			return -1;
	}
	if (p->idx != NULL &&
	    (ixsha == NULL || sign_index(o, r, hq, org, p, ixsha, added, err) != 0))
		return ixsha ? -1 : kit_err(err, KIT_E_INVALID, "target %s has no index", p->idx);
	if (p->arc != NULL &&
	    (office_target(r, hq, org, p->office, p->arc, p->path, p->custom, err) != 0 ||
	     sign_minisig(ms, p->path, p->sig, p->comment, err) != 0))
		return -1;
	return 0;
}

/* The pack gets its name (its hash), then each kit its index and its
 * targets naming that index. */
static int
sign_pendings(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	      const struct kit_key *hq, const struct kit_org *org,
	      struct minisign *ms, struct pub_packs *pp,
	      const struct pendings *pend, struct added *added,
	      struct kit_error *err)
{
	size_t i, objs;
	uint64_t bytes;

	if (pub_packs_finish(pp, err) != 0)
		return -1;
	for (i = 0; i < pend->n; i++)
		if (sign_pending(o, r, hq, org, ms, pp, &pend->v[i], added, err) != 0)
			return -1;
	if (pend->n > 0) {
		pub_packs_added(pp, &objs, &bytes);
		say(o, "%zu new object%s stored once (%llu bytes in packs/)", objs, objs == 1 ? "" : "s", (unsigned long long)bytes);
	}
	return 0;
}

/* Which targets a kit gets (want) and has (old, its custom read into
 * oi / oa): its .idx always (unless an office's delegation from before
 * covers archives only), its archive when asked for. */
struct forms {
	int want_idx, want_arc;
	char iname[512], aname[512];
	const json_t *idx, *arc;
	struct kit_manifest_target oi, oa;
};

/* The kit's archive at version, built into tmpdir and named where the
 * TUF module keeps it: p->path (the built file), p->sig (.minisig beside
 * the target), p->comment. */
static int
stage_archive(const struct kit_publisher_opts *o, struct kit_campaign_kit *kit,
	      const char *id, int version, const char *tmpdir,
	      struct added *added, struct pending *p, struct kit_error *err)
{
	char tmpname[300], base[256], path[PATH_MAX], target[PATH_MAX];
	char rel[PATH_MAX], sig[PATH_MAX], comment[512], hex[KIT_SHA256_HEX];
	char name[512];

	if (kit_snprintf(err, base, sizeof(base), "%s.tar.zst", kit_campaign_kit_office(kit)) != 0 ||
	    kit_snprintf(err, name, sizeof(name), "%s/%s", id, base) != 0 ||
	    kit_snprintf(err, tmpname, sizeof(tmpname), "%s.%s", id, base) != 0 ||
	    kit_path_join(path, sizeof(path), tmpdir, tmpname, err) != 0 ||
	    write_kit(o, kit, path, err) != 0)
		return -1;
	/* The target file where the TUF module keeps it (the repository
	 * writer's snapshots are consistent), and its .minisig beside it. */
	if (kit_sha256_file(path, hex, NULL, err) != 0 ||
	    kit_tuf_target_path(rel, sizeof(rel), name, hex, 1) != 0 ||
	    kit_path_join(target, sizeof(target), o->repo_dir, rel, err) != 0 ||
	    kit_snprintf(err, sig, sizeof(sig), "%s.minisig", target) != 0 ||
	    kit_snprintf(err, comment, sizeof(comment), "campaign:%s office:%s version:%d file:%s", id, kit_campaign_kit_office(kit), version, base) != 0)
		return -1;
	if (!kit_file_exists(target)) {
		added_push(added, target);
		added_push(added, sig);
	}
	p->arc = kit_strdup(name);
	p->path = kit_strdup(path);
	p->sig = kit_strdup(sig);
	p->comment = kit_strdup(comment);
	return 0;
}

/*
 * What every office would refuse of a kit installed from packs, by the
 * default limits (kit_bundle_limits_default, the fetcher's): more files
 * or more unpacked bytes.  The archive's own checks (its expansion ratio
 * too) are kit_bundle_write's; objects need no ratio, each decodes to at
 * most its signed size.
 */
static int
pack_limits(const struct kit_campaign_kit *kit, struct kit_error *err)
{
	const struct kit_manifest *m = kit_campaign_kit_manifest(kit);
	struct kit_bundle_limits lim = kit_bundle_limits_default();
	uint64_t total = 0;
	size_t i, big = 0;

	if (m->n_files + 1 > lim.max_entries)
		return kit_err(err, KIT_E_INVALID, "kit %s: %zu files, over the %llu an office accepts; split the campaign", m->office, m->n_files + 1, (unsigned long long)lim.max_entries);
	for (i = 0; i < m->n_files; i++) {
		total = m->files[i].size > lim.max_total - total ? lim.max_total + 1 : total + m->files[i].size;
		if (m->files[i].size > m->files[big].size)
			big = i;
	}
	if (total > lim.max_total)
		return kit_err(err, KIT_E_INVALID, "kit %s: unpacks to more than the %llu bytes every office allows by default (kit-fetch init --max-unpacked), so every office would refuse it; its largest file is %s (%llu bytes): make the media smaller or split the campaign", m->office, (unsigned long long)lim.max_total, m->files[big].path, (unsigned long long)m->files[big].size);
	return 0;
}

static struct pending *
pending_push(struct pendings *pend, const char *office)
{
	struct pending *p;

	pend->v = kit_xrealloc(pend->v, (pend->n + 1) * sizeof(*pend->v));
	p = &pend->v[pend->n++];
	memset(p, 0, sizeof(*p));
	p->office = office ? kit_strdup(office) : NULL;
	p->kit_no = NO_KIT;
	return p;
}

/* Take target name out of the office's role or the top-level targets. */
static int
remove_kit_target(struct kit_tuf_repo *r, const char *office,
		  const char *name, struct kit_error *err)
{
	const json_t *role = office ? kit_tuf_repo_role_targets(r, office) : NULL;

	if (role != NULL && json_object_get(role, name) != NULL)
		return kit_tuf_repo_remove_role_target(r, office, name, err);
	if (json_object_get(kit_tuf_repo_targets(r), name) != NULL)
		return kit_tuf_repo_remove_target(r, name, err);
	return 0;
}

/*
 * The kit's content did not change, only which targets it has: a
 * repository from before .idx targets, or --archives given or left out.
 * The kit keeps its version: what it lacks is added at that version (its
 * .idx from the packs, its archive built again, byte for byte the same
 * kit), an archive no longer asked for leaves the metadata, and what
 * stays records the new inputs.
 */
static int
reform_kit(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	   const struct kit_key *hq, const struct kit_org *org,
	   struct pub_packs *pp, struct pendings *pend, struct kit_campaign *c,
	   const char *office, const char *inputs, struct forms *f,
	   const char *tmpdir, struct added *added, struct kit_error *err)
{
	const struct kit_manifest_target *old = f->idx ? &f->oi : &f->oa;
	const char *id = kit_campaign_id(c);
	struct kit_campaign_kit *kit = NULL;
	struct pending *p = NULL;
	/* the .idx target's custom, for an archive added beside it (taken
	 * first: noting the inputs replaces the target's entry) */
	json_t *icustom = f->idx ? json_deep_copy(json_object_get(f->idx, "custom")) : NULL;
	json_t *custom = NULL;
	int rc = -1;

	if (f->idx && f->want_idx &&
	    note_inputs(o, r, hq, org, office, f->iname, f->idx, inputs, err) != 0)
		goto out;
	if (f->arc && f->want_arc &&
	    note_inputs(o, r, hq, org, office, f->aname, f->arc, inputs, err) != 0)
		goto out;
	if (f->arc && !f->want_arc) {
		if (remove_kit_target(r, office, f->aname, err) != 0)
			goto out;
		say(o, "%s: version %d unchanged, now without its archive", f->iname, old->version);
	}
	if ((f->idx || !f->want_idx) && (f->arc || !f->want_arc)) {
		rc = 0;
		goto out;
	}
	kit = kit_campaign_kit_new(c, office, old->version, source_date(c), err);
	if (kit == NULL)
		goto out;
	p = pending_push(pend, office);
	if (f->idx) {
		/* the archive only: the .idx target's custom, as it is */
		custom = icustom;
		icustom = NULL;
		if (custom == NULL || json_object_set_new(custom, "inputs", json_string(inputs)) != 0) {
			kit_err(err, KIT_E_INVALID, "target %s in the repository has no custom object; publish the campaign under a new id", f->iname);
			goto out;
		}
	} else {
		custom = kit_manifest_target_json(kit_campaign_kit_manifest(kit), old->version, inputs);
		if (custom == NULL) {
			kit_err(err, KIT_E_INVALID, "cannot describe target %s", f->iname);
			goto out;
		}
		if (f->want_idx) {
			p->idx = kit_strdup(f->iname);
			if (pub_packs_add_kit(pp, kit, id, old->version, NULL, &p->kit_no, err) != 0)
				goto out;
		}
	}
	if (f->want_arc && !f->arc &&
	    stage_archive(o, kit, id, old->version, tmpdir, added, p, err) != 0)
		goto out;
	p->custom = custom;
	custom = NULL;
	say(o, "%s: version %d unchanged, now %s", f->want_idx ? f->iname : f->aname, old->version, !f->want_arc ? "as its index" : f->want_idx ? "with its archive"
																		: "as an archive");
	rc = 0;
out:
	json_decref(icustom);
	json_decref(custom);
	kit_campaign_kit_free(kit);
	return rc;
}

/*
 * Publish one kit when it changed.  Its inputs (kit_campaign_kit_inputs:
 * campaign.json, the overlay, the files it takes, this program's version
 * and options, archives or not) are compared first with those its
 * targets record: equal inputs make an equal kit, so it is not built at
 * all (a one-post correction builds one kit, not 401).  Otherwise it is
 * built as the next version and compared by content digest (which leaves
 * the version out).  A kit is the target <campaign>/<office>.idx (its
 * index), and <campaign>/<office>.tar.zst when archives are asked for.
 * *count counts kits published, *noted kits whose targets only record
 * new inputs or changed form.
 */
static int
publish_kit(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	    const struct kit_key *hq, const struct kit_org *org,
	    struct pub_packs *pp, struct pendings *pend,
	    struct kit_campaign *c, const char *office, const char *salt,
	    int want_idx, const char *tmpdir, size_t *count, size_t *noted,
	    struct added *added, struct kit_error *err)
{
	struct pending *p;
	struct kit_campaign_kit *kit = NULL;
	struct forms f;
	const struct kit_manifest_target *old;
	json_t *custom = NULL;
	char inputs[KIT_SHA256_HEX];
	const char *id = kit_campaign_id(c);
	int rc = -1;

	memset(&f, 0, sizeof(f));
	f.want_idx = want_idx;
	f.want_arc = o->archives || !want_idx;
	if (kit_manifest_target_name(f.iname, sizeof(f.iname), id, office, KIT_TARGET_INDEX, err) != 0 ||
	    kit_manifest_target_name(f.aname, sizeof(f.aname), id, office, KIT_TARGET_ARCHIVE, err) != 0 ||
	    published(r, office, f.iname, &f.idx, &f.oi, err) != 0 ||
	    published(r, office, f.aname, &f.arc, &f.oa, err) != 0 ||
	    kit_campaign_kit_inputs(c, office, salt, inputs, err) != 0)
		goto out;
	/* the kit as published: its .idx, else its archive (from before) */
	old = f.idx ? &f.oi : &f.oa;
	if (f.arc && f.idx && f.oa.version > f.oi.version)
		old = &f.oa;
	if (old->content && old->inputs && strcmp(old->inputs, inputs) == 0 &&
	    (f.idx != NULL) == f.want_idx && (f.arc != NULL) == f.want_arc) {
		say(o, "%s unchanged (version %d; same inputs)", f.want_idx ? f.iname : f.aname, old->version);
		rc = 0;
		goto out;
	}
	kit = kit_campaign_kit_new(c, office, old->version + 1, source_date(c), err);
	if (kit == NULL)
		goto out;
	if (old->content && strcmp(old->content, kit_campaign_kit_content(kit)) == 0 &&
	    (!f.idx || !f.arc || f.oi.version == f.oa.version)) {
		kit_campaign_kit_free(kit);
		kit = NULL;
		if ((f.idx != NULL) == f.want_idx && (f.arc != NULL) == f.want_arc)
			say(o, "%s unchanged (version %d)", f.want_idx ? f.iname : f.aname, old->version);
		if (reform_kit(o, r, hq, org, pp, pend, c, office, inputs, &f, tmpdir, added, err) != 0)
			goto out;
		(*noted)++;
		rc = 0;
		goto out;
	}
	custom = kit_manifest_target_json(kit_campaign_kit_manifest(kit),
					  old->version + 1, inputs);
	if (custom == NULL) {
		kit_err(err, KIT_E_INVALID, "cannot describe target %s", f.iname);
		goto out;
	}
	if (pack_limits(kit, err) != 0)
		goto out;
	p = pending_push(pend, office);
	p->custom = custom;
	custom = NULL;
	if (f.want_idx)
		p->idx = kit_strdup(f.iname);
	if ((f.want_arc &&
	     stage_archive(o, kit, id, old->version + 1, tmpdir, added, p, err) != 0) ||
	    pub_packs_add_kit(pp, kit, id, old->version + 1, old->index_sha256,
			      &p->kit_no, err) != 0)
		goto out;
	say(o, "%s: version %d", f.want_idx ? f.iname : f.aname, old->version + 1);
	/* an archive of an older version no longer asked for leaves (last:
	 * old may be its custom) */
	if (f.arc && !f.want_arc && remove_kit_target(r, office, f.aname, err) != 0)
		goto out;
	(*count)++;
	rc = 0;
out:
	json_decref(custom);
	kit_campaign_kit_free(kit);
	return rc;
}

/*
 * A batch of kits written into the repository: built in a private
 * directory, and the archives, their copies and signatures (hundreds of
 * them) written one by one and made durable together before any metadata
 * names them.  batch_end() takes the new files back out when the batch
 * failed, so a refused publish leaves the repository as it was.
 */
struct batch {
	const struct kit_publisher_opts *o;
	char tmpdir[PATH_MAX];
	int deferred;
	struct added added;
};

static int
batch_begin(struct batch *b, const struct kit_publisher_opts *o,
	    struct kit_error *err)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	if (kit_snprintf(err, b->tmpdir, sizeof(b->tmpdir), "%s/.kit-build.%ld",
			 o->repo_dir, (long)getpid()) != 0 ||
	    kit_rm_rf(b->tmpdir, err) != 0 || kit_mkdir_p(b->tmpdir, 0700, err) != 0) {
		b->tmpdir[0] = '\0';
		return -1;
	}
	kit_file_defer_begin();
	b->deferred = 1;
	return 0;
}

/* Every file of the batch durable: metadata may name them now. */
static int
batch_durable(struct batch *b, struct kit_error *err)
{
	b->deferred = 0;
	return kit_file_defer_end(b->o->repo_dir, err);
}

static void
batch_end(struct batch *b, int failed)
{
	struct kit_error ignore = {0};

	if (b->tmpdir[0] != '\0' && kit_rm_rf(b->tmpdir, &ignore) != 0) {
		/* best effort: the run's result stands */
	}
	if (b->deferred && kit_file_defer_end(b->o->repo_dir, &ignore) != 0) {
		/* the publish failed already; its error stands */
	}
	b->deferred = 0;
	added_free(&b->added, failed);
}

/* Every campaign loaded and validated first: one with errors publishes
 * nothing, of any of them.  NULL with *failed its index. */
static struct kit_campaign **
load_campaigns(const char *const *dirs, size_t n, size_t *failed,
	       struct kit_error *err)
{
	struct kit_campaign **cs = kit_xcalloc(n ? n : 1, sizeof(*cs));
	size_t j;

	for (j = 0; j < n; j++) {
		cs[j] = load_valid(dirs[j], stderr, NULL, err);
		if (cs[j] == NULL) {
			*failed = j;
			while (j-- > 0)
				kit_campaign_free(cs[j]);
			free(cs);
			return NULL;
		}
	}
	return cs;
}

static void
free_campaigns(struct kit_campaign **cs, size_t n)
{
	size_t j;

	for (j = 0; cs != NULL && j < n; j++)
		kit_campaign_free(cs[j]);
	free(cs);
}

/* Once the registry lists offices, every overlay must be for one of them:
 * an overlay for a typo would publish a kit no office ever fetches. */
static int
overlays_registered(const struct kit_org *org, const struct kit_campaign *c,
		    struct kit_error *err)
{
	const char *id, *meant;
	size_t i;

	for (i = 0; kit_org_count(org) > 0 && i < kit_campaign_office_count(c); i++) {
		id = kit_campaign_office_id(c, i);
		if (kit_org_find(org, id))
			continue;
		meant = kit_org_closest(org, id);
		if (meant)
			return kit_err(err, KIT_E_INVALID, "offices/%s.json: office '%s' is not in the organisation's registry; did you mean %s? rename the overlay, or add the office with kit-publish office add", id, id, meant);
		return kit_err(err, KIT_E_INVALID, "offices/%s.json: office '%s' is not in the organisation's registry; add it with kit-publish office add, or remove the overlay", id, id);
	}
	return 0;
}

int
kit_publisher_publish(const struct kit_publisher_opts *o,
		      const char *const *campaign_dirs, size_t ndirs,
		      size_t *published_count, struct kit_error *err)
{
	struct kit_campaign **cs = NULL;
	struct kit_tuf_repo *r = NULL;
	struct kit_key *hq = NULL;
	struct kit_org *org = NULL;
	const struct kit_org_office *f;
	char pass[PASS_MAX] = "";
	struct batch b = {0};
	struct minisign ms = {o, pass, NULL};
	struct pub_packs *pp = NULL;
	struct pendings pend = {NULL, 0};
	size_t i, j, n, count = 0, noted = 0, failed = 0, registered = 0;
	char salt[128];
	int rc = -1;

	*published_count = 0;
	cs = load_campaigns(campaign_dirs, ndirs, &failed, err);
	if (cs == NULL)
		goto out;
	r = open_repo(o, pass, 0, err);
	if (r == NULL)
		goto out;
	org = pub_registry(r, err);
	if (org == NULL)
		goto out;
	registered = kit_org_count(org);
	for (j = 0; j < ndirs; j++)
		if (overlays_registered(org, cs[j], err) != 0) {
			failed = j;
			goto out;
		}
	/* Offices get delegated roles once the organisation registers them
	 * (kit-publish office); a repository without a registry keeps every
	 * kit in the top-level targets. */
	for (j = 0; registered > 0 && j < ndirs && hq == NULL; j++)
		if (kit_campaign_office_count(cs[j]) > 0) {
			hq = pub_hq_key(o, r, pass, err);
			if (hq == NULL)
				goto out;
		}
	if (batch_begin(&b, o, err) != 0)
		goto out;
	pp = pub_packs_open(o->repo_dir, o->zstd_level, err);
	if (pp == NULL)
		goto out;
	for (j = 0; j < ndirs; j++) {
		n = kit_campaign_office_count(cs[j]) + 1;
		build_salt(o, cs[j], salt, sizeof(salt));
		for (i = 0; i < n; i++) {
			/* an office with its own keys publishes its overlay
			 * itself (kit-publish office publish) */
			f = office_at(cs[j], i) ? kit_org_find(org, office_at(cs[j], i)) : NULL;
			if (f != NULL && f->nkeys > 0) {
				say(o, "%s/%s.idx skipped: office %s signs its own overlay (kit-publish office publish)", kit_campaign_id(cs[j]), f->id, f->id);
				continue;
			}
			if (publish_kit(o, r, hq, org, pp, &pend, cs[j],
					office_at(cs[j], i), salt, 1, b.tmpdir,
					&count, &noted, &b.added, err) != 0) {
				failed = j;
				goto out;
			}
		}
	}
	if (sign_pendings(o, r, hq, org, &ms, pp, &pend, &b.added, err) != 0 ||
	    batch_durable(&b, err) != 0)
		goto out;
	/* One new targets, snapshot and timestamp for the whole batch. */
	if ((count > 0 || noted > 0) && kit_tuf_repo_commit(r, err) != 0)
		goto out;
	if (count > 0 || noted > 0)
		pub_prune(o, r);
	*published_count = count;
	rc = 0;
out:
	batch_end(&b, rc != 0);
	pendings_free(&pend);
	pub_packs_free(pp);
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	kit_key_free(hq);
	kit_key_free(ms.k);
	kit_org_free(org);
	free_campaigns(cs, ndirs);
	if (rc != 0 && ndirs > 0)
		kit_err_prefix(err, "publishing %s", campaign_dirs[failed]);
	return rc;
}

/* The office's own signing key, keys_dir/office.pem. */
static int
office_key_path(const struct kit_publisher_opts *o, char *out, size_t size,
		struct kit_error *err)
{
	if (o->keys_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "this needs --keys DIR (the office's keys)");
	return kit_path_join(out, size, o->keys_dir, "office.pem", err);
}

int
kit_publisher_office_key(const struct kit_publisher_opts *o, FILE *out,
			 struct kit_error *err)
{
	char path[PATH_MAX], pass[PASS_MAX] = "", hex[65];
	struct kit_key *k = NULL;
	int rc = -1, made = 0;

	if (office_key_path(o, path, sizeof(path), err) != 0)
		return -1;
	if (kit_file_exists(path)) {
		if (get_pass("passphrase for the office's key: ", 0, pass, err) == 0)
			k = kit_key_load(path, pass, err);
	} else if (kit_mkdir_p(o->keys_dir, 0700, err) == 0 &&
		   get_pass("passphrase for the office's new key: ", 1, pass, err) == 0) {
		k = kit_key_generate(err);
		if (k != NULL && kit_key_save(k, path, pass, err) != 0) {
			kit_key_free(k);
			k = NULL;
		}
		made = 1;
	}
	if (k == NULL)
		goto out;
	kit_key_public_hex(k, hex);
	fprintf(out, "%s\n", hex);
	say(o, "%s %s; HQ adds it with: kit-publish office add ID ... --key %s", made ? "made" : "read", path, hex);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_key_free(k);
	return rc;
}

/* 1 when the delegation of role lists key k. */
static int
delegation_lists(const struct kit_tuf_repo *r, const char *role,
		 const struct kit_key *k)
{
	const json_t *ids = json_object_get(kit_tuf_repo_delegation(r, role), "keyids");
	struct kit_error ignore = {0};
	char id[KIT_SHA256_HEX];
	size_t i;

	if (kit_tuf_keyid(k, id, &ignore) < 0)
		return 0;
	for (i = 0; i < json_array_size(ids); i++)
		if (strcmp(json_string_value(json_array_get(ids, i)), id) == 0)
			return 1;
	return 0;
}

/* Signatures on the role's current version, and its threshold. */
static void
role_signatures(const struct kit_tuf_repo *r, const char *role, char *out,
		size_t size)
{
	char path[PATH_MAX];
	const json_t *e = kit_tuf_repo_delegation(r, role);
	struct kit_error ignore = {0};
	unsigned char *buf = NULL;
	size_t len = 0, nsig = 0;
	json_t *j = NULL;
	int64_t v;

	v = kit_tuf_repo_role_version(r, role);
	if (snprintf(path, sizeof(path), "%s/metadata/%lld.%s.json", kit_tuf_repo_dir(r), (long long)v, role) < (int)sizeof(path) &&
	    kit_file_read(path, KIT_TUF_MAX_TARGETS_LEN, &buf, &len, &ignore) == 0)
		j = json_loadb((const char *)buf, len, 0, NULL);
	nsig = json_array_size(json_object_get(j, "signatures"));
	(void)snprintf(out, size, "version %lld, %zu signature%s of the %lld its delegation needs", (long long)v, nsig, nsig == 1 ? "" : "s", (long long)json_integer_value(json_object_get(e, "threshold")));
	json_decref(j);
	free(buf);
}

int
kit_publisher_office_publish(const struct kit_publisher_opts *o,
			     const char *office,
			     const char *const *campaign_dirs, size_t ndirs,
			     size_t *published_count, struct kit_error *err)
{
	struct kit_campaign **cs = NULL;
	struct kit_tuf_repo *r = NULL;
	struct kit_key *k = NULL;
	struct kit_org *org = NULL;
	const struct kit_org_office *f;
	char pass[PASS_MAX] = "", path[PATH_MAX];
	char hex[65], salt[128], said[160];
	struct batch b = {0};
	struct minisign ms = {o, pass, NULL};
	struct pub_packs *pp = NULL;
	struct pendings pend = {NULL, 0};
	size_t i, j, count = 0, noted = 0, failed = 0;
	int rc = -1, listed, idx;

	*published_count = 0;
	if (o->repo_dir == NULL || o->keys_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "office publish needs --repo DIR and --keys DIR (the office's keys)");
	cs = load_campaigns(campaign_dirs, ndirs, &failed, err);
	for (j = 0; cs != NULL && j < ndirs; j++) {
		for (i = 0, listed = 0; i < kit_campaign_office_count(cs[j]); i++)
			listed |= strcmp(kit_campaign_office_id(cs[j], i), office) == 0;
		if (!listed) {
			failed = j;
			kit_err(err, KIT_E_INVALID, "the campaign has no overlay offices/%s.json for office %s; add it, or publish only campaigns that have one", office, office);
			goto out;
		}
	}
	if (cs == NULL)
		goto out;
	/* The office holds its own key only: not the repository's keys.json */
	r = open_locked(o->repo_dir, NULL, err);
	if (r == NULL || office_key_path(o, path, sizeof(path), err) != 0 ||
	    get_pass("passphrase for the office's key: ", 0, pass, err) != 0)
		goto out;
	k = kit_key_load(path, pass, err);
	if (k == NULL)
		goto out;
	kit_key_public_hex(k, hex);
	kit_tuf_repo_set_partial_roles(r, 1);
	if (kit_tuf_repo_add_key(r, KIT_TUF_TARGETS, k, err) != 0)
		goto out;
	org = pub_registry(r, err);
	if (org == NULL)
		goto out;
	f = kit_org_find(org, office);
	for (i = 0, listed = 0; f != NULL && i < f->nkeys; i++)
		listed |= strcmp(f->keys[i], hex) == 0;
	if (!listed) {
		kit_err(err, KIT_E_INVALID, "the registry does not list key %s for office %s; HQ adds it with kit-publish office add %s ... --key %s", hex, office, office, hex);
		goto out;
	}
	if (kit_tuf_repo_role_targets(r, office) == NULL || !delegation_lists(r, office, k)) {
		kit_err(err, KIT_E_INVALID, "HQ has not delegated the role of office %s to key %s yet; HQ's kit-publish office add or import does, then its next commit", office, hex);
		goto out;
	}
	if (batch_begin(&b, o, err) != 0)
		goto out;
	/* the office's .minisig files are by its own key too */
	ms.k = k;
	pp = pub_packs_open(o->repo_dir, o->zstd_level, err);
	if (pp == NULL)
		goto out;
	/* HQ's delegation from before .idx targets covers the archives only
	 * (HQ's office add or import delegates both) */
	idx = pub_office_covers(r, office, KIT_TARGET_INDEX);
	if (!idx)
		say(o, "the delegation of office %s covers only */%s.tar.zst: its kits are published as archives (HQ's kit-publish office add or import for %s delegates its .idx targets too)", office, office, office);
	for (j = 0; j < ndirs; j++) {
		build_salt(o, cs[j], salt, sizeof(salt));
		if (publish_kit(o, r, k, org, pp, &pend, cs[j], office, salt,
				idx, b.tmpdir, &count, &noted, &b.added, err) != 0) {
			failed = j;
			goto out;
		}
	}
	if (sign_pendings(o, r, k, org, &ms, pp, &pend, &b.added, err) != 0 ||
	    batch_durable(&b, err) != 0)
		goto out;
	if ((count > 0 || noted > 0) && kit_tuf_repo_sign_role(r, office, err) != 0)
		goto out;
	if (count > 0 || noted > 0) {
		role_signatures(r, office, said, sizeof(said));
		say(o, "role %s signed with the office's key (%s); HQ's next commit lists it%s", office, said, kit_tuf_repo_role_verifies(r, office) ? "" : " once HQ co-signs it (kit-publish office cosign)");
	}
	*published_count = count;
	rc = 0;
out:
	batch_end(&b, rc != 0);
	pendings_free(&pend);
	pub_packs_free(pp);
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	kit_key_free(k);
	kit_org_free(org);
	free_campaigns(cs, ndirs);
	if (rc != 0 && ndirs > 0)
		kit_err_prefix(err, "office %s publishing %s", office, campaign_dirs[failed]);
	return rc;
}

int
kit_publisher_office_cosign(const struct kit_publisher_opts *o,
			    const char *office, struct kit_error *err)
{
	char pass[PASS_MAX] = "", said[160];
	struct kit_tuf_repo *r = NULL;
	struct kit_key *hq = NULL;
	const json_t *targets, *t;
	const char *name;
	size_t added = 0;
	int rc = -1;

	r = open_repo(o, pass, 0, err);
	if (r == NULL)
		goto out;
	hq = pub_hq_key(o, r, pass, err);
	if (hq == NULL)
		goto out;
	targets = kit_tuf_repo_role_targets(r, office);
	if (targets == NULL) {
		kit_err(err, KIT_E_INVALID, "no role for office %s in this repository; it publishes its overlay first (kit-publish office publish)", office);
		goto out;
	}
	if (kit_tuf_repo_cosign_role(r, office, &added, err) != 0)
		goto out;
	role_signatures(r, office, said, sizeof(said));
	if (!kit_tuf_repo_role_verifies(r, office)) {
		kit_err(err, KIT_E_SECURITY, "role %s (%s) still lacks signatures after HQ's; its office signs it with kit-publish office publish", office, said);
		goto out;
	}
	json_object_foreach ((json_t *)targets, name, t) {
		struct kit_manifest_target kt;
		struct kit_error ignore = {0};

		(void)kit_manifest_target_read(json_object_get(t, "custom"), &kt, &ignore);
		say(o, "%s %s (version %lld)", added ? "co-signed" : "signed already", name, kt.version_signed);
	}
	if (kit_tuf_repo_commit(r, err) != 0)
		goto out;
	say(o, "role %s: %s, listed by snapshot version %lld", office, said, (long long)kit_tuf_repo_version(r, KIT_TUF_SNAPSHOT));
	pub_prune(o, r);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	kit_key_free(hq);
	if (rc != 0)
		kit_err_prefix(err, "cannot co-sign the role of office %s", office);
	return rc;
}

size_t
pub_roles(const struct kit_tuf_repo *r, char ***out)
{
	const unsigned char *raw;
	const json_t *meta, *e;
	const char *key;
	json_t *snap;
	size_t len, n = 0, k;

	*out = NULL;
	raw = kit_tuf_repo_meta_bytes(r, KIT_TUF_SNAPSHOT, &len);
	snap = raw ? json_loadb((const char *)raw, len, 0, NULL) : NULL;
	meta = json_object_get(json_object_get(snap, "signed"), "meta");
	*out = kit_xcalloc(json_object_size(meta) + 1, sizeof(**out));
	json_object_foreach ((json_t *)meta, key, e) {
		k = strlen(key);
		if (strcmp(key, "targets.json") == 0 || k < 6 || strcmp(key + k - 5, ".json") != 0)
			continue;
		(*out)[n] = kit_strdup(key);
		(*out)[n][k - 5] = '\0';
		if (kit_tuf_repo_role_targets(r, (*out)[n]) == NULL) {
			free((*out)[n]);
			continue;
		}
		n++;
	}
	json_decref(snap);
	return n;
}

void
pub_prune(const struct kit_publisher_opts *o, struct kit_tuf_repo *r)
{
	struct kit_error e = {0};
	int64_t grace = kit_tuf_repo_lifetime(r, KIT_TUF_TIMESTAMP);
	uint64_t bytes = 0, pb = 0;
	size_t files = 0, pf = 0;

	/* A mirror or a client may hold a timestamp for its whole lifetime;
	 * an hour at least for copies still on their way. */
	if (grace < 3600)
		grace = 3600;
	if (kit_tuf_repo_prune(r, grace, kit_time_now(), &files, &bytes, &e) != 0) {
		/* the commit stands; the next one tries again */
		fprintf(stderr, "kit-publish: warning: old versions were not pruned: %s\n", e.msg);
		return;
	}
	/* then the packs and indexes only the pruned versions named */
	if (pub_packs_prune(kit_tuf_repo_dir(r), grace, kit_time_now(), &pf, &pb, &e) != 0)
		fprintf(stderr, "kit-publish: warning: %s; the next publish tries again\n", e.msg);
	files += pf;
	bytes += pb;
	if (files > 0)
		say(o, "pruned %zu file%s (%llu bytes) that no client can need any more", files, files == 1 ? "" : "s", (unsigned long long)bytes);
}

int
kit_publisher_retire(const struct kit_publisher_opts *o, const char *campaign,
		     struct kit_error *err)
{
	char pass[PASS_MAX] = "";
	struct kit_tuf_repo *r = NULL;
	const json_t *targets, *t;
	const char **names = NULL, **camps = NULL, *name, *meant;
	char **roles = NULL;
	struct kit_key *hq = NULL;
	size_t n = 0, ntop = 0, nc = 0, nroles = 0, i, j, k;
	int rc = -1;

	r = open_repo(o, pass, 0, err);
	if (r == NULL)
		goto out;
	targets = kit_tuf_repo_targets(r);
	names = kit_xcalloc(json_object_size(targets) + 1, sizeof(*names));
	camps = kit_xcalloc(json_object_size(targets) + 1, sizeof(*camps));
	json_object_foreach ((json_t *)targets, name, t) {
		struct kit_manifest_target kt;
		struct kit_error ignore = {0};
		const char *c;

		(void)kit_manifest_target_read(json_object_get(t, "custom"), &kt, &ignore);
		c = kt.campaign;
		if (c == NULL)
			continue;
		if (strcmp(c, campaign) == 0)
			names[ntop++] = name;
		for (j = 0; j < nc && strcmp(camps[j], c) != 0; j++)
			;
		if (j == nc)
			camps[nc++] = c;
	}
	/* and the offices' kits of it, in their delegated roles (signed
	 * again with HQ's office key) */
	nroles = pub_roles(r, &roles);
	if (nroles > 0) {
		hq = pub_hq_key(o, r, pass, err);
		if (hq == NULL)
			goto out;
	}
	for (k = 0; k < nroles; k++) {
		const json_t *rt = kit_tuf_repo_role_targets(r, roles[k]);
		void *it;

		json_object_foreach_safe ((json_t *)rt, it, name, t) {
			struct kit_manifest_target kt;
			struct kit_error ignore = {0};

			(void)kit_manifest_target_read(json_object_get(t, "custom"), &kt, &ignore);
			if (kt.campaign == NULL || strcmp(kt.campaign, campaign) != 0)
				continue;
			if (kit_tuf_repo_remove_role_target(r, roles[k], name, err) != 0)
				goto out;
			n++;
		}
	}
	n += ntop;
	if (n == 0) {
		meant = kit_str_closest(campaign, camps, nc, 2);
		if (meant)
			kit_err(err, KIT_E_INVALID, "campaign '%.64s' is not in the repository; did you mean %s?", campaign, meant);
		else
			kit_err(err, KIT_E_INVALID, "campaign '%.64s' is not in the repository (already retired, or never published)", campaign);
		goto out;
	}
	for (i = 0; i < ntop; i++)
		if (kit_tuf_repo_remove_target(r, names[i], err) != 0)
			goto out;
	if (kit_tuf_repo_commit(r, err) != 0)
		goto out;
	say(o, "retired %s: %zu kit%s left the metadata (targets version %lld); their files leave the repository once no timestamp that names them can still be in use", campaign, n, n == 1 ? "" : "s", (long long)kit_tuf_repo_version(r, KIT_TUF_TARGETS));
	pub_prune(o, r);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	for (k = 0; k < nroles; k++)
		free(roles[k]);
	free(roles);
	free(names);
	free(camps);
	kit_tuf_repo_free(r);
	kit_key_free(hq);
	if (rc != 0)
		kit_err_prefix(err, "cannot retire %.64s", campaign);
	return rc;
}

int
kit_publisher_timestamp(const struct kit_publisher_opts *o,
			struct kit_error *err)
{
	char pass[PASS_MAX] = "";
	struct kit_tuf_repo *r = open_repo(o, pass, 0, err);
	int rc = -1;

	if (r != NULL && kit_tuf_repo_commit(r, err) == 0) {
		say(o, "timestamp version %lld",
		    (long long)kit_tuf_repo_version(r, KIT_TUF_TIMESTAMP));
		pub_prune(o, r);
		rc = 0;
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	return rc;
}

int
kit_publisher_rotate(const struct kit_publisher_opts *o, const char *role,
		     unsigned nkeys, unsigned threshold, struct kit_error *err)
{
	char pass[PASS_MAX] = "";
	struct kit_tuf_repo *r = NULL;
	int rc = -1, rl = kit_tuf_role_from_name(role);

	if (rl < 0)
		return kit_err(err, KIT_E_USAGE,
			       "--role '%s': use root, targets, snapshot or timestamp",
			       role);
	r = open_repo(o, pass, 1, err);
	if (r == NULL)
		goto out;
	if (kit_tuf_repo_rotate(r, (enum kit_tuf_role)rl, nkeys, threshold,
				pass, err) != 0)
		goto out;
	/* Publish at once when this holder's root keys suffice; otherwise
	 * the pending root waits for sign-root by the other holders. */
	if (kit_tuf_repo_publish_root(r, err) != 0) {
		if (err->code != KIT_E_SECURITY)
			goto out;
		say(o, "the new root is pending: more root signatures are needed (kit-publish sign-root): %s", err->msg);
		kit_err_clear(err);
		rc = 0;
		goto out;
	}
	if (kit_tuf_repo_unlock(r, (enum kit_tuf_role)rl, pass, err) < 0 ||
	    kit_tuf_repo_commit(r, err) != 0)
		goto out;
	say(o, "rotated the %s keys; root version %lld", role,
	    (long long)kit_tuf_repo_version(r, KIT_TUF_ROOT));
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	return rc;
}

int
kit_publisher_sign_root(const struct kit_publisher_opts *o,
			const char *key_file, struct kit_error *err)
{
	char pass[PASS_MAX] = "";
	struct kit_tuf_repo *r = NULL;
	struct kit_key *k = NULL;
	int rc = -1;

	if (o->repo_dir == NULL || o->keys_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "sign-root needs --repo DIR and --keys DIR");
	if (keys_apart(o, err) != 0)
		return -1;
	r = open_locked(o->repo_dir, o->keys_dir, err);
	if (r == NULL)
		goto out;
	if (get_pass("passphrase for your root key: ", 0, pass, err) != 0)
		goto out;
	k = kit_key_load(key_file, pass, err);
	if (k == NULL || kit_tuf_repo_sign_root(r, k, err) != 0)
		goto out;
	if (kit_tuf_repo_publish_root(r, err) != 0) {
		if (err->code != KIT_E_SECURITY)
			goto out;
		say(o, "signed; the new root still needs more signatures: %s",
		    err->msg);
		kit_err_clear(err);
	} else {
		say(o, "new root version %lld published",
		    (long long)kit_tuf_repo_version(r, KIT_TUF_ROOT));
	}
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_repo_free(r);
	kit_key_free(k);
	return rc;
}

int
kit_publisher_pubkey(const struct kit_publisher_opts *o, FILE *out,
		     struct kit_error *err)
{
	char path[PATH_MAX];
	unsigned char *text = NULL;
	int rc;

	if (o->repo_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "pubkey needs --repo DIR");
	if (kit_path_join(path, sizeof(path), o->repo_dir, "minisign.pub",
			  err) != 0)
		return -1;
	rc = kit_file_read(path, 4096, &text, NULL, err);
	if (rc == 0)
		fputs((char *)text, out);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* export: a copy of the repository for removable media                */
/* ------------------------------------------------------------------ */

#define COPY_BLOCK (1024 * 1024)

struct exporter {
	const struct kit_publisher_opts *o;
	int src;          /* the repository, no link followed below it */
	int dst;          /* the copy's top directory */
	const char *dest; /* as given, for messages */
	unsigned char *buf;
	uint64_t files, bytes;
	json_t *packs; /* the packs copied (names) */
};

/* The directory that will hold rel (created as needed) beneath the copy,
 * opened one level at a time without following a link: a link planted on
 * the medium is refused, never written through.  *base: rel's last part. */
static int
export_parent(struct exporter *x, const char *rel, const char **base,
	      struct kit_error *err)
{
	char part[PATH_MAX];
	const char *p = rel, *slash;
	int fd = dup(x->dst), next;

	if (fd < 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot open %s", x->dest);
	while ((slash = strchr(p, '/')) != NULL) {
		if ((size_t)(slash - p) >= sizeof(part)) {
			close(fd);
			return kit_err(err, KIT_E_INVALID, "%s: name too long", rel);
		}
		memcpy(part, p, (size_t)(slash - p));
		part[slash - p] = '\0';
		if (mkdirat(fd, part, 0755) != 0 && errno != EEXIST) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%.*s", x->dest, (int)(slash - rel), rel);
			close(fd);
			return -1;
		}
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			kit_err_errno(err, KIT_E_IO, errno, "refusing %s/%.*s: not a directory of its own (a link is never written through); remove it", x->dest, (int)(slash - rel), rel);
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* A pack's length is in no metadata: its name is its hash. */
#define ANY_LENGTH UINT64_MAX

/*
 * Write rel in the copy from the open file in (or from buf/len when in < 0)
 * through a temporary name renamed over it after fsync: a reader of the
 * medium sees the old file or the new one.  With want_sha256 the bytes
 * must have that hash and want_len bytes (the signed target; any with
 * ANY_LENGTH), else nothing is written (KIT_E_SECURITY).
 */
static int
export_write(struct exporter *x, const char *rel, int in, const void *buf,
	     size_t len, const char *want_sha256, uint64_t want_len,
	     struct kit_error *err)
{
	char tmp[NAME_MAX + 1], hex[KIT_SHA256_HEX];
	const char *base = NULL;
	struct kit_sha256 *h = NULL;
	uint64_t total = 0;
	ssize_t n;
	int pfd, out = -1, rc = -1;

	pfd = export_parent(x, rel, &base, err);
	if (pfd < 0)
		return -1;
	if (kit_snprintf(err, tmp, sizeof(tmp), ".%.200s.tmp.%ld", base, (long)getpid()) != 0)
		goto out;
	(void)unlinkat(pfd, tmp, 0);
	out = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot create %s/%s", x->dest, rel);
		goto out;
	}
	h = kit_sha256_new();
	if (h == NULL) {
		kit_err(err, KIT_E_IO, "out of memory");
		goto out;
	}
	if (in < 0) {
		kit_sha256_update(h, buf, len);
		if (kit_fd_write_all(out, buf, len) != 0) {
			kit_err_errno(err, KIT_E_IO, errno, "cannot write %s/%s", x->dest, rel);
			goto out;
		}
		total = len;
	} else {
		for (;;) {
			n = read(in, x->buf, COPY_BLOCK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot read %s/%s", x->o->repo_dir, rel);
				goto out;
			}
			if (n == 0)
				break;
			kit_sha256_update(h, x->buf, (size_t)n);
			if (kit_fd_write_all(out, x->buf, (size_t)n) != 0) {
				kit_err_errno(err, KIT_E_IO, errno, "cannot write %s/%s", x->dest, rel);
				goto out;
			}
			total += (uint64_t)n;
		}
	}
	kit_sha256_final_hex(h, hex);
	if (want_sha256 && ((want_len != ANY_LENGTH && total != want_len) || !kit_hex_equal(hex, want_sha256))) {
		kit_err(err, KIT_E_SECURITY, "%s/%s is %llu bytes with SHA-256 %s, not what the targets metadata signs (%llu bytes, %.64s); nothing of it was copied: restore it from a backup or publish the campaign again", x->o->repo_dir, rel, (unsigned long long)total, hex, (unsigned long long)want_len, want_sha256);
		goto out;
	}
	if (fsync(out) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s/%s", x->dest, rel);
		goto out;
	}
	close(out);
	out = -1;
	if (renameat(pfd, tmp, pfd, base) != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s/%s into place", x->dest, rel);
		goto out;
	}
	tmp[0] = '\0';
	if (fsync(pfd) != 0 && errno != EINVAL) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot sync the directory of %s/%s", x->dest, rel);
		goto out;
	}
	x->files++;
	x->bytes += total;
	rc = 0;
out:
	kit_sha256_free(h);
	if (out >= 0)
		close(out);
	if (rc != 0 && tmp[0])
		(void)unlinkat(pfd, tmp, 0);
	close(pfd);
	return rc;
}

/* Copy rel from the repository (no link followed on the way) to the copy. */
static int
export_copy(struct exporter *x, const char *rel, const char *want_sha256,
	    uint64_t want_len, struct kit_error *err)
{
	int in = kit_file_open_read(x->src, rel, NULL, err), rc;

	if (in < 0) {
		kit_err_prefix(err, "%s/%s", x->o->repo_dir, rel);
		return -1;
	}
	rc = export_write(x, rel, in, NULL, 0, want_sha256, want_len, err);
	close(in);
	return rc;
}

/*
 * What a kit's .idx target (rel, its sha256) needs beside it on the copy:
 * every pack its index names, whole (packs are immutable and named by
 * their hash, which is checked as each is copied; kit-fetch checks every
 * object anyway), once per copy (done: the packs copied so far), and the
 * index of what its previous version lacks (custom.index.update).
 */
static int
export_kit_packs(struct exporter *x, const char *name, const json_t *ti,
		 const char *rel, const char *sha, json_t *done,
		 struct kit_error *err)
{
	struct kit_manifest_target kt;
	struct kit_manifest_index *ix = NULL;
	struct kit_error ignore = {0};
	unsigned char *text = NULL;
	char hex[KIT_SHA256_HEX], prel[PATH_MAX];
	size_t len, i;
	int rc = -1;

	if (kit_manifest_target_kind(name) != KIT_TARGET_INDEX)
		return 0;
	(void)kit_manifest_target_read(json_object_get(ti, "custom"), &kt, &ignore);
	if (kit_file_read_at(x->src, rel, KIT_INDEX_MAX, &text, &len, err) != 0)
		goto out;
	kit_sha256_hex(text, len, hex);
	if (!kit_hex_equal(hex, sha)) {
		kit_err(err, KIT_E_SECURITY, "%s/%s changed while it was copied (SHA-256 %s, signed %.64s); export again", x->o->repo_dir, rel, hex, sha);
		goto out;
	}
	ix = kit_manifest_index_parse(text, len, rel, err);
	if (ix == NULL)
		goto out;
	for (i = 0; i < ix->n_packs; i++) {
		if (json_object_get(done, ix->packs[i]) != NULL)
			continue;
		if (kit_snprintf(err, prel, sizeof(prel), "packs/%s.pack", ix->packs[i]) != 0 ||
		    export_copy(x, prel, ix->packs[i], ANY_LENGTH, err) != 0)
			goto out;
		json_object_set_new(done, ix->packs[i], json_true());
	}
	if (kt.update_sha256 != NULL &&
	    (kit_snprintf(err, prel, sizeof(prel), "packs/%s.idx", kt.update_sha256) != 0 ||
	     export_copy(x, prel, kt.update_sha256, kt.update_length, err) != 0))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		kit_err_prefix(err, "target %s", name);
	kit_manifest_index_free(ix);
	free(text);
	return rc;
}

/* The copy never goes where the repository is served from, and never
 * takes the keys with it. */
static int
export_apart(const struct kit_publisher_opts *o, const char *dest,
	     struct kit_error *err)
{
	char repo[PATH_MAX], keys[PATH_MAX], to[PATH_MAX];

	if (resolve_path(o->repo_dir, repo, sizeof(repo), err) != 0 ||
	    resolve_path(o->keys_dir, keys, sizeof(keys), err) != 0 ||
	    resolve_path(dest, to, sizeof(to), err) != 0)
		return -1;
	if (path_within(to, repo))
		return kit_err(err, KIT_E_USAGE, "--to %s is the repository or inside it, where a web server would serve the copy's long-lived timestamp; export to removable media or another directory", dest);
	if (path_within(keys, to) || path_within(to, keys))
		return kit_err(err, KIT_E_USAGE, "--to %s and --keys %s overlap: the private keys would travel with the copy; export somewhere else", dest, o->keys_dir);
	return 0;
}

/* Until when offices can update from the copy: when its timestamp
 * expires, or its targets or root metadata if they expire sooner. */
static void
say_copy_until(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	       const struct kit_tuf_copy *copy, const char *dest)
{
	static const enum kit_tuf_role roles[] = {KIT_TUF_TARGETS, KIT_TUF_ROOT};
	int64_t until = copy->timestamp_expires, e;
	const char *by = "timestamp";
	char when[32];
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		e = kit_tuf_repo_expires(r, roles[i]);
		if (e > 0 && e < until) {
			until = e;
			by = kit_tuf_role_name(roles[i]);
		}
	}
	kit_time_format_utc(until, when, sizeof(when));
	say(o, "offices can update from %s until %s, when the copy's %s metadata expires%s", dest, when, by, strcmp(by, "timestamp") == 0 ? "" : " (re-sign it in the repository sooner, then export again)");
}

/* The offices' delegated roles (every one, or the office's own with
 * --office): their kits with their .minisig, then their metadata as the
 * current snapshot lists it, before the snapshot and timestamp. */
static int
export_roles(const struct kit_publisher_opts *o, struct kit_tuf_repo *r,
	     struct exporter *x, const char *office, size_t *kits,
	     struct kit_error *err)
{
	const unsigned char *raw;
	const json_t *meta, *e, *targets, *ti;
	const char *key, *name, *sha;
	char role[128], rel[PATH_MAX], sig[PATH_MAX];
	struct kit_manifest_target kt;
	struct kit_error why = {0};
	json_t *snap;
	struct stat st;
	size_t len, n;
	int rc = -1;

	raw = kit_tuf_repo_meta_bytes(r, KIT_TUF_SNAPSHOT, &len);
	snap = raw ? json_loadb((const char *)raw, len, 0, NULL) : NULL;
	meta = json_object_get(json_object_get(snap, "signed"), "meta");
	json_object_foreach ((json_t *)meta, key, e) {
		n = strlen(key);
		if (strcmp(key, "targets.json") == 0 || n < 6 || n - 5 >= sizeof(role))
			continue;
		memcpy(role, key, n - 5);
		role[n - 5] = '\0';
		targets = kit_tuf_repo_role_targets(r, role);
		if (targets == NULL || (office != NULL && strcmp(role, office) != 0))
			continue;
		json_object_foreach ((json_t *)targets, name, ti) {
			sha = json_string_value(json_object_get(json_object_get(ti, "hashes"), "sha256"));
			if (sha == NULL || kit_tuf_target_path(rel, sizeof(rel), name, sha, 1) != 0) {
				kit_err(err, KIT_E_SECURITY, "target %.200s of role %s has no sha256 or no safe name; repair the repository before exporting it", name, role);
				goto out;
			}
			if (export_copy(x, rel, sha, (uint64_t)json_integer_value(json_object_get(ti, "length")), err) != 0 ||
			    export_kit_packs(x, name, ti, rel, sha, x->packs, err) != 0 ||
			    kit_snprintf(err, sig, sizeof(sig), "%s.minisig", rel) != 0)
				goto out;
			if (fstatat(x->src, sig, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    export_copy(x, sig, NULL, 0, err) != 0)
				goto out;
			(*kits)++;
			(void)kit_manifest_target_read(json_object_get(ti, "custom"), &kt, &why);
			say(o, "copied %s (version %lld)", name, kt.version_signed);
		}
		if (kit_snprintf(err, rel, sizeof(rel), "metadata/%lld.%s", (long long)json_integer_value(json_object_get(e, "version")), key) != 0 ||
		    export_copy(x, rel, NULL, 0, err) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(snap);
	return rc;
}

/* The targets of a repository, and which of them go on a copy. */
struct export_pick {
	const char **names;
	struct kit_campaign_kit_ref *refs;
	int *chosen;
	size_t n;
};

static void
export_pick_free(struct export_pick *p)
{
	free(p->names);
	free(p->refs);
	free(p->chosen);
}

/* 1 when name is a kit's archive target and targets also lists its
 * .idx target (the same name with .idx), whose name goes into twin. */
static int
export_twin(const json_t *targets, const char *name, char *twin, size_t size)
{
	if (kit_manifest_target_twin(name, KIT_TARGET_INDEX, twin, size) != 0)
		return 0;
	return json_object_get(targets, twin) != NULL;
}

/* Which kits go on the copy: all, or (office set) what the office
 * installs, and the registry. */
static void
export_pick(const struct kit_publisher_opts *o, const json_t *targets,
	    const char *office, struct export_pick *p)
{
	const json_t *t;
	const char *name;
	size_t i, own = 0, cap = json_object_size(targets) + 1;
	char twin[1100];
	json_t *at = json_object(); /* name -> its number */

	p->refs = kit_xcalloc(cap, sizeof(*p->refs));
	p->names = kit_xcalloc(cap, sizeof(*p->names));
	p->chosen = kit_xcalloc(cap, sizeof(*p->chosen));
	p->n = 0;
	json_object_foreach ((json_t *)targets, name, t) {
		struct kit_campaign_kit_ref *ref = &p->refs[p->n];
		struct kit_manifest_target kt;
		struct kit_error ignore = {0};

		(void)kit_manifest_target_read(json_object_get(t, "custom"), &kt, &ignore);
		p->names[p->n] = name;
		ref->campaign = kt.campaign;
		ref->office = kt.office;
		if (ref->campaign == NULL || ref->office == NULL ||
		    export_twin(targets, name, twin, sizeof(twin)))
			ref->campaign = ref->office = ""; /* not a kit (or the archive of one) */
		if (office && strcmp(ref->office, office) == 0)
			own++;
		p->chosen[p->n] = 1;
		json_object_set_new(at, name, json_integer((json_int_t)p->n));
		p->n++;
	}
	if (office) {
		kit_campaign_pick_kits(p->refs, p->n, office, p->chosen);
		/* a chosen kit's archive goes with it */
		for (i = 0; i < p->n; i++)
			if (export_twin(targets, p->names[i], twin, sizeof(twin)))
				p->chosen[i] = p->chosen[json_integer_value(json_object_get(at, twin))];
	}
	json_decref(at);
	if (!office)
		return;
	/* the registry too: kit-fetch checks the office against it */
	for (i = 0; i < p->n; i++)
		p->chosen[i] |= strcmp(p->names[i], KIT_ORG_TARGET) == 0;
	if (own == 0)
		say(o, "no kit in %s is made for office %s: the copy carries the global kits; check the office id", o->repo_dir, office);
}

/* The chosen target files, each with its signature when it has one. */
static int
export_targets(struct exporter *x, const json_t *targets,
	       const struct export_pick *p, size_t *kits,
	       struct kit_error *err)
{
	char rel[PATH_MAX], sig[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const json_t *ti = json_object_get(targets, p->names[i]);
		const char *sha = json_string_value(json_object_get(json_object_get(ti, "hashes"), "sha256"));
		uint64_t length = (uint64_t)json_integer_value(json_object_get(ti, "length"));
		struct kit_manifest_target kt;
		struct kit_error why = {0};

		if (!p->chosen[i])
			continue;
		/* kit-publish's repositories have consistent snapshots */
		if (sha == NULL || kit_tuf_target_path(rel, sizeof(rel), p->names[i], sha, 1) != 0)
			return kit_err(err, KIT_E_SECURITY, "target %.200s has no sha256 or no safe name; repair the repository before exporting it", p->names[i]);
		if (export_copy(x, rel, sha, length, err) != 0 ||
		    export_kit_packs(x, p->names[i], ti, rel, sha, x->packs, err) != 0 ||
		    kit_snprintf(err, sig, sizeof(sig), "%s.minisig", rel) != 0)
			return -1;
		if (fstatat(x->src, sig, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    export_copy(x, sig, NULL, 0, err) != 0)
			return -1;
		(*kits)++;
		(void)kit_manifest_target_read(json_object_get(ti, "custom"), &kt, &why);
		say(x->o, "copied %s (version %lld, %llu bytes)", p->names[i], kt.version_signed, (unsigned long long)length);
	}
	return 0;
}

/* Every root version, the targets, and the copy's own snapshot and
 * timestamp, timestamp.json last. */
static int
export_metadata(struct exporter *x, struct kit_tuf_repo *r,
		const struct kit_tuf_copy *copy, struct kit_error *err)
{
	char rel[PATH_MAX];
	const unsigned char *bytes;
	int64_t v, root_v = kit_tuf_repo_version(r, KIT_TUF_ROOT);
	size_t len;

	for (v = 1; v < root_v; v++)
		if (kit_snprintf(err, rel, sizeof(rel), "metadata/%lld.root.json", (long long)v) != 0 ||
		    export_copy(x, rel, NULL, 0, err) != 0)
			return -1;
	bytes = kit_tuf_repo_meta_bytes(r, KIT_TUF_ROOT, &len);
	if (kit_snprintf(err, rel, sizeof(rel), "metadata/%lld.root.json", (long long)root_v) != 0 ||
	    export_write(x, rel, -1, bytes, len, NULL, 0, err) != 0 ||
	    export_write(x, "metadata/root.json", -1, bytes, len, NULL, 0, err) != 0)
		return -1;
	bytes = kit_tuf_repo_meta_bytes(r, KIT_TUF_TARGETS, &len);
	if (kit_snprintf(err, rel, sizeof(rel), "metadata/%lld.targets.json", (long long)kit_tuf_repo_version(r, KIT_TUF_TARGETS)) != 0 ||
	    export_write(x, rel, -1, bytes, len, NULL, 0, err) != 0 ||
	    kit_snprintf(err, rel, sizeof(rel), "metadata/%s", copy->snapshot_name) != 0 ||
	    export_write(x, rel, -1, copy->snapshot, copy->snapshot_len, NULL, 0, err) != 0 ||
	    export_write(x, "metadata/timestamp.json", -1, copy->timestamp, copy->timestamp_len, NULL, 0, err) != 0)
		return -1;
	return 0;
}

int
kit_publisher_export(const struct kit_publisher_opts *o, const char *dest,
		     int64_t expires, const char *office,
		     struct kit_error *err)
{
	char pass[PASS_MAX] = "", *src_dir = NULL, *dst_dir = NULL;
	struct kit_tuf_repo *r = NULL;
	struct kit_tuf_copy copy;
	struct exporter x;
	struct export_pick pick;
	const json_t *targets;
	size_t kits = 0;
	int rc = -1;
	struct stat st;

	memset(&copy, 0, sizeof(copy));
	memset(&x, 0, sizeof(x));
	memset(&pick, 0, sizeof(pick));
	x.o = o;
	x.src = x.dst = -1;
	x.dest = dest;
	if (office && !kit_str_is_id(office, 0))
		return kit_err(err, KIT_E_USAGE, "--office '%.64s': use the office id, lower case letters, digits and '-' (e.g. hungary)", office);
	if (o->repo_dir == NULL || o->keys_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "export needs --repo DIR and --keys DIR");
	if (export_apart(o, dest, err) != 0)
		return -1;
	r = open_repo(o, pass, 0, err);
	if (r == NULL)
		goto out;
	targets = kit_tuf_repo_targets(r);
	export_pick(o, targets, office, &pick);
	/* Sign the copy's snapshot and timestamp (long expiry), then the live
	 * repository's above them with their usual expiry, before anything
	 * is written to the copy: a failure leaves no half copy behind. */
	if (kit_tuf_repo_sign_copy(r, expires, &copy, err) != 0 ||
	    kit_tuf_repo_commit(r, err) != 0)
		goto out;
	x.src = kit_dir_open_top(o->repo_dir, 0, 0, &src_dir, err);
	if (x.src < 0)
		goto out;
	x.dst = kit_dir_open_top(dest, 1, 0, &dst_dir, err);
	if (x.dst < 0)
		goto out;
	x.buf = kit_xmalloc(COPY_BLOCK);
	x.packs = json_object();
	/* Targets first, the metadata after, timestamp.json last: a copy
	 * interrupted at any point never has a timestamp naming missing
	 * files (an earlier export's stays valid until replaced). */
	if (export_targets(&x, targets, &pick, &kits, err) != 0 ||
	    export_roles(o, r, &x, office, &kits, err) != 0)
		goto out;
	if (fstatat(x.src, "minisign.pub", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    export_copy(&x, "minisign.pub", NULL, 0, err) != 0)
		goto out;
	if (export_metadata(&x, r, &copy, err) != 0)
		goto out;
	say(o, "exported %zu kit%s%s%s to %s: %llu files (%zu pack%s), %llu bytes", kits, kits == 1 ? "" : "s", office ? " for office " : "", office ? office : "", dest, (unsigned long long)x.files, json_object_size(x.packs), json_object_size(x.packs) == 1 ? "" : "s", (unsigned long long)x.bytes);
	say_copy_until(o, r, &copy, dest);
	say(o, "the live repository was re-signed with its usual expiry (timestamp version %lld)", (long long)kit_tuf_repo_version(r, KIT_TUF_TIMESTAMP));
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_tuf_copy_free(&copy);
	kit_tuf_repo_free(r);
	free(x.buf);
	json_decref(x.packs);
	if (x.src >= 0)
		close(x.src);
	if (x.dst >= 0)
		close(x.dst);
	free(src_dir);
	free(dst_dir);
	export_pick_free(&pick);
	if (rc != 0)
		kit_err_prefix(err, "export to %s", dest);
	return rc;
}
