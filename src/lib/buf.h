/*
 * buf.h: a growable byte buffer with a size cap (curl's dynbuf).
 *
 * Every network-fed buffer is created with a cap; buf_append() fails with
 * -1 (and leaves the buffer as it was) instead of growing past it. Appends
 * to an uncapped buffer cannot fail (allocation aborts), so their result may
 * be ignored; appends to a capped one must be checked. The data
 * is always NUL-terminated (not counted in len). The buffer owns its data;
 * buf_steal() hands it to the caller.
 */
#ifndef TK_BUF_H
#define TK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, alloc, cap;
};

/* cap 0 means unlimited. */
void buf_init(struct buf *b, size_t cap);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
/* Make room for n more bytes exactly (when the size is known: no doubling). */
void buf_reserve(struct buf *b, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Return the data (NUL-terminated, caller frees) and reset the buffer. */
char *buf_steal(struct buf *b, size_t *len_r);
/* Read a whole file (at most cap bytes, 0 = unlimited) into b. */
int buf_read_file(struct buf *b, const char *path);
/* Read a whole stream from fd. */
int buf_read_fd(struct buf *b, int fd);

#endif
