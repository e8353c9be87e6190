/*
 * schedule_impl.h: what the .c files of pkg/schedule share.  Not public:
 * other modules include kit_schedule.h only.
 */
#ifndef KIT_SCHEDULE_IMPL_H
#define KIT_SCHEDULE_IMPL_H

#include <time.h>

#include "kit_schedule.h"

struct kit_schedule {
	char *campaign;
	char *office;
	char *office_name;
	char *timezone;
	char *title;
	long version;
	char window_start[64]; /* as written, checked by kit_time_parse */
	char window_end[64];
	int64_t window_start_at, window_end_at;
	int64_t source_date;             /* DTSTAMP */
	struct kit_manifest_post *posts; /* sorted */
	size_t n_posts;
};

/* A post's local time in a zone. */
struct sched_local {
	struct tm tm;
	long off;      /* seconds east of UTC */
	char abbr[32]; /* zone abbreviation */
};

int sched_local(const char *zone, int64_t t, struct sched_local *l,
		struct kit_error *err);
/* The post with this id, or NULL. */
const struct kit_manifest_post *sched_find_post(const struct kit_schedule *k,
						const char *id);
/* The zone the options select (o->tz or the kit's). */
const char *sched_zone(const struct kit_schedule *k,
		       const struct kit_schedule_opts *o);
/* 1 if post p passes the filters of o (day compared in zone). */
int sched_match(const struct kit_manifest_post *p,
		const struct kit_schedule_opts *o, const char *zone,
		struct kit_error *err);
/* "2016-12-15T09:00:00+01:00" (out >= 32 bytes). */
void sched_iso_local(const struct sched_local *l, char *out, size_t size);
/* A platform's display name ("X", "Facebook"), or the id itself. */
const char *sched_platform_name(const char *platform);

#endif
