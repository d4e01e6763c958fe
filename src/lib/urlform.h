/*
 * urlform.h: application/x-www-form-urlencoded bodies (Slack's button
 * clicks, the rating form): one field's value, URL-decoded.
 */
#ifndef TK_URLFORM_H
#define TK_URLFORM_H

#include <stddef.h>

/* The value of field `name` in body (len bytes), decoded ('+' is a space, %XX a byte);
 * a new string, or NULL when absent or malformed. */
char *urlform_field(const char *body, size_t len, const char *name);

#endif
