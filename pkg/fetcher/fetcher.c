/* fetcher.c: the country office's side: state, update, install, status. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kit_bundle.h"
#include "kit_campaign.h"
#include "kit_crypto.h"
#include "kit_fetcher.h"
#include "kit_manifest.h"
#include "kit_org.h"
#include "kit_transport.h"
#include "kit_tuf.h"

#define CONFIG_MAX (64 * 1024)
#define STATUS_MAX (1024 * 1024)
#define VERIFIED_MAX (4 * 1024 * 1024)

void
kit_fetcher_opts_init(struct kit_fetcher_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static const char *
str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static int
state_path(const struct kit_fetcher_opts *o, char *out, size_t size,
	   const char *rel, struct kit_error *err)
{
	return kit_path_join(out, size, o->state_dir, rel, err);
}

/*
 * The state directory.  kit-fetch often runs as root, and must never write,
 * remove or read through it anything outside it, whatever another user
 * planted there.  It is opened once, without following a link.  To write,
 * it and every directory kit-fetch writes in below it must belong to this
 * user and be writable by no one else, and the directories above it must
 * belong to root or this user (kit_dir_open_top): then no one else can
 * change what a path below it names, so the paths built on its canonical
 * name (for the TUF client and the transport) lead where the checks went.
 * Files written in place (lock, log, .part) must be regular files with
 * one link; removal never traverses a link.  Refusals are KIT_E_IO (5).
 */
struct state {
	int fd;
	char *dir;                 /* canonical path, without links */
	struct kit_fetcher_opts o; /* the caller's, with state_dir = dir */
};

static void
state_close(struct state *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->dir);
	s->dir = NULL;
}

static const char *const state_dirs[] = {"metadata", "downloads", "staging",
					 "kits"};

/* Every kit directory (kits/<campaign>) and its releases/ must be ours too:
 * checked on every run, so a planted link is refused even when nothing
 * changed in the repository. */
static int
check_kits(int sfd, const char *dir, struct kit_error *err)
{
	char shown[PATH_MAX], rel[PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	int kfd = -1, fd, rc = -1;

	if (kit_snprintf(err, shown, sizeof(shown), "%s/kits", dir) != 0)
		return -1;
	kfd = kit_dir_open_owned(sfd, "kits", 0, shown, err);
	if (kfd < 0)
		return -1;
	d = kit_dir_list(kfd, shown, err);
	if (d == NULL)
		goto out;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (kit_snprintf(err, rel, sizeof(rel), "%s/%s", shown,
				 de->d_name) != 0)
			goto out;
		fd = kit_dir_open_owned(kfd, de->d_name, 0, rel, err);
		if (fd < 0)
			goto out;
		if (faccessat(fd, "releases", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			int r;

			if (kit_snprintf(err, rel, sizeof(rel),
					 "%s/%s/releases", shown,
					 de->d_name) != 0) {
				close(fd);
				goto out;
			}
			r = kit_dir_open_owned(fd, "releases", 0, rel, err);
			if (r < 0) {
				close(fd);
				goto out;
			}
			close(r);
		}
		close(fd);
	}
	if (errno != 0) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot read %s", shown);
		goto out;
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	close(kfd);
	return rc;
}

/* Open the state directory: for reading (status), or for writing with
 * every check above, creating what is missing of its directories. */
static int
state_open(const struct kit_fetcher_opts *o, int writer, struct state *s,
	   struct kit_error *err)
{
	char shown[PATH_MAX];
	size_t i;
	int fd;

	s->fd = -1;
	s->dir = NULL;
	s->o = *o;
	if (o->state_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "--state DIR is required");
	if (!kit_dir_exists(o->state_dir))
		return kit_err(err, KIT_E_IO,
			       "state directory %s does not exist; create it with 'kit-fetch init --state %s --root ROOT --url URL'",
			       o->state_dir, o->state_dir);
	s->fd = kit_dir_open_top(o->state_dir, 0, writer, &s->dir, err);
	if (s->fd < 0)
		return -1;
	s->o.state_dir = s->dir;
	if (faccessat(s->fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		kit_err(err, KIT_E_IO,
			"%s is not a kit-fetch state directory (no config.json); run 'kit-fetch init' first",
			o->state_dir);
		goto fail;
	}
	if (!writer)
		return 0;
	if (access(s->dir, W_OK) != 0) {
		kit_err(err, KIT_E_IO,
			"state directory %s is not writable (%s); run as the user that owns it, or make it writable",
			o->state_dir, strerror(errno));
		goto fail;
	}
	for (i = 0; i < sizeof(state_dirs) / sizeof(state_dirs[0]); i++) {
		if (kit_snprintf(err, shown, sizeof(shown), "%s/%s", s->dir,
				 state_dirs[i]) != 0)
			goto fail;
		fd = kit_dir_open_owned(s->fd, state_dirs[i], 1, shown, err);
		if (fd < 0)
			goto fail;
		close(fd);
	}
	if (check_kits(s->fd, s->dir, err) != 0)
		goto fail;
	/* the log is appended to in place: a regular file of ours with one
	 * link, created now so that every later write finds it so */
	if (kit_snprintf(err, shown, sizeof(shown), "%s/log", s->dir) != 0)
		goto fail;
	fd = kit_file_open_write(AT_FDCWD, shown, O_WRONLY | O_APPEND | O_CREAT,
				 0644, err);
	if (fd < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	state_close(s);
	return -1;
}

/* Append one JSON line to the log (O_APPEND, fsync). */
static void
log_event(const struct kit_fetcher_opts *o, const char *event,
	  const char *campaign, int version, const struct kit_error *e)
{
	char path[PATH_MAX], when[32];
	json_t *j;
	char *line;
	int fd;
	struct kit_error ignore = {0};

	if (state_path(o, path, sizeof(path), "log", &ignore) != 0)
		return;
	kit_time_format_utc(kit_time_now(), when, sizeof(when));
	j = json_pack("{s:s, s:s}", "time", when, "event", event);
	if (j == NULL)
		return;
	if (campaign)
		json_object_set_new(j, "campaign", json_string(campaign));
	if (version > 0)
		json_object_set_new(j, "version", json_integer(version));
	if (e && e->code != KIT_E_OK) {
		json_object_set_new(j, "exit", json_integer(kit_err_exit_code(e)));
		json_object_set_new(j, "reason", json_string(e->msg));
	}
	line = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (line == NULL)
		return;
	fd = kit_file_open_write(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT,
				 0644, &ignore);
	if (fd >= 0) {
		size_t n = strlen(line);

		line[n] = '\n'; /* json_dumps left room for the NUL */
		if (write(fd, line, n + 1) < 0) {
			/* the log is best effort; the error itself is reported */
		}
		(void)fsync(fd);
		close(fd);
	}
	free(line);
}

static void
emit_json(const struct kit_fetcher_opts *o, json_t *j)
{
	char *s;

	if (o->json && j != NULL) {
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		if (s) {
			printf("%s\n", s);
			fflush(stdout);
			free(s);
		}
	}
	json_decref(j);
}

static void say(const struct kit_fetcher_opts *o, const char *fmt, ...)
	KIT_PRINTF(2, 3);

static void
say(const struct kit_fetcher_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet || o->json)
		return;
	fputs("kit-fetch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Pin a new root in place of the old trust: the root goes into a fresh
 * metadata.new/, which then replaces metadata/, so nothing the old root
 * vouched for (timestamp, snapshot, targets, later roots) stays trusted;
 * the HTTP validators, downloads and office registry of the old trust go
 * too.  A failure
 * before the swap leaves the old trust whole.  sfd is the state directory
 * (dir), opened and checked for writing.
 */
static int
repin_root(int sfd, const char *dir, const char *root_json,
	   struct kit_error *err)
{
	static const char *const derived[] = {"downloads", "staging", KIT_ORG_TARGET};
	char fresh[PATH_MAX], shown[PATH_MAX];
	size_t i;
	int fd;

	if (kit_path_join(fresh, sizeof(fresh), dir, "metadata.new", err) != 0 ||
	    kit_rm_rf_at(sfd, "metadata.new", fresh, err) != 0)
		return -1;
	fd = kit_dir_open_owned(sfd, "metadata.new", 1, fresh, err);
	if (fd < 0)
		return -1;
	close(fd);
	if (kit_tuf_client_pin_root(fresh, root_json, 0, err) != 0 ||
	    kit_path_join(shown, sizeof(shown), dir, "metadata", err) != 0 ||
	    kit_rm_rf_at(sfd, "metadata", shown, err) != 0)
		return -1;
	if (renameat(sfd, "metadata.new", sfd, "metadata") != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s to %s", fresh, shown);
	if (fsync(sfd) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot sync %s", dir);
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (kit_path_join(shown, sizeof(shown), dir, derived[i], err) != 0 ||
		    kit_rm_rf_at(sfd, derived[i], shown, err) != 0)
			return -1;
	return 0;
}

static int office_registered(const struct kit_org *org, const char *office,
			     const char *state_dir, struct kit_error *err);

/* Re-running init on a state that already holds the signed registry (an
 * earlier update fetched it) checks --office at once; otherwise the first
 * update does. */
static int
init_office_known(int sfd, const struct kit_fetcher_opts *o,
		  struct kit_error *err)
{
	struct kit_error none = {0};
	unsigned char *buf = NULL;
	struct kit_org *org = NULL;
	size_t len;
	int rc;

	if (o->office == NULL || o->force ||
	    kit_file_read_at(sfd, KIT_ORG_TARGET, KIT_ORG_MAX_BYTES, &buf, &len, &none) != 0)
		return 0;
	org = kit_org_parse(buf, len, KIT_ORG_TARGET, &none);
	free(buf);
	rc = office_registered(org, o->office, o->state_dir, err);
	kit_org_free(org);
	return rc;
}

int
kit_fetcher_init(const struct kit_fetcher_opts *o, struct kit_error *err)
{
	char path[PATH_MAX], meta[PATH_MAX];
	json_t *cfg = NULL, *mirrors;
	char *text = NULL, *dir = NULL;
	size_t i;
	int rc = -1, sfd = -1, mfd = -1, lock = -1;

	if (o->state_dir == NULL || o->root_json == NULL)
		return kit_err(err, KIT_E_USAGE,
			       "init needs --state DIR --root ROOT_JSON");
	if (o->office && !kit_str_is_id(o->office, 0))
		return kit_err(err, KIT_E_USAGE,
			       "--office '%.64s': use the office id, lower case letters, digits and '-' (e.g. hungary)",
			       o->office);
	/* the same checks as every run's (state_open), before anything is
	 * written there */
	sfd = kit_dir_open_top(o->state_dir, 1, 1, &dir, err);
	if (sfd < 0 || kit_bundle_lock(dir, &lock, err) != 0 ||
	    init_office_known(sfd, o, err) != 0)
		goto out;
	if (kit_path_join(meta, sizeof(meta), dir, "metadata", err) != 0)
		goto out;
	/* Keep a pinned root that updates have moved forward, unless told:
	 * re-running init must not lower the trust already earned. */
	mfd = kit_dir_open_owned(sfd, "metadata", 1, meta, err);
	if (mfd < 0)
		goto out;
	if (faccessat(mfd, "root.json", F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		if (kit_tuf_client_pin_root(meta, o->root_json, 0, err) != 0)
			goto pin_failed;
	} else if (o->force && repin_root(sfd, dir, o->root_json, err) != 0) {
		goto pin_failed;
	}
	/* Validators belong to the server and the trust they were kept
	 * with; the first update after init asks without them. */
	if (unlinkat(sfd, "http-cache.json", 0) != 0 && errno != ENOENT) {
		kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s/http-cache.json", dir);
		goto out;
	}
	/* No URL: an office that only ever syncs from removable media. */
	cfg = json_pack("{s:[]}", "mirrors");
	if (o->url)
		json_object_set_new(cfg, "url", json_string(o->url));
	mirrors = json_object_get(cfg, "mirrors");
	for (i = 0; i < o->n_mirrors; i++)
		json_array_append_new(mirrors, json_string(o->mirrors[i]));
	if (o->office)
		json_object_set_new(cfg, "office", json_string(o->office));
	/* Network settings an office needs on every run (a TLS-inspecting
	 * proxy's CA, the proxy itself) are kept with the URL. */
	if (o->cainfo) {
		char cwd[PATH_MAX], abs[PATH_MAX];

		if (!kit_file_exists(o->cainfo)) {
			kit_err(err, KIT_E_IO, "--cacert %s: no such file",
				o->cainfo);
			goto out;
		}
		if (o->cainfo[0] == '/')
			snprintf(abs, sizeof(abs), "%s", o->cainfo);
		else if (getcwd(cwd, sizeof(cwd)) == NULL ||
			 kit_path_join(abs, sizeof(abs), cwd, o->cainfo, err))
			goto out;
		json_object_set_new(cfg, "cainfo", json_string(abs));
	}
	if (o->proxy)
		json_object_set_new(cfg, "proxy", json_string(o->proxy));
	if (o->max_unpacked > 0)
		json_object_set_new(cfg, "max_unpacked",
				    json_integer(o->max_unpacked));
	if (o->max_ratio > 0)
		json_object_set_new(cfg, "max_ratio", json_integer(o->max_ratio));
	if (o->retired_remove)
		json_object_set_new(cfg, "retired", json_string("remove"));
	text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (kit_path_join(path, sizeof(path), dir, "config.json", err) != 0 ||
	    kit_file_write_atomic(path, text, strlen(text), 0644, err) != 0)
		goto out;
	if (o->url || o->n_mirrors)
		say(o, "state %s ready for %s (office %s); run 'kit-fetch update --state %s'", o->state_dir, o->url ? o->url : o->mirrors[0], o->office ? o->office : "global", o->state_dir);
	else
		say(o, "state %s ready for removable media (office %s); run 'kit-fetch update --state %s --from DIR' with a copy made by 'kit-publish export'", o->state_dir, o->office ? o->office : "global", o->state_dir);
	rc = 0;
	goto out;
pin_failed:
	if (err->code == KIT_E_SECURITY)
		kit_err_suffix(err, "give --root the root.json the repository published (metadata/1.root.json), from a copy you trust");
out:
	kit_bundle_unlock(lock);
	free(text);
	free(dir);
	if (mfd >= 0)
		close(mfd);
	if (sfd >= 0)
		close(sfd);
	json_decref(cfg);
	if (rc != 0)
		kit_err_prefix(err, "init");
	return rc;
}

struct run {
	const struct kit_fetcher_opts *o;
	int state_fd;
	json_t *config;
	struct kit_transport *t;
	char etag[KIT_TRANSPORT_VALIDATOR_MAX];
	char lm[KIT_TRANSPORT_VALIDATOR_MAX];
	char new_etag[KIT_TRANSPORT_VALIDATOR_MAX];
	char new_lm[KIT_TRANSPORT_VALIDATOR_MAX];
	int ts_fetched;   /* timestamp.json came in full (not a 304) */
	size_t installed; /* kits installed by this run */
	json_t *verified; /* verified.json's "kits", loaded under the lock */
	int verified_dirty;
	struct kit_tuf_client *c; /* updated: where targets live */
};

static int
fetch_cb(void *arg, const char *relpath, const char *dest, uint64_t max_len,
	 struct kit_error *err)
{
	struct run *r = arg;

	if (strcmp(relpath, "metadata/timestamp.json") == 0) {
		struct kit_transport_cond c = {.etag = r->etag, .last_modified = r->lm};
		int rc = kit_transport_fetch_cond(r->t, relpath, dest, max_len, &c, err);
		/* "" after a failure: nothing to keep */
		memcpy(r->new_etag, c.etag_out, sizeof r->new_etag);
		memcpy(r->new_lm, c.last_modified_out, sizeof r->new_lm);
		if (rc != 0)
			return -1;
		r->ts_fetched |= !c.not_modified;
		return c.not_modified ? KIT_TUF_FETCH_NOT_MODIFIED
				      : KIT_TUF_FETCH_OK;
	}
	if (kit_transport_fetch(r->t, relpath, dest, max_len, NULL, 0, err) != 0) {
		/* Only a missing next root ends the chain walk normally. */
		if (kit_transport_not_found(r->t))
			return KIT_TUF_FETCH_NOT_FOUND;
		return -1;
	}
	return KIT_TUF_FETCH_OK;
}

/* path beneath the directory fd (kit_file_read_at), or a plain path with
 * AT_FDCWD. */
static json_t *
load_json_at(int fd, const char *path, size_t max, struct kit_error *err)
{
	unsigned char *text = NULL;
	size_t len;
	json_error_t je;
	json_t *j;

	if (kit_file_read_at(fd, path, max, &text, &len, err) != 0)
		return NULL;
	j = json_loadb((char *)text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (j == NULL)
		kit_err(err, KIT_E_INVALID, "%s:%d:%d: %s", path, je.line,
			je.column, je.text);
	return j;
}

static json_t *
load_json(const char *path, size_t max, struct kit_error *err)
{
	return load_json_at(AT_FDCWD, path, max, err);
}

/* The installed kit's manifest, kits/<campaign>/current/manifest.json,
 * read beneath the state directory sfd (dir) without following any link
 * but `current` itself, whose target must be releases/<n>.  NULL (err
 * set) when there is none or it cannot be read. */
static struct kit_manifest *
current_manifest(int sfd, const char *dir, const char *campaign,
		 struct kit_error *err)
{
	char kd[PATH_MAX], rel[PATH_MAX];
	int v = 0;

	if (kit_snprintf(err, kd, sizeof(kd), "%s/kits/%s", dir, campaign) ||
	    kit_bundle_current_version(kd, &v, err) != 0)
		return NULL;
	if (v == 0) {
		kit_err(err, KIT_E_INVALID, "%s: no kit installed", kd);
		return NULL;
	}
	if (kit_snprintf(err, rel, sizeof(rel),
			 "kits/%s/releases/%d/manifest.json", campaign, v))
		return NULL;
	return kit_manifest_load(sfd, rel, err);
}

static int
open_transport(struct run *r, struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	struct kit_transport_opts to;
	const char *bases[KIT_TRANSPORT_MAX_MIRRORS];
	size_t n = 0, i;
	json_t *m;
	const char *proxy = o->proxy, *cainfo = o->cainfo;

	kit_transport_opts_init(&to);
	if (o->from_dir) {
		bases[n++] = o->from_dir;
	} else {
		/* the configured URL first, then its mirrors, then those
		 * given on the command line */
		bases[n++] = json_string_value(json_object_get(r->config, "url"));
		if (bases[0] == NULL) /* set up for removable media */
			n = 0;
		json_array_foreach (json_object_get(r->config, "mirrors"), i, m) {
			if (json_is_string(m) && n < KIT_TRANSPORT_MAX_MIRRORS)
				bases[n++] = json_string_value(m);
		}
		for (i = 0; i < o->n_mirrors && n < KIT_TRANSPORT_MAX_MIRRORS; i++)
			bases[n++] = o->mirrors[i];
		if (n == 0)
			return kit_err(err, KIT_E_USAGE, "%s has no repository URL (it was set up for removable media); run 'kit-fetch update --state %s --from DIR' with the copy's directory, or 'kit-fetch init' again with --url URL", o->state_dir, o->state_dir);
	}
	if (proxy == NULL)
		proxy = json_string_value(json_object_get(r->config, "proxy"));
	if (cainfo == NULL)
		cainfo = json_string_value(json_object_get(r->config, "cainfo"));
	to.base_urls = bases;
	to.n_base_urls = n;
	to.proxy = proxy;
	to.cainfo = cainfo;
	to.max_recv_speed = o->limit_rate;
	to.low_speed_limit = o->low_speed_limit;
	to.low_speed_time = o->low_speed_time;
	to.backoff_base_ms = o->retry_base_ms;
	if (o->retry_base_ms)
		to.backoff_cap_ms = o->retry_base_ms * 8;
	to.quiet = o->quiet || o->json;
	to.progress = !o->quiet && !o->json;
	to.json_progress = o->json;
	/* Archives are checked against their signed hash again before an
	 * earlier run's download is used (install_one), and metadata is
	 * persisted by the TUF client itself: no sync here. */
	to.no_sync = 1;
	r->t = kit_transport_new(&to, err);
	return r->t ? 0 : -1;
}

/* ETag and Last-Modified of the trusted timestamp, kept in the state. */
static void
load_validators(struct run *r)
{
	char path[PATH_MAX];
	struct kit_error ignore = {0};
	json_t *j;

	if (r->o->from_dir ||
	    state_path(r->o, path, sizeof(path), "http-cache.json", &ignore))
		return;
	j = load_json(path, 4096, &ignore);
	if (j == NULL)
		return;
	/* Validators stored before format 2 were kept without RFC 9110's
	 * 60-second rule and may be weak: one plain GET replaces them. */
	if (json_integer_value(json_object_get(j, "format")) != 2) {
		json_decref(j);
		return;
	}
	snprintf(r->etag, sizeof(r->etag), "%s",
		 str_or(json_string_value(json_object_get(j, "etag")), ""));
	snprintf(r->lm, sizeof(r->lm), "%s",
		 str_or(json_string_value(json_object_get(j, "last_modified")), ""));
	json_decref(j);
}

static void
save_validators(struct run *r)
{
	char path[PATH_MAX], *text;
	struct kit_error ignore = {0};
	json_t *j;

	if (r->o->from_dir || !r->ts_fetched ||
	    state_path(r->o, path, sizeof(path), "http-cache.json", &ignore))
		return;
	/* A new timestamp without validators strong enough to keep: the
	 * old ones describe a file that is gone. */
	if (r->new_etag[0] == '\0' && r->new_lm[0] == '\0') {
		(void)unlink(path);
		return;
	}
	j = json_pack("{s:i, s:s, s:s}", "format", 2, "etag", r->new_etag,
		      "last_modified", r->new_lm);
	text = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
	if (text)
		if (kit_file_write_atomic(path, text, strlen(text), 0644,
					  &ignore) != 0) {
			/* best effort: the run's result stands */
		}
	free(text);
	json_decref(j);
}

/* A kit to install: its target t (<campaign>/<office>.idx, idx set, or
 * an archive from before), and its archive arc when the repository also
 * has one of the same kit version (has_arc: used only when the packs
 * cannot be had). */
struct pick {
	struct kit_tuf_target t;
	const char *campaign, *office;
	int version;
	const char *content;
	int idx, has_arc;
	struct kit_tuf_target arc;
};

static void
set_pick(struct pick *p, const struct kit_tuf_target *t, const char *camp,
	 const char *off)
{
	struct kit_manifest_target kt;
	struct kit_error ignore = {0};

	p->t = *t;
	p->campaign = camp;
	p->office = off;
	p->idx = kit_manifest_target_kind(t->name) == KIT_TARGET_INDEX;
	p->has_arc = 0;
	/* 0 marks a version that is not an int >= 1 (refused by install_one,
	 * never truncated: 2^32 + 1 is not 1). */
	(void)kit_manifest_target_read(t->custom, &kt, &ignore);
	p->version = kt.version;
	p->content = kt.content;
}

/*
 * The office's own bundle of campaign p when a delegated targets role
 * lists it (HQ delegating "<campaign>/<office>.tar.zst" to a role with
 * the office's key): looked up by name, so only the roles whose paths
 * cover it are read.  0 (p replaced when found), or -1 when a role on the
 * way fails a check (KIT_E_SECURITY) or cannot be fetched.
 */
static int
find_kit(struct kit_tuf_client *c, const char *campaign, const char *office,
	 enum kit_manifest_target_kind kind, struct kit_tuf_target *t,
	 struct kit_error *err)
{
	struct kit_manifest_target kt;
	struct kit_error ignore = {0};
	char name[256];
	int rc;

	if (kit_manifest_target_name(name, sizeof(name), campaign, office, kind, err) != 0)
		return -1;
	rc = kit_tuf_client_find_target(c, name, t, err);
	if (rc != 0)
		return rc < 0 ? -1 : 1;
	(void)kit_manifest_target_read(t->custom, &kt, &ignore);
	if (kt.campaign == NULL || kt.office == NULL ||
	    strcmp(kt.campaign, campaign) != 0 || strcmp(kt.office, office) != 0)
		return kit_err(err, KIT_E_SECURITY, "target %s: its signed custom data does not name campaign %s and office %s; refused (ask the publisher to re-sign it)", name,
			       campaign, office);
	return 0;
}

/* Archive a is the same kit version as the pick's .idx target: p's
 * fallback when the packs cannot be had. */
static void
pick_archive(struct pick *p, const struct kit_tuf_target *a)
{
	struct kit_manifest_target kt;
	struct kit_error ignore = {0};

	(void)kit_manifest_target_read(a->custom, &kt, &ignore);
	if (p->idx && kt.version == p->version && kt.content && p->content &&
	    strcmp(kt.content, p->content) == 0) {
		p->arc = *a;
		p->has_arc = 1;
	}
}

static int
pick_delegated(struct kit_tuf_client *c, const char *office, struct pick *p,
	       struct kit_error *err)
{
	struct kit_tuf_target t, a;
	int rc;

	/* the kit's index, else an archive from before; its archive too */
	rc = find_kit(c, p->campaign, office, KIT_TARGET_INDEX, &t, err);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		rc = find_kit(c, p->campaign, office, KIT_TARGET_ARCHIVE, &t, err);
		if (rc == 0)
			set_pick(p, &t, p->campaign, office);
		return rc < 0 ? -1 : 0;
	}
	set_pick(p, &t, p->campaign, office);
	rc = find_kit(c, p->campaign, office, KIT_TARGET_ARCHIVE, &a, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		pick_archive(p, &a);
	return 0;
}

/* 1 when target t names this office (custom.office, or a file name
 * <office>.idx or <office>.tar.zst): a target meant for it, whatever else
 * it says. */
static int
meant_for(const struct kit_tuf_target *t, const struct kit_manifest_target *kt,
	  const char *office)
{
	const char *slash = strrchr(t->name, '/');
	size_t n = office ? strlen(office) : 0;

	if (office == NULL)
		return 0;
	if (kt->office && strcmp(kt->office, office) == 0)
		return 1;
	slash = slash ? slash + 1 : t->name;
	return strncmp(slash, office, n) == 0 &&
	       (strcmp(slash + n, ".tar.zst") == 0 || strcmp(slash + n, ".idx") == 0);
}

/* The .idx target of the same kit as archive target t (the same name
 * with .idx for .tar.zst, the same custom campaign and office): 1 with
 * *out set, else 0. */
static int
index_twin(const struct kit_tuf_client *c, const struct kit_tuf_target *t,
	   const struct kit_manifest_target *kt, struct kit_tuf_target *out)
{
	struct kit_manifest_target it;
	struct kit_error ignore = {0};
	char name[1100];

	if (kit_manifest_target_twin(t->name, KIT_TARGET_INDEX, name, sizeof(name)) != 0)
		return 0;
	if (kit_tuf_client_target_get(c, name, out, &ignore) != 0)
		return 0;
	(void)kit_manifest_target_read(out->custom, &it, &ignore);
	return it.campaign && it.office && strcmp(it.campaign, kt->campaign) == 0 &&
	       strcmp(it.office, kt->office) == 0;
}

/* The archive target of the same kit as .idx target t (the same name
 * with .tar.zst for .idx, the same custom campaign and office): 1 with
 * *out set, else 0. */
static int
archive_twin(const struct kit_tuf_client *c, const struct kit_tuf_target *t,
	     struct kit_tuf_target *out)
{
	struct kit_manifest_target kt, at;
	struct kit_error ignore = {0};
	char name[1100];

	if (kit_manifest_target_twin(t->name, KIT_TARGET_ARCHIVE, name, sizeof(name)) != 0)
		return 0;
	if (kit_tuf_client_target_get(c, name, out, &ignore) != 0)
		return 0;
	(void)kit_manifest_target_read(t->custom, &kt, &ignore);
	(void)kit_manifest_target_read(out->custom, &at, &ignore);
	return kt.campaign && kt.office && at.campaign && at.office &&
	       strcmp(kt.campaign, at.campaign) == 0 && strcmp(kt.office, at.office) == 0;
}

/* The targets meant for this office: its own bundle of each campaign,
 * else the campaign's global one (kit_campaign_pick_kits, the rule
 * kit-publish export --office copies by), where the office's own bundle
 * may also come from a delegated role (pick_delegated).  The picks go to
 * out[0 .. *np); -1 when a delegated role fails a check, or a target
 * meant for this office has no valid custom.campaign and custom.office
 * (skipping it would fall back to the global kit). */
static int
pick_targets(struct kit_tuf_client *c, const char *office, struct pick *out,
	     size_t max, size_t *np, struct kit_error *err)
{
	size_t i, m = 0, n = 0, count = kit_tuf_client_target_count(c);
	struct kit_campaign_kit_ref *refs = kit_xcalloc(count + 1, sizeof(*refs));
	struct kit_tuf_target *ts = kit_xcalloc(count + 1, sizeof(*ts));
	struct kit_tuf_target twin;
	int *chosen = kit_xcalloc(count + 1, sizeof(*chosen));
	int rc = 0;

	for (i = 0; i < count; i++) {
		struct kit_manifest_target kt;
		struct kit_error ignore = {0};

		if (kit_tuf_client_target_at(c, i, &ts[m]) != 0)
			continue;
		(void)kit_manifest_target_read(ts[m].custom, &kt, &ignore);
		if (kt.campaign == NULL || kt.office == NULL) {
			if (!meant_for(&ts[m], &kt, office))
				continue;
			kit_err(err, KIT_E_SECURITY, "target \"%.200s\" for office %s: custom.campaign and custom.office are not both valid ids (a-z, 0-9, -); refused, the installed kits are kept; tell the publisher", ts[m].name, office);
			rc = -1;
			goto out;
		}
		/* a kit's archive beside its .idx: the .idx is the kit, the
		 * archive its fallback */
		if (index_twin(c, &ts[m], &kt, &twin))
			continue;
		refs[m].campaign = kt.campaign;
		refs[m].office = kt.office;
		m++;
	}
	kit_campaign_pick_kits(refs, m, office, chosen);
	for (i = 0; i < m && n < max; i++) {
		if (!chosen[i])
			continue;
		set_pick(&out[n], &ts[i], refs[i].campaign, refs[i].office);
		if (out[n].idx && archive_twin(c, &ts[i], &twin))
			pick_archive(&out[n], &twin);
		if (office != NULL && strcmp(refs[i].office, office) != 0 &&
		    pick_delegated(c, office, &out[n], err) != 0) {
			rc = -1;
			break;
		}
		n++;
	}
out:
	*np = n;
	free(refs);
	free(ts);
	free(chosen);
	return rc;
}

/* Where this run updates from, for messages. */
static const char *
source_of(const struct run *r)
{
	const char *url = json_string_value(json_object_get(r->config, "url"));

	if (r->o->from_dir)
		return r->o->from_dir;
	return url ? url : kit_transport_stats(r->t)->mirrors[0].url;
}

/* Version and content digest of the installed kit (0 / NULL: none). */
static int
installed(const struct run *r, const char *campaign, char *content,
	  size_t size, char *office, size_t osize)
{
	struct kit_error ignore = {0};
	struct kit_manifest *m;
	int v;

	content[0] = office[0] = '\0';
	m = current_manifest(r->state_fd, r->o->state_dir, campaign, &ignore);
	if (m == NULL)
		return 0;
	v = m->version;
	snprintf(content, size, "%s", m->content);
	snprintf(office, osize, "%s", m->office);
	kit_manifest_free(m);
	return v;
}

/*
 * <state>/verified.json: for each campaign, the release last fully
 * verified against its signed target and the stamp (kit_bundle_release_
 * stamp) it had then.  While the stamp is the same the release is not
 * re-hashed: an unchanged kit costs an update a few stat calls, and any
 * change to its files is seen.  kit-fetch verify drops a kit it finds
 * changed, so the next update hashes it again even if the stamp did not
 * move.
 */
static json_t *
load_verified(const struct kit_fetcher_opts *o)
{
	char path[PATH_MAX];
	struct kit_error ignore = {0};
	json_t *j, *kits = NULL;

	if (state_path(o, path, sizeof(path), "verified.json", &ignore) == 0 &&
	    kit_file_exists(path) &&
	    (j = load_json(path, VERIFIED_MAX, &ignore)) != NULL) {
		kits = json_incref(json_object_get(j, "kits"));
		json_decref(j);
	}
	if (!json_is_object(kits)) {
		json_decref(kits);
		kits = json_object();
	}
	return kits;
}

static void
save_verified(const struct kit_fetcher_opts *o, json_t *kits)
{
	char path[PATH_MAX], *text = NULL;
	struct kit_error ignore = {0};
	json_t *j = json_pack("{s:i, s:O}", "format", 1, "kits", kits);

	if (j != NULL)
		text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL &&
	    state_path(o, path, sizeof(path), "verified.json", &ignore) == 0)
		if (kit_file_write_atomic(path, text, strlen(text), 0644,
					  &ignore) != 0) {
			/* best effort: the next update hashes the kit again */
		}
	free(text);
	json_decref(j);
}

/* A release on disk is the signed kit when its manifest says what the
 * signed target says and hashes to the signed content digest, so that a
 * manifest rewritten together with the files it lists is refused. */
static int
check_signed(const struct kit_manifest *manifest, void *arg,
	     struct kit_error *err)
{
	const struct kit_manifest_target *x = arg;
	char hex[KIT_SHA256_HEX];

	if (x->content == NULL)
		return kit_err(err, KIT_E_SECURITY, "the signed target carries no content digest to check it against");
	if (kit_bundle_check_expect(manifest, arg, err) != 0 ||
	    kit_manifest_content(manifest, hex, err) != 0)
		return -1;
	if (!kit_hex_equal(hex, x->content))
		return kit_err(err, KIT_E_SECURITY, "manifest.json hashes to %s, not to the signed content digest %.64s", hex, x->content);
	return 0;
}

struct differ {
	size_t n;
	char first[200];
};

static void
count_differ(enum kit_bundle_problem what, const char *path,
	     const char *detail, void *arg)
{
	static const char *const names[] = {"", "changed", "missing", "extra"};
	struct differ *d = arg;
	char safe[160];

	(void)detail;
	if (d->n++ == 0) {
		kit_str_sanitize(path, safe, sizeof(safe));
		snprintf(d->first, sizeof(d->first), "%s %s", safe,
			 names[what]);
	}
}

/* What the signed target p says of its kit at version, for check_signed. */
static void
expect_of(const struct pick *p, int version, struct kit_manifest_target *x)
{
	memset(x, 0, sizeof(*x));
	x->campaign = p->campaign;
	x->office = p->office;
	x->version = version;
	x->content = p->content;
}

/*
 * 1 when releases/<version> of the kit is the signed kit p, file by file
 * (fully hashed unless verified.json holds its unchanged stamp), else 0
 * with the reason in *why: a release that cannot be read is not trusted
 * either, and installing it again reports what is wrong with the disk.
 */
static int
release_intact(struct run *r, const struct pick *p, const char *kitdir,
	       int version, struct kit_error *why)
{
	char stamp[KIT_SHA256_HEX];
	struct kit_manifest_target expect;
	struct differ d = {0, ""};
	const json_t *rec = json_object_get(r->verified, p->campaign);

	if (kit_bundle_release_stamp(kitdir, version, stamp, why) != 0)
		return 0;
	if (json_integer_value(json_object_get(rec, "release")) == version &&
	    p->content &&
	    json_is_string(json_object_get(rec, "content")) &&
	    strcmp(json_string_value(json_object_get(rec, "content")), p->content) == 0 &&
	    json_is_string(json_object_get(rec, "stamp")) &&
	    strcmp(json_string_value(json_object_get(rec, "stamp")), stamp) == 0)
		return 1;
	expect_of(p, version, &expect);
	if (kit_bundle_verify_release(kitdir, version, check_signed, &expect,
				      count_differ, &d, why) != 0) {
		if (d.n > 0) {
			kit_err_clear(why);
			kit_err(why, KIT_E_SECURITY, "%zu file%s differ%s from its manifest: %s%s", d.n, d.n == 1 ? "" : "s", d.n == 1 ? "s" : "", d.first, d.n > 1 ? ", ..." : "");
		}
		return 0;
	}
	/* the stamp taken before hashing: a change while hashing moves it */
	json_object_set_new(r->verified, p->campaign,
			    json_pack("{s:i, s:s, s:s}", "release", version,
				      "content", p->content, "stamp", stamp));
	r->verified_dirty = 1;
	return 1;
}

/* Record a release just installed from a verified archive. */
static void
installed_verified(struct run *r, const struct pick *p, const char *kitdir)
{
	char stamp[KIT_SHA256_HEX];
	struct kit_error ignore = {0};

	json_object_del(r->verified, p->campaign);
	if (p->content &&
	    kit_bundle_release_stamp(kitdir, p->version, stamp, &ignore) == 0)
		json_object_set_new(r->verified, p->campaign,
				    json_pack("{s:i, s:s, s:s}", "release",
					      p->version, "content", p->content,
					      "stamp", stamp));
	r->verified_dirty = 1;
}

/* One range of a pack, for kit_bundle_assemble (the run's transport): the
 * bundle's sink is the transport's, field for field. */
_Static_assert(KIT_BUNDLE_SINK_BAD == KIT_TRANSPORT_SINK_BAD &&
		       KIT_BUNDLE_SINK_AGAIN == KIT_TRANSPORT_SINK_AGAIN,
	       "the sinks' answers differ");
static int
fetch_range_cb(void *arg, const char *pack_hex, uint64_t offset, uint64_t len,
	       const struct kit_bundle_sink *sink, struct kit_error *err)
{
	struct run *r = arg;
	struct kit_transport_sink ts = {sink->held, sink->write, sink->rewind, sink->arg};
	char rel[128];

	if (kit_snprintf(err, rel, sizeof(rel), "packs/%s.pack", pack_hex) != 0)
		return -1;
	return kit_transport_fetch_range(r->t, rel, offset, len, &ts, err);
}

/*
 * The index sha (len bytes, signed) of kit p: fetched into work from rel
 * (NULL: packs/<sha>.idx), parsed, held to the signed target.  0 (*out
 * set), 1 when the mirror does not have it and missing_ok, -1 refused or
 * failed.
 */
static int
load_index(struct run *r, const struct pick *p, const char *sha, uint64_t len,
	   const char *where, int missing_ok, const char *work,
	   struct kit_manifest_index **out, struct kit_error *err)
{
	char rel[PATH_MAX], dl[PATH_MAX];
	unsigned char *text = NULL;
	size_t tlen;
	struct kit_manifest_index *ix = NULL;
	int rc = -1;

	*out = NULL;
	if (kit_snprintf(err, rel, sizeof(rel), where ? "%s" : "packs/%s.idx", where ? where : sha) != 0 ||
	    kit_snprintf(err, dl, sizeof(dl), "%s/%s.idx", work, sha) != 0)
		return -1;
	if (kit_transport_fetch(r->t, rel, dl, len, sha, len, err) != 0) {
		if (missing_ok && err->code == KIT_E_NETWORK && kit_transport_not_found(r->t)) {
			/* an older repository, or a copy with archives only */
			kit_err_clear(err);
			return 1;
		}
		return -1;
	}
	if (kit_file_read(dl, (size_t)len, &text, &tlen, err) != 0)
		goto out;
	ix = kit_manifest_index_parse(text, tlen, rel, err);
	if (ix == NULL) {
		err->code = KIT_E_SECURITY;
		kit_err_suffix(err, "; the signed index is refused");
		goto out;
	}
	if (!ix->kit || strcmp(ix->campaign, p->campaign) != 0 ||
	    strcmp(ix->office, p->office) != 0 || ix->version != p->version ||
	    p->content == NULL || !kit_hex_equal(ix->content, p->content)) {
		kit_err(err, KIT_E_SECURITY, "%s: the index is not of kit %s/%s version %d as its signed target says; refused, tell the publisher", rel, p->campaign, p->office, p->version);
		goto out;
	}
	*out = ix;
	ix = NULL;
	rc = 0;
out:
	(void)unlink(dl);
	free(text);
	kit_manifest_index_free(ix);
	return rc;
}

/* 1 when every file of m is in ix or, with its size, in the base bm. */
static int
index_covers(const struct kit_manifest_index *ix, const struct kit_manifest *m,
	     const struct kit_manifest *bm)
{
	struct kit_manifest_index *have = kit_manifest_index_new();
	size_t i;
	int ok = 1;

	for (i = 0; i < bm->n_files; i++) {
		struct kit_manifest_object b;

		if (kit_manifest_index_find(have, bm->files[i].sha256))
			continue;
		memset(&b, 0, sizeof(b));
		memcpy(b.sha256, bm->files[i].sha256, KIT_SHA256_HEX);
		b.size = bm->files[i].size;
		(void)kit_manifest_index_add(have, &b);
	}
	for (i = 0; ok && i < m->n_files; i++) {
		const struct kit_manifest_object *h =
			kit_manifest_index_find(have, m->files[i].sha256);

		ok = kit_manifest_index_find(ix, m->files[i].sha256) != NULL ||
		     (h != NULL && h->size == m->files[i].size);
	}
	kit_manifest_index_free(have);
	return ok;
}

/*
 * A pack's range could not be had: when no mirror serves ranges (a server
 * that answers with the whole file) or the pack is missing, 1 (the whole
 * archive instead, said once), else -1 as err says.
 */
static int
range_fallback(struct run *r, const struct pick *p, struct kit_error *err)
{
	if (err->code != KIT_E_NETWORK ||
	    (!kit_transport_range_refused(r->t) && !kit_transport_not_found(r->t)))
		return -1;
	if (p->idx && !p->has_arc) {
		/* no archive to fall back to: say what to do */
		if (kit_transport_range_refused(r->t)) {
			char why[sizeof(err->msg)];

			memcpy(why, err->msg, sizeof(why));
			kit_err_clear(err);
			kit_err(err, KIT_E_NETWORK, "%.280s; this kit has packs only, fetched by range: serve the repository from a server that answers Range requests (nginx, Apache, most CDNs), or ask the publisher for --archives", why);
		}
		return -1;
	}
	say(r->o, "%s: %s; downloading the whole archive instead", p->campaign, err->msg);
	kit_err_clear(err);
	return 1;
}

/*
 * Install the signed kit p from the objects it lacks, on top of the
 * installed release cur: the kit's index (its hash and length signed in
 * custom.index; when the installed release is version custom.index.update
 * .from and verified, the smaller index of only what it lacks), its
 * manifest.json (an object or a delta of the installed one, checked by
 * hash, then by the manifest's own rules and against the signed target),
 * then only the files whose content no installed file has, by range
 * requests.  0 installed, 1 when the whole archive is the better way (no
 * index in the target or on the mirror, or most of the kit changed), -1
 * refused or failed (err set; the installed kit is untouched).
 */
static int
delta_install(struct run *r, const struct pick *p, const char *kitdir, int cur,
	      const struct kit_bundle_limits *lim, struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	struct kit_manifest_target kt;
	char rel[PATH_MAX], work[PATH_MAX], staging[PATH_MAX], ixrel[PATH_MAX];
	char stamp[KIT_SHA256_HEX];
	struct kit_manifest_index *ix = NULL;
	struct kit_manifest *m = NULL, *bm = NULL;
	struct kit_manifest_target expect;
	struct kit_bundle_base base = {-1, NULL, 0};
	struct kit_bundle_assembly st;
	struct kit_error ignore = {0};
	const struct kit_manifest_object *mo;
	const json_t *rec = json_object_get(r->verified, p->campaign);
	unsigned char *mb = NULL, *oldm = NULL;
	size_t mlen, oldlen = 0;
	int rc = -1, partial = 0;

	staging[0] = ixrel[0] = '\0';
	(void)kit_manifest_target_read(p->t.custom, &kt, &ignore);
	/* an .idx target is the kit's index: its own hashes, where the
	 * repository keeps it; an archive's index is in packs/ */
	if (p->idx) {
		kt.index_sha256 = p->t.sha256;
		kt.index_length = p->t.length;
		if (kit_tuf_client_target_path(r->c, &p->t, ixrel, sizeof(ixrel), err) != 0)
			return -1;
	}
	if (kt.index_sha256 == NULL)
		return 1;
	if (kit_snprintf(err, work, sizeof(work), "%s/downloads", o->state_dir) != 0 ||
	    kit_snprintf(err, staging, sizeof(staging), "%s/staging/%s.%d", o->state_dir, p->campaign, p->version) != 0)
		return -1;
	/* The installed release: its files are reused when its stamp is the
	 * one last verified, else each is hashed before it is reused.  None
	 * for a first install: every object is fetched. */
	if (kit_snprintf(err, rel, sizeof(rel), "kits/%s/releases/%d", p->campaign, cur) != 0)
		return -1;
	base.dirfd = cur > 0 ? kit_openat_beneath(r->state_fd, rel, O_RDONLY | O_DIRECTORY, 0) : -1;
	if (base.dirfd >= 0)
		bm = current_manifest(r->state_fd, o->state_dir, p->campaign, &ignore);
	if (bm != NULL && bm->version == cur) {
		base.m = bm;
		base.trusted =
			kit_bundle_release_stamp(kitdir, cur, stamp, &ignore) == 0 &&
			json_integer_value(json_object_get(rec, "release")) == cur &&
			json_is_string(json_object_get(rec, "stamp")) &&
			strcmp(json_string_value(json_object_get(rec, "stamp")), stamp) == 0;
	}
	partial = base.trusted && kt.update_sha256 != NULL && kt.update_from == cur;
	rc = partial ? load_index(r, p, kt.update_sha256, kt.update_length, NULL, 1, work, &ix, err) : 1;
	/* the whole index (also when a mirror lacks the smaller one); a
	 * missing .idx target is a failure unless an archive can stand in */
	if (rc == 1)
		rc = load_index(r, p, kt.index_sha256, kt.index_length, ixrel[0] ? ixrel : NULL,
				!p->idx || p->has_arc, work, &ix, err);
	if (rc != 0)
		goto out;
	rc = -1;
	mo = kit_manifest_index_find(ix, ix->manifest_sha256);
	/* the installed manifest.json: the new one may come as a delta of it */
	if (kit_snprintf(err, rel, sizeof(rel), "kits/%s/releases/%d/manifest.json", p->campaign, cur) != 0)
		goto out;
	if (bm == NULL ||
	    kit_file_read_at(r->state_fd, rel, KIT_INDEX_DELTA_MAX, &oldm, &oldlen, &ignore) != 0) {
		oldm = NULL;
		oldlen = 0;
	}
	if (kit_bundle_object_fetch(ix, mo, oldm, oldlen, KIT_MANIFEST_MAX,
				    fetch_range_cb, r, &mb, &mlen, err) != 0) {
		rc = range_fallback(r, p, err);
		goto out;
	}
	m = kit_manifest_parse(mb, mlen, "manifest.json", err);
	if (m == NULL) {
		err->code = KIT_E_SECURITY;
		goto out;
	}
	expect_of(p, p->version, &expect);
	if (check_signed(m, &expect, err) != 0) {
		err->code = KIT_E_SECURITY;
		goto out;
	}
	/* the smaller index must cover what the installed release lacks;
	 * when it does not, the whole index */
	if (partial && !index_covers(ix, m, bm)) {
		kit_manifest_index_free(ix);
		ix = NULL;
		rc = load_index(r, p, kt.index_sha256, kt.index_length, ixrel[0] ? ixrel : NULL,
				!p->idx || p->has_arc, work, &ix, err);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (kit_rm_rf(staging, err) != 0)
		goto out;
	/* an update that would fetch more bytes than the archive: the
	 * archive, when there is one (a first install is from the packs) */
	rc = kit_bundle_assemble(staging, mb, mlen, m, ix, &base, work,
				 !p->idx ? p->t.length : p->has_arc && cur > 0 ? p->arc.length
									       : UINT64_MAX,
				 lim, fetch_range_cb, r, &st, err);
	if (rc < 0)
		rc = range_fallback(r, p, err);
	if (rc != 0)
		goto out;
	rc = -1;
	if (kit_bundle_install(kitdir, staging, p->version,
			       o->keep ? o->keep : KIT_BUNDLE_KEEP_DEFAULT,
			       err) != 0)
		goto out;
	staging[0] = '\0';
	installed_verified(r, p, kitdir);
	r->installed++;
	if (cur > 0)
		say(o, "%s version %d installed in %s/current (%zu files kept from version %d, %zu fetched, %zu of them as deltas: %llu bytes in %zu range request%s)", p->campaign, p->version, kitdir, st.reused, cur, st.fetched, st.deltas, (unsigned long long)st.stored, st.spans, st.spans == 1 ? "" : "s");
	else
		say(o, "%s version %d installed in %s/current (from packs: %zu objects, %llu bytes in %zu range request%s)", p->campaign, p->version, kitdir, st.fetched, (unsigned long long)st.stored, st.spans, st.spans == 1 ? "" : "s");
	log_event(o, "install", p->campaign, p->version, NULL);
	emit_json(o, json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:I}",
			       "event", "installed", "campaign", p->campaign,
			       "office", p->office, "version", p->version,
			       "path", kitdir, "reused_files", (int)st.reused,
			       "fetched_objects", (int)st.fetched,
			       "fetched_bytes", (json_int_t)st.stored));
	rc = 0;
out:
	if (rc != 0 && staging[0] && kit_rm_rf(staging, &ignore) != 0) {
		/* best effort: the run's result stands */
	}
	if (base.dirfd >= 0)
		close(base.dirfd);
	kit_manifest_free(bm);
	kit_manifest_free(m);
	kit_manifest_index_free(ix);
	free(mb);
	free(oldm);
	return rc;
}

static int
install_one(struct run *r, const struct pick *p, struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	char dl[PATH_MAX], staging[PATH_MAX], kitdir[PATH_MAX], rel[PATH_MAX];
	char cur_content[KIT_SHA256_HEX + 8], cur_office[80];
	const char *slash = strrchr(p->t.name, '/');
	const struct kit_tuf_target *at;
	struct kit_bundle_limits lim = kit_bundle_limits_default();
	struct kit_manifest_target expect;
	struct kit_manifest *manifest = NULL;
	struct kit_error why = {0};
	struct stat st;
	int cur, repair = 0, rc = -1;

	dl[0] = staging[0] = '\0';
	/* Limits against decompression bombs, set per office (kit-fetch
	 * init --max-unpacked / --max-ratio), else the bundle defaults. */
	if (json_integer_value(json_object_get(r->config, "max_unpacked")) > 0)
		lim.max_total = (uint64_t)json_integer_value(
			json_object_get(r->config, "max_unpacked"));
	if (json_integer_value(json_object_get(r->config, "max_ratio")) > 0)
		lim.max_ratio = (uint64_t)json_integer_value(
			json_object_get(r->config, "max_ratio"));
	if (p->version == 0)
		return kit_err(err, KIT_E_SECURITY, "target %s: custom.version is not a kit version (an integer from 1 to 2147483647); refused, tell the publisher",
			       p->t.name);
	if (kit_snprintf(err, kitdir, sizeof(kitdir), "%s/kits/%s",
			 o->state_dir, p->campaign) != 0)
		return -1;
	cur = installed(r, p->campaign, cur_content, sizeof(cur_content),
			cur_office, sizeof(cur_office));
	if (cur > 0 && cur == p->version && p->content &&
	    strcmp(cur_content, p->content) == 0 &&
	    strcmp(cur_office, p->office) == 0) {
		/* Up to date only when its files are still the signed ones:
		 * what verify reports, update repairs. */
		if (release_intact(r, p, kitdir, cur, &why)) {
			say(o, "%s is up to date (version %d)", p->campaign, cur);
			emit_json(o, json_pack("{s:s, s:s, s:i}", "event",
					       "up-to-date", "campaign",
					       p->campaign, "version", cur));
			return 0;
		}
		say(o, "%s version %d on disk differs from the signed kit (%s); reinstalling it", p->campaign, cur, why.msg);
		repair = 1;
	}
	/* A lower version of the same bundle is a rollback, even when the
	 * metadata verifies (defence in depth behind TUF's own checks). */
	if (cur > 0 && p->version < cur && strcmp(cur_office, p->office) == 0)
		return kit_err(err, KIT_E_SECURITY,
			       "%s: the repository offers version %d, older than the installed %d (rollback); keeping %d",
			       p->campaign, p->version, cur, cur);
	/* The name and the hash come from signed metadata and become paths
	 * below: a targets key (or a delegated one) must not reach outside
	 * the state directory through them. */
	if (slash == NULL || !kit_tuf_name_is_safe(p->t.name))
		return kit_err(err, KIT_E_SECURITY, "target \"%.200s\": the name is not a safe relative path <campaign>/<file>; refused, tell the publisher", p->t.name);
	if (p->t.sha256 == NULL)
		return kit_err(err, KIT_E_SECURITY, "target %s lists no sha256 hash, which kit-fetch needs; refused, tell the publisher", p->t.name);
	if (p->t.length == 0)
		return kit_err(err, KIT_E_SECURITY, "target %s lists a length of 0 (no kit is empty); refused, tell the publisher", p->t.name);
	/* A zstd frame is barely larger than what it holds: an archive
	 * longer than that cannot unpack within the limit (nor fit on a
	 * disk, at 2^62): refused before any byte is fetched. */
	if (p->t.length > lim.max_total + lim.max_total / 1024 + 65536)
		return kit_err(err, KIT_E_SECURITY, "target %s lists a length of %llu bytes, more than this office unpacks (%llu, kit-fetch init --max-unpacked); refused, tell the publisher", p->t.name,
			       (unsigned long long)p->t.length,
			       (unsigned long long)lim.max_total);
	/* An .idx target is the kit's index, read whole into memory: held
	 * to the size an index may have (as custom.index is), not to what
	 * the kit unpacks to. */
	if (p->idx && p->t.length > KIT_INDEX_KIT_MAX)
		return kit_err(err, KIT_E_SECURITY, "target %s lists a length of %llu bytes, more than the %u bytes a kit's index may have; refused, tell the publisher", p->t.name, (unsigned long long)p->t.length, KIT_INDEX_KIT_MAX);
	if (kit_snprintf(err, staging, sizeof(staging), "%s/staging/%s.%d",
			 o->state_dir, p->campaign, p->version) != 0 ||
	    kit_snprintf(err, rel, sizeof(rel), "%s/releases/%d", kitdir,
			 p->version) != 0)
		return -1;
	/* The release may still be on disk (kept after a rollback): when it
	 * is the signed kit, file by file, switch back to it instead of
	 * downloading it again. */
	if (!repair && lstat(rel, &st) == 0 && S_ISDIR(st.st_mode)) {
		kit_err_clear(&why);
		if (release_intact(r, p, kitdir, p->version, &why)) {
			if (kit_bundle_switch(kitdir, p->version, err) != 0)
				goto out;
			r->installed++;
			say(o, "%s version %d installed in %s/current (from releases/%d on disk, verified against the signed kit)", p->campaign, p->version, kitdir, p->version);
			log_event(o, "install", p->campaign, p->version, NULL);
			emit_json(o, json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}",
					       "event", "installed", "campaign",
					       p->campaign, "office", p->office,
					       "version", p->version, "path",
					       kitdir, "reused", 1));
			return 0;
		}
		say(o, "%s: releases/%d on disk differs from the signed kit (%s); downloading it again", p->campaign, p->version, why.msg);
	}
	/* From the packs: a kit published as its index (.idx) always, an
	 * update of an archive's kit when its target has an index; only
	 * what the installed release lacks, unless the archive is cheaper. */
	if (cur > 0 || p->idx) {
		int d = delta_install(r, p, kitdir, cur, &lim, err);

		if (d == 0)
			return 0;
		if (d < 0)
			goto out;
		if (p->idx && !p->has_arc) {
			kit_err(err, KIT_E_NETWORK, "target %s: its packs cannot be had and the repository has no archive of it; run kit-fetch update again later, or ask the publisher to publish with --archives", p->t.name);
			goto out;
		}
	}
	/* the archive: the target itself, or the .idx target's fallback */
	at = p->idx ? &p->arc : &p->t;
	slash = strrchr(at->name, '/');
	if (slash == NULL || !kit_tuf_name_is_safe(at->name) || at->sha256 == NULL || at->length == 0 ||
	    at->length > lim.max_total + lim.max_total / 1024 + 65536) {
		kit_err(err, KIT_E_SECURITY, "target %s: not an archive kit-fetch can take (its name, hash or length); refused, tell the publisher", at->name);
		goto out;
	}
	if (kit_snprintf(err, dl, sizeof(dl), "%s/downloads/%s.%s.%s",
			 o->state_dir, at->sha256, p->campaign, slash + 1) != 0)
		goto out;
	/* where the repository keeps it, as its trusted root says */
	if (kit_tuf_client_target_path(r->c, at, rel, sizeof(rel), err) != 0)
		goto out;
	/* The transport hashes while the bytes stream in and checks length
	 * and SHA-256 against the signed target before the file is renamed
	 * into place; the extractor only ever sees verified bytes. */
	/* A download an earlier run finished but did not install (killed,
	 * power cut) is used only when it still has the signed hash. */
	if (kit_file_exists(dl)) {
		char hex[KIT_SHA256_HEX];
		uint64_t len = 0;

		if (kit_sha256_file(dl, hex, &len, err) != 0)
			goto out;
		if (len != at->length || !kit_hex_equal(hex, at->sha256))
			(void)unlink(dl);
	}
	if (!kit_file_exists(dl) &&
	    kit_transport_fetch(r->t, rel, dl, at->length, at->sha256,
				at->length, err) != 0)
		goto out;
	expect_of(p, p->version, &expect);
	if (kit_rm_rf(staging, err) != 0)
		goto out;
	if (kit_bundle_extract(dl, staging, &lim, kit_bundle_check_expect,
			       &expect, &manifest, err) != 0)
		goto out;
	if (kit_bundle_install(kitdir, staging, p->version,
			       o->keep ? o->keep : KIT_BUNDLE_KEEP_DEFAULT,
			       err) != 0)
		goto out;
	(void)unlink(dl);
	installed_verified(r, p, kitdir);
	r->installed++;
	say(o, "%s version %d installed in %s/current", p->campaign,
	    p->version, kitdir);
	log_event(o, "install", p->campaign, p->version, NULL);
	emit_json(o, json_pack("{s:s, s:s, s:s, s:i, s:s}", "event",
			       "installed", "campaign", p->campaign, "office",
			       p->office, "version", p->version, "path",
			       kitdir));
	rc = 0;
out:
	if (rc != 0) {
		struct kit_error ignore = {0};

		/* Bad bytes must not be retried from disk next time. */
		if (err->code == KIT_E_SECURITY && dl[0])
			(void)unlink(dl);
		if (staging[0] && kit_rm_rf(staging, &ignore) != 0) {
			/* best effort: the run's result stands */
		}
		kit_err_prefix(err, "%s", p->campaign);
	}
	kit_manifest_free(manifest);
	return rc;
}

static void
write_status(const struct kit_fetcher_opts *o, const struct kit_error *e)
{
	char path[PATH_MAX], when[32], *text;
	struct kit_error ignore = {0};
	json_t *j;

	if (state_path(o, path, sizeof(path), "status.json", &ignore) != 0)
		return;
	kit_time_format_utc(kit_time_now(), when, sizeof(when));
	j = json_pack("{s:s, s:s}", "last_check", when, "result",
		      e->code == KIT_E_OK ? "ok" : "failed");
	if (j == NULL)
		return;
	if (e->code != KIT_E_OK) {
		json_object_set_new(j, "reason", json_string(e->msg));
		json_object_set_new(j, "exit", json_integer(kit_err_exit_code(e)));
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text)
		if (kit_file_write_atomic(path, text, strlen(text), 0644,
					  &ignore) != 0) {
			/* best effort: the run's result stands */
		}
	free(text);
	json_decref(j);
}

/*
 * A campaign installed here that the repository no longer offers was
 * retired (kit-publish retire): its kit stays, or goes when init said
 * --retired remove.  Only after a full update that verified, so a
 * failed or partial run never removes anything.
 */
static int
retired(struct run *r, const struct pick *picks, size_t np,
	struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	const char *mode = json_string_value(json_object_get(r->config, "retired"));
	int remove = mode != NULL && strcmp(mode, "remove") == 0;
	char shown[PATH_MAX], rel[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	size_t j, k, nn = 0;
	char **gone = NULL;
	int kfd = -1, rc = -1;

	if (kit_snprintf(err, shown, sizeof(shown), "%s/kits", o->state_dir) != 0)
		return -1;
	kfd = kit_dir_open_owned(r->state_fd, "kits", 0, shown, err);
	if (kfd < 0)
		return -1;
	d = kit_dir_list(kfd, shown, err);
	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (!kit_str_is_id(de->d_name, 0))
			continue;
		for (j = 0; j < np && strcmp(picks[j].campaign, de->d_name) != 0; j++)
			;
		if (j < np)
			continue;
		gone = kit_xrealloc(gone, (nn + 1) * sizeof(*gone));
		gone[nn++] = kit_strdup(de->d_name);
	}
	for (k = 0; k < nn; k++) {
		if (!remove) {
			say(o, "%s is retired: the repository no longer offers it; its kit stays in %s/%s (init --retired remove drops retired kits)", gone[k], shown, gone[k]);
			continue;
		}
		if (kit_snprintf(err, rel, sizeof(rel), "%s/%s", shown, gone[k]) != 0 ||
		    kit_rm_rf_at(kfd, gone[k], rel, err) != 0)
			goto out;
		say(o, "%s is retired: its kit was removed from %s", gone[k], rel);
		log_event(o, "retired", gone[k], 0, NULL);
		emit_json(o, json_pack("{s:s, s:s}", "event", "removed-retired", "campaign", gone[k]));
	}
	rc = 0;
out:
	for (k = 0; k < nn; k++)
		free(gone[k]);
	free(gone);
	if (d)
		closedir(d);
	close(kfd);
	return rc;
}

/*
 * The organisation's registry of offices (kit_org.h), when the repository
 * signs one: kept as <state>/offices.json and downloaded again only when
 * its signed hash changed.  NULL with err untouched when the repository
 * has none; NULL with err set when it cannot be had or does not parse.
 */
static struct kit_org *
registry_load(struct run *r, struct kit_tuf_client *c, struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	struct kit_tuf_target t;
	struct kit_error none = {0};
	unsigned char *buf = NULL;
	char hex[KIT_SHA256_HEX], dl[PATH_MAX], path[PATH_MAX];
	struct kit_org *org = NULL;
	size_t len = 0;

	if (kit_tuf_client_target_get(c, KIT_ORG_TARGET, &t, &none) != 0)
		return NULL;
	if (t.sha256 == NULL || t.length == 0 || t.length > KIT_ORG_MAX_BYTES) {
		kit_err(err, KIT_E_SECURITY, "target %s lists no sha256 or a length over %u bytes; refused, tell the publisher", KIT_ORG_TARGET, KIT_ORG_MAX_BYTES);
		return NULL;
	}
	if (kit_file_read_at(r->state_fd, KIT_ORG_TARGET, KIT_ORG_MAX_BYTES, &buf, &len, &none) == 0) {
		kit_sha256_hex(buf, len, hex);
		if (strcmp(hex, t.sha256) == 0 && len == t.length)
			goto parse;
		free(buf);
		buf = NULL;
	}
	if (kit_snprintf(err, dl, sizeof(dl), "%s/downloads/%s.%s", o->state_dir, t.sha256, KIT_ORG_TARGET) != 0 ||
	    state_path(o, path, sizeof(path), KIT_ORG_TARGET, err) != 0 ||
	    kit_tuf_client_fetch_target(c, KIT_ORG_TARGET, dl, err) != 0)
		return NULL;
	if (kit_file_read(dl, KIT_ORG_MAX_BYTES, &buf, &len, err) != 0 ||
	    kit_file_write_atomic(path, buf, len, 0644, err) != 0) {
		(void)unlink(dl);
		free(buf);
		return NULL;
	}
	(void)unlink(dl);
parse:
	org = kit_org_parse(buf, len, KIT_ORG_TARGET, err);
	free(buf);
	if (org == NULL)
		err->code = KIT_E_SECURITY; /* signed, yet not a registry */
	return org;
}

/*
 * Beside a global kit that an office in the registry installed (it has no
 * overlay of its own), kits/<campaign>/office.json: that office's entry of
 * the signed registry, so kit-schedule shows the kit in the office's zone
 * and resolves floating post times there (kit_schedule_load).  Removed
 * when the office has its own kit.  Written only when it changes.
 */
static int
office_beside(struct run *r, const struct kit_org *org, const char *office,
	      const struct pick *p, struct kit_error *err)
{
	const struct kit_org_office *f = kit_org_find(org, office);
	struct kit_error none = {0};
	struct kit_org *one = NULL;
	unsigned char *old = NULL;
	char rel[PATH_MAX], path[PATH_MAX], *bytes = NULL;
	size_t len = 0, olen = 0;
	int rc = -1;

	if (kit_snprintf(err, rel, sizeof(rel), "kits/%s/office.json", p->campaign) != 0 ||
	    state_path(r->o, path, sizeof(path), rel, err) != 0)
		return -1;
	if (f == NULL || strcmp(p->office, "global") != 0) {
		if (unlinkat(r->state_fd, rel, 0) != 0 && errno != ENOENT)
			return kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s", path);
		return 0;
	}
	one = kit_org_new();
	if (kit_org_set(one, f, &none) != 0) {
		/* this machine's tz database lacks the zone: nothing to show */
		kit_org_free(one);
		return 0;
	}
	bytes = kit_org_write(one, &len, err);
	if (bytes == NULL)
		goto out;
	if (kit_file_read_at(r->state_fd, rel, KIT_ORG_MAX_BYTES, &old, &olen, &none) == 0 &&
	    olen == len && memcmp(old, bytes, len) == 0) {
		rc = 0;
		goto out;
	}
	rc = kit_file_write_atomic(path, bytes, len, 0644, err);
out:
	free(old);
	free(bytes);
	kit_org_free(one);
	return rc;
}

/* An office the registry does not list gets nothing: a typo at init
 * ("kenia") would otherwise install the global kits without a word. */
static int
office_registered(const struct kit_org *org, const char *office,
		  const char *state_dir, struct kit_error *err)
{
	const char *meant;

	if (org == NULL || office == NULL || kit_org_count(org) == 0 ||
	    kit_org_find(org, office))
		return 0;
	meant = kit_org_closest(org, office);
	if (meant)
		return kit_err(err, KIT_E_USAGE, "office '%.64s' is not in the organisation's registry of %zu offices; did you mean %s? set it with 'kit-fetch init --state %s --root ROOT --url URL --office %s'", office, kit_org_count(org), meant, state_dir, meant);
	return kit_err(err, KIT_E_USAGE, "office '%.64s' is not in the organisation's registry of %zu offices; ask HQ for this office's id ('kit-publish office list') and set it with 'kit-fetch init --state %s ... --office ID'", office, kit_org_count(org), state_dir);
}

static void
nothing_new(const struct kit_fetcher_opts *o, int64_t offered,
	    int64_t trusted)
{
	say(o, "nothing new on %s: its timestamp is version %lld, %s the version %lld this office already trusts", o->from_dir, (long long)offered, offered < trusted ? "older than" : "the same as", (long long)trusted);
	emit_json(o, json_pack("{s:s, s:s, s:I, s:I}", "event", "nothing-new",
			       "from", o->from_dir, "offered",
			       (json_int_t)offered, "trusted",
			       (json_int_t)trusted));
}

/* A local failure deep down says what broke; add what to do about it. */
static void
advise_io(const struct kit_fetcher_opts *o, struct kit_error *err)
{
	size_t n = strlen(err->msg);
	int full;

	if (err->code != KIT_E_IO || strstr(err->msg, "; ") != NULL)
		return;
	full = strstr(err->msg, "No space left") != NULL;
	if (n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, "; %s %s%s",
			 full ? "free space on the disk of" : "check that",
			 o->state_dir,
			 full ? " and run again"
			      : " is writable by this user, then run again");
}

/*
 * <state>/poll.json: what the last complete update (every campaign, none
 * refused) left: the digest of the trusted timestamp.json, the earliest
 * expiry of the metadata it relied on, a digest of the configuration, and
 * for each campaign the release installed, the kit it is (office) and
 * the digest of the registry's entry written beside it (office.json, or
 * null).  The next update hands the first two to the TUF client
 * (kit_tuf_client_set_unchanged_hint): when the repository answers that
 * its timestamp is unchanged, and every kit is still that release with
 * the stamp verified.json holds for it, the poll is done: one request,
 * nothing else loaded or verified again.  Anything else (a new timestamp,
 * another configuration, a kit changed, rolled back or missing, a due
 * root walk, an expiry) takes the whole update.  Read as hostile input:
 * it can only cause the whole update, and every kit it names is checked on
 * disk.  Removed before anything a full update changes, so a failed one
 * leaves none.
 */
#define POLL_FILE "poll.json"
#define POLL_MAX (1u << 20)

static void
config_digest(const json_t *config, char *hex)
{
	char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);

	kit_sha256_hex(text ? text : "", text ? strlen(text) : 0, hex);
	free(text);
}

/* The digest of kits/<campaign>/office.json into hex; 0 when there is
 * none (hex ""), -1 when it cannot be read. */
static int
beside_digest(const struct run *r, const char *campaign, char *hex)
{
	char rel[PATH_MAX];
	struct kit_error ignore = {0};
	unsigned char *buf = NULL;
	struct stat st;
	size_t len;

	hex[0] = '\0';
	if (kit_snprintf(&ignore, rel, sizeof(rel), "kits/%s/office.json", campaign) != 0)
		return -1;
	if (fstatat(r->state_fd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (kit_file_read_at(r->state_fd, rel, KIT_ORG_MAX_BYTES, &buf, &len, &ignore) != 0)
		return -1;
	kit_sha256_hex(buf, len, hex);
	free(buf);
	return 0;
}

static json_t *
poll_load(const struct run *r)
{
	struct kit_error ignore = {0};
	char hex[KIT_SHA256_HEX];
	json_t *j;

	if (r->o->from_dir != NULL)
		return NULL;
	j = load_json_at(r->state_fd, POLL_FILE, POLL_MAX, &ignore);
	config_digest(r->config, hex);
	if (j != NULL &&
	    json_integer_value(json_object_get(j, "format")) == 1 &&
	    kit_hex_is_digest(json_string_value(json_object_get(j, "timestamp")), KIT_SHA256_LEN) &&
	    json_is_integer(json_object_get(j, "expires")) &&
	    json_is_object(json_object_get(j, "kits")) &&
	    json_is_string(json_object_get(j, "config")) &&
	    strcmp(json_string_value(json_object_get(j, "config")), hex) == 0)
		return j;
	json_decref(j);
	return NULL;
}

/* 1 when every kit poll names is on disk as the last complete update left
 * it (its release current, the stamp verified.json holds, the same
 * office.json beside it), each then reported up to date; else 0. */
static int
poll_kits_intact(struct run *r, const json_t *poll)
{
	const json_t *kits = json_object_get(poll, "kits"), *k, *v, *b;
	char kitdir[PATH_MAX], stamp[KIT_SHA256_HEX], hex[KIT_SHA256_HEX];
	struct kit_error ignore = {0};
	const char *campaign;
	int cur;

	json_object_foreach ((json_t *)kits, campaign, k) {
		v = json_object_get(r->verified, campaign);
		b = json_object_get(k, "beside");
		cur = 0;
		if (!kit_str_is_id(campaign, 0) ||
		    kit_snprintf(&ignore, kitdir, sizeof(kitdir), "%s/kits/%s", r->o->state_dir, campaign) != 0 ||
		    kit_bundle_current_version(kitdir, &cur, &ignore) != 0 || cur < 1 ||
		    json_integer_value(json_object_get(k, "release")) != cur ||
		    json_integer_value(json_object_get(v, "release")) != cur ||
		    !json_is_string(json_object_get(v, "stamp")) ||
		    kit_bundle_release_stamp(kitdir, cur, stamp, &ignore) != 0 ||
		    strcmp(stamp, json_string_value(json_object_get(v, "stamp"))) != 0 ||
		    beside_digest(r, campaign, hex) != 0 ||
		    (json_is_string(b) ? strcmp(hex, json_string_value(b)) != 0 : hex[0] != '\0'))
			return 0;
	}
	json_object_foreach ((json_t *)kits, campaign, k) {
		cur = (int)json_integer_value(json_object_get(k, "release"));
		say(r->o, "%s is up to date (version %d)", campaign, cur);
		emit_json(r->o, json_pack("{s:s, s:s, s:i}", "event", "up-to-date", "campaign", campaign, "version", cur));
	}
	return 1;
}

/* After a complete update: poll.json for the next one (best effort). */
static void
poll_save(struct run *r, struct kit_tuf_client *c, const struct pick *picks,
	  size_t np)
{
	char ts[KIT_SHA256_HEX], cfg[KIT_SHA256_HEX], hex[KIT_SHA256_HEX];
	char path[PATH_MAX];
	struct kit_error ignore = {0};
	json_t *j, *kits = json_object();
	int64_t expires = kit_tuf_client_earliest_expiry(c);
	char *text = NULL;
	size_t i;

	if (r->o->from_dir != NULL || expires <= 0 ||
	    kit_tuf_client_timestamp_digest(c, ts) != 0) {
		json_decref(kits);
		return;
	}
	for (i = 0; i < np; i++) {
		if (beside_digest(r, picks[i].campaign, hex) != 0) {
			json_decref(kits);
			return;
		}
		json_object_set_new(kits, picks[i].campaign,
				    json_pack("{s:i, s:s, s:o}", "release", picks[i].version, "office", picks[i].office, "beside", hex[0] ? json_string(hex) : json_null()));
	}
	config_digest(r->config, cfg);
	j = json_pack("{s:i, s:s, s:I, s:s, s:o}", "format", 1, "timestamp", ts, "expires", (json_int_t)expires, "config", cfg, "kits", kits);
	if (j != NULL)
		text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL &&
	    state_path(r->o, path, sizeof(path), POLL_FILE, &ignore) == 0 &&
	    kit_file_write_atomic(path, text, strlen(text), 0644, &ignore) != 0) {
		/* best effort: the next update is a whole one */
	}
	free(text);
	json_decref(j);
}

/* The campaign ids given on the command line, checked before anything
 * reads the state. */
static int
check_campaign_ids(const char *const *campaigns, size_t n,
		   struct kit_error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!kit_str_is_id(campaigns[i], 0))
			return kit_err(err, KIT_E_USAGE, "'%.64s' is not a campaign id (lower case letters, digits and '-')", campaigns[i]);
	return 0;
}

/* The TUF client over the state's metadata, fetching through r. */
static struct kit_tuf_client *
client_new(struct run *r, struct kit_error *err)
{
	struct kit_tuf_client *c;
	char meta[PATH_MAX];

	if (state_path(r->o, meta, sizeof(meta), "metadata", err) != 0)
		return NULL;
	c = kit_tuf_client_new(meta, fetch_cb, r, err);
	if (c == NULL)
		return NULL;
	r->c = c;
	/* An unchanged repository costs one request (the timestamp, 304)
	 * when the validators of the trusted one are kept; without them the
	 * update runs in the specification's order. */
	kit_tuf_client_set_lazy_root(c, r->etag[0] != '\0' || r->lm[0] != '\0');
	/* a role signing outside its paths (an office key signing another
	 * office's kit) is refused, not ignored */
	kit_tuf_client_set_strict_paths(c, 1);
	return c;
}

/*
 * The TUF update, with poll (poll.json, or NULL) as the hint that the
 * repository is unchanged.  1: nothing more to do (an old stick, or an
 * unchanged repository with every kit as it was left); 0: go on with the
 * targets; -1: refused or failed, err says why and what to do.
 */
static int
trusted_update(struct run *r, const json_t *poll, struct kit_error *err)
{
	const struct kit_fetcher_opts *o = r->o;
	struct kit_tuf_client *c = r->c;
	int64_t offered, trusted;

	if (poll != NULL)
		kit_tuf_client_set_unchanged_hint(c, json_string_value(json_object_get(poll, "timestamp")), json_integer_value(json_object_get(poll, "expires")));
	for (;;) {
		if (kit_tuf_client_update(c, err) != 0) {
			/* A copy on removable media signed before what this
			 * office already trusts is an old stick, not news:
			 * nothing of it was trusted.  Served online, it stays
			 * a rollback refusal. */
			if (o->from_dir &&
			    kit_tuf_client_timestamp_versions(c, &offered, &trusted) &&
			    offered < trusted) {
				nothing_new(o, offered, trusted);
				kit_err_clear(err);
				return 1;
			}
			if (err->code == KIT_E_NETWORK) {
				/* a transport failure, not a refusal */
				kit_err_prefix(err, "could not update from %s", source_of(r));
				kit_err_suffix(err, "the installed kits are kept: check the network or the mirror, then run again");
			} else
				kit_err_prefix(err, "refused update from %s", source_of(r));
			return -1;
		}
		save_validators(r);
		if (!kit_tuf_client_unchanged(c))
			break;
		if (poll_kits_intact(r, poll))
			return 1;
		/* a kit is not as it was left: the whole update, to repair */
		kit_tuf_client_set_unchanged_hint(c, NULL, 0);
	}
	if (unlinkat(r->state_fd, POLL_FILE, 0) != 0 && errno != ENOENT)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot remove %s/%s", o->state_dir, POLL_FILE);
	return 0;
}

/* Every campaign the command line names is one the repository offers. */
static int
check_offered(const struct pick *picks, size_t np,
	      const char *const *campaigns, size_t n, struct kit_error *err)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < np; j++)
			if (strcmp(picks[j].campaign, campaigns[i]) == 0)
				break;
		if (j == np)
			return kit_err(err, KIT_E_INVALID, "campaign %s is not in the repository; 'kit-fetch status' lists what is installed", campaigns[i]);
	}
	return 0;
}

/* Each pick the command line asks for (all without campaigns), installed;
 * one that fails does not stop the others: each is logged, the first
 * error is kept in first. */
static int
install_picks(struct run *r, struct pick *picks, size_t np,
	      const char *const *campaigns, size_t n, const struct kit_org *org,
	      const char *office, struct kit_error *first)
{
	size_t i, j;
	int failed = 0;

	for (j = 0; j < np; j++) {
		struct kit_error e = {0};
		int wanted = n == 0;

		for (i = 0; i < n; i++)
			wanted |= strcmp(picks[j].campaign, campaigns[i]) == 0;
		if (!wanted)
			continue;
		if (install_one(r, &picks[j], &e) != 0 ||
		    (org != NULL && office != NULL &&
		     office_beside(r, org, office, &picks[j], &e) != 0)) {
			log_event(r->o, "refused", picks[j].campaign,
				  picks[j].version, &e);
			kit_err_copy(first, &e); /* the first one wins */
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

int
kit_fetcher_update(const struct kit_fetcher_opts *o,
		   const char *const *campaigns, size_t n,
		   struct kit_error *err)
{
	struct run r;
	struct kit_tuf_client *c = NULL;
	struct pick *picks = NULL;
	struct kit_org *org = NULL;
	char path[PATH_MAX];
	const char *office;
	size_t np;
	int lock = -1, rc = -1, failed = 0, done;
	int64_t offered, trusted;
	struct kit_error first = {0};
	struct state st;
	json_t *poll = NULL;

	memset(&r, 0, sizeof(r));
	if (state_open(o, 1, &st, err) != 0)
		return -1;
	o = &st.o;
	r.o = o;
	r.state_fd = st.fd;
	if (check_campaign_ids(campaigns, n, err) != 0) {
		state_close(&st);
		return -1;
	}
	if (kit_bundle_lock(o->state_dir, &lock, err) != 0)
		goto out;
	if (kit_bundle_clean_staging(o->state_dir, err) != 0)
		goto out;
	r.verified = load_verified(o);
	if (state_path(o, path, sizeof(path), "config.json", err) != 0)
		goto out;
	r.config = load_json(path, CONFIG_MAX, err);
	if (r.config == NULL || open_transport(&r, err) != 0)
		goto out;
	load_validators(&r);
	c = client_new(&r, err);
	if (c == NULL)
		goto out;
	/* An unchanged repository, every kit as the last complete update
	 * left it: the timestamp request is the whole poll (poll.json). */
	if (n == 0)
		poll = poll_load(&r);
	done = trusted_update(&r, poll, err);
	if (done != 0) {
		rc = done > 0 ? 0 : -1;
		goto out;
	}
	office = json_string_value(json_object_get(r.config, "office"));
	org = registry_load(&r, c, err);
	if ((org == NULL && err->code != KIT_E_OK) ||
	    office_registered(org, office, o->state_dir, err) != 0)
		goto out;
	/* One pick per campaign at most, so the targets bound them: every
	 * campaign the repository offers is installed, none skipped. */
	picks = kit_xcalloc(kit_tuf_client_target_count(c) + 1, sizeof(*picks));
	if (pick_targets(c, office, picks, kit_tuf_client_target_count(c) + 1,
			 &np, err) != 0) {
		kit_err_prefix(err, "refused update from %s", source_of(&r));
		goto out;
	}
	if (check_offered(picks, np, campaigns, n, err) != 0)
		goto out;
	if (install_picks(&r, picks, np, campaigns, n, org, office, &first) != 0) {
		failed = 1;
		kit_err_copy(err, &first);
		advise_io(o, err);
		goto out;
	}
	if (n == 0 && retired(&r, picks, np, err) != 0)
		goto out;
	if (n == 0)
		poll_save(&r, c, picks, np);
	if (np == 0)
		say(o, "the repository has no kit for this office yet");
	if (o->from_dir && r.installed == 0 &&
	    kit_tuf_client_timestamp_versions(c, &offered, &trusted))
		nothing_new(o, offered, trusted);
	rc = 0;
out:
	if (rc != 0 && !failed) {
		advise_io(o, err);
		log_event(o, "refused", NULL, 0, err);
	}
	if (lock >= 0) {
		if (r.verified_dirty)
			save_verified(o, r.verified);
		write_status(o, rc == 0 ? &first : err);
		kit_bundle_unlock(lock);
	}
	if (r.t && !o->quiet && !o->json) {
		const struct kit_transport_stats *s = kit_transport_stats(r.t);

		say(o, "%llu request%s, %llu bytes received",
		    (unsigned long long)s->requests, s->requests == 1 ? "" : "s",
		    (unsigned long long)s->bytes_received);
	}
	free(picks);
	json_decref(poll);
	kit_org_free(org);
	kit_tuf_client_free(c);
	kit_transport_free(r.t);
	json_decref(r.config);
	json_decref(r.verified);
	state_close(&st);
	return rc;
}

int
kit_fetcher_status(const struct kit_fetcher_opts *o, FILE *out,
		   struct kit_error *err)
{
	struct kit_error ignore = {0};
	struct kit_manifest *m;
	json_t *status, *kits, *cfg;
	DIR *d;
	struct dirent *de;
	char *text;
	struct state st;
	int dfd;

	/* read only, as whoever runs it: nothing is followed through a
	 * link below the state directory */
	if (state_open(o, 0, &st, err) != 0)
		return -1;
	o = &st.o;
	status = load_json_at(st.fd, "status.json", STATUS_MAX, &ignore);
	if (status == NULL)
		status = json_pack("{s:s}", "result", "never updated");
	cfg = load_json_at(st.fd, "config.json", CONFIG_MAX, &ignore);
	if (cfg) {
		json_object_set(status, "url", json_object_get(cfg, "url"));
		json_object_set(status, "office", json_object_get(cfg, "office"));
		json_decref(cfg);
	}
	kits = json_array();
	json_object_set_new(status, "kits", kits);
	dfd = openat(st.fd, "kits", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL && dfd >= 0)
		close(dfd);
	while (d && (de = readdir(d)) != NULL) {
		char mp[PATH_MAX];

		if (!kit_str_is_id(de->d_name, 0) ||
		    snprintf(mp, sizeof(mp), "%s/kits/%s/current", st.dir,
			     de->d_name) >= (int)sizeof(mp))
			continue;
		m = current_manifest(st.fd, st.dir, de->d_name, &ignore);
		kit_err_clear(&ignore);
		if (m == NULL)
			continue;
		json_array_append_new(
			kits, json_pack("{s:s, s:s, s:i, s:s, s:{s:s, s:s}, s:s}",
					"campaign", de->d_name, "office",
					m->office, "version", m->version,
					"title", m->title, "window", "start",
					m->window_start, "end", m->window_end,
					"path", mp));
		kit_manifest_free(m);
	}
	if (d)
		closedir(d);
	if (o->json) {
		text = json_dumps(status, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(out, "%s\n", text ? text : "{}");
		free(text);
	} else {
		size_t i;
		json_t *k;
		char safe[256], url[256], office[80], when[64], result[64];
		char camp[256];
		const char *reason;

		/* status.json, config.json and the kits are in the state
		 * directory: nothing from there reaches the terminal as is */
		kit_str_sanitize(str_or(json_string_value(json_object_get(status, "url")), "none: updates come from removable media (--from)"), url, sizeof(url));
		kit_str_sanitize(str_or(json_string_value(json_object_get(status, "office")), "global"), office, sizeof(office));
		kit_str_sanitize(str_or(json_string_value(json_object_get(status, "last_check")), "never"), when, sizeof(when));
		kit_str_sanitize(str_or(json_string_value(json_object_get(status, "result")), "-"), result, sizeof(result));
		fprintf(out, "repository: %s\noffice:     %s\nlast check: %s (%s)\n",
			url, office, when, result);
		reason = json_string_value(json_object_get(status, "reason"));
		if (reason) {
			/* whole: sanitising never makes text longer */
			char *clean = kit_xmalloc(strlen(reason) + 1);

			kit_str_sanitize(reason, clean, strlen(reason) + 1);
			fprintf(out, "last error: %s\n", clean);
			free(clean);
		}
		json_array_foreach (kits, i, k) {
			kit_str_sanitize(str_or(json_string_value(json_object_get(k, "title")), ""),
					 safe, sizeof(safe));
			kit_str_sanitize(str_or(json_string_value(json_object_get(k, "campaign")), ""), camp, sizeof(camp));
			kit_str_sanitize(str_or(json_string_value(json_object_get(k, "office")), ""), office, sizeof(office));
			fprintf(out, "%-20s version %-3lld %-12s %s\n", camp,
				(long long)json_integer_value(
					json_object_get(k, "version")),
				office, safe);
		}
		if (json_array_size(kits) == 0)
			fprintf(out, "no kit installed yet\n");
	}
	json_decref(status);
	state_close(&st);
	return 0;
}

/* Kits verify found changed are hashed again by the next update, even
 * when the change left their stamp as it was (a failing disk, a clock set
 * back).  Best effort: skipped while an update holds the lock. */
static void
forget_verified(const struct kit_fetcher_opts *o, const json_t *campaigns)
{
	struct kit_error ignore = {0};
	json_t *kits, *c;
	size_t i;
	int lock = -1;

	if (kit_bundle_lock(o->state_dir, &lock, &ignore) != 0)
		return;
	kits = load_verified(o);
	json_array_foreach (campaigns, i, c)
		json_object_del(kits, json_string_value(c));
	save_verified(o, kits);
	json_decref(kits);
	kit_bundle_unlock(lock);
}

struct verify_ctx {
	FILE *out;
	const char *campaign;
	size_t problems;
};

static void
verify_report(enum kit_bundle_problem what, const char *path,
	      const char *detail, void *arg)
{
	struct verify_ctx *v = arg;
	static const char *const names[] = {"", "changed", "missing", "extra"};
	char safe[512], why[512];

	kit_str_sanitize(path, safe, sizeof(safe));
	kit_str_sanitize(detail ? detail : "", why, sizeof(why));
	fprintf(v->out, "%s: %s %s%s%s\n", v->campaign, names[what], safe,
		detail ? ": " : "", why);
	v->problems++;
}

int
kit_fetcher_verify(const struct kit_fetcher_opts *o, FILE *out,
		   struct kit_error *err)
{
	char path[PATH_MAX], kd[PATH_MAX], name[256];
	DIR *d;
	struct dirent *de;
	struct verify_ctx v = {out, NULL, 0};
	json_t *changed;
	size_t kits = 0;
	int rc = 0;
	struct state st;

	if (state_open(o, 1, &st, err) != 0)
		return -1;
	o = &st.o;
	if (state_path(o, path, sizeof(path), "kits", err) != 0) {
		state_close(&st);
		return -1;
	}
	changed = json_array();
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		struct kit_error e = {0};

		if (de->d_name[0] == '.' ||
		    kit_path_join(kd, sizeof(kd), path, de->d_name, &e) != 0)
			continue;
		kit_str_sanitize(de->d_name, name, sizeof(name));
		v.campaign = name;
		kits++;
		if (kit_bundle_verify(kd, verify_report, &v, &e) != 0) {
			kit_err_copy(err, &e);
			rc = -1;
			json_array_append_new(changed, json_string(de->d_name));
		} else {
			fprintf(out, "%s: ok\n", name);
		}
	}
	if (d)
		closedir(d);
	if (json_array_size(changed) > 0)
		forget_verified(o, changed);
	json_decref(changed);
	if (rc != 0) {
		log_event(o, "verify-failed", NULL, 0, err);
		kit_err_prefix(err, "installed kits changed on disk (%zu problem%s); run 'kit-fetch update' to restore them",
			       v.problems, v.problems == 1 ? "" : "s");
	} else if (kits == 0) {
		fprintf(out, "no kit installed\n");
	}
	state_close(&st);
	return rc;
}

int
kit_fetcher_rollback(const struct kit_fetcher_opts *o, const char *campaign,
		     struct kit_error *err)
{
	char kd[PATH_MAX];
	int lock = -1, rc = -1, v = 0;
	struct state st;

	if (!kit_str_is_id(campaign, 0))
		return kit_err(err, KIT_E_USAGE, "'%.64s' is not a campaign id",
			       campaign);
	if (state_open(o, 1, &st, err) != 0)
		return -1;
	o = &st.o;
	if (kit_snprintf(err, kd, sizeof(kd), "%s/kits/%s", o->state_dir,
			 campaign) != 0)
		goto out;
	if (!kit_dir_exists(kd)) {
		kit_err(err, KIT_E_INVALID,
			"campaign %s is not installed; see 'kit-fetch status'",
			campaign);
		goto out;
	}
	if (kit_bundle_lock(o->state_dir, &lock, err) != 0)
		goto out;
	if (kit_bundle_rollback(kd, err) == 0 &&
	    kit_bundle_current_version(kd, &v, err) == 0) {
		say(o, "%s rolled back to version %d", campaign, v);
		log_event(o, "rollback", campaign, v, NULL);
		rc = 0;
	}
	kit_bundle_unlock(lock);
out:
	state_close(&st);
	return rc;
}
