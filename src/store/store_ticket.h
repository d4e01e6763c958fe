/*
 * store_ticket.h: tickets in PostgreSQL: create, change status (through the
 * lifecycle table), change priority or assignee, audit events.
 *
 * None of these opens or commits a transaction: the caller does, so a
 * ticket change, its audit event and the notifications it causes commit
 * together. Strings in struct ticket_new are borrowed for the call.
 */
#ifndef TK_STORE_TICKET_H
#define TK_STORE_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct ticket_new {
	const char *tenant;          /* name; created when missing */
	const char *subject;
	const char *priority;        /* NULL: medium */
	const char *category;
	const char *type;            /* incident or request (NULL: request) */
	const char *impact;
	const char *queue;           /* NULL: support */
	const char *assignee;        /* agent name or NULL */
	const char *skill;           /* required skill or NULL */
	int skill_level;
	const char *assign_mode;     /* a rule's assignment mode, or NULL: the queue's */
	const char *requester;       /* address */
	const char *source;          /* source name or NULL */
	const char *sla_policy;
	const char *const *tags;
	size_t n_tags;
	const char *alert_key;       /* incidents: source + fingerprint */
	const char *actor;           /* who creates it, for the audit event */
	const struct sla_start *sla; /* the SLA computed at creation, or NULL: the escalator's
	                              * first look computes it (store_ticket_open only) */
};

/* The tenant's id, creating the tenant when missing. */
int store_tenant_id(struct store *st, const char *name, int64_t *id_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* Insert a ticket in status new with its "created" event. */
int store_ticket_create(struct store *st, const struct ticket_new *tn, int64_t *id_r,
                        int64_t *number_r, struct tk_err *err) __attribute__((warn_unused_result));

struct message_new;
struct sla_start;
struct sla_start;

/*
 * Open a ticket with its first message in one statement: the ticket, its
 * "created" (and "assignee") events, the message, and the participants
 * (addrs[i] with roles[i]; duplicates ignored). mn->ticket_id is ignored.
 * *message_id_r (may be NULL) gets the message row id.
 */
int store_ticket_open(struct store *st, const struct ticket_new *tn, const struct message_new *mn,
                      const char *const *addrs, const char *const *roles, size_t n_addrs,
                      int64_t *id_r, int64_t *number_r, int64_t *message_id_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Find a ticket by "NUMBER" or "PREFIX-NUMBER" in the tenant. Returns 1 and
 * *id_r when found, 0 when not, -1 on error.
 */
int store_ticket_find(struct store *st, const char *tenant, const char *ref, int64_t *id_r,
                      struct tk_err *err) __attribute__((warn_unused_result));

/*
 * Move a ticket to status (locking its row): refused with a clear error when
 * the lifecycle table does not allow it; stamps the status's time column and
 * writes a status event. *changed_r (may be NULL) is 0 when already there.
 */
int store_ticket_set_status(struct store *st, int64_t id, const char *status, const char *actor,
                            const char *detail, int *changed_r, struct tk_err *err)
	__attribute__((warn_unused_result));
int store_ticket_set_priority(struct store *st, int64_t id, const char *priority,
                              const char *actor, struct tk_err *err)
	__attribute__((warn_unused_result));
/*
 * agent: an agent's name; "" or "none" to unassign; "auto" to unassign and
 * hand the ticket to automatic assignment (doc/agents.md). The "assignee"
 * event records actor (who) and why (may be NULL); the agent's
 * last_assigned_at is set.
 */
int store_ticket_set_assignee(struct store *st, int64_t id, const char *agent, const char *actor,
                              const char *why, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * An agent acknowledged the ticket (a public reply, a status change, #ack
 * by email, ticketctl ack, Slack's Acknowledge button): acked_at and
 * acked_by are set and every pending level of its escalation chains is
 * cancelled (the SLA escalator, doc/sla.md). An "ack" event is written when
 * explicit is set or when levels were cancelled. *cancelled_r (may be
 * NULL) gets how many levels were.
 */
int store_ticket_ack(struct store *st, int64_t id, const char *actor, const char *how,
                     bool explicit, int *cancelled_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* A customer wrote on the ticket (customer_replied_at; the SLA escalator tells the queue). */
int store_ticket_customer_replied(struct store *st, int64_t id, struct tk_err *err)
	__attribute__((warn_unused_result));

int store_ticket_event(struct store *st, int64_t id, const char *actor, const char *action,
                       const char *old_value, const char *new_value, const char *detail,
                       struct tk_err *err) __attribute__((warn_unused_result));

/*
 * The ticket's number as people see it ("TKT-1042"), for log lines, into
 * buf; "ticket id N" when it cannot be read (the caller's transaction may
 * have failed). Returns buf.
 */
const char *store_ticket_ref(struct store *st, int64_t id, char *buf, size_t len);

/* Upsert the configured agents (name, email, skills) into the agents table. */
struct config;
int store_sync_agents(struct store *st, const struct config *cfg, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
