/*
 * lifecycle.h: the ticket lifecycle in one place: statuses, the allowed
 * transitions (a table), the timestamp column each status stamps, and the
 * priorities. Pure: store_ticket.c applies it inside a transaction.
 *
 *   new -> open -> in_progress -> pending -> resolved -> closed
 *   resolved/closed -> reopened -> (open, in_progress, pending, resolved, closed)
 */
#ifndef TK_LIFECYCLE_H
#define TK_LIFECYCLE_H

#include <stdbool.h>

enum lc_status {
	LC_NEW, LC_OPEN, LC_IN_PROGRESS, LC_PENDING, LC_RESOLVED, LC_CLOSED, LC_REOPENED,
	LC_STATUS_COUNT
};

/* "new", "open", ... Static strings. */
const char *lc_status_name(enum lc_status s);
/* 0 and *s_r set, or -1 when name is not a status. */
int lc_status_parse(const char *name, enum lc_status *s_r);
/* Whether from -> to is allowed (a status never transitions to itself). */
bool lc_allowed(enum lc_status from, enum lc_status to);
/* The tickets column stamped on entering s ("opened_at", ...), static. */
const char *lc_stamp_column(enum lc_status s);
/* Whether a ticket in s counts as open work (not resolved/closed). */
bool lc_is_open(enum lc_status s);
/* low, medium, high, critical (the stored names only). */
bool lc_priority_ok(const char *p);

/*
 * One vocabulary for people, wherever they type it (ticketctl set, routing
 * rules, email commands, SLA policy matches, mailbox defaults): the stored
 * name for a word, case-insensitive, with the aliases normal (medium),
 * urgent (critical) and in-progress (in_progress); NULL when the word is
 * none of them. Static strings.
 */
const char *lc_priority_canonical(const char *word);
const char *lc_status_canonical(const char *word);
/* The words lc_priority_canonical and lc_status_canonical accept, for messages. */
#define LC_PRIORITY_WORDS "low, medium (or normal), high, critical (or urgent)"
#define LC_STATUS_WORDS "open, in_progress (or in-progress), pending, resolved, closed, reopened"
/*
 * The status a person asking for `want` (canonical) means for a ticket now
 * in `from`: "open" on a resolved or closed ticket is "reopened". Static.
 */
const char *lc_status_requested(const char *want, const char *from);

/* Skill levels, for agents (agents[].skills) and rules (assign: min_level) alike. */
#define LC_SKILL_MIN 1
#define LC_SKILL_MAX 5
/* Comma-separated list of statuses to which s may move (static buffer per call site not needed: writes to buf). */
void lc_allowed_list(enum lc_status s, char *buf, unsigned len);

#endif
