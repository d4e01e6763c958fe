/*
 * xalloc.h: allocation that never fails (it aborts on out-of-memory).
 *
 * Every returned pointer belongs to the caller. xfree() takes the address of
 * the pointer, frees it and sets it to NULL (Dovecot's "deinitialize safely").
 */
#ifndef TK_XALLOC_H
#define TK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free *(void **)pp and set it to NULL. pp must point to a pointer. */
void xfree_ptr(void **pp);
#define xfree(pp) xfree_ptr((void **)(pp))
#define xnew(type) ((type *)xcalloc(1, sizeof(type)))

#endif
