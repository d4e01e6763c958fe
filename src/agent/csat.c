/*
 * csat.c: ratings (csat.h): the signed links, reading a rating out of a
 * reply, the notice's request, and recording a rating with the lead's
 * notice of a poor one.
 */
/* System. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
/* ticketd. */
#include "agent_config.h"
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "csat.h"
#include "log.h"
#include "mime.h"
#include "sla_config.h"
#include "store_ticket.h"
#include "xalloc.h"

#define CSAT_DOMAIN "ticketd-csat-v1"
#define CSAT_MAC_BYTES 16
#define CSAT_COMMENT_MAX 2000

static int
link_mac(const struct token_secret *s, int64_t id, int64_t expires,
         char hex[2 * CSAT_MAC_BYTES + 1])
{
	unsigned char msg[sizeof(CSAT_DOMAIN) + 16], full[EVP_MAX_MD_SIZE];
	unsigned int full_len = 0;
	size_t o = sizeof(CSAT_DOMAIN);

	if (s == NULL || s->key == NULL || s->len < TOKEN_MIN_SECRET || s->len > INT32_MAX)
		return -1;
	memcpy(msg, CSAT_DOMAIN, sizeof(CSAT_DOMAIN));   /* with its NUL */
	for (int i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)((uint64_t)id >> (8 * i));
	for (int i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)((uint64_t)expires >> (8 * i));
	if (!HMAC(EVP_sha256(), s->key, (int)s->len, msg, o, full, &full_len) ||
	    full_len < CSAT_MAC_BYTES)
		return -1;
	for (int i = 0; i < CSAT_MAC_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", full[i]);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

char *
csat_link_make(const struct token_secret *secret, int64_t ticket_id, int64_t expires)
{
	char mac[2 * CSAT_MAC_BYTES + 1];

	if (ticket_id <= 0 || expires <= 0 || link_mac(secret, ticket_id, expires, mac) < 0)
		return NULL;
	return xasprintf("%" PRId64 "-%" PRId64 "-%s", ticket_id, expires, mac);
}

/* A positive decimal number of at most 18 digits ending at *end; 0 when malformed. */
static int64_t
number(const char *s, char stop, const char **end_r)
{
	int64_t v = 0;
	size_t n = 0;

	while (isdigit((unsigned char)s[n]) && n < 18)
		v = v * 10 + (s[n++] - '0');
	if (n == 0 || s[n] != stop || (s[0] == '0'))
		return 0;
	*end_r = s + n + 1;
	return v;
}

int
csat_link_check(const struct token_secret *secrets, size_t n, const char *tok, int64_t now,
                int64_t *ticket_id_r, bool *expired_r, struct tk_err *err)
{
	const char *p = tok;
	char want[2 * CSAT_MAC_BYTES + 1];
	int64_t id, expires;
	int match = 0;

	*expired_r = false;
	if (tok == NULL || strlen(tok) > CSAT_TOKEN_MAX || (id = number(p, '-', &p)) == 0 ||
	    (expires = number(p, '-', &p)) == 0 || strlen(p) != 2 * CSAT_MAC_BYTES ||
	    strspn(p, "0123456789abcdef") != 2 * CSAT_MAC_BYTES)
		return tk_err_set(err, "malformed link");
	/* every secret, no early exit: timing does not tell which one matched */
	for (size_t i = 0; i < n; i++)
		if (link_mac(&secrets[i], id, expires, want) == 0)
			match |= CRYPTO_memcmp(want, p, 2 * CSAT_MAC_BYTES) == 0;
	if (!match)
		return tk_err_set(err, "forged link");
	if (now >= expires) {
		*expired_r = true;
		return tk_err_set(err, "expired link");
	}
	*ticket_id_r = id;
	return 0;
}

static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len > CSAT_COMMENT_MAX)
		len = CSAT_COMMENT_MAX;
	return len ? xstrndup(s, len) : NULL;
}

int
csat_reply_parse(const char *visible, int *score_r, char **comment_r)
{
	const char *p = visible ? visible : "", *rest;

	*comment_r = NULL;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (*p < '1' || *p > '5' || isdigit((unsigned char)p[1]) || (p[1] == '.' &&
	                                                              isdigit((unsigned char)p[2])))
		return 0;
	*score_r = *p - '0';
	rest = p + 1;
	if (*rest == '/' && rest[1] == '5')   /* "4/5" */
		rest += 2;
	while (*rest && strchr(" \t-:.,!)", *rest))
		rest++;
	*comment_r = trimmed(rest, strlen(rest));
	return 1;
}

int
csat_reply_rating(const struct config *cfg, const char *status, int64_t done_at,
                  const char *visible, int *score_r, char **comment_r)
{
	if (cfg->agent == NULL || !cfg->agent->csat || done_at == 0 || status == NULL ||
	    (strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0) ||
	    (int64_t)time(NULL) - done_at > cfg->agent->csat_ttl_s)
		return 0;
	return csat_reply_parse(visible, score_r, comment_r);
}

char *
csat_request_text(const struct config *cfg, int64_t ticket_id, int64_t resolved_at)
{
	const struct agent_config *ac = cfg->agent;
	struct buf b;
	char *tok;

	if (ac == NULL || !ac->csat || cfg->convo == NULL || cfg->convo->n_secrets == 0)
		return xstrdup("");
	buf_init(&b, 0);
	(void)buf_puts(&b, "How did we do? Reply with a number from 1 (poor) to 5 (excellent) on "
	               "the first line,\nand a comment below it if you like.\n");
	tok = ac->csat_url ? csat_link_make(&cfg->convo->secrets[0], ticket_id,
	                                    resolved_at + ac->csat_ttl_s) : NULL;
	if (tok) {
		(void)buf_puts(&b, "Or rate with one click:\n");
		for (int s = 1; s <= 5; s++)
			(void)buf_printf(&b, "  %d %s: %s/v1/csat/%s?score=%d\n", s,
			                 s == 1 ? "(poor)" : s == 5 ? "(excellent)" : "", ac->csat_url, tok, s);
	}
	free(tok);
	return buf_steal(&b, NULL);
}

/* Tell the queue's team lead about a poor rating (1 or 2). */
static int
tell_lead(struct store *st, const struct config *cfg, int64_t id, const char *queue,
          const char *ref, const char *subject, int score, const char *comment, const char *via,
          const char *at, struct tk_err *err)
{
	const struct sla_queue *q = cfg->sla ? sla_queue_named(cfg->sla, queue) : NULL;
	const struct sla_team *t = q && q->team ? sla_team_named(cfg->sla, q->team) : NULL;
	const struct config_agent *lead = t && t->lead ? config_agent_by_name(cfg, t->lead) : NULL;
	char *key, *subj, *body;
	int rc;

	if (lead == NULL) {
		log_info("csat: ticket %s rated %d: queue %s has no team lead to tell", ref, score, queue);
		return 0;
	}
	key = xasprintf("csat-low:%" PRId64 ":%s", id, at);
	subj = xasprintf("[#%s] Poor rating %d/5: %s", ref, score, subject);
	body = xasprintf("The customer rated %s \"%s\" %d of 5 (by %s).\n\nComment: %s\n\n"
	                 "Queue %s. ticketctl show %s has the conversation.\n", ref, subject, score,
	                 strcmp(via, "link") == 0 ? "the link" : "reply", comment ? comment : "(none)",
	                 queue, ref);
	{
		struct convo_mail m = {
			.ticket_id = id, .to = lead->email, .to_name = lead->display_name, .idem = key,
			.kind = "csat", .subject = subj, .body = body, .auto_submitted = "auto-generated",
		};

		rc = convo_queue_mail(st, cfg, &m, err);
	}
	free(key);
	free(subj);
	free(body);
	return rc;
}

int
csat_record(struct store *st, const struct config *cfg, int64_t ticket_id, int score,
            const char *comment, const char *via, const char *actor, struct tk_err *err)
{
	char sid[24], sc[8], detail[300], *clip, *clean;
	PGresult *res = NULL;
	int rc = -1;

	if (score < 1 || score > 5)
		return tk_err_set(err, "a rating is from 1 to 5");
	/* hostile text (a form, a mail): bounded, valid UTF-8 */
	clean = comment && *comment ? mime_utf8_clean(comment, strnlen(comment, CSAT_COMMENT_MAX)) :
	        NULL;
	comment = clean;
	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	snprintf(sc, sizeof(sc), "%d", score);
	if (store_exec(st, &res, err,
	               "WITH o AS (SELECT id, csat_score FROM tickets WHERE id = $1::bigint AND status "
	               "IN ('resolved', 'closed') FOR UPDATE) UPDATE tickets t SET csat_score = "
	               "$2::smallint, csat_comment = $3, csat_at = now(), csat_via = $4 FROM o "
	               "WHERE t.id = o.id RETURNING o.csat_score, t.queue, t.subject, (SELECT "
	               "n.ticket_prefix || '-' || t.number FROM tenants n WHERE n.id = t.tenant_id), "
	               "extract(epoch FROM t.csat_at)", 4, sid, sc, comment, via) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		tk_err_set(err, "ticket %" PRId64 " is not resolved (or is gone): no rating now", ticket_id);
		goto out;
	}
	clip = comment ? mime_utf8_clean(comment, strnlen(comment, 200)) : NULL;
	snprintf(detail, sizeof(detail), "by %s%s%s", via, clip ? ": " : "", clip ? clip : "");
	free(clip);
	if (store_ticket_event(st, ticket_id, actor, "csat", store_val(res, 0, 0), sc, detail, err) < 0)
		goto out;
	if (score <= 2 && tell_lead(st, cfg, ticket_id, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3),
	                            PQgetvalue(res, 0, 2), score, comment, via, PQgetvalue(res, 0, 4),
	                            err) < 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	free(clean);
	return rc;
}
