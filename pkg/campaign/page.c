/*
 * page.c: the kit page (index.html) from the kit's model (page.h).
 *
 * One HTML document, readable from a phone (320 px) to a desktop
 * (1440 px) without a framework: posts as cards, with one-click copy of
 * the text and of each medium's alt text, a filter by day, platform and
 * language, the character count the validator computed, media shown and
 * offered for download, statements, videos, the campaign's about text and
 * the kit's calendar and CSV files.  No network: system fonts, inline
 * CSS and script allowed by their hashes, media by relative path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "campaign_int.h"
#include "kit_crypto.h"
#include "page.h"

/* ---- HTML and Markdown ------------------------------------------------------ */

static int
html_esc(struct kit_buf *b, const char *s, size_t n, struct kit_error *err)
{
	size_t i, start = 0;

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
		if (!r)
			continue;
		if (kit_buf_append(b, s + start, i - start, err) ||
		    kit_buf_append(b, r, strlen(r), err))
			return -1;
		start = i + 1;
	}
	return kit_buf_append(b, s + start, n - start, err);
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

static int
is_item(const char *line, size_t len)
{
	return (line[0] == '-' || line[0] == '*') && len > 1 && line[1] == ' ';
}

/* Block Markdown: # headings (shifted down by shift levels, so they sit
 * below the heading of the section that holds them), - lists, > quotes,
 * paragraphs. */
static int
md_render(struct kit_buf *b, const char *md, size_t shift,
	  struct kit_error *err)
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
		if (len == 0 || line[0] == '#' || is_item(line, len)) {
			if (in_p && kit_buf_append(b, "</p>\n", 5, err))
				return -1;
			in_p = 0;
		}
		if (len == 0 || !is_item(line, len)) {
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
				size_t h = lvl + shift > 6 ? 6 : lvl + shift;

				if (kit_buf_printf(b, err, "<h%zu>", h) ||
				    md_inline(b, line + lvl + 1, len - lvl - 1, err) ||
				    kit_buf_printf(b, err, "</h%zu>\n", h))
					return -1;
				continue;
			}
		}
		if (is_item(line, len)) {
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

/* ---- names ------------------------------------------------------------------ */

/* English names of the languages kit accepts (text.c's table). */
static const struct {
	const char code[3], *name;
} lang_names[] = {
	{"af", "Afrikaans"},
	{"am", "Amharic"},
	{"ar", "Arabic"},
	{"az", "Azerbaijani"},
	{"be", "Belarusian"},
	{"bg", "Bulgarian"},
	{"bn", "Bengali"},
	{"bs", "Bosnian"},
	{"ca", "Catalan"},
	{"cs", "Czech"},
	{"da", "Danish"},
	{"de", "German"},
	{"el", "Greek"},
	{"en", "English"},
	{"es", "Spanish"},
	{"et", "Estonian"},
	{"fa", "Persian"},
	{"fi", "Finnish"},
	{"fr", "French"},
	{"ga", "Irish"},
	{"ha", "Hausa"},
	{"he", "Hebrew"},
	{"hi", "Hindi"},
	{"hr", "Croatian"},
	{"hu", "Hungarian"},
	{"hy", "Armenian"},
	{"id", "Indonesian"},
	{"is", "Icelandic"},
	{"it", "Italian"},
	{"ja", "Japanese"},
	{"ka", "Georgian"},
	{"kk", "Kazakh"},
	{"km", "Khmer"},
	{"ko", "Korean"},
	{"ku", "Kurdish"},
	{"ky", "Kyrgyz"},
	{"lb", "Luxembourgish"},
	{"lt", "Lithuanian"},
	{"lv", "Latvian"},
	{"mk", "Macedonian"},
	{"mn", "Mongolian"},
	{"ms", "Malay"},
	{"mt", "Maltese"},
	{"my", "Burmese"},
	{"ne", "Nepali"},
	{"nl", "Dutch"},
	{"no", "Norwegian"},
	{"pl", "Polish"},
	{"ps", "Pashto"},
	{"pt", "Portuguese"},
	{"ro", "Romanian"},
	{"ru", "Russian"},
	{"si", "Sinhala"},
	{"sk", "Slovak"},
	{"sl", "Slovenian"},
	{"so", "Somali"},
	{"sq", "Albanian"},
	{"sr", "Serbian"},
	{"sv", "Swedish"},
	{"sw", "Swahili"},
	{"ta", "Tamil"},
	{"tg", "Tajik"},
	{"th", "Thai"},
	{"ti", "Tigrinya"},
	{"tk", "Turkmen"},
	{"tl", "Tagalog"},
	{"tr", "Turkish"},
	{"uk", "Ukrainian"},
	{"ur", "Urdu"},
	{"uz", "Uzbek"},
	{"vi", "Vietnamese"},
	{"yo", "Yoruba"},
	{"zh", "Chinese"},
};

static const char *
lang_name(const char *code)
{
	size_t i;

	for (i = 0; code && i < sizeof(lang_names) / sizeof(lang_names[0]); i++)
		if (!strncmp(code, lang_names[i].code, 2) &&
		    (code[2] == '\0' || code[2] == '-'))
			return lang_names[i].name;
	return code ? code : "";
}

int
kc_page_lang_rtl(const char *lang)
{
	static const char *const rtl[] = {"ar", "fa", "he", "ur", "ps"};
	size_t i;

	for (i = 0; lang && i < sizeof(rtl) / sizeof(rtl[0]); i++)
		if (!strncmp(lang, rtl[i], 2) && (lang[2] == '\0' || lang[2] == '-'))
			return 1;
	return 0;
}

/* A platform's display name, or the id itself (the one table). */
static const char *
platform_name(const char *id)
{
	const struct kit_manifest_platform *pf = kit_manifest_platform(id);

	return pf ? pf->name : id;
}

/* ---- times ------------------------------------------------------------------- */

static const char *const weekdays[] = {"Sunday", "Monday", "Tuesday",
				       "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const months[] = {"January", "February", "March",
				     "April", "May", "June", "July", "August", "September", "October",
				     "November", "December"};

struct local {
	struct tm tm;
	long off;
	char abbr[16];
};

static int
to_local(const char *zone, int64_t at, struct local *l,
	 struct kit_error *err)
{
	l->abbr[0] = '\0';
	if (kit_tz_utc_to_local(zone, at, &l->tm, &l->off, l->abbr,
				sizeof(l->abbr), err))
		return -1;
	/* numeric "abbreviations" (+05) say nothing the offset does not */
	if (l->abbr[0] == '+' || l->abbr[0] == '-')
		l->abbr[0] = '\0';
	return 0;
}

/* "Thursday 15 December 2016" */
static void
fmt_day(const struct local *l, char *out, size_t size)
{
	(void)snprintf(out, size, "%s %d %s %d", weekdays[l->tm.tm_wday % 7],
		       l->tm.tm_mday, months[l->tm.tm_mon % 12],
		       l->tm.tm_year + 1900);
}

/* "2016-12-15" */
static void
fmt_iso_day(const struct local *l, char *out, size_t size)
{
	(void)snprintf(out, size, "%04d-%02d-%02d", l->tm.tm_year + 1900,
		       l->tm.tm_mon + 1, l->tm.tm_mday);
}

/* "09:00 CET (UTC+01:00)" */
static void
fmt_clock(const struct local *l, char *out, size_t size)
{
	(void)snprintf(out, size, "%02d:%02d%s%s (UTC%c%02ld:%02ld)",
		       l->tm.tm_hour, l->tm.tm_min, l->abbr[0] ? " " : "",
		       l->abbr, l->off < 0 ? '-' : '+', labs(l->off) / 3600,
		       labs(l->off) % 3600 / 60);
}

/* ---- the document --------------------------------------------------------------- */

static const char CSS[] =
	"*{box-sizing:border-box}"
	"[hidden]{display:none!important}"
	"body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Noto Sans\",\"Helvetica Neue\",Arial,sans-serif;color:#1b1b1b;"
	"background:#f4f5f7;line-height:1.5;overflow-wrap:anywhere}"
	".top{background:#0033a0;color:#fff;padding:1rem}"
	".top h1{margin:0 auto;max-width:72rem;font-size:1.6rem;line-height:1.25}"
	".top p{margin:.3rem auto 0;max-width:72rem}"
	"main{max-width:72rem;margin:0 auto;padding:0 1rem 3rem}"
	"h2{font-size:1.35rem;color:#0033a0;border-bottom:2px solid #0033a0;"
	"padding-bottom:.2rem;margin:2rem 0 .8rem}"
	"h3{font-size:1.15rem;margin:1.4rem 0 .6rem}"
	"a{color:#0b4bb3}"
	"dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);"
	"gap:.25rem 1rem;margin:0;background:#fff;border:1px solid #c4c9d2;"
	"border-radius:.5rem;padding:.8rem 1rem}"
	"dt{font-weight:600}dd{margin:0}"

	".filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-end;"
	"background:#fff;border:1px solid #c4c9d2;border-radius:.5rem;"
	"padding:.8rem 1rem;margin-bottom:.5rem}"
	".filters label{display:flex;flex-direction:column;font-weight:600;"
	"font-size:.95rem;min-width:0;max-width:100%}"
	".filters label.check{flex-direction:row;align-items:center;gap:.4rem}"
	"select,button,input{font:inherit}"
	"select{min-height:2.5rem;max-width:100%;padding:.2rem .4rem;"
	"border:1px solid #6b7280;border-radius:.3rem;background:#fff;color:#1b1b1b}"
	"input[type=checkbox]{width:1.3rem;height:1.3rem}"
	"#shown{margin:.3rem 0 0;font-weight:600}"
	".cards{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(min(100%,21rem),1fr));gap:1rem}"
	".card{background:#fff;border:1px solid #c4c9d2;border-radius:.5rem;"
	"padding:1rem;min-width:0;display:flex;flex-direction:column;gap:.5rem}"
	".card h4{margin:0;display:flex;align-items:center;gap:.6rem;"
	"font-size:1.05rem}"
	".card h4>span:last-child{min-width:0}"
	".card p{margin:0}"
	".icon{display:inline-flex;align-items:center;justify-content:center;"
	"width:2.1rem;height:2.1rem;border-radius:50%;color:#fff;font-weight:700;"
	"font-size:.95rem;flex:none;background:#333}"
	".i-x,.i-threads{background:#000}.i-facebook{background:#1455b8}"
	".i-instagram{background:#a3186e}.i-linkedin{background:#0a5fa8}"
	".i-mastodon{background:#4a3bb0}.i-bluesky{background:#0a56b8}"
	".meta{color:#4a4f57;font-size:.92rem}"
	".text{white-space:pre-wrap;font-size:1.02rem}"
	".tags span{display:inline-block;margin-right:.4rem}"
	".count{font-size:.92rem;color:#4a4f57}"
	".count.over{color:#a00000;font-weight:700}"
	".actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}"
	"button{background:#0033a0;color:#fff;border:0;border-radius:.3rem;"
	"padding:.45rem .9rem;min-height:2.5rem;cursor:pointer}"
	"button:hover{background:#00257a}"
	":focus-visible{outline:3px solid #c25e00;outline-offset:2px}"
	".media{list-style:none;margin:0;padding:0;display:grid;"
	"grid-template-columns:repeat(auto-fill,minmax(min(100%,14rem),1fr));gap:.8rem}"
	".media li{min-width:0;display:flex;flex-direction:column;gap:.4rem}"
	"figure{margin:0}"
	"figure img,figure video{display:block;width:100%;height:auto;"
	"max-height:18rem;object-fit:contain;background:#e8eaef;"
	"border:1px solid #c4c9d2;border-radius:.3rem}"
	"audio{width:100%}"
	"figcaption{font-size:.9rem;color:#333}"
	".mark{background:#fff3bf;color:#4d3900;border:1px solid #8a6d00;"
	"border-radius:.3rem;padding:0 .4rem;font-size:.9rem;font-weight:600;"
	"align-self:flex-start}"
	".statement{background:#fff;border:1px solid #c4c9d2;border-radius:.5rem;"
	"padding:0 1rem .5rem;margin:1rem 0}"
	".downloads li{margin:.3rem 0}"
	"#status{position:fixed;bottom:1rem;left:50%;transform:translateX(-50%);"
	"background:#1b1b1b;color:#fff;padding:.5rem 1rem;border-radius:.3rem;"
	"margin:0;max-width:calc(100% - 2rem)}"
	"#status:empty{display:none}"
	".copybuf{position:fixed;top:0;left:0;width:1px;height:1px;opacity:0}";

/* Copy (Clipboard API where the page is a secure context, else a selected
 * textarea and execCommand), filters, and the marks of kit-schedule's
 * changes data island.  ES5, no network. */
static const char JS[] =
	"(function(){'use strict';"
	"var status=document.getElementById('status'),timer=0;"
	"function say(m){status.textContent=m;clearTimeout(timer);"
	"timer=setTimeout(function(){status.textContent='';},4000);}"
	"function fallback(t){var a=document.createElement('textarea'),ok=false;"
	"a.value=t;a.setAttribute('readonly','');a.className='copybuf';"
	"document.body.appendChild(a);a.select();"
	"try{ok=document.execCommand('copy');}catch(e){ok=false;}"
	"document.body.removeChild(a);return ok;}"
	"function copy(t,b){function done(ok){if(b)b.focus();"
	"say(ok?'Copied to the clipboard':'Could not copy: select the text and copy it by hand');}"
	"if(navigator.clipboard&&window.isSecureContext){"
	"navigator.clipboard.writeText(t).then(function(){done(true);},"
	"function(){done(fallback(t));});}else{done(fallback(t));}}"
	"document.addEventListener('click',function(e){"
	"var b=e.target.closest?e.target.closest('button[data-copy]'):null;"
	"if(!b)return;var el=document.getElementById(b.getAttribute('data-copy'));"
	"if(el)copy(el.textContent,b);});"
	"var cards=[].slice.call(document.querySelectorAll('.card[data-day]')),"
	"days=[].slice.call(document.querySelectorAll('section.day')),"
	"fd=document.getElementById('f-day'),fp=document.getElementById('f-platform'),"
	"fl=document.getElementById('f-lang'),fc=document.getElementById('f-changed'),"
	"shown=document.getElementById('shown');"
	"function apply(){var d=fd.value,p=fp.value,l=fl.value,c=fc.checked,n=0;"
	"cards.forEach(function(a){var s=(!d||a.getAttribute('data-day')===d)&&"
	"(!p||a.getAttribute('data-platform')===p)&&"
	"(!l||a.getAttribute('data-lang')===l)&&(!c||a.hasAttribute('data-mark'));"
	"a.hidden=!s;if(s)n++;});"
	"days.forEach(function(s){s.hidden=!s.querySelector('.card:not([hidden])');});"
	"shown.textContent=n+' of '+cards.length+' posts shown';}"
	"[fd,fp,fl,fc].forEach(function(x){x.addEventListener('change',apply);});"
	"var ch=document.getElementById('kit-changes');"
	"if(ch){var c=null;try{c=JSON.parse(ch.textContent);}catch(e){c=null;}"
	"if(c&&typeof c.since==='number'){var nn=0,nc=0;"
	"cards.forEach(function(a){var k=c.posts&&c.posts[a.getAttribute('data-id')];"
	"if(k!=='new'&&k!=='changed')return;a.setAttribute('data-mark',k);"
	"if(k==='new')nn++;else nc++;var m=a.querySelector('.mark');"
	"m.textContent=(k==='new'?'New':'Changed')+' since version '+c.since;m.hidden=false;});"
	"var w=document.getElementById('f-changed-wrap');"
	"w.lastChild.textContent=' Only new or changed since version '+c.since;w.hidden=false;"
	"var s=document.getElementById('changes');s.textContent=nn+' new and '+nc+"
	"' changed post'+(nn+nc===1?'':'s')+' since version '+c.since+"
	"(c.removed?', '+c.removed+' withdrawn':'')+'.';s.hidden=false;}}"
	"apply();})();";

/* 'sha256-<base64>' of s, for the policy. */
static void
csp_hash(const char *s, char *out, size_t size)
{
	char hex[KIT_SHA256_HEX];
	unsigned char raw[32], b64[48];

	kit_sha256_hex(s, strlen(s), hex);
	if (kit_hex_decode(hex, raw, sizeof(raw)) != 0)
		memset(raw, 0, sizeof(raw));
	EVP_EncodeBlock(b64, raw, (int)sizeof(raw));
	(void)snprintf(out, size, "'sha256-%s'", (const char *)b64);
}

#define OUT(s) \
	do { \
		if (kit_buf_append(b, (s), strlen(s), err)) \
			return -1; \
	} while (0)
#define ESC(s) \
	do { \
		if (html_str(b, (s), err)) \
			return -1; \
	} while (0)
#define PRINTF(...) \
	do { \
		if (kit_buf_printf(b, err, __VA_ARGS__)) \
			return -1; \
	} while (0)

/* lang="xx" dir="ltr|rtl" */
static int
lang_attrs(struct kit_buf *b, const char *lang, struct kit_error *err)
{
	OUT(" lang=\"");
	ESC(lang);
	PRINTF("\" dir=\"%s\"", kc_page_lang_rtl(lang) ? "rtl" : "ltr");
	return 0;
}

static int
fact(struct kit_buf *b, const char *dt, const char *dd, struct kit_error *err)
{
	if (!dd)
		return 0;
	PRINTF("<dt>%s</dt><dd>", dt);
	ESC(dd);
	OUT("</dd>\n");
	return 0;
}

static int
size_text(uint64_t size, char *out, size_t n)
{
	if (size < 1024)
		return snprintf(out, n, "%llu bytes", (unsigned long long)size);
	if (size < 1024 * 1024)
		return snprintf(out, n, "%llu KB",
				(unsigned long long)((size + 1023) / 1024));
	return snprintf(out, n, "%.1f MB", (double)size / (1024.0 * 1024.0));
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* One medium (path and alt text): a thumbnail (image), a player (video,
 * audio) or nothing (documents), its alt text with a copy button, and a
 * download link.  id makes the alt text's element id unique on the page. */
static int
medium(struct kit_buf *b, const struct kc_page *pg, const char *path,
       const char *alt, const char *id, struct kit_error *err)
{
	const struct kit_manifest *km = pg->m;
	const struct kit_manifest_file *f = kit_manifest_file(km, path);
	const char *type = f ? f->type : "";
	const char *alt_lang = km->n_languages ? km->languages[0] : "en";
	char size[32];

	OUT("<li><figure>");
	if (!strncmp(type, "image/", 6)) {
		OUT("<img src=\"");
		ESC(path);
		OUT("\" alt=\"");
		ESC(alt);
		OUT("\">");
	} else if (!strncmp(type, "video/", 6)) {
		OUT("<video controls preload=\"metadata\" src=\"");
		ESC(path);
		OUT("\" aria-describedby=\"");
		ESC(id);
		OUT("\"></video>");
	} else if (!strncmp(type, "audio/", 6)) {
		OUT("<audio controls preload=\"metadata\" src=\"");
		ESC(path);
		OUT("\" aria-describedby=\"");
		ESC(id);
		OUT("\"></audio>");
	}
	OUT("<figcaption>Alt text: <span id=\"");
	ESC(id);
	OUT("\"");
	if (lang_attrs(b, alt_lang, err))
		return -1;
	OUT(">");
	ESC(alt);
	OUT("</span></figcaption></figure>\n<div class=\"actions\">"
	    "<button type=\"button\" data-copy=\"");
	ESC(id);
	OUT("\">Copy alt text</button> <a href=\"");
	ESC(path);
	OUT("\" download>Download ");
	ESC(base_name(path));
	(void)size_text(f ? f->size : 0, size, sizeof(size));
	PRINTF(" (%s)</a></div></li>\n", size);
	return 0;
}

/* The hashtags of a post's text: '#' then letters, digits, '_' or any
 * non-ASCII byte (hashtags in other scripts). */
static int
hashtags(struct kit_buf *b, const char *text, const char *lang,
	 struct kit_error *err)
{
	const char *p = text;
	int any = 0;

	while ((p = strchr(p, '#')) != NULL) {
		size_t n = 1;

		while (p[n] && ((p[n] >= 'a' && p[n] <= 'z') ||
				(p[n] >= 'A' && p[n] <= 'Z') ||
				(p[n] >= '0' && p[n] <= '9') || p[n] == '_' ||
				(unsigned char)p[n] >= 0x80))
			n++;
		if (n > 1) {
			if (!any) {
				OUT("<p class=\"tags meta\">Hashtags: ");
				any = 1;
			}
			/* a hashtag's direction is its own script's (a Latin
			 * tag in an Arabic post still reads "#Tag") */
			OUT("<span lang=\"");
			ESC(lang);
			OUT("\" dir=\"auto\">");
			if (html_esc(b, p, n, err))
				return -1;
			OUT("</span>");
		}
		p += n;
	}
	if (any)
		OUT("</p>\n");
	return 0;
}

static int
post_card(struct kit_buf *b, const struct kc_page *pg,
	  const struct kit_manifest_post *p, const struct local *l,
	  struct kit_error *err)
{
	const struct kit_manifest_platform *pf = kit_manifest_platform(p->platform);
	char day[40], when[64], date[64], id[160], utc[32];
	long count, limit = 0;
	size_t i;

	fmt_iso_day(l, day, sizeof(day));
	fmt_clock(l, when, sizeof(when));
	fmt_day(l, date, sizeof(date));
	kit_time_format_utc(p->at, utc, sizeof(utc));
	OUT("<article class=\"card\" id=\"post-");
	ESC(p->id);
	OUT("\" data-id=\"");
	ESC(p->id);
	PRINTF("\" data-day=\"%s\" data-platform=\"", day);
	ESC(p->platform);
	OUT("\" data-lang=\"");
	ESC(p->language);
	OUT("\">\n<h4><span class=\"icon i-");
	ESC(p->platform);
	OUT("\" aria-hidden=\"true\">");
	ESC(pf ? pf->icon : "?");
	OUT("</span><span>");
	ESC(platform_name(p->platform));
	PRINTF(", <time datetime=\"%s\">%s</time></span></h4>\n", utc, when);
	OUT("<p class=\"mark\" hidden></p>\n<p class=\"meta\">");
	ESC(date);
	OUT(" · ");
	ESC(lang_name(p->language));
	OUT(" · post <code>");
	ESC(p->id);
	OUT("</code></p>\n");
	if (kit_snprintf(err, id, sizeof(id), "text-%s", p->id))
		return -1;
	OUT("<p class=\"text\" id=\"");
	ESC(id);
	OUT("\"");
	if (lang_attrs(b, p->language, err))
		return -1;
	OUT(">");
	ESC(p->text);
	OUT("</p>\n");
	if (p->link) {
		OUT("<p>Link: <a href=\"");
		ESC(p->link);
		OUT("\">");
		ESC(p->link);
		OUT("</a></p>\n");
	}
	if (hashtags(b, p->text, p->language, err))
		return -1;
	count = kit_manifest_post_length(p->platform, p->text, p->link, &limit);
	PRINTF("<p class=\"count%s\">%ld of %ld characters as %s counts them",
	       count > limit ? " over" : "", count, limit,
	       platform_name(p->platform));
	OUT(p->link ? " (text and link)</p>\n" : "</p>\n");
	OUT("<div class=\"actions\"><button type=\"button\" data-copy=\"");
	ESC(id);
	OUT("\">Copy text</button></div>\n");
	if (p->n_media) {
		OUT("<ul class=\"media\">\n");
		for (i = 0; i < p->n_media; i++) {
			if (kit_snprintf(err, id, sizeof(id), "alt-%s-%zu", p->id,
					 i + 1) ||
			    medium(b, pg, p->media[i].path, p->media[i].alt, id,
				   err))
				return -1;
		}
		OUT("</ul>\n");
	}
	OUT("</article>\n");
	return 0;
}

/* The filter's select of distinct values (posts are few: quadratic is
 * fine, and the order is the posts' order). */
static int
filter_select(struct kit_buf *b, const struct kc_page *pg, const char *id,
	      const char *label, const char *all, int what,
	      struct kit_error *err)
{
	const struct kit_manifest_post *posts = pg->m->posts;
	size_t i, j;

	PRINTF("<label for=\"%s\">%s<select id=\"%s\"><option value=\"\">%s"
	       "</option>",
	       id, label, id, all);

	for (i = 0; i < pg->m->n_posts; i++) {
		const char *v = what ? posts[i].language : posts[i].platform;

		for (j = 0; j < i; j++)
			if (!strcmp(v, what ? posts[j].language
					    : posts[j].platform))
				break;
		if (j < i)
			continue;
		OUT("<option value=\"");
		ESC(v);
		OUT("\">");
		ESC(what ? lang_name(v) : platform_name(v));
		OUT("</option>");
	}
	OUT("</select></label>\n");
	return 0;
}

static int
posts_section(struct kit_buf *b, const struct kc_page *pg,
	      struct kit_error *err)
{
	const struct kit_manifest *m = pg->m;
	struct local l;
	char day[40], prev[40] = "", label[64];
	size_t i;

	OUT("<section aria-labelledby=\"h-posts\">\n<h2 id=\"h-posts\">Posts</h2>\n");
	OUT("<p>Times are in ");
	ESC(m->timezone);
	OUT(". Copy a post's text as it goes out; counts are the validator's, "
	    "as each platform counts.</p>\n");
	OUT("<p id=\"changes\" class=\"mark\" hidden></p>\n");
	OUT("<div class=\"filters\" role=\"group\" aria-label=\"Filter the posts\">\n");
	OUT("<label for=\"f-day\">Day<select id=\"f-day\"><option value=\"\">"
	    "All days</option>");
	for (i = 0; i < m->n_posts; i++) {
		if (to_local(m->timezone, m->posts[i].at, &l, err))
			return -1;
		fmt_iso_day(&l, day, sizeof(day));
		if (!strcmp(day, prev))
			continue;
		memcpy(prev, day, sizeof(prev));
		fmt_day(&l, label, sizeof(label));
		PRINTF("<option value=\"%s\">%s</option>", day, label);
	}
	OUT("</select></label>\n");
	if (filter_select(b, pg, "f-platform", "Platform", "All platforms", 0, err) ||
	    filter_select(b, pg, "f-lang", "Language", "All languages", 1, err))
		return -1;
	OUT("<label class=\"check\" id=\"f-changed-wrap\" for=\"f-changed\" hidden>"
	    "<input type=\"checkbox\" id=\"f-changed\"><span> Only new or changed"
	    "</span></label>\n</div>\n");
	PRINTF("<p id=\"shown\" aria-live=\"polite\">%zu posts</p>\n", m->n_posts);
	prev[0] = '\0';
	for (i = 0; i < m->n_posts; i++) {
		if (to_local(m->timezone, m->posts[i].at, &l, err))
			return -1;
		fmt_iso_day(&l, day, sizeof(day));
		if (strcmp(day, prev)) {
			if (prev[0])
				OUT("</div>\n</section>\n");
			memcpy(prev, day, sizeof(prev));
			fmt_day(&l, label, sizeof(label));
			PRINTF("<section class=\"day\" data-day=\"%s\">\n<h3>%s</h3>\n"
			       "<div class=\"cards\">\n",
			       day, label);
		}
		if (post_card(b, pg, &m->posts[i], &l, err))
			return -1;
	}
	if (prev[0])
		OUT("</div>\n</section>\n");
	if (!m->n_posts)
		OUT("<p>This kit has no posts.</p>\n");
	OUT("</section>\n");
	return 0;
}

static int
campaign_section(struct kit_buf *b, const struct kc_page *pg,
		 struct kit_error *err)
{
	const struct kit_manifest *m = pg->m;
	const struct kit_manifest_office *o = m->office_info;
	const struct kit_manifest_contact *ct = o ? o->contact : NULL;
	struct local s, e;
	char a[64], c[64], d[64], f[64], year[24];
	size_t i;

	if (to_local(m->timezone, m->window_start_at, &s, err) ||
	    to_local(m->timezone, m->window_end_at, &e, err))
		return -1;
	fmt_day(&s, a, sizeof(a));
	fmt_clock(&s, c, sizeof(c));
	fmt_day(&e, d, sizeof(d));
	fmt_clock(&e, f, sizeof(f));
	OUT("<section aria-labelledby=\"h-campaign\">\n"
	    "<h2 id=\"h-campaign\">Campaign</h2>\n<dl class=\"facts\">\n");
	PRINTF("<dt>From</dt><dd>%s, %s</dd>\n<dt>Until</dt><dd>%s, %s</dd>\n",
	       a, c, d, f);
	if (fact(b, "Time zone", m->timezone, err))
		return -1;
	OUT("<dt>Languages</dt><dd>");
	for (i = 0; i < m->n_languages; i++) {
		OUT(i ? ", <span" : "<span");
		if (lang_attrs(b, m->languages[i], err))
			return -1;
		OUT(">");
		ESC(lang_name(m->languages[i]));
		OUT("</span>");
	}
	OUT("</dd>\n<dt>Hashtags</dt><dd>");
	for (i = 0; i < m->n_hashtags; i++) {
		if (i)
			OUT(" ");
		ESC(m->hashtags[i]);
	}
	OUT("</dd>\n</dl>\n</section>\n");
	if (!o)
		return 0;
	OUT("<section aria-labelledby=\"h-office\">\n"
	    "<h2 id=\"h-office\">Office</h2>\n<dl class=\"facts\">\n");
	if (fact(b, "Office", o->name, err) || fact(b, "Country", o->country, err) ||
	    fact(b, "Time zone", o->timezone, err))
		return -1;
	if (o->presence_since > 0) {
		(void)snprintf(year, sizeof(year), "%ld", o->presence_since);
		if (fact(b, "Present since", year, err))
			return -1;
	}
	if (fact(b, "Contact", ct ? ct->name : NULL, err) ||
	    fact(b, "Role", ct ? ct->role : NULL, err))
		return -1;
	if (ct && ct->email) {
		OUT("<dt>E-mail</dt><dd><a href=\"mailto:");
		ESC(ct->email);
		OUT("\">");
		ESC(ct->email);
		OUT("</a></dd>\n");
	}
	if (fact(b, "Phone", ct ? ct->phone : NULL, err))
		return -1;
	OUT("</dl>\n</section>\n");
	return 0;
}

static int
media_section(struct kit_buf *b, const struct kc_page *pg,
	      struct kit_error *err)
{
	char id[32];
	size_t i;

	if (!pg->n_media)
		return 0;
	OUT("<section aria-labelledby=\"h-media\">\n<h2 id=\"h-media\">Media</h2>\n"
	    "<ul class=\"media\">\n");
	for (i = 0; i < pg->n_media; i++) {
		(void)snprintf(id, sizeof(id), "media-alt-%zu", i + 1);
		if (medium(b, pg, pg->media[i].path, pg->media[i].alt, id, err))
			return -1;
	}
	OUT("</ul>\n</section>\n");
	return 0;
}

/* "18 December 2021" from "2021-12-18", else the text as written. */
static void
fmt_date(const char *iso, char *out, size_t size)
{
	int y, m, d;
	char tail;

	if (iso && sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	    m >= 1 && m <= 12 && d >= 1 && d <= 31)
		(void)snprintf(out, size, "%d %s %d", d, months[m - 1], y);
	else
		(void)snprintf(out, size, "%s", iso ? iso : "");
}

static int
statements_section(struct kit_buf *b, const struct kc_page *pg,
		   struct kit_error *err)
{
	char date[64];
	size_t i, tl;

	if (!pg->m->n_statements)
		return 0;
	OUT("<section aria-labelledby=\"h-statements\">\n"
	    "<h2 id=\"h-statements\">Statements</h2>\n");
	for (i = 0; i < pg->m->n_statements; i++) {
		const struct kit_manifest_statement *s = &pg->m->statements[i];
		const char *body = pg->statements[i] ? pg->statements[i] : "";

		fmt_date(s->date, date, sizeof(date));
		OUT("<article class=\"statement\"");
		if (lang_attrs(b, s->language, err))
			return -1;
		OUT(">\n<h3>");
		ESC(s->title);
		OUT("</h3>\n<p class=\"meta\" lang=\"en\" dir=\"ltr\"><span");
		if (lang_attrs(b, s->language, err))
			return -1;
		OUT(">");
		ESC(s->speaker);
		OUT("</span>, ");
		ESC(date);
		OUT(" (");
		ESC(lang_name(s->language));
		OUT(")</p>\n");
		/* the statement's own "# Title" line would repeat the heading */
		tl = strlen(s->title);
		if (!strncmp(body, "# ", 2) && !strncmp(body + 2, s->title, tl) &&
		    (body[2 + tl] == '\n' || body[2 + tl] == '\r'))
			body += 2 + tl;
		if (md_render(b, body, 3, err))
			return -1;
		OUT("</article>\n");
	}
	OUT("</section>\n");
	return 0;
}

static int
videos_section(struct kit_buf *b, const struct kc_page *pg,
	       struct kit_error *err)
{
	size_t i;

	if (!pg->m->n_videos)
		return 0;
	OUT("<section aria-labelledby=\"h-videos\">\n"
	    "<h2 id=\"h-videos\">Videos to share</h2>\n<ul>\n");
	for (i = 0; i < pg->m->n_videos; i++) {
		OUT("<li><a href=\"");
		ESC(pg->m->videos[i].url);
		OUT("\"");
		if (lang_attrs(b, pg->m->videos[i].language, err))
			return -1;
		OUT(">");
		ESC(pg->m->videos[i].title);
		OUT("</a> (");
		ESC(lang_name(pg->m->videos[i].language));
		OUT(")</li>\n");
	}
	OUT("</ul>\n</section>\n");
	return 0;
}

static int
downloads_section(struct kit_buf *b, const struct kc_page *pg,
		  struct kit_error *err)
{
	char size[32];
	size_t i;

	if (!pg->n_downloads)
		return 0;
	OUT("<section aria-labelledby=\"h-downloads\">\n"
	    "<h2 id=\"h-downloads\">Downloads</h2>\n"
	    "<p>Generated with the kit: a calendar of every post, and bulk-upload "
	    "files for scheduling tools (one channel per file). Media go with "
	    "them by file name: the media list names the file and alt text of "
	    "every post with media.</p>\n<ul class=\"downloads\">\n");
	for (i = 0; i < pg->n_downloads; i++) {
		OUT("<li><a href=\"");
		ESC(pg->downloads[i].path);
		OUT("\" download>");
		ESC(pg->downloads[i].label);
		OUT("</a> <span class=\"meta\">(");
		ESC(base_name(pg->downloads[i].path));
		(void)size_text(pg->downloads[i].size, size, sizeof(size));
		PRINTF(", %s)</span></li>\n", size);
	}
	OUT("</ul>\n</section>\n");
	return 0;
}

int
kc_page_render(const struct kc_page *pg, struct kit_buf *b,
	       struct kit_error *err)
{
	char css[64], js[64];

	csp_hash(CSS, css, sizeof(css));
	csp_hash(JS, js, sizeof(js));
	OUT("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	/* nothing but the kit's own files and these two inline blocks */
	PRINTF("<meta http-equiv=\"Content-Security-Policy\" content=\""
	       "default-src 'none'; img-src 'self'; media-src 'self'; "
	       "style-src %s; script-src %s; form-action 'none'\">\n",
	       css, js);
	OUT("<title>");
	ESC(pg->m->title);
	OUT("</title>\n<style>");
	OUT(CSS);
	OUT("</style>\n</head>\n<body>\n<header class=\"top\">\n<h1>");
	ESC(pg->m->title);
	OUT("</h1>\n<p>Social media kit for ");
	ESC(pg->m->office_info ? pg->m->office_info->name : "all offices (global)");
	OUT(" · campaign <code>");
	ESC(pg->m->campaign);
	OUT("</code></p>\n</header>\n<main>\n");
	if (campaign_section(b, pg, err) || posts_section(b, pg, err) ||
	    media_section(b, pg, err) || statements_section(b, pg, err) ||
	    videos_section(b, pg, err) || downloads_section(b, pg, err))
		return -1;
	if (pg->about) {
		OUT("<section aria-labelledby=\"h-about\">\n"
		    "<h2 id=\"h-about\">About</h2>\n<div");
		if (lang_attrs(b, pg->m->n_languages ? pg->m->languages[0] : "en", err) ||
		    kit_buf_append(b, ">\n", 2, err) ||
		    md_render(b, pg->about, 2, err))
			return -1;
		OUT("</div>\n</section>\n");
	}
	OUT(KC_PAGE_CHANGES_MARK "\n</main>\n"
				 "<p id=\"status\" role=\"status\" aria-live=\"polite\"></p>\n<script>");
	OUT(JS);
	OUT("</script>\n</body>\n</html>\n");
	return 0;
}

#undef OUT
#undef ESC
#undef PRINTF
