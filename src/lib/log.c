/*
 * log.c: leveled logging to stderr with journald priority prefixes and
 * central redaction of secrets. Under journald (JOURNAL_STREAM set) a line
 * is "<N>message"; elsewhere "2026-12-06T08:00:00.123Z info  message".
 * Control characters are escaped once, here (\n, \t, \xNN), and UTF-8
 * text is kept; log_clip() also escapes quotes and backslashes, so a
 * clipped value never ends a quoted field early.
 *
 * State: the minimum level (an atomic int, the logging context). One
 * fprintf per line, so lines from threads do not interleave. Lines a
 * client can cause at will go through a struct log_limit (a burst per
 * window, then a count of what was dropped).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"

static atomic_int log_min_level = LOG_LVL_INFO;

void
log_set_level(enum log_level level)
{
	atomic_store(&log_min_level, (int)level);
}

int
log_level_parse(const char *s, enum log_level *level_r)
{
	static const struct { const char *name; enum log_level lvl; } names[] = {
		{ "error", LOG_LVL_ERR }, { "err", LOG_LVL_ERR }, { "warn", LOG_LVL_WARN },
		{ "warning", LOG_LVL_WARN }, { "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*level_r = names[i].lvl;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_min_level);
}

/* Mask the value after each "key=" for secret-bearing keys. */
static void
redact_keys(char *s)
{
	static const char *keys[] = { "password=", "passwd=", "secret=", "token=", "pass=" };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *p = s;

		while ((p = strcasestr(p, keys[k])) != NULL) {
			char *v = p + strlen(keys[k]);
			char *end = v;
			int quoted = (*v == '\'' || *v == '"');

			if (quoted)
				end++;
			while (*end && (quoted ? (*end != v[0]) : (*end != ' ' && *end != '&')))
				end++;
			if (quoted && *end)
				end++;
			if (end > v) {
				memmove(v + 3, end, strlen(end) + 1);
				memcpy(v, "***", 3);
			}
			p = v;
		}
	}
}

/* Mask "scheme://user:password@" in URLs. */
static void
redact_urls(char *s)
{
	char *p = s;

	while ((p = strstr(p, "://")) != NULL) {
		char *auth = p + 3, *at, *colon;
		size_t span = strcspn(auth, " /\t");

		at = memchr(auth, '@', span);
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon != NULL && at - colon > 1) {
			memmove(colon + 4, at, strlen(at) + 1);
			memcpy(colon + 1, "***", 3);
		}
		p = auth;
	}
}

void
log_redact(char *s)
{
	redact_keys(s);
	redact_urls(s);
}

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when
 * s[0] does not start one (a stray continuation byte, an overlong form, a
 * surrogate, past U+10FFFF, cut short).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] < 0x80)
		return 1;
	if (len == 0 || s[0] >= 0xf5 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t max_src, bool quotes)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0, n = strlen(src);

	if (dstlen == 0)
		return 0;
	if (n > max_src)
		n = max_src;
	while (i < n) {
		size_t len = utf8_len(s + i, n - i);
		char esc[8];

		if (len > 1 || (len == 1 && s[i] >= 0x20 && s[i] != 0x7f &&
		                !(quotes && (s[i] == '"' || s[i] == '\\')))) {
			memcpy(esc, s + i, len);
			esc[len] = '\0';
		} else if (len == 1 && (s[i] == '"' || s[i] == '\\')) {
			snprintf(esc, sizeof(esc), "\\%c", s[i]);
		} else {
			snprintf(esc, sizeof(esc), s[i] == '\n' ? "\\n" : s[i] == '\t' ? "\\t" :
			         s[i] == '\r' ? "\\r" : "\\x%02x", s[i]);
			len = 1;
		}
		if (o + strlen(esc) + 1 > dstlen)
			break;
		memcpy(dst + o, esc, strlen(esc));
		o += strlen(esc);
		i += len;
	}
	dst[o] = '\0';
	return i;
}

/* Whether lines get a timestamp: not under journald (which stamps them itself). */
static bool log_stamped;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void
log_init_once(void)
{
	const char *js = getenv("JOURNAL_STREAM");

	log_stamped = js == NULL || *js == '\0';
}

/* "2026-12-06T08:00:00.123Z info  " into buf. */
static void
log_stamp(char *buf, size_t len, enum log_level level)
{
	static const char *const names[] = { [LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warn",
		                             [LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug" };
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ %-5s ", when, ts.tv_nsec / 1000000L, names[level]);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048], out[4096], stamp[48];
	va_list ap;

	if (!log_enabled(level))
		return;
	pthread_once(&log_once, log_init_once);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_redact(line);
	/* control characters (a database error's newlines) escaped, UTF-8 kept */
	log_escape(out, sizeof(out), line, sizeof(line), false);
	if (log_stamped)
		log_stamp(stamp, sizeof(stamp), level);
	if (log_stamped)
		fprintf(stderr, "%s%s\n", stamp, out);
	else
		fprintf(stderr, "<%d>%s\n", (int)level, out);
}

char *
log_clip(char *dst, size_t dstlen, const char *src)
{
	size_t max = dstlen < 204 ? dstlen : 204, used;

	if (dstlen == 0)
		return dst;
	if (src == NULL)
		src = "(null)";
	used = log_escape(dst, max, src, 200, true);
	if (src[used] != '\0' && max >= 4) {
		/* cut: make room for "..." on a character boundary */
		size_t o = strlen(dst);

		while (o > 0 && o + 4 > max)
			o--;
		while (o > 0 && ((unsigned char)dst[o] & 0xc0) == 0x80)
			o--;
		while (o > 0 && dst[o - 1] == '\\')  /* never split an escape */
			o--;
		memcpy(dst + o, "...", 4);
	}
	return dst;
}

char *
log_capture_stdout(void (*fn)(void *), void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem, *saved;

	pthread_mutex_lock(&lock);
	fflush(stdout);
	mem = open_memstream(&buf, &len);
	saved = stdout;
	if (mem != NULL)
		stdout = mem;
	fn(arg);
	if (mem != NULL) {
		fflush(mem);
		stdout = saved;
		fclose(mem);
	}
	pthread_mutex_unlock(&lock);
	if (buf != NULL && len == 0)
		xfree(&buf);
	return buf;
}

bool
log_limit_pass(struct log_limit *l, time_t now, char note[LOG_LIMIT_NOTE])
{
	bool pass;

	pthread_mutex_lock(&l->lock);
	if (now - l->window_start >= l->window_s || now < l->window_start) {
		l->window_start = now;
		l->used = 0;
	}
	pass = l->used < l->burst;
	note[0] = '\0';
	if (pass) {
		l->used++;
		if (l->dropped)
			snprintf(note, LOG_LIMIT_NOTE, " (%lu more not logged)", l->dropped);
		l->dropped = 0;
	} else {
		l->dropped++;
	}
	pthread_mutex_unlock(&l->lock);
	return pass;
}
