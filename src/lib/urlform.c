/*
 * urlform.c: read one field of a form body (urlform.h).
 */
/* System. */
#include <string.h>
/* ticketd. */
#include "buf.h"
#include "urlform.h"

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *
urlform_field(const char *body, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && strncmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
			struct buf out;

			buf_init(&out, 0);
			for (size_t k = i + nl + 1; k < end; k++) {
				int hi, lo;

				if (body[k] == '+') {
					(void)buf_putc(&out, ' ');
				} else if (body[k] == '%' && k + 2 < end &&
				           (hi = hexval(body[k + 1])) >= 0 && (lo = hexval(body[k + 2])) >= 0) {
					(void)buf_putc(&out, (char)(hi * 16 + lo));
					k += 2;
				} else if (body[k] == '%') {
					buf_fini(&out);
					return NULL;
				} else {
					(void)buf_putc(&out, body[k]);
				}
			}
			return buf_steal(&out, NULL);
		}
		i = end + 1;
	}
	return NULL;
}

