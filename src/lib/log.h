/*
 * log.h: the one logging API of ticketd.
 *
 * Lines go to stderr with a "<N>" syslog priority prefix, so journald sets
 * the priority, and a UTC timestamp and the level's name when not under
 * journald (JOURNAL_STREAM unset); the rest is "subsystem: message
 * key=value ...", control characters escaped, UTF-8 kept. Secrets are
 * redacted inside log.c (values of password=, secret=, token=, and the
 * password of user:password@ URLs), never at the call sites. Untrusted text
 * (headers, payloads) goes through log_clip() before it is logged.
 */
#ifndef TK_LOG_H
#define TK_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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
 * Copy untrusted src into dst (size dstlen, at most 200 bytes of src),
 * escaping control characters (\n, \t, \xNN), quotes and backslashes
 * (\" \\) and bytes that are not UTF-8 (\xNN), keeping UTF-8 text whole;
 * "..." when cut (never inside a character or an escape). Returns dst.
 */
char *log_clip(char *dst, size_t dstlen, const char *src);

/*
 * Copy at most max_src bytes of src into dst (size dstlen, always
 * terminated), control characters and bytes that are not UTF-8 escaped as
 * above; with quotes, '"' and '\\' too. Returns how many bytes of src were
 * copied (less than its length when dst was full).
 */
size_t log_escape(char *dst, size_t dstlen, const char *src, size_t max_src, bool quotes);

/*
 * Run fn(arg) with what it prints on stdout captured (libytnef prints its
 * errors with printf): returns the text (the caller frees), or NULL when
 * nothing was printed. Calls are serialised; the daemon's own threads
 * never print on stdout (they log on stderr).
 */
char *log_capture_stdout(void (*fn)(void *), void *arg);

/* Redact secrets in s in place (exposed for tests). */
void log_redact(char *s);

/*
 * A rate limit for one kind of line that a client can cause at will (a
 * refused request, a connection cut): at most `burst` lines per window of
 * `window_s` seconds; the others are counted, and the next line let through
 * says how many were not logged. Define with LOG_LIMIT_INIT; thread-safe.
 */
struct log_limit {
	pthread_mutex_t lock;
	int burst;
	int window_s;
	time_t window_start;
	int used;
	unsigned long dropped;
};
#define LOG_LIMIT_INIT(burst, window_s) \
	{ PTHREAD_MUTEX_INITIALIZER, (burst), (window_s), 0, 0, 0 }
#define LOG_LIMIT_NOTE 64

/*
 * Whether a line may be logged at time now. When it may, note gets "" or
 * " (N more not logged)" for the lines dropped since the last one
 * let through: append it to the line.
 */
bool log_limit_pass(struct log_limit *l, time_t now, char note[LOG_LIMIT_NOTE]);

#endif
