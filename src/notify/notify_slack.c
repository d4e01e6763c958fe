/*
 * notify_slack.c: post outbox notifications to a Slack incoming webhook.
 *
 * The payload is the JSON body, composed when the row was written. The
 * webhook URL is a secret (whoever has it can post): it is read from a file
 * or an environment variable when the context opens and is never logged.
 * 2xx is sent; 429 (with its Retry-After) and 5xx, or no answer at all, are
 * retried; any other status (400 invalid_payload, 403, 404 no_service,
 * 410 channel_is_archived) is dead: sending it again cannot help.
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

static const char *const slack_keys[] = {
	"webhook_url_file", "webhook_url_env", "timeout", "on_new_ticket", NULL,
};

struct slack_ctx {
	CURL *curl;
	char *url;
	int64_t timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

void
slack_config_load(const struct ynode *n, struct slack_config **out_r, struct tk_errlist *errs)
{
	struct slack_config *c;
	const struct ynode *t;
	const char *s;

	*out_r = NULL;
	if (ynode_check_keys(n, slack_keys, "slack", errs) && n->kind != YNODE_MAP)
		return;
	c = xnew(struct slack_config);
	c->timeout_ms = 10000;
	c->on_new_ticket = true;
	if ((t = ynode_get(n, "webhook_url_file")) != NULL && ynode_str(t, &s, errs) == 0)
		c->webhook_url_file = xstrdup(s);
	if ((t = ynode_get(n, "webhook_url_env")) != NULL && ynode_str(t, &s, errs) == 0)
		c->webhook_url_env = xstrdup(s);
	if ((t = ynode_get(n, "timeout")) != NULL)
		ynode_duration_ms(t, &c->timeout_ms, errs);
	if ((t = ynode_get(n, "on_new_ticket")) != NULL)
		ynode_bool(t, &c->on_new_ticket, errs);
	if (c->webhook_url_file == NULL && c->webhook_url_env == NULL)
		ynode_error(errs, n, "slack: needs webhook_url_file or webhook_url_env "
		            "(the URL is a secret and does not belong in the config)");
	*out_r = c;
}

void
slack_config_free(struct slack_config **cp)
{
	if (*cp == NULL)
		return;
	xfree(&(*cp)->webhook_url_file);
	xfree(&(*cp)->webhook_url_env);
	xfree(cp);
}

enum notify_status
notify_http_status(long code)
{
	if (code >= 200 && code < 300)
		return NOTIFY_SENT;
	if (code == 0 || code == 429 || code >= 500)
		return NOTIFY_RETRY;
	return NOTIFY_DEAD;
}

static void *
slack_open(const struct config *cfg, struct tk_err *err)
{
	struct slack_ctx *ctx;
	char *url;

	if (cfg->slack == NULL) {
		tk_err_set(err, "slack: not configured (no slack: section)");
		return NULL;
	}
	url = notify_read_secret(cfg->slack->webhook_url_file, cfg->slack->webhook_url_env, err);
	if (url == NULL) {
		tk_err_prefix(err, "slack");
		return NULL;
	}
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		free(url);
		tk_err_set(err, "slack: the webhook URL must start with https:// (or http://)");
		return NULL;
	}
	ctx = xnew(struct slack_ctx);
	ctx->url = url;
	ctx->timeout_ms = cfg->slack->timeout_ms;
	ctx->curl = curl_easy_init();
	if (ctx->curl == NULL) {
		free(ctx->url);
		free(ctx);
		tk_err_set(err, "slack: curl_easy_init failed");
		return NULL;
	}
	return ctx;
}

static void
slack_close(void **ctxp)
{
	struct slack_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	curl_easy_cleanup(ctx->curl);
	explicit_bzero(ctx->url, strlen(ctx->url));
	xfree(&ctx->url);
	xfree(ctxp);
}

static size_t
slack_discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

static void
slack_send(void *arg, const struct notify_msg *m, struct notify_result *res)
{
	struct slack_ctx *ctx = arg;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = ctx->curl;
	CURLcode rc;
	long code = 0;
	curl_off_t wait_s = 0;
	char clipped[200];

	curl_easy_reset(c);
	ctx->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, ctx->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->payload);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->payload_len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ctx->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slack_discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ctx->errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	memset(res, 0, sizeof(*res));
	res->status = rc == CURLE_OK ? notify_http_status(code) : NOTIFY_RETRY;
	if (res->status == NOTIFY_RETRY && code == 429 &&
	    curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &wait_s) == CURLE_OK && wait_s > 0)
		res->retry_after_ms = (int64_t)wait_s * 1000;
	if (res->status != NOTIFY_SENT) {
		/* The error buffer may name the URL's host, never its path (the secret part). */
		log_clip(clipped, sizeof(clipped), rc == CURLE_OK ? "" : curl_easy_strerror(rc));
		snprintf(res->error, sizeof(res->error), "slack: HTTP status %ld%s%s", code,
		         clipped[0] ? ": " : "", clipped);
	}
	curl_slist_free_all(hdrs);
}

const struct notify_ops notify_slack_ops = {
	.channel = "slack", .open = slack_open, .close = slack_close, .send = slack_send,
};
