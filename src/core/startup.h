/*
 * startup.h: the start-up steps shared by `ticketd`, `ticketd -t` and
 * SIGHUP: load and check the config (and the rules it names), check what
 * a start reads besides (startup_check), install it in the daemon
 * context, and bring the database up to date.
 */
#ifndef TK_STARTUP_H
#define TK_STARTUP_H

#include <signal.h>

#include "err.h"

struct config;
struct daemon;

struct rules;

/*
 * Load the config at path and the rules directory it names (*rules_r is
 * NULL when it names none); every error of both goes to errs.
 */
int startup_load(const char *path, struct config **cfg_r, struct rules **rules_r,
                 struct tk_errlist *errs);
/*
 * What a start checks beyond the config and rules, short of binding and
 * connecting (ticketd -t): the ClamAV signatures, the webhook server's TLS
 * files and the Slack signing secret are readable. Every failure goes to
 * errs as "CONFIG: message"; -1 if any.
 */
int startup_check(const struct config *cfg, struct tk_errlist *errs);
/* Install cfg and rules (takes over the caller's references) in d. */
void startup_apply(struct daemon *d, struct config *cfg, struct rules *rules);
/*
 * Connect (retrying with backoff while the database is unreachable, until
 * a signal in sigs asks to stop), migrate under the advisory lock and sync
 * agents and sources from the config. -1 when stopped or on a hard error.
 */
int startup_database(struct daemon *d, const sigset_t *sigs);

#endif
