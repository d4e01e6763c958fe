/*
 * fuzz_token.c: reply tokens (token.h) and the addresses they come in
 * (correlate.h). The input is three lines: an address, a recipient, and
 * the rest (a mail's raw text or anything else).
 *
 * Properties: token_from_address gives a 24-character lower-case base32
 * string or an error; a token checks only for the ticket and recipient it
 * was made for (round trip; another recipient or one changed character
 * fails); a token taken from any text checks without crashing; the plus
 * tokens and DSN recipients found in a text are lower-case, in bounds.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "correlate.h"
#include "fuzz.h"
#include "token.h"

static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
static const unsigned char previous[] = "fedcba9876543210fedcba9876543210";

static bool
lower_b32(const char *t)
{
	return strlen(t) == TOKEN_LEN && strspn(t, "abcdefghijklmnopqrstuvwxyz234567") == TOKEN_LEN;
}

static void
check_token(const char *tok, const char *rcpt)
{
	const struct token_secret secrets[] = {
		{ secret, sizeof(secret) - 1 }, { previous, sizeof(previous) - 1 },
	};
	struct tk_err err = { 0 };
	uint64_t id = 0;

	if (token_check_any(secrets, 2, tok, rcpt, &id, &err) == 0 && (id == 0 || id > TOKEN_MAX_TICKET))
		fuzz_fail("a token checked with ticket id %llu", (unsigned long long)id);
}

/* Make a token for rcpt from the input's bytes, and check it both ways. */
static void
round_trip(const char *rcpt, const uint8_t *data, size_t size)
{
	uint64_t want = 1, id = 0;
	struct tk_err err = { 0 };
	char *tok;

	for (size_t i = 0; i < size && i < 5; i++)
		want = (want << 8) ^ data[i];
	want &= TOKEN_MAX_TICKET;
	if ((tok = token_make(secret, sizeof(secret) - 1, want, rcpt, &err)) == NULL)
		return;
	if (!lower_b32(tok))
		fuzz_fail("token_make gave \"%s\"", tok);
	if (token_check(secret, sizeof(secret) - 1, tok, rcpt, &id, &err) != 0 || id != want)
		fuzz_fail("a fresh token does not check: %s", err.msg);
	if (token_check(previous, sizeof(previous) - 1, tok, rcpt, &id, &err) == 0)
		fuzz_fail("a token checks with another secret");
	tok[size % TOKEN_LEN] = tok[size % TOKEN_LEN] == 'a' ? 'b' : 'a';
	if (token_check(secret, sizeof(secret) - 1, tok, rcpt, &id, &err) == 0)
		fuzz_fail("a token with one character changed still checks");
	free(tok);
}

static void
scan_text(const char *text)
{
	char *found[8];
	size_t n = corr_plus_tokens_in(text, strlen(text), "support", "example.com", found, 8);

	if (n > 8)
		fuzz_fail("corr_plus_tokens_in gave %zu of at most 8", n);
	for (size_t i = 0; i < n; i++) {
		for (const char *p = found[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				fuzz_fail("a plus token is not lower-case");
		check_token(found[i], "alice@example.org");
		free(found[i]);
	}
	n = corr_dsn_recipients(text, strlen(text), found, 8);
	if (n > 8)
		fuzz_fail("corr_dsn_recipients gave %zu of at most 8", n);
	for (size_t i = 0; i < n; i++)
		free(found[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *addr = fuzz_field(&p, &left), *rcpt = fuzz_field(&p, &left);
	char *rest = fuzz_strndup(p, left), *tok = NULL, *plus;
	struct tk_err err = { 0 };

	fuzz_init();
	if (token_from_address(addr, '\0', &tok, &err) == 0) {
		if (!lower_b32(tok))
			fuzz_fail("token_from_address gave \"%s\"", tok);
		check_token(tok, rcpt);
		free(tok);
	}
	if ((plus = corr_plus_token(addr, "support", "example.com")) != NULL) {
		check_token(plus, rcpt);
		free(plus);
	}
	round_trip(rcpt, data, size);
	scan_text(rest);
	free(addr);
	free(rcpt);
	free(rest);
	return 0;
}
