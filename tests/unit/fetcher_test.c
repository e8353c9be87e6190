/*
 * fetcher_test.c: what kit-fetch status and verify print comes from the
 * state directory (status.json, config.json, installed manifests, kit
 * directory names), which is not trusted: a planted escape sequence, C1
 * control or bidirectional override must reach the terminal as '?'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kit_fetcher.h"
#include "kit_util.h"

static void
put(const char *dir, const char *rel, const char *text)
{
	struct kit_error err = {0};
	char path[512], *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(kit_mkdir_p(path, 0755, &err), 0);
	*slash = '/';
	assert_int_equal(kit_file_write_atomic(path, text, strlen(text), 0644,
					       &err),
			 0);
}

/* Bytes a terminal would obey: ESC, BEL, CSI (U+009B), RLO (U+202E). */
static void
assert_inert(const char *out)
{
	assert_null(strchr(out, 0x1b));
	assert_null(strchr(out, 0x07));
	assert_null(strstr(out, "\xc2\x9b"));
	assert_null(strstr(out, "\xe2\x80\xae"));
}

static void
test_status_and_verify_sanitise_the_state(void **state)
{
	char dir[] = "/tmp/kit-fetcher-test-XXXXXX", path[600], *buf = NULL;
	struct kit_fetcher_opts o;
	struct kit_error err = {0};
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "config.json", "{\"url\": \"https://e.org/\\u001b[2J\", "
				"\"office\": \"hu\\u009bngary\"}");
	put(dir, "status.json", "{\"last_check\": \"\\u001b]0;owned\\u0007\", "
				"\"result\": \"ok\\u202e\"}");
	/* a manifest its parser accepts: a title may hold a C1 control */
	put(dir, "kits/evil\x1b[31m/releases/1/manifest.json",
	    "{\"schema\": 1, \"campaign\": \"evil\", \"office\": \"global\", "
	    "\"version\": 1, \"title\": \"t\\u009b\", \"window\": {\"start\": "
	    "\"2021-12-01T00:00:00Z\", \"end\": \"2021-12-02T00:00:00Z\"}, "
	    "\"timezone\": \"UTC\", \"languages\": [\"en\"], \"hashtags\": [], "
	    "\"office_info\": null, \"statements\": [], \"videos\": [], "
	    "\"posts\": [], \"files\": [], \"inputs\": {\"source_date_epoch\": 0, "
	    "\"tool\": \"t\", \"sources\": []}, \"content\": "
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}");
	snprintf(path, sizeof(path), "%s/kits/evil\x1b[31m/current", dir);
	assert_int_equal(symlink("releases/1", path), 0);
	kit_fetcher_opts_init(&o);
	o.state_dir = dir;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(kit_fetcher_status(&o, f, &err), 0);
	assert_int_equal(kit_fetcher_verify(&o, f, &err), 0);
	fclose(f);
	assert_non_null(strstr(buf, "https://e.org/?[2J"));
	assert_non_null(strstr(buf, "evil?[31m"));
	assert_inert(buf);
	free(buf);
	assert_int_equal(kit_rm_rf(dir, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_and_verify_sanitise_the_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
