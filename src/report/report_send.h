/*
 * report_send.h: scheduled reports as timers (kind report, no ticket) in
 * the escalator's one claim loop. A run is the timer whose key is
 * report:NAME:EPOCH; it fires once (its "fired", its outbox rows and the
 * next run's timer commit together), late if the daemons were down, and a
 * run the schedule no longer holds is cancelled. The mail has the table in
 * its body and the CSV attached, one per recipient.
 *
 * Every function runs inside the caller's transaction.
 */
#ifndef TK_REPORT_SEND_H
#define TK_REPORT_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct config;

/* Make sure each scheduled report has its next run (after now) as a timer; idempotent. */
int report_schedule_all(struct store *st, const struct config *cfg, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * The run of report `name` due at `due`: 1 when mailed (detail says to
 * whom), 0 when cancelled (detail says why: the report is gone or its
 * schedule changed); the next run is scheduled either way.
 */
int report_send_run(struct store *st, const struct config *cfg, const char *name, int64_t due,
                    char *detail, size_t detail_len, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
