/*
 * notify_smtp.c: deliver outbox mail through libcurl's SMTP client.
 *
 * One CURL handle per sender context, kept across messages, so libcurl
 * reuses the connection (and its TLS session) for the next message to the
 * same server. smtps:// is TLS from the first byte; for smtp:// the tls key
 * picks none, try (STARTTLS when offered) or starttls (required). AUTH uses
 * the user and the password read from a file or an environment variable
 * when the context opens; neither the password nor the payload is logged.
 *
 * The final SMTP reply decides: 2xx sent, 5xx dead (the server refused the
 * message or the recipient for good), anything else (4xx, no connection,
 * timeout) retry. A refused AUTH is retried too: fixing the password and
 * reloading should not need `ticketctl outbox retry`.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <curl/curl.h>
/* ticketd. */
#include "config.h"
#include "log.h"
#include "notify.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const smtp_keys[] = {
	"url", "from", "from_name", "user", "password_file", "password_env", "tls", "tls_verify",
	"timeout", "connect_timeout", NULL,
};

struct smtp_ctx {
	CURL *curl;
	const struct smtp_config *cfg;   /* borrowed from the config the sender holds */
	char *password;
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp_reader {
	const char *data;
	size_t len, off;
};

static void
smtp_config_check(struct smtp_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (c->url == NULL || (strncmp(c->url, "smtp://", 7) != 0 && strncmp(c->url, "smtps://", 8) != 0))
		ynode_error(errs, ynode_get(n, "url") ? ynode_get(n, "url") : n,
		            "smtp: url must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
	if (c->from == NULL || strchr(c->from, '@') == NULL)
		ynode_error(errs, ynode_get(n, "from") ? ynode_get(n, "from") : n,
		            "smtp: from must be an address (user@domain)");
	if (c->user && c->password_file == NULL && c->password_env == NULL)
		ynode_error(errs, n, "smtp: user needs password_file or password_env");
}

void
smtp_config_load(const struct ynode *n, struct smtp_config **out_r, struct tk_errlist *errs)
{
	static const char *const tlsmodes[] = { "none", "try", "starttls", NULL };
	struct smtp_config *c;
	const struct ynode *t;

	*out_r = NULL;
	if (ynode_check_keys(n, smtp_keys, "smtp", errs) && n->kind != YNODE_MAP)
		return;
	c = xnew(struct smtp_config);
	c->tls = SMTP_TLS_TRY;
	c->tls_verify = true;
	c->timeout_ms = 60000;
	c->connect_timeout_ms = 15000;
	ynode_opt_str(n, "url", &c->url, errs);
	ynode_opt_str(n, "from", &c->from, errs);
	ynode_opt_str(n, "from_name", &c->from_name, errs);
	ynode_opt_str(n, "user", &c->user, errs);
	ynode_opt_str(n, "password_file", &c->password_file, errs);
	ynode_opt_str(n, "password_env", &c->password_env, errs);
	if ((t = ynode_get(n, "tls")) != NULL) {
		const char *s;
		int found = 0;

		if (ynode_str(t, &s, errs) == 0) {
			for (int i = 0; tlsmodes[i]; i++)
				if (strcmp(s, tlsmodes[i]) == 0) {
					c->tls = (enum smtp_tls)i;
					found = 1;
				}
			if (!found)
				ynode_error(errs, t, "smtp: tls must be none, try or starttls");
		}
	}
	if ((t = ynode_get(n, "tls_verify")) != NULL)
		ynode_bool(t, &c->tls_verify, errs);
	if ((t = ynode_get(n, "timeout")) != NULL)
		ynode_duration_ms(t, &c->timeout_ms, errs);
	if ((t = ynode_get(n, "connect_timeout")) != NULL)
		ynode_duration_ms(t, &c->connect_timeout_ms, errs);
	smtp_config_check(c, n, errs);
	*out_r = c;
}

void
smtp_config_free(struct smtp_config **cp)
{
	struct smtp_config *c = *cp;

	if (c == NULL)
		return;
	xfree(&c->url);
	xfree(&c->from);
	xfree(&c->from_name);
	xfree(&c->user);
	xfree(&c->password_file);
	xfree(&c->password_env);
	xfree(cp);
}

enum notify_status
notify_smtp_status(long code)
{
	if (code >= 200 && code < 300)
		return NOTIFY_SENT;
	if (code >= 500 && code < 600)
		return NOTIFY_DEAD;
	return NOTIFY_RETRY;
}

static void *
smtp_open(const struct config *cfg, struct tk_err *err)
{
	struct smtp_ctx *ctx;

	if (cfg->smtp == NULL) {
		tk_err_set(err, "smtp: not configured (no smtp: section)");
		return NULL;
	}
	ctx = xnew(struct smtp_ctx);
	ctx->cfg = cfg->smtp;
	if (cfg->smtp->user) {
		ctx->password = notify_read_secret(cfg->smtp->password_file, cfg->smtp->password_env, err);
		if (ctx->password == NULL) {
			tk_err_prefix(err, "smtp");
			free(ctx);
			return NULL;
		}
	}
	ctx->curl = curl_easy_init();
	if (ctx->curl == NULL) {
		xfree(&ctx->password);
		free(ctx);
		tk_err_set(err, "smtp: curl_easy_init failed");
		return NULL;
	}
	return ctx;
}

static void
smtp_close(void **ctxp)
{
	struct smtp_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	curl_easy_cleanup(ctx->curl);
	if (ctx->password) {
		explicit_bzero(ctx->password, strlen(ctx->password));
		xfree(&ctx->password);
	}
	xfree(ctxp);
}

static size_t
smtp_read(char *out, size_t size, size_t nmemb, void *arg)
{
	struct smtp_reader *r = arg;
	size_t n = size * nmemb;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(out, r->data + r->off, n);
	r->off += n;
	return n;
}

static void
smtp_setopts(struct smtp_ctx *ctx, struct smtp_reader *rd, struct curl_slist *rcpt,
             const char *from)
{
	CURL *c = ctx->curl;
	const struct smtp_config *cfg = ctx->cfg;
	static const long ssl[] = { CURLUSESSL_NONE, CURLUSESSL_TRY, CURLUSESSL_ALL };

	curl_easy_reset(c);   /* options only: live connections stay in the handle */
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, ssl[cfg->tls]);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
	if (cfg->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ctx->password);
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(c, CURLOPT_READDATA, rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd->len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ctx->errbuf);
}

static void
smtp_send(void *arg, const struct notify_msg *m, struct notify_result *res)
{
	struct smtp_ctx *ctx = arg;
	struct smtp_reader rd = { .data = m->payload, .len = m->payload_len };
	struct curl_slist *rcpt = NULL;
	char *from = xasprintf("<%s>", ctx->cfg->from), *to = xasprintf("<%s>", m->recipient);
	char clipped[200];
	CURLcode rc;
	long code = 0;

	rcpt = curl_slist_append(rcpt, to);
	ctx->errbuf[0] = '\0';
	smtp_setopts(ctx, &rd, rcpt, from);
	rc = curl_easy_perform(ctx->curl);
	curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
	memset(res, 0, sizeof(*res));
	if (rc == CURLE_OK) {
		res->status = NOTIFY_SENT;
	} else {
		res->status = code ? notify_smtp_status(code) : NOTIFY_RETRY;
		/* Accepted then failed (cannot tell), or AUTH refused (a config fix helps): retry. */
		if (res->status == NOTIFY_SENT || rc == CURLE_LOGIN_DENIED)
			res->status = NOTIFY_RETRY;
		log_clip(clipped, sizeof(clipped), ctx->errbuf[0] ? ctx->errbuf : curl_easy_strerror(rc));
		snprintf(res->error, sizeof(res->error), "smtp: %s (reply code %ld)", clipped, code);
	}
	curl_slist_free_all(rcpt);
	free(from);
	free(to);
}

const struct notify_ops notify_smtp_ops = {
	.channel = "smtp", .open = smtp_open, .close = smtp_close, .send = smtp_send,
};
