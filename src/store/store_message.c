/*
 * store_message.c: message, attachment and participant rows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_message.h"
#include "xalloc.h"

char *
store_text_array(const char *const *v, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	(void)buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL) {   /* SQL NULL (the escalator's calendar of a ticket without policy) */
			(void)buf_puts(&b, i ? ",NULL" : "NULL");
			continue;
		}
		(void)buf_puts(&b, i ? ",\"" : "\"");
		for (const char *c = v[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				(void)buf_putc(&b, '\\');
			(void)buf_putc(&b, *c);
		}
		(void)buf_putc(&b, '"');
	}
	(void)buf_putc(&b, '}');
	return buf_steal(&b, NULL);
}

int
store_message_insert(struct store *st, const struct message_new *m, int64_t *id_r,
                     struct tk_err *err)
{
	char tid[24], iid[24];
	char *refs = store_text_array(m->refs, m->n_refs);
	PGresult *res = NULL;
	int rc;

	snprintf(tid, sizeof(tid), "%" PRId64, m->ticket_id);
	snprintf(iid, sizeof(iid), "%" PRId64, m->inbound_id);
	rc = store_exec(st, &res, err,
	                "INSERT INTO messages (ticket_id, direction, visibility, author, agent_id, "
	                "message_id, in_reply_to, refs, subject, headers, body_text, visible_text, "
	                "inbound_id, parse_warning, content_sha256, reused_message_id) "
	                "VALUES ($1, $2, coalesce($3, 'public'), $4, "
	                "(SELECT id FROM agents WHERE name = $5), $6, $7, $8::text[], $9, "
	                "coalesce($10, '[]')::jsonb, coalesce($11, ''), $12, "
	                "nullif($13::bigint, 0), $14, $15, $16) RETURNING id",
	                16, tid, m->direction, m->visibility, m->author, m->agent, m->message_id,
	                m->in_reply_to, refs, m->subject, m->headers_json, m->body_text,
	                m->visible_text, iid, m->parse_warning, m->content_sha256,
	                m->reused_message_id);
	free(refs);
	if (rc < 0)
		return -1;
	*id_r = store_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int
store_message_seen(struct store *st, const char *message_id, const char *content_sha256,
                   int64_t *ticket_id_r, struct tk_err *err)
{
	PGresult *res = NULL;
	int found;

	if (message_id == NULL || *message_id == '\0')
		return 0;
	if (store_exec(st, &res, err, "SELECT ticket_id, content_sha256 IS NULL OR content_sha256 = $2 "
	               "FROM messages WHERE message_id = $1 UNION ALL "
	               "SELECT ticket_id, content_sha256 = $2 FROM messages "
	               "WHERE reused_message_id = $1 ORDER BY 2 DESC LIMIT 1", 2, message_id,
	               content_sha256) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		*ticket_id_r = store_int(res, 0, 0);
		found = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 1 : 2;
	}
	PQclear(res);
	return found;
}

int
store_attachment_insert(struct store *st, const struct attachment_new *a, int64_t *id_r,
                        struct tk_err *err)
{
	char mid[24], size[24];
	const char *bv[3];
	int bl[3] = { 0 }, bf[3] = { 0 };
	PGresult *res = NULL;

	snprintf(mid, sizeof(mid), "%" PRId64, a->message_id);
	snprintf(size, sizeof(size), "%zu", a->size);
	if (a->store_body) {
		bv[0] = a->sha256;
		bv[1] = size;
		bv[2] = a->data ? a->data : "";
		bl[2] = (int)a->size;
		bf[2] = 1;
		if (store_execv(st, NULL, err,
		                "INSERT INTO blobs (sha256, size, data) VALUES ($1, $2::bigint, $3) "
		                "ON CONFLICT (sha256) DO NOTHING", 3, bv, bl, bf) < 0)
			return -1;
	}
	if (store_exec(st, &res, err,
	               "INSERT INTO attachments (message_id, filename, content_type, size, sha256, "
	               "disposition, content_id, scan_status, scan_detail, stored) VALUES ($1, $2, "
	               "coalesce($3, 'application/octet-stream'), $4::bigint, $5, $6, $7, "
	               "coalesce($8, 'unscanned'), $9, $10::boolean) RETURNING id",
	               10, mid, a->filename, a->content_type, size, a->sha256, a->disposition,
	               a->content_id, a->scan_status, a->scan_detail,
	               a->store_body ? "true" : "false") < 0)
		return -1;
	if (id_r)
		*id_r = store_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int
store_participant_add(struct store *st, int64_t ticket_id, const char *address, const char *role,
                      struct tk_err *err)
{
	char tid[24];

	if (address == NULL || *address == '\0')
		return 0;
	snprintf(tid, sizeof(tid), "%" PRId64, ticket_id);
	return store_exec(st, NULL, err,
	                  "INSERT INTO ticket_participants (ticket_id, address, role) "
	                  "VALUES ($1, lower($2), $3) ON CONFLICT DO NOTHING",
	                  3, tid, address, role);
}
