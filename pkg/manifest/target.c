/*
 * target.c: what a kit's TUF target says about the kit in its "custom"
 * object, written by the publisher, read by the fetcher and checked
 * against the manifest by the extractor: one definition.
 */
#include <limits.h>
#include <string.h>

#include <jansson.h>

#include "kit_manifest.h"

/* 64 lower-case hex digits (a SHA-256 as this project writes it). */
static int
is_digest(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s != NULL && s[64] == '\0';
}

json_t *
kit_manifest_target_json(const struct kit_manifest *m, int version,
			 const char *inputs)
{
	json_t *j;

	if (inputs != NULL && !is_digest(inputs))
		return NULL;
	j = json_pack("{s:s, s:s, s:i, s:{s:s, s:s}, s:s, s:s}", "campaign",
		      m->campaign, "office", m->office, "version", version,
		      "window", "start", m->window_start, "end", m->window_end,
		      "content", m->content, "title", m->title);
	if (j != NULL && inputs != NULL &&
	    json_object_set_new(j, "inputs", json_string(inputs)) != 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int
kit_manifest_target_set_index(json_t *custom, const char *sha256,
			      uint64_t length, struct kit_error *err)
{
	if (json_object_set_new(custom, "index",
				json_pack("{s:s, s:I}", "sha256", sha256,
					  "length", (json_int_t)length)) != 0)
		return kit_err(err, KIT_E_INVALID, "cannot add the index to a target's custom data");
	return 0;
}

int
kit_manifest_target_set_update(json_t *custom, int from, const char *sha256,
			       uint64_t length, struct kit_error *err)
{
	json_t *ix = json_object_get(custom, "index");

	if (!json_is_object(ix) ||
	    json_object_set_new(ix, "update",
				json_pack("{s:i, s:s, s:I}", "from", from,
					  "sha256", sha256, "length",
					  (json_int_t)length)) != 0)
		return kit_err(err, KIT_E_INVALID, "cannot add the update index to a target's custom data");
	return 0;
}

/* sha is 64 lower-case hex digits and len a length from 1 to max. */
static int
digest_and_length(const char *sha, const json_t *len, uint64_t max)
{
	return sha && kit_hex_is_digest(sha, KIT_SHA256_LEN) &&
	       strspn(sha, "0123456789abcdef") == KIT_SHA256_HEX - 1 &&
	       json_is_integer(len) && json_integer_value(len) > 0 &&
	       (uint64_t)json_integer_value(len) <= max;
}

static const char *
str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
kit_manifest_target_read(const json_t *custom, struct kit_manifest_target *t,
			 struct kit_error *err)
{
	const json_t *v = json_object_get(custom, "version");
	const json_t *w = json_object_get(custom, "window");

	memset(t, 0, sizeof(*t));
	t->campaign = str_of(custom, "campaign");
	t->office = str_of(custom, "office");
	if (!kit_str_is_id(t->campaign, 0))
		t->campaign = NULL;
	if (!kit_str_is_id(t->office, 0))
		t->office = NULL;
	if (json_is_integer(v)) {
		t->version_signed = (long long)json_integer_value(v);
		if (t->version_signed >= 1 && t->version_signed <= INT_MAX)
			t->version = (int)t->version_signed;
	}
	t->content = str_of(custom, "content");
	t->window_start = str_of(w, "start");
	t->window_end = str_of(w, "end");
	t->title = str_of(custom, "title");
	t->inputs = str_of(custom, "inputs");
	if (!is_digest(t->inputs))
		t->inputs = NULL;
	{
		const json_t *ix = json_object_get(custom, "index");
		const char *sha = str_of(ix, "sha256");
		const json_t *len = json_object_get(ix, "length");

		const json_t *up = json_object_get(ix, "update");
		const json_t *from = json_object_get(up, "from");

		if (digest_and_length(sha, len, KIT_INDEX_KIT_MAX)) {
			t->index_sha256 = sha;
			t->index_length = (uint64_t)json_integer_value(len);
		}
		if (t->index_sha256 && json_is_integer(from) &&
		    json_integer_value(from) >= 1 &&
		    json_integer_value(from) < INT_MAX &&
		    digest_and_length(str_of(up, "sha256"), json_object_get(up, "length"), KIT_INDEX_KIT_MAX)) {
			t->update_from = (int)json_integer_value(from);
			t->update_sha256 = str_of(up, "sha256");
			t->update_length = (uint64_t)json_integer_value(json_object_get(up, "length"));
		}
	}
	if (t->campaign == NULL || t->office == NULL)
		return kit_err(err, KIT_E_SECURITY, "custom.campaign and custom.office are not both valid ids (a-z, 0-9, -)");
	if (t->version == 0)
		return kit_err(err, KIT_E_SECURITY, "custom.version is not a kit version (an integer from 1 to %d)", INT_MAX);
	if (t->content == NULL)
		return kit_err(err, KIT_E_SECURITY, "custom.content, the kit's content digest, is missing");
	return 0;
}

int
kit_manifest_target_check(const struct kit_manifest *m,
			  const struct kit_manifest_target *t,
			  struct kit_error *err)
{
	const char *keys[3] = {"campaign", "office", "content"};
	const char *want[3], *have[3];
	char shown[128];
	int i;

	if (t == NULL)
		return 0;
	want[0] = t->campaign;
	want[1] = t->office;
	want[2] = t->content;
	have[0] = m->campaign;
	have[1] = m->office;
	have[2] = m->content;
	for (i = 0; i < 3; i++) {
		if (want[i] == NULL || strcmp(have[i], want[i]) == 0)
			continue;
		kit_str_sanitize(have[i], shown, sizeof(shown));
		return kit_err(err, KIT_E_SECURITY, "manifest.json says %s \"%s\" but the signed target says \"%.100s\"; refusing it", keys[i], shown, want[i]);
	}
	if (t->version != 0 && m->version != t->version)
		return kit_err(err, KIT_E_SECURITY, "manifest.json says version %d but the signed target says %d; refusing it", m->version, t->version);
	return 0;
}

static const char *const kind_suffix[] = {"", ".idx", ".tar.zst"};

int
kit_manifest_target_name(char *out, size_t size, const char *campaign,
			 const char *office, enum kit_manifest_target_kind kind,
			 struct kit_error *err)
{
	if (kind != KIT_TARGET_INDEX && kind != KIT_TARGET_ARCHIVE)
		return kit_err(err, KIT_E_INVALID, "not a kit target kind");
	return kit_snprintf(err, out, size, "%s/%s%s", campaign,
			    office ? office : "global", kind_suffix[kind]);
}

enum kit_manifest_target_kind
kit_manifest_target_kind(const char *name)
{
	size_t n = name ? strlen(name) : 0, k;
	int i;

	for (i = KIT_TARGET_INDEX; i <= KIT_TARGET_ARCHIVE; i++) {
		k = strlen(kind_suffix[i]);
		if (n > k && strcmp(name + n - k, kind_suffix[i]) == 0)
			return (enum kit_manifest_target_kind)i;
	}
	return KIT_TARGET_OTHER;
}

int
kit_manifest_target_twin(const char *name, enum kit_manifest_target_kind kind,
			 char *out, size_t size)
{
	enum kit_manifest_target_kind from = kit_manifest_target_kind(name);
	size_t stem;

	if (from == KIT_TARGET_OTHER || kind == KIT_TARGET_OTHER || from == kind)
		return -1;
	stem = strlen(name) - strlen(kind_suffix[from]);
	if (stem + strlen(kind_suffix[kind]) >= size)
		return -1;
	memcpy(out, name, stem);
	memcpy(out + stem, kind_suffix[kind], strlen(kind_suffix[kind]) + 1);
	return 0;
}

int
kit_manifest_target_pattern(char *out, size_t size, const char *office,
			    enum kit_manifest_target_kind kind,
			    struct kit_error *err)
{
	if (kind != KIT_TARGET_INDEX && kind != KIT_TARGET_ARCHIVE)
		return kit_err(err, KIT_E_INVALID, "not a kit target kind");
	return kit_snprintf(err, out, size, "*/%s%s", office, kind_suffix[kind]);
}
