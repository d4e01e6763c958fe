/*
 * attach.c: unpack, scan and store attachments (see attach.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "attach.h"
#include "log.h"
#include "config.h"
#include "daemon.h"
#include "metrics.h"
#include "mime.h"
#include "notice.h"
#include "pipeline.h"
#include "scan.h"
#include "store.h"
#include "store_inbound.h"
#include "store_message.h"
#include "store_ticket.h"
#include "tnef.h"

#define ATTACH_ACTOR "scanner"

/* One file to judge and store: a MIME part or a file out of a TNEF stream. */
struct attach_file {
	const char *filename, *content_type, *disposition, *content_id;
	const unsigned char *data;
	size_t size;
};

struct attach_run {
	struct pipeline_ctx *pc;
	int64_t ticket_id, message_id;
	const char *mid;                          /* the mail's Message-ID, for log lines */
	const struct scan_result *message_verdict; /* non-NULL: the whole message is too big */
	int held;
};

/* Tell the admin (scan.notify_channel) what was held back, through the outbox. */
static int
notify_held(struct attach_run *ar, int64_t attachment_id, const char *what, struct tk_err *err)
{
	const struct scan_config *sc = &ar->pc->cfg->scan;
	char key[64], subject[128];
	struct notice n = {
		.channel = sc->notify_channel, .recipient = sc->notify_recipient,
		.idempotency_key = key, .ticket_id = ar->ticket_id, .subject = subject, .text = what,
	};

	if (sc->notify_channel == NULL)
		return 0;
	snprintf(key, sizeof(key), "attachment-held:%" PRId64, attachment_id);
	snprintf(subject, sizeof(subject), "[ticketd] attachment held back on ticket id %" PRId64,
	         ar->ticket_id);
	return notice_enqueue(ar->pc->st, ar->pc->cfg, &n, NULL, err);
}

static int
quarantine(struct attach_run *ar, const struct attach_file *f, const char *sha,
           const struct scan_result *sr, struct tk_err *err)
{
	struct attachment_new an = {
		.message_id = ar->message_id, .filename = f->filename, .content_type = f->content_type,
		.disposition = f->disposition, .content_id = f->content_id, .data = f->data,
		.size = f->size, .sha256 = sha, .scan_status = scan_verdict_name(sr->verdict),
		.scan_detail = sr->detail, .store_body = false,
	};
	const char *values[5];
	int lengths[5] = { 0 }, formats[5] = { 0 };
	char aid[24], size[24], what[600], ref[64];
	int64_t id = 0;

	if (store_attachment_insert(ar->pc->st, &an, &id, err) < 0)
		return -1;
	snprintf(aid, sizeof(aid), "%" PRId64, id);
	snprintf(size, sizeof(size), "%zu", f->size);
	values[0] = aid;
	values[1] = sha;
	values[2] = size;
	values[3] = f->data ? (const char *)f->data : "";
	lengths[3] = (int)f->size;
	formats[3] = 1;
	values[4] = sr->detail;
	if (store_execv(ar->pc->st, NULL, err,
	                "INSERT INTO quarantine (attachment_id, sha256, size, data, reason) "
	                "VALUES ($1::bigint, $2, $3::bigint, $4, $5)", 5, values, lengths, formats) < 0)
		return -1;
	snprintf(what, sizeof(what), "attachment %" PRId64 " \"%s\" held back (%s): %s", id,
	         f->filename ? f->filename : "(no name)", scan_verdict_name(sr->verdict), sr->detail);
	log_warn("scan: %s: %s", store_ticket_ref(ar->pc->st, ar->ticket_id, ref, sizeof(ref)), what);
	ar->held++;
	if (store_ticket_event(ar->pc->st, ar->ticket_id, ATTACH_ACTOR, "attachment_held", NULL,
	                       scan_verdict_name(sr->verdict), what, err) < 0)
		return -1;
	return notify_held(ar, id, what, err);
}

static int
judge_and_store(struct attach_run *ar, const struct attach_file *f, struct tk_err *err)
{
	struct scan_result sr = { .verdict = SCAN_UNSCANNED };
	const struct scan_config *sc = ar->pc->scan ? scan_get_config(ar->pc->scan) : NULL;
	char sha[65], ref[64];
	struct attachment_new an = {
		.message_id = ar->message_id, .filename = f->filename, .content_type = f->content_type,
		.disposition = f->disposition, .content_id = f->content_id, .data = f->data,
		.size = f->size, .sha256 = sha, .store_body = true,
	};

	store_sha256_hex(f->data, f->size, sha);
	if (ar->message_verdict != NULL)
		sr = *ar->message_verdict;
	else if (ar->pc->scan != NULL && scan_check(ar->pc->scan, f->data, f->size, f->filename,
	                                            &sr, err) < 0)
		return -1;
	if (ar->pc->daemon != NULL && ar->pc->daemon->metrics != NULL)
		metrics_scan(ar->pc->daemon->metrics, scan_verdict_name(sr.verdict));
	switch (sr.verdict) {
	case SCAN_INFECTED:
	case SCAN_BLOCKED:
		return quarantine(ar, f, sha, &sr, err);
	case SCAN_ERROR:
		if (sc == NULL || sc->on_error == SCAN_ON_ERROR_QUARANTINE)
			return quarantine(ar, f, sha, &sr, err);
		log_warn("scan: %s: attachment \"%s\" stored unscanned after a scan error "
		         "(on_error: accept): %s", store_ticket_ref(ar->pc->st, ar->ticket_id, ref,
		                                                    sizeof(ref)),
		         f->filename ? f->filename : "(no name)", sr.detail);
		break;
	case SCAN_CLEAN:
	case SCAN_UNSCANNED:
		break;
	}
	an.scan_status = scan_verdict_name(sr.verdict);
	an.scan_detail = sr.detail[0] ? sr.detail : NULL;
	return store_attachment_insert(ar->pc->st, &an, NULL, err);
}

static bool
is_tnef(const struct mime_attachment *a)
{
	return (a->content_type && (strcasecmp(a->content_type, "application/ms-tnef") == 0 ||
	                            strcasecmp(a->content_type, "application/vnd.ms-tnef") == 0)) ||
	       (a->filename && strcasecmp(a->filename, "winmail.dat") == 0 &&
	        tnef_is_tnef(a->data, a->size));
}

/* Unpack a TNEF part into its files; stored as is (and said so) when that fails. */
static int
store_tnef(struct attach_run *ar, const struct mime_attachment *a, struct tk_err *err)
{
	struct tnef_files tf = { 0 };
	struct tk_err terr = { 0 };
	int rc = 0;

	if (tnef_unpack(a->data, a->size, &tf, &terr) < 0 || tf.n == 0) {
		struct attach_file f = { a->filename, a->content_type, a->disposition, a->content_id,
		                         a->data, a->size };

		tnef_files_free(&tf);
		if (terr.msg[0]) {
			char ref[64], clip[256];

			log_warn("scan: %s: message <%s>: %s; winmail.dat kept as it is",
			         store_ticket_ref(ar->pc->st, ar->ticket_id, ref, sizeof(ref)),
			         log_clip(clip, sizeof(clip), ar->mid ? ar->mid : "-"), terr.msg);
		}
		if (store_ticket_event(ar->pc->st, ar->ticket_id, ATTACH_ACTOR, "tnef", NULL, NULL,
		                       terr.msg[0] ? terr.msg : "TNEF stream has no files; stored as is",
		                       err) < 0)
			return -1;
		return judge_and_store(ar, &f, err);
	}
	for (size_t i = 0; i < tf.n && rc == 0; i++) {
		struct attach_file f = {
			tf.files[i].name, tf.files[i].mime_type ? tf.files[i].mime_type
			                                        : "application/octet-stream",
			"attachment", NULL, tf.files[i].data, tf.files[i].size,
		};

		rc = judge_and_store(ar, &f, err);
	}
	tnef_files_free(&tf);
	return rc;
}

int
attach_store_all(struct pipeline_ctx *pc, int64_t ticket_id, int64_t message_id,
                 const struct mime_msg *msg, size_t raw_len, int *held_r, struct tk_err *err)
{
	struct attach_run ar = { .pc = pc, .ticket_id = ticket_id, .message_id = message_id,
	                         .mid = msg->message_id };
	struct scan_result too_big;
	int rc = 0;

	if (msg->n_attachments > 0 && pc->scan != NULL &&
	    scan_check_message_size(pc->scan, raw_len, &too_big) == 1)
		ar.message_verdict = &too_big;
	for (size_t i = 0; i < msg->n_attachments && rc == 0; i++) {
		const struct mime_attachment *a = &msg->attachments[i];
		char where[64];

		snprintf(where, sizeof(where), "at attachment %zu of %zu", i + 1, msg->n_attachments);
		if (pipeline_budget(pc, where, err) < 0)
			return -1;
		if (ar.message_verdict == NULL && is_tnef(a)) {
			rc = store_tnef(&ar, a, err);
		} else {
			struct attach_file f = { a->filename, a->content_type, a->disposition,
			                         a->content_id, a->data, a->size };

			rc = judge_and_store(&ar, &f, err);
		}
	}
	if (held_r)
		*held_r = ar.held;
	return rc;
}
