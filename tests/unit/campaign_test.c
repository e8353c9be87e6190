/*
 * campaign_test.c: campaign loading, validation (the broken corpus),
 * overlays, floating times, platform counting, kit manifests.
 * Runs with cwd = tests/unit.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "kit_campaign.h"
#include "kit_crypto.h"

#define CAMPAIGNS "../../campaigns"
#define BROKEN "../fixtures/campaigns-broken"

static void
print_diags(const struct kit_campaign_diags *d, const char *dir)
{
	char line[1024];
	size_t i;

	for (i = 0; i < d->n; i++) {
		kit_campaign_diag_format(&d->v[i], dir, line, sizeof(line));
		fprintf(stderr, "  %s\n", line);
	}
}

static struct kit_campaign *
load_ok(const char *dir)
{
	struct kit_error err = {0};
	struct kit_campaign_diags d;
	struct kit_campaign *c;

	kit_campaign_diags_init(&d);
	c = kit_campaign_load(dir, &d, &err);
	if (!c) {
		fprintf(stderr, "load %s: %s\n", dir, err.msg);
		print_diags(&d, dir);
	}
	kit_campaign_diags_free(&d);
	assert_non_null(c);
	return c;
}

static const struct kit_manifest_post *
post_of(const struct kit_manifest *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n_posts; i++)
		if (!strcmp(m->posts[i].id, id))
			return &m->posts[i];
	return NULL;
}

static const struct kit_manifest_statement *
statement_of(const struct kit_manifest *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n_statements; i++)
		if (!strcmp(m->statements[i].path, path))
			return &m->statements[i];
	return NULL;
}

/* ---- the real campaigns --------------------------------------------------- */

static void
test_real_campaigns_validate_clean(void **state)
{
	static const char *const ids[] = {"together-2016", "migrants-day-2020",
					  "migrants-day-2021"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char dir[256];
		struct kit_campaign_diags d;
		struct kit_campaign *c;
		int errors;

		(void)snprintf(dir, sizeof(dir), "%s/%s", CAMPAIGNS, ids[i]);
		c = load_ok(dir);
		kit_campaign_diags_init(&d);
		errors = kit_campaign_validate(c, &d);
		if (d.n)
			print_diags(&d, dir);
		assert_int_equal(errors, 0);
		assert_int_equal(d.warnings, 0);
		assert_string_equal(kit_campaign_id(c), ids[i]);
		assert_true(kit_campaign_source_date(c) > 0);
		kit_campaign_diags_free(&d);
		kit_campaign_free(c);
	}
}

/* ---- the broken corpus -------------------------------------------------------- */

static int
check_fixture(const char *name)
{
	char dir[512], path[600], line[1024], got[1024];
	struct kit_campaign_diags d;
	struct kit_campaign *c;
	struct kit_error err = {0};
	FILE *f;
	size_t i = 0;
	int bad = 0, load_fails;
	struct stat st;

	(void)snprintf(dir, sizeof(dir), "%s/%s", BROKEN, name);
	(void)snprintf(path, sizeof(path), "%s/load-fails", dir);
	load_fails = stat(path, &st) == 0;
	kit_campaign_diags_init(&d);
	c = kit_campaign_load(dir, &d, &err);
	if (load_fails) {
		if (c || err.code != KIT_E_INVALID) {
			fprintf(stderr, "%s: expected the load to fail with class 1, "
					"got %s (%d)\n",
				name, c ? "success" : err.msg, err.code);
			bad = 1;
		}
	} else if (!c) {
		fprintf(stderr, "%s: load failed: %s\n", name, err.msg);
		bad = 1;
	} else if (kit_campaign_validate(c, &d) == 0 && d.warnings == 0) {
		fprintf(stderr, "%s: validated clean\n", name);
		bad = 1;
	}
	kit_campaign_diags_sort(&d);
	(void)snprintf(path, sizeof(path), "%s/expected", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char want_loc[600], *frag;
		size_t n = strlen(line);

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		if (i >= d.n) {
			fprintf(stderr, "%s: missing diagnostic: %s\n", name, line);
			bad = 1;
			i++;
			continue;
		}
		kit_campaign_diag_format(&d.v[i], NULL, got, sizeof(got));
		/* "file:line:col: severity: " must match exactly, then the
		 * message must contain the fragment */
		frag = strstr(line, "error: ");
		if (!frag)
			frag = strstr(line, "warning: ");
		assert_non_null(frag);
		frag = strchr(frag, ':') + 2;
		(void)snprintf(want_loc, sizeof(want_loc), "%.*s", (int)(frag - line),
			       line);
		if (strncmp(got, want_loc, strlen(want_loc)) != 0 ||
		    !strstr(d.v[i].msg, frag)) {
			fprintf(stderr, "%s: expected %s\n%*s got      %s\n", name,
				line, (int)strlen(name), "", got);
			bad = 1;
		}
		i++;
	}
	fclose(f);
	for (; i < d.n; i++) {
		kit_campaign_diag_format(&d.v[i], NULL, got, sizeof(got));
		fprintf(stderr, "%s: unexpected diagnostic: %s\n", name, got);
		bad = 1;
	}
	kit_campaign_diags_free(&d);
	kit_campaign_free(c);
	return bad;
}

static void
test_broken_corpus(void **state)
{
	DIR *dp;
	struct dirent *de;
	int bad = 0, count = 0;

	(void)state;
	dp = opendir(BROKEN);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		char p[600];
		struct stat st;

		(void)snprintf(p, sizeof(p), "%s/%s/expected", BROKEN, de->d_name);
		if (de->d_name[0] == '.' || stat(p, &st) != 0)
			continue;
		bad |= check_fixture(de->d_name);
		count++;
	}
	closedir(dp);
	assert_true(count >= 20);
	assert_int_equal(bad, 0);
}

static void
test_broken_campaign_refuses_to_build(void **state)
{
	struct kit_campaign *c = load_ok(BROKEN "/post-outside-window");
	struct kit_error err = {0};

	(void)state;
	assert_null(kit_campaign_kit_new(c, NULL, 1, -1, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_non_null(strstr(err.msg, "campaign.json:21:45"));
	kit_campaign_free(c);
}

static void
test_load_errors(void **state)
{
	struct kit_error err = {0};
	struct kit_campaign_diags d;
	char tmpl[] = "/tmp/kit-campaign-XXXXXX", path[256];
	char *big;
	FILE *f;

	(void)state;
	kit_campaign_diags_init(&d);
	assert_null(kit_campaign_load("../fixtures/no-such-campaign", &d, &err));
	assert_int_equal(err.code, KIT_E_IO);

	/* an empty directory: no campaign.json */
	assert_non_null(mkdtemp(tmpl));
	kit_err_clear(&err);
	assert_null(kit_campaign_load(tmpl, &d, &err));
	assert_int_equal(err.code, KIT_E_IO);
	assert_non_null(strstr(err.msg, "campaign.json"));

	/* a campaign.json over the cap is refused before Jansson sees it */
	(void)snprintf(path, sizeof(path), "%s/campaign.json", tmpl);
	f = fopen(path, "w");
	assert_non_null(f);
	big = calloc(1, KIT_CAMPAIGN_JSON_MAX + 2);
	memset(big, ' ', KIT_CAMPAIGN_JSON_MAX + 1);
	fputs(big, f);
	fclose(f);
	free(big);
	kit_err_clear(&err);
	assert_null(kit_campaign_load(tmpl, &d, &err));
	assert_int_equal(err.code, KIT_E_INVALID); /* too large: invalid input */

	/* an array instead of an object */
	f = fopen(path, "w");
	fputs("[1, 2]\n", f);
	fclose(f);
	kit_err_clear(&err);
	assert_null(kit_campaign_load(tmpl, &d, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
	kit_campaign_diags_free(&d);
}

/* ---- overlays and times ------------------------------------------------------- */

static void
test_overlay_merge_hungary_2021(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/migrants-day-2021");
	struct kit_campaign_kit *k, *g;
	struct kit_error err = {0};
	const struct kit_manifest *m;

	(void)state;
	assert_int_equal(kit_campaign_office_count(c), 2);
	assert_string_equal(kit_campaign_office_id(c, 0), "belgium");
	assert_string_equal(kit_campaign_office_id(c, 1), "hungary");
	k = kit_campaign_kit_new(c, "hungary", 1, -1, &err);
	if (!k)
		fprintf(stderr, "%s\n", err.msg);
	assert_non_null(k);
	m = kit_campaign_kit_manifest(k);
	assert_string_equal(m->office, "hungary");
	assert_string_equal(m->campaign, "migrants-day-2021");
	assert_string_equal(m->timezone, "Europe/Budapest");
	assert_non_null(m->office_info);
	assert_string_equal(m->office_info->name, "IOM Hungary");
	assert_string_equal(m->office_info->country, "Hungary");
	assert_int_equal(m->office_info->presence_since, 1992);
	assert_non_null(statement_of(m, "statements/harnessing-human-mobility.md"));
	assert_string_equal(statement_of(m, "statements/harnessing-human-mobility.md")->title,
			    "Harnessing the Potential of Human Mobility");
	assert_non_null(statement_of(m, "statements/iom-hungary.md"));
	assert_null(statement_of(m, "statements/iom-belgium-luxembourg.md"));
	assert_non_null(post_of(m, "md21-x-hu-1"));
	assert_non_null(post_of(m, "md21-x-en-1"));
	assert_null(post_of(m, "md21-x-fr-1"));
	assert_non_null(kit_manifest_file(m, "statements/iom-hungary.md"));
	assert_non_null(kit_manifest_file(m, "about.md"));

	g = kit_campaign_kit_new(c, NULL, 1, -1, &err);
	assert_non_null(g);
	m = kit_campaign_kit_manifest(g);
	assert_string_equal(m->office, "global");
	assert_null(m->office_info);
	assert_null(post_of(m, "md21-x-hu-1"));
	assert_string_equal(m->timezone, "Europe/Zurich");
	kit_campaign_kit_free(g);
	kit_campaign_kit_free(k);

	kit_err_clear(&err);
	assert_null(kit_campaign_kit_new(c, "atlantis", 1, -1, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_campaign_free(c);
}

static void
test_turkmenistan_2020_contact(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/migrants-day-2020");
	struct kit_error err = {0};
	struct kit_campaign_kit *k = kit_campaign_kit_new(c, "turkmenistan", 1, -1, &err);
	const struct kit_manifest_contact *ct;
	const struct kit_manifest_post *p;
	char at[32];

	(void)state;
	assert_non_null(k);
	ct = kit_campaign_kit_manifest(k)->office_info->contact;
	assert_non_null(ct);
	assert_string_equal(ct->name, "Dovlet Chariyev");
	assert_string_equal(ct->email, "dchariyev@iom.int");
	p = post_of(kit_campaign_kit_manifest(k), "md20-x-ru-1");
	assert_non_null(p);
	assert_string_equal(p->language, "ru");
	/* 10:00 floating in Ashgabat (UTC+5) */
	kit_time_format_utc(p->at, at, sizeof(at));
	assert_string_equal(at, "2020-12-18T05:00:00Z");
	kit_campaign_kit_free(k);
	kit_campaign_free(c);
}

static const char *
post_at(const struct kit_campaign *c, const char *office, const char *id)
{
	static char buf[32];
	struct kit_error err = {0};
	struct kit_campaign_kit *k = kit_campaign_kit_new(c, office, 1, -1, &err);
	const struct kit_manifest_post *p;

	if (!k)
		fprintf(stderr, "%s\n", err.msg);
	assert_non_null(k);
	p = post_of(kit_campaign_kit_manifest(k), id);
	assert_non_null(p);
	kit_time_format_utc(p->at, buf, sizeof(buf));
	if (!strcmp(p->time, "2016-12-15T09:00:00"))
		assert_true(p->floating);
	kit_campaign_kit_free(k);
	return buf;
}

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_floating_times(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/together-2016");
	char tmpl[] = "/tmp/kit-campaign-XXXXXX", p[512];
	struct kit_error err = {0};

	(void)state;
	/* December: Zurich and Brussels at UTC+1, Ashgabat UTC+5 (no DST) */
	assert_string_equal(post_at(c, NULL, "t16-x-en-1"), "2016-12-15T08:00:00Z");
	assert_string_equal(post_at(c, "belgium", "t16-x-en-1"), "2016-12-15T08:00:00Z");
	assert_string_equal(post_at(c, "turkmenistan", "t16-x-en-1"), "2016-12-15T04:00:00Z");
	/* a fixed instant is the same everywhere */
	assert_string_equal(post_at(c, "turkmenistan", "t16-x-en-2"), "2016-12-17T15:00:00Z");
	kit_campaign_free(c);

	/* July: Budapest on summer time (UTC+2), Ashgabat still UTC+5 */
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(p, sizeof(p), "%s/statements", tmpl);
	assert_int_equal(mkdir(p, 0755), 0);
	(void)snprintf(p, sizeof(p), "%s/offices", tmpl);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file(tmpl, "about.md", "# About\n\nWho we are.\n");
	write_file(tmpl, "statements/s.md",
		   "# S\n\n## Part <b>one</b>\n\nText <script>alert(1)</script> *em* and **strong**\n"
		   "on two lines & more.\n\n- a\n- b\n");
	write_file(tmpl, "campaign.json",
		   "{\"id\": \"summer\", \"title\": \"Summer\",\n"
		   " \"window\": {\"start\": \"2021-06-30T00:00:00Z\", \"end\": \"2021-07-02T00:00:00Z\"},\n"
		   " \"timezone\": \"Europe/Budapest\", \"languages\": [\"en\"], \"hashtags\": [\"#S\"],\n"
		   " \"source_date\": \"2021-06-01T00:00:00Z\", \"about\": \"about.md\",\n"
		   " \"statements\": [{\"file\": \"statements/s.md\", \"title\": \"S\", \"speaker\": \"S\", \"date\": \"2021-06-30\", \"language\": \"en\"}],\n"
		   " \"posts\": [{\"id\": \"p\", \"platform\": \"mastodon\", \"time\": \"2021-07-01T09:00:00\", \"text\": \"#S hi\", \"language\": \"en\"}]}\n");
	write_file(tmpl, "offices/turkmenistan.json",
		   "{\"id\": \"turkmenistan\", \"name\": \"IOM Turkmenistan\", \"country\": \"Turkmenistan\",\n"
		   " \"timezone\": \"Asia/Ashgabat\", \"languages\": [\"en\"]}\n");
	c = load_ok(tmpl);
	assert_string_equal(post_at(c, NULL, "p"), "2021-07-01T07:00:00Z");
	assert_string_equal(post_at(c, "turkmenistan", "p"), "2021-07-01T04:00:00Z");
	{
		/* Markdown rendered simply, every bit of HTML escaped */
		struct kit_campaign_kit *k = kit_campaign_kit_new(c, NULL, 1, -1, &err);
		const struct kit_campaign_entry *e;
		char *html;
		size_t i;

		assert_non_null(k);
		for (i = 0; i < kit_campaign_kit_entry_count(k); i++) {
			e = kit_campaign_kit_entry(k, i);
			if (strcmp(e->path, "index.html"))
				continue;
			html = calloc(1, e->len + 1);
			memcpy(html, e->data, e->len);
			assert_null(strstr(html, "<script>alert"));
			assert_null(strstr(html, "<b>"));
			assert_non_null(strstr(html, "<h5>Part &lt;b&gt;one&lt;/b&gt;</h5>"));
			assert_non_null(strstr(html, "<p>Text &lt;script&gt;alert(1)&lt;/script&gt; "
						     "<em>em</em> and <strong>strong</strong>\n"
						     "on two lines &amp; more.</p>"));
			assert_non_null(strstr(html, "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"));
			/* the "# S" line repeats the title: not rendered again */
			assert_null(strstr(html, "<h4>S</h4>"));
			free(html);
		}
		kit_campaign_kit_free(k);
	}
	kit_campaign_free(c);
	assert_int_equal(kit_rm_rf(tmpl, &err), 0);
}

/* ---- counting ---------------------------------------------------------------- */

static void
test_x_weighted_counting(void **state)
{
	static const struct {
		const char *platform, *text;
		long want;
	} v[] = {
		{"x", "hello", 5},
		{"x", "https://example.org/a/very/long/path/indeed/yes", 23},
		{"x", "see http://a.example/x.", 4 + 23 + 1},
		{"x", "\xe4\xb8\xad\xe6\x96\x87", 4},         /* 中文 */
		{"x", "\xed\x95\x9c", 2},                     /* 한 */
		{"x", "\xf0\x9f\x98\x80", 2},                 /* 😀 */
		{"x", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 2}, /* 👍🏽 skin tone */
		{"x", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 2},
		{"x", "\xf0\x9f\x87\xad\xf0\x9f\x87\xba", 2},                    /* 🇭🇺 flag */
		{"x", "caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\x9cq\xe2\x80\x9d", 10}, /* café — “q” */
		{"x", "\xd0\x9c\xd0\x9e\xd0\x9c", 3},                            /* МОМ: Cyrillic weighs 1 */
		{"mastodon", "hi https://example.org/very/long/url/here", 3 + 23},
		{"mastodon", "\xf0\x9f\x98\x80", 1},
		{"facebook", "\xf0\x9f\x98\x80 https://example.org/long", 2 + 24},
		{"bluesky", "e\xcc\x81", 1}, /* e + combining acute */
		{"instagram", "abc", 3},
	};
	size_t i;
	long limit;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		long got = kit_manifest_text_length(v[i].platform, v[i].text, &limit);

		if (got != v[i].want)
			fprintf(stderr, "vector %zu (%s): got %ld want %ld\n", i,
				v[i].platform, got, v[i].want);
		assert_int_equal(got, v[i].want);
	}
	assert_int_equal(kit_manifest_text_length("x", "a", &limit), 1);
	assert_int_equal(limit, 280);
	assert_int_equal(kit_manifest_text_length("mastodon", "a", &limit), 1);
	assert_int_equal(limit, 500);
	assert_int_equal(kit_manifest_text_length("bluesky", "a", &limit), 1);
	assert_int_equal(limit, 300);
	assert_int_equal(kit_manifest_text_length("instagram", "a", &limit), 1);
	assert_int_equal(limit, 2200);
	assert_int_equal(kit_manifest_text_length("linkedin", "a", &limit), 1);
	assert_int_equal(limit, 3000);
	assert_int_equal(kit_manifest_text_length("facebook", "a", &limit), 1);
	assert_int_equal(limit, 63206);
	assert_int_equal(kit_manifest_text_length("myspace", "a", &limit), -1);
	assert_int_equal(kit_manifest_text_length("x", "\xff", &limit), -1);
	assert_true(kit_campaign_language_known("hu"));
	assert_true(kit_campaign_language_known("pt-BR"));
	assert_false(kit_campaign_language_known("xx"));
	assert_false(kit_campaign_language_known("english"));
}

/* ---- kits ----------------------------------------------------------------------- */

static void
test_determinism_and_entries(void **state)
{
	struct kit_campaign *c1 = load_ok(CAMPAIGNS "/together-2016");
	struct kit_campaign *c2 = load_ok(CAMPAIGNS "/together-2016");
	struct kit_error err = {0};
	struct kit_campaign_kit *a, *b;
	const char *ba, *bb;
	size_t la, lb, i;
	char hex[KIT_SHA256_HEX];

	(void)state;
	a = kit_campaign_kit_new(c1, "belgium", 3, 1481716800, &err);
	b = kit_campaign_kit_new(c2, "belgium", 3, 1481716800, &err);
	assert_non_null(a);
	assert_non_null(b);
	ba = kit_campaign_kit_manifest_bytes(a, &la);
	bb = kit_campaign_kit_manifest_bytes(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	assert_int_equal(ba[la - 1], '\n');
	assert_int_equal(kit_campaign_kit_entry_count(a), kit_campaign_kit_entry_count(b));
	/* manifest.json first, the rest sorted, hashes right */
	assert_string_equal(kit_campaign_kit_entry(a, 0)->path, "manifest.json");
	assert_memory_equal(kit_campaign_kit_entry(a, 0)->data, ba, la);
	for (i = 0; i < kit_campaign_kit_entry_count(a); i++) {
		const struct kit_campaign_entry *e = kit_campaign_kit_entry(a, i);
		const struct kit_campaign_entry *f = kit_campaign_kit_entry(b, i);

		assert_string_equal(e->path, f->path);
		assert_string_equal(e->sha256, f->sha256);
		assert_true(kit_path_is_safe(e->path));
		if (i > 1)
			assert_true(strcmp(kit_campaign_kit_entry(a, i - 1)->path, e->path) < 0);
		if (e->source) {
			uint64_t len;

			assert_int_equal(kit_sha256_file_at(kit_campaign_kit_dirfd(a),
							    e->source, hex, &len,
							    &err),
					 0);
			assert_int_equal(len, e->len);
		} else {
			kit_sha256_hex(e->data, e->len, hex);
		}
		assert_string_equal(hex, e->sha256);
	}
	assert_string_equal(kit_campaign_kit_entry(a, 1)->path, "about.md");
	assert_non_null(kit_manifest_file(kit_campaign_kit_manifest(a), "index.html"));
	assert_null(kit_manifest_file(kit_campaign_kit_manifest(a), "manifest.json"));
	assert_int_equal(kit_campaign_kit_manifest(a)->source_date_epoch, 1481716800);
	kit_campaign_kit_free(a);
	kit_campaign_kit_free(b);
	kit_campaign_free(c1);
	kit_campaign_free(c2);
}

static void
test_content_digest_ignores_version(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/migrants-day-2021");
	struct kit_error err = {0};
	struct kit_campaign_kit *a, *b, *d;
	size_t la, lb;
	const char *ba, *bb;
	json_t *copy;
	char *dump, hex[KIT_SHA256_HEX];

	(void)state;
	a = kit_campaign_kit_new(c, "belgium", 1, -1, &err);
	b = kit_campaign_kit_new(c, "belgium", 7, -1, &err);
	d = kit_campaign_kit_new(c, "belgium", 1, 12345, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(d);
	ba = kit_campaign_kit_manifest_bytes(a, &la);
	bb = kit_campaign_kit_manifest_bytes(b, &lb);
	assert_true(la != lb || memcmp(ba, bb, la) != 0);
	assert_string_equal(kit_campaign_kit_content(a), kit_campaign_kit_content(b));
	assert_string_equal(kit_campaign_kit_manifest(a)->content,
			    kit_campaign_kit_content(a));
	/* another source date is another content */
	assert_string_not_equal(kit_campaign_kit_content(a), kit_campaign_kit_content(d));
	/* the digest is what kit_manifest.h says, computed here from the
	 * bytes with Jansson alone: compact, sorted, no version and no
	 * content */
	copy = json_loadb(bb, lb, 0, NULL);
	assert_non_null(copy);
	json_object_del(copy, "version");
	json_object_del(copy, "content");
	dump = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	kit_sha256_hex(dump, strlen(dump), hex);
	assert_string_equal(hex, kit_campaign_kit_content(b));
	free(dump);
	json_decref(copy);
	/* and the same digest comes back from manifest.json's bytes parsed
	 * again, which is how kit-fetch checks a release kept on disk */
	{
		struct kit_manifest *back = kit_manifest_parse(bb, lb, "b", &err);

		assert_non_null(back);
		assert_int_equal(kit_manifest_content(back, hex, &err), 0);
		assert_string_equal(hex, kit_campaign_kit_content(b));
		free(back->title);
		back->title = kit_strdup("changed");
		assert_int_equal(kit_manifest_content(back, hex, &err), 0);
		assert_string_not_equal(hex, kit_campaign_kit_content(b));
		kit_manifest_free(back);
	}
	assert_int_equal(kit_campaign_kit_source_date(a), kit_campaign_source_date(c));
	kit_campaign_kit_free(a);
	kit_campaign_kit_free(b);
	kit_campaign_kit_free(d);
	kit_err_clear(&err);
	assert_null(kit_campaign_kit_new(c, NULL, 0, -1, &err));
	assert_int_equal(err.code, KIT_E_INVALID);
	kit_campaign_free(c);
}

/* A file is read and hashed once per campaign: the kits built after the
 * inputs digest take the digest it read (a 200 MB video in 51 kits was
 * read 52 times per publish). */
static void
test_file_hashed_once(void **state)
{
	char tmpl[] = "/tmp/kit-campaign-once-XXXXXX", p[512], first[KIT_SHA256_HEX], hex[KIT_SHA256_HEX];
	struct kit_error err = {0};
	struct kit_campaign *c;
	struct kit_campaign_kit *k;
	const char *once = "# About\n\nWho we are.\n";
	size_t i, seen = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(p, sizeof(p), "%s/statements", tmpl);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file(tmpl, "about.md", once);
	write_file(tmpl, "statements/s.md", "# S\n\nText.\n");
	write_file(tmpl, "campaign.json",
		   "{\"id\": \"once\", \"title\": \"Once\",\n"
		   " \"window\": {\"start\": \"2021-06-30T00:00:00Z\", \"end\": \"2021-07-02T00:00:00Z\"},\n"
		   " \"timezone\": \"Europe/Budapest\", \"languages\": [\"en\"], \"hashtags\": [\"#S\"],\n"
		   " \"source_date\": \"2021-06-01T00:00:00Z\", \"about\": \"about.md\",\n"
		   " \"statements\": [{\"file\": \"statements/s.md\", \"title\": \"S\", \"speaker\": \"S\", \"date\": \"2021-06-30\", \"language\": \"en\"}],\n"
		   " \"posts\": [{\"id\": \"p\", \"platform\": \"mastodon\", \"time\": \"2021-07-01T09:00:00\", \"text\": \"#S hi\", \"language\": \"en\"}]}\n");
	c = load_ok(tmpl);
	assert_int_equal(kit_campaign_kit_inputs(c, NULL, "salt", hex, &err), 0);
	kit_sha256_hex(once, strlen(once), first);
	/* changed after the inputs read it: this publish goes on with what
	 * it read (the writer refuses a file that changed under it) */
	write_file(tmpl, "about.md", "# About\n\nSomeone else entirely.\n");
	k = kit_campaign_kit_new(c, NULL, 1, 1622505600, &err);
	assert_non_null(k);
	for (i = 0; i < kit_campaign_kit_entry_count(k); i++) {
		const struct kit_campaign_entry *e = kit_campaign_kit_entry(k, i);

		if (e->source != NULL && strcmp(e->source, "about.md") == 0) {
			assert_string_equal(e->sha256, first);
			assert_int_equal(e->len, strlen(once));
			seen++;
		}
	}
	assert_int_equal(seen, 1);
	kit_campaign_kit_free(k);
	kit_campaign_free(c);
	(void)snprintf(p, sizeof(p), "rm -rf '%s'", tmpl);
	assert_int_equal(system(p), 0);
}

static void
test_index_html(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/migrants-day-2020");
	struct kit_error err = {0};
	struct kit_campaign_kit *k = kit_campaign_kit_new(c, "turkmenistan", 1, -1, &err);
	const struct kit_campaign_entry *e = NULL;
	char *html;
	size_t i;

	(void)state;
	assert_non_null(k);
	for (i = 0; i < kit_campaign_kit_entry_count(k); i++)
		if (!strcmp(kit_campaign_kit_entry(k, i)->path, "index.html"))
			e = kit_campaign_kit_entry(k, i);
	assert_non_null(e);
	assert_null(e->source);
	html = calloc(1, e->len + 1);
	memcpy(html, e->data, e->len);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "Dovlet Chariyev"));
	assert_non_null(strstr(html, "IOM Turkmenistan"));
	/* local time in the office zone: 10:00 in Ashgabat */
	assert_non_null(strstr(html, "Friday 18 December 2020"));
	assert_non_null(strstr(html, ">10:00 (UTC+05:00)</time>"));
	assert_non_null(strstr(html, "alt=\"Blue card"));
	assert_non_null(strstr(html, "<h3>Human rights are not earned"));
	/* the about text, rendered */
	assert_non_null(strstr(html, "<h2 id=\"h-about\">About</h2>"));
	/* no network: one inline script allowed by its hash, no remote
	 * resources, nothing inline that the policy does not name */
	assert_non_null(strstr(html, "script-src 'sha256-"));
	assert_null(strstr(html, "unsafe-inline"));
	assert_null(strstr(html, "<script src"));
	assert_null(strstr(strstr(html, "<script>") + 1, "<script>"));
	assert_null(strstr(html, " style=\""));
	assert_null(strstr(html, "src=\"http"));
	assert_null(strstr(html, "<link"));
	free(html);
	kit_campaign_kit_free(k);
	kit_campaign_free(c);
}

/* The page's counts are the validator's (one function), for posts that
 * count differently on each platform; Arabic reads right to left; video
 * and audio get players; the calendar and bulk files are in the kit. */
static void
test_page_counts_and_media(void **state)
{
	static const struct {
		const char *id, *platform, *text, *link;
		long want;
	} posts[] = {
		{"u", "x", "Read the report https://www.example.org/reports/2026/migration/a-very-long-path-that-still-counts-as-23 #T", NULL, 42},
		{"e", "x", "Family \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 flags \xf0\x9f\x87\xa7\xf0\x9f\x87\xaa thumbs \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd #T", NULL, 31},
		{"c", "x", "\xe5\x9b\xbd\xe9\x99\x85\xe7\xa7\xbb\xe6\xb0\x91\xe6\x97\xa5 #T", NULL, 13},
		{"m", "x", "Cafe\xcc\x81 re\xcc\x81sume\xcc\x81 #T", NULL, 14},
		{"l", "mastodon", "See https://example.org/a #T", "https://example.org/b", 54},
		{"b", "bluesky", "\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbe\xe2\x80\x8d\xf0\x9f\x92\xbb e\xcc\x81 #T", NULL, 6},
		{"i", "instagram", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 #T", NULL, 6},
		{"a", "facebook", "\xd9\x85\xd8\xb9\xd8\xa7\xd9\x8b #T", NULL, 7},
	};
	char tmpl[] = "/tmp/kit-page-XXXXXX", p[512], *json, *html = NULL, *at;
	struct kit_error err = {0};
	struct kit_campaign *c;
	struct kit_campaign_kit *k;
	const struct kit_campaign_entry *e;
	size_t i, n = 0;
	int have_ics = 0, have_media = 0, have_sprout = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(p, sizeof(p), "%s/media", tmpl);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file(tmpl, "about.md", "Who we are.\n");
	write_file(tmpl, "media/v.webm", "not really a video");
	write_file(tmpl, "media/a.mp3", "not really audio");
	json = kit_aprintf("{\"id\": \"counts\", \"title\": \"Counts\",\n"
			   " \"window\": {\"start\": \"2021-06-30T00:00:00Z\", \"end\": \"2021-07-02T00:00:00Z\"},\n"
			   " \"timezone\": \"UTC\", \"languages\": [\"en\", \"ar\"], \"hashtags\": [\"#T\"],\n"
			   " \"source_date\": \"2021-06-01T00:00:00Z\", \"about\": \"about.md\",\n"
			   " \"statements\": [],\n"
			   " \"media\": [{\"file\": \"media/v.webm\", \"alt\": \"A video.\"}, {\"file\": \"media/a.mp3\", \"alt\": \"A sound.\"}],\n"
			   " \"posts\": [");
	for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		char *next = kit_aprintf("%s%s{\"id\": \"%s\", \"platform\": \"%s\", \"time\": \"2021-07-01T%02zu:00:00\", "
					 "\"language\": \"%s\", \"text\": \"%s\"%s%s%s%s}",
					 json, i ? ",\n" : "", posts[i].id, posts[i].platform, i + 1,
					 posts[i].id[0] == 'a' ? "ar" : "en", posts[i].text,
					 posts[i].link ? ", \"link\": \"" : "", posts[i].link ? posts[i].link : "",
					 posts[i].link ? "\"" : "",
					 posts[i].id[0] == 'a' ? ", \"media\": [\"media/v.webm\", \"media/a.mp3\"]" : "");

		free(json);
		json = next;
	}
	at = kit_aprintf("%s]}\n", json);
	write_file(tmpl, "campaign.json", at);
	free(at);
	free(json);
	c = load_ok(tmpl);
	k = kit_campaign_kit_new(c, NULL, 1, -1, &err);
	if (!k)
		fail_msg("%s", err.msg);
	for (i = 0; i < kit_campaign_kit_entry_count(k); i++) {
		e = kit_campaign_kit_entry(k, i);
		have_ics |= !strcmp(e->path, "schedule/counts-global.ics");
		have_media |= !strcmp(e->path, "schedule/media.csv");
		have_sprout |= !strcmp(e->path, "schedule/sprout-x.csv");
		if (!strcmp(e->path, "index.html")) {
			html = calloc(1, e->len + 1);
			memcpy(html, e->data, e->len);
		}
	}
	assert_true(have_ics && have_media && have_sprout);
	assert_non_null(html);
	for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		char *full = posts[i].link ? kit_aprintf("%s %s", posts[i].text, posts[i].link)
					   : kit_strdup(posts[i].text);
		long limit, want = kit_manifest_text_length(posts[i].platform, full, &limit);
		char *card = kit_aprintf("id=\"post-%s\"", posts[i].id), *count;

		/* the validator's function and the table agree... */
		assert_int_equal(want, posts[i].want);
		/* ...and the page says the same */
		at = strstr(html, card);
		assert_non_null(at);
		at = strstr(at, "<p class=\"count");
		assert_non_null(at);
		count = kit_aprintf("\">%ld of %ld characters", want, limit);
		assert_non_null(strstr(at, count));
		assert_true(strstr(at, count) - at < 40);
		free(count);
		free(card);
		free(full);
		n++;
	}
	assert_int_equal(n, 8);
	assert_non_null(strstr(html, "id=\"text-a\" lang=\"ar\" dir=\"rtl\""));
	assert_non_null(strstr(html, "<video controls preload=\"metadata\" src=\"media/v.webm\""));
	assert_non_null(strstr(html, "<audio controls preload=\"metadata\" src=\"media/a.mp3\""));
	assert_non_null(strstr(html, "href=\"schedule/counts-global.ics\" download"));
	assert_non_null(strstr(html, "media-src 'self'"));
	free(html);
	kit_campaign_kit_free(k);
	kit_campaign_free(c);
	assert_int_equal(kit_rm_rf(tmpl, &err), 0);
}

/* What an office installs: its own kit of each campaign, else the global
 * one (kit-fetch and kit-publish export --office both ask this). */
static void
test_pick_kits(void **state)
{
	static const struct kit_campaign_kit_ref kits[] = {
		{"a", "global"},
		{"a", "belgium"},
		{"a", "hungary"},
		{"b", "global"},
		{"b", "hungary"},
		{"c", "belgium"},
		{"c", "global"},
		{"c", "belgium"},
		{"d", "other"},
	};
	static const int belgium[] = {0, 1, 0, 1, 0, 1, 0, 0, 0};
	static const int none[] = {1, 0, 0, 1, 0, 0, 1, 0, 0};
	int chosen[9];
	size_t i;

	(void)state;
	kit_campaign_pick_kits(kits, 9, "belgium", chosen);
	for (i = 0; i < 9; i++)
		assert_int_equal(chosen[i], belgium[i]);
	kit_campaign_pick_kits(kits, 9, NULL, chosen);
	for (i = 0; i < 9; i++)
		assert_int_equal(chosen[i], none[i]);
	kit_campaign_pick_kits(kits, 9, "kenia", chosen);
	for (i = 0; i < 9; i++)
		assert_int_equal(chosen[i], none[i]);
}

static void
test_write_manifests(void **state)
{
	struct kit_campaign *c = load_ok(CAMPAIGNS "/together-2016");
	struct kit_error err = {0};
	char tmpl[] = "/tmp/kit-campaign-XXXXXX", p[512];
	unsigned char *buf;
	size_t len, ml;
	struct kit_campaign_kit *k;
	struct kit_manifest *m;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(kit_campaign_write_manifests(c, tmpl, &err), 0);
	(void)snprintf(p, sizeof(p), "%s/together-2016/hungary.json", tmpl);
	assert_int_equal(kit_file_read(p, 1 << 20, &buf, &len, &err), 0);
	m = kit_manifest_parse(buf, len, p, &err);
	assert_non_null(m);
	assert_int_equal(m->version, 1);
	k = kit_campaign_kit_new(c, "hungary", 1, -1, &err);
	assert_non_null(k);
	assert_memory_equal(kit_campaign_kit_manifest_bytes(k, &ml), buf, len);
	assert_int_equal(ml, len);
	(void)snprintf(p, sizeof(p), "%s/together-2016/global.json", tmpl);
	assert_true(kit_file_exists(p));
	(void)snprintf(p, sizeof(p), "%s/together-2016/turkmenistan.json", tmpl);
	assert_true(kit_file_exists(p));
	kit_manifest_free(m);
	free(buf);
	kit_campaign_kit_free(k);
	kit_campaign_free(c);
	assert_int_equal(kit_rm_rf(tmpl, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_campaigns_validate_clean),
		cmocka_unit_test(test_broken_corpus),
		cmocka_unit_test(test_broken_campaign_refuses_to_build),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_file_hashed_once),
		cmocka_unit_test(test_overlay_merge_hungary_2021),
		cmocka_unit_test(test_turkmenistan_2020_contact),
		cmocka_unit_test(test_floating_times),
		cmocka_unit_test(test_x_weighted_counting),
		cmocka_unit_test(test_determinism_and_entries),
		cmocka_unit_test(test_content_digest_ignores_version),
		cmocka_unit_test(test_index_html),
		cmocka_unit_test(test_page_counts_and_media),
		cmocka_unit_test(test_pick_kits),
		cmocka_unit_test(test_write_manifests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
