/*
 * kit-schedule: the posts of an installed kit as a table, an iCalendar file,
 * bulk-upload CSV or JSON.  Thin: parse arguments, call pkg/schedule, map
 * the error class to the exit code.  stdout carries data only.
 */
#include <errno.h>
#include <getopt.h>
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

/* What the options say beyond the request itself: names the program maps
 * to the request's terms. */
struct args {
	const char *cmd, *now, *format, *date_format;
	struct kit_schedule_request r;
};

/* Every failure leaves through here: one line, the class's exit code. */
static int
fail(const struct kit_error *err)
{
	return kit_err_report("kit-schedule", err, stderr);
}

#define usage_error(...) kit_err_report_usage("kit-schedule", stderr, __VA_ARGS__)

/* The width of the terminal on stdout; 0 when it is not one. */
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

/* --date-format for the CSV format chosen. */
static int
date_format(struct args *a, struct kit_error *err)
{
	struct kit_schedule_opts *o = &a->r.o;
	const char *d = a->date_format;

	if (d == NULL)
		return 0;
	if (o->csv == KIT_SCHEDULE_CSV_SPROUT) {
		if (strcmp(d, "mm/dd/yyyy") == 0)
			o->date = KIT_SCHEDULE_DATE_MDY;
		else if (strcmp(d, "dd/mm/yyyy") == 0)
			o->date = KIT_SCHEDULE_DATE_DMY;
		else
			return kit_err(err, KIT_E_USAGE, "option --date-format %s: Sprout Social takes \"mm/dd/yyyy\" or \"dd/mm/yyyy\" (its import preference)", d);
		return 0;
	}
	if (o->csv != KIT_SCHEDULE_CSV_HOOTSUITE)
		return kit_err(err, KIT_E_USAGE, "option --date-format: only with --format hootsuite or sprout (Buffer and Publer take YYYY-MM-DD HH:mm)");
	if (strcmp(d, "mm/dd/yyyy hh:mm") == 0)
		o->date = KIT_SCHEDULE_DATE_MDY;
	else if (strcmp(d, "dd/mm/yyyy hh:mm") == 0)
		o->date = KIT_SCHEDULE_DATE_DMY;
	else if (strcmp(d, "yyyy-mm-dd hh:mm") == 0)
		o->date = KIT_SCHEDULE_DATE_YMD;
	else
		return kit_err(err, KIT_E_USAGE, "option --date-format %s: unknown; use \"mm/dd/yyyy hh:mm\", \"dd/mm/yyyy hh:mm\" or \"yyyy-mm-dd hh:mm\"", d);
	return 0;
}

/* Options that belong to another command are refused, not ignored. */
static int
check(struct args *a, struct kit_error *err)
{
	struct kit_schedule_request *r = &a->r;
	const char *cmd = a->cmd ? a->cmd : "table";
	int64_t t;
	int has_offset = 0;

	if (r->kit_dir == NULL)
		return kit_err(err, KIT_E_USAGE, "option --kit: missing; pass the installed kit directory, e.g. --kit <state>/kits/<campaign>/current");
	if (a->cmd == NULL && !r->json)
		return kit_err(err, KIT_E_USAGE, "command: missing; use table, ics, csv or page (see kit-schedule --help)");
	if (r->next && strcmp(cmd, "table") != 0)
		return kit_err(err, KIT_E_USAGE, "option --next: only with table; drop it");
	if (r->json && strcmp(cmd, "table") != 0)
		return kit_err(err, KIT_E_USAGE, "option --json: not with %s; use it with table or alone", cmd);
	if (r->previous && strcmp(cmd, "ics") != 0 && strcmp(cmd, "page") != 0)
		return kit_err(err, KIT_E_USAGE, "option --previous: only with ics or page; drop it");
	if (strcmp(cmd, "page") == 0 && r->previous == NULL)
		return kit_err(err, KIT_E_USAGE, "page: --previous missing; give the manifest.json of the version to compare with, e.g. <state>/kits/<campaign>/releases/<version>/manifest.json");
	if ((a->format || a->date_format || r->out_dir || r->skip_invalid ||
	     r->o.media_base_url) &&
	    strcmp(cmd, "csv") != 0)
		return kit_err(err, KIT_E_USAGE, "options --format, --date-format, --out-dir, --skip-invalid, --media-base-url: only with csv; drop them");
	if (r->out && r->out_dir)
		return kit_err(err, KIT_E_USAGE, "options --out and --out-dir: pick one");
	if (kit_schedule_csv_format_parse(a->format ? a->format : "buffer", &r->o.csv) != 0)
		return kit_err(err, KIT_E_USAGE, "option --format %s: unknown; use buffer, hootsuite, publer, sprout or media", a->format);
	if (date_format(a, err) != 0)
		return -1;
	if (a->now != NULL) {
		if (kit_time_parse(a->now, &t, &has_offset, NULL) != 0 ||
		    !has_offset)
			return kit_err(err, KIT_E_USAGE, "option --now %s: not an RFC 3339 time with offset; use e.g. 2016-12-15T08:00:00Z", a->now);
		r->o.now = t;
	}
	r->cmd = strcmp(cmd, "ics") == 0    ? KIT_SCHEDULE_ICS
		 : strcmp(cmd, "csv") == 0  ? KIT_SCHEDULE_CSV
		 : strcmp(cmd, "page") == 0 ? KIT_SCHEDULE_PAGE
					    : KIT_SCHEDULE_TABLE;
	if (r->cmd == KIT_SCHEDULE_TABLE && !r->json && !r->next)
		r->o.width = r->out ? 0 : terminal_width();
	return 0;
}

enum {
	OPT_KIT = 256,
	OPT_TZ,
	OPT_PLATFORM,
	OPT_LANG,
	OPT_DAY,
	OPT_NOW,
	OPT_FORMAT,
	OPT_DATE_FORMAT,
	OPT_OUT,
	OPT_OUT_DIR,
	OPT_PREVIOUS,
	OPT_MEDIA_BASE_URL,
	OPT_NEXT,
	OPT_JSON,
	OPT_SKIP_INVALID,
	OPT_HELP,
	OPT_VERSION,
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kit", required_argument, NULL, OPT_KIT},
		{"tz", required_argument, NULL, OPT_TZ},
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"lang", required_argument, NULL, OPT_LANG},
		{"day", required_argument, NULL, OPT_DAY},
		{"now", required_argument, NULL, OPT_NOW},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"date-format", required_argument, NULL, OPT_DATE_FORMAT},
		{"out", required_argument, NULL, OPT_OUT},
		{"out-dir", required_argument, NULL, OPT_OUT_DIR},
		{"previous", required_argument, NULL, OPT_PREVIOUS},
		{"media-base-url", required_argument, NULL, OPT_MEDIA_BASE_URL},
		{"next", no_argument, NULL, OPT_NEXT},
		{"json", no_argument, NULL, OPT_JSON},
		{"skip-invalid", no_argument, NULL, OPT_SKIP_INVALID},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	struct kit_error err = {0};
	struct args a = {0};
	struct kit_schedule_request *r = &a.r;
	int c, li;

	kit_schedule_request_init(r);
	opterr = 0;
	while ((li = -1, c = getopt_long(argc, argv, "hV", opts, &li)) != -1) {
		if (li >= 0 && opts[li].has_arg && optarg[0] == '\0')
			return usage_error("option --%s: empty value", opts[li].name);
		switch (c) {
		case OPT_KIT: r->kit_dir = optarg; break;
		case OPT_TZ: r->o.tz = optarg; break;
		case OPT_PLATFORM: r->o.platform = optarg; break;
		case OPT_LANG: r->o.lang = optarg; break;
		case OPT_DAY: r->o.day = optarg; break;
		case OPT_NOW: a.now = optarg; break;
		case OPT_FORMAT: a.format = optarg; break;
		case OPT_DATE_FORMAT: a.date_format = optarg; break;
		case OPT_OUT: r->out = optarg; break;
		case OPT_OUT_DIR: r->out_dir = optarg; break;
		case OPT_PREVIOUS: r->previous = optarg; break;
		case OPT_MEDIA_BASE_URL: r->o.media_base_url = optarg; break;
		case OPT_NEXT: r->next = 1; break;
		case OPT_JSON: r->json = 1; break;
		case OPT_SKIP_INVALID: r->skip_invalid = 1; break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return 0;
		case 'V':
		case OPT_VERSION: printf("kit-schedule %s\n", KIT_VERSION); return 0;
		default:
			return usage_error("unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		const char *s = argv[optind];

		if (a.cmd != NULL)
			return usage_error("argument %s: one command only (table, ics, csv or page)", s);
		if (strcmp(s, "table") && strcmp(s, "ics") && strcmp(s, "csv") && strcmp(s, "page"))
			return usage_error("command %s: unknown; use table, ics, csv or page", s);
		a.cmd = s;
	}
	if (check(&a, &err) != 0 || kit_schedule_run(r, stdout, stderr, &err) != 0)
		return fail(&err);
	return 0;
}
