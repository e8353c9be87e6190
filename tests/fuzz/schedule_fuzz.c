/* kit-fuzz-links: schedule */
/* kit-fuzz-dict: kit */
/*
 * schedule_fuzz.c: kit-schedule's manifest reader (kit_schedule_parse)
 * and every output over what it accepts: the table (full and shortened to
 * 40 columns), "next", JSON, iCalendar in UTC and in Europe/Budapest with
 * the manifest as its own previous version, and every CSV format (Buffer,
 * Hootsuite, Publer, Sprout Social, the media list) for each platform.
 * The input is a manifest.json; the seeds are the committed manifests/ of
 * the real campaigns.  The clock is fixed (15 December 2016), so a run
 * does not depend on the day.  Sanitizers judge; a refusal must carry an
 * error class and a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kit_schedule.h"

#define OUT_MAX (16u * 1024 * 1024)

static void
done(int rc, const struct kit_error *err)
{
	if (rc < 0 && (err->code == KIT_E_OK || err->msg[0] == '\0'))
		fuzz_die("a refusal without an error class or message", NULL);
}

static void
outputs(const struct kit_schedule *k, struct kit_schedule_opts *o)
{
	struct kit_error err = {0};
	struct kit_buf out, rep;
	const char **list = NULL;
	size_t n = 0, i, left = 0, idx = 0;

	kit_buf_init(&out, OUT_MAX);
	kit_buf_init(&rep, OUT_MAX);
	o->width = 0;
	done(kit_schedule_table(k, o, &out, &err), &err);
	o->width = 40;
	kit_err_clear(&err);
	done(kit_schedule_table(k, o, &out, &err), &err);
	kit_err_clear(&err);
	done(kit_schedule_next_index(k, o, &idx, &err), &err);
	kit_err_clear(&err);
	done(kit_schedule_next(k, o, &out, &err), &err);
	kit_err_clear(&err);
	done(kit_schedule_json(k, o, 0, &out, &err), &err);
	kit_err_clear(&err);
	done(kit_schedule_json(k, o, 1, &out, &err), &err);
	kit_err_clear(&err);
	done(kit_schedule_ics(k, o, &out, &err), &err);
	kit_err_clear(&err);
	if (kit_schedule_platforms(k, o, &list, &n, &err) == 0) {
		for (i = 0; i < n && i < 4; i++) {
			int f;

			o->platform = list[i];
			o->date = (enum kit_schedule_date_format)(i % 3);
			for (f = KIT_SCHEDULE_CSV_BUFFER; f <= KIT_SCHEDULE_CSV_MEDIA; f++) {
				o->csv = (enum kit_schedule_csv_format)f;
				o->media_base_url = f % 2 ? "https://kits.example.org/k/" : NULL;
				kit_err_clear(&err);
				done(kit_schedule_csv(k, o, &out, &rep, &left, &err), &err);
			}
		}
		o->platform = NULL;
		o->media_base_url = NULL;
		free(list);
	} else {
		done(-1, &err);
	}
	kit_buf_free(&out);
	kit_buf_free(&rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kit_error err = {0};
	struct kit_schedule_opts o;
	struct kit_schedule *k;
	size_t i;

	k = kit_schedule_parse((const char *)data, size, "manifest.json", &err);
	if (k == NULL) {
		done(-1, &err);
		fuzz_debug("parse: %s", err.msg);
		return 0;
	}
	for (i = 0; i < kit_schedule_count(k); i++)
		if (kit_schedule_post(k, i) == NULL)
			fuzz_die("a post within the count is missing", NULL);
	if (kit_schedule_post(k, i) != NULL)
		fuzz_die("a post beyond the count", NULL);
	fuzz_debug("%zu posts", kit_schedule_count(k));
	kit_schedule_opts_init(&o);
	o.now = 1481760000; /* 2016-12-15T00:00:00Z */
	outputs(k, &o);
	o.tz = "Europe/Budapest";
	o.previous = k;
	outputs(k, &o);
	kit_schedule_free(k);
	return 0;
}
