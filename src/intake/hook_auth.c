/*
 * hook_auth.c: webhook authentication: a bearer token, or an HMAC-SHA256
 * signature of the body with a shared secret and a timestamp that must be
 * within a tolerance (so a captured request cannot be replayed later).
 * Every comparison of secret material is constant-time (CRYPTO_memcmp).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "hook.h"

int
hook_auth_sign(const char *secret, const char *ts, const void *body, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	memset(md, 0, sizeof(md));
	if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params)) {
		if (ts != NULL) {
			EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts));
			EVP_MAC_update(ctx, (const unsigned char *)".", 1);
		}
		EVP_MAC_update(ctx, body, len);
		EVP_MAC_final(ctx, md, &mdlen, sizeof(md));
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	out[0] = '\0';
	if (mdlen != 32)
		return -1;
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	return 0;
}

/* Constant-time comparison of two strings of possibly different length. */
static bool
secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char da[32], db[32];
	unsigned int n = 0;

	/* Compare digests so the time does not depend on the common prefix or length. */
	EVP_Digest(a, la, da, &n, EVP_sha256(), NULL);
	EVP_Digest(b, lb, db, &n, EVP_sha256(), NULL);
	return CRYPTO_memcmp(da, db, 32) == 0 && la == lb;
}

static enum hook_auth
bearer_check(const struct http_source *src, const char *authz)
{
	if (authz == NULL || *authz == '\0')
		return HOOK_AUTH_MISSING;
	if (strncasecmp(authz, "Bearer ", 7) != 0)
		return HOOK_AUTH_MISSING;
	authz += 7;
	while (*authz == ' ')
		authz++;
	return secret_equal(authz, src->secret) ? HOOK_AUTH_OK : HOOK_AUTH_BAD;
}

/* Parse a unix timestamp of digits only; -1 when malformed. */
static long long
parse_ts(const char *ts)
{
	long long v = 0;

	if (ts == NULL || *ts == '\0' || strlen(ts) > 12)
		return -1;
	for (const char *p = ts; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static enum hook_auth
hmac_check(const struct http_source *src, const char *sig, const char *ts, const void *body,
           size_t len, time_t now)
{
	bool use_ts = src->ts_header != NULL && src->ts_header[0] != '\0';
	char want[65], got[65];
	size_t n;

	if (sig == NULL || *sig == '\0')
		return HOOK_AUTH_MISSING;
	if (use_ts) {
		long long t = parse_ts(ts);
		long long skew = (long long)now - t;

		if (t < 0)
			return HOOK_AUTH_STALE;
		if (skew < 0)
			skew = -skew;
		if (skew * 1000 > src->tolerance_ms)
			return HOOK_AUTH_STALE;
	}
	if (strncasecmp(sig, "sha256=", 7) == 0)
		sig += 7;
	n = strlen(sig);
	if (n != 64)
		return HOOK_AUTH_BAD;
	for (size_t i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)sig[i]))
			return HOOK_AUTH_BAD;
		got[i] = (char)tolower((unsigned char)sig[i]);
	}
	got[64] = '\0';
	if (hook_auth_sign(src->secret, use_ts ? ts : NULL, body, len, want) < 0)
		return HOOK_AUTH_BAD;
	return CRYPTO_memcmp(want, got, 64) == 0 ? HOOK_AUTH_OK : HOOK_AUTH_BAD;
}

enum hook_auth
hook_auth_check(const struct http_source *src, const char *authz, const char *sig,
                const char *ts, const void *body, size_t len, time_t now)
{
	switch (src->auth) {
	case HTTP_AUTH_NONE:
		return HOOK_AUTH_OK;
	case HTTP_AUTH_BEARER:
		return bearer_check(src, authz);
	case HTTP_AUTH_HMAC:
		return hmac_check(src, sig, ts, body, len, now);
	}
	return HOOK_AUTH_BAD;
}
