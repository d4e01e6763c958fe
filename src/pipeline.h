/*
 * pipeline.h: what happens to one staged inbound item, inside the worker's
 * transaction: parse -> scan -> route -> correlate -> store. Dispatches on
 * the item's kind ("mail", "alert") to the processor for it.
 *
 * A processor returns 0 (done: a ticket or message was stored, or the item
 * was dropped by a rule), or -1 with err and res->error_kind set ("parse",
 * "database", "internal", "rules", "scan"). A temporary err (database)
 * makes the worker retry the whole batch later without counting an attempt
 * against the item.
 */
#ifndef TK_PIPELINE_H
#define TK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;
struct daemon;
struct rules;
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
	bool dropped;
	char drop_reason[200];
};

/* Per-worker context; the worker owns st and holds a config reference. */
struct pipeline_ctx {
	struct daemon *daemon;   /* NULL outside the daemon (ticketctl, tests) */
	struct store *st;
	struct config *cfg;
	/* incident.c's rules, loaded from cfg->rules_dir until the daemon shares a set */
	struct rules *alert_rules;
	struct config *alert_rules_cfg; /* the config they came from (a reference) */
};

/* Release what processors cached in pc (call when the worker ends). */
void pipeline_ctx_fini(struct pipeline_ctx *pc);

int pipeline_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                     struct pipeline_result *res, struct tk_err *err);

#endif
