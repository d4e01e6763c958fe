/*
 * store.c: one libpq connection per thread, parameterised statements,
 * transactions, savepoints, error classification and the migrations.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrations.h"
#include "store.h"
#include "xalloc.h"

#define STORE_MAX_PARAMS 64
#define STORE_MIGRATE_LOCK "7253001"

#define STORE_CACHE_SLOTS 16

#define STORE_PREPARED_MAX 256

/* A statement prepared on this connection, by the text of its SQL. */
struct store_prepared {
	uint64_t hash;
	char *sql;
};

/*
 * Whether connections opened from now on prepare their parameterised
 * statements (the process's store context, set once before the threads
 * start; off behind a PgBouncer in transaction mode older than 1.21).
 */
static atomic_bool store_prepare_default = true;

struct store {
	PGconn *conn;
	char *dsn;
	char sqlstate[6];
	bool prepare;
	struct store_prepared prepared[STORE_PREPARED_MAX];
	int n_prepared;
	/* Small per-connection cache of immutable name -> id pairs (tenants). */
	struct { char *name; int64_t id; } cache[STORE_CACHE_SLOTS];
};

static void
store_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* NOTICEs (e.g. IF NOT EXISTS) are not worth a log line */
}

static void
store_forget_prepared(struct store *st)
{
	for (int i = 0; i < st->n_prepared; i++)
		xfree(&st->prepared[i].sql);
	st->n_prepared = 0;
}

void
store_set_prepare_default(bool on)
{
	atomic_store(&store_prepare_default, on);
}

/*
 * What libpq said, as it said it (quotes, its newlines between the message
 * and the hint), without the final newline: the terminal shows it as
 * written and log.c escapes it once.
 */
static void
store_said(char *dst, size_t len, const char *said)
{
	size_t n;

	snprintf(dst, len, "%s", said ? said : "");
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' ' || dst[n - 1] == '\t'))
		dst[--n] = '\0';
}

static int
store_connect(struct store *st, struct tk_err *err)
{
	char said[TK_ERR_MAX];

	store_forget_prepared(st); /* they died with the old session */

	if (st->conn)
		PQfinish(st->conn);
	st->conn = PQconnectdb(st->dsn);
	if (st->conn == NULL)
		return tk_err_temp(err, "database: out of memory connecting");
	if (PQstatus(st->conn) != CONNECTION_OK) {
		store_said(said, sizeof(said), PQerrorMessage(st->conn));
		PQfinish(st->conn);
		st->conn = NULL;
		return tk_err_temp(err, "database: cannot connect: %s", said);
	}
	PQsetNoticeProcessor(st->conn, store_notice, NULL);
	return 0;
}

int
store_open(const char *dsn, struct store **st_r, struct tk_err *err)
{
	struct store *st = xnew(struct store);

	*st_r = NULL;
	if (dsn == NULL) {
		free(st);
		return tk_err_set(err, "database: no DSN configured");
	}
	st->dsn = xstrdup(dsn);
	st->prepare = atomic_load(&store_prepare_default);
	if (store_connect(st, err) < 0) {
		store_close(&st);
		return -1;
	}
	*st_r = st;
	return 0;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	if (st->conn)
		PQfinish(st->conn);
	for (int i = 0; i < STORE_CACHE_SLOTS; i++)
		xfree(&st->cache[i].name);
	store_forget_prepared(st);
	xfree(&st->dsn);
	xfree(stp);
}

int
store_recycle(struct store *st, struct tk_err *err)
{
	return store_connect(st, err);
}

int
store_check(struct store *st, struct tk_err *err)
{
	if (st->conn && PQstatus(st->conn) == CONNECTION_OK)
		return 0;
	return store_connect(st, err);
}

PGconn *
store_conn(struct store *st)
{
	return st->conn;
}

const char *
store_sqlstate(const struct store *st)
{
	return st->sqlstate;
}

static bool
sqlstate_temporary(const char *s)
{
	return strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 || strncmp(s, "57P", 3) == 0 ||
	       strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0;
}

/* Turn a result into 0 or -1 with err; consumes res unless handed to res_r. */
static int
store_result(struct store *st, PGresult *res, PGresult **res_r, struct tk_err *err)
{
	ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state;
	char msg[440];

	if (res_r)
		*res_r = NULL;
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		st->sqlstate[0] = '\0';
		if (res_r)
			*res_r = res;
		else
			PQclear(res);
		return 0;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(st->sqlstate, sizeof(st->sqlstate), "%s", state ? state : "08000");
	store_said(msg, sizeof(msg), res ? PQresultErrorMessage(res) : PQerrorMessage(st->conn));
	PQclear(res);
	if (PQstatus(st->conn) != CONNECTION_OK || sqlstate_temporary(st->sqlstate))
		return tk_err_temp(err, "database: %s (SQLSTATE %s)", msg, st->sqlstate);
	return tk_err_set(err, "database: %s (SQLSTATE %s)", msg, st->sqlstate);
}

/* FNV-1a over the SQL text. */
static uint64_t
sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *c = (const unsigned char *)sql; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return h;
}

/*
 * The index of sql among this connection's prepared statements, preparing
 * it on first use (planned once, not on every call). -1 when the cache is
 * full (run unprepared), -2 when PREPARE failed (err set).
 */
static int
store_prepare(struct store *st, const char *sql, int n, struct tk_err *err)
{
	uint64_t h = sql_hash(sql);
	char name[16];
	int i;

	for (i = 0; i < st->n_prepared; i++)
		if (st->prepared[i].hash == h && strcmp(st->prepared[i].sql, sql) == 0)
			return i;
	if (st->n_prepared == STORE_PREPARED_MAX)
		return -1;
	snprintf(name, sizeof(name), "tk%d", i);
	if (store_result(st, PQprepare(st->conn, name, sql, n, NULL), NULL, err) < 0)
		return -2;
	st->prepared[i].hash = h;
	st->prepared[i].sql = xstrdup(sql);
	st->n_prepared++;
	return i;
}

static int
exec_params(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql, int n,
            const char *const *values, const int *lengths, const int *formats, int result_format)
{
	if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK) {
		snprintf(st->sqlstate, sizeof(st->sqlstate), "08003");
		if (res_r)
			*res_r = NULL;
		return tk_err_temp(err, "database: not connected");
	}
	if (st->prepare && n > 0 &&
	    strncmp(sql, STORE_CUSTOM_PLAN, sizeof(STORE_CUSTOM_PLAN) - 1) != 0) {
		int idx = store_prepare(st, sql, n, err);

		if (idx == -2)
			return -1;
		if (idx >= 0) {
			char name[16];

			snprintf(name, sizeof(name), "tk%d", idx);
			return store_result(st, PQexecPrepared(st->conn, name, n, values, lengths, formats,
			                                       result_format), res_r, err);
		}
	}
	return store_result(st, PQexecParams(st->conn, sql, n, NULL, values, lengths, formats,
	                                     result_format), res_r, err);
}

int
store_execv(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql, int n,
            const char *const *values, const int *lengths, const int *formats)
{
	return exec_params(st, res_r, err, sql, n, values, lengths, formats, 0);
}

int
store_exec_binary(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql,
                  const char *param)
{
	return exec_params(st, res_r, err, sql, 1, &param, NULL, NULL, 1);
}

int
store_exec(struct store *st, PGresult **res_r, struct tk_err *err, const char *sql, int n, ...)
{
	const char *values[STORE_MAX_PARAMS];
	va_list ap;

	if (n > STORE_MAX_PARAMS)
		return tk_err_set(err, "database: too many parameters (%d)", n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		values[i] = va_arg(ap, const char *);
	va_end(ap);
	return store_execv(st, res_r, err, sql, n, values, NULL, NULL);
}

int
store_script(struct store *st, const char *sql, struct tk_err *err)
{
	if (st->conn == NULL)
		return tk_err_temp(err, "database: not connected");
	return store_result(st, PQexec(st->conn, sql), NULL, err);
}

int
store_begin(struct store *st, struct tk_err *err)
{
	return store_exec(st, NULL, err, "BEGIN", 0);
}

int
store_commit(struct store *st, struct tk_err *err)
{
	return store_exec(st, NULL, err, "COMMIT", 0);
}

void
store_rollback(struct store *st)
{
	if (st->conn && PQstatus(st->conn) == CONNECTION_OK &&
	    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		PQclear(PQexec(st->conn, "ROLLBACK"));
}

int
store_savepoint(struct store *st, struct tk_err *err)
{
	return store_exec(st, NULL, err, "SAVEPOINT tk_item", 0);
}

int
store_release(struct store *st, struct tk_err *err)
{
	return store_exec(st, NULL, err, "RELEASE SAVEPOINT tk_item", 0);
}

void
store_rollback_to(struct store *st)
{
	if (st->conn && PQstatus(st->conn) == CONNECTION_OK)
		PQclear(PQexec(st->conn, "ROLLBACK TO SAVEPOINT tk_item"));
}

static int
migrate_one(struct store *st, const struct migration *m, struct tk_err *err)
{
	char ver[16];

	snprintf(ver, sizeof(ver), "%d", m->version);
	if (store_script(st, m->sql, err) < 0) {
		tk_err_prefix(err, "migration %s", m->name);
		return -1;
	}
	if (store_exec(st, NULL, err, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
	               2, ver, m->name) < 0)
		return -1;
	log_info("store: applied migration %s", m->name);
	return 0;
}

int
store_migrate(struct store *st, int *applied_r, struct tk_err *err)
{
	PGresult *res = NULL;
	int applied = 0;

	if (applied_r)
		*applied_r = 0;
	if (store_begin(st, err) < 0)
		return -1;
	if (store_exec(st, NULL, err, "SELECT pg_advisory_xact_lock(" STORE_MIGRATE_LOCK ")", 0) < 0 ||
	    store_exec(st, NULL, err,
	               "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
	               "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", 0) < 0 ||
	    store_exec(st, &res, err, "SELECT version FROM schema_migrations", 0) < 0)
		goto fail;
	/* Apply every migration not recorded, in version order (not just those
	 * above the highest: branches may add numbers out of order). */
	for (const struct migration *m = migrations; m->name; m++) {
		bool done = false;

		for (int r = 0; r < PQntuples(res) && !done; r++)
			done = store_int(res, r, 0) == m->version;
		if (done)
			continue;
		if (migrate_one(st, m, err) < 0)
			goto fail;
		applied++;
	}
	PQclear(res);
	res = NULL;
	if (store_commit(st, err) < 0)
		goto fail;
	if (applied_r)
		*applied_r = applied;
	return 0;
fail:
	PQclear(res);
	store_rollback(st);
	return -1;
}

int
store_cache_get(struct store *st, const char *name, int64_t *id_r)
{
	for (int i = 0; i < STORE_CACHE_SLOTS && st->cache[i].name; i++) {
		if (strcmp(st->cache[i].name, name) == 0) {
			*id_r = st->cache[i].id;
			return 1;
		}
	}
	return 0;
}

void
store_cache_put(struct store *st, const char *name, int64_t id)
{
	int i;

	for (i = 0; i < STORE_CACHE_SLOTS - 1 && st->cache[i].name; i++)
		;
	xfree(&st->cache[i].name); /* full: the last slot is recycled */
	st->cache[i].name = xstrdup(name);
	st->cache[i].id = id;
}

const char *
store_val(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int64_t
store_int(const PGresult *res, int row, int col)
{
	const char *v = store_val(res, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}
