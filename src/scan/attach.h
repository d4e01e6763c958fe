/*
 * attach.h: the scan step for one message's attachments, and their storage.
 * TNEF (winmail.dat) is unpacked into its real files first; every file is
 * judged by the scanner (scan.h): clean or unscanned ones are stored
 * (content-addressed blobs), infected or blocked ones (and failed scans
 * under on_error: quarantine) are quarantined: the attachment row says
 * what was held back and why (the ticket's placeholder), the body goes to
 * the quarantine table only, and the ticket's audit log records it.
 */
#ifndef TK_ATTACH_H
#define TK_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct mime_msg;
struct pipeline_ctx;

/*
 * Scan and store every attachment of msg on message_id (of ticket_id). raw_len
 * is the whole message's size (for max_message_size). *held_r (may be NULL)
 * gets the number of attachments held back.
 */
int attach_store_all(struct pipeline_ctx *pc, int64_t ticket_id, int64_t message_id,
                     const struct mime_msg *msg, size_t raw_len, int *held_r, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
