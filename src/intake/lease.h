/*
 * lease.h: mailbox ownership across daemons sharing one database: a row
 * in mailbox_leases that its holder renews before it expires; another
 * daemon takes it over once it has expired. Plain rows and statements, so
 * it works behind PgBouncer's transaction pooling (unlike session
 * advisory locks).
 */
#ifndef TK_LEASE_H
#define TK_LEASE_H

#include <stdint.h>

#include "err.h"
#include "store.h"

/* Take or renew the lease. 1 held, 0 held by another daemon, -1 error. */
int lease_acquire(struct store *st, const char *mailbox, const char *holder, int64_t ttl_ms,
                  struct tk_err *err) __attribute__((warn_unused_result));
/* Give the lease up (only if we hold it). */
int lease_release(struct store *st, const char *mailbox, const char *holder, struct tk_err *err);

#endif
