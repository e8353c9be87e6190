/*
 * schedule_test.c: pkg/schedule.  RFC 5545 folding and escaping, RFC 4180
 * quoting, VTIMEZONE across DST, the next post, manifests that attack the
 * loader, CSV refusals, and golden files for every fixture kit.
 *
 * Runs in tests/unit.  KIT_UPDATE_GOLDEN=1 rewrites the golden files in
 * ../fixtures/schedule/golden/ instead of comparing (review the diff).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kit_schedule.h"
#include "kit_util.h"

#define FIX "../fixtures/schedule"
#define MB (1024u * 1024)

static int64_t
at(const char *s)
{
	int64_t t = 0;
	int has_offset = 0;

	assert_int_equal(kit_time_parse(s, &t, &has_offset, NULL), 0);
	return t;
}

static struct kit_schedule *
load(const char *name)
{
	struct kit_error err = {0, ""};
	char dir[256];
	struct kit_schedule *k;

	snprintf(dir, sizeof(dir), FIX "/%s", name);
	k = kit_schedule_load(dir, &err);
	if (k == NULL)
		fail_msg("load %s: %s", name, err.msg);
	return k;
}

static const char *
text(struct kit_buf *b)
{
	return b->data ? (const char *)b->data : "";
}

/* ---- folding and escaping ------------------------------------------- */

/* Check every physical line: at most 75 octets, CRLF-terminated, no line
 * starting inside a UTF-8 sequence; return the unfolded text, logical
 * lines ending in CRLF.  single: the input is one content line. */
static char *
unfold_checked(const char *s, size_t len, int single)
{
	char *out = kit_xmalloc(len + 1);
	size_t i = 0, o = 0, start;

	while (i < len) {
		start = i;
		while (i < len && s[i] != '\r')
			i++;
		assert_true(i + 1 < len);
		assert_int_equal(s[i + 1], '\n');
		assert_true(i - start <= 75);
		if (start > 0 && (single || s[start] == ' ')) {
			/* a continuation: one space, then a character start */
			assert_int_equal(s[start], ' ');
			start++;
			if (start < i)
				assert_true(((unsigned char)s[start] & 0xc0) != 0x80);
			if (o >= 2 && !single)
				o -= 2; /* join to the line before */
		}
		memcpy(out + o, s + start, i - start);
		o += i - start;
		if (!single) {
			out[o++] = '\r';
			out[o++] = '\n';
		}
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static void
test_fold_multibyte(void **state)
{
	static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac",
					    "\xf0\x9f\x8c\x8d", "\xd0\x96"};
	struct kit_error err = {0, ""};
	struct kit_buf line, out;
	size_t c, n, shift;
	char *back;

	(void)state;
	for (c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
		for (shift = 0; shift < 4; shift++) {
			kit_buf_init(&line, MB);
			kit_buf_init(&out, MB);
			assert_int_equal(kit_buf_append(&line, "DESCRIPTION:", 12,
							&err),
					 0);
			for (n = 0; n < shift; n++)
				assert_int_equal(kit_buf_append(&line, "x", 1, &err), 0);
			for (n = 0; n < 120; n++)
				assert_int_equal(kit_buf_append(&line, chars[c],
								strlen(chars[c]),
								&err),
						 0);
			assert_int_equal(kit_schedule_ics_fold(&out, text(&line),
							       line.len, &err),
					 0);
			back = unfold_checked(text(&out), out.len, 1);
			assert_string_equal(back, text(&line));
			assert_true(kit_utf8_valid(text(&out), out.len));
			free(back);
			kit_buf_free(&line);
			kit_buf_free(&out);
		}
	}
}

static void
test_fold_boundaries(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_buf out;
	char line[200];

	(void)state;
	memset(line, 'A', sizeof(line));
	kit_buf_init(&out, MB);
	assert_int_equal(kit_schedule_ics_fold(&out, line, 75, &err), 0);
	assert_int_equal(out.len, 77); /* exactly 75 octets: no fold */
	out.len = 0;
	assert_int_equal(kit_schedule_ics_fold(&out, line, 76, &err), 0);
	assert_int_equal(out.len, 75 + 2 + 1 + 1 + 2);
	assert_memory_equal(text(&out) + 75, "\r\n A\r\n", 6);
	out.len = 0;
	/* 75 + 74: the second line is full with its leading space */
	assert_int_equal(kit_schedule_ics_fold(&out, line, 149, &err), 0);
	assert_int_equal(out.len, 75 + 2 + 75 + 2);
	kit_buf_free(&out);
}

static void
test_escape(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_buf out;

	(void)state;
	kit_buf_init(&out, MB);
	assert_int_equal(kit_schedule_ics_escape(
				 &out, "a,b;c\\d\ne\r\nf: \"q\" \xc5\x91", &err),
			 0);
	assert_string_equal(text(&out),
			    "a\\,b\\;c\\\\d\\ne\\nf: \"q\" \xc5\x91");
	kit_buf_free(&out);
}

static void
test_csv_field(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"plain", "plain"},
		{"", ""},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"two\nlines", "\"two\nlines\""},
		{"cr\r", "\"cr\r\""},
		{" lead", "\" lead\""},
		{"\xd0\x9c\xd0\xbe\xd0\xbc", "\xd0\x9c\xd0\xbe\xd0\xbc"},
		{"\xc3\xa1rv\xc3\xadzt\xc5\xb1r\xc5\x91, \"t\"",
		 "\"\xc3\xa1rv\xc3\xadzt\xc5\xb1r\xc5\x91, \"\"t\"\"\""},
		/* formulas (OWASP CSV injection): an apostrophe in front */
		{"=HYPERLINK(\"http://evil\",\"x\")", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""},
		{"+1+cmd|' /C calc'!A0", "\"'+1+cmd|' /C calc'!A0\""},
		{"-2+3", "\"'-2+3\""},
		{"@SUM(1)", "\"'@SUM(1)\""},
		{"\t=1", "\"'\t=1\""},
		{"\r=1", "\"'\r=1\""},
		{"a=1", "a=1"},
		{"100% -1", "100% -1"},
	};
	struct kit_error err = {0, ""};
	struct kit_buf out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kit_buf_init(&out, MB);
		assert_int_equal(kit_schedule_csv_field(&out, v[i].in, &err), 0);
		assert_string_equal(text(&out), v[i].out);
		kit_buf_free(&out);
	}
}

static void
test_text_length(void **state)
{
	long limit = 0;

	(void)state;
	/* X: a URL counts 23 whatever its length; the link adds 1 + 23 */
	assert_int_equal(kit_manifest_post_length("x", "see https://example.org/a/very/long/path/indeed ok",
						  NULL, &limit),
			 4 + 23 + 3);
	assert_int_equal(limit, 280);
	assert_int_equal(kit_manifest_post_length("x", "\xc3\xa9\xc3\xa9", "https://x.org/zzzzzzzzzzzzzzzzzzzzzzzzzzzz", &limit),
			 2 + 1 + 23);
	assert_int_equal(kit_manifest_post_length("facebook", "\xd0\x96\xd0\x96", "https://a.b", &limit),
			 2 + 1 + 11);
	assert_int_equal(limit, 63206);
	/* no post of a kit names a platform the table lacks */
	assert_int_equal(kit_manifest_post_length("carrier-pigeon", "abc", NULL, &limit), -1);
}

/* ---- VTIMEZONE ------------------------------------------------------ */

static void
test_vtimezone_budapest(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_buf out;
	const char *s;

	(void)state;
	kit_buf_init(&out, MB);
	assert_int_equal(kit_schedule_vtimezone(&out, "Europe/Budapest", 2021,
						2021, &err),
			 0);
	s = text(&out);
	assert_non_null(strstr(s, "BEGIN:VTIMEZONE\r\nTZID:Europe/Budapest\r\n"));
	assert_non_null(strstr(s, "BEGIN:STANDARD\r\nDTSTART:20210101T000000\r\n"
				  "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\n"
				  "TZNAME:CET\r\nEND:STANDARD\r\n"));
	assert_non_null(strstr(s, "BEGIN:DAYLIGHT\r\nDTSTART:20210328T020000\r\n"
				  "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
				  "TZNAME:CEST\r\nEND:DAYLIGHT\r\n"));
	assert_non_null(strstr(s, "BEGIN:STANDARD\r\nDTSTART:20211031T030000\r\n"
				  "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
				  "TZNAME:CET\r\nEND:STANDARD\r\n"));
	assert_true(kit_str_has_suffix(s, "END:VTIMEZONE\r\n"));
	/* exactly three observances for one year */
	assert_null(strstr(strstr(strstr(strstr(s, "BEGIN:ST") + 1,
					 "BEGIN:") +
					  1,
				  "BEGIN:") +
				   1,
			   "BEGIN:S"));
	out.len = 0;
	/* two years: five observances, 2022's changes on 27 March and 30 October */
	assert_int_equal(kit_schedule_vtimezone(&out, "Europe/Budapest", 2021,
						2022, &err),
			 0);
	assert_non_null(strstr(text(&out), "DTSTART:20220327T020000"));
	assert_non_null(strstr(text(&out), "DTSTART:20221030T030000"));
	kit_buf_free(&out);
}

static void
test_vtimezone_fixed(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_buf out;

	(void)state;
	kit_buf_init(&out, MB);
	assert_int_equal(kit_schedule_vtimezone(&out, "Asia/Ashgabat", 2020,
						2020, &err),
			 0);
	assert_string_equal(text(&out),
			    "BEGIN:VTIMEZONE\r\nTZID:Asia/Ashgabat\r\n"
			    "BEGIN:STANDARD\r\nDTSTART:20200101T000000\r\n"
			    "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\n"
			    "TZNAME:+05\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n");
	out.len = 0;
	assert_int_equal(kit_schedule_vtimezone(&out, "Mars/Olympus_Mons", 2020,
						2020, &err),
			 -1);
	assert_int_equal(err.code, KIT_E_USAGE);
	assert_int_equal(out.len, 0);
	kit_buf_free(&out);
}

/* ---- the next post -------------------------------------------------- */

static const char *
next_id(const struct kit_schedule *k, struct kit_schedule_opts *o,
	const char *now)
{
	struct kit_error err = {0, ""};
	size_t idx = 99;
	int r;

	o->now = at(now);
	r = kit_schedule_next_index(k, o, &idx, &err);
	assert_true(r >= 0);
	return r ? kit_schedule_post(k, idx)->id : "(none)";
}

static void
test_next(void **state)
{
	struct kit_schedule *k = load("together-2016");
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf out;

	(void)state;
	kit_schedule_opts_init(&o);
	o.tz = "Europe/Budapest";
	assert_string_equal(next_id(k, &o, "2016-12-01T00:00:00Z"), "together-x-launch");
	assert_string_equal(next_id(k, &o, "2016-12-15T07:30:00Z"), "together-x-launch");
	assert_string_equal(next_id(k, &o, "2016-12-15T07:30:01Z"), "together-x-video");
	assert_string_equal(next_id(k, &o, "2016-12-15T08:00:00Z"), "together-x-video");
	assert_string_equal(next_id(k, &o, "2016-12-15T08:00:01Z"), "together-fb-message");
	assert_string_equal(next_id(k, &o, "2016-12-18T09:00:01Z"), "(none)");
	o.platform = "linkedin";
	assert_string_equal(next_id(k, &o, "2016-12-15T08:00:00Z"), "together-li-integration");
	o.platform = NULL;
	o.day = "2016-12-18";
	assert_string_equal(next_id(k, &o, "2016-12-15T08:00:00Z"), "together-x-migrantsday");
	o.day = NULL;

	/* the view: local time in the zone asked for, and time until */
	o.now = at("2016-12-15T07:45:00Z");
	kit_buf_init(&out, MB);
	assert_int_equal(kit_schedule_next(k, &o, &out, &err), 0);
	assert_non_null(strstr(text(&out), "Now:  2016-12-15T08:45:00+01:00 CET\n"));
	assert_non_null(strstr(text(&out), "Next: 2016-12-15T09:00:00+01:00 CET, in 15 min\n"));
	assert_non_null(strstr(text(&out), "together-x-video"));
	assert_null(strstr(text(&out), "together-x-launch"));
	assert_null(strstr(text(&out), "together-fb-message"));
	kit_buf_free(&out);
	kit_schedule_free(k);
}

/* ---- loading: what an attacker or a broken kit can send ------------- */

#define HEAD(zone) \
	"{\"schema\":1,\"campaign\":\"c\",\"office\":\"o\",\"version\":2,\"title\":\"T\"," \
	"\"timezone\":\"" zone "\",\"languages\":[\"en\"],\"hashtags\":[],\"office_info\":null," \
	"\"statements\":[],\"videos\":[],\"files\":[],\"content\":\"" \
	"0000000000000000000000000000000000000000000000000000000000000000\"," \
	"\"window\":{\"start\":\"2021-12-01T00:00:00+01:00\",\"end\":\"2021-12-31T00:00:00+01:00\"}," \
	"\"inputs\":{\"source_date_epoch\":1600000000,\"tool\":\"t\",\"sources\":[]},\"posts\":["

static const char good_head[] = HEAD("Europe/Budapest");

static struct kit_schedule *
parse_posts(const char *posts, struct kit_error *err)
{
	char *json = kit_aprintf("%s%s]}", good_head, posts);
	struct kit_schedule *k = kit_schedule_parse(json, strlen(json), "test.json", err);

	free(json);
	return k;
}

/* A post with every member; link and media as given. */
#define POSTLM(id, plat, at_, text_, link_, media_) \
	"{\"id\":\"" id "\",\"platform\":\"" plat "\",\"language\":\"en\"," \
	"\"time\":\"2021-12-10T10:00:00Z\",\"floating\":false,\"at\":\"" at_ "\"," \
	"\"text\":\"" text_ "\",\"link\":" link_ ",\"media\":" media_ "}"
#define POST(id, plat, at_, text_) POSTLM(id, plat, at_, text_, "null", "[]")

static void
test_load_refuses(void **state)
{
	static const struct {
		const char *posts, *needle;
	} bad[] = {
		{POST("a", "x", "2021-12-10T10:00:00Z", "t") "," POST("a", "x", "2021-12-11T10:00:00Z", "t"), "used twice"},
		{POST("a b", "x", "2021-12-10T10:00:00Z", "t"), "id is not"},
		{POST("a", "X!", "2021-12-10T10:00:00Z", "t"), "platform"},
		{POST("a", "tiktok", "2021-12-10T10:00:00Z", "t"), "platform"},
		{POST("a", "x", "2021-12-10T10:00:00", "t"), "UTC offset"},
		{POST("a", "x", "2021-12-10T11:00:00+01:00", "t"), "YYYY-MM-DDTHH:MM:SSZ"},
		{POST("a", "x", "soon", "t"), "\"at\""},
		{POST("a", "x", "2021-12-10T10:00:00Z", "esc \\u001b[2J"), "control"},
		{POSTLM("a", "x", "2021-12-10T10:00:00Z", "t", "\"http://a.b\"", "[]"), "https"},
		{POSTLM("a", "x", "2021-12-10T10:00:00Z", "t", "\"https://a.b\\r\\nX-Injected: 1\"", "[]"), "link"},
		{POSTLM("a", "x", "2021-12-10T10:00:00Z", "t", "null",
			"[{\"path\":\"../../etc/passwd\",\"alt\":\"a\"}]"),
		 "safe"},
		{POSTLM("a", "x", "2021-12-10T10:00:00Z", "t", "null",
			"[{\"path\":\"/etc/passwd\",\"alt\":\"a\"}]"),
		 "safe"},
		{POSTLM("a", "x", "2021-12-10T10:00:00Z", "t", "null",
			"[{\"path\":\"media/a.png\",\"alt\":\"a\",\"extra\":1}]"),
		 "does not know"},
		{"{\"id\":\"a\"}", "platform"},
		{"{\"id\":\"a\",\"platform\":\"x\",\"at\":\"2021-12-10T10:00:00Z\",\"text\":\"a\",\"text\":\"b\"}", "test.json:"},
		{"[", "test.json:"},
	};
	static const char bad_zone[] = HEAD("Nowhere/City") "]}";
	static const char bad_json[] = "{\n\"campaign\": nope}";
	static const char newer[] = "{\"schema\":2,\"campaign\":\"c\",\"anything\":true}";
	struct kit_error err;
	struct kit_schedule *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		k = parse_posts(bad[i].posts, &err);
		if (k != NULL)
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.code, KIT_E_INVALID);
		if (strstr(err.msg, bad[i].needle) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].needle);
	}
	/* the zone must exist; JSON errors carry line and column */
	memset(&err, 0, sizeof(err));
	assert_null(kit_schedule_parse(bad_zone, strlen(bad_zone), "m.json", &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "Nowhere/City"));
	memset(&err, 0, sizeof(err));
	assert_null(kit_schedule_parse(bad_json, strlen(bad_json), "m.json", &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "m.json:2:"));
	/* a newer format is named as such, not as an unknown member */
	memset(&err, 0, sizeof(err));
	assert_null(kit_schedule_parse(newer, strlen(newer), "m.json", &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "schema 2, and this kit reads schema 1"));
	/* the control: the head with one good post parses */
	memset(&err, 0, sizeof(err));
	k = parse_posts(POST("a", "x", "2021-12-10T10:00:00Z", "t"), &err);
	if (k == NULL)
		fail_msg("the control was refused: %s", err.msg);
	kit_schedule_free(k);
	/* no kit there */
	memset(&err, 0, sizeof(err));
	assert_null(kit_schedule_load(FIX "/does-not-exist", &err));
	assert_int_equal(err.code, KIT_E_IO);
	memset(&err, 0, sizeof(err));
	assert_null(kit_schedule_load(FIX, &err)); /* no manifest.json */
	assert_int_equal(err.code, KIT_E_IO);
}

static void
test_load_order_and_crlf(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_schedule *k;

	(void)state;
	k = parse_posts(POST("late", "x", "2021-12-12T10:00:00Z", "a\\r\\nb") "," POST("b", "x", "2021-12-10T09:00:00Z", "t") "," POST("a", "x", "2021-12-10T09:00:00Z", "t") "," POST("c", "facebook", "2021-12-10T09:00:00Z", "t"), &err);
	assert_non_null(k);
	assert_int_equal(kit_schedule_count(k), 4);
	/* by instant, then platform, then id */
	assert_string_equal(kit_schedule_post(k, 0)->id, "c");
	assert_string_equal(kit_schedule_post(k, 1)->id, "a");
	assert_string_equal(kit_schedule_post(k, 2)->id, "b");
	assert_string_equal(kit_schedule_post(k, 3)->id, "late");
	assert_string_equal(kit_schedule_post(k, 3)->text, "a\nb");
	assert_null(kit_schedule_post(k, 4));
	assert_int_equal(kit_schedule_version(k), 2);
	kit_schedule_free(k);
	kit_schedule_free(NULL);
}

/* ---- options -------------------------------------------------------- */

static void
test_opts(void **state)
{
	struct kit_schedule *k = load("hungary-2021");
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf out;

	(void)state;
	kit_buf_init(&out, MB);
	kit_schedule_opts_init(&o);
	o.tz = "Europe/Atlantis";
	assert_int_equal(kit_schedule_table(k, &o, &out, &err), -1);
	assert_int_equal(err.code, KIT_E_USAGE);
	o.tz = NULL;
	o.day = "2021-13-45";
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), -1);
	assert_int_equal(err.code, KIT_E_USAGE);
	assert_int_equal(out.len, 0);
	o.day = "2021-10-31";
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_schedule_table(k, &o, &out, &err), 0);
	assert_non_null(strstr(text(&out), "Sunday 31 October 2021"));
	assert_null(strstr(text(&out), "hu-fb-spring"));
	assert_non_null(strstr(text(&out), "  02:30 CEST   X          en  hu-x-autumn-repeat"));
	assert_non_null(strstr(text(&out), "  02:30 CET    LinkedIn   en  hu-li-autumn-second"));
	assert_non_null(strstr(text(&out), "\n3 posts.\n"));
	/* on a terminal: one line per text, cut to the width, never inside
	 * a character */
	out.len = 0;
	o.width = 40;
	o.day = "2021-03-28";
	assert_int_equal(kit_schedule_table(k, &o, &out, &err), 0);
	assert_non_null(strstr(text(&out), "\n      Ny\xc3\xa1ri id\xc5\x91sz\xc3\xa1m\xc3\xadt\xc3\xa1s: ma reggel \xc3\xb3ra\xe2\x80\xa6\n"));
	assert_null(strstr(text(&out), "\xc3\x81rv\xc3\xadzt\xc5\xb1r\xc5\x91"));
	kit_buf_free(&out);
	kit_schedule_free(k);
}

/* ---- iCalendar details ---------------------------------------------- */

static void
test_ics_details(void **state)
{
	struct kit_schedule *k = load("hungary-2021"), *v1 = load("hungary-2021-v1");
	struct kit_schedule *other = load("turkmenistan-2020");
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf out;
	char *s;

	(void)state;
	kit_buf_init(&out, 8 * MB);
	kit_schedule_opts_init(&o);
	o.tz = "Europe/Budapest";
	o.previous = v1;
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), 0);
	s = unfold_checked(text(&out), out.len, 0);
	/* the repeated 02:30 is ambiguous in the zone: written in UTC */
	assert_non_null(strstr(s, "UID:hu-x-autumn-repeat.hungary.migrants-day-2021@kit\r\n"
				  "DTSTAMP:20211217T000002Z\r\nDTSTART:20211031T003000Z\r\n"));
	assert_non_null(strstr(s, "UID:hu-li-autumn-second.hungary.migrants-day-2021@kit\r\n"
				  "DTSTAMP:20211217T000002Z\r\nDTSTART:20211031T013000Z\r\n"));
	assert_non_null(strstr(s, "DTSTART;TZID=Europe/Budapest:20210328T033000\r\n"));
	assert_non_null(strstr(s, "DTSTART;VALUE=DATE:20210301\r\nDTEND;VALUE=DATE:20211219\r\n"));
	/* withdrawn post: cancelled, sequence above the previous kit's 0 */
	assert_non_null(strstr(s, "SUMMARY:Withdrawn: X: Tomorrow is #MigrantsDay: a post later withdrawn from the\xe2\x80\xa6\r\n"));
	assert_non_null(strstr(s, "SEQUENCE:1\r\nSTATUS:CANCELLED\r\n"));
	assert_non_null(strstr(s, "SUMMARY:X: \"USD 540 billion\" remitted last year\\, to"));
	free(s);

	/* a previous manifest of another kit is refused, nothing written */
	out.len = 0;
	o.previous = other;
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_int_equal(out.len, 0);
	kit_buf_free(&out);
	kit_schedule_free(k);
	kit_schedule_free(v1);
	kit_schedule_free(other);
}

/* A post in year 2190 of a 2021 kit: the VTIMEZONE would be found day by
 * day over 170 years; refused at once, in UTC it is fine.  A post in year
 * 4999 (minutes of that work) is past the years a kit may name: refused
 * when the manifest is read. */
static void
test_ics_year_span(void **state)
{
	struct kit_error err = {0, ""};
	struct kit_schedule *k = parse_posts(
		POST("far", "x", "2190-12-15T09:00:00Z", "Far away"), &err);
	struct kit_schedule_opts o;
	struct kit_buf out;
	time_t t0 = time(NULL);

	(void)state;
	assert_non_null(k);
	kit_buf_init(&out, 8 * MB);
	kit_schedule_opts_init(&o);
	o.tz = "Europe/Budapest";
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "span the years 2021 to 2190"));
	assert_true(time(NULL) - t0 < 5);
	kit_err_clear(&err);
	out.len = 0;
	o.tz = NULL;
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), 0);
	assert_non_null(strstr(text(&out), "DTSTART:21901215T090000Z\r\n"));
	kit_buf_free(&out);
	kit_schedule_free(k);
	kit_err_clear(&err);
	k = parse_posts(POST("far", "x", "4999-12-15T09:00:00Z", "Far away"), &err);
	assert_null(k);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "\"at\" is outside the years a kit may name, 1970 to 2199"));
}

/* ---- CSV refusals --------------------------------------------------- */

static void
test_csv_refusals(void **state)
{
	char long_text[400];
	char *posts;
	struct kit_schedule *k;
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf out, report;
	size_t left = 0;

	(void)state;
	memset(long_text, 'a', 281);
	long_text[281] = '\0';
	posts = kit_aprintf(
		POST("past", "x", "2021-12-01T09:00:00Z", "old") "," POST("long", "x", "2021-12-20T09:00:00Z", "%s") "," POST("soon", "x", "2021-12-10T10:05:00Z", "soon") "," POST("odd", "x", "2021-12-20T09:03:00Z", "odd minute") "," POSTLM("ok1", "x", "2021-12-21T09:05:00Z", "fine, \\\"quoted\\\"", "\"https://a.b/c\"", "[]") "," POST("ok2", "x", "2021-12-21T09:05:00Z", "same slot"),
		long_text);
	k = parse_posts(posts, &err);
	free(posts);
	assert_non_null(k);
	kit_schedule_opts_init(&o);
	o.now = at("2021-12-10T10:00:00Z");
	kit_buf_init(&out, MB);
	kit_buf_init(&report, MB);

	/* Buffer: past and too long are left out and reported */
	assert_int_equal(kit_schedule_csv(k, &o, &out, &report, &left, &err), 0);
	assert_int_equal(left, 2);
	assert_non_null(strstr(text(&report), "post past ("));
	assert_non_null(strstr(text(&report), "in the past"));
	assert_non_null(strstr(text(&report), "post long ("));
	assert_non_null(strstr(text(&report), "281 characters, over X's limit of 280"));
	assert_string_equal(text(&out),
			    "Text,Image URL,Tags,Posting Time\r\n"
			    "soon,,,2021-12-10 11:05\r\n"
			    "odd minute,,,2021-12-20 10:03\r\n"
			    "\"fine, \"\"quoted\"\" https://a.b/c\",,,2021-12-21 10:05\r\n"
			    "same slot,,,2021-12-21 10:05\r\n");

	/* Hootsuite: also under 10 minutes, off the 5-minute mark, one per slot */
	out.len = report.len = 0;
	o.csv = KIT_SCHEDULE_CSV_HOOTSUITE;
	o.date = KIT_SCHEDULE_DATE_DMY;
	assert_int_equal(kit_schedule_csv(k, &o, &out, &report, &left, &err), 0);
	assert_int_equal(left, 5);
	assert_non_null(strstr(text(&report), "post soon ("));
	assert_non_null(strstr(text(&report), "10 minutes"));
	assert_non_null(strstr(text(&report), "post odd ("));
	assert_non_null(strstr(text(&report), "5-minute"));
	assert_non_null(strstr(text(&report), "post ok2 ("));
	assert_non_null(strstr(text(&report), "time slot with post ok1"));
	assert_string_equal(text(&out),
			    "21/12/2021 10:05,\"fine, \"\"quoted\"\"\",https://a.b/c\r\n");

	/* several platforms in one file: refused */
	kit_buf_free(&out);
	kit_buf_free(&report);
	kit_schedule_free(k);
	k = load("hungary-2021");
	kit_buf_init(&out, MB);
	kit_buf_init(&report, MB);
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_schedule_csv(k, &o, &out, &report, &left, &err), -1);
	assert_int_equal(err.code, KIT_E_USAGE);
	assert_non_null(strstr(err.msg, "--platform"));
	assert_int_equal(out.len, 0);
	kit_buf_free(&out);
	kit_buf_free(&report);
	kit_schedule_free(k);
}

/* ---- golden files --------------------------------------------------- */

static void
golden(const char *name, const struct kit_buf *got)
{
	struct kit_error err = {0, ""};
	char path[512];
	unsigned char *want = NULL;
	size_t len = 0;
	const char *update = getenv("KIT_UPDATE_GOLDEN");

	snprintf(path, sizeof(path), FIX "/golden/%s", name);
	if (update != NULL && strcmp(update, "1") == 0) {
		assert_int_equal(kit_mkdir_p(FIX "/golden", 0755, &err), 0);
		assert_int_equal(kit_file_write_atomic(path, text((struct kit_buf *)got),
						       got->len, 0644, &err),
				 0);
		return;
	}
	if (kit_file_read(path, 64 * MB, &want, &len, &err) != 0)
		fail_msg("golden %s: %s (KIT_UPDATE_GOLDEN=1 writes it)", path, err.msg);
	if (len != got->len || memcmp(want, text((struct kit_buf *)got), len) != 0)
		fail_msg("golden %s differs from the output (%zu vs %zu bytes)", path, len, got->len);
	free(want);
}

static void
golden_kit(const char *kit, const char *tz, int64_t now)
{
	struct kit_schedule *k = load(kit);
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf out, report;
	const char **plat = NULL;
	size_t n = 0, i, left;
	char name[256];
	int f;

	kit_schedule_opts_init(&o);
	o.now = now;
	kit_buf_init(&out, 8 * MB);
	kit_buf_init(&report, MB);
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), 0);
	snprintf(name, sizeof(name), "%s.utc.ics", kit);
	golden(name, &out);
	out.len = 0;
	o.tz = tz;
	assert_int_equal(kit_schedule_ics(k, &o, &out, &err), 0);
	snprintf(name, sizeof(name), "%s.tzid.ics", kit);
	golden(name, &out);
	o.tz = NULL;
	out.len = 0;
	assert_int_equal(kit_schedule_json(k, &o, 0, &out, &err), 0);
	snprintf(name, sizeof(name), "%s.json", kit);
	golden(name, &out);
	assert_int_equal(kit_schedule_platforms(k, &o, &plat, &n, &err), 0);
	for (i = 0; i < n; i++) {
		for (f = 0; f < 2; f++) {
			o.platform = plat[i];
			o.csv = f ? KIT_SCHEDULE_CSV_HOOTSUITE : KIT_SCHEDULE_CSV_BUFFER;
			out.len = report.len = 0;
			assert_int_equal(kit_schedule_csv(k, &o, &out, &report, &left, &err), 0);
			if (left != 0)
				fail_msg("%s %s: %s", kit, plat[i], text(&report));
			snprintf(name, sizeof(name), "%s.%s-%s.csv", kit,
				 f ? "hootsuite" : "buffer", plat[i]);
			golden(name, &out);
		}
	}
	free(plat);
	kit_buf_free(&out);
	kit_buf_free(&report);
	kit_schedule_free(k);
}

static void
test_golden(void **state)
{
	(void)state;
	golden_kit("together-2016", "Europe/Budapest", at("2016-12-01T00:00:00Z"));
	golden_kit("hungary-2021", "Europe/Budapest", at("2021-03-01T00:00:00Z"));
	golden_kit("turkmenistan-2020", "Asia/Ashgabat", at("2020-12-01T00:00:00Z"));
}

/* Two runs give the same bytes. */
static void
test_deterministic(void **state)
{
	struct kit_schedule *k = load("turkmenistan-2020");
	struct kit_schedule_opts o;
	struct kit_error err = {0, ""};
	struct kit_buf a, b;

	(void)state;
	kit_schedule_opts_init(&o);
	o.tz = "Asia/Ashgabat";
	kit_buf_init(&a, MB);
	kit_buf_init(&b, MB);
	assert_int_equal(kit_schedule_ics(k, &o, &a, &err), 0);
	o.now += 86400 * 365; /* the clock does not enter the .ics */
	assert_int_equal(kit_schedule_ics(k, &o, &b, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	kit_buf_free(&a);
	kit_buf_free(&b);
	kit_schedule_free(k);
}

/* The bytes a FILE received. */
static void
file_text(FILE *f, struct kit_buf *b)
{
	char chunk[4096];
	size_t n;

	rewind(f);
	b->len = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(kit_buf_append(b, chunk, n, NULL), 0);
	assert_int_equal(kit_buf_append(b, "", 1, NULL), 0);
	b->len--;
}

/* kit_schedule_run, the program's body: its output is the golden one, and
 * a CSV with posts the tool cannot take writes nothing unless told to. */
static void
test_run(void **state)
{
	struct kit_schedule_request r;
	struct kit_error err = {0, ""};
	struct kit_buf got;
	FILE *out = tmpfile(), *log = tmpfile();

	(void)state;
	assert_non_null(out);
	assert_non_null(log);
	kit_buf_init(&got, 8 * MB);
	kit_schedule_request_init(&r);
	r.cmd = KIT_SCHEDULE_ICS;
	r.kit_dir = FIX "/together-2016";
	r.o.now = at("2016-12-01T00:00:00Z");
	assert_int_equal(kit_schedule_run(&r, out, log, &err), 0);
	file_text(out, &got);
	golden("together-2016.utc.ics", &got);

	/* the posts of 2016 are past in 2030: each is named on log, and the
	 * run fails before it writes */
	assert_int_equal(ftruncate(fileno(out), 0), 0);
	rewind(out);
	r.cmd = KIT_SCHEDULE_CSV;
	r.o.platform = "x";
	r.o.now = at("2030-01-01T00:00:00Z");
	assert_int_equal(kit_schedule_run(&r, out, log, &err), -1);
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "pass --skip-invalid to export the rest"));
	file_text(out, &got);
	assert_int_equal(got.len, 0);
	file_text(log, &got);
	assert_non_null(strstr((const char *)got.data, "kit-schedule: csv x: left out post "));
	r.skip_invalid = 1;
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_schedule_run(&r, out, log, &err), 0);
	file_text(out, &got);
	assert_non_null(strstr((const char *)got.data, "Text"));

	/* a kit that is not there: KIT_E_IO, nothing written */
	r.kit_dir = FIX "/does-not-exist";
	memset(&err, 0, sizeof(err));
	assert_int_equal(kit_schedule_run(&r, out, log, &err), -1);
	assert_int_equal(err.code, KIT_E_IO);
	kit_buf_free(&got);
	fclose(out);
	fclose(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_multibyte),
		cmocka_unit_test(test_fold_boundaries),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_text_length),
		cmocka_unit_test(test_vtimezone_budapest),
		cmocka_unit_test(test_vtimezone_fixed),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_load_refuses),
		cmocka_unit_test(test_load_order_and_crlf),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_ics_details),
		cmocka_unit_test(test_ics_year_span),
		cmocka_unit_test(test_csv_refusals),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
