/*
 * index.c: the kit index and the publisher's catalog (kit_manifest.h, "the
 * kit index").  Hostile when it reaches kit-fetch: parsed strictly, every
 * number checked before it becomes an offset or a length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kit_manifest.h"

struct kit_manifest_index *
kit_manifest_index_new(void)
{
	return kit_xcalloc(1, sizeof(struct kit_manifest_index));
}

void
kit_manifest_index_free(struct kit_manifest_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->campaign);
	free(ix->office);
	free(ix->packs);
	free(ix->objects);
	free(ix->deltas);
	free(ix->slots);
	free(ix);
}

/*
 * The table's hash of a digest.  The digests in an index are not trusted
 * until a file is checked against them, so a signer could choose many
 * that share any fixed part: the whole digest is mixed with a key made
 * once per process, so that no chosen set collides (a table keyed on a
 * prefix made each insert probe every earlier object).
 */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t
table_key(void)
{
	static uint64_t key;

	if (key == 0) {
		struct timespec ts;
		int here;

		clock_gettime(CLOCK_REALTIME, &ts);
		key = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
			    ((uint64_t)getpid() << 12) ^ (uint64_t)(uintptr_t)&here) |
		      1;
	}
	return key;
}

static size_t
slot_of(const char *hex, size_t n)
{
	uint64_t k = table_key(), h = k;
	size_t i;

	for (i = 0; i < KIT_SHA256_HEX - 1 && hex[i]; i++) {
		h ^= (uint64_t)(unsigned char)hex[i] << (8 * (i % 8));
		if (i % 8 == 7)
			h = mix64(h + k);
	}
	return (size_t)(mix64(h ^ k) & (n - 1));
}

static void
rehash(struct kit_manifest_index *ix)
{
	size_t i, n = 64;

	while (n < ix->n_objects * 2 + 2)
		n *= 2;
	free(ix->slots);
	ix->slots = kit_xmalloc(n * sizeof(*ix->slots));
	for (i = 0; i < n; i++)
		ix->slots[i] = (size_t)-1;
	ix->n_slots = n;
	for (i = 0; i < ix->n_objects; i++) {
		size_t s = slot_of(ix->objects[i].sha256, n);

		while (ix->slots[s] != (size_t)-1)
			s = (s + 1) & (n - 1);
		ix->slots[s] = i;
	}
}

const struct kit_manifest_object *
kit_manifest_index_find(const struct kit_manifest_index *ix, const char *sha256)
{
	size_t s;

	if (ix == NULL || ix->n_slots == 0 || sha256 == NULL ||
	    strlen(sha256) != KIT_SHA256_HEX - 1)
		return NULL;
	for (s = slot_of(sha256, ix->n_slots); ix->slots[s] != (size_t)-1;
	     s = (s + 1) & (ix->n_slots - 1))
		if (strcmp(ix->objects[ix->slots[s]].sha256, sha256) == 0)
			return &ix->objects[ix->slots[s]];
	return NULL;
}

size_t
kit_manifest_index_pack(struct kit_manifest_index *ix, const char *hex)
{
	size_t i;

	for (i = 0; i < ix->n_packs; i++)
		if (strcmp(ix->packs[i], hex) == 0)
			return i;
	ix->packs = kit_xrealloc(ix->packs, (ix->n_packs + 1) * sizeof(*ix->packs));
	snprintf(ix->packs[ix->n_packs], KIT_SHA256_HEX, "%s", hex);
	return ix->n_packs++;
}

struct kit_manifest_object *
kit_manifest_index_add(struct kit_manifest_index *ix,
		       const struct kit_manifest_object *o)
{
	if (ix->n_objects == ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->objects = kit_xrealloc(ix->objects,
					   ix->cap * sizeof(*ix->objects));
	}
	ix->objects[ix->n_objects++] = *o;
	if (ix->n_objects * 2 + 2 > ix->n_slots) {
		rehash(ix);
	} else {
		size_t s = slot_of(o->sha256, ix->n_slots);

		while (ix->slots[s] != (size_t)-1)
			s = (s + 1) & (ix->n_slots - 1);
		ix->slots[s] = ix->n_objects - 1;
	}
	return &ix->objects[ix->n_objects - 1];
}

void
kit_manifest_index_add_delta(struct kit_manifest_index *ix,
			     const struct kit_manifest_delta *d)
{
	if (ix->n_deltas == ix->delta_cap) {
		ix->delta_cap = ix->delta_cap ? ix->delta_cap * 2 : 16;
		ix->deltas = kit_xrealloc(ix->deltas, ix->delta_cap * sizeof(*ix->deltas));
	}
	ix->deltas[ix->n_deltas++] = *d;
}

static int
hex_into(const json_t *v, char *out, const char *where, const char *what,
	 struct kit_error *err)
{
	const char *s = json_string_value(v);

	if (s == NULL || !kit_hex_is_digest(s, KIT_SHA256_LEN))
		return kit_err(err, KIT_E_INVALID, "%s: %s is not a SHA-256 in lower-case hex", where, what);
	for (const char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			return kit_err(err, KIT_E_INVALID, "%s: %s is not a SHA-256 in lower-case hex", where, what);
	memcpy(out, s, KIT_SHA256_HEX);
	return 0;
}

static int
u64_of(const json_t *v, uint64_t *out, const char *where, const char *what,
       struct kit_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return kit_err(err, KIT_E_INVALID, "%s: %s is not a count of bytes", where, what);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* The rules every index keeps (parser and writer alike). */
static int
check_object(const struct kit_manifest_index *ix,
	     const struct kit_manifest_object *o, const char *where,
	     struct kit_error *err)
{
	if (o->pack >= ix->n_packs)
		return kit_err(err, KIT_E_INVALID, "%s: object %.16s names pack %zu of %zu", where, o->sha256, o->pack, ix->n_packs);
	if (o->offset > UINT64_MAX / 2 || o->stored > UINT64_MAX / 2 ||
	    o->size > UINT64_MAX / 4)
		return kit_err(err, KIT_E_INVALID, "%s: object %.16s has an offset or length out of range", where, o->sha256);
	if (!o->zstd && o->stored != o->size)
		return kit_err(err, KIT_E_INVALID, "%s: object %.16s is stored raw in %llu bytes, not its size %llu", where, o->sha256, (unsigned long long)o->stored, (unsigned long long)o->size);
	if (o->zstd && (o->stored == 0 ||
			o->stored > o->size + o->size / 64 + 1024))
		return kit_err(err, KIT_E_INVALID, "%s: object %.16s is a zstd frame of %llu bytes for %llu, more than zstd ever needs", where, o->sha256, (unsigned long long)o->stored, (unsigned long long)o->size);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Deltas (pointers to them) by the file they make, then by their base. */
static int
by_pair(const void *a, const void *b)
{
	const struct kit_manifest_delta *const *x = a, *const *y = b;
	int c = strcmp((*x)->sha256, (*y)->sha256);

	return c ? c : strcmp((*x)->base_sha256, (*y)->base_sha256);
}

struct kit_manifest_index *
kit_manifest_index_parse(const void *json, size_t len, const char *where,
			 struct kit_error *err)
{
	struct kit_manifest_index *ix = NULL;
	json_error_t je;
	json_t *j = NULL, *kit, *packs, *objs, *v, *deltas;
	const char *key;
	size_t i, k;
	int ok = 0;

	if (len > KIT_INDEX_MAX) {
		kit_err(err, KIT_E_INVALID, "%s: %zu bytes, over the %u an index may have", where, len, KIT_INDEX_MAX);
		return NULL;
	}
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		kit_err(err, KIT_E_INVALID, "%s:%d:%d: %s", where, je.line, je.column, je.text);
		return NULL;
	}
	ix = kit_manifest_index_new();
	deltas = json_object_get(j, "deltas");
	if (!json_is_object(j) ||
	    json_object_size(j) != (deltas ? 5u : 4u) ||
	    (deltas && !json_is_array(deltas)) ||
	    json_integer_value(json_object_get(j, "index")) != 1 ||
	    !json_is_integer(json_object_get(j, "index")) ||
	    (kit = json_object_get(j, "kit")) == NULL ||
	    !json_is_array(packs = json_object_get(j, "packs")) ||
	    !json_is_array(objs = json_object_get(j, "objects"))) {
		kit_err(err, KIT_E_INVALID, "%s: not a kit index of format 1 (members index, kit, packs, objects, deltas)", where);
		goto out;
	}
	(void)key;
	if (!json_is_null(kit)) {
		json_t *m = json_object_get(kit, "manifest");
		json_t *ver = json_object_get(kit, "version");
		const char *c = json_string_value(json_object_get(kit, "campaign"));
		const char *o = json_string_value(json_object_get(kit, "office"));

		if (!json_is_object(kit) || json_object_size(kit) != 5 ||
		    c == NULL || o == NULL || !kit_str_is_id(c, 0) ||
		    !kit_str_is_id(o, 0) || !json_is_integer(ver) ||
		    json_integer_value(ver) < 1 ||
		    json_integer_value(ver) > INT32_MAX ||
		    !json_is_array(m) || json_array_size(m) != 2) {
			kit_err(err, KIT_E_INVALID, "%s: \"kit\" is not {campaign, office, version, content, manifest} with ids, a version from 1 and [sha256, size]", where);
			goto out;
		}
		ix->kit = 1;
		ix->campaign = kit_strdup(c);
		ix->office = kit_strdup(o);
		ix->version = (int)json_integer_value(ver);
		if (hex_into(json_object_get(kit, "content"), ix->content, where, "kit.content", err) != 0 ||
		    hex_into(json_array_get(m, 0), ix->manifest_sha256, where, "kit.manifest[0]", err) != 0 ||
		    u64_of(json_array_get(m, 1), &ix->manifest_size, where, "kit.manifest[1]", err) != 0)
			goto out;
	}
	if (json_array_size(packs) > KIT_INDEX_PACKS_MAX ||
	    json_array_size(objs) > KIT_INDEX_OBJECTS_MAX) {
		kit_err(err, KIT_E_INVALID, "%s: more than %d packs or %d objects", where, KIT_INDEX_PACKS_MAX, KIT_INDEX_OBJECTS_MAX);
		goto out;
	}
	ix->packs = kit_xcalloc(json_array_size(packs) + 1, sizeof(*ix->packs));
	json_array_foreach (packs, i, v) {
		if (hex_into(v, ix->packs[i], where, "a pack name", err) != 0)
			goto out;
		ix->n_packs = i + 1;
	}
	if (ix->n_packs > 1) {
		/* distinct: sorted once, not each against every earlier one */
		char(*sorted)[KIT_SHA256_HEX] = kit_xmalloc(ix->n_packs * sizeof(*sorted));

		memcpy(sorted, ix->packs, ix->n_packs * sizeof(*sorted));
		qsort(sorted, ix->n_packs, sizeof(*sorted), by_name);
		for (k = 1; k < ix->n_packs; k++)
			if (strcmp(sorted[k - 1], sorted[k]) == 0)
				break;
		if (k < ix->n_packs) {
			kit_err(err, KIT_E_INVALID, "%s: pack %.16s listed twice", where, sorted[k]);
			free(sorted);
			goto out;
		}
		free(sorted);
	}
	json_array_foreach (objs, i, v) {
		struct kit_manifest_object o;
		uint64_t pack;
		json_t *z = json_array_get(v, 5);

		memset(&o, 0, sizeof(o));
		if (!json_is_array(v) || json_array_size(v) != 6) {
			kit_err(err, KIT_E_INVALID, "%s: object %zu is not [sha256, size, pack, offset, stored, zstd-sha256 or null]", where, i);
			goto out;
		}
		if (hex_into(json_array_get(v, 0), o.sha256, where, "an object's sha256", err) != 0 ||
		    u64_of(json_array_get(v, 1), &o.size, where, "an object's size", err) != 0 ||
		    u64_of(json_array_get(v, 2), &pack, where, "an object's pack", err) != 0 ||
		    u64_of(json_array_get(v, 3), &o.offset, where, "an object's offset", err) != 0 ||
		    u64_of(json_array_get(v, 4), &o.stored, where, "an object's stored length", err) != 0)
			goto out;
		if (!json_is_null(z)) {
			o.zstd = 1;
			if (hex_into(z, o.stored_sha256, where, "an object's zstd sha256", err) != 0)
				goto out;
		}
		o.pack = pack > KIT_INDEX_PACKS_MAX ? KIT_INDEX_PACKS_MAX : (size_t)pack;
		if (check_object(ix, &o, where, err) != 0)
			goto out;
		if (kit_manifest_index_find(ix, o.sha256) != NULL) {
			kit_err(err, KIT_E_INVALID, "%s: object %.16s listed twice", where, o.sha256);
			goto out;
		}
		(void)kit_manifest_index_add(ix, &o);
	}
	if (deltas && json_array_size(deltas) > KIT_INDEX_OBJECTS_MAX) {
		kit_err(err, KIT_E_INVALID, "%s: more than %d deltas", where, KIT_INDEX_OBJECTS_MAX);
		goto out;
	}
	json_array_foreach (deltas, i, v) {
		struct kit_manifest_delta d;
		const struct kit_manifest_object *of;
		uint64_t pack;

		memset(&d, 0, sizeof(d));
		if (!json_is_array(v) || json_array_size(v) != 6) {
			kit_err(err, KIT_E_INVALID, "%s: delta %zu is not [sha256, base sha256, pack, offset, stored, stored sha256]", where, i);
			goto out;
		}
		if (hex_into(json_array_get(v, 0), d.sha256, where, "a delta's sha256", err) != 0 ||
		    hex_into(json_array_get(v, 1), d.base_sha256, where, "a delta's base", err) != 0 ||
		    u64_of(json_array_get(v, 2), &pack, where, "a delta's pack", err) != 0 ||
		    u64_of(json_array_get(v, 3), &d.offset, where, "a delta's offset", err) != 0 ||
		    u64_of(json_array_get(v, 4), &d.stored, where, "a delta's stored length", err) != 0 ||
		    hex_into(json_array_get(v, 5), d.stored_sha256, where, "a delta's stored sha256", err) != 0)
			goto out;
		of = kit_manifest_index_find(ix, d.sha256);
		if (of == NULL || strcmp(d.sha256, d.base_sha256) == 0 ||
		    pack >= ix->n_packs || d.stored == 0 ||
		    of->size > KIT_INDEX_DELTA_MAX ||
		    d.offset > UINT64_MAX / 2 ||
		    d.stored > of->size + of->size / 64 + 1024) {
			kit_err(err, KIT_E_INVALID, "%s: delta %zu (%.16s from %.16s) names no object, its own base, a pack out of range or a length out of range", where, i, d.sha256, d.base_sha256);
			goto out;
		}
		d.pack = (size_t)pack;
		kit_manifest_index_add_delta(ix, &d);
	}
	if (ix->n_deltas > 1) {
		/* a pair listed once: sorted once, not each against every
		 * earlier one (160,000 deltas of one object fit in 32 MiB) */
		const struct kit_manifest_delta **sorted = kit_xmalloc(ix->n_deltas * sizeof(*sorted));

		for (k = 0; k < ix->n_deltas; k++)
			sorted[k] = &ix->deltas[k];
		qsort(sorted, ix->n_deltas, sizeof(*sorted), by_pair);
		for (k = 1; k < ix->n_deltas; k++)
			if (by_pair(&sorted[k - 1], &sorted[k]) == 0)
				break;
		if (k < ix->n_deltas) {
			kit_err(err, KIT_E_INVALID, "%s: delta %.16s from %.16s listed twice", where, sorted[k]->sha256, sorted[k]->base_sha256);
			free(sorted);
			goto out;
		}
		free(sorted);
	}
	if (ix->kit) {
		const struct kit_manifest_object *mo =
			kit_manifest_index_find(ix, ix->manifest_sha256);

		if (mo == NULL || mo->size != ix->manifest_size ||
		    ix->manifest_size == 0 || ix->manifest_size > KIT_MANIFEST_MAX) {
			kit_err(err, KIT_E_INVALID, "%s: the kit's manifest.json (%.16s, %llu bytes) is not one of its objects, or is empty or over %u bytes", where, ix->manifest_sha256, (unsigned long long)ix->manifest_size, KIT_MANIFEST_MAX);
			goto out;
		}
	}
	ok = 1;
out:
	json_decref(j);
	if (!ok) {
		kit_manifest_index_free(ix);
		ix = NULL;
	}
	return ix;
}

static int
by_place(const void *a, const void *b)
{
	const struct kit_manifest_object *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return strcmp(x->sha256, y->sha256);
}

int
kit_manifest_index_write(struct kit_manifest_index *ix, char **out,
			 size_t *len, struct kit_error *err)
{
	json_t *j = NULL, *packs, *objs;
	size_t i;
	int rc = -1;

	*out = NULL;
	*len = 0;
	qsort(ix->objects, ix->n_objects, sizeof(*ix->objects), by_place);
	rehash(ix);
	for (i = 0; i < ix->n_objects; i++)
		if (check_object(ix, &ix->objects[i], "index", err) != 0)
			return -1;
	packs = json_array();
	objs = json_array();
	j = json_pack("{s:i, s:n, s:o, s:o}", "index", 1, "kit", "packs",
		      packs, "objects", objs);
	if (j == NULL)
		return kit_err(err, KIT_E_INVALID, "index: out of memory");
	if (ix->kit &&
	    json_object_set_new(j, "kit", json_pack("{s:s, s:s, s:i, s:s, s:[s, I]}", "campaign", ix->campaign, "office", ix->office, "version", ix->version, "content", ix->content, "manifest", ix->manifest_sha256, (json_int_t)ix->manifest_size)) != 0) {
		kit_err(err, KIT_E_INVALID, "index: out of memory");
		goto out;
	}
	for (i = 0; i < ix->n_packs; i++)
		json_array_append_new(packs, json_string(ix->packs[i]));
	for (i = 0; i < ix->n_objects; i++) {
		const struct kit_manifest_object *o = &ix->objects[i];

		json_array_append_new(objs, json_pack("[s, I, I, I, I, o]",
						      o->sha256, (json_int_t)o->size, (json_int_t)o->pack,
						      (json_int_t)o->offset, (json_int_t)o->stored,
						      o->zstd ? json_string(o->stored_sha256) : json_null()));
	}
	if (ix->n_deltas > 0) {
		json_t *ds = json_array();

		json_object_set_new(j, "deltas", ds);
		for (i = 0; i < ix->n_deltas; i++) {
			const struct kit_manifest_delta *d = &ix->deltas[i];

			json_array_append_new(ds, json_pack("[s, s, I, I, I, s]",
							    d->sha256, d->base_sha256, (json_int_t)d->pack,
							    (json_int_t)d->offset, (json_int_t)d->stored,
							    d->stored_sha256));
		}
	}
	*out = json_dumps(j, JSON_COMPACT);
	if (*out == NULL) {
		kit_err(err, KIT_E_INVALID, "index: out of memory");
		goto out;
	}
	*len = strlen(*out);
	rc = 0;
out:
	json_decref(j);
	return rc;
}
