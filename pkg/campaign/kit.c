/*
 * kit.c: one kit (a campaign merged with an office overlay, or the global
 * kit): the manifest, the generated index.html and the archive entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"
#include "kit_crypto.h"

#define HTML_MAX (8u << 20)

struct kit_campaign_kit {
	json_t *manifest;
	char *bytes;
	size_t len;
	char content[KIT_SHA256_HEX];
	char *office;
	int64_t sde;
	struct kit_campaign_entry *e;
	size_t n;
};

/* ---- entries -------------------------------------------------------------- */

static void
entry_add(struct kit_campaign_kit *k, const char *path, const char *source,
	  unsigned char *data, size_t len, const char *sha)
{
	struct kit_campaign_entry *e;

	k->e = kit_xrealloc(k->e, (k->n + 1) * sizeof(*k->e));
	e = &k->e[k->n++];
	e->path = kit_strdup(path);
	e->source = source ? kit_strdup(source) : NULL;
	e->data = data;
	e->len = len;
	e->sha256 = kit_strdup(sha);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct kit_campaign_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Add a file from the campaign directory, hashing it. */
static int
entry_file(struct kit_campaign_kit *k, const char *dir, const char *rel,
	   const char *archive_path, struct kit_error *err)
{
	char *abs = kit_aprintf("%s/%s", dir, rel);
	char hex[KIT_SHA256_HEX];
	uint64_t len = 0;
	size_t i;
	int rc = -1;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->e[i].path, archive_path)) {
			rc = 0; /* the same file named twice (post media) */
			goto out;
		}
	if (!kit_path_is_safe(rel)) {
		kit_err(err, KIT_E_SECURITY, "%s: unsafe path; use a relative path",
			rel);
		goto out;
	}
	if (kit_sha256_file(abs, hex, &len, err) != 0)
		goto out;
	entry_add(k, archive_path, abs, NULL, (size_t)len, hex);
	rc = 0;
out:
	free(abs);
	return rc;
}

/* ---- index.html ------------------------------------------------------------- */

static int
html_esc(struct kit_buf *b, const char *s, size_t n, struct kit_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *r = NULL;

		switch (s[i]) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default: break;
		}
		if (r ? kit_buf_append(b, r, strlen(r), err)
		      : kit_buf_append(b, s + i, 1, err))
			return -1;
	}
	return 0;
}

static int
html_str(struct kit_buf *b, const char *s, struct kit_error *err)
{
	return html_esc(b, s ? s : "", s ? strlen(s) : 0, err);
}

/* Inline Markdown: **strong**, *em* and _em_ when closed on the same
 * block; everything else escaped as text. */
static int
md_inline(struct kit_buf *b, const char *s, size_t n, struct kit_error *err)
{
	size_t i = 0, j;

	while (i < n) {
		if (i + 1 < n && s[i] == '*' && s[i + 1] == '*') {
			for (j = i + 2; j + 1 < n; j++)
				if (s[j] == '*' && s[j + 1] == '*')
					break;
			if (j + 1 < n && j > i + 2) {
				if (kit_buf_append(b, "<strong>", 8, err) ||
				    md_inline(b, s + i + 2, j - i - 2, err) ||
				    kit_buf_append(b, "</strong>", 9, err))
					return -1;
				i = j + 2;
				continue;
			}
		} else if (s[i] == '*' || (s[i] == '_' && (i == 0 || s[i - 1] == ' '))) {
			for (j = i + 1; j < n; j++)
				if (s[j] == s[i])
					break;
			if (j < n && j > i + 1 && s[i + 1] != ' ') {
				if (kit_buf_append(b, "<em>", 4, err) ||
				    html_esc(b, s + i + 1, j - i - 1, err) ||
				    kit_buf_append(b, "</em>", 5, err))
					return -1;
				i = j + 1;
				continue;
			}
		}
		if (html_esc(b, s + i, 1, err))
			return -1;
		i++;
	}
	return 0;
}

/* Block Markdown: # headings, - lists, > quotes, paragraphs. */
static int
md_render(struct kit_buf *b, const char *md, struct kit_error *err)
{
	const char *p = md, *nl, *line;
	size_t len;
	int in_p = 0, in_ul = 0;

	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		line = p;
		p = nl ? nl + 1 : p + len;
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
			len--;
		if (len == 0 || line[0] == '#' ||
		    ((line[0] == '-' || line[0] == '*') && len > 1 && line[1] == ' ')) {
			if (in_p && kit_buf_append(b, "</p>\n", 5, err))
				return -1;
			in_p = 0;
		}
		if (len == 0 || !((line[0] == '-' || line[0] == '*') && len > 1 &&
				  line[1] == ' ')) {
			if (in_ul && kit_buf_append(b, "</ul>\n", 6, err))
				return -1;
			in_ul = 0;
		}
		if (len == 0)
			continue;
		if (line[0] == '#') {
			size_t lvl = 0;

			while (lvl < len && line[lvl] == '#')
				lvl++;
			if (lvl <= 6 && lvl < len && line[lvl] == ' ') {
				/* statement headings sit below the statement's h3 */
				size_t h = lvl + 3 > 6 ? 6 : lvl + 3;

				if (kit_buf_printf(b, err, "<h%zu>", h) ||
				    md_inline(b, line + lvl + 1, len - lvl - 1, err) ||
				    kit_buf_printf(b, err, "</h%zu>\n", h))
					return -1;
				continue;
			}
		}
		if ((line[0] == '-' || line[0] == '*') && len > 1 && line[1] == ' ') {
			if (!in_ul && kit_buf_append(b, "<ul>\n", 5, err))
				return -1;
			in_ul = 1;
			if (kit_buf_append(b, "<li>", 4, err) ||
			    md_inline(b, line + 2, len - 2, err) ||
			    kit_buf_append(b, "</li>\n", 6, err))
				return -1;
			continue;
		}
		if (line[0] == '>') {
			line++;
			len--;
			while (len > 0 && line[0] == ' ') {
				line++;
				len--;
			}
		}
		if (kit_buf_append(b, in_p ? "\n" : "<p>", in_p ? 1 : 3, err) ||
		    md_inline(b, line, len, err))
			return -1;
		in_p = 1;
	}
	if (in_p && kit_buf_append(b, "</p>\n", 5, err))
		return -1;
	if (in_ul && kit_buf_append(b, "</ul>\n", 6, err))
		return -1;
	return 0;
}

static const char CSS[] =
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
	"max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;"
	"line-height:1.5}"
	"header{border-bottom:4px solid #0033a0;margin-bottom:1.5rem}"
	"h1{color:#0033a0;margin-bottom:.25rem}"
	"h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}"
	"dt{font-weight:600}dd{margin:0}"
	"table{border-collapse:collapse;width:100%;font-size:.95rem}"
	"th,td{border:1px solid #ccc;padding:.4rem;text-align:left;"
	"vertical-align:top}"
	"th{background:#f0f3fa}td.text{white-space:pre-wrap}"
	"article{border-left:3px solid #0033a0;padding-left:1rem;margin:1rem 0}"
	".meta{color:#555;font-size:.9rem}"
	"figure{display:inline-block;margin:.5rem;max-width:18rem}"
	"figure img{max-width:100%;border:1px solid #ccc}"
	"figcaption{font-size:.85rem;color:#444}";

static int
local_time(const char *zone, int64_t at, char *out, size_t size)
{
	struct tm tm;
	long off = 0;
	char abbr[16] = "";

	if (kit_tz_utc_to_local(zone, at, &tm, &off, abbr, sizeof(abbr), NULL))
		return -1;
	(void)snprintf(out, size, "%04d-%02d-%02d %02d:%02d %s (UTC%+03ld:%02ld)",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		       tm.tm_min, abbr, off / 3600, labs(off % 3600) / 60);
	return 0;
}

static int
dl_item(struct kit_buf *b, const char *dt, const char *dd,
	struct kit_error *err)
{
	if (!dd)
		return 0;
	return kit_buf_printf(b, err, "<dt>%s</dt><dd>", dt) ||
	       html_str(b, dd, err) || kit_buf_append(b, "</dd>\n", 6, err);
}

/* The preview page: self-contained (inline CSS, no scripts, no network:
 * media are shown from the kit's own files by relative path). */
static int
render_index(const struct kit_campaign *c, const json_t *man,
	     struct kit_buf *b, struct kit_error *err)
{
	const json_t *oi = json_object_get(man, "office_info");
	const json_t *arr, *x, *win = json_object_get(man, "window");
	const char *zone = kc_str(man, "timezone");
	size_t i, j;
	char when[80], year[16];
	unsigned char *md = NULL;
	const char *body;
	size_t mdlen, tl;

#define OUT(s) do { if (kit_buf_append(b, (s), strlen(s), err)) goto fail; } while (0)
#define ESC(s) do { if (html_str(b, (s), err)) goto fail; } while (0)
	OUT("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "img-src 'self'; style-src 'unsafe-inline'\">\n<title>");
	ESC(kc_str(man, "title"));
	OUT("</title>\n<style>");
	OUT(CSS);
	OUT("</style>\n</head>\n<body>\n<header>\n<h1>");
	ESC(kc_str(man, "title"));
	OUT("</h1>\n<p class=\"meta\">Campaign <code>");
	ESC(kc_str(man, "campaign"));
	OUT("</code>, kit for ");
	ESC(oi && json_is_object(oi) ? kc_str(oi, "name") : "all offices (global)");
	OUT("</p>\n</header>\n<section>\n<h2>Campaign</h2>\n<dl>\n");
	if (dl_item(b, "Window", kc_str(win, "start"), err))
		goto fail;
	if (dl_item(b, "until", kc_str(win, "end"), err) ||
	    dl_item(b, "Time zone", zone, err))
		goto fail;
	OUT("<dt>Languages</dt><dd>");
	json_array_foreach(json_object_get(man, "languages"), i, x) {
		if (i)
			OUT(", ");
		ESC(json_string_value(x));
	}
	OUT("</dd>\n<dt>Hashtags</dt><dd>");
	json_array_foreach(json_object_get(man, "hashtags"), i, x) {
		if (i)
			OUT(" ");
		ESC(json_string_value(x));
	}
	OUT("</dd>\n</dl>\n</section>\n");
	if (json_is_object(oi)) {
		const json_t *ct = json_object_get(oi, "contact");

		OUT("<section>\n<h2>Office</h2>\n<dl>\n");
		if (dl_item(b, "Office", kc_str(oi, "name"), err) ||
		    dl_item(b, "Country", kc_str(oi, "country"), err) ||
		    dl_item(b, "Time zone", kc_str(oi, "timezone"), err))
			goto fail;
		if (json_is_integer(json_object_get(oi, "presence_since"))) {
			(void)snprintf(year, sizeof(year), "%lld",
				       (long long)json_integer_value(
					       json_object_get(oi, "presence_since")));
			if (dl_item(b, "Present since", year, err))
				goto fail;
		}
		if (json_is_object(ct) &&
		    (dl_item(b, "Contact", kc_str(ct, "name"), err) ||
		     dl_item(b, "Role", kc_str(ct, "role"), err) ||
		     dl_item(b, "E-mail", kc_str(ct, "email"), err) ||
		     dl_item(b, "Phone", kc_str(ct, "phone"), err)))
			goto fail;
		OUT("</dl>\n</section>\n");
	}
	OUT("<section>\n<h2>Statements</h2>\n");
	json_array_foreach(json_object_get(man, "statements"), i, x) {
		char *abs = kit_aprintf("%s/%s", c->dir, kc_str(x, "path"));
		int r = kit_file_read(abs, KIT_CAMPAIGN_TEXT_MAX, &md, &mdlen, err);

		free(abs);
		if (r)
			goto fail;
		OUT("<article>\n<h3>");
		ESC(kc_str(x, "title"));
		OUT("</h3>\n<p class=\"meta\">");
		ESC(kc_str(x, "speaker"));
		OUT(", ");
		ESC(kc_str(x, "date"));
		OUT(" (");
		ESC(kc_str(x, "language"));
		OUT(")</p>\n");
		/* the statement's own "# Title" line would repeat the heading */
		body = (const char *)md;
		tl = strlen(kc_str(x, "title"));
		if (!strncmp(body, "# ", 2) && !strncmp(body + 2, kc_str(x, "title"), tl) &&
		    (body[2 + tl] == '\n' || body[2 + tl] == '\r'))
			body += 2 + tl;
		if (md_render(b, body, err))
			goto fail;
		OUT("</article>\n");
		free(md);
		md = NULL;
	}
	OUT("</section>\n");
	arr = json_object_get(man, "videos");
	if (json_array_size(arr)) {
		OUT("<section>\n<h2>Videos to share</h2>\n<ul>\n");
		json_array_foreach(arr, i, x) {
			OUT("<li><a href=\"");
			ESC(kc_str(x, "url"));
			OUT("\">");
			ESC(kc_str(x, "title"));
			OUT("</a> (");
			ESC(kc_str(x, "language"));
			OUT(")</li>\n");
		}
		OUT("</ul>\n</section>\n");
	}
	OUT("<section>\n<h2>Posts</h2>\n<table>\n<thead><tr><th>When (");
	ESC(zone);
	OUT(")</th><th>Platform</th><th>Language</th><th>Text</th><th>Media</th>"
	    "</tr></thead>\n<tbody>\n");
	json_array_foreach(json_object_get(man, "posts"), i, x) {
		int64_t at = 0;
		int fl;

		if (kit_time_parse(kc_str(x, "at"), &at, &fl, err) ||
		    local_time(zone, at, when, sizeof(when)))
			goto fail;
		OUT("<tr id=\"post-");
		ESC(kc_str(x, "id"));
		OUT("\"><td>");
		ESC(when);
		OUT("</td><td>");
		ESC(kc_str(x, "platform"));
		OUT("</td><td>");
		ESC(kc_str(x, "language"));
		OUT("</td><td class=\"text\">");
		ESC(kc_str(x, "text"));
		if (kc_str(x, "link")) {
			OUT("\n<a href=\"");
			ESC(kc_str(x, "link"));
			OUT("\">");
			ESC(kc_str(x, "link"));
			OUT("</a>");
		}
		OUT("</td><td>");
		json_array_foreach(json_object_get(x, "media"), j, win) {
			if (j)
				OUT("<br>");
			ESC(kc_str(win, "path"));
		}
		OUT("</td></tr>\n");
	}
	OUT("</tbody>\n</table>\n</section>\n");
	arr = json_object_get(man, "media_list");
	if (json_array_size(arr)) {
		OUT("<section>\n<h2>Media</h2>\n");
		json_array_foreach(arr, i, x) {
			OUT("<figure><img src=\"");
			ESC(kc_str(x, "path"));
			OUT("\" alt=\"");
			ESC(kc_str(x, "alt"));
			OUT("\"><figcaption>");
			ESC(kc_str(x, "path"));
			OUT(": ");
			ESC(kc_str(x, "alt"));
			OUT("</figcaption></figure>\n");
		}
		OUT("</section>\n");
	}
	OUT("<section>\n<h2>About</h2>\n<p>The text every kit carries is in "
	    "<code>about.md</code>.</p>\n</section>\n</body>\n</html>\n");
#undef OUT
#undef ESC
	return 0;
fail:
	free(md);
	return -1;
}

/* ---- the manifest ----------------------------------------------------------- */

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
copy_strings(const json_t *arr)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (json_is_string(x))
			json_array_append_new(out, json_string(json_string_value(x)));
	return out;
}

static int
post_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(kc_str(x, "at"), kc_str(y, "at"));

	return r ? r : strcmp(kc_str(x, "id"), kc_str(y, "id"));
}

static const char *
media_alt(const struct kc_merged *m, const char *file)
{
	size_t i;

	for (i = 0; i < m->nme; i++)
		if (!strcmp(kc_str(m->me[i].obj, "file"), file))
			return kc_str(m->me[i].obj, "alt");
	return NULL;
}

static int
build(struct kit_campaign_kit *k, const struct kit_campaign *c,
      const struct kc_office *o, int version, struct kit_error *err)
{
	const json_t *root = c->main.root, *win = json_object_get(root, "window");
	json_t *man = NULL, *arr, *x, *files, *sources, *langs, *inputs, *copy;
	json_t **posts = NULL;
	struct kc_merged m;
	struct kit_buf html;
	char *compact = NULL, hex[KIT_SHA256_HEX];
	size_t i, j;
	int rc = -1;

	kit_buf_init(&html, HTML_MAX);
	kc_merge(c, o, &m);
	man = json_object();
	json_object_set_new(man, "schema", json_integer(1));
	json_object_set_new(man, "campaign", json_string(kit_campaign_id(c)));
	json_object_set_new(man, "office", json_string(o ? o->id : "global"));
	json_object_set_new(man, "version", json_integer(version));
	json_object_set_new(man, "title", json_string(kc_str(root, "title")));
	arr = json_object();
	json_object_set_new(arr, "start", json_string(kc_str(win, "start")));
	json_object_set_new(arr, "end", json_string(kc_str(win, "end")));
	json_object_set_new(man, "window", arr);
	json_object_set_new(man, "timezone", json_string(m.zone));
	/* languages: the campaign's, then the office's it adds */
	langs = copy_strings(json_object_get(root, "languages"));
	if (o) {
		json_array_foreach(json_object_get(o->f.root, "languages"), i, x) {
			int seen = 0;

			for (j = 0; j < json_array_size(langs); j++)
				if (json_equal(json_array_get(langs, j), x))
					seen = 1;
			if (!seen)
				json_array_append_new(langs, json_deep_copy(x));
		}
	}
	json_object_set_new(man, "languages", langs);
	json_object_set_new(man, "hashtags",
			    copy_strings(json_object_get(root, "hashtags")));
	if (o) {
		static const char *const keys[] = {"id", "name", "country",
						   "timezone", NULL};
		const json_t *ct = json_object_get(o->f.root, "contact");

		arr = json_object();
		for (i = 0; keys[i]; i++)
			json_object_set_new(arr, keys[i],
					    json_string(kc_str(o->f.root, keys[i])));
		json_object_set_new(arr, "languages",
				    copy_strings(json_object_get(o->f.root, "languages")));
		if (json_is_object(ct)) {
			json_t *cc = json_object();

			json_object_set_new(cc, "name", str_or_null(kc_str(ct, "name")));
			json_object_set_new(cc, "role", str_or_null(kc_str(ct, "role")));
			json_object_set_new(cc, "email", str_or_null(kc_str(ct, "email")));
			json_object_set_new(cc, "phone", str_or_null(kc_str(ct, "phone")));
			json_object_set_new(arr, "contact", cc);
		} else {
			json_object_set_new(arr, "contact", json_null());
		}
		x = json_object_get(o->f.root, "presence_since");
		json_object_set_new(arr, "presence_since",
				    json_is_integer(x) ? json_integer(json_integer_value(x))
						       : json_null());
		json_object_set_new(man, "office_info", arr);
	} else {
		json_object_set_new(man, "office_info", json_null());
	}

	/* statements and their files */
	arr = json_array();
	for (i = 0; i < m.nst; i++) {
		const json_t *s = m.st[i].obj;
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(kc_str(s, "file")));
		json_object_set_new(e, "title", json_string(kc_str(s, "title")));
		json_object_set_new(e, "speaker", json_string(kc_str(s, "speaker")));
		json_object_set_new(e, "date", json_string(kc_str(s, "date")));
		json_object_set_new(e, "language", json_string(kc_str(s, "language")));
		json_array_append_new(arr, e);
		if (entry_file(k, c->dir, kc_str(s, "file"), kc_str(s, "file"), err))
			goto out;
	}
	json_object_set_new(man, "statements", arr);
	arr = json_array();
	json_array_foreach(json_object_get(root, "videos"), i, x) {
		json_t *e = json_object();

		json_object_set_new(e, "title", json_string(kc_str(x, "title")));
		json_object_set_new(e, "url", json_string(kc_str(x, "url")));
		json_object_set_new(e, "language", json_string(kc_str(x, "language")));
		json_array_append_new(arr, e);
	}
	json_object_set_new(man, "videos", arr);

	/* posts with their resolved instants, in time order */
	posts = kit_xcalloc(m.npo ? m.npo : 1, sizeof(*posts));
	for (i = 0; i < m.npo; i++) {
		const json_t *p = m.po[i].obj;
		json_t *e = json_object(), *media = json_array(), *r;
		int64_t at = 0;
		int floating = 0;
		char when[32];

		if (kc_post_time(kc_str(p, "time"), m.zone, &at, &floating)) {
			json_decref(e);
			json_decref(media);
			kit_err(err, KIT_E_INVALID, "post %s: cannot resolve time %s",
				kc_str(p, "id"), kc_str(p, "time"));
			goto out;
		}
		kit_time_format_utc(at, when, sizeof(when));
		json_object_set_new(e, "id", json_string(kc_str(p, "id")));
		json_object_set_new(e, "platform", json_string(kc_str(p, "platform")));
		json_object_set_new(e, "time", json_string(kc_str(p, "time")));
		json_object_set_new(e, "at", json_string(when));
		json_object_set_new(e, "floating", json_boolean(floating));
		json_object_set_new(e, "text", json_string(kc_str(p, "text")));
		json_object_set_new(e, "link", str_or_null(kc_str(p, "link")));
		json_array_foreach(json_object_get(p, "media"), j, r) {
			json_t *me = json_object();

			json_object_set_new(me, "path", json_string(json_string_value(r)));
			json_object_set_new(me, "alt",
					    json_string(media_alt(&m, json_string_value(r))));
			json_array_append_new(media, me);
		}
		json_object_set_new(e, "media", media);
		json_object_set_new(e, "language", json_string(kc_str(p, "language")));
		posts[i] = e;
	}
	if (m.npo > 1)
		qsort(posts, m.npo, sizeof(*posts), post_cmp);
	arr = json_array();
	for (i = 0; i < m.npo; i++) {
		json_array_append_new(arr, posts[i]);
		posts[i] = NULL;
	}
	json_object_set_new(man, "posts", arr);

	/* media files (all declared), about.md */
	arr = json_array();
	for (i = 0; i < m.nme; i++) {
		const char *f = kc_str(m.me[i].obj, "file");
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(f));
		json_object_set_new(e, "alt", json_string(kc_str(m.me[i].obj, "alt")));
		json_array_append_new(arr, e);
		if (entry_file(k, c->dir, f, f, err)) {
			json_decref(arr);
			goto out;
		}
	}
	/* index.html lists the media from this temporary member */
	json_object_set_new(man, "media_list", arr);
	if (entry_file(k, c->dir, kc_str(root, "about"), "about.md", err))
		goto out;
	if (render_index(c, man, &html, err)) {
		/* the preview inlines every statement: say so, not just that
		 * a buffer is full */
		kit_err_prefix(err, "index.html of %s/%s would exceed %u MiB "
				    "(it inlines every statement); shorten "
				    "the statements or split the campaign",
			       kit_campaign_id(c), o ? o->id : "global",
			       HTML_MAX >> 20);
		goto out;
	}
	json_object_del(man, "media_list");
	kit_sha256_hex(html.data, html.len, hex);
	entry_add(k, "index.html", NULL, html.data, html.len, hex);
	html.data = NULL;
	kit_buf_free(&html);

	qsort(k->e, k->n, sizeof(*k->e), entry_cmp);
	files = json_array();
	for (i = 0; i < k->n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(k->e[i].path));
		json_object_set_new(e, "size", json_integer((json_int_t)k->e[i].len));
		json_object_set_new(e, "sha256", json_string(k->e[i].sha256));
		json_object_set_new(e, "type", json_string(kc_media_type(k->e[i].path)
								   ? kc_media_type(k->e[i].path)
								   : "application/octet-stream"));
		json_array_append_new(files, e);
	}
	json_object_set_new(man, "files", files);

	inputs = json_object();
	json_object_set_new(inputs, "source_date_epoch", json_integer(k->sde));
	json_object_set_new(inputs, "tool", json_string("kit-publish " KIT_VERSION));
	sources = json_array();
	arr = json_object();
	json_object_set_new(arr, "path", json_string(c->main.rel));
	json_object_set_new(arr, "sha256", json_string(c->main.sha256));
	json_array_append_new(sources, arr);
	if (o) {
		arr = json_object();
		json_object_set_new(arr, "path", json_string(o->f.rel));
		json_object_set_new(arr, "sha256", json_string(o->f.sha256));
		json_array_append_new(sources, arr);
	}
	json_object_set_new(inputs, "sources", sources);
	json_object_set_new(man, "inputs", inputs);

	/* content: everything but the version (and itself), canonical dump */
	/* (the version taken out and put back: no copy of the whole tree) */
	copy = json_incref(json_object_get(man, "version"));
	json_object_del(man, "version");
	compact = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
	json_object_set_new(man, "version", copy);
	if (!compact) {
		kit_err(err, KIT_E_INVALID, "cannot serialise the manifest");
		goto out;
	}
	kit_sha256_hex(compact, strlen(compact), k->content);
	json_object_set_new(man, "content", json_string(k->content));
	k->manifest = man;
	man = NULL;
	rc = 0;
out:
	if (posts)
		for (i = 0; i < m.npo; i++)
			json_decref(posts[i]);
	free(posts);
	free(compact);
	kit_buf_free(&html);
	json_decref(man);
	kc_merged_free(&m);
	return rc;
}

struct kit_campaign_kit *
kit_campaign_kit_new(const struct kit_campaign *c, const char *office_id,
		     int version, int64_t source_date_epoch,
		     struct kit_error *err)
{
	struct kit_campaign_kit *k = NULL, *ret = NULL;
	struct kit_campaign_diags d;
	const struct kc_office *o = NULL;
	char *dump = NULL, line[700];
	char hex[KIT_SHA256_HEX];
	size_t i;

	kit_campaign_diags_init(&d);
	if (version < 1) {
		kit_err(err, KIT_E_INVALID, "kit version %d: must be 1 or more",
			version);
		goto out;
	}
	if (office_id) {
		o = kc_office_find(c, office_id);
		if (!o) {
			kit_err(err, KIT_E_INVALID,
				"campaign %s has no office \"%s\"; add offices/%s.json "
				"or pick one of its offices",
				c->dir, office_id, office_id);
			goto out;
		}
	}
	if (kit_campaign_validate(c, &d) > 0) {
		for (i = 0; i < d.n && d.v[i].severity != KIT_CAMPAIGN_ERROR; i++)
			;
		kit_campaign_diag_format(&d.v[i < d.n ? i : 0], c->dir, line,
					 sizeof(line));
		kit_err(err, KIT_E_INVALID,
			"campaign %s has %zu error(s), first: %s; run kit-publish "
			"validate",
			c->dir, d.errors, line);
		goto out;
	}
	k = kit_xcalloc(1, sizeof(*k));
	k->office = kit_strdup(o ? o->id : "global");
	k->sde = source_date_epoch >= 0 ? source_date_epoch
					 : kit_campaign_source_date(c);
	if (build(k, c, o, version, err) != 0) {
		kit_err_prefix(err, "kit %s/%s", kit_campaign_id(c), k->office);
		goto out;
	}
	dump = json_dumps(k->manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!dump) {
		kit_err(err, KIT_E_INVALID, "cannot serialise the manifest");
		goto out;
	}
	k->len = strlen(dump);
	k->bytes = kit_xrealloc(dump, k->len + 2);
	dump = NULL;
	k->bytes[k->len++] = '\n';
	k->bytes[k->len] = '\0';
	/* manifest.json goes first, ahead of the sorted others; its data is
	 * k->bytes itself (freed once, in kit_campaign_kit_free) */
	kit_sha256_hex(k->bytes, k->len, hex);
	entry_add(k, "manifest.json", NULL, (unsigned char *)k->bytes, k->len,
		  hex);
	{
		struct kit_campaign_entry last = k->e[k->n - 1];

		memmove(&k->e[1], &k->e[0], (k->n - 1) * sizeof(*k->e));
		k->e[0] = last;
	}
	ret = k;
	k = NULL;
out:
	free(dump);
	kit_campaign_kit_free(k);
	kit_campaign_diags_free(&d);
	return ret;
}

void
kit_campaign_kit_free(struct kit_campaign_kit *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++) {
		free((char *)k->e[i].path);
		free((char *)k->e[i].source);
		if (k->e[i].data != (const unsigned char *)k->bytes)
			free((unsigned char *)k->e[i].data);
		free((char *)k->e[i].sha256);
	}
	free(k->e);
	json_decref(k->manifest);
	free(k->bytes);
	free(k->office);
	free(k);
}

json_t *
kit_campaign_kit_manifest(const struct kit_campaign_kit *k)
{
	return k->manifest;
}

const char *
kit_campaign_kit_manifest_bytes(const struct kit_campaign_kit *k, size_t *len)
{
	if (len)
		*len = k->len;
	return k->bytes;
}

const char *
kit_campaign_kit_content(const struct kit_campaign_kit *k)
{
	return k->content;
}

const char *
kit_campaign_kit_office(const struct kit_campaign_kit *k)
{
	return k->office;
}

int64_t
kit_campaign_kit_source_date(const struct kit_campaign_kit *k)
{
	return k->sde;
}

size_t
kit_campaign_kit_entry_count(const struct kit_campaign_kit *k)
{
	return k->n;
}

const struct kit_campaign_entry *
kit_campaign_kit_entry(const struct kit_campaign_kit *k, size_t i)
{
	return i < k->n ? &k->e[i] : NULL;
}

int
kit_campaign_write_manifests(const struct kit_campaign *c,
			     const char *manifests_dir, struct kit_error *err)
{
	struct kit_campaign_kit *k = NULL;
	char *dir = NULL, *path = NULL;
	const char *bytes;
	size_t i, len;
	int rc = -1;

	dir = kit_aprintf("%s/%s", manifests_dir, kit_campaign_id(c));
	if (kit_mkdir_p(dir, 0755, err) != 0)
		goto out;
	/* i == 0 is the global kit, then each office */
	for (i = 0; i <= c->noffices; i++) {
		const char *office = i ? c->offices[i - 1].id : NULL;

		/* version 1: the committed record is of content; the publisher
		 * assigns the real versions in the repository */
		k = kit_campaign_kit_new(c, office, 1, -1, err);
		if (!k)
			goto out;
		free(path);
		path = kit_aprintf("%s/%s.json", dir, office ? office : "global");
		bytes = kit_campaign_kit_manifest_bytes(k, &len);
		if (kit_file_write_atomic(path, bytes, len, 0644, err) != 0)
			goto out;
		kit_campaign_kit_free(k);
		k = NULL;
	}
	rc = 0;
out:
	kit_campaign_kit_free(k);
	free(path);
	free(dir);
	return rc;
}
