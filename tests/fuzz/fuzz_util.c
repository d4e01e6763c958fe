/*
 * fuzz_util.c: helpers of the libFuzzer targets (fuzz.h).
 */
/* System. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* ticketd. */
#include "fuzz.h"
#include "log.h"
#include "xalloc.h"

void
fuzz_init(void)
{
	static bool done;

	if (!done)
		log_set_level(LOG_LVL_ERR);
	done = true;
}

char *
fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = xmalloc(n + 1);

	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

char *
fuzz_field(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = *size ? memchr(*data, '\n', *size) : NULL;
	size_t len = nl ? (size_t)(nl - *data) : *size;
	char *s = fuzz_strndup(*data, len);

	*data += nl ? len + 1 : len;
	*size -= nl ? len + 1 : len;
	return s;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: property broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Length of the UTF-8 sequence at s (RFC 3629: no overlong form, no surrogate), or 0. */
static size_t
utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80 ||
		    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

long
fuzz_utf8_bad(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		size_t n = utf8_seq(p);

		if (n == 0)
			return (long)(p - (const unsigned char *)s);
		p += n;
	}
	return -1;
}

void
fuzz_check_utf8(const char *what, const char *s)
{
	long bad = fuzz_utf8_bad(s);

	if (bad >= 0)
		fuzz_fail("%s: invalid UTF-8 at byte %ld", what, bad);
}

void
fuzz_check_visible(const char *v)
{
	size_t len = strlen(v);

	if (strchr(v, '\r'))
		fuzz_fail("visible text has a CR");
	if (len && (v[0] == '\n' || v[len - 1] == '\n'))
		fuzz_fail("visible text starts or ends with a blank line");
	for (const char *p = v; (p = strchr(p, '\n')) != NULL; p++)
		if (p > v && (p[-1] == ' ' || p[-1] == '\t'))
			fuzz_fail("a line of the visible text ends in white space");
	if (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		fuzz_fail("the visible text ends in white space");
}

static char tmpdir[64];

static void
tmpdir_remove(void)
{
	char *cmd;

	if (tmpdir[0] == '\0')
		return;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", tmpdir);
	free(cmd);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/ticketd-fuzz.XXXXXX",
	         base && *base && strlen(base) < 40 ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		fuzz_fail("mkdtemp %s: %m", tmpdir);
	atexit(tmpdir_remove);
	return tmpdir;
}

void
fuzz_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || close(fd) != 0)
		fuzz_fail("write %s: %m", path);
	free(path);
}
