/*
 * hook.h: webhook senders behind one ops table (OpenSMTPD's backends).
 * Each sender (Alertmanager, Grafana, PagerDuty Events v2, generic JSON)
 * has a file hook_<name>.c that knows its wire format twice over:
 *
 *   validate  in the HTTP request thread, before anything is stored: is the
 *             body what this sender sends? A problem is reported as
 *             "field: why" (the field as a path, e.g. alerts[1].status), which
 *             the server returns in a 400 body.
 *   alerts    in the pipeline worker, on the staged body: the alerts it
 *             carries, each with its identity and action, for incident.c.
 *
 * Authentication (bearer token or HMAC-SHA256 over the body) is here too,
 * as pure functions (hook_auth.c) the server and the unit tests call.
 */
#ifndef TK_HOOK_H
#define TK_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "http_config.h"

#define HOOK_WHY_MAX 300
#define HOOK_KEY_MAX 255         /* PagerDuty's dedup_key limit; ours for every identity */

/* HOOK_CHANGE: a PagerDuty change event (a deploy...): no identity, nothing to open or close. */
enum hook_action { HOOK_TRIGGER, HOOK_ACKNOWLEDGE, HOOK_RESOLVE, HOOK_CHANGE };

/* One alert of a payload, as incident.c needs it. Strings owned by the alert. */
struct hook_alert {
	char *key;               /* identity within the source (fingerprint, dedup key) */
	char *group;             /* Alertmanager groupKey, or NULL */
	enum hook_action action;
	char *summary;           /* never NULL */
	char *description;       /* may be NULL */
	char *severity;          /* may be NULL */
	json_t *obj;             /* the alert object the rules read (one reference) */
};

/* What the request thread learned while validating (the staged meta). */
struct hook_info {
	char dedup_key[HOOK_KEY_MAX + 1]; /* PagerDuty: given or generated */
	char routing_key[256];            /* PagerDuty: as received (clipped) */
	int n_alerts;
};

struct hook_ops {
	const char *name;        /* "alertmanager", ...; also meta.endpoint */
	enum hook_kind kind;
	/*
	 * Check doc (the parsed body) for src. 0 when acceptable (info filled),
	 * else -1 with why = "field: reason". Must not crash on any JSON value.
	 */
	int (*validate)(const json_t *doc, const struct http_source *src, struct hook_info *info,
	                char *why, size_t whylen);
	/*
	 * The alerts of a staged body. meta is the staged meta object. On
	 * success *alerts_r (caller frees with hook_alerts_free) holds *n_r.
	 */
	int (*alerts)(const json_t *doc, const json_t *meta, const struct http_source *src,
	              struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err);
};

extern const struct hook_ops hook_alertmanager_ops;
extern const struct hook_ops hook_grafana_ops;
extern const struct hook_ops hook_pagerduty_ops;
extern const struct hook_ops hook_pagerduty_change_ops;
extern const struct hook_ops hook_generic_ops;

/* The ops for a name ("alertmanager", ...) or kind; NULL when unknown. */
const struct hook_ops *hook_ops_find(const char *name);
const struct hook_ops *hook_ops_kind(enum hook_kind kind);
void hook_alerts_free(struct hook_alert **alerts, size_t n);

/*
 * Shared by Alertmanager and Grafana (same shape): validate and extract.
 * grafana joins relative generatorURLs with externalURL.
 */
int hook_am_validate(const json_t *doc, struct hook_info *info, char *why, size_t whylen);
int hook_am_alerts(const json_t *doc, const struct http_source *src, bool grafana,
                   struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err);

/*
 * Set why to "field: reason" (printf-style) and return -1. why is valid
 * UTF-8 (it goes into the JSON of the 400 answer): bytes of a client's text
 * that a %.Ns or whylen cut mid-character become U+FFFD, or are dropped at
 * the end.
 */
int hook_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A string member of obj or NULL (also NULL when not a string). */
const char *hook_str(const json_t *obj, const char *key);

/* Authentication outcome. */
enum hook_auth {
	HOOK_AUTH_OK,
	HOOK_AUTH_MISSING,       /* no credentials: 401 */
	HOOK_AUTH_BAD,           /* wrong token or signature: 403 */
	HOOK_AUTH_STALE,         /* HMAC timestamp missing, malformed or outside tolerance: 401 */
};

/*
 * Check a request against src's auth. authz is the Authorization header,
 * sig and ts the configured signature and timestamp headers (each may be
 * NULL), body the raw body, now the current unix time. Comparisons are
 * constant-time. The HMAC covers "TIMESTAMP.BODY" when src->ts_header is
 * set, else the body alone; the signature is hex, optionally "sha256=".
 */
enum hook_auth hook_auth_check(const struct http_source *src, const char *authz, const char *sig,
                               const char *ts, const void *body, size_t len, time_t now);
/* Hex HMAC-SHA256 of "ts.body" (ts NULL: body alone) into out[65]; -1 if OpenSSL failed. */
int hook_auth_sign(const char *secret, const char *ts, const void *body, size_t len,
                    char out[65]);

#endif
