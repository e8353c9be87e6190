/* org_test.c: the office registry (offices.json): parse, rules, write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kit_org.h"

#define KEY "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

static struct kit_org *
parse(const char *s, struct kit_error *err)
{
	return kit_org_parse((const unsigned char *)s, strlen(s), "offices.json", err);
}

static void
test_parse_and_find(void **state)
{
	struct kit_error err = {0};
	struct kit_org *org;
	const struct kit_org_office *o;

	(void)state;
	org = parse("{\"schema\":1,\"offices\":["
		    "{\"id\":\"kenya\",\"name\":\"IOM Kenya\",\"country\":\"Kenya\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\",\"en\"]},"
		    "{\"id\":\"belgium\",\"name\":\"IOM Belgium\",\"country\":\"Belgium\",\"timezone\":\"Europe/Brussels\",\"languages\":[\"fr\"],\"keys\":[\"" KEY "\"],\"threshold\":1}]}",
		    &err);
	assert_non_null(org);
	assert_int_equal(kit_org_count(org), 2);
	assert_string_equal(kit_org_at(org, 0)->id, "belgium"); /* sorted */
	o = kit_org_find(org, "kenya");
	assert_non_null(o);
	assert_string_equal(o->timezone, "Africa/Nairobi");
	assert_int_equal(o->nlanguages, 2);
	assert_int_equal(o->nkeys, 0);
	assert_int_equal(kit_org_find(org, "belgium")->nkeys, 1);
	assert_null(kit_org_find(org, "kenia"));
	assert_string_equal(kit_org_closest(org, "kenia"), "kenya");
	assert_null(kit_org_closest(org, "peru"));
	kit_org_free(org);
}

/* Every rule, attacked one at a time. */
static void
test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"schema\":2,\"offices\":[]}",
		"{\"schema\":1,\"offices\":[],\"extra\":1}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"],\"extra\":1}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"K\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"../x\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"a\\u001bb\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\",\"sw\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"],\"keys\":[\"" KEY "\"]}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"],\"keys\":[\"" KEY "\"],\"threshold\":3}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"],\"keys\":[\"XYZ\"],\"threshold\":1}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"],\"threshold\":1}]}",
		"{\"schema\":1,\"offices\":[{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]},"
		"{\"id\":\"k\",\"name\":\"n\",\"country\":\"c\",\"timezone\":\"Africa/Nairobi\",\"languages\":[\"sw\"]}]}",
		"{\"schema\":1,\"schema\":1,\"offices\":[]}",
	};
	struct kit_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&err, 0, sizeof(err));
		assert_null(parse(bad[i], &err));
		assert_int_equal(err.code, KIT_E_INVALID);
	}
}

static void
test_set_write_roundtrip(void **state)
{
	const char *langs[] = {"hu", "en"}, *keys[] = {KEY};
	struct kit_org_office o = {
		.id = "hungary",
		.name = "IOM Hungary",
		.country = "Hungary",
		.timezone = "Budapest",
		.languages = langs,
		.nlanguages = 2,
	};
	struct kit_error err = {0};
	struct kit_org *org = kit_org_new(), *back;
	char *bytes;
	size_t len;

	(void)state;
	assert_int_equal(kit_org_set(org, &o, &err), -1);
	assert_non_null(strstr(err.msg, "did you mean Europe/Budapest"));
	memset(&err, 0, sizeof(err));
	o.timezone = "Europe/Budapest";
	assert_int_equal(kit_org_set(org, &o, &err), 0);
	o.keys = keys;
	o.nkeys = 1;
	o.threshold = 1;
	o.name = "IOM Hungary (renamed)";
	assert_int_equal(kit_org_set(org, &o, &err), 0); /* replaces */
	assert_int_equal(kit_org_count(org), 1);
	bytes = kit_org_write(org, &len, &err);
	assert_non_null(bytes);
	assert_int_equal(bytes[len - 1], '\n');
	back = kit_org_parse((unsigned char *)bytes, len, "back", &err);
	assert_non_null(back);
	assert_string_equal(kit_org_find(back, "hungary")->name, "IOM Hungary (renamed)");
	assert_int_equal(kit_org_find(back, "hungary")->threshold, 1);
	assert_int_equal(kit_org_remove(back, "hungery", &err), -1);
	assert_non_null(strstr(err.msg, "did you mean hungary"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_org_remove(back, "hungary", &err), 0);
	assert_int_equal(kit_org_count(back), 0);
	free(bytes);
	kit_org_free(back);
	kit_org_free(org);
	kit_org_free(NULL);
}

/* An office id is an id like every other (kit_str_is_id): KIT_ID_MAX
 * bytes at most; a language code at most KIT_ORG_LANG_MAX. */
static void
test_id_limit(void **state)
{
	struct kit_error err = {0};
	struct kit_org *org = kit_org_new();
	char id[KIT_ID_MAX + 2], lang[KIT_ORG_LANG_MAX + 2];
	const char *langs[] = {lang};
	struct kit_org_office o = {
		.id = id,
		.name = "n",
		.country = "c",
		.timezone = "Europe/Brussels",
		.languages = langs,
		.nlanguages = 1,
	};

	(void)state;
	snprintf(lang, sizeof(lang), "en");
	memset(id, 'a', KIT_ID_MAX);
	id[KIT_ID_MAX] = '\0';
	assert_int_equal(kit_org_set(org, &o, &err), 0);
	id[KIT_ID_MAX] = 'b';
	id[KIT_ID_MAX + 1] = '\0';
	assert_int_equal(kit_org_set(org, &o, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "is not an id: use 1 to 64 lower-case"));
	snprintf(id, sizeof(id), "b");
	memset(lang, 'x', KIT_ORG_LANG_MAX);
	lang[KIT_ORG_LANG_MAX] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_org_set(org, &o, &err), 0);
	lang[KIT_ORG_LANG_MAX] = 'x';
	lang[KIT_ORG_LANG_MAX + 1] = '\0';
	assert_int_equal(kit_org_set(org, &o, &err), -1);
	assert_non_null(strstr(err.msg, "is not a language code"));
	kit_org_free(org);
}

/* Over the cap: refused when read, and refused before it is written. */
static void
test_size_cap(void **state)
{
	struct kit_error err = {0};
	unsigned char *big = calloc(1, KIT_ORG_MAX_BYTES + 2);
	struct kit_org *org = kit_org_new();
	const char *langs[] = {"en"};
	char id[16], name[KIT_ORG_TEXT_MAX + 1];
	struct kit_org_office o = {
		.id = id,
		.name = name,
		.country = name,
		.timezone = "Europe/Brussels",
		.languages = langs,
		.nlanguages = 1,
	};
	size_t i, len;

	(void)state;
	memset(big, ' ', KIT_ORG_MAX_BYTES + 1);
	assert_null(kit_org_parse(big, KIT_ORG_MAX_BYTES + 1, "big", &err));
	assert_int_equal(err.code, KIT_E_SECURITY);
	memset(name, 'n', KIT_ORG_TEXT_MAX);
	name[KIT_ORG_TEXT_MAX] = '\0';
	for (i = 0; i < KIT_ORG_MAX_OFFICES; i++) {
		snprintf(id, sizeof(id), "o%zu", i);
		memset(&err, 0, sizeof(err));
		assert_int_equal(kit_org_set(org, &o, &err), 0);
	}
	memset(&err, 0, sizeof(err));
	snprintf(id, sizeof(id), "one-more");
	assert_int_equal(kit_org_set(org, &o, &err), -1);
	memset(&err, 0, sizeof(err));
	assert_null(kit_org_write(org, &len, &err));
	assert_int_equal(err.code, KIT_E_SECURITY);
	assert_non_null(strstr(err.msg, "over the 1048576 every office accepts"));
	kit_org_free(org);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_find),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_set_write_roundtrip),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_id_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
