/*
 * http_config.h: the `http:` section of ticketd.conf: where the webhook
 * server listens, its limits, the webhook sources (each with its sender
 * kind, credentials, rate limit and, for generic hooks, a field mapping)
 * and the incident settings (reopen window, flapping, notifications).
 *
 * The section is read once at start: a SIGHUP reload keeps the running
 * server (addresses, sources, secrets) and says so in the log. Secrets are
 * read from files or the environment at load time and never logged.
 */
#ifndef TK_HTTP_CONFIG_H
#define TK_HTTP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ynode;

enum hook_kind { HOOK_ALERTMANAGER, HOOK_GRAFANA, HOOK_PAGERDUTY, HOOK_GENERIC };
enum http_auth_kind { HTTP_AUTH_NONE, HTTP_AUTH_BEARER, HTTP_AUTH_HMAC };

/* Generic hooks: where each field comes from (RFC 6901 pointers or templates). */
struct http_mapping {
	char *alerts;            /* pointer to an array of alerts; NULL: the body is one alert */
	char *dedup_key;         /* required */
	char *summary, *description, *severity, *status, *labels;
	char **firing, **resolved, **acknowledged; /* status values; NULL-terminated */
};

struct http_source {
	char *name;
	enum hook_kind kind;
	enum http_auth_kind auth;
	char *secret;            /* bearer token or HMAC key; NULL with auth none */
	char *sig_header;        /* HMAC: header carrying the signature */
	char *ts_header;         /* HMAC: header carrying the unix time; "" disables */
	int64_t tolerance_ms;    /* HMAC: accepted clock difference */
	char *routing_key;       /* PagerDuty: the integration key that selects this source */
	int rate_count;          /* requests admitted per window; 0 = unlimited */
	int64_t rate_window_ms;
	bool group_by_group;     /* Alertmanager/Grafana: one ticket per groupKey */
	char *tenant, *queue;    /* defaults for tickets when the rules set none */
	struct http_mapping map; /* generic only */
};

struct http_config {
	char **listen;           /* "ADDRESS:PORT" ([v6]:port allowed) */
	size_t n_listen;
	char *tls_cert, *tls_key;
	int threads;
	int64_t body_limit;
	int connection_limit;
	int64_t connection_timeout_ms;
	int per_address_limit;   /* open connections per client address (IPv6: /64); 0: no cap */
	int64_t request_timeout_ms; /* a whole request, headers and body; 0: no deadline */
	int committers;
	int commit_batch;
	struct http_source *sources;
	size_t n_sources;
	/* incidents */
	int64_t reopen_window_ms;
	int flap_count;
	int64_t flap_window_ms;
	char *notify_channel;    /* "smtp" or "slack"; NULL: no resolution notices */
	char *notify_recipient;
};

/* Parse the section at n; errors (with positions) into errs. *hc_r always set. */
int http_config_load(const struct ynode *n, struct http_config **hc_r, struct tk_errlist *errs);
void http_config_free(struct http_config **hc);
/* The source named name, or NULL. Borrowed from hc. */
const struct http_source *http_config_source(const struct http_config *hc, const char *name);
/* The PagerDuty source whose routing_key is key, or NULL. */
const struct http_source *http_config_routing_key(const struct http_config *hc, const char *key);
/* "alertmanager", "grafana", "pagerduty", "generic". */
const char *http_hook_kind_name(enum hook_kind k);
/* NULL-terminated key paths of the section (for the docs test). */
const char *const *http_config_keys(void);

#endif
