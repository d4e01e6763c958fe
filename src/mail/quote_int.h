/*
 * quote_int.h: shared between quote.c (plain text) and quote_html.c.
 */
#ifndef TK_QUOTE_INT_H
#define TK_QUOTE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Whether the first line of s (len bytes) starts a forwarded message. */
bool quote_is_forward_line(const char *s, size_t len);

/* Whether s (len bytes, one line) starts with a From label ("From:", "Von:", "De :", ...). */
bool quote_is_from_label(const char *s, size_t len);

/* Append to a buffer created without a cap (cannot fail; aborts if it does). */
void quote_out(struct buf *b, const char *s, size_t len);

#endif
