/*
 * store_search.c: fill messages.search, the words `ticketctl search` finds
 * (migration 017). A message is stored without them, so that a worker's
 * transaction does not pay for to_tsvector (about 1 ms per 7 KB of text);
 * idle workers index the waiting messages here, oldest first, in short
 * autocommitted batches that several workers and daemons share with SKIP
 * LOCKED. Until then `ticketctl search` computes the words itself for the
 * messages still waiting.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store_search.h"

int
store_search_index(struct store *st, int *n_r, struct tk_err *err)
{
	PGresult *res = NULL;
	char limit[16];

	*n_r = 0;
	snprintf(limit, sizeof(limit), "%d", STORE_SEARCH_BATCH);
	if (store_exec(st, &res, err,
	               "UPDATE messages m SET search = ticketd_search_words(m.subject, m.body_text) "
	               "WHERE m.id IN (SELECT id FROM messages WHERE search IS NULL ORDER BY id "
	               "LIMIT $1::int FOR UPDATE SKIP LOCKED)", 1, limit) < 0) {
		tk_err_prefix(err, "indexing messages for search");
		return -1;
	}
	*n_r = atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}
