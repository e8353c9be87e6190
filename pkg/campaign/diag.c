/*
 * diag.c: the list of diagnostics (file:line:column, severity, message).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"

void
kit_campaign_diags_init(struct kit_campaign_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
kit_campaign_diags_free(struct kit_campaign_diags *d)
{
	if (!d)
		return;
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct kit_campaign_diag *x = a, *y = b;
	int r = strcmp(x->file, y->file);

	if (r)
		return r;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity < y->severity ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void
kit_campaign_diags_sort(struct kit_campaign_diags *d)
{
	if (d && d->n > 1)
		qsort(d->v, d->n, sizeof(d->v[0]), diag_cmp);
}

void
kit_campaign_diag_format(const struct kit_campaign_diag *dg, const char *dir,
			 char *buf, size_t size)
{
	char file[300], msg[600], dsan[300];
	size_t n;

	kit_str_sanitize(dg->file, file, sizeof(file));
	kit_str_sanitize(dg->msg, msg, sizeof(msg));
	dsan[0] = '\0';
	if (dir && *dir) {
		kit_str_sanitize(dir, dsan, sizeof(dsan));
		n = strlen(dsan);
		if (n + 1 < sizeof(dsan) && dsan[n - 1] != '/') {
			dsan[n] = '/';
			dsan[n + 1] = '\0';
		}
	}
	(void)snprintf(buf, size, "%s%s:%d:%d: %s: %s", dsan, file, dg->line,
		       dg->col,
		       dg->severity == KIT_CAMPAIGN_ERROR ? "error" : "warning",
		       msg);
}

static void diag_vadd(struct kit_campaign_diags *d, const char *file, int line,
		      int col, enum kit_campaign_severity sev, const char *fmt,
		      va_list ap) KIT_PRINTF(6, 0);

static void
diag_vadd(struct kit_campaign_diags *d, const char *file, int line, int col,
	  enum kit_campaign_severity sev, const char *fmt, va_list ap)
{
	struct kit_campaign_diag dg;
	size_t i;

	if (!d)
		return;
	memset(&dg, 0, sizeof(dg));
	dg.severity = sev;
	(void)snprintf(dg.file, sizeof(dg.file), "%s", file);
	dg.line = line;
	dg.col = col;
	(void)vsnprintf(dg.msg, sizeof(dg.msg), fmt, ap);
	/* the same post can fail the same way in several kits: report once */
	for (i = 0; i < d->n; i++)
		if (diag_cmp(&d->v[i], &dg) == 0)
			return;
	if (sev == KIT_CAMPAIGN_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= KIT_CAMPAIGN_DIAGS_MAX)
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = kit_xrealloc(d->v, d->cap * sizeof(d->v[0]));
	}
	d->v[d->n++] = dg;
}

void
kc_diag_at(struct kit_campaign_diags *d, const char *file, int line, int col,
	   enum kit_campaign_severity sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, file, line, col, sev, fmt, ap);
	va_end(ap);
}

void
kc_diag(struct kit_campaign_diags *d, const struct kc_file *f,
	const char *path, int at_key, enum kit_campaign_severity sev,
	const char *fmt, ...)
{
	va_list ap;
	int line = 0, col = 0;

	kc_locate(f, path, at_key, &line, &col);
	va_start(ap, fmt);
	diag_vadd(d, f->rel, line, col, sev, fmt, ap);
	va_end(ap);
}
