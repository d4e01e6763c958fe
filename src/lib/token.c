/*
 * token.c: make and check signed reply tokens (layout in token.h).
 * The MAC is HMAC-SHA256 (OpenSSL) truncated to 80 bits and compared with
 * CRYPTO_memcmp(); the ticket id travels in clear, the recipient is bound
 * in the MAC only.
 */
/* System. */
#include <string.h>
/* Libraries. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
/* ticketd. */
#include "token.h"
#include "xalloc.h"

#define TOKEN_ID_BYTES 5
#define TOKEN_MAC_BYTES 10
#define TOKEN_BYTES (TOKEN_ID_BYTES + TOKEN_MAC_BYTES)
#define TOKEN_DOMAIN "ticketd-reply-v1"
#define TOKEN_ADDR_MAX 320 /* longest address accepted (RFC 5321: 64 + 1 + 255) */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void
b32_encode(const unsigned char in[TOKEN_BYTES], char out[TOKEN_LEN + 1])
{
	for (size_t i = 0; i < TOKEN_LEN; i++) {
		size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)in[byte] << 8;

		if (byte + 1 < TOKEN_BYTES)
			v |= in[byte + 1];
		out[i] = b32[(v >> (11 - shift)) & 31];
	}
	out[TOKEN_LEN] = '\0';
}

static int
b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Decode exactly TOKEN_LEN characters; -1 on a bad length or character. */
static int
b32_decode(const char *s, unsigned char out[TOKEN_BYTES])
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	if (strlen(s) != TOKEN_LEN)
		return -1;
	for (size_t i = 0; i < TOKEN_LEN; i++) {
		int v = b32_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return 0;
}

/* The truncated MAC of (id, lower-cased recipient). -1 if too long. */
static int
token_mac(const unsigned char *secret, size_t secret_len, uint64_t id, const char *recipient,
          unsigned char mac_r[TOKEN_MAC_BYTES])
{
	unsigned char msg[sizeof(TOKEN_DOMAIN) + 8 + TOKEN_ADDR_MAX];
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned int full_len = 0;
	size_t rl = strlen(recipient), o = sizeof(TOKEN_DOMAIN);

	if (rl > TOKEN_ADDR_MAX)
		return -1;
	memcpy(msg, TOKEN_DOMAIN, sizeof(TOKEN_DOMAIN)); /* with its NUL */
	for (int i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)(id >> (8 * i));
	for (size_t i = 0; i < rl; i++) {
		char c = recipient[i];

		msg[o++] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, msg, o, full, &full_len) ||
	    full_len < TOKEN_MAC_BYTES)
		return -1;
	memcpy(mac_r, full, TOKEN_MAC_BYTES);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

char *
token_make(const unsigned char *secret, size_t secret_len, uint64_t ticket_id,
           const char *recipient, struct tk_err *err)
{
	unsigned char raw[TOKEN_BYTES];
	char out[TOKEN_LEN + 1];

	if (!secret || secret_len < TOKEN_MIN_SECRET || secret_len > INT32_MAX) {
		tk_err_set(err, "token: secret must be at least %d bytes", TOKEN_MIN_SECRET);
		return NULL;
	}
	if (ticket_id == 0 || ticket_id > TOKEN_MAX_TICKET) {
		tk_err_set(err, "token: ticket id %llu out of range", (unsigned long long)ticket_id);
		return NULL;
	}
	if (!recipient || !*recipient) {
		tk_err_set(err, "token: empty recipient");
		return NULL;
	}
	for (int i = 0; i < TOKEN_ID_BYTES; i++)
		raw[i] = (unsigned char)(ticket_id >> (8 * (TOKEN_ID_BYTES - 1 - i)));
	if (token_mac(secret, secret_len, ticket_id, recipient, raw + TOKEN_ID_BYTES) < 0) {
		tk_err_set(err, "token: recipient address too long");
		return NULL;
	}
	b32_encode(raw, out);
	return xstrdup(out);
}

int
token_check_any(const struct token_secret *secrets, size_t n, const char *token,
                const char *recipient, uint64_t *ticket_id_r, struct tk_err *err)
{
	unsigned char raw[TOKEN_BYTES], mac[TOKEN_MAC_BYTES];
	uint64_t id = 0;
	int match = 0;

	if (!token || b32_decode(token, raw) < 0)
		return tk_err_set(err, "malformed token");
	if (!recipient || !*recipient)
		return tk_err_set(err, "token: empty recipient");
	for (int i = 0; i < TOKEN_ID_BYTES; i++)
		id = (id << 8) | raw[i];
	if (id == 0)
		return tk_err_set(err, "malformed token");
	/* Try every secret (no early exit) so timing does not tell which matched. */
	for (size_t i = 0; i < n; i++) {
		if (!secrets[i].key || secrets[i].len < TOKEN_MIN_SECRET || secrets[i].len > INT32_MAX)
			continue;
		if (token_mac(secrets[i].key, secrets[i].len, id, recipient, mac) < 0)
			return tk_err_set(err, "token: recipient address too long");
		match |= CRYPTO_memcmp(mac, raw + TOKEN_ID_BYTES, TOKEN_MAC_BYTES) == 0;
	}
	if (!match)
		return tk_err_set(err, "token does not match");
	*ticket_id_r = id;
	return 0;
}

int
token_check(const unsigned char *secret, size_t secret_len, const char *token,
            const char *recipient, uint64_t *ticket_id_r, struct tk_err *err)
{
	struct token_secret s = {secret, secret_len};

	return token_check_any(&s, 1, token, recipient, ticket_id_r, err);
}

int
token_from_address(const char *address, char sep, char **token_r, struct tk_err *err)
{
	const char *s, *at, *p;
	size_t len;

	if (!address)
		return tk_err_set(err, "no address");
	s = address + strspn(address, " \t<");
	at = strrchr(s, '@');
	if (!at)
		return tk_err_set(err, "address has no '@'");
	p = memchr(s, sep ? sep : '+', (size_t)(at - s));
	if (!p)
		return tk_err_set(err, "address has no '%c' part", sep ? sep : '+');
	p++;
	len = (size_t)(at - p);
	if (len != TOKEN_LEN)
		return tk_err_set(err, "token part has %zu characters, not %d", len, TOKEN_LEN);
	for (size_t i = 0; i < len; i++)
		if (b32_value(p[i]) < 0)
			return tk_err_set(err, "token part has a character outside base32");
	*token_r = xstrndup(p, len);
	for (char *c = *token_r; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return 0;
}
