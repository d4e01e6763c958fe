/*
 * token.h: signed reply tokens for plus-addressing (support+TOKEN@domain).
 *
 * A token is 24 characters of lower-case RFC 4648 base32 ("a-z2-7") over
 * 15 bytes: the ticket id (40 bits, big-endian) and the first 80 bits of
 * HMAC-SHA256(secret, "ticketd-reply-v1" NUL id(8 bytes BE) recipient),
 * where recipient is the address the mail was sent to, ASCII lower-cased. The
 * token is safe in an RFC 5321 local part and survives an MTA that changes
 * its case. Checking is constant-time and tries every configured secret, so
 * a secret can be rotated while tokens made with the previous one still
 * work. Secrets are never logged (this file logs nothing).
 */
#ifndef TK_TOKEN_H
#define TK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TOKEN_LEN 24                        /* characters in a token */
#define TOKEN_MAX_TICKET ((UINT64_C(1) << 40) - 1)
#define TOKEN_MIN_SECRET 16                 /* shortest secret accepted, bytes */

/* One secret; the first in a list is the current one. */
struct token_secret {
	const unsigned char *key;
	size_t len;
};

/*
 * Make the token for ticket_id sent to recipient. Returns a new string
 * (caller frees with xfree()), or NULL with err set when the secret is
 * shorter than TOKEN_MIN_SECRET, ticket_id is 0 or above TOKEN_MAX_TICKET,
 * or recipient is NULL or empty.
 */
char *token_make(const unsigned char *secret, size_t secret_len, uint64_t ticket_id,
                 const char *recipient, struct tk_err *err);

/*
 * Check token (any case) for recipient (the address the reply came from)
 * against one secret. Returns 0 and sets *ticket_id_r, or -1 with err set
 * ("malformed token", "token does not match").
 */
int token_check(const unsigned char *secret, size_t secret_len, const char *token,
                const char *recipient, uint64_t *ticket_id_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* Same against a list of n secrets (current first, then previous ones). */
int token_check_any(const struct token_secret *secrets, size_t n, const char *token,
                    const char *recipient, uint64_t *ticket_id_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Extract the token from a plus address such as "support+TOKEN@example.com"
 * (angle brackets allowed). sep is the separator ('\0' means '+'); the
 * token is what follows the first sep of the local part. Returns 0 and a
 * new lower-case string in *token_r when it has the shape of a token, or -1
 * with err set.
 */
int token_from_address(const char *address, char sep, char **token_r, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
