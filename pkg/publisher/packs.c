/* packs.c: each file's content stored once (publisher_int.h, "packs.c"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kit_bundle.h"
#include "kit_campaign.h"
#include "kit_manifest.h"
#include "kit_tuf.h"
#include "publisher_int.h"

/* The new pack's name until its bytes are final. */
#define PENDING "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0000"

struct pub_kit {
	struct kit_manifest_index *ix;   /* objects by catalog pack number */
	struct kit_manifest_index *prev; /* the previous version's index */
	char idx_sha[KIT_SHA256_HEX];
	uint64_t idx_len;
	char upd_sha[KIT_SHA256_HEX]; /* what prev lacks; "" when none */
	uint64_t upd_len;
};

struct pub_packs {
	char repo[PATH_MAX];
	char dir[PATH_MAX];
	char tmp[PATH_MAX];
	int level;
	struct kit_manifest_index *cat;
	struct kit_bundle_pack *pack;
	size_t pending; /* catalog pack number of the new pack */
	size_t added;
	struct pub_kit *kits;
	size_t n_kits;
};

/* The catalog, when every pack it names is there and long enough. */
static struct kit_manifest_index *
load_catalog(const char *dir)
{
	struct kit_error ignore = {0};
	struct kit_manifest_index *cat = NULL;
	unsigned char *text = NULL;
	uint64_t *sizes = NULL;
	char path[PATH_MAX];
	size_t len, i;

	if (kit_snprintf(&ignore, path, sizeof(path), "%s/catalog.json", dir) != 0 ||
	    !kit_file_exists(path) ||
	    kit_file_read(path, KIT_INDEX_MAX, &text, &len, &ignore) != 0)
		goto fresh;
	cat = kit_manifest_index_parse(text, len, path, &ignore);
	free(text);
	if (cat == NULL || cat->kit)
		goto fresh;
	sizes = kit_xcalloc(cat->n_packs + 1, sizeof(*sizes));
	for (i = 0; i < cat->n_packs; i++) {
		struct stat st;

		if (kit_snprintf(&ignore, path, sizeof(path), "%s/%s.pack", dir, cat->packs[i]) != 0 ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			goto fresh;
		sizes[i] = (uint64_t)st.st_size;
	}
	for (i = 0; i < cat->n_objects; i++)
		if (cat->objects[i].offset + cat->objects[i].stored >
		    sizes[cat->objects[i].pack])
			goto fresh;
	free(sizes);
	return cat;
fresh:
	free(sizes);
	kit_manifest_index_free(cat);
	return kit_manifest_index_new();
}

struct pub_packs *
pub_packs_open(const char *repo_dir, int zstd_level, struct kit_error *err)
{
	struct pub_packs *pp = kit_xcalloc(1, sizeof(*pp));

	pp->level = zstd_level;
	if (kit_snprintf(err, pp->repo, sizeof(pp->repo), "%s", repo_dir) != 0 ||
	    kit_snprintf(err, pp->dir, sizeof(pp->dir), "%s/packs", repo_dir) != 0 ||
	    kit_snprintf(err, pp->tmp, sizeof(pp->tmp), "%s/.new.%ld.pack", pp->dir, (long)getpid()) != 0 ||
	    kit_mkdir_p(pp->dir, 0755, err) != 0) {
		free(pp);
		return NULL;
	}
	pp->cat = load_catalog(pp->dir);
	pp->pending = (size_t)-1;
	return pp;
}

/* The previous version of a kit: its index and manifest, for deltas. */
struct prev {
	struct kit_manifest_index *ix;
	struct kit_manifest *m;
};

static void
prev_load(struct pub_packs *pp, const char *sha, struct prev *pv)
{
	struct kit_error ignore = {0};
	unsigned char *text = NULL, *mb = NULL;
	char path[PATH_MAX];
	size_t len, mlen;
	const struct kit_manifest_object *mo;

	memset(pv, 0, sizeof(*pv));
	if (sha == NULL ||
	    kit_snprintf(&ignore, path, sizeof(path), "%s/%s.idx", pp->dir, sha) != 0 ||
	    kit_file_read(path, KIT_INDEX_MAX, &text, &len, &ignore) != 0)
		return;
	pv->ix = kit_manifest_index_parse(text, len, path, &ignore);
	free(text);
	if (pv->ix == NULL || !pv->ix->kit)
		goto none;
	mo = kit_manifest_index_find(pv->ix, pv->ix->manifest_sha256);
	if (mo == NULL ||
	    kit_bundle_object_read_local(pp->repo, pv->ix, mo, &mb, &mlen, &ignore) != 0)
		goto none;
	pv->m = kit_manifest_parse(mb, mlen, "manifest.json", &ignore);
	free(mb);
	if (pv->m != NULL)
		return;
none:
	kit_manifest_index_free(pv->ix);
	pv->ix = NULL;
}

static void
prev_free(struct prev *pv)
{
	kit_manifest_index_free(pv->ix);
	kit_manifest_free(pv->m);
}

/* A delta of the new object o (its bytes from src/data) from the content
 * base_sha of the previous version, into the pack when it is less than
 * half the object.  Best effort: nothing is lost without it. */
static int
add_delta(struct pub_packs *pp, struct pub_kit *k, const struct prev *pv,
	  const char *base_sha, const struct kit_manifest_object *o, int dirfd,
	  const char *src, const void *data, size_t len, struct kit_error *err)
{
	struct kit_error ignore = {0};
	const struct kit_manifest_object *bo;
	unsigned char *base = NULL, *mine = NULL, *d = NULL;
	size_t blen, mlen = len, dlen;
	struct kit_manifest_delta dx;
	int rc = 0;

	if (pv->ix == NULL || base_sha == NULL || strcmp(base_sha, o->sha256) == 0 ||
	    o->size > KIT_INDEX_DELTA_MAX || o->stored < 128 ||
	    (bo = kit_manifest_index_find(pv->ix, base_sha)) == NULL ||
	    bo->size > KIT_INDEX_DELTA_MAX ||
	    kit_bundle_object_read_local(pp->repo, pv->ix, bo, &base, &blen, &ignore) != 0)
		return 0;
	if (src != NULL) {
		if (kit_file_read_at(dirfd, src, KIT_INDEX_DELTA_MAX, &mine, &mlen, &ignore) != 0)
			goto out;
		data = mine;
	}
	if (mlen != o->size ||
	    kit_bundle_delta_make(base, blen, data, mlen, pp->level, &d, &dlen, dx.stored_sha256, &ignore) != 0 ||
	    dlen >= o->stored / 2)
		goto out;
	memset(dx.sha256, 0, sizeof(dx.sha256));
	memcpy(dx.sha256, o->sha256, KIT_SHA256_HEX);
	memcpy(dx.base_sha256, base_sha, KIT_SHA256_HEX);
	dx.pack = pp->pending;
	dx.stored = dlen;
	rc = kit_bundle_pack_add_raw(pp->pack, d, dlen, &dx.offset, err);
	if (rc == 0)
		kit_manifest_index_add_delta(k->ix, &dx);
out:
	free(base);
	free(mine);
	free(d);
	return rc;
}

/* Store one file of the kit unless the repository has it; its catalog
 * object into the kit's index, and a delta from base_sha when that pays. */
static int
add_object(struct pub_packs *pp, struct pub_kit *k, const struct prev *pv,
	   const char *base_sha, int dirfd,
	   const char *src, const void *data, size_t len, const char *sha256,
	   uint64_t size, struct kit_error *err)
{
	const struct kit_manifest_object *have;
	struct kit_manifest_object o;

	if (kit_manifest_index_find(k->ix, sha256))
		return 0;
	have = kit_manifest_index_find(pp->cat, sha256);
	if (have == NULL) {
		if (pp->pack == NULL) {
			(void)unlink(pp->tmp);
			pp->pack = kit_bundle_pack_new(pp->tmp, pp->level, err);
			if (pp->pack == NULL)
				return -1;
			pp->pending = kit_manifest_index_pack(pp->cat, PENDING);
		}
		memset(&o, 0, sizeof(o));
		snprintf(o.sha256, sizeof(o.sha256), "%s", sha256);
		o.size = size;
		o.pack = pp->pending;
		if (kit_bundle_pack_add(pp->pack, dirfd, src, data, len, &o, err) != 0)
			return -1;
		have = kit_manifest_index_add(pp->cat, &o);
		pp->added++;
		if (add_delta(pp, k, pv, base_sha, &o, dirfd, src, data, len, err) != 0)
			return -1;
	}
	(void)kit_manifest_index_add(k->ix, have);
	return 0;
}

static int add_kit(struct pub_packs *pp, const struct kit_campaign_kit *kit,
		   const char *campaign, int version, const struct prev *pv,
		   size_t *kit_no, struct kit_error *err);

int
pub_packs_add_kit(struct pub_packs *pp, const struct kit_campaign_kit *kit,
		  const char *campaign, int version, const char *prev_index,
		  size_t *kit_no, struct kit_error *err)
{
	struct prev pv;
	int rc;

	prev_load(pp, prev_index, &pv);
	rc = add_kit(pp, kit, campaign, version, &pv, kit_no, err);
	if (rc == 0) {
		pp->kits[*kit_no].prev = pv.ix;
		pv.ix = NULL;
	}
	prev_free(&pv);
	return rc;
}

static int
add_kit(struct pub_packs *pp, const struct kit_campaign_kit *kit,
	const char *campaign, int version, const struct prev *pv,
	size_t *kit_no, struct kit_error *err)
{
	const struct kit_manifest *m = kit_campaign_kit_manifest(kit);
	struct pub_kit *k;
	size_t i, n = kit_campaign_kit_entry_count(kit), mlen;
	const char *mbytes = kit_campaign_kit_manifest_bytes(kit, &mlen);
	char mhex[KIT_SHA256_HEX];

	pp->kits = kit_xrealloc(pp->kits, (pp->n_kits + 1) * sizeof(*pp->kits));
	k = &pp->kits[pp->n_kits];
	memset(k, 0, sizeof(*k));
	k->ix = kit_manifest_index_new();
	*kit_no = pp->n_kits++;
	k->ix->kit = 1;
	k->ix->campaign = kit_strdup(campaign);
	k->ix->office = kit_strdup(m->office);
	k->ix->version = version;
	snprintf(k->ix->content, sizeof(k->ix->content), "%s", m->content);
	kit_sha256_hex(mbytes, mlen, mhex);
	snprintf(k->ix->manifest_sha256, sizeof(k->ix->manifest_sha256), "%s", mhex);
	k->ix->manifest_size = mlen;
	if (add_object(pp, k, pv, pv->ix ? pv->ix->manifest_sha256 : NULL, -1,
		       NULL, mbytes, mlen, mhex, mlen, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct kit_campaign_entry *e = kit_campaign_kit_entry(kit, i);
		const struct kit_manifest_file *f, *pf;

		if (strcmp(e->path, "manifest.json") == 0)
			continue;
		f = kit_manifest_file(m, e->path);
		if (f == NULL)
			return kit_err(err, KIT_E_INVALID, "kit %s: %s is not in its manifest", m->office, e->path);
		pf = pv->m ? kit_manifest_file(pv->m, e->path) : NULL;
		if (add_object(pp, k, pv, pf ? pf->sha256 : NULL,
			       kit_campaign_kit_dirfd(kit), e->source,
			       e->data, e->len, f->sha256, f->size, err) != 0) {
			kit_err_prefix(err, "kit %s", m->office);
			return -1;
		}
	}
	return 0;
}

/* A kit index like ix, whose pack numbers name packs[], with its own pack
 * numbers, without the objects skip (may be NULL) has. */
static struct kit_manifest_index *
index_copy(const struct kit_manifest_index *ix,
	   char (*packs)[KIT_SHA256_HEX],
	   const struct kit_manifest_index *skip)
{
	struct kit_manifest_index *out = kit_manifest_index_new();
	size_t j;

	out->kit = 1;
	out->campaign = kit_strdup(ix->campaign);
	out->office = kit_strdup(ix->office);
	out->version = ix->version;
	memcpy(out->content, ix->content, KIT_SHA256_HEX);
	memcpy(out->manifest_sha256, ix->manifest_sha256, KIT_SHA256_HEX);
	out->manifest_size = ix->manifest_size;
	for (j = 0; j < ix->n_objects; j++) {
		struct kit_manifest_object o = ix->objects[j];

		if (skip && kit_manifest_index_find(skip, o.sha256))
			continue;
		o.pack = kit_manifest_index_pack(out, packs[o.pack]);
		(void)kit_manifest_index_add(out, &o);
	}
	for (j = 0; j < ix->n_deltas; j++) {
		struct kit_manifest_delta d = ix->deltas[j];

		d.pack = kit_manifest_index_pack(out, packs[d.pack]);
		kit_manifest_index_add_delta(out, &d);
	}
	return out;
}

int
pub_packs_finish(struct pub_packs *pp, struct kit_error *err)
{
	char hex[KIT_SHA256_HEX], path[PATH_MAX];
	char *text = NULL;
	size_t len, i;
	int rc = -1;

	if (pp->pack != NULL) {
		if (kit_bundle_pack_finish(pp->pack, hex, err) != 0)
			return -1;
		if (kit_snprintf(err, path, sizeof(path), "%s/%s.pack", pp->dir, hex) != 0)
			return -1;
		if (rename(pp->tmp, path) != 0)
			return kit_err_errno(err, KIT_E_IO, errno, "cannot rename %s to %s", pp->tmp, path);
		memcpy(pp->cat->packs[pp->pending], hex, KIT_SHA256_HEX);
	}
	for (i = 0; i < pp->n_kits; i++) {
		/* the kit's own pack numbers */
		struct kit_manifest_index *out =
			index_copy(pp->kits[i].ix, pp->cat->packs, NULL);

		/* only what the previous version lacks: what an office that
		 * has it fetches, instead of the whole index */
		if (pp->kits[i].prev != NULL) {
			struct kit_manifest_index *up =
				index_copy(out, out->packs, pp->kits[i].prev);

			rc = kit_manifest_index_write(up, &text, &len, err);
			kit_manifest_index_free(up);
			if (rc != 0) {
				kit_manifest_index_free(out);
				return -1;
			}
			kit_sha256_hex(text, len, pp->kits[i].upd_sha);
			pp->kits[i].upd_len = len;
			if (kit_snprintf(err, path, sizeof(path), "%s/%s.idx", pp->dir, pp->kits[i].upd_sha) != 0 ||
			    (!kit_file_exists(path) &&
			     kit_file_write_atomic(path, text, len, 0644, err) != 0)) {
				free(text);
				kit_manifest_index_free(out);
				return -1;
			}
			free(text);
			text = NULL;
		}
		rc = kit_manifest_index_write(out, &text, &len, err);
		kit_manifest_index_free(out);
		if (rc != 0)
			return -1;
		rc = -1;
		kit_sha256_hex(text, len, pp->kits[i].idx_sha);
		pp->kits[i].idx_len = len;
		if (kit_snprintf(err, path, sizeof(path), "%s/%s.idx", pp->dir, pp->kits[i].idx_sha) != 0 ||
		    (!kit_file_exists(path) &&
		     kit_file_write_atomic(path, text, len, 0644, err) != 0)) {
			free(text);
			return -1;
		}
		free(text);
		text = NULL;
	}
	if (pp->pack != NULL) {
		if (kit_manifest_index_write(pp->cat, &text, &len, err) != 0 ||
		    kit_snprintf(err, path, sizeof(path), "%s/catalog.json", pp->dir) != 0 ||
		    kit_file_write_atomic(path, text, len, 0644, err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

void
pub_packs_index(const struct pub_packs *pp, size_t kit_no, const char **sha256,
		uint64_t *len, int *upd_from, const char **upd_sha256,
		uint64_t *upd_len)
{
	const struct pub_kit *k = &pp->kits[kit_no];

	*sha256 = k->idx_sha;
	*len = k->idx_len;
	*upd_from = k->prev && k->upd_sha[0] ? k->prev->version : 0;
	*upd_sha256 = k->upd_sha;
	*upd_len = k->upd_len;
}

void
pub_packs_added(const struct pub_packs *pp, size_t *objects, uint64_t *bytes)
{
	*objects = pp->added;
	*bytes = kit_bundle_pack_size(pp->pack);
}

void
pub_packs_free(struct pub_packs *pp)
{
	size_t i;

	if (pp == NULL)
		return;
	kit_bundle_pack_free(pp->pack);
	for (i = 0; i < pp->n_kits; i++) {
		kit_manifest_index_free(pp->kits[i].ix);
		kit_manifest_index_free(pp->kits[i].prev);
	}
	free(pp->kits);
	kit_manifest_index_free(pp->cat);
	free(pp);
}

/* ---- pruning: packs and indexes no kept version names ---------------------- */

/* A file of packs/ old enough to go if no kept index names it. */
struct prune_cand {
	char name[KIT_SHA256_HEX + 8]; /* "<sha256>.pack", "<sha256>.idx" */
	uint64_t size;
};

struct pack_prune {
	const char *repo;
	char dir[PATH_MAX];
	struct prune_cand *c;
	size_t nc;
	json_t *indexes; /* index sha256 -> its target path under targets/, or "" */
	json_t *named;   /* "<sha256>.pack" / "<sha256>.idx" -> true */
	json_t *doomed;  /* the candidates no kept index names -> true */
	size_t files;
	uint64_t bytes;
};

/* "<64 lower-case hex>" + suffix */
static int
hex_named(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n == KIT_SHA256_HEX - 1 + s && strcmp(name + n - s, suffix) == 0 &&
	       strspn(name, "0123456789abcdef") == KIT_SHA256_HEX - 1;
}

/* packs/ files unchanged for longer than grace: packs, indexes, and the
 * unfinished pack of a publish that died (removed at once: nothing names
 * it).  A missing packs/ is nothing to do. */
static int
prune_candidates(struct pack_prune *p, int64_t grace, int64_t now,
		 struct kit_error *err)
{
	DIR *d = opendir(p->dir);
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX];

	if (d == NULL)
		return errno == ENOENT ? 0 : kit_err_errno(err, KIT_E_IO, errno, "cannot list %s", p->dir);
	while ((de = readdir(d)) != NULL) {
		int pack = hex_named(de->d_name, ".pack"), stale;

		stale = strncmp(de->d_name, ".new.", 5) == 0 &&
			strlen(de->d_name) > 10 &&
			strcmp(de->d_name + strlen(de->d_name) - 5, ".pack") == 0;
		if (!pack && !stale && !hex_named(de->d_name, ".idx"))
			continue;
		if (kit_snprintf(err, path, sizeof(path), "%s/%s", p->dir, de->d_name) != 0) {
			closedir(d);
			return -1;
		}
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (int64_t)st.st_mtime + grace >= now)
			continue;
		if (stale) {
			if (unlink(path) == 0) {
				p->files++;
				p->bytes += (uint64_t)st.st_size;
			}
			continue;
		}
		p->c = kit_xrealloc(p->c, (p->nc + 1) * sizeof(*p->c));
		/* "<sha256>.pack" or ".idx": it fits */
		memcpy(p->c[p->nc].name, de->d_name, strlen(de->d_name) + 1);
		p->c[p->nc].size = (uint64_t)st.st_size;
		p->nc++;
	}
	closedir(d);
	return 0;
}

/* Every index the targets of one metadata file name: custom.index, its
 * update, and a target that is an index itself (<campaign>/<kit>.idx). */
static int
collect_indexes(struct pack_prune *p, const char *path, struct kit_error *err)
{
	struct kit_error ignore = {0};
	unsigned char *buf = NULL;
	const char *name;
	const json_t *t;
	json_t *j;
	size_t len;

	if (kit_file_read(path, KIT_TUF_MAX_TARGETS_LEN, &buf, &len, err) != 0)
		return -1;
	j = json_loadb((const char *)buf, len, 0, NULL);
	free(buf);
	if (j == NULL)
		return kit_err(err, KIT_E_IO, "%s does not parse", path);
	json_object_foreach (json_object_get(json_object_get(j, "signed"), "targets"), name, t) {
		struct kit_manifest_target mt;
		const char *h = json_string_value(json_object_get(json_object_get(t, "hashes"), "sha256"));
		char tpath[PATH_MAX];

		(void)kit_manifest_target_read(json_object_get(t, "custom"), &mt, &ignore);
		if (mt.index_sha256 && json_object_get(p->indexes, mt.index_sha256) == NULL)
			json_object_set_new(p->indexes, mt.index_sha256, json_string(""));
		if (mt.update_sha256 && json_object_get(p->indexes, mt.update_sha256) == NULL)
			json_object_set_new(p->indexes, mt.update_sha256, json_string(""));
		if (kit_manifest_target_kind(name) == KIT_TARGET_INDEX && h != NULL &&
		    kit_tuf_target_path(tpath, sizeof(tpath), name, h, 1) == 0)
			json_object_set_new(p->indexes, h, json_string(tpath));
	}
	json_decref(j);
	return 0;
}

/* The indexes every kept targets metadata file (the top-level targets and
 * every delegated role, any version still on disk) names. */
static int
kept_indexes(struct pack_prune *p, struct kit_error *err)
{
	char mdir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (kit_snprintf(err, mdir, sizeof(mdir), "%s/metadata", p->repo) != 0)
		return -1;
	d = opendir(mdir);
	if (d == NULL)
		return kit_err_errno(err, KIT_E_IO, errno, "cannot list %s", mdir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *dot = de->d_name + strspn(de->d_name, "0123456789");
		size_t n = strlen(de->d_name);
		struct stat st;

		/* N.<role>.json, but root and snapshot */
		if (dot == de->d_name || *dot != '.' || n < 6 ||
		    strcmp(de->d_name + n - 5, ".json") != 0 ||
		    strcmp(dot, ".root.json") == 0 || strcmp(dot, ".snapshot.json") == 0 ||
		    strcmp(dot, ".timestamp.json") == 0)
			continue;
		rc = kit_snprintf(err, path, sizeof(path), "%s/%s", mdir, de->d_name);
		if (rc == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = collect_indexes(p, path, err);
	}
	closedir(d);
	return rc;
}

/* Mark every kept index and the packs it names. */
static int
mark_named(struct pack_prune *p, struct kit_error *err)
{
	const char *sha;
	json_t *where;
	char path[PATH_MAX], key[KIT_SHA256_HEX + 8];

	json_object_foreach (p->indexes, sha, where) {
		struct kit_manifest_index *ix;
		unsigned char *text = NULL;
		size_t len, i;

		snprintf(key, sizeof(key), "%s.idx", sha);
		json_object_set_new(p->named, key, json_true());
		if (kit_snprintf(err, path, sizeof(path), "%s/%s", p->dir, key) != 0)
			return -1;
		if (!kit_file_exists(path) && json_string_length(where) > 0 &&
		    kit_snprintf(err, path, sizeof(path), "%s/%s", p->repo, json_string_value(where)) != 0)
			return -1;
		if (kit_file_read(path, KIT_INDEX_MAX, &text, &len, err) != 0) {
			kit_err_prefix(err, "a kept version's index %s", sha);
			return -1;
		}
		ix = kit_manifest_index_parse(text, len, path, err);
		free(text);
		if (ix == NULL)
			return -1;
		for (i = 0; i < ix->n_packs; i++) {
			snprintf(key, sizeof(key), "%s.pack", ix->packs[i]);
			json_object_set_new(p->named, key, json_true());
		}
		kit_manifest_index_free(ix);
	}
	return 0;
}

/* The catalog without the objects of the packs that go, written whole
 * (atomically and durably) before any of them is removed: a catalog never
 * names a pack that is gone.  An unreadable catalog is left as it is (it
 * counts as empty anyway). */
static int
catalog_drop(struct pack_prune *p, struct kit_error *err)
{
	struct kit_error ignore = {0};
	struct kit_manifest_index *cat = NULL, *out = NULL;
	unsigned char *text = NULL;
	char path[PATH_MAX], key[KIT_SHA256_HEX + 8];
	char *w = NULL;
	unsigned char *gone = NULL;
	size_t len, i, dropped = 0;
	int rc = -1;

	if (kit_snprintf(err, path, sizeof(path), "%s/catalog.json", p->dir) != 0)
		return -1;
	if (!kit_file_exists(path) ||
	    kit_file_read(path, KIT_INDEX_MAX, &text, &len, &ignore) != 0 ||
	    (cat = kit_manifest_index_parse(text, len, path, &ignore)) == NULL ||
	    cat->kit) {
		rc = 0;
		goto out;
	}
	gone = kit_xcalloc(cat->n_packs + 1, 1);
	for (i = 0; i < cat->n_packs; i++) {
		snprintf(key, sizeof(key), "%s.pack", cat->packs[i]);
		gone[i] = json_object_get(p->doomed, key) != NULL;
	}
	out = kit_manifest_index_new();
	for (i = 0; i < cat->n_objects; i++) {
		struct kit_manifest_object o = cat->objects[i];

		if (gone[o.pack]) {
			dropped++;
			continue;
		}
		o.pack = kit_manifest_index_pack(out, cat->packs[o.pack]);
		(void)kit_manifest_index_add(out, &o);
	}
	for (i = 0; i < cat->n_deltas; i++) {
		struct kit_manifest_delta dx = cat->deltas[i];

		if (gone[dx.pack]) {
			dropped++;
			continue;
		}
		dx.pack = kit_manifest_index_pack(out, cat->packs[dx.pack]);
		kit_manifest_index_add_delta(out, &dx);
	}
	rc = 0;
	if (dropped > 0 &&
	    (kit_manifest_index_write(out, &w, &len, err) != 0 ||
	     kit_file_write_atomic(path, w, len, 0644, err) != 0))
		rc = -1;
out:
	free(text);
	free(w);
	free(gone);
	kit_manifest_index_free(cat);
	kit_manifest_index_free(out);
	return rc;
}

int
pub_packs_prune(const char *repo_dir, int64_t grace, int64_t now,
		size_t *files, uint64_t *bytes, struct kit_error *err)
{
	struct pack_prune p;
	char path[PATH_MAX];
	size_t i;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.repo = repo_dir;
	p.indexes = json_object();
	p.named = json_object();
	p.doomed = json_object();
	if (kit_snprintf(err, p.dir, sizeof(p.dir), "%s/packs", repo_dir) != 0 ||
	    prune_candidates(&p, grace, now, err) != 0)
		goto out;
	/* nothing old enough: no metadata or index is read */
	if (p.nc > 0 && (kept_indexes(&p, err) != 0 || mark_named(&p, err) != 0))
		goto out;
	for (i = 0; i < p.nc; i++)
		if (json_object_get(p.named, p.c[i].name) == NULL)
			json_object_set_new(p.doomed, p.c[i].name, json_true());
	if (json_object_size(p.doomed) > 0 && catalog_drop(&p, err) != 0)
		goto out;
	for (i = 0; i < p.nc; i++) {
		if (json_object_get(p.doomed, p.c[i].name) == NULL ||
		    kit_snprintf(err, path, sizeof(path), "%s/%s", p.dir, p.c[i].name) != 0)
			continue;
		if (unlink(path) == 0) {
			p.files++;
			p.bytes += p.c[i].size;
		}
	}
	rc = 0;
out:
	if (files)
		*files = p.files;
	if (bytes)
		*bytes = p.bytes;
	free(p.c);
	json_decref(p.indexes);
	json_decref(p.named);
	json_decref(p.doomed);
	if (rc != 0)
		kit_err_prefix(err, "packs were not pruned");
	return rc;
}
