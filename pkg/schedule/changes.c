/*
 * changes.c: the kit page with the posts that are new or changed since an
 * earlier version marked.  The page the publisher built cannot know which
 * version an office had before; this copy of it, written outside the kit,
 * carries that as a JSON data island the page's own script reads, and a
 * <base> so its relative links still reach the kit's files.
 */
/* realpath() is X/Open: the release the kit link points at now, not the
 * link, so the copy keeps showing the media it describes */
#define _XOPEN_SOURCE 700

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule_impl.h"

#define PAGE_MAX (16u << 20)

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* 1 when what goes out differs: time, platform, language, text, link,
 * media or their alt texts. */
static int
post_changed(const struct kit_manifest_post *a,
	     const struct kit_manifest_post *b)
{
	size_t i;

	if (a->at != b->at || !same_str(a->platform, b->platform) ||
	    !same_str(a->language, b->language) || !same_str(a->text, b->text) ||
	    !same_str(a->link, b->link) || a->n_media != b->n_media)
		return 1;
	for (i = 0; i < a->n_media; i++)
		if (!same_str(a->media[i].path, b->media[i].path) ||
		    !same_str(a->media[i].alt, b->media[i].alt))
			return 1;
	return 0;
}

/* "file://" and the absolute path, percent-encoded, ending in '/'. */
static int
file_url(struct kit_buf *out, const char *abs, struct kit_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (kit_buf_append(out, "file://", 7, err) != 0)
		return -1;
	for (i = 0; abs[i]; i++) {
		unsigned char c = (unsigned char)abs[i];
		char pct[3] = {'%', hex[c >> 4], hex[c & 15]};

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			if (kit_buf_append(out, abs + i, 1, err) != 0)
				return -1;
		} else if (kit_buf_append(out, pct, 3, err) != 0) {
			return -1;
		}
	}
	return kit_buf_append(out, "/", 1, err);
}

int
kit_schedule_page(const struct kit_schedule *k,
		  const struct kit_schedule *previous, const char *kit_dir,
		  struct kit_buf *out, struct kit_error *err)
{
	unsigned char *html = NULL;
	char path[4096], *abs = NULL, *head, *mark;
	const char *kind;
	size_t len, i, removed = 0, n = 0;
	int rc = -1;

	if (strcmp(previous->campaign, k->campaign) != 0 ||
	    strcmp(previous->office, k->office) != 0) {
		kit_err(err, KIT_E_INVALID,
			"page: --previous is the kit of %s/%s, not %s/%s; give an earlier manifest.json of this kit",
			previous->campaign, previous->office, k->campaign, k->office);
		goto out;
	}
	if (kit_path_join(path, sizeof(path), kit_dir, "index.html", err) != 0 ||
	    kit_file_read(path, PAGE_MAX, &html, &len, err) != 0)
		goto out;
	abs = realpath(kit_dir, NULL);
	head = strstr((char *)html, "<head>\n");
	mark = strstr((char *)html, KIT_SCHEDULE_CHANGES_MARK);
	if (abs == NULL || head == NULL || mark == NULL || mark < head ||
	    strlen((char *)html) != len) {
		kit_err(err, KIT_E_INVALID,
			"page %s: not a kit page this kit-schedule can mark; update kit-schedule or fetch the kit again",
			path);
		goto out;
	}
	head += strlen("<head>\n");
	if (kit_buf_append(out, html, (size_t)(head - (char *)html), err) != 0 ||
	    kit_buf_append(out, "<base href=\"", 12, err) != 0 ||
	    file_url(out, abs, err) != 0 ||
	    kit_buf_append(out, "\">\n", 3, err) != 0 ||
	    kit_buf_append(out, head, (size_t)(mark - head), err) != 0 ||
	    kit_buf_printf(out, err, "<script type=\"application/json\" id=\"kit-changes\">{\"since\":%ld,\"posts\":{",
			   previous->version) != 0)
		goto out;
	/* ids are [A-Za-z0-9._-] (checked when loaded): nothing to escape */
	for (i = 0; i < k->n_posts; i++) {
		const struct kit_manifest_post *p = &k->posts[i], *q;

		q = sched_find_post(previous, p->id);
		kind = q == NULL ? "new" : post_changed(p, q) ? "changed"
							      : NULL;
		if (kind == NULL)
			continue;
		if (kit_buf_printf(out, err, "%s\"%s\":\"%s\"", n++ ? "," : "",
				   p->id, kind) != 0)
			goto out;
	}
	for (i = 0; i < previous->n_posts; i++)
		if (sched_find_post(k, previous->posts[i].id) == NULL)
			removed++;
	if (kit_buf_printf(out, err, "},\"removed\":%zu}</script>\n", removed) != 0 ||
	    kit_buf_append(out, mark, len - (size_t)(mark - (char *)html), err) != 0)
		goto out;
	rc = 0;
out:
	free(abs);
	free(html);
	return rc;
}
