/*
 * pipeline.h: what happens to one staged inbound item, inside the worker's
 * transaction: parse -> scan -> route -> correlate -> store. Dispatches on
 * the item's kind ("mail", "alert") to the processor for it.
 *
 * A processor returns 0 (done: a ticket or message was stored, or the item
 * was dropped by a rule), or -1 with err and res->error_kind set ("parse",
 * "limit", "database", "internal", "rules", "scan"). A temporary err
 * (database) makes the worker retry the whole batch later without counting
 * an attempt against the item. "parse" and "limit" are permanent (the item
 * itself can never be processed: empty, too large, not JSON, over a
 * processing limit): the item fails at once. The other kinds are retried
 * with backoff up to workers.max_attempts.
 */
#ifndef TK_PIPELINE_H
#define TK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "incident_lock.h"

struct config;
struct daemon;
struct rules;
struct scan;
struct store;

struct inbound_item {
	int64_t id;
	const char *source;      /* mailbox or webhook source name */
	const char *kind;        /* "mail" or "alert" */
	const char *raw;         /* raw bytes (not NUL-terminated for binary) */
	size_t raw_len;
	int attempts;
	const char *meta;        /* JSON text */
};

struct pipeline_result {
	int64_t ticket_id;       /* 0 when none */
	const char *error_kind;  /* static string on failure */
	bool dropped;            /* a rule dropped it: no ticket */
	bool quarantined;        /* a rule held it for an admin */
	bool created;            /* it opened a ticket or incident (else threaded onto one) */
	int drop_why;            /* set with dropped, and for a replay: enum metrics_drop */
	bool deferred;           /* not processed, nothing written: another transaction holds
	                          * one of its alert identities (incident_lock.h); the worker
	                          * puts it back at the head of the queue */
	char drop_reason[200];   /* why (dropped or quarantined), for the inbound row */
	char outcome[256];       /* what happened, in the words a user sees ("created
	                            TKT-1042, queue billing, priority high"), for the
	                            worker's one line per item; "" lets it say */
};

/* Per-worker context; the worker owns st and holds config and rules references. */
struct pipeline_ctx {
	struct daemon *daemon;   /* NULL outside the daemon (ticketctl, tests) */
	struct store *st;
	struct config *cfg;
	struct rules *rules;     /* NULL: no routing rules, the source's defaults apply */
	struct scan *scan;       /* the process's scanner (thread-safe); NULL: none */
	int64_t deadline_ms;     /* the item's time budget ends (clock_mono_ms()); 0: none */
	bool over_budget;        /* pipeline_budget() found the budget used up */
	struct incident_locks ilocks; /* alert identity locks of the open transaction: the
	                               * worker zeroes it at each BEGIN */
};

int pipeline_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                     struct pipeline_result *res, struct tk_err *err);

/*
 * Where an item goes in its batch's run: items run in ascending order of
 * this key (stable), so alerts take their identity locks in ascending
 * order (incident_lock.h); mail is 0. Parses the item; no database.
 */
uint32_t pipeline_order(struct pipeline_ctx *pc, const struct inbound_item *item);

/*
 * Between the costly steps of an item (after parsing, per attachment): 0
 * while the item is within its time budget (workers.item_budget), else -1
 * with err saying where it stopped and pc->over_budget set; the worker
 * then fails the item (error kind "limit") instead of holding its batch.
 */
int pipeline_budget(struct pipeline_ctx *pc, const char *where, struct tk_err *err);

#endif
