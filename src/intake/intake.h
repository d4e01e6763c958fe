/*
 * intake.h: the intake threads of the daemon: one per Maildir or IMAP
 * mailbox of the config at start, and the LMTP listeners (lmtp.h). Each holds its mailbox's lease while it
 * polls, stages raw mail in the inbound table and acknowledges the source
 * (moves the file, moves or flags the IMAP message) only after the commit.
 *
 * Mailboxes added or removed by a SIGHUP reload take effect at the next
 * restart (reload says so in the log).
 */
#ifndef TK_INTAKE_H
#define TK_INTAKE_H

#include <time.h>

#include "err.h"

struct config;
struct daemon;
struct intake;

/*
 * Bind what listens (the LMTP mailboxes' sockets), before the daemon drops
 * its privileges. *in_r is set even on failure (intake_stop() frees it).
 */
int intake_bind(struct daemon *d, const struct config *cfg, struct intake **in_r,
                struct tk_err *err);
/* Start the threads of in (from intake_bind()) for cfg's mailboxes. */
int intake_start(struct daemon *d, const struct config *cfg, struct intake *in,
                 struct tk_err *err);
/* Stop and join the threads, waiting until deadline (CLOCK_REALTIME). -1 if some were late. */
int intake_stop(struct intake **in, const struct timespec *deadline);

#endif
