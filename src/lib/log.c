/*
 * log.c: leveled logging to stderr with journald priority prefixes and
 * central redaction of secrets.
 *
 * State: the minimum level (an atomic int, the logging context). One
 * fprintf per line, so lines from threads do not interleave. Lines a
 * client can cause at will go through a struct log_limit (a burst per
 * window, then a count of what was dropped).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_redact(line);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	fprintf(stderr, "<%d>%s\n", (int)level, line);
}

char *
log_clip(char *dst, size_t dstlen, const char *src)
{
	size_t max = dstlen < 204 ? dstlen : 204, i = 0;

	if (dstlen == 0)
		return dst;
	if (src == NULL)
		src = "(null)";
	for (; src[i] && i + 1 < max; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f || c == '"') ? '?' : (char)c;
	}
	dst[i] = '\0';
	if (src[i] && i >= 3)
		memcpy(dst + i - 3, "...", 3);
	return dst;
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
