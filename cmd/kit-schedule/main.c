/*
 * kit-schedule: the posts of an installed kit as a table, an iCalendar file,
 * bulk-upload CSV or JSON.  Thin: parse arguments, call pkg/schedule, map
 * the error class to the exit code.  stdout carries data only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kit_schedule.h"
#include "kit_util.h"

static const char usage[] =
	"usage: kit-schedule --kit DIR [options] table|ics|csv|page\n"
	"\n"
	"  table                 every post by day and time in the office's zone\n"
	"    --next              only what goes out next (from --now or the clock)\n"
	"  ics                   an iCalendar file (RFC 5545), one event per post\n"
	"    --previous FILE     an earlier manifest.json: its withdrawn posts are cancelled\n"
	"  page                  the kit's index.html with what is new or changed since\n"
	"    --previous FILE     an earlier manifest.json marked (write it with --out)\n"
	"  csv                   bulk-upload CSV, one platform (channel) per file\n"
	"    --format F          buffer (default), hootsuite, publer, sprout, or media\n"
	"                        (the side file: post, file and alt text of every medium)\n"
	"    --media-base-url U  https URL where the kit's media are served: Buffer's\n"
	"                        Image URL, Publer's Media URL(s), the side file's URLs\n"
	"    --date-format D     hootsuite: mm/dd/yyyy hh:mm (default), dd/mm/yyyy hh:mm,\n"
	"                        yyyy-mm-dd hh:mm; sprout: mm/dd/yyyy or dd/mm/yyyy\n"
	"    --out-dir DIR       write DIR/<format>-<platform>.csv for every platform\n"
	"                        (sprout: -1, -2... past 350 posts) and DIR/media.csv\n"
	"    --skip-invalid      posts the tool cannot take are reported; exit 0 anyway\n"
	"\n"
	"  --kit DIR             the installed kit (with manifest.json at its top)\n"
	"  --tz ZONE             local times in ZONE (IANA) instead of the kit's zone;\n"
	"                        in the .ics: TZID and VTIMEZONE instead of UTC\n"
	"  --platform P, --lang L, --day YYYY-MM-DD   only these posts\n"
	"  --now RFC3339         the clock, for --next and the CSV checks\n"
	"  --json                the posts as JSON (with table or alone)\n"
	"  --out FILE            write to FILE (atomically) instead of stdout\n"
	"  --help, --version\n"
	"\n"
	"exit: 0 ok, 1 invalid input, 2 usage, 3 verification, 4 network, 5 I/O\n";

struct args {
	const char *kit, *cmd, *now, *format, *date_format, *out, *out_dir;
	const char *media_base_url;
	const char *previous;
	int next, json, skip_invalid;
	struct kit_schedule_opts o;
};

static int
terminal_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	char *end = NULL;
	long n;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	if (c != NULL) {
		errno = 0;
		n = strtol(c, &end, 10);
		if (errno == 0 && end != c && *end == '\0' && n > 20 &&
		    n < 10000)
			return (int)n;
	}
	return 80;
}

static int
parse(int argc, char **argv, struct args *a, struct kit_error *err)
{
	static const char *const with_value[] = {
		"--kit", "--tz", "--platform", "--lang", "--day", "--now",
		"--format", "--date-format", "--out", "--out-dir", "--previous",
		"--media-base-url",
	};
	const char **dst[] = {
		&a->kit, &a->o.tz, &a->o.platform, &a->o.lang, &a->o.day,
		&a->now, &a->format, &a->date_format, &a->out, &a->out_dir,
		&a->previous, &a->media_base_url,
	};
	size_t j, n;
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i], *eq = strchr(s, '=');

		if (strcmp(s, "--next") == 0) {
			a->next = 1;
			continue;
		}
		if (strcmp(s, "--json") == 0) {
			a->json = 1;
			continue;
		}
		if (strcmp(s, "--skip-invalid") == 0) {
			a->skip_invalid = 1;
			continue;
		}
		if (s[0] != '-') {
			if (a->cmd != NULL)
				return kit_err(err, KIT_E_USAGE,
					       "argument %s: one command only (table, ics, csv or page); see kit-schedule --help",
					       s);
			if (strcmp(s, "table") && strcmp(s, "ics") &&
			    strcmp(s, "csv") && strcmp(s, "page"))
				return kit_err(err, KIT_E_USAGE,
					       "command %s: unknown; use table, ics, csv or page",
					       s);
			a->cmd = s;
			continue;
		}
		n = eq && kit_str_has_prefix(s, "--") ? (size_t)(eq - s) :
			strlen(s);
		for (j = 0; j < sizeof(with_value) / sizeof(with_value[0]); j++)
			if (strlen(with_value[j]) == n &&
			    strncmp(s, with_value[j], n) == 0)
				break;
		if (j == sizeof(with_value) / sizeof(with_value[0]))
			return kit_err(err, KIT_E_USAGE,
				       "option %s: unknown; see kit-schedule --help",
				       s);
		if (eq != NULL && n == (size_t)(eq - s))
			*dst[j] = eq + 1;
		else if (i + 1 < argc)
			*dst[j] = argv[++i];
		else
			return kit_err(err, KIT_E_USAGE,
				       "option %s: needs a value; see kit-schedule --help",
				       s);
		if ((*dst[j])[0] == '\0')
			return kit_err(err, KIT_E_USAGE,
				       "option %s: empty value; see kit-schedule --help",
				       with_value[j]);
	}
	return 0;
}

/* Options that belong to another command are refused, not ignored. */
static int
check(struct args *a, struct kit_error *err)
{
	const char *cmd = a->cmd ? a->cmd : "table";
	int64_t t;
	int has_offset = 0;

	if (a->kit == NULL)
		return kit_err(err, KIT_E_USAGE,
			       "option --kit: missing; pass the installed kit directory, e.g. --kit <state>/kits/<campaign>/current");
	if (a->cmd == NULL && !a->json)
		return kit_err(err, KIT_E_USAGE,
			       "command: missing; use table, ics, csv or page (see kit-schedule --help)");
	if (a->next && strcmp(cmd, "table") != 0)
		return kit_err(err, KIT_E_USAGE,
			       "option --next: only with table; drop it");
	if (a->json && strcmp(cmd, "table") != 0)
		return kit_err(err, KIT_E_USAGE,
			       "option --json: not with %s; use it with table or alone",
			       cmd);
	if (a->previous && strcmp(cmd, "ics") != 0 && strcmp(cmd, "page") != 0)
		return kit_err(err, KIT_E_USAGE,
			       "option --previous: only with ics or page; drop it");
	if (strcmp(cmd, "page") == 0 && a->previous == NULL)
		return kit_err(err, KIT_E_USAGE,
			       "page: --previous missing; give the manifest.json of the version to compare with, e.g. <state>/kits/<campaign>/releases/<version>/manifest.json");
	if ((a->format || a->date_format || a->out_dir || a->skip_invalid ||
	     a->media_base_url) && strcmp(cmd, "csv") != 0)
		return kit_err(err, KIT_E_USAGE,
			       "options --format, --date-format, --out-dir, --skip-invalid, --media-base-url: only with csv; drop them");
	a->o.media_base_url = a->media_base_url;
	if (a->out && a->out_dir)
		return kit_err(err, KIT_E_USAGE,
			       "options --out and --out-dir: pick one");
	if (a->format == NULL || strcmp(a->format, "buffer") == 0)
		a->o.csv = KIT_SCHEDULE_CSV_BUFFER;
	else if (strcmp(a->format, "hootsuite") == 0)
		a->o.csv = KIT_SCHEDULE_CSV_HOOTSUITE;
	else if (strcmp(a->format, "publer") == 0)
		a->o.csv = KIT_SCHEDULE_CSV_PUBLER;
	else if (strcmp(a->format, "sprout") == 0)
		a->o.csv = KIT_SCHEDULE_CSV_SPROUT;
	else if (strcmp(a->format, "media") == 0)
		a->o.csv = KIT_SCHEDULE_CSV_MEDIA;
	else
		return kit_err(err, KIT_E_USAGE,
			       "option --format %s: unknown; use buffer, hootsuite, publer, sprout or media",
			       a->format);
	if (a->date_format != NULL && a->o.csv == KIT_SCHEDULE_CSV_SPROUT) {
		if (strcmp(a->date_format, "mm/dd/yyyy") == 0)
			a->o.date = KIT_SCHEDULE_DATE_MDY;
		else if (strcmp(a->date_format, "dd/mm/yyyy") == 0)
			a->o.date = KIT_SCHEDULE_DATE_DMY;
		else
			return kit_err(err, KIT_E_USAGE,
				       "option --date-format %s: Sprout Social takes \"mm/dd/yyyy\" or \"dd/mm/yyyy\" (its import preference)",
				       a->date_format);
	} else if (a->date_format != NULL) {
		if (a->o.csv != KIT_SCHEDULE_CSV_HOOTSUITE)
			return kit_err(err, KIT_E_USAGE,
				       "option --date-format: only with --format hootsuite or sprout (Buffer and Publer take YYYY-MM-DD HH:mm)");
		if (strcmp(a->date_format, "mm/dd/yyyy hh:mm") == 0)
			a->o.date = KIT_SCHEDULE_DATE_MDY;
		else if (strcmp(a->date_format, "dd/mm/yyyy hh:mm") == 0)
			a->o.date = KIT_SCHEDULE_DATE_DMY;
		else if (strcmp(a->date_format, "yyyy-mm-dd hh:mm") == 0)
			a->o.date = KIT_SCHEDULE_DATE_YMD;
		else
			return kit_err(err, KIT_E_USAGE,
				       "option --date-format %s: unknown; use \"mm/dd/yyyy hh:mm\", \"dd/mm/yyyy hh:mm\" or \"yyyy-mm-dd hh:mm\"",
				       a->date_format);
	}
	if (a->now != NULL) {
		if (kit_time_parse(a->now, &t, &has_offset, NULL) != 0 ||
		    !has_offset)
			return kit_err(err, KIT_E_USAGE,
				       "option --now %s: not an RFC 3339 time with offset; use e.g. 2016-12-15T08:00:00Z",
				       a->now);
		a->o.now = t;
	}
	return 0;
}

static int
emit(const char *path, const struct kit_buf *b, struct kit_error *err)
{
	const void *data = b->data ? (const void *)b->data : "";

	if (path != NULL)
		return kit_file_write_atomic(path, data, b->len, 0644, err);
	if (b->len > 0 && fwrite(data, 1, b->len, stdout) != b->len)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "output stdout: cannot write");
	if (fflush(stdout) != 0)
		return kit_err_errno(err, KIT_E_IO, errno,
				     "output stdout: cannot write");
	return 0;
}

/* Report left-out posts; -1 if that fails the run. */
static int
left_out(const struct args *a, const char *what, const struct kit_buf *report,
	 size_t n, struct kit_error *err)
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
		fprintf(stderr, "kit-schedule: csv %s: left out %s\n", what,
			clean);
	}
	if (n > 0 && !a->skip_invalid)
		return kit_err(err, KIT_E_INVALID,
			       "csv %s: %zu post%s the tool cannot take; nothing written: fix the kit, or pass --skip-invalid to export the rest",
			       what, n, n == 1 ? "" : "s");
	return 0;
}

static int
run_csv(const struct args *a, const struct kit_schedule *k,
	struct kit_error *err)
{
	struct kit_buf out, report;
	struct kit_schedule_opts o = a->o;
	struct kit_schedule_file *f = NULL, *mf = NULL;
	const char *fmt = kit_schedule_csv_format_name(a->o.csv);
	char path[4096];
	size_t n = 0, nm = 0, i, skipped;
	int rc = -1;

	kit_buf_init(&out, KIT_SCHEDULE_OUT_MAX);
	kit_buf_init(&report, KIT_SCHEDULE_OUT_MAX);
	if (a->out_dir == NULL) {
		if (kit_schedule_csv(k, &o, &out, &report, &skipped, err) != 0 ||
		    left_out(a, a->o.platform ? a->o.platform : fmt, &report,
			     skipped, err) != 0 ||
		    emit(a->out, &out, err) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	/* every file checked and made before any is written; the media side
	 * file goes with every format */
	if (kit_schedule_csv_files(k, &o, &f, &n, &report, &skipped, err) != 0 ||
	    left_out(a, fmt, &report, skipped, err) != 0)
		goto out;
	o.csv = KIT_SCHEDULE_CSV_MEDIA;
	if (a->o.csv != KIT_SCHEDULE_CSV_MEDIA &&
	    kit_schedule_csv_files(k, &o, &mf, &nm, NULL, &skipped, err) != 0)
		goto out;
	if (kit_mkdir_p(a->out_dir, 0755, err) != 0)
		goto out;
	for (i = 0; i < n + nm; i++) {
		const struct kit_schedule_file *x = i < n ? &f[i] : &mf[i - n];

		if (kit_path_join(path, sizeof(path), a->out_dir, x->name, err) != 0 ||
		    kit_file_write_atomic(path, x->data, x->len, 0644, err) != 0)
			goto out;
		printf("%s\n", path);
	}
	rc = 0;
out:
	kit_schedule_files_free(f, n);
	kit_schedule_files_free(mf, nm);
	kit_buf_free(&out);
	kit_buf_free(&report);
	return rc;
}

static int
run(const struct args *a, struct kit_error *err)
{
	struct kit_schedule *k = NULL, *prev = NULL;
	struct kit_schedule_opts o = a->o;
	struct kit_buf out;
	const char *cmd = a->cmd ? a->cmd : "table";
	int rc = -1;

	kit_buf_init(&out, KIT_SCHEDULE_OUT_MAX);
	k = kit_schedule_load(a->kit, err);
	if (k == NULL)
		goto out;
	if (a->previous != NULL) {
		prev = kit_schedule_load_file(a->previous, err);
		if (prev == NULL)
			goto out;
		o.previous = prev;
	}
	if (strcmp(cmd, "csv") == 0) {
		rc = run_csv(a, k, err);
		goto out;
	}
	if (a->json) {
		if (kit_schedule_json(k, &o, a->next, &out, err) != 0)
			goto out;
	} else if (strcmp(cmd, "ics") == 0) {
		if (kit_schedule_ics(k, &o, &out, err) != 0)
			goto out;
	} else if (strcmp(cmd, "page") == 0) {
		if (kit_schedule_page(k, prev, a->kit, &out, err) != 0)
			goto out;
	} else if (a->next) {
		if (kit_schedule_next(k, &o, &out, err) != 0)
			goto out;
	} else {
		o.width = a->out ? 0 : terminal_width();
		if (kit_schedule_table(k, &o, &out, err) != 0)
			goto out;
	}
	if (emit(a->out, &out, err) != 0)
		goto out;
	rc = 0;
out:
	kit_buf_free(&out);
	kit_schedule_free(k);
	kit_schedule_free(prev);
	return rc;
}

int
main(int argc, char **argv)
{
	struct kit_error err = {KIT_E_OK, ""};
	struct args a;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("kit-schedule %s\n", KIT_VERSION);
			return 0;
		}
	}
	memset(&a, 0, sizeof(a));
	kit_schedule_opts_init(&a.o);
	/* every failure leaves through the one report: one line, its class */
	if (parse(argc, argv, &a, &err) != 0 || check(&a, &err) != 0 ||
	    run(&a, &err) != 0)
		return kit_err_report("kit-schedule", &err, stderr);
	return 0;
}
