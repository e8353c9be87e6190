/* bundle_locale.c: UTF-8 names for libarchive, per thread. */
#include <locale.h>

#include "bundle_int.h"

/*
 * libarchive converts names through the locale's character set.  In the C
 * locale (cron, systemd) UTF-8 names cannot be converted and the pax writer
 * fails or falls back to "hdrcharset=BINARY".  A per-thread UTF-8 locale
 * (uselocale, POSIX 2008) makes names UTF-8 bytes in and out without
 * touching the process locale.  Without one, ASCII names still work.
 */
locale_t
kb_utf8_locale_enter(locale_t *old)
{
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	if (loc == (locale_t)0)
		loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	*old = loc == (locale_t)0 ? (locale_t)0 : uselocale(loc);
	return loc;
}

void
kb_utf8_locale_leave(locale_t loc, locale_t old)
{
	if (loc == (locale_t)0)
		return;
	uselocale(old);
	freelocale(loc);
}
