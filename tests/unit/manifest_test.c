/*
 * manifest_test.c: the bundle manifest's one parser and one writer.
 *
 * The committed manifests/ parse, write back to the same bytes and carry
 * their own content digest; every rule of the format refuses a manifest
 * that breaks it (one mutation of a good manifest each, KIT_E_INVALID and
 * the rule named), and the writer refuses the same models; the size cap;
 * the one platform table against the JSON Schemas and how it counts.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "kit_manifest.h"
#include "kit_util.h"

#define SRC "../.."

static const char *const committed[] = {
	"together-2016/global.json",
	"together-2016/belgium.json",
	"together-2016/hungary.json",
	"together-2016/turkmenistan.json",
	"migrants-day-2020/global.json",
	"migrants-day-2020/turkmenistan.json",
	"migrants-day-2021/global.json",
	"migrants-day-2021/belgium.json",
	"migrants-day-2021/hungary.json",
};

static char *
read_text(const char *path, size_t *len)
{
	struct kit_error err = {0};
	unsigned char *buf = NULL;

	if (kit_file_read(path, 64u << 20, &buf, len, &err) != 0)
		fail_msg("%s", err.msg);
	return (char *)buf;
}

/* Every committed manifest: parsed, written again byte for byte, and its
 * "content" the digest of what it holds. */
static void
test_round_trip_committed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(committed) / sizeof(committed[0]); i++) {
		struct kit_error err = {0};
		struct kit_manifest *m;
		char path[256], hex[KIT_SHA256_HEX], *text, *out = NULL;
		size_t len, olen = 0;

		(void)snprintf(path, sizeof(path), SRC "/manifests/%s", committed[i]);
		text = read_text(path, &len);
		m = kit_manifest_parse(text, len, path, &err);
		if (m == NULL)
			fail_msg("%s", err.msg);
		assert_int_equal(kit_manifest_content(m, hex, &err), 0);
		assert_string_equal(hex, m->content);
		assert_int_equal(kit_manifest_write(m, &out, &olen, &err), 0);
		assert_int_equal(olen, len);
		assert_memory_equal(out, text, len);
		free(out);
		free(text);
		kit_manifest_free(m);
	}
}

static void
test_model_of_hungary(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest *m;

	(void)state;
	m = kit_manifest_load(AT_FDCWD, SRC "/manifests/migrants-day-2021/hungary.json", &err);
	assert_non_null(m);
	assert_int_equal(m->schema, 1);
	assert_string_equal(m->campaign, "migrants-day-2021");
	assert_string_equal(m->office, "hungary");
	assert_int_equal(m->version, 1);
	assert_string_equal(m->timezone, "Europe/Budapest");
	assert_int_equal(m->n_languages, 2);
	assert_string_equal(m->languages[1], "hu");
	assert_non_null(m->office_info);
	assert_string_equal(m->office_info->name, "IOM Hungary");
	assert_null(m->office_info->contact);
	assert_int_equal(m->office_info->presence_since, 1992);
	assert_int_equal(m->n_posts, 7);
	assert_string_equal(m->posts[0].id, "md21-x-en-1");
	assert_true(m->posts[0].floating);
	assert_int_equal(m->posts[0].at, 1639645200); /* 2021-12-16T09:00:00Z */
	assert_null(m->posts[0].link);
	assert_int_equal(m->posts[0].n_media, 1);
	assert_string_equal(m->files[0].path, "about.md");
	assert_int_equal(m->files[0].size, 2868);
	assert_int_equal(m->window_end_at - m->window_start_at, 4 * 86400 - 1);
	assert_int_equal(m->n_sources, 2);
	kit_manifest_free(m);
}

/* One good manifest, then each case replaces one piece of its text. */
static const char good[] =
	"{\"schema\": 1, \"campaign\": \"c-1\", \"office\": \"global\", \"version\": 3,\n"
	" \"title\": \"T\", \"window\": {\"start\": \"2021-12-01T00:00:00+01:00\",\n"
	" \"end\": \"2021-12-31T00:00:00+01:00\"}, \"timezone\": \"Europe/Budapest\",\n"
	" \"languages\": [\"en\", \"pt-BR\"], \"hashtags\": [\"#Day\"], \"office_info\": null,\n"
	" \"statements\": [{\"path\": \"statements/s.md\", \"title\": \"S\", \"speaker\": \"P\",\n"
	"  \"date\": \"2021-12-18\", \"language\": \"en\"}],\n"
	" \"videos\": [{\"title\": \"V\", \"url\": \"https://v.example/1\", \"language\": \"en\"}],\n"
	" \"posts\": [{\"id\": \"p.1\", \"platform\": \"x\", \"time\": \"2021-12-10T10:00:00\",\n"
	"  \"at\": \"2021-12-10T09:00:00Z\", \"floating\": true, \"text\": \"Hello #Day\",\n"
	"  \"link\": \"https://l.example/\", \"media\": [{\"path\": \"media/a.png\", \"alt\": \"A\"}],\n"
	"  \"language\": \"en\"}],\n"
	" \"files\": [{\"path\": \"media/a.png\", \"size\": 3, \"type\": \"image/png\",\n"
	"  \"sha256\": \"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d\"},\n"
	"  {\"path\": \"statements/s.md\", \"size\": 0, \"type\": \"text/markdown\",\n"
	"  \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}],\n"
	" \"inputs\": {\"source_date_epoch\": 1639569600, \"tool\": \"t\", \"sources\":\n"
	"  [{\"path\": \"campaign.json\",\n"
	"  \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]},\n"
	" \"content\": \"0000000000000000000000000000000000000000000000000000000000000000\"}\n";

static const struct {
	const char *from, *to, *needle;
} bad[] = {
	{"\"schema\": 1", "\"schema\": 2", "schema 2, and this kit reads schema 1"},
	{"\"schema\": 1, ", "", "no schema version"},
	{"\"version\": 3", "\"version\": 0", "\"version\" is not an integer from 1"},
	{"\"version\": 3", "\"version\": 4294967297", "\"version\" is not an integer from 1"},
	{"\"version\": 3", "\"version\": 3, \"note\": \"x\"", "\"note\" that schema 1 does not know"},
	{"\"title\": \"T\", ", "", "has no \"title\""},
	{"\"campaign\": \"c-1\"", "\"campaign\": \"C 1\"", "not an id"},
	{"\"campaign\": \"c-1\"", "\"campaign\": \"c-12345678901234567890123456789012345678901234567890123456789012345\"", "not an id"},
	{"+01:00\",\n \"end\"", "\",\n \"end\"", "with an offset"},
	{"2021-12-31T00", "2021-11-30T00", "ends before it starts"},
	{"2021-12-31T00", "2201-01-01T00", "outside the years a kit may name, 1970 to 2199"},
	{"\"at\": \"2021-12-10T09:00:00Z\"", "\"at\": \"4999-12-10T09:00:00Z\"", "\"at\" is outside the years"},
	{"Europe/Budapest", "../etc/passwd", "not a time zone"},
	{"\"pt-BR\"", "\"pt_br\"", "ISO 639-1"},
	{"\"languages\": [\"en\", \"pt-BR\"]", "\"languages\": []", "languages"},
	{"[\"#Day\"]", "[\"Day\"]", "start with '#'"},
	{"\"office_info\": null", "\"office_info\": {}", "office_info has no \"id\""},
	{"\"2021-12-18\"", "\"18/12/2021\"", "statements[0]"},
	{"https://v.example/1", "http://v.example/1", "videos[0]"},
	{"\"platform\": \"x\"", "\"platform\": \"twitter\"", "platform \"twitter\""},
	{"\"at\": \"2021-12-10T09:00:00Z\"", "\"at\": \"2021-12-10T10:00:00+01:00\"", "YYYY-MM-DDTHH:MM:SSZ"},
	{"\"at\": \"2021-12-10T09:00:00Z\"", "\"at\": \"2021-12-10T09:00:00\"", "UTC offset"},
	{"\"floating\": true", "\"floating\": false", "\"floating\" says otherwise"},
	{"\"floating\": true", "\"floating\": 1", "true or false"},
	{"\"text\": \"Hello #Day\"", "\"text\": \"\"", "the text is empty"},
	{"\"text\": \"Hello #Day\"", "\"text\": \"\\u001b[2J\"", "control characters"},
	{"\"text\": \"Hello #Day\"", "\"text\": \"a\\u0000b\"", "NUL"},
	{"\"link\": \"https://l.example/\"", "\"link\": \"https://l.example/\\\"><x\"", "https URL"},
	{"\"link\": \"https://l.example/\"", "\"link\": 7", "\"link\" is not a string or null"},
	{"\"alt\": \"A\"", "\"alt\": \"\"", "no alt text"},
	{"\"path\": \"media/a.png\", \"alt\"", "\"path\": \"../a.png\", \"alt\"", "media 0 is not a safe"},
	{"\"path\": \"statements/s.md\", \"size\": 0", "\"path\": \"media/a.png\", \"size\": 0", "lists media/a.png twice"},
	{"\"path\": \"statements/s.md\", \"size\": 0", "\"path\": \"media/a.png/x\", \"size\": 0", "as a file and a directory"},
	{"\"path\": \"statements/s.md\", \"size\": 0", "\"path\": \"manifest.json\", \"size\": 0", "other than manifest.json"},
	{"\"path\": \"statements/s.md\", \"size\": 0", "\"path\": \"/etc/passwd\", \"size\": 0", "safe relative path"},
	{"\"size\": 3", "\"size\": -3", "\"size\" is not an integer from 0"},
	{"\"sha256\": \"6e34", "\"sha256\": \"6E34", "lower-case hex"},
	{"\"source_date_epoch\": 1639569600", "\"source_date_epoch\": -1", "source_date_epoch"},
	{"\"content\": \"0000", "\"content\": \"000g", "content is not"},
	{"{\"schema\"", "{\"schema\": 1, \"schema\"", "duplicate"},
};

static char *
mutate(const char *from, const char *to)
{
	const char *at = strstr(good, from);

	if (at == NULL)
		fail_msg("'%s' is not in the good manifest", from);
	return kit_aprintf("%.*s%s%s", (int)(at - good), good, to,
			   at + strlen(from));
}

static void
test_refusals(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest *m;
	size_t i;

	(void)state;
	/* the control */
	m = kit_manifest_parse(good, strlen(good), "good.json", &err);
	if (m == NULL)
		fail_msg("the good manifest is refused: %s", err.msg);
	kit_manifest_free(m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = mutate(bad[i].from, bad[i].to);

		memset(&err, 0, sizeof(err));
		m = kit_manifest_parse(text, strlen(text), "bad.json", &err);
		if (m != NULL)
			fail_msg("case %zu (%s) accepted", i, bad[i].needle);
		assert_int_equal(err.code, KIT_E_INVALID);
		if (strstr(err.msg, bad[i].needle) == NULL ||
		    strncmp(err.msg, "bad.json", 8) != 0)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].needle);
		print_message("refused: %s\n", err.msg);
		free(text);
	}
}

/* The writer holds a model to the parser's rules: what it would not
 * read back, it does not write. */
static void
test_writer_refuses(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest *m;
	char *out = (char *)1, hex[KIT_SHA256_HEX];
	size_t len = 1;

	(void)state;
	m = kit_manifest_parse(good, strlen(good), "good.json", &err);
	assert_non_null(m);
	assert_int_equal(kit_manifest_content(m, m->content, &err), 0);
	assert_int_equal(kit_manifest_write(m, &out, &len, &err), 0);
	free(out);
	/* the digest leaves the version out */
	m->version = 9;
	assert_int_equal(kit_manifest_content(m, hex, &err), 0);
	assert_string_equal(hex, m->content);
	free(m->posts[0].platform);
	m->posts[0].platform = kit_strdup("myspace");
	assert_int_equal(kit_manifest_write(m, &out, &len, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "platform \"myspace\""));
	assert_null(out);
	assert_int_equal(len, 0);
	/* a missing string is refused, not written as a missing member */
	free(m->posts[0].platform);
	m->posts[0].platform = NULL;
	kit_err_clear(&err);
	assert_int_equal(kit_manifest_write(m, &out, &len, &err), -1);
	kit_manifest_free(m);
}

/* One cap, KIT_MANIFEST_MAX, whether read from memory or from a file. */
static void
test_size_cap(void **state)
{
	char tmpl[] = "/tmp/kit-manifest-test-XXXXXX", path[64];
	size_t n = KIT_MANIFEST_MAX + 1;
	char *big = kit_xmalloc(n);
	struct kit_error err = {0};

	(void)state;
	memset(big, ' ', n);
	assert_null(kit_manifest_parse(big, n, "big.json", &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "over the limit of 16777216"));
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(path, sizeof(path), "%s/manifest.json", tmpl);
	assert_int_equal(kit_file_write_atomic(path, big, n, 0644, &err), 0);
	kit_err_clear(&err);
	assert_null(kit_manifest_load(AT_FDCWD, path, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_err_clear(&err);
	assert_int_equal(kit_rm_rf(tmpl, &err), 0);
	kit_err_clear(&err);
	assert_null(kit_manifest_load(AT_FDCWD, path, &err));
	assert_int_equal(err.code, KIT_E_IO);
	free(big);
}

/* The platform enum of a schema, by a path of member names. */
static json_t *
schema_enum(const char *file, const char *const *path)
{
	json_error_t je;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je), *v;
	size_t i;

	if (root == NULL)
		fail_msg("%s:%d: %s", file, je.line, je.text);
	for (v = root, i = 0; path[i]; i++)
		v = json_object_get(v, path[i]);
	if (!json_is_array(v))
		fail_msg("%s has no platform enum where expected", file);
	json_incref(v);
	json_decref(root);
	return v;
}

/* The table is the schemas' list, in their order, and nothing else. */
static void
test_platform_table_is_the_schemas(void **state)
{
	static const char *const in_campaign[] = {"$defs", "post", "properties",
						  "platform", "enum", NULL};
	static const char *const in_manifest[] = {"properties", "posts", "items",
						  "properties", "platform", "enum",
						  NULL};
	json_t *e[2];
	size_t i, k;

	(void)state;
	e[0] = schema_enum(SRC "/manifests/schema/campaign.schema.json", in_campaign);
	e[1] = schema_enum(SRC "/manifests/schema/manifest.schema.json", in_manifest);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < json_array_size(e[k]); i++) {
			const struct kit_manifest_platform *pf = kit_manifest_platform_at(i);

			assert_non_null(pf);
			assert_string_equal(pf->id, json_string_value(json_array_get(e[k], i)));
			assert_ptr_equal(kit_manifest_platform(pf->id), pf);
			assert_true(pf->limit > 0 && pf->name && pf->icon);
		}
		assert_null(kit_manifest_platform_at(i));
		json_decref(e[k]);
	}
	assert_null(kit_manifest_platform("twitter"));
	assert_string_equal(kit_manifest_platform_suggest("twitter"), "x");
	assert_string_equal(kit_manifest_platform_suggest("facebok"), "facebook");
	assert_null(kit_manifest_platform_suggest("carrier-pigeon"));
}

/* The counts the validator and kit-schedule's exports once disagreed on. */
static void
test_post_counts(void **state)
{
	char text[421], url[151], acc[150 * 3 + 1];
	long limit = 0;
	size_t i;

	(void)state;
	memset(text, 'a', 420);
	text[420] = '\0';
	memcpy(url, "https://example.org/", 20);
	memset(url + 20, 'p', 130);
	url[150] = '\0';
	/* Mastodon: the link weighs 23 however long it is */
	assert_int_equal(kit_manifest_post_length("mastodon", text, url, &limit), 444);
	assert_int_equal(limit, 500);
	/* X: a letter and its combining accent weigh one */
	for (i = 0; i < 150; i++)
		memcpy(acc + 3 * i, "e\xcc\x81", 3);
	acc[450] = '\0';
	assert_int_equal(kit_manifest_post_length("x", acc, NULL, &limit), 150);
	assert_int_equal(limit, 280);
	/* the other platforms that count user-perceived characters agree;
	 * those that count code points see 300 */
	assert_int_equal(kit_manifest_text_length("bluesky", acc, NULL), 150);
	assert_int_equal(kit_manifest_text_length("instagram", acc, NULL), 300);
	/* a link the text already holds is not counted twice */
	assert_int_equal(kit_manifest_post_length("x", "see https://a.example/x", "https://a.example/x", NULL), 4 + 23);
	assert_int_equal(kit_manifest_post_length("myspace", "a", NULL, &limit), -1);
	assert_int_equal(kit_manifest_post_length("x", "\xff", NULL, &limit), -1);
}

/* A kit's target custom object: written from the model, read back, and
 * the manifest held to it; each field that is not in its form. */
static void
test_target_custom(void **state)
{
	struct kit_error err = {0};
	struct kit_manifest *m;
	struct kit_manifest_target t;
	json_t *custom;
	char *dump;

	(void)state;
	m = kit_manifest_load(AT_FDCWD, SRC "/manifests/migrants-day-2021/hungary.json", &err);
	assert_non_null(m);
	/* the publisher's inputs digest: only in its form */
	assert_null(kit_manifest_target_json(m, 4, "ABC"));
	assert_null(kit_manifest_target_json(m, 4, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF"));
	custom = kit_manifest_target_json(m, 4, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_non_null(custom);
	dump = json_dumps(custom, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(dump, "\"campaign\":\"migrants-day-2021\",\"content\":\""));
	assert_non_null(strstr(dump, m->content));
	assert_non_null(strstr(dump, "\"office\":\"hungary\",\"title\":\"International"));
	assert_non_null(strstr(dump, "\"version\":4,\"window\":{\"end\":\"2021-12-19T23:59:59+01:00\",\"start\":"));
	free(dump);
	assert_int_equal(kit_manifest_target_read(custom, &t, &err), 0);
	assert_string_equal(t.campaign, "migrants-day-2021");
	assert_string_equal(t.office, "hungary");
	assert_int_equal(t.version, 4);
	assert_string_equal(t.content, m->content);
	assert_string_equal(t.window_start, m->window_start);
	assert_string_equal(t.inputs, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* the manifest says version 1: the target at 4 is another kit */
	assert_int_equal(kit_manifest_target_check(m, &t, &err), -1);
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "manifest.json says version 1 but the signed target says 4"));
	kit_err_clear(&err);
	t.version = 1;
	assert_int_equal(kit_manifest_target_check(m, &t, &err), 0);
	t.office = "belgium";
	assert_int_equal(kit_manifest_target_check(m, &t, &err), -1);
	assert_non_null(strstr(err.msg, "says office \"hungary\" but the signed target says \"belgium\""));
	kit_err_clear(&err);
	/* fields out of their form are not taken */
	json_object_set_new(custom, "inputs", json_string("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"));
	assert_int_equal(kit_manifest_target_read(custom, &t, &err), 0);
	assert_null(t.inputs);
	json_object_set_new(custom, "version", json_integer(4294967297LL));
	assert_int_equal(kit_manifest_target_read(custom, &t, &err), -1);
	assert_int_equal(t.version, 0);
	assert_true(t.version_signed == 4294967297LL);
	assert_non_null(strstr(err.msg, "custom.version is not a kit version"));
	kit_err_clear(&err);
	json_object_set_new(custom, "office", json_string("../hungary"));
	assert_int_equal(kit_manifest_target_read(custom, &t, &err), -1);
	assert_null(t.office);
	assert_non_null(strstr(err.msg, "not both valid ids"));
	kit_err_clear(&err);
	assert_int_equal(kit_manifest_target_read(NULL, &t, &err), -1);
	assert_null(t.campaign);
	json_decref(custom);
	kit_manifest_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_committed),
		cmocka_unit_test(test_model_of_hungary),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_platform_table_is_the_schemas),
		cmocka_unit_test(test_post_counts),
		cmocka_unit_test(test_target_custom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
