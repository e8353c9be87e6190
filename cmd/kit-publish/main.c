/* kit-publish: write, validate, build, sign and publish campaign kits. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_publisher.h"

static const char usage[] =
	"usage: kit-publish init     --repo DIR --keys DIR [--ROLE-keys N --ROLE-threshold K]... [--expires SPEC]\n"
	"       kit-publish validate CAMPAIGN_DIR\n"
	"       kit-publish build    CAMPAIGN_DIR --out DIR [--manifests DIR] [--level N] [--kit-version N]\n"
	"       kit-publish publish  CAMPAIGN_DIR... --repo DIR --keys DIR [--archives] [--level N] [--expires SPEC]\n"
	"       kit-publish timestamp --repo DIR --keys DIR [--expires SPEC]\n"
	"       kit-publish retire   CAMPAIGN --repo DIR --keys DIR\n"
	"       kit-publish rotate   --role ROLE --repo DIR --keys DIR [--new-keys N --threshold K]\n"
	"       kit-publish sign-root --repo DIR --keys DIR --key FILE\n"
	"       kit-publish pubkey   --repo DIR --minisign\n"
	"       kit-publish export   --repo DIR --keys DIR --to DIR [--valid-for 30d] [--office ID]\n"
	"       kit-publish office add ID --name NAME --country C --timezone ZONE --languages L1,L2 [--key HEX]... [--threshold K] --repo DIR --keys DIR\n"
	"       kit-publish office remove ID --repo DIR --keys DIR\n"
	"       kit-publish office import FILE --repo DIR --keys DIR   (JSON lines, one office a line, or a registry)\n"
	"       kit-publish office list  --repo DIR [--json]\n"
	"       kit-publish office key   --keys DIR   (an office's own key: made once, its public hex printed for office add --key)\n"
	"       kit-publish office publish CAMPAIGN_DIR... --office ID --repo DIR --keys DIR [--archives]   (an office signs its own overlay)\n"
	"       kit-publish office cosign ID --repo DIR --keys DIR   (HQ co-signs an office's role)\n"
	"ROLE is root, targets, snapshot or timestamp; SPEC is e.g. timestamp=1d,snapshot=7d,targets=90d,root=365d.\n"
	"Passphrases: KIT_PASSPHRASE_FILE, KIT_PASSPHRASE, or a prompt.\n"
	"Exit codes: 0 ok, 1 invalid input, 2 usage, 3 verification refused, 4 network, 5 local I/O.\n";

/* Every failure leaves through here: one line, the class's exit code. */
static int
fail(const struct kit_error *err)
{
	return kit_err_report("kit-publish", err, stderr);
}

#define usage_error(...) kit_err_report_usage("kit-publish", stderr, __VA_ARGS__)

/* A count from 1 to max: digits only (kit_num_parse). */
static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	int64_t v;

	if (kit_num_parse(s, 1, max, 0, &v) != 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

enum {
	OPT_REPO = 256,
	OPT_KEYS,
	OPT_OUT,
	OPT_MANIFESTS,
	OPT_LEVEL,
	OPT_KIT_VERSION,
	OPT_EXPIRES,
	OPT_ROLE,
	OPT_NEW_KEYS,
	OPT_THRESHOLD,
	OPT_KEY,
	OPT_MINISIGN,
	OPT_TO,
	OPT_VALID_FOR,
	OPT_QUIET,
	OPT_HELP,
	OPT_VERSION,
	OPT_OFFICE,
	OPT_NAME,
	OPT_COUNTRY,
	OPT_TIMEZONE,
	OPT_LANGUAGES,
	OPT_JSON,
	OPT_ARCHIVES,
	OPT_ROLE_KEYS = 400,      /* + role */
	OPT_ROLE_THRESHOLD = 410, /* + role */
};

/* What the options say; the command's arguments stay in argv. */
struct cli {
	struct kit_publisher_opts o;
	const char *out, *role, *key, *to, *export_office, *valid_for;
	unsigned new_keys, threshold;
	int minisign, json, threshold_set;
	struct kit_org_office office;
	const char *keys[KIT_ORG_KEYS], *langs[KIT_ORG_LANGS];
	char langbuf[256];
};

/* The options into a.  -1: go on with the command; else the program ends
 * here with that exit code (--help, --version, a usage error). */
static int
parse_options(int argc, char **argv, struct cli *a)
{
	static const struct option opts[] = {
		{"repo", required_argument, NULL, OPT_REPO},
		{"keys", required_argument, NULL, OPT_KEYS},
		{"out", required_argument, NULL, OPT_OUT},
		{"manifests", required_argument, NULL, OPT_MANIFESTS},
		{"level", required_argument, NULL, OPT_LEVEL},
		{"kit-version", required_argument, NULL, OPT_KIT_VERSION},
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{"role", required_argument, NULL, OPT_ROLE},
		{"new-keys", required_argument, NULL, OPT_NEW_KEYS},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"key", required_argument, NULL, OPT_KEY},
		{"minisign", no_argument, NULL, OPT_MINISIGN},
		{"to", required_argument, NULL, OPT_TO},
		{"valid-for", required_argument, NULL, OPT_VALID_FOR},
		{"office", required_argument, NULL, OPT_OFFICE},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{"name", required_argument, NULL, OPT_NAME},
		{"country", required_argument, NULL, OPT_COUNTRY},
		{"timezone", required_argument, NULL, OPT_TIMEZONE},
		{"languages", required_argument, NULL, OPT_LANGUAGES},
		{"json", no_argument, NULL, OPT_JSON},
		{"archives", no_argument, NULL, OPT_ARCHIVES},
		{"root-keys", required_argument, NULL, OPT_ROLE_KEYS + KIT_TUF_ROOT},
		{"targets-keys", required_argument, NULL, OPT_ROLE_KEYS + KIT_TUF_TARGETS},
		{"snapshot-keys", required_argument, NULL, OPT_ROLE_KEYS + KIT_TUF_SNAPSHOT},
		{"timestamp-keys", required_argument, NULL, OPT_ROLE_KEYS + KIT_TUF_TIMESTAMP},
		{"root-threshold", required_argument, NULL, OPT_ROLE_THRESHOLD + KIT_TUF_ROOT},
		{"targets-threshold", required_argument, NULL, OPT_ROLE_THRESHOLD + KIT_TUF_TARGETS},
		{"snapshot-threshold", required_argument, NULL, OPT_ROLE_THRESHOLD + KIT_TUF_SNAPSHOT},
		{"timestamp-threshold", required_argument, NULL, OPT_ROLE_THRESHOLD + KIT_TUF_TIMESTAMP},
		{NULL, 0, NULL, 0},
	};
	struct kit_error err = {0};
	char *lang, *save = NULL;
	unsigned u;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_REPO: a->o.repo_dir = optarg; break;
		case OPT_KEYS: a->o.keys_dir = optarg; break;
		case OPT_OUT: a->out = optarg; break;
		case OPT_MANIFESTS: a->o.manifests_dir = optarg; break;
		case OPT_LEVEL:
			if (parse_uint(optarg, 19, &u) != 0)
				return usage_error("--level takes 1 to 19");
			a->o.zstd_level = (int)u;
			break;
		case OPT_KIT_VERSION:
			if (parse_uint(optarg, 1000000, &u) != 0)
				return usage_error("--kit-version takes a number >= 1");
			a->o.kit_version = (int)u;
			break;
		case OPT_EXPIRES:
			if (kit_publisher_parse_expires(&a->o, optarg, &err) != 0)
				return fail(&err);
			break;
		case OPT_ROLE: a->role = optarg; break;
		case OPT_NEW_KEYS:
			if (parse_uint(optarg, 32, &a->new_keys) != 0)
				return usage_error("--new-keys takes 1 to 32");
			break;
		case OPT_THRESHOLD:
			if (parse_uint(optarg, 32, &a->threshold) != 0)
				return usage_error("--threshold takes 1 to 32");
			a->threshold_set = 1;
			break;
		case OPT_KEY:
			a->key = optarg;
			if (a->office.nkeys == KIT_ORG_KEYS)
				return usage_error("at most %d --key options", KIT_ORG_KEYS);
			a->keys[a->office.nkeys++] = optarg;
			break;
		case OPT_NAME: a->office.name = optarg; break;
		case OPT_COUNTRY: a->office.country = optarg; break;
		case OPT_TIMEZONE: a->office.timezone = optarg; break;
		case OPT_LANGUAGES:
			if (snprintf(a->langbuf, sizeof(a->langbuf), "%s", optarg) >= (int)sizeof(a->langbuf))
				return usage_error("--languages is too long");
			for (lang = strtok_r(a->langbuf, ",", &save); lang; lang = strtok_r(NULL, ",", &save)) {
				if (a->office.nlanguages == KIT_ORG_LANGS)
					return usage_error("--languages takes at most %d languages", KIT_ORG_LANGS);
				a->langs[a->office.nlanguages++] = lang;
			}
			break;
		case OPT_JSON: a->json = 1; break;
		case OPT_ARCHIVES: a->o.archives = 1; break;
		case OPT_MINISIGN: a->minisign = 1; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_VALID_FOR: a->valid_for = optarg; break;
		case OPT_OFFICE: a->export_office = optarg; break;
		case OPT_QUIET: a->o.quiet = 1; break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return 0;
		case 'V':
		case OPT_VERSION: printf("kit-publish %s\n", KIT_VERSION); return 0;
		default:
			if (c >= OPT_ROLE_KEYS && c < OPT_ROLE_KEYS + KIT_TUF_NROLES) {
				if (parse_uint(optarg, 32, &u) != 0)
					return usage_error("--ROLE-keys takes 1 to 32");
				a->o.cfg.role[c - OPT_ROLE_KEYS].keys = u;
				break;
			}
			if (c >= OPT_ROLE_THRESHOLD &&
			    c < OPT_ROLE_THRESHOLD + KIT_TUF_NROLES) {
				if (parse_uint(optarg, 32, &u) != 0)
					return usage_error("--ROLE-threshold takes 1 to 32");
				a->o.cfg.role[c - OPT_ROLE_THRESHOLD].threshold = u;
				break;
			}
			if (optopt)
				return usage_error("unknown or incomplete option -%c", optopt);
			return usage_error("unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	return -1;
}

/* kit-publish office add|remove|import|list|key|publish|cosign. */
static int
office_command(struct cli *a, int argc, char **argv, struct kit_error *err)
{
	const char *sub = optind < argc ? argv[optind++] : "";
	struct kit_org_office *office = &a->office;

	office->languages = a->langs;
	office->keys = a->keys;
	office->threshold = office->nkeys ? (a->threshold_set ? a->threshold : 1) : 0;
	if (strcmp(sub, "add") == 0) {
		if (optind + 1 != argc || !office->name || !office->country || !office->timezone || !office->nlanguages)
			return usage_error("office add takes ID, --name, --country, --timezone and --languages");
		if (a->threshold_set && office->nkeys == 0)
			return usage_error("office add --threshold needs the office's --key options");
		office->id = argv[optind];
		return kit_publisher_office_set(&a->o, office, err) == 0 ? 0 : fail(err);
	}
	if (strcmp(sub, "remove") == 0) {
		if (optind + 1 != argc)
			return usage_error("office remove takes one office ID");
		return kit_publisher_office_remove(&a->o, argv[optind], err) == 0 ? 0 : fail(err);
	}
	if (strcmp(sub, "import") == 0) {
		if (optind + 1 != argc)
			return usage_error("office import takes one FILE");
		return kit_publisher_office_import(&a->o, argv[optind], err) == 0 ? 0 : fail(err);
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return usage_error("office list takes no arguments");
		return kit_publisher_office_list(&a->o, a->json, stdout, err) == 0 ? 0 : fail(err);
	}
	if (strcmp(sub, "key") == 0) {
		if (optind != argc || a->o.keys_dir == NULL)
			return usage_error("office key takes --keys DIR and no arguments");
		return kit_publisher_office_key(&a->o, stdout, err) == 0 ? 0 : fail(err);
	}
	if (strcmp(sub, "publish") == 0) {
		size_t n = 0;

		if (optind >= argc || a->export_office == NULL)
			return usage_error("office publish takes CAMPAIGN_DIR... and --office ID");
		if (kit_publisher_office_publish(&a->o, a->export_office, (const char *const *)argv + optind, (size_t)(argc - optind), &n, err) != 0)
			return fail(err);
		if (!a->o.quiet)
			fprintf(stderr, "kit-publish: %zu kit%s of office %s signed into %s\n", n, n == 1 ? "" : "s", a->export_office, a->o.repo_dir);
		return 0;
	}
	if (strcmp(sub, "cosign") == 0) {
		if (optind + 1 != argc)
			return usage_error("office cosign takes one office ID");
		return kit_publisher_office_cosign(&a->o, argv[optind], err) == 0 ? 0 : fail(err);
	}
	return usage_error("office takes add, remove, import, list, key, publish or cosign");
}

int
main(int argc, char **argv)
{
	struct cli a;
	struct kit_publisher_opts *o = &a.o;
	struct kit_error err = {0};
	const char *cmd;
	int64_t secs;
	size_t n = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	kit_publisher_opts_init(o);
	a.valid_for = "30d";
	a.new_keys = 1;
	a.threshold = 1;
	rc = parse_options(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return usage_error("no command given");
	cmd = argv[optind++];
	if (strcmp(cmd, "init") == 0) {
		if (optind != argc)
			return usage_error("init takes no arguments");
		rc = kit_publisher_init(o, &err);
	} else if (strcmp(cmd, "validate") == 0) {
		if (optind + 1 != argc)
			return usage_error("validate takes one CAMPAIGN_DIR");
		rc = kit_publisher_validate(argv[optind], stdout, &n, &err);
		if (rc == 0)
			fprintf(stderr, "kit-publish: %s is valid\n", argv[optind]);
	} else if (strcmp(cmd, "build") == 0) {
		if (optind + 1 != argc || a.out == NULL)
			return usage_error("build takes CAMPAIGN_DIR and --out DIR");
		rc = kit_publisher_build(o, argv[optind], a.out, &err);
	} else if (strcmp(cmd, "publish") == 0) {
		if (optind >= argc)
			return usage_error("publish takes CAMPAIGN_DIR...");
		rc = kit_publisher_publish(o, (const char *const *)argv + optind,
					   (size_t)(argc - optind), &n, &err);
		if (rc == 0 && !o->quiet)
			fprintf(stderr, "kit-publish: %zu kit%s published to %s\n",
				n, n == 1 ? "" : "s", o->repo_dir);
	} else if (strcmp(cmd, "timestamp") == 0) {
		rc = kit_publisher_timestamp(o, &err);
	} else if (strcmp(cmd, "rotate") == 0) {
		if (a.role == NULL)
			return usage_error("rotate needs --role ROLE");
		if (a.threshold > a.new_keys)
			return usage_error("--threshold cannot exceed --new-keys");
		rc = kit_publisher_rotate(o, a.role, a.new_keys, a.threshold, &err);
	} else if (strcmp(cmd, "sign-root") == 0) {
		if (a.key == NULL)
			return usage_error("sign-root needs --key FILE");
		rc = kit_publisher_sign_root(o, a.key, &err);
	} else if (strcmp(cmd, "pubkey") == 0) {
		if (!a.minisign)
			return usage_error("pubkey needs --minisign");
		rc = kit_publisher_pubkey(o, stdout, &err);
	} else if (strcmp(cmd, "export") == 0) {
		if (a.to == NULL)
			return usage_error("export needs --to DIR");
		rc = kit_duration_parse(a.valid_for, &secs, &err);
		if (rc == 0)
			rc = kit_publisher_export(o, a.to, secs, a.export_office, &err);
	} else if (strcmp(cmd, "retire") == 0) {
		if (optind + 1 != argc)
			return usage_error("retire takes one CAMPAIGN id");
		rc = kit_publisher_retire(o, argv[optind], &err);
	} else if (strcmp(cmd, "office") == 0) {
		return office_command(&a, argc, argv, &err);
	} else {
		return usage_error("unknown command '%.40s'", cmd);
	}
	return rc == 0 ? 0 : fail(&err);
}
