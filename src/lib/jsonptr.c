/*
 * jsonptr.c: RFC 6901 JSON pointers over jansson values (see jsonptr.h).
 */
#include <stdlib.h>
#include <string.h>

#include "jsonptr.h"

#define JSONPTR_TOKEN_MAX 256

const json_t *
jsonptr_get(const json_t *root, const char *ptr)
{
	const json_t *cur = root;

	if (ptr == NULL)
		return NULL;
	while (cur != NULL && *ptr == '/') {
		char tok[JSONPTR_TOKEN_MAX];
		size_t n = 0;

		for (ptr++; *ptr && *ptr != '/'; ptr++) {
			char c = *ptr;

			if (c == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				c = *++ptr == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur) && n > 0 && strspn(tok, "0123456789") == n &&
		           (n == 1 || tok[0] != '0') && n < 10) {
			cur = json_array_get(cur, (size_t)strtoul(tok, NULL, 10));
		} else {
			return NULL;
		}
	}
	return *ptr == '\0' ? cur : NULL;
}
