/*
 * agentcmd.h: commands an agent writes at the top of an email reply:
 *
 *   #status resolved      (open, in_progress, pending, resolved, closed, reopened)
 *   #assign alice         (a user name: letters, digits, . _ - @, <= 64 bytes)
 *   #priority high        (low, medium, high, critical)
 *
 * The values are those of ticketctl set and the routing rules (one
 * vocabulary, lifecycle.h); aliases are stored in canonical form:
 * in-progress -> in_progress, normal -> medium, urgent -> critical.
 *   #note                 (the reply becomes an internal note)
 *   #ack                  (acknowledge: stops the ticket's SLA escalation)
 *   #available, #busy, #away, #offline   (the sender's own state, agent.h;
 *                         all but #available may add "until TIME")
 *
 * Commands count only on their own lines at the top of the visible text
 * (blank lines between them are fine); the first other line, and any
 * quoted ">" line, ends them. Names and values are case-insensitive; an
 * optional ':' may follow the name. Pure parsing: applying the commands and
 * checking that a user exists is the caller's job.
 */
#ifndef TK_AGENTCMD_H
#define TK_AGENTCMD_H

#include <stddef.h>

#include "err.h"

enum agentcmd_kind {
	AGENTCMD_STATUS,
	AGENTCMD_ASSIGN,
	AGENTCMD_PRIORITY,
	AGENTCMD_NOTE,
	AGENTCMD_ACK,
	AGENTCMD_STATE,
};

struct agentcmd {
	enum agentcmd_kind kind;
	char *arg;   /* lower-cased value (canonical for status/priority; the state for
	              * #available...#offline); NULL for #note and #ack */
	int line;    /* 1-based line in the visible text */
	char *until; /* #busy/#away/#offline until TIME: the time as written, lower-cased; or NULL */
};

struct agentcmd_list {
	struct agentcmd *cmds;   /* the valid commands, in order */
	size_t n;
	struct tk_errlist errs;  /* "reply:LINE:COL: message" for each invalid one */
	char *text;              /* the visible text without the command lines */
};

/*
 * Parse visible (NULL means ""). Always fills *list (free it with
 * agentcmd_list_fini()); returns 0 when every command line was valid, -1
 * when list->errs holds at least one error (unknown command, bad or missing
 * value, a command given twice). Invalid command lines are removed from
 * list->text too.
 */
int agentcmd_parse(const char *visible, struct agentcmd_list *list);

void agentcmd_list_fini(struct agentcmd_list *list);

/* "status", "assign", "priority", "note", "ack", "available" (the first name of a kind). */
const char *agentcmd_name(enum agentcmd_kind kind);

#endif
