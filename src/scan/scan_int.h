/*
 * scan_int.h: shared between scan.c and its backends (scan_clamd.c) and the
 * unit tests; not for the rest of ticketd.
 */
#ifndef TK_SCAN_INT_H
#define TK_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "scan.h"

/* Largest clamd reply we read; anything longer is an error. */
#define SCAN_CLAMD_REPLY_MAX 1024
/* INSTREAM chunk size (clamd accepts any size up to StreamMaxLength). */
#define SCAN_CLAMD_CHUNK (64 * 1024)

/*
 * Set res from a signature name: INFECTED with the name, except the
 * scanner's own "could not scan" alerts (Heuristics.Limits.Exceeded.*,
 * Heuristics.Encrypted.*), which become ERROR with a reason.
 */
void scan_result_found(struct scan_result *res, const char *virname);

/* Set res to verdict v with a formatted detail. */
void scan_result_set(struct scan_result *res, enum scan_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Send data to clamd at socket_path with zINSTREAM and fill res from its
 * reply (CLEAN, INFECTED or ERROR). Every failure (connect, timeout after
 * timeout_ms for the whole exchange, protocol) becomes an ERROR verdict
 * with the reason; the function itself cannot fail.
 */
void scan_clamd_instream(const char *socket_path, int64_t timeout_ms, const void *data,
                         size_t len, struct scan_result *res);

/*
 * Parse one clamd reply to a stream scan (without the trailing NUL or
 * newline), e.g. "stream: OK", "stream: Eicar-Test-Signature FOUND",
 * "INSTREAM size limit exceeded. ERROR". Untrusted: anything else is ERROR.
 */
void scan_clamd_parse_reply(const char *reply, struct scan_result *res);

#endif
