/*
 * lmtp.c: the LMTP listener's sockets, threads and connections (lmtp.h);
 * the protocol is lmtp_proto.c, the commit lmtp_stage.c.
 *
 * Each of max_connections threads polls the listening sockets and a stop
 * eventfd, accepts one connection, serves it to the end and accepts the
 * next; it keeps its own PGconn across connections. Reading is buffered:
 * a command line is taken from the buffer when it is there, and replies
 * are written only when the buffer runs dry (PIPELINING: one write for a
 * client's MAIL, RCPT... DATA). Every wait is a poll() bounded by the
 * command's or the message's deadline and woken by the stop eventfd.
 */
/* System. */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
/* ticketd. */
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "lmtp.h"
#include "lmtp_int.h"
#include "lmtp_stage.h"
#include "log.h"
#include "netaddr.h"
#include "store.h"
#include "xalloc.h"

#define LMTP_MAX_LISTEN 8
#define LMTP_IN_BUF 65536

struct lmtp_server {
	struct daemon *daemon;
	char *mailbox;
	int fds[LMTP_MAX_LISTEN];
	char *paths[LMTP_MAX_LISTEN];    /* Unix socket paths (removed at stop), else NULL */
	struct stat sock_st[LMTP_MAX_LISTEN];
	size_t n_fds;
	int stop_fd;                     /* eventfd: readable once lmtp_stop() ran */
	pthread_t *threads;
	int n_threads;                   /* started */
	int max_threads;                 /* max_connections */
	char hostname[256];
	/* limits from the config at start (the listener is not reloaded) */
	int64_t max_size, cmd_timeout_ms, msg_timeout_ms;
};

enum conn_wait { WAIT_OK, WAIT_EOF, WAIT_TIMEOUT, WAIT_STOP, WAIT_ERROR };

static struct log_limit conn_log = LOG_LIMIT_INIT(10, 60);

/* ---- binding ---- */

/* A socket file left by an earlier run: replaced, unless someone still listens on it. */
static int
unix_prepare(const char *path, const struct sockaddr_storage *ss, socklen_t len,
             struct tk_err *err)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : tk_err_set(err, "lmtp: %s: %s", path, strerror(errno));
	if (!S_ISSOCK(sb.st_mode))
		return tk_err_set(err, "lmtp: %s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)ss, len) == 0) {
		close(fd);
		return tk_err_set(err, "lmtp: another process listens on %s", path);
	}
	if (fd >= 0)
		close(fd);
	if (unlink(path) < 0)
		return tk_err_set(err, "lmtp: cannot remove the old socket %s: %s", path, strerror(errno));
	return 0;
}

/* Permissions and group of a new Unix socket. */
static int
unix_access(const struct config_mailbox *mb, const char *path, struct tk_err *err)
{
	if (chmod(path, (mode_t)mb->socket_mode) < 0)
		return tk_err_set(err, "lmtp: chmod %s: %s", path, strerror(errno));
	if (mb->socket_group != NULL) {
		struct group *gr = getgrnam(mb->socket_group);

		if (gr == NULL)
			return tk_err_set(err, "lmtp: socket_group \"%s\": no such group", mb->socket_group);
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			return tk_err_set(err, "lmtp: cannot give %s to group %s: %s", path,
			                  mb->socket_group, strerror(errno));
	}
	return 0;
}

static int
bind_one(struct lmtp_server *srv, const struct config_mailbox *mb, const char *spec,
         struct tk_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;
	bool is_unix;

	if (netaddr_parse("lmtp", spec, &ss, &len, err) < 0)
		return -1;
	is_unix = ss.ss_family == AF_UNIX;
	if (is_unix && unix_prepare(spec, &ss, len, err) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return tk_err_set(err, "lmtp: cannot listen on %s: %s", spec, strerror(errno));
	if (!is_unix)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		tk_err_set(err, "lmtp: cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	srv->fds[srv->n_fds] = fd;
	if (is_unix) {
		srv->paths[srv->n_fds] = xstrdup(spec);
		if (stat(spec, &srv->sock_st[srv->n_fds]) < 0 || unix_access(mb, spec, err) < 0) {
			if (err->msg[0] == '\0')
				tk_err_set(err, "lmtp: stat %s: %s", spec, strerror(errno));
			srv->n_fds++;
			return -1;
		}
	}
	srv->n_fds++;
	return 0;
}

/* Close the sockets; remove our Unix socket files (not one another process put there since). */
static void
close_listeners(struct lmtp_server *srv)
{
	for (size_t i = 0; i < srv->n_fds; i++) {
		struct stat sb;

		close(srv->fds[i]);
		if (srv->paths[i] && stat(srv->paths[i], &sb) == 0 &&
		    sb.st_ino == srv->sock_st[i].st_ino && sb.st_dev == srv->sock_st[i].st_dev)
			(void)unlink(srv->paths[i]);
		xfree(&srv->paths[i]);
	}
	srv->n_fds = 0;
}

static void
server_free(struct lmtp_server **srvp)
{
	struct lmtp_server *srv = *srvp;

	close_listeners(srv);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	free(srv->threads);
	xfree(&srv->mailbox);
	xfree(srvp);
}

int
lmtp_bind(struct daemon *d, const struct config_mailbox *mb, struct lmtp_server **srv_r,
          struct tk_err *err)
{
	struct lmtp_server *srv = xnew(struct lmtp_server);

	*srv_r = NULL;
	srv->daemon = d;
	srv->mailbox = xstrdup(mb->name);
	srv->max_size = mb->max_message_size;
	srv->cmd_timeout_ms = mb->command_timeout_ms;
	srv->msg_timeout_ms = mb->message_timeout_ms;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gethostname(srv->hostname, sizeof(srv->hostname) - 1) < 0 || srv->hostname[0] == '\0')
		snprintf(srv->hostname, sizeof(srv->hostname), "ticketd");
	if (srv->stop_fd < 0) {
		tk_err_set(err, "lmtp: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (mb->n_listen > LMTP_MAX_LISTEN) {
		tk_err_set(err, "lmtp: mailbox=%s: at most %d listen addresses", mb->name,
		           LMTP_MAX_LISTEN);
		goto fail;
	}
	for (size_t i = 0; i < mb->n_listen; i++)
		if (bind_one(srv, mb, mb->listen[i], err) < 0)
			goto fail;
	srv->max_threads = mb->max_connections;
	*srv_r = srv;
	return 0;
fail:
	tk_err_prefix(err, "mailbox=%s", mb->name);
	server_free(&srv);
	return -1;
}

/* ---- one connection ---- */

struct lmtp_conn {
	struct lmtp_server *srv;
	int fd;
	struct store **st;               /* the thread's connection (lmtp_stage.c) */
	char in[LMTP_IN_BUF];
	size_t in_off, in_len;
	struct buf out;
	char peer[80];
};

/* Write everything pending (bounded by the command timeout). */
static int
flush_out(struct lmtp_conn *c)
{
	int64_t deadline = clock_mono_ms() + c->srv->cmd_timeout_ms;
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int64_t left = deadline - clock_mono_ms();

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR))
			return -1;
	}
	buf_reset(&c->out);
	return 0;
}

/* More input (after sending what is pending), until deadline (monotonic ms). */
static enum conn_wait
read_more(struct lmtp_conn *c, int64_t deadline)
{
	struct pollfd pfd[2] = { { .fd = c->fd, .events = POLLIN },
	                         { .fd = c->srv->stop_fd, .events = POLLIN } };
	ssize_t n;

	if (c->out.len > 0 && flush_out(c) < 0)
		return WAIT_ERROR;
	if (c->in_off > 0) {   /* keep what is unread at the start */
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len == sizeof(c->in))
		return WAIT_ERROR;   /* cannot happen: read_line drops an overlong line first */
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		int rc;

		if (left <= 0)
			return WAIT_TIMEOUT;
		rc = poll(pfd, 2, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno != EINTR)
			return WAIT_ERROR;
		if (rc > 0 && pfd[1].revents)
			return WAIT_STOP;
		if (rc > 0 && pfd[0].revents)
			break;
	}
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n == 0)
		return WAIT_EOF;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? WAIT_OK : WAIT_ERROR;
	c->in_len += (size_t)n;
	return WAIT_OK;
}

/*
 * The next command line (without CR LF) into *line_r and *len_r. A line longer
 * than the buffer is read to its end and reported with *len_r over
 * LMTP_LINE_MAX (the session refuses it).
 */
static enum conn_wait
read_line(struct lmtp_conn *c, int64_t deadline, const char **line_r, size_t *len_r)
{
	bool skipping = false;

	for (;;) {
		char *start = c->in + c->in_off;
		char *lf = memchr(start, '\n', c->in_len - c->in_off);
		enum conn_wait w;

		if (lf != NULL) {
			size_t len = (size_t)(lf - start);

			c->in_off += len + 1;
			if (len > 0 && start[len - 1] == '\r')
				len--;
			*line_r = start;
			*len_r = skipping ? LMTP_LINE_MAX + 1 : len;
			return WAIT_OK;
		}
		if (c->in_len - c->in_off > LMTP_LINE_MAX) {  /* too long: drop what we have */
			skipping = true;
			c->in_off = c->in_len;
		}
		if ((w = read_more(c, deadline)) != WAIT_OK)
			return w;
	}
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Why the connection ends without QUIT: a last reply when it still makes sense. */
static void
conn_abort(struct lmtp_conn *c, enum conn_wait w, const char *where)
{
	char note[LOG_LIMIT_NOTE];

	if (w == WAIT_TIMEOUT)
		(void)buf_printf(&c->out, "421 4.4.2 %s Timeout exceeded, closing the connection\r\n",
		                 c->srv->hostname);
	else if (w == WAIT_STOP)
		(void)buf_printf(&c->out, "421 4.3.2 %s Shutting down, try again later\r\n",
		                 c->srv->hostname);
	if (w == WAIT_TIMEOUT || w == WAIT_STOP)
		(void)flush_out(c);
	if (w != WAIT_STOP && w != WAIT_EOF && log_limit_pass(&conn_log, time(NULL), note))
		log_info("lmtp: mailbox=%s client=%s %s %s%s", c->srv->mailbox, c->peer,
		         w == WAIT_TIMEOUT ? "timed out" : "connection lost", where, note);
}

/* DATA: read the message, commit it, answer each recipient. false: close the connection. */
static bool
conn_data(struct lmtp_conn *c, struct lmtp_session *s, int64_t msg_deadline)
{
	struct lmtp_data d;
	enum conn_wait w = WAIT_OK;
	bool done = false;
	size_t prefix;

	/* Room for the Return-Path on top of the limit. */
	lmtp_data_init(&d, c->srv->max_size + LMTP_ADDR_MAX + 32);
	(void)buf_printf(&d.msg, "Return-Path: <%s>\n", s->sender);
	prefix = d.msg.len;
	while (!done) {
		c->in_off += lmtp_data_feed(&d, c->in + c->in_off, c->in_len - c->in_off, &done);
		if (!done && (w = read_more(c, min64(msg_deadline, clock_mono_ms() +
		                                     c->srv->cmd_timeout_ms))) != WAIT_OK)
			break;
	}
	if (!done) {
		conn_abort(c, w, "in DATA");
	} else if (d.too_big || d.msg.len - prefix > (size_t)c->srv->max_size) {
		lmtp_session_replies(s, "552 5.3.4 Message too big for this system", &c->out);
	} else if (d.msg.len == prefix) {
		lmtp_session_replies(s, "554 5.6.0 Empty message", &c->out);
	} else {
		lmtp_stage(c->srv->daemon, c->srv->mailbox, c->st, s, &d.msg, &c->out);
		daemon_wake(c->srv->daemon);
	}
	lmtp_data_fini(&d);
	return done;
}

/* MAIL needs the database: refused with 451 while it is down (saves the transfer). */
static bool
mail_refused(struct lmtp_conn *c, const struct lmtp_session *s, const char *line, size_t len)
{
	if (len < 5 || strncasecmp(line, "MAIL ", 5) != 0 || !s->lhlo || s->mail)
		return false;
	if (daemon_stopping(c->srv->daemon)) {
		(void)buf_printf(&c->out, "421 4.3.2 %s Shutting down, try again later\r\n",
		                 c->srv->hostname);
		return true;
	}
	if (lmtp_stage_ready(c->srv->daemon, c->srv->mailbox, c->st))
		return false;
	(void)buf_puts(&c->out, "451 4.3.0 Database unavailable, try again later\r\n");
	return true;
}

static void
conn_serve(struct lmtp_conn *c)
{
	struct lmtp_session s;
	int64_t msg_deadline = 0;

	lmtp_session_init(&s, c->srv->hostname, c->srv->max_size);
	lmtp_session_greeting(&s, &c->out);
	for (;;) {
		int64_t deadline = clock_mono_ms() + c->srv->cmd_timeout_ms;
		enum lmtp_next next;
		const char *line;
		size_t len;
		enum conn_wait w;
		bool had_mail = s.mail;

		if (s.mail)
			deadline = min64(deadline, msg_deadline);
		if ((w = read_line(c, deadline, &line, &len)) != WAIT_OK) {
			conn_abort(c, w, "waiting for a command");
			break;
		}
		if (mail_refused(c, &s, line, len)) {
			if (daemon_stopping(c->srv->daemon))
				break;
			continue;
		}
		next = lmtp_session_command(&s, line, len, &c->out);
		if (s.mail && !had_mail)
			msg_deadline = clock_mono_ms() + c->srv->msg_timeout_ms;
		if (next == LMTP_NEXT_DATA && !conn_data(c, &s, msg_deadline))
			break;
		if (next == LMTP_NEXT_CLOSE)
			break;
	}
	(void)flush_out(c);
	lmtp_session_fini(&s);
}

/* ---- threads ---- */

/* accept() failed for want of something (EMFILE, ENOBUFS): say so, wait a little. */
static void
accept_failed(struct lmtp_server *srv)
{
	struct pollfd pfd = { .fd = srv->stop_fd, .events = POLLIN };
	char note[LOG_LIMIT_NOTE];
	int e = errno;

	if (log_limit_pass(&conn_log, time(NULL), note))
		log_warn("lmtp: mailbox=%s cannot accept a connection: %s%s", srv->mailbox,
		         strerror(e), note);
	(void)poll(&pfd, 1, 100);
}

/* Accept one connection from any listener; -1 when stopping. */
static int
accept_one(struct lmtp_server *srv)
{
	struct pollfd pfd[LMTP_MAX_LISTEN + 1];

	for (size_t i = 0; i < srv->n_fds; i++)
		pfd[i] = (struct pollfd){ .fd = srv->fds[i], .events = POLLIN };
	pfd[srv->n_fds] = (struct pollfd){ .fd = srv->stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, srv->n_fds + 1, -1) < 0 && errno != EINTR)
			return -1;
		if (pfd[srv->n_fds].revents)
			return -1;
		for (size_t i = 0; i < srv->n_fds; i++) {
			int fd;

			if (!pfd[i].revents)
				continue;
			/* Another thread may have taken it: EAGAIN, poll again. */
			fd = accept4(srv->fds[i], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0)
				return fd;
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				accept_failed(srv);
		}
	}
}

static void *
conn_thread(void *arg)
{
	struct lmtp_server *srv = arg;
	struct store *st = NULL;
	struct lmtp_conn *c = xnew(struct lmtp_conn);
	int fd;

	c->srv = srv;
	c->st = &st;
	buf_init(&c->out, 0);
	while ((fd = accept_one(srv)) >= 0) {
		c->fd = fd;
		c->in_off = c->in_len = 0;
		netaddr_name(fd, true, c->peer, sizeof(c->peer));
		log_debug("lmtp: mailbox=%s client=%s connected", srv->mailbox, c->peer);
		conn_serve(c);
		close(fd);
		buf_reset(&c->out);
	}
	buf_fini(&c->out);
	xfree(&c);
	store_close(&st);
	return NULL;
}

int
lmtp_start(struct lmtp_server *srv, struct tk_err *err)
{
	char name[128];
	int rc;

	for (size_t i = 0; i < srv->n_fds; i++) {
		if (listen(srv->fds[i], SOMAXCONN) < 0)
			return tk_err_set(err, "lmtp: mailbox=%s: listen: %s", srv->mailbox,
			                  strerror(errno));
		netaddr_name(srv->fds[i], false, name, sizeof(name));
		log_info("lmtp: mailbox=%s listening on %s", srv->mailbox, name);
	}
	srv->threads = xcalloc((size_t)srv->max_threads, sizeof(*srv->threads));
	for (int i = 0; i < srv->max_threads; i++, srv->n_threads++) {
		if ((rc = pthread_create(&srv->threads[i], NULL, conn_thread, srv)) != 0)
			return tk_err_set(err, "lmtp: mailbox=%s: cannot start a thread: %s",
			                  srv->mailbox, strerror(rc));
	}
	return 0;
}

int
lmtp_stop(struct lmtp_server **srvp, const struct timespec *deadline)
{
	struct lmtp_server *srv = *srvp;
	uint64_t one = 1;
	int late = 0;

	if (srv == NULL)
		return 0;
	if (write(srv->stop_fd, &one, sizeof(one)) < 0)
		log_warn("lmtp: mailbox=%s: cannot signal the threads: %s", srv->mailbox,
		         strerror(errno));
	for (int i = 0; i < srv->n_threads; i++) {
		if (pthread_timedjoin_np(srv->threads[i], NULL, deadline) != 0) {
			log_warn("lmtp: mailbox=%s: a connection thread did not stop in time",
			         srv->mailbox);
			late++;
		}
	}
	if (late) {
		close_listeners(srv);   /* no new connections; leave the memory to the late thread */
		*srvp = NULL;
		return -1;
	}
	server_free(srvp);
	return 0;
}
