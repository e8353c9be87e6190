/* prune.c: old metadata versions and unnamed target files leave the
 * repository once no client can need them (kit_tuf_repo_prune). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_tuf.h"
#include "tuf_int.h"

/* One versioned metadata file: N.<role>.json. */
struct vfile {
	char *name;
	char *role; /* "snapshot", "targets", a delegated role's file name */
	int64_t version;
	int64_t mtime;
	int keep;
};

/* A target file old enough to go, if no kept metadata names it. */
struct cand {
	char *path;
	char hex[KIT_SHA256_HEX];
};

struct prune {
	struct kit_tuf_repo *r;
	char mdir[4096];
	struct vfile *v;
	size_t n;
	struct cand *c;
	size_t nc;
	json_t *by_hex; /* sha256 -> how many candidates have it */
	size_t unnamed; /* candidates no hash collected so far names */
	json_t *hashes; /* sha256 -> true, of every target kept metadata names */
	int64_t grace, now;
	size_t files;
	uint64_t bytes;
};

static int
vfile_cmp(const void *a, const void *b)
{
	const struct vfile *x = a, *y = b;
	int c = strcmp(x->role, y->role);

	if (c != 0)
		return c;
	return x->version < y->version ? -1 : x->version > y->version;
}

/* "12.targets.json" -> 12, "targets"; 0 for anything else (root too). */
static int
parse_name(const char *name, int64_t *version, char *role, size_t size)
{
	const char *dot = strchr(name, '.');
	size_t n = strlen(name), rl;
	char *end;
	long long v;

	if (dot == NULL || dot == name || n < 6 || strcmp(name + n - 5, ".json") != 0)
		return 0;
	errno = 0;
	v = strtoll(name, &end, 10);
	if (end != dot || errno != 0 || v < 1)
		return 0;
	rl = (size_t)(name + n - 5 - (dot + 1));
	if (rl == 0 || rl >= size)
		return 0;
	memcpy(role, dot + 1, rl);
	role[rl] = '\0';
	if (strcmp(role, "root") == 0)
		return 0;
	*version = v;
	return 1;
}

static int
list_metadata(struct prune *p, struct kit_error *err)
{
	DIR *d = opendir(p->mdir);
	struct dirent *de;
	struct stat st;
	char path[4096 + 256], role[256];
	int64_t v;

	if (d == NULL)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot list %s", p->mdir);
	while ((de = readdir(d)) != NULL) {
		if (!parse_name(de->d_name, &v, role, sizeof(role)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->mdir, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		p->v = kit_xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
		p->v[p->n].name = kit_strdup(de->d_name);
		p->v[p->n].role = kit_strdup(role);
		p->v[p->n].version = v;
		p->v[p->n].mtime = (int64_t)st.st_mtime;
		p->v[p->n].keep = 1;
		p->n++;
	}
	closedir(d);
	qsort(p->v, p->n, sizeof(*p->v), vfile_cmp);
	return 0;
}

/* The version of role the current snapshot lists (the snapshot's own for
 * "snapshot"); 0 when it lists none (nothing is dropped then). */
static int64_t
current_version(struct prune *p, const json_t *meta, const char *role)
{
	char key[300];

	if (strcmp(role, "snapshot") == 0)
		return kit_tuf_repo_version(p->r, KIT_TUF_SNAPSHOT);
	snprintf(key, sizeof(key), "%s.json", role);
	return json_integer_value(json_object_get(json_object_get(meta, key), "version"));
}

/* Every role some kept snapshot version lists ("<role>.json" -> true). */
static json_t *
listed_by_kept_snapshots(struct prune *p)
{
	char path[4096 + 256];
	struct kit_error ignore = {0};
	unsigned char *buf;
	const char *key;
	const json_t *e;
	json_t *out = json_object(), *j;
	size_t i, len;

	for (i = 0; i < p->n; i++) {
		if (!p->v[i].keep || strcmp(p->v[i].role, "snapshot") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->mdir, p->v[i].name);
		buf = NULL;
		if (kit_file_read(path, KIT_TUF_MAX_SNAPSHOT_LEN, &buf, &len, &ignore) != 0) {
			json_decref(out);
			return NULL; /* cannot tell: nothing of it goes */
		}
		j = json_loadb((const char *)buf, len, 0, NULL);
		free(buf);
		if (j == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_foreach (json_object_get(json_object_get(j, "signed"), "meta"), key, e)
			json_object_set_new(out, key, json_true());
		json_decref(j);
	}
	return out;
}

/* A delegated role the current snapshot no longer lists (its delegation
 * left: a retired office) goes whole, every version, once no kept
 * snapshot lists it either: a client mid-update holds at most a kept one. */
static void
mark_left(struct prune *p, const json_t *meta)
{
	char key[300];
	json_t *listed = NULL;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].role, "snapshot") == 0 ||
		    strcmp(p->v[i].role, "targets") == 0 ||
		    strchr(p->v[i].role, '%') != NULL ||
		    current_version(p, meta, p->v[i].role) != 0)
			continue;
		if (listed == NULL) {
			listed = listed_by_kept_snapshots(p);
			if (listed == NULL)
				return;
		}
		snprintf(key, sizeof(key), "%s.json", p->v[i].role);
		if (json_object_get(listed, key) == NULL)
			p->v[i].keep = 0;
	}
	json_decref(listed);
}

/* Decide which versions go: older than the current one, and the next
 * version on disk has been there longer than grace. */
static void
mark(struct prune *p, const json_t *meta)
{
	size_t i, j;
	int64_t cur;

	for (i = 0; i < p->n; i++) {
		cur = current_version(p, meta, p->v[i].role);
		if (cur == 0 || p->v[i].version >= cur)
			continue;
		for (j = i + 1; j < p->n && strcmp(p->v[j].role, p->v[i].role) == 0; j++)
			if (p->v[j].version > p->v[i].version)
				break;
		if (j < p->n && strcmp(p->v[j].role, p->v[i].role) == 0 &&
		    p->v[j].mtime + p->grace < p->now)
			p->v[i].keep = 0;
	}
}

static void
add_hashes(struct prune *p, const json_t *targets)
{
	const char *name;
	const json_t *t;

	json_object_foreach ((json_t *)targets, name, t) {
		const char *h = json_string_value(json_object_get(json_object_get(t, "hashes"), "sha256"));

		if (h == NULL || json_object_get(p->hashes, h) != NULL)
			continue;
		json_object_set_new(p->hashes, h, json_true());
		p->unnamed -= (size_t)json_integer_value(json_object_get(p->by_hex, h));
	}
}

/*
 * Every sha256 the kept targets metadata (any role but snapshot) names:
 * from what r holds in memory for the versions it wrote or read (the
 * current ones, already parsed), then, only while some candidate is still
 * unnamed, from the older kept versions on disk.  A publish then reads
 * back no metadata when nothing can go (an organisation that published
 * 30 campaigns of 400 offices within the grace period kept 12,000 role
 * versions, parsed at every commit).
 */
static int
collect_hashes(struct prune *p, struct kit_error *err)
{
	char path[4096 + 256];
	unsigned char *buf;
	const json_t *targets;
	json_t *j;
	size_t i, len;

	if (p->nc == 0)
		return 0;
	for (i = 0; i < p->n; i++) {
		if (!p->v[i].keep || strcmp(p->v[i].role, "snapshot") == 0)
			continue;
		targets = tuf_repo_committed_targets(p->r, p->v[i].role, p->v[i].version);
		if (targets != NULL) {
			add_hashes(p, targets);
			p->v[i].keep = 2; /* read */
		}
	}
	for (i = 0; i < p->n && p->unnamed > 0; i++) {
		if (p->v[i].keep != 1 || strcmp(p->v[i].role, "snapshot") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->mdir, p->v[i].name);
		buf = NULL;
		if (kit_file_read(path, KIT_TUF_MAX_TARGETS_LEN, &buf, &len, err) != 0)
			return -1;
		j = json_loadb((const char *)buf, len, 0, NULL);
		free(buf);
		if (j == NULL)
			return kit_err(err, KIT_E_IO, "%s does not parse; nothing was pruned", path);
		add_hashes(p, json_object_get(json_object_get(j, "signed"), "targets"));
		json_decref(j);
	}
	return 0;
}

static void
remove_file(struct prune *p, const char *path, const struct stat *st)
{
	if (unlink(path) == 0) {
		p->files++;
		p->bytes += (uint64_t)st->st_size;
	}
}

/* targets/ and one level of directories below it: "<sha256>.<name>"
 * files unchanged for longer than grace become candidates. */
static int
find_candidates(struct prune *p, const char *dir, int depth, struct kit_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char path[4096 + 256], hex[KIT_SHA256_HEX];

	if (d == NULL)
		return errno == ENOENT ? 0 : kit_err_errno(err, KIT_E_IO, errno, "cannot list %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (kit_snprintf(err, path, sizeof(path), "%s/%s", dir, de->d_name) != 0) {
			closedir(d);
			return -1;
		}
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth == 0) {
			if (find_candidates(p, path, 1, err) != 0) {
				closedir(d);
				return -1;
			}
			continue;
		}
		/* only files we wrote: a digest, a dot, a name */
		if (!S_ISREG(st.st_mode) || strlen(de->d_name) < KIT_SHA256_HEX + 1 ||
		    de->d_name[KIT_SHA256_HEX - 1] != '.')
			continue;
		memcpy(hex, de->d_name, KIT_SHA256_HEX - 1);
		hex[KIT_SHA256_HEX - 1] = '\0';
		if (strspn(hex, "0123456789abcdef") != KIT_SHA256_HEX - 1 ||
		    (int64_t)st.st_mtime + p->grace >= p->now)
			continue;
		p->c = kit_xrealloc(p->c, (p->nc + 1) * sizeof(*p->c));
		p->c[p->nc].path = kit_strdup(path);
		memcpy(p->c[p->nc].hex, hex, KIT_SHA256_HEX);
		p->nc++;
		p->unnamed++;
		json_object_set_new(p->by_hex, hex, json_integer(json_integer_value(json_object_get(p->by_hex, hex)) + 1));
	}
	closedir(d);
	return 0;
}

/* The candidates no kept metadata names (checked again: still a regular
 * file unchanged for longer than grace). */
static void
sweep_targets(struct prune *p)
{
	struct stat st;
	size_t i;

	for (i = 0; i < p->nc; i++)
		if (json_object_get(p->hashes, p->c[i].hex) == NULL &&
		    lstat(p->c[i].path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (int64_t)st.st_mtime + p->grace < p->now)
			remove_file(p, p->c[i].path, &st);
}

int
kit_tuf_repo_prune(struct kit_tuf_repo *r, int64_t grace, int64_t now,
		   size_t *files, uint64_t *bytes, struct kit_error *err)
{
	struct prune p;
	json_t *snap = NULL;
	const unsigned char *raw;
	char path[4096 + 256], tdir[4096];
	struct stat st;
	size_t i, len;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.r = r;
	p.grace = grace;
	p.now = now;
	p.hashes = json_object();
	p.by_hex = json_object();
	if (kit_snprintf(err, p.mdir, sizeof(p.mdir), "%s/metadata", kit_tuf_repo_dir(r)) != 0 ||
	    kit_snprintf(err, tdir, sizeof(tdir), "%s/targets", kit_tuf_repo_dir(r)) != 0)
		goto out;
	raw = kit_tuf_repo_meta_bytes(r, KIT_TUF_SNAPSHOT, &len);
	snap = raw ? json_loadb((const char *)raw, len, 0, NULL) : NULL;
	if (snap == NULL) {
		kit_err(err, KIT_E_IO, "no current snapshot: nothing was pruned");
		goto out;
	}
	if (list_metadata(&p, err) != 0)
		goto out;
	mark(&p, json_object_get(json_object_get(snap, "signed"), "meta"));
	mark_left(&p, json_object_get(json_object_get(snap, "signed"), "meta"));
	/* Targets first: a file goes only when no kept metadata names it,
	 * and the metadata that named it goes after it. */
	if (find_candidates(&p, tdir, 0, err) != 0 || collect_hashes(&p, err) != 0)
		goto out;
	sweep_targets(&p);
	for (i = 0; i < p.n; i++) {
		if (p.v[i].keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", p.mdir, p.v[i].name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			remove_file(&p, path, &st);
	}
	rc = 0;
out:
	if (files)
		*files = p.files;
	if (bytes)
		*bytes = p.bytes;
	for (i = 0; i < p.n; i++) {
		free(p.v[i].name);
		free(p.v[i].role);
	}
	free(p.v);
	for (i = 0; i < p.nc; i++)
		free(p.c[i].path);
	free(p.c);
	json_decref(p.hashes);
	json_decref(p.by_hex);
	json_decref(snap);
	return rc;
}
