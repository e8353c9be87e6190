/*
 * run.c: one kit-schedule run: the kit loaded, the output made and written
 * where it goes.  See kit_schedule.h (kit_schedule_run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_schedule.h"

void
kit_schedule_request_init(struct kit_schedule_request *r)
{
	memset(r, 0, sizeof(*r));
	kit_schedule_opts_init(&r->o);
}

int
kit_schedule_csv_format_parse(const char *name,
			      enum kit_schedule_csv_format *f)
{
	enum kit_schedule_csv_format i;

	for (i = KIT_SCHEDULE_CSV_BUFFER; i <= KIT_SCHEDULE_CSV_MEDIA; i++)
		if (name != NULL &&
		    strcmp(name, kit_schedule_csv_format_name(i)) == 0) {
			*f = i;
			return 0;
		}
	return -1;
}

/* b to path (atomically), or to out. */
static int
emit(const char *path, const struct kit_buf *b, FILE *out,
     struct kit_error *err)
{
	const void *data = b->data ? (const void *)b->data : "";

	if (path != NULL)
		return kit_file_write_atomic(path, data, b->len, 0644, err);
	if (b->len > 0 && fwrite(data, 1, b->len, out) != b->len)
		return kit_err_errno(err, KIT_E_IO, errno, "output stdout: cannot write");
	if (fflush(out) != 0)
		return kit_err_errno(err, KIT_E_IO, errno, "output stdout: cannot write");
	return 0;
}

/* One line on log for each post left out; -1 when that fails the run
 * (n posts left out and no --skip-invalid). */
static int
left_out(const struct kit_schedule_request *r, const char *what,
	 const struct kit_buf *report, size_t n, FILE *log,
	 struct kit_error *err)
{
	const char *line, *nl;
	char clean[1024];
	char *tmp;

	for (line = report->data ? (const char *)report->data : "";
	     *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		tmp = kit_aprintf("%.*s", (int)(nl - line), line);
		kit_str_sanitize(tmp, clean, sizeof(clean));
		free(tmp);
		fprintf(log, "kit-schedule: csv %s: left out %s\n", what, clean);
	}
	if (n > 0 && !r->skip_invalid)
		return kit_err(err, KIT_E_INVALID, "csv %s: %zu post%s the tool cannot take; nothing written: fix the kit, or pass --skip-invalid to export the rest", what, n, n == 1 ? "" : "s");
	return 0;
}

/* Every CSV file of the format, and the media side file, into out_dir;
 * each path on out.  All are made before any is written. */
static int
csv_files(const struct kit_schedule_request *r, const struct kit_schedule *k,
	  FILE *out, FILE *log, struct kit_error *err)
{
	struct kit_buf report;
	struct kit_schedule_opts o = r->o;
	struct kit_schedule_file *f = NULL, *mf = NULL;
	const char *fmt = kit_schedule_csv_format_name(r->o.csv);
	char path[4096];
	size_t n = 0, nm = 0, i, skipped;
	int rc = -1;

	kit_buf_init(&report, KIT_SCHEDULE_OUT_MAX);
	if (kit_schedule_csv_files(k, &o, &f, &n, &report, &skipped, err) != 0 ||
	    left_out(r, fmt, &report, skipped, log, err) != 0)
		goto out;
	/* the media side file goes with every format */
	o.csv = KIT_SCHEDULE_CSV_MEDIA;
	if (r->o.csv != KIT_SCHEDULE_CSV_MEDIA &&
	    kit_schedule_csv_files(k, &o, &mf, &nm, NULL, &skipped, err) != 0)
		goto out;
	if (kit_mkdir_p(r->out_dir, 0755, err) != 0)
		goto out;
	for (i = 0; i < n + nm; i++) {
		const struct kit_schedule_file *x = i < n ? &f[i] : &mf[i - n];

		if (kit_path_join(path, sizeof(path), r->out_dir, x->name, err) != 0 ||
		    kit_file_write_atomic(path, x->data, x->len, 0644, err) != 0)
			goto out;
		fprintf(out, "%s\n", path);
	}
	rc = 0;
out:
	kit_schedule_files_free(f, n);
	kit_schedule_files_free(mf, nm);
	kit_buf_free(&report);
	return rc;
}

/* One CSV file, to r->out or out. */
static int
csv_one(const struct kit_schedule_request *r, const struct kit_schedule *k,
	FILE *out, FILE *log, struct kit_error *err)
{
	struct kit_buf b, report;
	const char *what = r->o.platform ? r->o.platform : kit_schedule_csv_format_name(r->o.csv);
	size_t skipped;
	int rc = -1;

	kit_buf_init(&b, KIT_SCHEDULE_OUT_MAX);
	kit_buf_init(&report, KIT_SCHEDULE_OUT_MAX);
	if (kit_schedule_csv(k, &r->o, &b, &report, &skipped, err) != 0 ||
	    left_out(r, what, &report, skipped, log, err) != 0 ||
	    emit(r->out, &b, out, err) != 0)
		goto out;
	rc = 0;
out:
	kit_buf_free(&b);
	kit_buf_free(&report);
	return rc;
}

/* The output of every command but csv, into b. */
static int
render(const struct kit_schedule_request *r, const struct kit_schedule *k,
       const struct kit_schedule *prev, struct kit_buf *b,
       struct kit_error *err)
{
	struct kit_schedule_opts o = r->o;

	o.previous = prev;
	if (r->json)
		return kit_schedule_json(k, &o, r->next, b, err);
	switch (r->cmd) {
	case KIT_SCHEDULE_ICS:
		return kit_schedule_ics(k, &o, b, err);
	case KIT_SCHEDULE_PAGE:
		return kit_schedule_page(k, prev, r->kit_dir, b, err);
	case KIT_SCHEDULE_TABLE:
	case KIT_SCHEDULE_CSV:
		break;
	}
	if (r->next)
		return kit_schedule_next(k, &o, b, err);
	return kit_schedule_table(k, &o, b, err);
}

int
kit_schedule_run(const struct kit_schedule_request *r, FILE *out, FILE *log,
		 struct kit_error *err)
{
	struct kit_schedule *k = NULL, *prev = NULL;
	struct kit_buf b;
	int rc = -1;

	kit_buf_init(&b, KIT_SCHEDULE_OUT_MAX);
	k = kit_schedule_load(r->kit_dir, err);
	if (k == NULL)
		goto out;
	if (r->previous != NULL) {
		prev = kit_schedule_load_file(r->previous, err);
		if (prev == NULL)
			goto out;
	}
	if (r->cmd == KIT_SCHEDULE_CSV) {
		rc = r->out_dir ? csv_files(r, k, out, log, err)
				: csv_one(r, k, out, log, err);
		goto out;
	}
	if (render(r, k, prev, &b, err) != 0 || emit(r->out, &b, out, err) != 0)
		goto out;
	rc = 0;
out:
	kit_buf_free(&b);
	kit_schedule_free(k);
	kit_schedule_free(prev);
	return rc;
}
