/*
 * err.c: error values (struct tk_err) and positioned error lists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static void
err_vset(struct tk_err *err, bool temporary, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->temporary = temporary;
}

int
tk_err_set(struct tk_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, false, fmt, ap);
	va_end(ap);
	return -1;
}

int
tk_err_temp(struct tk_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, true, fmt, ap);
	va_end(ap);
	return -1;
}

void
tk_err_prefix(struct tk_err *err, const char *fmt, ...)
{
	char prefix[TK_ERR_MAX], old[TK_ERR_MAX];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void
tk_err_clear(struct tk_err *err)
{
	if (err != NULL) {
		err->msg[0] = '\0';
		err->temporary = false;
	}
}

void
tk_errlist_init(struct tk_errlist *el)
{
	memset(el, 0, sizeof(*el));
}

void
tk_errlist_fini(struct tk_errlist *el)
{
	for (size_t i = 0; i < el->n; i++)
		xfree(&el->items[i]);
	xfree(&el->items);
	el->n = el->cap = 0;
}

static void
errlist_push(struct tk_errlist *el, char *item)
{
	if (el->n == el->cap) {
		el->cap = el->cap ? el->cap * 2 : 8;
		el->items = xreallocarray(el->items, el->cap, sizeof(*el->items));
	}
	el->items[el->n++] = item;
}

void
tk_errlist_add(struct tk_errlist *el, const char *file, int line, int col,
               const char *fmt, ...)
{
	char msg[TK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && col > 0)
		errlist_push(el, xasprintf("%s:%d:%d: %s", file, line, col, msg));
	else if (line > 0)
		errlist_push(el, xasprintf("%s:%d: %s", file, line, msg));
	else
		errlist_push(el, xasprintf("%s: %s", file, msg));
}

void
tk_errlist_move(struct tk_errlist *dst, struct tk_errlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		errlist_push(dst, src->items[i]);
	xfree(&src->items);
	src->n = src->cap = 0;
}

void
tk_errlist_print(const struct tk_errlist *el, FILE *fp)
{
	for (size_t i = 0; i < el->n; i++)
		fprintf(fp, "%s\n", el->items[i]);
}
