/*
 * jsonptr.h: RFC 6901 JSON pointers, shared by the routing rules
 * (json./pointer fields) and the generic webhook mappings.
 */
#ifndef TK_JSONPTR_H
#define TK_JSONPTR_H

#include <jansson.h>

/*
 * The value at ptr in root ("" is root itself; ~1 is '/', ~0 is '~'; array
 * indexes are decimal without leading zeros), borrowed from root; NULL when
 * there is none, ptr is NULL, or a token is longer than 255 bytes.
 */
const json_t *jsonptr_get(const json_t *root, const char *ptr);

#endif
