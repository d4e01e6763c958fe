/*
 * maildir.h: Maildir intake. Picks up messages from new/ and cur/ of the
 * mailbox's Maildir, stages them (in batches, one transaction each), and
 * only after the commit moves each file into the processed Maildir's cur/.
 * The dedup key is the file's unique name (hex when it is not UTF-8), so a
 * crash between commit and move stages nothing twice: the next scan finds
 * the row and just moves.
 *
 * Entries are judged by lstat() and opened with O_NOFOLLOW | O_NONBLOCK,
 * then judged again by fstat(): only regular files are read (a symbolic
 * link is never followed, a FIFO never waited on). What can never be mail
 * (not a regular file, empty, over 64 MiB) is recorded as a failed inbound
 * item of kind "intake" and moved to path/.Failed/cur/.
 */
#ifndef TK_MAILDIR_H
#define TK_MAILDIR_H

#include "err.h"

struct config_mailbox;
struct daemon;
struct store;

/* Scan once; *staged_r gets the number of new rows. */
int maildir_scan_once(struct store *st, const struct config_mailbox *mb, int *staged_r,
                      struct tk_err *err) __attribute__((warn_unused_result));
/* Create path/{new,cur,tmp} if missing. */
int maildir_ensure(const char *path, struct tk_err *err);
/* Poll the named mailbox until the daemon stops (intake thread body). */
void maildir_run(struct daemon *d, const char *mailbox);

#endif
