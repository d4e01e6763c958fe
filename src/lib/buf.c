/*
 * buf.c: growable byte buffers with a size cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"

void
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void
buf_fini(struct buf *b)
{
	xfree(&b->data);
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->cap && (len > b->cap || b->len > b->cap - len))
		return -1;
	if (b->len + len + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;

		while (want < b->len + len + 1)
			want *= 2;
		b->data = xrealloc(b->data, want);
		b->alloc = want;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->alloc) {
		b->data = xrealloc(b->data, b->len + n + 1);
		b->alloc = b->len + n + 1;
		b->data[b->len] = '\0';
	}
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_append(b, big, (size_t)n);
	xfree(&big);
	return rc;
}

char *
buf_steal(struct buf *b, size_t *len_r)
{
	char *p;

	if (b->data == NULL && buf_append(b, "", 0) < 0)
		return NULL;
	p = b->data;
	if (len_r)
		*len_r = b->len;
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

int
buf_read_fd(struct buf *b, int fd)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf_append(b, chunk, (size_t)n) < 0) {
			errno = EFBIG;
			return -1;
		}
	}
}

int
buf_read_file(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = buf_read_fd(b, fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
