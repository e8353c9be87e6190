/* bundle_int.h: shared inside pkg/bundle only. */
#ifndef KIT_BUNDLE_INT_H
#define KIT_BUNDLE_INT_H

#include <locale.h>
#include <stdint.h>

#include <archive.h>

#include "kit_util.h"

/* Switch this thread to a UTF-8 LC_CTYPE for libarchive (the process
 * locale is untouched); *old receives what to restore.  Returns the new
 * locale, or (locale_t)0 when none exists (ASCII names still work). */
locale_t kb_utf8_locale_enter(locale_t *old);
void kb_utf8_locale_leave(locale_t loc, locale_t old);

/*
 * unzstd.c: the archive read and decompressed on a second thread, handed
 * to libarchive (format tar, no filter) through kb_unzstd_read, whose
 * error string says what is wrong with the archive (not zstd, corrupt,
 * cut short).  When the file itself could not be read, kb_unzstd_error
 * puts that into *err (an I/O error, not the archive's fault): -1.
 */
struct kb_unzstd;
struct kb_unzstd *kb_unzstd_new(int fd, const char *path,
				struct kit_error *err);
la_ssize_t kb_unzstd_read(struct archive *a, void *ud, const void **buf);
int kb_unzstd_error(struct kb_unzstd *u, struct kit_error *err);
void kb_unzstd_free(struct kb_unzstd *u);

/* 1 if unpacked bytes are more than max_ratio times packed (an archive
 * of that size): the decompression-bomb rule of the extractor, which the
 * writer applies too.  0 when max_ratio is 0 (no limit). */
int kb_expands_over(uint64_t unpacked, uint64_t packed, uint64_t max_ratio);

/* s (valid UTF-8) lower-cased as case-insensitive file systems compare
 * names (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic); newly
 * allocated. */
char *kb_fold_utf8(const char *s);

#endif
