/*
 * notify_slack.c: post outbox notifications to a Slack incoming webhook.
 *
 * The payload is the JSON body, composed when the row was written. The
 * outbox row's recipient names the webhook (slack.webhooks; "default" is
 * the top-level webhook_url_*). A webhook URL is a secret (whoever has it
 * can post): it is read from a file or an environment variable when the
 * context opens and is never logged. Posts are delivered at most once
 * (doc/delivery.md): 2xx is sent; 429 (with its Retry-After) and a request
 * that never left (no connection) are retried; anything else, a 5xx or no
 * answer after the request went out included, is dead, because Slack may
 * have posted it and a webhook has no idempotency key.
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
	"webhook_url_file", "webhook_url_env", "webhooks", "timeout", "pace", "on_new_ticket",
	"base_url", "signing_secret_file", "signing_secret_env", NULL,
};
static const char *const webhook_keys[] = { "url_file", "url_env", NULL };

/* One webhook per line of the context: name and URL (the URL is the secret). */
struct slack_hook {
	const char *name;          /* borrowed from the config snapshot */
	char *url;
};

struct slack_ctx {
	CURL *curl;
	struct slack_hook *hooks;
	size_t n_hooks;
	int64_t timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

static void
webhook_add(struct slack_config *c, const char *name, char *file, char *env)
{
	struct slack_webhook *w;

	c->webhooks = xreallocarray(c->webhooks, c->n_webhooks + 1, sizeof(*c->webhooks));
	w = &c->webhooks[c->n_webhooks++];
	w->name = xstrdup(name);
	w->url_file = file;
	w->url_env = env;
}

static void
load_webhooks(struct slack_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (n->kind != YNODE_MAP) {
		ynode_error(errs, n, "slack.webhooks must map names to {url_file | url_env}");
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *name = n->keys[i]->scalar;
		char *file = NULL, *env = NULL;

		if (ynode_check_keys(n->items[i], webhook_keys, "slack webhook", errs))
			continue;
		ynode_opt_str(n->items[i], "url_file", &file, errs);
		ynode_opt_str(n->items[i], "url_env", &env, errs);
		if (strcmp(name, "default") == 0 && c->n_webhooks > 0)
			ynode_error(errs, n->keys[i], "slack: webhook \"default\" is the one of "
			            "webhook_url_file/webhook_url_env; give this one another name");
		if (file == NULL && env == NULL)
			ynode_error(errs, n->items[i], "slack webhook %s needs url_file or url_env "
			            "(the URL is a secret and does not belong in the config)", name);
		webhook_add(c, name, file, env);
	}
}

void
slack_config_load(const struct ynode *n, struct slack_config **out_r, struct tk_errlist *errs)
{
	struct slack_config *c;
	const struct ynode *t;
	char *file = NULL, *env = NULL;

	*out_r = NULL;
	if (ynode_check_keys(n, slack_keys, "slack", errs) && n->kind != YNODE_MAP)
		return;
	c = xnew(struct slack_config);
	c->timeout_ms = 10000;
	c->pace_ms = 1000;
	c->on_new_ticket = true;
	ynode_opt_str(n, "webhook_url_file", &file, errs);
	ynode_opt_str(n, "webhook_url_env", &env, errs);
	if (file || env)
		webhook_add(c, "default", file, env);
	if ((t = ynode_get(n, "webhooks")) != NULL)
		load_webhooks(c, t, errs);
	ynode_opt_ms(n, "timeout", &c->timeout_ms, errs);
	ynode_opt_ms(n, "pace", &c->pace_ms, errs);
	ynode_opt_bool(n, "on_new_ticket", &c->on_new_ticket, errs);
	ynode_opt_str(n, "base_url", &c->base_url, errs);
	ynode_opt_str(n, "signing_secret_file", &c->signing_secret_file, errs);
	ynode_opt_str(n, "signing_secret_env", &c->signing_secret_env, errs);
	if (c->n_webhooks == 0)
		ynode_error(errs, n, "slack: needs webhook_url_file or webhook_url_env, or webhooks: "
		            "(the URL is a secret and does not belong in the config)");
	if (c->on_new_ticket && slack_webhook_named(c, NULL) == NULL && c->n_webhooks > 0)
		ynode_error(errs, n, "slack: on_new_ticket posts to the default webhook "
		            "(webhook_url_file or webhook_url_env); set one or turn it off");
	*out_r = c;
}

void
slack_config_free(struct slack_config **cp)
{
	struct slack_config *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_webhooks; i++) {
		xfree(&c->webhooks[i].name);
		xfree(&c->webhooks[i].url_file);
		xfree(&c->webhooks[i].url_env);
	}
	free(c->webhooks);
	xfree(&c->base_url);
	xfree(&c->signing_secret_file);
	xfree(&c->signing_secret_env);
	xfree(cp);
}

const struct slack_webhook *
slack_webhook_named(const struct slack_config *c, const char *name)
{
	if (c == NULL)
		return NULL;
	if (name == NULL || strcmp(name, "slack") == 0)
		name = "default";
	for (size_t i = 0; i < c->n_webhooks; i++)
		if (strcmp(c->webhooks[i].name, name) == 0)
			return &c->webhooks[i];
	return NULL;
}

bool
slack_webhook_known(const struct slack_config *c, const char *name)
{
	return slack_webhook_named(c, name) != NULL;
}

bool
slack_buttons(const struct slack_config *c)
{
	return c != NULL && (c->signing_secret_file != NULL || c->signing_secret_env != NULL);
}

enum notify_status
notify_http_status(long code, bool sent)
{
	if (code >= 200 && code < 300)
		return NOTIFY_SENT;
	if (code == 429 || (code == 0 && !sent))
		return NOTIFY_RETRY;
	return NOTIFY_DEAD;
}

static void
slack_close(void **ctxp)
{
	struct slack_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	if (ctx->curl)
		curl_easy_cleanup(ctx->curl);
	for (size_t i = 0; i < ctx->n_hooks; i++) {
		if (ctx->hooks[i].url)
			explicit_bzero(ctx->hooks[i].url, strlen(ctx->hooks[i].url));
		xfree(&ctx->hooks[i].url);
	}
	free(ctx->hooks);
	xfree(ctxp);
}

/* Read every webhook's URL (the secrets) now; any that fails fails the open. */
static void *
slack_open(const struct config *cfg, struct tk_err *err)
{
	const struct slack_config *sc = cfg->slack;
	struct slack_ctx *ctx;

	if (sc == NULL) {
		tk_err_set(err, "slack: not configured (no slack: section)");
		return NULL;
	}
	ctx = xnew(struct slack_ctx);
	ctx->timeout_ms = sc->timeout_ms;
	ctx->hooks = xcalloc(sc->n_webhooks, sizeof(*ctx->hooks));
	for (size_t i = 0; i < sc->n_webhooks; i++) {
		const struct slack_webhook *w = &sc->webhooks[i];
		char *url = notify_read_secret(w->url_file, w->url_env, err);

		ctx->hooks[ctx->n_hooks].name = w->name;
		if (url == NULL) {
			tk_err_prefix(err, "slack webhook %s", w->name);
			goto fail;
		}
		ctx->hooks[ctx->n_hooks++].url = url;
		if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
			tk_err_set(err, "slack webhook %s: the URL must start with https:// (or http://)",
			           w->name);
			goto fail;
		}
	}
	if ((ctx->curl = curl_easy_init()) == NULL) {
		tk_err_set(err, "slack: curl_easy_init failed");
		goto fail;
	}
	return ctx;
fail:
	slack_close((void **)&ctx);
	return NULL;
}

static size_t
slack_discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

static const char *
slack_url(const struct slack_ctx *ctx, const char *recipient)
{
	const char *name = recipient == NULL || strcmp(recipient, "slack") == 0 ? "default" : recipient;

	for (size_t i = 0; i < ctx->n_hooks; i++)
		if (strcmp(ctx->hooks[i].name, name) == 0)
			return ctx->hooks[i].url;
	return NULL;
}

static void
slack_send(void *arg, const struct notify_msg *m, struct notify_result *res)
{
	struct slack_ctx *ctx = arg;
	const char *url = slack_url(ctx, m->recipient);
	struct curl_slist *hdrs;
	CURL *c = ctx->curl;
	CURLcode rc;
	long code = 0;
	curl_off_t wait_s = 0, up = 0;
	char clipped[200];

	memset(res, 0, sizeof(*res));
	if (url == NULL) {   /* the webhook left the config: a config fix and a reload can help */
		res->status = NOTIFY_RETRY;
		snprintf(res->error, sizeof(res->error), "slack: no webhook named \"%.64s\" "
		         "(slack.webhooks)", m->recipient ? m->recipient : "default");
		return;
	}
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_reset(c);
	ctx->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
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
	/* Did any of the request leave? Then Slack may have posted it. */
	curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
	res->status = notify_http_status(code, up > 0 || rc == CURLE_OK);
	if (res->status == NOTIFY_RETRY && code == 429 &&
	    curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &wait_s) == CURLE_OK && wait_s > 0)
		res->retry_after_ms = (int64_t)wait_s * 1000;
	if (res->status != NOTIFY_SENT) {
		/* The error buffer may name the URL's host, never its path (the secret part). */
		log_clip(clipped, sizeof(clipped), rc == CURLE_OK ? "" : curl_easy_strerror(rc));
		snprintf(res->error, sizeof(res->error), "slack: HTTP status %ld%s%s%s", code,
		         clipped[0] ? ": " : "", clipped,
		         res->status == NOTIFY_DEAD && code == 0 ?
		         " (the request was sent and may have been posted: not resent)" : "");
	}
	curl_slist_free_all(hdrs);
}

const struct notify_ops notify_slack_ops = {
	.channel = "slack", .open = slack_open, .close = slack_close, .send = slack_send,
};
