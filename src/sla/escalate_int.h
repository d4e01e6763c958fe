/*
 * escalate_int.h: shared by the escalator's files (escalate.c: the thread
 * and its waits; escalate_ticket.c: clocks, warnings and breaches;
 * escalate_timer.c: chain levels and auto-close; escalate_notify.c: who
 * hears of what, and the mail and Slack messages). Not for other
 * subsystems: they see escalate.h.
 *
 * Every function runs inside the transaction of one tick, opened and
 * committed by its caller, so a step's records and the outbox rows of its
 * notifications commit together or not at all.
 */
#ifndef TK_ESCALATE_INT_H
#define TK_ESCALATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sla_config.h"
#include "store.h"

struct config;
struct daemon;
struct metrics;

/* One tick's context. */
struct esc {
	struct daemon *daemon;         /* NULL in tools and tests */
	const struct config *cfg;      /* the snapshot of this tick */
	struct store *st;
	struct metrics *metrics;       /* NULL: none */
	const char *instance;
	int64_t now;                   /* the database's now() for this tick, Unix seconds */
	double now_f;                  /* the same, with fractions */
	struct esc_out *out;           /* notifications collected during the tick */
};

/* Something to tell someone about a ticket. */
struct esc_note {
	int64_t ticket_id;
	enum sla_event ev;
	int clock;                     /* enum sla_clock_kind, or -1 */
	int permille;                  /* warnings: the share of the target */
	int level, round;              /* escalations: 0-based level, repeat round */
	int64_t due_at;                /* the deadline concerned, 0: none */
	double late_s;                 /* how long after its time the step fired */
	char key[128];                 /* unique per event: the base of idempotency keys */
	char detail[160];              /* e.g. "open -> pending" for status events */
};

/* escalate_notify.c */
struct esc_out *esc_out_new(void);
void esc_out_free(struct esc_out **o);
/* Drop what was collected (the tick rolled back). */
void esc_out_reset(struct esc_out *o);
/*
 * Resolve targets for the ticket (queue: its queue, for "team" and "lead"
 * and the unassigned assignee) and collect one notification per recipient.
 * Agents who are not available are left out and the skip is recorded as a
 * ticket event. *reached_r (may be NULL) gets how many recipients remain.
 */
int esc_notify(struct esc *e, const struct esc_note *n, const struct sla_targets *ts,
               const char *queue, size_t *reached_r, struct tk_err *err)
	__attribute__((warn_unused_result));
/*
 * Write the collected notifications to the outbox: one message per note
 * and recipient, except that a recipient with several notes that fired
 * late (more than sla.digest_after) gets them in one digest.
 */
int esc_flush(struct esc *e, struct tk_err *err) __attribute__((warn_unused_result));

/* escalate_ticket.c */
/* Claim tickets whose clocks need a look, recompute them, fire due steps. */
int esc_tickets_tick(struct esc *e, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* escalate_assign.c */
/*
 * Assign the due tickets of the most urgent queue (one claim under its
 * team's lock); *n_r gets how many were claimed (assigned, waiting, or left
 * to nobody when the queue assigns none).
 */
int esc_assign_tick(struct esc *e, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Make every waiting ticket due again (the configuration changed: teams, modes). Autocommit. */
int esc_assign_wake(struct esc *e, struct tk_err *err) __attribute__((warn_unused_result));

/* escalate_timer.c */
/* Claim due timers (chain levels, auto-close) and run them. */
int esc_timers_tick(struct esc *e, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Start chain ch for the ticket's clock (cycle) at instant start: its first level's timer. */
int esc_chain_start(struct esc *e, int64_t ticket_id, const struct sla_chain *ch,
                    const char *clock, int cycle, int64_t start, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Cancel the ticket's pending timers of kind (and clock, for escalations; NULL: all). */
int esc_timers_cancel(struct esc *e, int64_t ticket_id, const char *kind, const char *clock,
                      const char *why, struct tk_err *err) __attribute__((warn_unused_result));
/* Schedule the auto-close of a ticket resolved at resolved_at (idempotent). */
int esc_autoclose_schedule(struct esc *e, int64_t ticket_id, int64_t resolved_at,
                           struct tk_err *err) __attribute__((warn_unused_result));

#endif
