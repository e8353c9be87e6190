/* time.c: RFC 3339 instants and IANA time zones from the system's tzdata. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit_util.h"

#define ZONEINFO "/usr/share/zoneinfo"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * well-known civil-date arithmetic, written out here). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int64_t
tm_to_epoch(const struct tm *tm)
{
	return days_from_civil((int64_t)tm->tm_year + 1900,
			       (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday) *
		       86400 +
	       tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
kit_time_parse(const char *s, int64_t *t, int *has_offset,
	       struct kit_error *err)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 1;
	const char *p;
	struct tm tm;

	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 60)
		goto bad;
	if (se == 60)
		se = 59; /* a leap second names the last second of the minute */
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	*has_offset = 0;
	if (*p == 'Z' || *p == 'z') {
		*has_offset = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		*has_offset = 1;
		p += 6;
	}
	if (*p != '\0')
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = tm_to_epoch(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return kit_err(err, KIT_E_INVALID,
		       "'%.40s' is not an RFC 3339 date-time; write it as 2016-12-15T09:00:00+01:00 (or without the offset for office-local time)",
		       s);
}

static void
epoch_to_tm(int64_t t, struct tm *tm)
{
	int64_t days = t / 86400, rem = t % 86400, z, era, yoe, doy, mp, y;
	unsigned doe;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_hour = (int)(rem / 3600);
	tm->tm_min = (int)(rem % 3600 / 60);
	tm->tm_sec = (int)(rem % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was Thursday */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	tm->tm_year = (int)(y + (tm->tm_mon <= 1) - 1900);
}

int
kit_time_in_years(int64_t t)
{
	return t >= days_from_civil(KIT_YEAR_MIN, 1, 1) * 86400 &&
	       t < days_from_civil(KIT_YEAR_MAX + 1, 1, 1) * 86400;
}

void
kit_time_format_utc(int64_t t, char *out, size_t size)
{
	struct tm tm;

	epoch_to_tm(t, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

int64_t
kit_time_now(void)
{
#ifdef KIT_TEST_CLOCK
	/* The tests' clock, compiled into the sanitizer builds only: in an
	 * installed program an environment file could otherwise turn the
	 * clock back and switch off the expiry (freeze) checks. */
	const char *fake = getenv("KIT_TEST_NOW");
	int64_t t;
	int has_offset;

	if (fake != NULL && *fake != '\0' &&
	    kit_time_parse(fake, &t, &has_offset, NULL) == 0 && has_offset)
		return t;
#endif
	return (int64_t)time(NULL);
}

#define VALID_ZONES 512
static char valid_zones[VALID_ZONES][65];
static size_t nvalid;

int
kit_tz_valid(const char *zone)
{
	static char last_valid[65]; /* asked for every post: remember one */
	char path[PATH_MAX], magic[4];
	const char *p;
	size_t i;
	int fd;
	ssize_t n;

	if (zone != NULL && last_valid[0] != '\0' && strcmp(zone, last_valid) == 0)
		return 1;

	if (zone == NULL || zone[0] == '\0' || zone[0] == '/' ||
	    strlen(zone) > 64 || strstr(zone, "..") != NULL)
		return 0;
	for (p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return 0;
	/* every conversion asks, in 400 offices' zones: a zone found valid
	 * is remembered (up to VALID_ZONES of them), so its file is not
	 * opened again each time */
	for (i = 0; i < nvalid; i++)
		if (strcmp(valid_zones[i], zone) == 0) {
			memcpy(last_valid, zone, strlen(zone) + 1);
			return 1;
		}
	if (snprintf(path, sizeof(path), "%s/%s", ZONEINFO, zone) >=
	    (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != 4 || memcmp(magic, "TZif", 4) != 0)
		return 0;
	memcpy(last_valid, zone, strlen(zone) + 1); /* at most 64 bytes */
	if (nvalid < VALID_ZONES)
		snprintf(valid_zones[nvalid++], sizeof(valid_zones[0]), "%s", zone);
	return 1;
}

/* zone with ' ' as '_' and ASCII lower case, into out (size >= 65). */
static void
zone_fold(const char *zone, char *out, size_t size)
{
	size_t i;

	for (i = 0; zone[i] && i + 1 < size; i++)
		out[i] = zone[i] == ' ' ? '_' : (char)tolower((unsigned char)zone[i]);
	out[i] = '\0';
}

static const char *
last_part(const char *zone)
{
	const char *slash = strrchr(zone, '/');

	return slash ? slash + 1 : zone;
}

int
kit_tz_suggest(const char *zone, char *out, size_t size)
{
	enum { MAXZONES = 1024 };
	unsigned char *tab = NULL;
	const char *names[MAXZONES], *cities[MAXZONES], *hit = NULL;
	char want[65], have[65], *line, *save = NULL, *f;
	size_t len, n = 0, i;
	struct kit_error ignore = {0};
	int rc = 0;

	if (zone == NULL || strlen(zone) > 64 ||
	    kit_file_read(ZONEINFO "/zone.tab", 256 * 1024, &tab, &len,
			  &ignore) != 0)
		return 0;
	/* lines "CC<tab>coordinates<tab>Area/City[<tab>comment]" */
	for (line = strtok_r((char *)tab, "\n", &save); line && n < MAXZONES;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (f = strchr(line, '\t')) == NULL ||
		    (f = strchr(f + 1, '\t')) == NULL)
			continue;
		names[n] = ++f;
		f += strcspn(f, "\t");
		*f = '\0';
		cities[n] = last_part(names[n]);
		n++;
	}
	zone_fold(zone, want, sizeof(want));
	for (i = 0; i < n && hit == NULL; i++) {
		zone_fold(names[i], have, sizeof(have));
		if (strcmp(have, want) == 0)
			hit = names[i];
	}
	zone_fold(last_part(zone), want, sizeof(want));
	for (i = 0; i < n && hit == NULL; i++) {
		zone_fold(cities[i], have, sizeof(have));
		if (strcmp(have, want) == 0)
			hit = names[i];
	}
	if (hit == NULL) {
		const char *city = kit_str_closest(want, cities, n, 2);

		for (i = 0; city && i < n; i++)
			if (cities[i] == city)
				hit = names[i];
	}
	if (hit != NULL && strcmp(hit, zone) != 0 &&
	    (size_t)snprintf(out, size, "%s", hit) < size)
		rc = 1;
	free(tab);
	return rc;
}

/*
 * localtime_r for t in zone.  The C library reads a zone's file whenever
 * TZ names another zone than the last tzset() saw, so switching TZ there
 * and back for every call read /etc/localtime and the zone's file twice a
 * conversion (64,803 opens for one 50-office build; a million for 50
 * offices of 2,500 posts).  Instead TZ stays set to the last zone used
 * (these programs use local time nowhere else, not the process's own), and
 * the last results are remembered by zone and instant: a zone's file is
 * read once per switch to it, and a conversion already made is not made
 * again (validation and every kit ask for the same ones).  Not
 * thread-safe, like the C library's zone handling itself.
 */
#define ZONE_MEMO 4096
struct zone_memo {
	char zone[64];
	int64_t t;
	struct tm tm;
	char abbr[16];
	int used;
};
static struct zone_memo zone_memo[ZONE_MEMO];
static char zone_set[64];

static size_t
memo_slot(const char *zone, int64_t t)
{
	uint64_t h = 1469598103934665603ull;
	const unsigned char *p;

	for (p = (const unsigned char *)zone; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h ^= (uint64_t)t;
	h *= 1099511628211ull;
	return (size_t)(h >> 32) % ZONE_MEMO;
}

static int
zone_localtime(const char *zone, int64_t t, struct tm *out, char *abbr,
	       size_t abbr_size)
{
	struct zone_memo *m;
	time_t tt = (time_t)t;
	size_t zl = strlen(zone);

	if (zl >= sizeof(m->zone))
		return -1;
	m = &zone_memo[memo_slot(zone, t)];
	if (!m->used || m->t != t || strcmp(m->zone, zone) != 0) {
		if (strcmp(zone_set, zone) != 0) {
			if (setenv("TZ", zone, 1) != 0)
				return -1;
			tzset();
			memcpy(zone_set, zone, zl + 1);
		}
		if (localtime_r(&tt, &m->tm) == NULL) {
			m->used = 0;
			return -1;
		}
		if (strftime(m->abbr, sizeof(m->abbr), "%Z", &m->tm) == 0)
			m->abbr[0] = '\0';
		memcpy(m->zone, zone, zl + 1);
		m->t = t;
		m->used = 1;
	}
	*out = m->tm;
	if (abbr != NULL && abbr_size > 0)
		snprintf(abbr, abbr_size, "%s", m->abbr);
	return 0;
}

static int
zone_offset(const char *zone, int64_t t, long *off)
{
	struct tm tm;

	if (zone_localtime(zone, t, &tm, NULL, 0) != 0)
		return -1;
	*off = (long)(tm_to_epoch(&tm) - t);
	return 0;
}

int
kit_tz_utc_to_local(const char *zone, int64_t t, struct tm *out, long *gmtoff,
		    char *abbr, size_t abbr_size, struct kit_error *err)
{
	if (!kit_tz_valid(zone))
		return kit_err(err, KIT_E_INVALID,
			       "unknown time zone '%.64s'; use an IANA name such as Europe/Budapest",
			       zone);
	if (zone_localtime(zone, t, out, abbr, abbr_size) != 0)
		return kit_err(err, KIT_E_INVALID,
			       "cannot convert time to zone %s", zone);
	if (gmtoff)
		*gmtoff = (long)(tm_to_epoch(out) - t);
	return 0;
}

int
kit_tz_local_to_utc(const char *zone, int64_t floating, int64_t *t,
		    struct kit_error *err)
{
	long before, after, cand[2];
	int64_t best = 0;
	int found = 0, i;
	long off;

	if (!kit_tz_valid(zone))
		return kit_err(err, KIT_E_INVALID,
			       "unknown time zone '%.64s'; use an IANA name such as Europe/Budapest",
			       zone);
	/* The offsets in force a little before and after: a wall-clock
	 * time is valid under an offset if the instant it gives has that
	 * offset.  Two valid: the repeated hour, take the first. None: the
	 * skipped hour, keep the offset from before, which moves it on by
	 * the gap as calendars do. */
	if (zone_offset(zone, floating - 14 * 3600, &before) != 0 ||
	    zone_offset(zone, floating + 14 * 3600, &after) != 0)
		return kit_err(err, KIT_E_INVALID,
			       "cannot convert time in zone %s", zone);
	cand[0] = before;
	cand[1] = after;
	for (i = 0; i < 2; i++) {
		int64_t c = floating - cand[i];

		if (zone_offset(zone, c, &off) == 0 && off == cand[i] &&
		    (!found || c < best)) {
			best = c;
			found = 1;
		}
	}
	*t = found ? best : floating - before;
	return 0;
}

int
kit_duration_parse(const char *s, int64_t *secs, struct kit_error *err)
{
	const char *p = s;
	int64_t v = 0, unit;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		if (v > INT64_MAX / 10 / 604800)
			goto bad;
		v = v * 10 + (*p++ - '0');
	}
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 604800; break;
	default: goto bad;
	}
	if (p[1] != '\0')
		goto bad;
	*secs = (neg ? -v : v) * unit;
	return 0;
bad:
	return kit_err(err, KIT_E_USAGE,
		       "'%.32s' is not a duration; write a number and a unit such as 90d, 12h, 30m or 2w",
		       s);
}
