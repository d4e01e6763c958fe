/*
 * scan_clamd.c: the clamd backend of scan.h. One connection per scan to
 * clamd's unix socket: "zINSTREAM\0", the data in chunks each preceded by
 * its length (4 bytes, network order), a zero-length chunk, then one
 * NUL-terminated reply. The whole exchange has one deadline; every failure
 * becomes an ERROR verdict saying what went wrong.
 */
/* System. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
/* ticketd. */
#include "log.h"
#include "scan_int.h"

static int64_t
clamd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until deadline; -1 with errno ETIMEDOUT when it passed. */
static int
clamd_wait(int fd, short ev, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - clamd_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
clamd_send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (clamd_wait(fd, POLLOUT, deadline) < 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

static int
clamd_send_stream(int fd, const void *data, size_t len, int64_t deadline)
{
	static const char cmd[] = "zINSTREAM"; /* sent with its NUL */
	const char *p = data;
	uint32_t hdr;

	if (clamd_send_all(fd, cmd, sizeof(cmd), deadline) < 0)
		return -1;
	while (len > 0) {
		size_t n = len < SCAN_CLAMD_CHUNK ? len : SCAN_CLAMD_CHUNK;

		hdr = htonl((uint32_t)n);
		if (clamd_send_all(fd, &hdr, sizeof(hdr), deadline) < 0 ||
		    clamd_send_all(fd, p, n, deadline) < 0)
			return -1;
		p += n;
		len -= n;
	}
	hdr = 0;
	return clamd_send_all(fd, &hdr, sizeof(hdr), deadline);
}

/* Read up to the reply's NUL (or EOF) into reply (cap bytes); length or -1. */
static ssize_t
clamd_read_reply(int fd, char *reply, size_t cap, int64_t deadline)
{
	size_t len = 0;

	while (len < cap - 1) {
		ssize_t n = recv(fd, reply + len, cap - 1 - len, 0);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (clamd_wait(fd, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		if (memchr(reply + len, '\0', (size_t)n) != NULL) {
			len += (size_t)n;
			reply[len] = '\0';
			return (ssize_t)strlen(reply);
		}
		len += (size_t)n;
	}
	reply[len] = '\0';
	if (len == cap - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	return (ssize_t)len;
}

static int
clamd_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if ((errno == EINPROGRESS || errno == EAGAIN) && clamd_wait(fd, POLLOUT, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
		return fd;
	if (soerr != 0)
		errno = soerr;
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

/* Whether s ends with suffix; sets *stem_len to the length before it. */
static int
clamd_ends_with(const char *s, const char *suffix, size_t *stem_len)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	if (ls < lx || strcmp(s + ls - lx, suffix) != 0)
		return 0;
	*stem_len = ls - lx;
	return 1;
}

void
scan_clamd_parse_reply(const char *reply, struct scan_result *res)
{
	char clip[200], name[200];
	const char *rest = reply;
	size_t n;

	if (strncmp(rest, "stream: ", 8) == 0)
		rest += 8;
	if (rest != reply && strcmp(rest, "OK") == 0) {
		scan_result_set(res, SCAN_CLEAN, "%s", "");
		return;
	}
	if (rest != reply && clamd_ends_with(rest, " FOUND", &n) && n > 0 && n < sizeof(name)) {
		memcpy(name, rest, n);
		name[n] = '\0';
		log_clip(clip, sizeof(clip), name);
		scan_result_found(res, clip);
		return;
	}
	log_clip(clip, sizeof(clip), reply);
	if (clamd_ends_with(reply, " ERROR", &n))
		scan_result_set(res, SCAN_ERROR, "clamd: %s", clip);
	else
		scan_result_set(res, SCAN_ERROR, "clamd: unexpected reply \"%s\"", clip);
}

void
scan_clamd_instream(const char *socket_path, int64_t timeout_ms, const void *data,
                    size_t len, struct scan_result *res)
{
	int64_t deadline = clamd_now_ms() + timeout_ms;
	char reply[SCAN_CLAMD_REPLY_MAX];
	int fd, send_errno = 0;
	ssize_t n;

	fd = clamd_connect(socket_path, deadline);
	if (fd < 0) {
		scan_result_set(res, SCAN_ERROR, "clamd: cannot connect to %s: %s", socket_path,
		                strerror(errno));
		return;
	}
	/* clamd may answer (size limit) and close before all is sent: read anyway. */
	if (clamd_send_stream(fd, data, len, deadline) < 0)
		send_errno = errno;
	if (send_errno == ETIMEDOUT) {
		scan_result_set(res, SCAN_ERROR, "clamd: timeout after %lldms sending to %s",
		                (long long)timeout_ms, socket_path);
		goto out;
	}
	n = clamd_read_reply(fd, reply, sizeof(reply), deadline);
	while (n > 0 && (reply[n - 1] == '\n' || reply[n - 1] == '\r'))
		reply[--n] = '\0';
	if (n < 0 && errno == ETIMEDOUT)
		scan_result_set(res, SCAN_ERROR, "clamd: timeout after %lldms waiting for %s",
		                (long long)timeout_ms, socket_path);
	else if (n < 0)
		scan_result_set(res, SCAN_ERROR, "clamd: reading the reply from %s: %s",
		                socket_path, strerror(errno));
	else if (n == 0)
		scan_result_set(res, SCAN_ERROR, "clamd: %s closed the connection without a reply%s%s",
		                socket_path, send_errno ? " while sending: " : "",
		                send_errno ? strerror(send_errno) : "");
	else
		scan_clamd_parse_reply(reply, res);
out:
	close(fd);
}
