/* error.c: the error type every module reports through. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "kit_util.h"

static void verr(struct kit_error *err, enum kit_errc code, const char *fmt,
		 va_list ap) KIT_PRINTF(3, 0);

static void
verr(struct kit_error *err, enum kit_errc code, const char *fmt, va_list ap)
{
	if (err == NULL || err->code != KIT_E_OK)
		return; /* the first, deepest error wins */
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
kit_err(struct kit_error *err, enum kit_errc code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
kit_err_errno(struct kit_error *err, enum kit_errc code, int errno_value,
	      const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL || err->code != KIT_E_OK)
		return -1;
	va_start(ap, fmt);
	verr(err, code, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(errno_value));
	return -1;
}

int
kit_err_ssl(struct kit_error *err, enum kit_errc code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e, last = 0;
	char reason[256];
	size_t n;

	while ((e = ERR_get_error()) != 0)
		last = e; /* the last queued entry is usually the most precise */
	if (err == NULL || err->code != KIT_E_OK)
		return -1;
	va_start(ap, fmt);
	verr(err, code, fmt, ap);
	va_end(ap);
	if (last != 0) {
		ERR_error_string_n(last, reason, sizeof(reason));
		n = strlen(err->msg);
		if (n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - n,
				 " (OpenSSL: %s)", reason);
	}
	return -1;
}

void
kit_err_prefix(struct kit_error *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;
	size_t n;

	if (err == NULL || err->code == KIT_E_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* truncation keeps the start; the prefix is the context */
	n = strlen(prefix);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	memcpy(err->msg + n, old, sizeof(err->msg) - n - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

void
kit_err_suffix(struct kit_error *err, const char *fmt, ...)
{
	char suffix[sizeof(err->msg)];
	size_t n, m;
	va_list ap;

	if (err == NULL || err->code == KIT_E_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(suffix, sizeof(suffix), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	m = strlen(suffix);
	/* the reason stays whole: a half-appended hint would mislead */
	if (n + 2 + m < sizeof(err->msg)) {
		memcpy(err->msg + n, "; ", 2);
		memcpy(err->msg + n + 2, suffix, m + 1);
	}
}

void
kit_err_clear(struct kit_error *err)
{
	if (err == NULL)
		return;
	err->code = KIT_E_OK;
	err->msg[0] = '\0';
}

/* What a failure says when nothing said why: a bug, never the user's. */
static const char unset[] =
	"internal error: a step failed without saying why; please report it";

int
kit_err_copy(struct kit_error *dst, const struct kit_error *src)
{
	if (src == NULL || src->code == KIT_E_OK)
		return kit_err(dst, KIT_E_INVALID, "%s%s%s", unset,
			       src && src->msg[0] ? " (" : "",
			       src && src->msg[0] ? src->msg : "");
	if (src->msg[0] == '\0')
		return kit_err(dst, src->code, "%s", unset);
	return kit_err(dst, src->code, "%s", src->msg);
}

int
kit_err_report(const char *prog, const struct kit_error *err, FILE *f)
{
	struct kit_error e = {0};
	char clean[sizeof(e.msg)];

	/* one path for set and unset errors alike */
	kit_err_copy(&e, err);
	/* messages quote file names, metadata and servers' words */
	kit_str_sanitize(e.msg, clean, sizeof(clean));
	fprintf(f, "%s: %s\n", prog, clean);
	return kit_err_exit_code(&e);
}

int
kit_err_report_usage(const char *prog, FILE *f, const char *fmt, ...)
{
	struct kit_error e = {0};
	char what[sizeof(e.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kit_err(&e, KIT_E_USAGE, "%s; see '%s --help'", what, prog);
	return kit_err_report(prog, &e, f);
}

int
kit_err_exit_code(const struct kit_error *err)
{
	if (err == NULL)
		return 1;
	switch (err->code) {
	case KIT_E_OK:
		return 0;
	case KIT_E_USAGE:
		return 2;
	case KIT_E_SECURITY:
		return 3;
	case KIT_E_NETWORK:
		return 4;
	case KIT_E_IO:
		return 5;
	case KIT_E_INVALID:
	default:
		return 1;
	}
}
