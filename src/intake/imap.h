/*
 * imap.h: IMAP intake. One thread per configured IMAP mailbox polls its
 * folder while it holds the mailbox's lease, stages each new message in
 * the inbound table (dedup key "UIDVALIDITY:UID"), and only after the
 * commit moves it to move_to (or flags it \Seen). See doc/imap.md.
 */
#ifndef TK_IMAP_H
#define TK_IMAP_H

struct daemon;

/*
 * The intake thread body for mailbox (a name in the config): runs until
 * daemon_stopping(d), reconnecting with exponential backoff, then releases
 * the lease. Everything it cannot do is logged; it never returns early.
 */
void imap_run(struct daemon *d, const char *mailbox);

#endif
