/*
 * priv.h: run as the configured user. ticketd started as root (outside
 * systemd's User=, which the shipped unit sets) first does what needs
 * root: it reads its configuration and secrets, loads the ClamAV
 * signatures and binds its listeners (LMTP, webhooks). Then it drops to `user:`
 * for good, the way OpenSMTPD and chrony do, before it connects to
 * PostgreSQL or starts a thread. Without `user:` it refuses to run as
 * root; `user: root` says to stay root.
 */
#ifndef TK_PRIV_H
#define TK_PRIV_H

#include "err.h"

/*
 * Become user (the `user:` key, NULL when absent): its uid and gid (real,
 * effective and saved) and its supplementary groups, verifying that root
 * cannot be regained. Not root: nothing to do (a warning when user names
 * someone else). -1 with err when root and user is NULL, unknown, or the
 * switch failed.
 */
int priv_drop(const char *user, struct tk_err *err);

#endif
