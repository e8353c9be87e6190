/* bundle_int.h: shared inside pkg/bundle only. */
#ifndef KIT_BUNDLE_INT_H
#define KIT_BUNDLE_INT_H

#include <locale.h>

/* Switch this thread to a UTF-8 LC_CTYPE for libarchive (the process
 * locale is untouched); *old receives what to restore.  Returns the new
 * locale, or (locale_t)0 when none exists (ASCII names still work). */
locale_t kb_utf8_locale_enter(locale_t *old);
void kb_utf8_locale_leave(locale_t loc, locale_t old);

#endif
