/*
 * notify.h: the senders behind the outbox, one per channel, behind one ops
 * table (OpenSMTPD's queue backends). A sender gets a claimed outbox row
 * whose payload was composed when the row was written, delivers it once,
 * and says what happened: sent, retry later (optionally not before a given
 * delay), or dead (retrying cannot help). Senders never log secrets
 * (passwords, webhook URLs) nor whole payloads.
 */
#ifndef TK_NOTIFY_H
#define TK_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;
struct ynode;
struct tk_errlist;

enum notify_status { NOTIFY_SENT, NOTIFY_RETRY, NOTIFY_DEAD };

struct notify_result {
	enum notify_status status;
	int64_t retry_after_ms;   /* RETRY: the server asked to wait this long (0: our backoff) */
	char error[256];          /* RETRY, DEAD: what went wrong, for last_error */
};

/* A claimed row as the sender sees it; strings borrowed for the call. */
struct notify_msg {
	int64_t id;
	const char *channel;
	const char *recipient;
	const char *message_id;
	const char *payload;
	size_t payload_len;
};

struct notify_ops {
	const char *channel;
	/* A sender context for this config, or NULL (err set) when the channel is not configured. */
	void *(*open)(const struct config *cfg, struct tk_err *err);
	void (*close)(void **ctx);
	void (*send)(void *ctx, const struct notify_msg *m, struct notify_result *res);
};

extern const struct notify_ops notify_smtp_ops;
extern const struct notify_ops notify_slack_ops;

/* smtp: section (notify_smtp.c). */
enum smtp_tls { SMTP_TLS_NONE, SMTP_TLS_TRY, SMTP_TLS_STARTTLS };
struct smtp_config {
	char *url;                 /* smtp://host:port or smtps://host:port */
	char *from;                /* envelope sender and From address */
	char *from_name;           /* display name in From, or NULL */
	char *user;                /* AUTH user, or NULL: no AUTH */
	char *password_file, *password_env;
	enum smtp_tls tls;         /* for smtp:// URLs; smtps:// is always TLS */
	bool tls_verify;
	int64_t timeout_ms;        /* one whole message */
	int64_t connect_timeout_ms;
};
/* Parse the smtp: mapping into a new *out_r; errors go to errs. */
void smtp_config_load(const struct ynode *n, struct smtp_config **out_r, struct tk_errlist *errs);
void smtp_config_free(struct smtp_config **c);

/* slack: section (notify_slack.c). */
struct slack_webhook {
	char *name;                /* "default" for the top-level webhook_url_* */
	char *url_file, *url_env;  /* where the URL (a secret) is read from */
};
struct slack_config {
	struct slack_webhook *webhooks;
	size_t n_webhooks;
	int64_t timeout_ms;
	int64_t pace_ms;           /* at least this long between two posts to one webhook */
	bool on_new_ticket;        /* post new tickets to the default webhook */
	char *base_url;            /* links to tickets: BASE_URL/TKT-1042, or NULL */
	char *signing_secret_file, *signing_secret_env;  /* Slack app: buttons and actions */
};
void slack_config_load(const struct ynode *n, struct slack_config **out_r,
                       struct tk_errlist *errs);
void slack_config_free(struct slack_config **c);
/*
 * The webhook an outbox row's recipient names: NULL, "default" and "slack"
 * (rows written before named webhooks existed) mean the default one.
 * NULL when there is none of that name. Borrowed from c.
 */
const struct slack_webhook *slack_webhook_named(const struct slack_config *c, const char *name);
bool slack_webhook_known(const struct slack_config *c, const char *name);
/* Whether Slack messages carry Acknowledge/Resolve buttons (a signing secret is set). */
bool slack_buttons(const struct slack_config *c);

/*
 * Read a secret from file (first line, trailing white space removed) or,
 * when file is NULL, from the environment variable env. Returns a new
 * string, or NULL with err set (naming the file or variable, never the
 * value).
 */
char *notify_read_secret(const char *file, const char *env, struct tk_err *err);

/*
 * Classify a Slack webhook's answer. Slack posts are delivered at most
 * once (doc/delivery.md): only what certainly did not post is retried, a
 * 429 (rate limited) or a request that never left (sent false: no
 * connection). Anything else that is not 2xx (4xx, 5xx, no answer after the
 * request was written) is dead.
 */
enum notify_status notify_http_status(long code, bool sent);
/* Classify a final SMTP reply code: 2xx sent, 5xx dead, else retry. */
enum notify_status notify_smtp_status(long code);

#endif
