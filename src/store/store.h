/*
 * store.h: PostgreSQL access through libpq. One struct store is one
 * connection, owned by exactly one thread. SQL is always parameterised.
 *
 * Errors: -1 with err filled; err->temporary is set when the connection
 * is gone or PostgreSQL said the failure is transient (class 08, 53, 57P,
 * serialization failure, deadlock), so the caller retries later.
 */
#ifndef TK_STORE_H
#define TK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "err.h"

struct store;

/* Connect. On failure *st_r is NULL and err is temporary. */
int store_open(const char *dsn, struct store **st_r, struct tk_err *err)
	__attribute__((warn_unused_result));
void store_close(struct store **st);
/*
 * Whether connections opened from now on prepare their parameterised
 * statements (default on: each is planned once per connection). Set once,
 * before threads start; turn it off behind PgBouncer in transaction pooling
 * mode older than 1.21, which cannot carry named prepared statements.
 */
void store_set_prepare_default(bool on);
/*
 * Close the connection and open a new one (outside a transaction). libpq
 * grows its input and output buffers to the largest message it moved and
 * never shrinks them: after a large value, this gives that memory back.
 */
#define STORE_RECYCLE_BYTES (4 * 1024 * 1024)
int store_recycle(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
/* Reconnect when the connection was lost; 0 when usable. */
int store_check(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
PGconn *store_conn(struct store *st);
/* SQLSTATE of the last failed statement ("" if none). Borrowed. */
const char *store_sqlstate(const struct store *st);

/*
 * Run sql with n text parameters given as const char * varargs (NULL is
 * SQL NULL). When res_r is non-NULL the result (tuples or command status)
 * is handed to the caller, who PQclear()s it.
 */
int store_exec(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql, int n, ...)
	__attribute__((warn_unused_result));
/*
 * Put first in a statement whose best plan depends on its arguments and on
 * the tables' size now (lookups by an array of keys): it is planned on every
 * call and never prepared. A prepared statement's generic plan is kept for
 * the connection's life; made while a table was small (a fresh database),
 * it scans that table whole long after it has grown.
 */
#define STORE_CUSTOM_PLAN "/* custom plan */ "
/* Same with explicit arrays: lengths/formats as for PQexecParams (binary allowed). */
int store_execv(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql, int n,
                const char *const *values, const int *lengths, const int *formats)
	__attribute__((warn_unused_result));
/*
 * Run sql with one text parameter and take the result in binary (bytea as
 * its bytes, no hex text twice the size to unescape; int8 as 8 bytes in
 * network order). res_r must be non-NULL.
 */
int store_exec_binary(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql,
                      const char *param) __attribute__((warn_unused_result));
/* Run a multi-statement script without parameters (migrations). */
int store_script(struct store *st, const char *sql, struct tk_err *err)
	__attribute__((warn_unused_result));

int store_begin(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
int store_commit(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
/* Roll back whatever is open; never fails (a lost connection rolls back by itself). */
void store_rollback(struct store *st);
int store_savepoint(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
int store_release(struct store *st, struct tk_err *err) __attribute__((warn_unused_result));
void store_rollback_to(struct store *st);

/*
 * Apply the embedded migrations that have not run, in one transaction under
 * pg_advisory_xact_lock (safe behind PgBouncer); records each in
 * schema_migrations. *applied_r (may be NULL) gets the number applied.
 */
int store_migrate(struct store *st, int *applied_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * A per-connection cache of names that map to ids that never change (the
 * tenants): 1 and *id_r when cached, else 0.
 */
int store_cache_get(struct store *st, const char *name, int64_t *id_r);
void store_cache_put(struct store *st, const char *name, int64_t id);

/* Helpers for results: value or NULL for SQL NULL; int64 parse (0 on NULL). */
const char *store_val(const PGresult *res, int row, int col);
int64_t store_int(const PGresult *res, int row, int col);

#endif
