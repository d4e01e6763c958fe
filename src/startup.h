/*
 * startup.h: the start-up steps shared by `ticketd`, `ticketd -t` and
 * SIGHUP: load and check the config (and the rules it names), install it
 * in the daemon context, and bring the database up to date.
 */
#ifndef TK_STARTUP_H
#define TK_STARTUP_H

#include <signal.h>

#include "err.h"

struct config;
struct daemon;

/* Load the config at path and everything it refers to; errors into errs. */
int startup_load(const char *path, struct config **cfg_r, struct tk_errlist *errs);
/* Install cfg (takes the caller's reference) in d. */
void startup_apply(struct daemon *d, struct config *cfg);
/*
 * Connect (retrying with backoff while the database is unreachable, until
 * a signal in sigs asks to stop), migrate under the advisory lock and sync
 * agents and sources from the config. -1 when stopped or on a hard error.
 */
int startup_database(struct daemon *d, const sigset_t *sigs);

#endif
