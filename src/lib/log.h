/*
 * log.h: the one logging API of ticketd.
 *
 * Lines go to stderr with a "<N>" syslog priority prefix, so journald sets
 * the priority; the rest is "subsystem: message key=value ...". Secrets are
 * redacted inside log.c (values of password=, secret=, token=, and the
 * password of user:password@ URLs), never at the call sites. Untrusted text
 * (headers, payloads) goes through log_clip() before it is logged.
 */
#ifndef TK_LOG_H
#define TK_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Set the lowest level printed (default info). Thread-safe. */
void log_set_level(enum log_level level);
/* Parse "error", "warn", "info", "debug"; returns -1 if unknown. */
int log_level_parse(const char *s, enum log_level *level_r);
/* Whether a message at this level would be printed. */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * Copy untrusted src into dst (size dstlen, at most ~200 visible bytes),
 * replacing control characters and quotes by '?', "..." when cut. Returns dst.
 */
char *log_clip(char *dst, size_t dstlen, const char *src);

/* Redact secrets in s in place (exposed for tests). */
void log_redact(char *s);

#endif
