/*
 * lease.c: mailbox leases (see lease.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "lease.h"

int
lease_acquire(struct store *st, const char *mailbox, const char *holder, int64_t ttl_ms,
              struct tk_err *err)
{
	char ttl[24];
	PGresult *res = NULL;
	int held;

	snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
	if (store_exec(st, &res, err,
	               "INSERT INTO mailbox_leases (mailbox, holder, expires_at) "
	               "VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond') "
	               "ON CONFLICT (mailbox) DO UPDATE SET holder = $2, renewed_at = now(), "
	               "expires_at = now() + $3::bigint * interval '1 millisecond' "
	               "WHERE mailbox_leases.holder = $2 OR mailbox_leases.expires_at < now() "
	               "RETURNING holder",
	               3, mailbox, holder, ttl) < 0)
		return -1;
	held = PQntuples(res) == 1;
	PQclear(res);
	return held;
}

int
lease_release(struct store *st, const char *mailbox, const char *holder, struct tk_err *err)
{
	return store_exec(st, NULL, err,
	                  "DELETE FROM mailbox_leases WHERE mailbox = $1 AND holder = $2",
	                  2, mailbox, holder);
}
