/*
 * store_search.h: the search words of messages, computed after their commit
 * (migration 017): what `ticketctl search` reads from messages.search.
 */
#ifndef TK_STORE_SEARCH_H
#define TK_STORE_SEARCH_H

#include "err.h"
#include "store.h"

/* Most messages one call indexes (one short transaction). */
#define STORE_SEARCH_BATCH 200

/*
 * Compute and store the search words of up to STORE_SEARCH_BATCH messages
 * that have none, oldest first, skipping rows another worker holds (SKIP
 * LOCKED); autocommit. *n_r is how many were indexed: STORE_SEARCH_BATCH
 * means that more may be waiting.
 */
int store_search_index(struct store *st, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
