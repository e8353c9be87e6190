/* kit-fetch: pull, verify and install campaign kits in a country office. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_fetcher.h"

static const char usage[] =
	"usage: kit-fetch init     --state DIR --root ROOT_JSON [--url URL] [--mirror URL]... [--office ID] [--force]\n"
	"                          [--cacert FILE] [--proxy URL] [--max-unpacked BYTES] [--max-ratio N]\n"
	"                          [--retired keep|remove]\n"
	"       kit-fetch update   --state DIR [CAMPAIGN]... [--from DIR] [--mirror URL]... [--quiet] [--json]\n"
	"                          [--proxy URL] [--cacert FILE] [--limit-rate BYTES] [--speed-limit B/S --speed-time S]\n"
	"       kit-fetch status   --state DIR [--json]\n"
	"       kit-fetch verify   --state DIR\n"
	"       kit-fetch rollback --state DIR CAMPAIGN\n"
	"Exit codes: 0 ok (also: already up to date), 1 invalid input, 2 usage,\n"
	"3 verification refused, 4 network or transport, 5 local I/O (disk, permissions, lock).\n";

/* Every failure leaves through here: one line, the class's exit code. */
static int
fail(const struct kit_error *err)
{
	return kit_err_report("kit-fetch", err, stderr);
}

#define usage_error(...) kit_err_report_usage("kit-fetch", stderr, __VA_ARGS__)

/* Counts: digits, and a k/M/G suffix where bytes are meant. */
#define BYTES 1
#define PLAIN 0

enum {
	OPT_STATE = 256,
	OPT_ROOT,
	OPT_URL,
	OPT_MIRROR,
	OPT_OFFICE,
	OPT_FORCE,
	OPT_FROM,
	OPT_QUIET,
	OPT_JSON,
	OPT_PROXY,
	OPT_CACERT,
	OPT_LIMIT_RATE,
	OPT_SPEED_LIMIT,
	OPT_SPEED_TIME,
	OPT_RETRY_BASE,
	OPT_KEEP,
	OPT_HELP,
	OPT_VERSION,
	OPT_MAX_UNPACKED,
	OPT_MAX_RATIO,
	OPT_RETIRED,
};

/* The options into o.  -1: go on with the command; else the program ends
 * here with that exit code (--help, --version, a usage error). */
static int
parse_options(int argc, char **argv, struct kit_fetcher_opts *o)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, OPT_STATE},
		{"root", required_argument, NULL, OPT_ROOT},
		{"url", required_argument, NULL, OPT_URL},
		{"mirror", required_argument, NULL, OPT_MIRROR},
		{"office", required_argument, NULL, OPT_OFFICE},
		{"force", no_argument, NULL, OPT_FORCE},
		{"from", required_argument, NULL, OPT_FROM},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"json", no_argument, NULL, OPT_JSON},
		{"proxy", required_argument, NULL, OPT_PROXY},
		{"cacert", required_argument, NULL, OPT_CACERT},
		{"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
		{"speed-limit", required_argument, NULL, OPT_SPEED_LIMIT},
		{"speed-time", required_argument, NULL, OPT_SPEED_TIME},
		{"retry-base-ms", required_argument, NULL, OPT_RETRY_BASE},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"max-unpacked", required_argument, NULL, OPT_MAX_UNPACKED},
		{"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
		{"retired", required_argument, NULL, OPT_RETIRED},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	int64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hVq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE: o->state_dir = optarg; break;
		case OPT_ROOT: o->root_json = optarg; break;
		case OPT_URL: o->url = optarg; break;
		case OPT_MIRROR:
			if (o->n_mirrors == KIT_FETCHER_MAX_MIRRORS)
				return usage_error("too many --mirror options");
			o->mirrors[o->n_mirrors++] = optarg;
			break;
		case OPT_OFFICE: o->office = optarg; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_FROM: o->from_dir = optarg; break;
		case 'q':
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_PROXY: o->proxy = optarg; break;
		case OPT_CACERT: o->cainfo = optarg; break;
		case OPT_LIMIT_RATE:
			if (kit_num_parse(optarg, 0, 1ULL << 40, BYTES, &v) != 0)
				return usage_error("--limit-rate %.40s: give bytes per second up to 1024G, e.g. 200k", optarg);
			o->limit_rate = v;
			break;
		case OPT_SPEED_LIMIT:
			if (kit_num_parse(optarg, 0, 1ULL << 30, BYTES, &v) != 0)
				return usage_error("--speed-limit %.40s: give bytes per second up to 1G, e.g. 1000 or 2k", optarg);
			o->low_speed_limit = (long)v;
			break;
		case OPT_SPEED_TIME:
			if (kit_num_parse(optarg, 0, 86400, PLAIN, &v) != 0)
				return usage_error("--speed-time %.40s: give seconds, 0 to 86400", optarg);
			o->low_speed_time = (long)v;
			break;
		case OPT_RETRY_BASE:
			if (kit_num_parse(optarg, 0, 600000, PLAIN, &v) != 0)
				return usage_error("--retry-base-ms %.40s: give milliseconds, 0 to 600000", optarg);
			o->retry_base_ms = (long)v;
			break;
		case OPT_KEEP:
			if (kit_num_parse(optarg, 1, 100, PLAIN, &v) != 0)
				return usage_error("--keep %.40s: give a number of releases, 1 to 100", optarg);
			o->keep = (int)v;
			break;
		case OPT_RETIRED:
			if (strcmp(optarg, "keep") != 0 && strcmp(optarg, "remove") != 0)
				return usage_error("--retired %.40s: give keep or remove", optarg);
			o->retired_remove = strcmp(optarg, "remove") == 0;
			break;
		case OPT_MAX_UNPACKED:
			if (kit_num_parse(optarg, 1, 1ULL << 50, BYTES, &v) != 0)
				return usage_error("--max-unpacked %.40s: give bytes from 1 to 1048576G, e.g. 4096M or 4G", optarg);
			o->max_unpacked = v;
			break;
		case OPT_MAX_RATIO:
			if (kit_num_parse(optarg, 1, 1000000, PLAIN, &v) != 0)
				return usage_error("--max-ratio %.40s: give a number from 1 to 1000000", optarg);
			o->max_ratio = v;
			break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return 0;
		case 'V':
		case OPT_VERSION: printf("kit-fetch %s\n", KIT_VERSION); return 0;
		default:
			return usage_error("unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct kit_fetcher_opts o;
	struct kit_error err = {0};
	const char *cmd;
	int rc;

	kit_fetcher_opts_init(&o);
	rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return usage_error("no command given");
	cmd = argv[optind++];
	if (o.state_dir == NULL)
		return usage_error("--state DIR is required");
	if (strcmp(cmd, "init") == 0) {
		if (optind != argc)
			return usage_error("init takes no arguments");
		if (o.root_json == NULL)
			return usage_error("init needs --root ROOT_JSON (and --url URL unless the office only syncs from removable media)");
		rc = kit_fetcher_init(&o, &err);
	} else if (strcmp(cmd, "update") == 0) {
		rc = kit_fetcher_update(&o, (const char *const *)argv + optind,
					(size_t)(argc - optind), &err);
	} else if (strcmp(cmd, "status") == 0) {
		rc = kit_fetcher_status(&o, stdout, &err);
	} else if (strcmp(cmd, "verify") == 0) {
		rc = kit_fetcher_verify(&o, stdout, &err);
	} else if (strcmp(cmd, "rollback") == 0) {
		if (optind + 1 != argc)
			return usage_error("rollback takes one CAMPAIGN");
		rc = kit_fetcher_rollback(&o, argv[optind], &err);
	} else {
		return usage_error("unknown command '%.40s'", cmd);
	}
	return rc == 0 ? 0 : fail(&err);
}
