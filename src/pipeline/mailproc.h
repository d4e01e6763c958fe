/*
 * mailproc.h: the pipeline for one staged mail: parse (mime.h), route
 * (the mailbox's defaults), correlate (Message-ID already stored: nothing
 * new), store (ticket, message, attachments, participants, audit event).
 */
#ifndef TK_MAILPROC_H
#define TK_MAILPROC_H

#include "pipeline.h"

int mailproc_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                     struct pipeline_result *res, struct tk_err *err);

#endif
