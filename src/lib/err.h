/*
 * err.h: the one way ticketd reports errors.
 *
 * A function that can fail returns int: 0 on success, -1 on failure with
 * *err filled in (what happened and where) and err->temporary set when a
 * retry may succeed (database down, network). Lookups return NULL for "not
 * found". Matchers answer 1 (match), 0 (no match), -1 (error).
 *
 * A struct tk_errlist collects many errors (config and rules loading report
 * every error at once, each as FILE:LINE:COL: message).
 */
#ifndef TK_ERR_H
#define TK_ERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TK_ERR_MAX 512

struct tk_err {
	char msg[TK_ERR_MAX];
	bool temporary;
};

/* Set err (may be NULL) to a formatted message; returns -1 for tail calls. */
int tk_err_set(struct tk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, and mark the error temporary (retry may succeed). */
int tk_err_temp(struct tk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the existing message with "prefix: ". */
void tk_err_prefix(struct tk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tk_err_clear(struct tk_err *err);

/* A list of positioned errors; entries are owned by the list. */
struct tk_errlist {
	char **items;
	size_t n, cap;
};

void tk_errlist_init(struct tk_errlist *el);
void tk_errlist_fini(struct tk_errlist *el);
/* Append "file:line:col: message". line/col are 1-based; 0 omits them. */
void tk_errlist_add(struct tk_errlist *el, const char *file, int line, int col,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Move every entry of src to the end of dst (src is left empty). */
void tk_errlist_move(struct tk_errlist *dst, struct tk_errlist *src);
/* Print each entry on its own line. */
void tk_errlist_print(const struct tk_errlist *el, FILE *fp);

#endif
