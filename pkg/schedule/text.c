/* text.c: RFC 5545 escaping and folding, RFC 4180 fields. */
#include <string.h>

#include "schedule_impl.h"

int
kit_schedule_ics_escape(struct kit_buf *out, const char *s,
			struct kit_error *err)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; s[i] != '\0'; i++) {
		switch (s[i]) {
		case '\\': rep = "\\\\"; break;
		case ';': rep = "\\;"; break;
		case ',': rep = "\\,"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = ""; break; /* CR LF is one newline */
		default: continue;
		}
		if (kit_buf_append(out, s + start, i - start, err) != 0 ||
		    kit_buf_append(out, rep, strlen(rep), err) != 0)
			return -1;
		start = i + 1;
	}
	return kit_buf_append(out, s + start, i - start, err);
}

int
kit_schedule_ics_fold(struct kit_buf *out, const char *line, size_t len,
		      struct kit_error *err)
{
	size_t pos = 0, room = 75, n;

	while (len - pos > room) {
		n = room;
		/* back up to the first byte of a UTF-8 sequence: a fold
		 * inside one would make both halves invalid text */
		while (n > 0 && ((unsigned char)line[pos + n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = room; /* not UTF-8 at all; cannot happen for our text */
		if (kit_buf_append(out, line + pos, n, err) != 0 ||
		    kit_buf_append(out, "\r\n ", 3, err) != 0)
			return -1;
		pos += n;
		room = 74; /* the leading space counts toward the 75 */
	}
	if (kit_buf_append(out, line + pos, len - pos, err) != 0)
		return -1;
	return kit_buf_append(out, "\r\n", 2, err);
}

int
kit_schedule_csv_field(struct kit_buf *out, const char *s,
		       struct kit_error *err)
{
	size_t len = strlen(s), i, start = 0;
	/* OWASP's CSV injection rule: a spreadsheet runs a cell that starts
	 * with = + - @ tab or CR as a formula (=HYPERLINK(...), DDE), so such
	 * a field gets a leading apostrophe, inside quotes, and is text */
	int formula = kit_str_is_formula(s);
	int quote = formula || strpbrk(s, ",\"\r\n") != NULL ||
		    (len > 0 && (s[0] == ' ' || s[len - 1] == ' '));

	if (!quote)
		return kit_buf_append(out, s, len, err);
	if (kit_buf_append(out, formula ? "\"'" : "\"", formula ? 2 : 1, err) != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		if (kit_buf_append(out, s + start, i + 1 - start, err) != 0 ||
		    kit_buf_append(out, "\"", 1, err) != 0)
			return -1;
		start = i + 1;
	}
	if (kit_buf_append(out, s + start, len - start, err) != 0)
		return -1;
	return kit_buf_append(out, "\"", 1, err);
}
