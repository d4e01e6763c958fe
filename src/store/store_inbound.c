/*
 * store_inbound.c: staging raw intake items and replaying failed ones.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "store_inbound.h"

void
store_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int
store_inbound_stage(struct store *st, const struct inbound_stage *in, int64_t *id_r, bool *dup_r,
                    struct tk_err *err)
{
	char sha[65];
	const char *values[7];
	int lengths[7] = { 0 }, formats[7] = { 0 };
	PGresult *res = NULL;
	int rc = -1;

	*dup_r = false;
	store_sha256_hex(in->raw, in->raw_len, sha);
	values[0] = in->source;
	values[1] = in->kind;
	values[2] = in->raw;
	lengths[2] = (int)in->raw_len;
	formats[2] = 1;
	values[3] = sha;
	values[4] = in->dedup_key;
	values[5] = in->message_id;
	values[6] = in->meta ? in->meta : "{}";
	if (store_execv(st, &res, err,
	                "WITH ins AS (INSERT INTO inbound (source, kind, raw, raw_sha256, dedup_key, "
	                "message_id, meta) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) "
	                "ON CONFLICT (source, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING "
	                "RETURNING id) "
	                "SELECT id, false FROM ins UNION ALL "
	                "SELECT id, true FROM inbound WHERE source = $1 AND dedup_key = $5 "
	                "AND NOT EXISTS (SELECT 1 FROM ins)",
	                7, values, lengths, formats) < 0)
		return -1;
	if (PQntuples(res) < 1) {
		tk_err_temp(err, "inbound: staging raced with a concurrent delete; retry");
		goto out;
	}
	*id_r = store_int(res, 0, 0);
	*dup_r = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
store_inbound_stage_many(struct store *st, const struct inbound_stage *in, size_t n,
                         int *staged_r, struct tk_err *err)
{
	const char *values[STORE_INBOUND_BATCH * 7];
	int lengths[STORE_INBOUND_BATCH * 7] = { 0 }, formats[STORE_INBOUND_BATCH * 7] = { 0 };
	char sha[STORE_INBOUND_BATCH][65];
	struct buf sql;
	PGresult *res = NULL;
	int rc;

	*staged_r = 0;
	if (n == 0)
		return 0;
	if (n > STORE_INBOUND_BATCH)
		return tk_err_set(err, "inbound: batch of %zu is over %d", n, STORE_INBOUND_BATCH);
	buf_init(&sql, 0);
	(void)buf_puts(&sql, "INSERT INTO inbound (source, kind, raw, raw_sha256, dedup_key, "
	                     "message_id, meta) VALUES ");
	for (size_t i = 0; i < n; i++) {
		size_t b = i * 7;

		store_sha256_hex(in[i].raw, in[i].raw_len, sha[i]);
		values[b] = in[i].source;
		values[b + 1] = in[i].kind;
		values[b + 2] = in[i].raw;
		lengths[b + 2] = (int)in[i].raw_len;
		formats[b + 2] = 1;
		values[b + 3] = sha[i];
		values[b + 4] = in[i].dedup_key;
		values[b + 5] = in[i].message_id;
		values[b + 6] = in[i].meta ? in[i].meta : "{}";
		(void)buf_printf(&sql, "%s($%zu, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu::jsonb)",
		                 i ? ", " : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7);
	}
	(void)buf_puts(&sql, " ON CONFLICT (source, dedup_key) WHERE dedup_key IS NOT NULL "
	                     "DO NOTHING");
	rc = store_execv(st, &res, err, sql.data, (int)(n * 7), values, lengths, formats);
	buf_fini(&sql);
	if (rc < 0)
		return -1;
	*staged_r = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

int
store_inbound_refuse(struct store *st, const char *source, const char *dedup_key,
                     const char *why, const char *meta, struct tk_err *err)
{
	char sha[65];

	store_sha256_hex("", 0, sha);
	return store_exec(st, NULL, err,
	                  "INSERT INTO inbound (source, kind, state, raw, raw_sha256, dedup_key, meta, "
	                  "error_kind, last_error, processed_at) VALUES ($1, 'mail', 'failed', '', $2, "
	                  "$3, $4::jsonb, 'intake', $5, now()) "
	                  "ON CONFLICT (source, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
	                  5, source, sha, dedup_key, meta, why);
}

int
store_inbound_retry(struct store *st, int64_t id, bool force, int *n_r, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err,
	               "UPDATE inbound SET state = 'pending', attempts = 0, next_attempt_at = now(), "
	               "error_kind = NULL, last_error = CASE WHEN state = 'failed' THEN last_error END "
	               "WHERE (state = 'failed' OR ($2::boolean AND state IN ('dropped', 'done', "
	               "'quarantined'))) AND error_kind IS DISTINCT FROM 'intake' "
	               "AND ($1::bigint = 0 OR id = $1::bigint)",
	               2, sid, force ? "true" : "false") < 0)
		return -1;
	*n_r = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}
