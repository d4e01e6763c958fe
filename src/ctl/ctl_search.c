/*
 * ctl_search.c: `ticketctl search QUERY`: tickets by the words in their
 * messages' subjects and texts, best first. PostgreSQL's full-text search
 * on the stored words (messages.search) and GIN index of migration 012
 * (words as written, no stemming), which idle workers fill after each
 * message's commit (migration 017); the query is web-search syntax: words (all of them), "a phrase", -without,
 * or. A ticket ranks by its best message; a line of it, the words marked,
 * shows why it matched.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "ctl_queue.h"
#include "store.h"

static const char *const status_choices[] = { "new", "open", "in_progress", "pending",
	                                      "resolved", "closed", "reopened", NULL };

static int
search(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant");
	char limit[24];
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	json_t *hits;
	size_t i;
	json_t *h;
	int rc;

	snprintf(limit, sizeof(limit), "%lld", ctl_num(a, "limit", 20));
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	/*
	 * Rank every matching message (the stored words, messages.search, or
	 * for messages the workers have not indexed yet the same words computed
	 * here: migration 017), keep
	 * each ticket's best, filter the tickets only when asked, then the
	 * headline of the best message of the tickets shown (ts_headline reads
	 * the whole text).
	 */
	if (store_exec(st, &res, &err,
	               "WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS q), "
	               "hits AS (SELECT m.ticket_id, m.id, ts_rank(m.search, q.q) AS rank "
	               "FROM messages m, q WHERE m.search @@ q.q "
	               "UNION ALL SELECT m.ticket_id, m.id, ts_rank(w.words, q.q) FROM messages m, q, "
	               "LATERAL (SELECT ticketd_search_words(m.subject, m.body_text) AS words) w "
	               "WHERE m.search IS NULL AND w.words @@ q.q), "
	               "best AS (SELECT ticket_id, max(rank) AS rank, count(*) AS hits, "
	               "(array_agg(id ORDER BY rank DESC, id))[1] AS id FROM hits GROUP BY ticket_id), "
	               "kept AS (SELECT b.* FROM best b WHERE ($3::text IS NULL AND $4::text IS NULL "
	               "AND $5::text IS NULL) OR EXISTS (SELECT 1 FROM tickets t JOIN tenants n ON "
	               "n.id = t.tenant_id WHERE t.id = b.ticket_id AND ($3::text IS NULL OR "
	               "n.name = $3) AND ($4::text IS NULL OR t.status = $4) AND ($5::text IS NULL "
	               "OR t.queue = $5))), "
	               "top AS (SELECT k.*, count(*) OVER () AS total FROM kept k "
	               "ORDER BY k.rank DESC, k.ticket_id DESC LIMIT $2::int) "
	               "SELECT coalesce(json_agg(json_build_object('ticket', n.ticket_prefix || '-' || "
	               "t.number, 'status', t.status, 'queue', t.queue, 'subject', t.subject, "
	               "'rank', round(top.rank::numeric, 4), 'messages', top.hits, 'message', top.id, "
	               "'snippet', ts_headline('simple', m.body_text, q.q, 'StartSel=[, StopSel=], "
	               "MaxWords=18, MinWords=6, MaxFragments=1, FragmentDelimiter= ... ')) "
	               "ORDER BY top.rank DESC, top.ticket_id DESC), '[]')::text, "
	               "coalesce(max(top.total), 0) FROM top JOIN tickets t ON t.id = top.ticket_id "
	               "JOIN tenants n ON n.id = t.tenant_id JOIN messages m ON m.id = top.id, q",
	               5, a->pos[0], limit, tenant, ctl_str(a, "status"), ctl_str(a, "queue")) < 0) {
		rc = ctl_db_error(&err);
		goto out;
	}
	if (ctl_flag(a, "json")) {
		printf("%s\n", PQgetvalue(res, 0, 0));
		goto out;
	}
	hits = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	printf("%-12s %-11s %-12s %-7s %s\n", "TICKET", "STATUS", "QUEUE", "RANK", "SUBJECT");
	json_array_foreach(hits, i, h) {
		char rank[16];

		snprintf(rank, sizeof(rank), "%.4f", json_number_value(json_object_get(h, "rank")));
		ctl_put_cell(json_string_value(json_object_get(h, "ticket")), 12);
		ctl_put_cell(json_string_value(json_object_get(h, "status")), 11);
		ctl_put_cell(json_string_value(json_object_get(h, "queue")), 12);
		ctl_put_cell(rank, 7);
		ctl_put_cell(json_string_value(json_object_get(h, "subject")), 60);
		printf("\n    ");
		ctl_put_cell(json_string_value(json_object_get(h, "snippet")), 110);
		printf("\n");
	}
	ctl_queue_footer((long long)json_array_size(hits), atoll(PQgetvalue(res, 0, 1)),
	                 "matching tickets", "--limit N shows more");
	if (json_array_size(hits) > 0 && json_array_size(hits) == (size_t)atoll(PQgetvalue(res, 0, 1)))
		printf("%zu matching ticket%s\n", json_array_size(hits),
		       json_array_size(hits) == 1 ? "" : "s");
	json_decref(hits);
out:
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt search_opts[] = {
	{ "status", 0, CTL_STR, "S", "only tickets in status S", status_choices },
	{ "queue", 0, CTL_STR, "Q", "only tickets in queue Q", NULL, CTL_CHECK_QUEUE },
	{ "tenant", 0, CTL_STR, "T", "only tickets of tenant T", NULL, CTL_CHECK_TENANT },
	{ "limit", 0, CTL_NUM, "N", "at most N tickets (default 20)" },
	{ "json", 0, CTL_FLAG, NULL, "the tickets as a JSON array" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_search = {
	.name = "search", .args = "QUERY", .min_pos = 1, .max_pos = 1, .opts = search_opts,
	.run = search,
	.summary = "tickets by the words of their messages, best first (\"a phrase\", -not, or)",
};
