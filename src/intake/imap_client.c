/*
 * imap_client.c: the IMAP commands of the intake, through libetpan's
 * mailimap_* client (see imap_int.h): connect, TLS/STARTTLS, LOGIN or
 * XOAUTH2, SELECT, UID SEARCH, UID FETCH BODY.PEEK[] in chunks, and the
 * acknowledgements (UID MOVE, COPY + \Deleted + UID EXPUNGE, \Seen).
 *
 * Secrets: the password and token are read at each connect, handed to
 * libetpan, and wiped; no protocol logger is installed, so they never
 * reach a log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "imap_int.h"
#include "log.h"
#include "xalloc.h"

#define IMAP_SECRET_MAX 16384

const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_NO_ERROR: return "ok";
	case MAILIMAP_ERROR_STREAM: return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE: return "unparsable server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "connection refused";
	case MAILIMAP_ERROR_MEMORY: return "out of memory";
	case MAILIMAP_ERROR_PROTOCOL: return "protocol error";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "server does not accept connections";
	case MAILIMAP_ERROR_BAD_STATE: return "command in the wrong state";
	case MAILIMAP_ERROR_LOGIN: return "login refused";
	case MAILIMAP_ERROR_SASL: return "authentication refused";
	case MAILIMAP_ERROR_SELECT: return "SELECT refused";
	case MAILIMAP_ERROR_UID_FETCH: return "UID FETCH refused";
	case MAILIMAP_ERROR_UID_SEARCH: return "UID SEARCH refused";
	case MAILIMAP_ERROR_UID_MOVE: return "UID MOVE refused";
	case MAILIMAP_ERROR_UID_COPY: return "UID COPY refused";
	case MAILIMAP_ERROR_UID_STORE: return "UID STORE refused";
	case MAILIMAP_ERROR_CREATE: return "CREATE refused";
	case MAILIMAP_ERROR_LIST: return "LIST refused";
	case MAILIMAP_ERROR_STARTTLS: return "STARTTLS refused";
	case MAILIMAP_ERROR_EXTENSION: return "extension command refused";
	case MAILIMAP_ERROR_CAPABILITY: return "CAPABILITY refused";
	case MAILIMAP_ERROR_NOOP: return "NOOP refused";
	default: return "IMAP error";
	}
}

/* err = "what: libetpan reason (server: its last response text)". Always -1. */
static int
client_fail(const struct imap_client *c, struct tk_err *err, const char *what, int r)
{
	char said[256] = "";

	if (c->imap != NULL && c->imap->imap_response != NULL && *c->imap->imap_response)
		log_clip(said, sizeof(said), c->imap->imap_response);
	return tk_err_temp(err, "%s: %s%s%s%s", what, imap_strerror(r), *said ? " (server: " : "",
	                   said, *said ? ")" : "");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking TCP connect with a timeout. Returns the fd or -1. */
static int
connect_tcp(const char *host, int port, int timeout_s, struct tk_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, rc, saved = 0;

	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return tk_err_temp(err, "cannot resolve %s: %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t len = sizeof(saved);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* Request/response: no Nagle delay on the small commands. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		if (saved == EINPROGRESS) {
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, timeout_s * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &len) == 0 && saved == 0)
				break;
			if (saved == EINPROGRESS)
				saved = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return tk_err_temp(err, "cannot connect to %s:%d: %s", host, port, strerror(saved));
	return fd;
}

/* Read a secret (first line of a file, or an environment variable) into out. */
static int
read_secret(const char *file, const char *env, struct buf *out, struct tk_err *err)
{
	if (file != NULL) {
		if (buf_read_file(out, file) < 0)
			return tk_err_set(err, "cannot read %s: %s", file, strerror(errno));
	} else {
		const char *v = env ? getenv(env) : NULL;

		if (v == NULL || *v == '\0')
			return tk_err_set(err, "environment variable %s is not set", env ? env : "");
		if (buf_puts(out, v) < 0)
			return tk_err_set(err, "environment variable %s is too long", env);
	}
	while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	if (out->len == 0 || memchr(out->data, '\n', out->len) != NULL)
		return tk_err_set(err, "%s %s: empty or more than one line", file ? "file" : "variable",
		                  file ? file : env);
	return 0;
}

static int
client_auth(struct imap_client *c, struct tk_err *err)
{
	const struct config_mailbox *mb = c->mb;
	struct buf secret;
	int r, rc = -1;

	buf_init(&secret, IMAP_SECRET_MAX);
	if (mb->xoauth2_token_file != NULL) {
		if (read_secret(mb->xoauth2_token_file, NULL, &secret, err) < 0)
			goto out;
		r = mailimap_oauth2_authenticate(c->imap, mb->user, secret.data);
	} else {
		if (read_secret(mb->password_file, mb->password_env, &secret, err) < 0)
			goto out;
		r = mailimap_login(c->imap, mb->user, secret.data);
	}
	if (r != MAILIMAP_NO_ERROR) {
		client_fail(c, err, mb->xoauth2_token_file ? "XOAUTH2 authentication" : "LOGIN", r);
		goto out;
	}
	rc = 0;
out:
	if (secret.data != NULL)
		explicit_bzero(secret.data, secret.alloc);
	buf_fini(&secret);
	return rc;
}

static int
client_caps(struct imap_client *c, struct tk_err *err)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(c->imap, &caps);

	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "CAPABILITY", r);
	mailimap_capability_data_free(caps);
	c->has_move = mailimap_has_extension(c->imap, "MOVE");
	c->has_uidplus = mailimap_has_uidplus(c->imap);
	c->has_idle = mailimap_has_idle(c->imap);
	return 0;
}

static int
client_starttls(struct imap_client *c, int timeout_s, struct tk_err *err)
{
	mailstream_low *low, *tls;
	int r = mailimap_starttls(c->imap);

	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "STARTTLS", r);
	low = mailstream_get_low(c->imap->imap_stream);
	if ((tls = imap_tls_open(mailstream_low_get_fd(low), c->mb->host, c->mb->tls_verify,
	                         timeout_s, err)) == NULL)
		return -1; /* the old stream still owns the socket */
	mailstream_low_free(low); /* frees the plain driver without closing the socket */
	mailstream_set_low(c->imap->imap_stream, tls);
	return 0;
}

static int
client_connect(struct imap_client *c, int timeout_s, struct tk_err *err)
{
	const struct config_mailbox *mb = c->mb;
	mailstream *stream = NULL;
	int fd, r;

	if ((fd = connect_tcp(mb->host, mb->port, timeout_s, err)) < 0)
		return -1;
	if (mb->tls == IMAP_TLS) {
		mailstream_low *low = imap_tls_open(fd, mb->host, mb->tls_verify, timeout_s, err);

		if (low == NULL) {
			close(fd);
			return -1;
		}
		if ((stream = mailstream_new(low, 8192)) == NULL) {
			mailstream_low_close(low);
			mailstream_low_free(low);
			return tk_err_set(err, "cannot create the IMAP stream");
		}
	} else if ((stream = mailstream_socket_open_timeout(fd, timeout_s)) == NULL) {
		close(fd);
		return tk_err_set(err, "cannot create the IMAP stream");
	}
	r = mailimap_connect(c->imap, stream); /* closes the stream on failure */
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return client_fail(c, err, "greeting", r);
	if (mb->tls == IMAP_STARTTLS && client_starttls(c, timeout_s, err) < 0)
		return -1;
	if (imap_deadline_wrap(c->imap->imap_stream) < 0)
		return tk_err_set(err, "out of memory");
	return 0;
}

/* Create mb->move_to when LIST does not show it. */
static int
ensure_folder(struct imap_client *c, struct tk_err *err)
{
	clist *list = NULL;
	int r = mailimap_list(c->imap, "", c->mb->move_to, &list);
	bool exists;

	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "LIST", r);
	exists = list != NULL && clist_count(list) > 0;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (exists)
		return 0;
	if ((r = mailimap_create(c->imap, c->mb->move_to)) != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "CREATE", r);
	log_info("imap: mailbox=%s created folder %s", c->mb->name, c->mb->move_to);
	return 0;
}

int
imap_client_open(struct imap_client *c, const struct config_mailbox *mb, int timeout_s,
                 struct tk_err *err)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->mb = mb;
	if (mb->after == IMAP_AFTER_MOVE &&
	    (strcmp(mb->move_to, mb->folder) == 0 ||
	     (strcasecmp(mb->move_to, "INBOX") == 0 && strcasecmp(mb->folder, "INBOX") == 0)))
		return tk_err_set(err, "move_to is the folder itself (%s): every message would come "
		                  "back; nothing fetched", mb->folder);
	if ((c->imap = mailimap_new(0, NULL)) == NULL)
		return tk_err_set(err, "out of memory");
	mailimap_set_timeout(c->imap, timeout_s);
	if (client_connect(c, timeout_s, err) < 0 || client_caps(c, err) < 0 ||
	    client_auth(c, err) < 0 || client_caps(c, err) < 0 ||
	    (mb->after == IMAP_AFTER_MOVE && ensure_folder(c, err) < 0))
		goto fail;
	if ((r = mailimap_select(c->imap, mb->folder)) != MAILIMAP_NO_ERROR) {
		client_fail(c, err, "SELECT", r);
		goto fail;
	}
	if (c->imap->imap_selection_info == NULL || c->imap->imap_selection_info->sel_uidvalidity == 0) {
		tk_err_temp(err, "SELECT %s: the server gave no UIDVALIDITY", mb->folder);
		goto fail;
	}
	c->uidvalidity = c->imap->imap_selection_info->sel_uidvalidity;
	return 0;
fail:
	mailimap_free(c->imap);
	c->imap = NULL;
	return -1;
}

void
imap_client_close(struct imap_client *c, bool logout)
{
	if (c->imap == NULL)
		return;
	if (logout && c->imap->imap_stream != NULL)
		(void)mailimap_logout(c->imap);
	if (c->imap->imap_stream != NULL) { /* or mailimap_free() would try a LOGOUT */
		mailstream_close(c->imap->imap_stream);
		c->imap->imap_stream = NULL;
	}
	mailimap_free(c->imap);
	c->imap = NULL;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct mailimap_search_key *
unseen_key(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, NULL, NULL, NULL, NULL, NULL,
	                               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	                               NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

int
imap_client_search(struct imap_client *c, uint32_t first, uint32_t last, bool unseen_only,
                   uint32_t **uids_r, size_t *n_r, struct tk_err *err)
{
	struct mailimap_search_key *key = mailimap_search_key_new_uid(mailimap_set_new_interval(first, last));
	clist *res = NULL;
	size_t n = 0;
	int r;

	*uids_r = NULL;
	*n_r = 0;
	if (unseen_only) {
		clist *all = clist_new();

		clist_append(all, key);
		clist_append(all, unseen_key());
		key = mailimap_search_key_new_multiple(all);
	}
	r = mailimap_uid_search(c->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "UID SEARCH", r);
	*uids_r = xcalloc((size_t)clist_count(res) + 1, sizeof(uint32_t));
	for (clistiter *it = clist_begin(res); it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		if (uid >= first && (last == 0 || uid <= last))
			(*uids_r)[n++] = uid;
	}
	mailimap_search_result_free(res);
	qsort(*uids_r, n, sizeof(uint32_t), uid_cmp);
	*n_r = n;
	return 0;
}

/*
 * UID FETCH uid (UID att): the static item of type att_type for that UID
 * (borrowed from *res_r, which the caller frees), or NULL when the server
 * returned nothing for it (the message is gone).
 */
static int
fetch_item(struct imap_client *c, uint32_t uid, struct mailimap_fetch_att *att, int att_type,
           clist **res_r, struct mailimap_msg_att_static **item_r, struct tk_err *err)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	int r;

	*res_r = NULL;
	*item_r = NULL;
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, att);
	r = mailimap_uid_fetch(c->imap, set, ft, res_r);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "UID FETCH", r);
	for (clistiter *it = clist_begin(*res_r); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		struct mailimap_msg_att_static *want = NULL;
		uint32_t got = 0;

		for (clistiter *j = clist_begin(ma->att_list); j != NULL; j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				got = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type == att_type)
				want = item->att_data.att_static;
		}
		if (got == uid && want != NULL) {
			*item_r = want;
			break;
		}
	}
	return 0;
}

static int
uid_find(const uint32_t *uids, size_t n, uint32_t uid)
{
	const uint32_t *p = bsearch(&uid, uids, n, sizeof(*uids), uid_cmp);

	return p ? (int)(p - uids) : -1;
}

int
imap_client_sizes(struct imap_client *c, const uint32_t *uids, size_t n, int64_t *sizes_r,
                  struct tk_err *err)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		sizes_r[i] = -1;
		mailimap_set_add_single(set, uids[i]);
	}
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return client_fail(c, err, "UID FETCH RFC822.SIZE", r);
	for (clistiter *it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		int64_t size = -1;
		int idx = -1;

		for (clistiter *j = clist_begin(ma->att_list); j != NULL; j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				idx = uid_find(uids, n, item->att_data.att_static->att_data.att_uid);
			else if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				size = item->att_data.att_static->att_data.att_rfc822_size;
		}
		if (idx >= 0 && size >= 0)
			sizes_r[idx] = size;
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* The chunk loop of imap_client_fetch(). */
static int
fetch_chunks(struct imap_client *c, uint32_t uid, int64_t deadline_ms, struct buf *out,
             struct tk_err *err)
{
	uint32_t offset = 0;
	size_t got;

	do {
		struct mailimap_msg_att_static *item;
		struct mailimap_fetch_att *att;
		clist *res;
		int rc = 0;

		if (now_ms() > deadline_ms)
			return tk_err_temp(err, "fetch timed out after %u bytes (message_timeout)", offset);
		att = mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(NULL),
		                                                       offset, IMAP_CHUNK);
		if (fetch_item(c, uid, att, MAILIMAP_MSG_ATT_BODY_SECTION, &res, &item, err) < 0) {
			if (now_ms() > deadline_ms)
				tk_err_temp(err, "fetch timed out after %u bytes (message_timeout)", offset);
			return -1;
		}
		got = 0;
		if (item == NULL)
			rc = offset == 0 ? 1 : tk_err_temp(err, "message vanished during the fetch");
		else if (item->att_data.att_body_section != NULL &&
		         item->att_data.att_body_section->sec_body_part != NULL) {
			got = item->att_data.att_body_section->sec_length;
			if (buf_append(out, item->att_data.att_body_section->sec_body_part, got) < 0)
				rc = tk_err_set(err, "message larger than %d bytes", IMAP_MAX_MESSAGE);
		}
		mailimap_fetch_list_free(res);
		if (rc == 1)
			return 0; /* gone before the first byte */
		if (rc < 0)
			return -1;
		offset += (uint32_t)got;
	} while (got == IMAP_CHUNK);
	return 1;
}

int
imap_client_fetch(struct imap_client *c, uint32_t uid, int64_t deadline_ms, struct buf *out,
                  struct tk_err *err)
{
	int rc;

	buf_reset(out);
	imap_deadline_set(c->imap->imap_stream, deadline_ms);
	rc = fetch_chunks(c, uid, deadline_ms, out, err);
	imap_deadline_set(c->imap->imap_stream, 0);
	return rc;
}

static int
store_flag(struct imap_client *c, struct mailimap_set *set, struct mailimap_flag *flag,
           struct tk_err *err)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	return r == MAILIMAP_NO_ERROR ? 0 : client_fail(c, err, "UID STORE", r);
}

int
imap_client_ack(struct imap_client *c, const uint32_t *uids, size_t n, struct tk_err *err)
{
	struct mailimap_set *set;
	int r, rc = -1;

	if (n == 0)
		return 0;
	set = mailimap_set_new_empty();
	for (size_t i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	if (c->mb->after == IMAP_AFTER_SEEN) {
		rc = store_flag(c, set, mailimap_flag_new_seen(), err);
	} else if (c->has_move) {
		r = mailimap_uid_move(c->imap, set, c->mb->move_to);
		rc = r == MAILIMAP_NO_ERROR ? 0 : client_fail(c, err, "UID MOVE", r);
	} else if (c->has_uidplus) {
		if ((r = mailimap_uid_copy(c->imap, set, c->mb->move_to)) != MAILIMAP_NO_ERROR)
			client_fail(c, err, "UID COPY", r);
		else if (store_flag(c, set, mailimap_flag_new_deleted(), err) == 0 &&
		         (r = mailimap_uid_expunge(c->imap, set)) != MAILIMAP_NO_ERROR)
			client_fail(c, err, "UID EXPUNGE", r);
		else
			rc = 0;
	} else {
		log_warn("imap: mailbox=%s the server offers neither MOVE nor UIDPLUS: setting \\Seen "
		         "instead of moving (ticketd never expunges without UID EXPUNGE)", c->mb->name);
		rc = store_flag(c, set, mailimap_flag_new_seen(), err);
	}
	mailimap_set_free(set);
	return rc;
}

int
imap_client_noop(struct imap_client *c, struct tk_err *err)
{
	int r = mailimap_noop(c->imap);

	return r == MAILIMAP_NO_ERROR ? 0 : client_fail(c, err, "NOOP", r);
}

uint32_t
imap_client_exists(const struct imap_client *c)
{
	return c->imap && c->imap->imap_selection_info ? c->imap->imap_selection_info->sel_exists : 0;
}

int
imap_client_idle_begin(struct imap_client *c, struct tk_err *err)
{
	int r = mailimap_idle(c->imap);

	return r == MAILIMAP_NO_ERROR ? 0 : client_fail(c, err, "IDLE", r);
}

int
imap_client_idle_wait(struct imap_client *c, int ms)
{
	mailstream *s = c->imap->imap_stream;
	struct pollfd p;
	int r;

	if (s == NULL)
		return -1;
	if (s->read_buffer_len > 0 || imap_tls_pending(mailstream_get_low(s)))
		return 1;
	p = (struct pollfd){ .fd = mailimap_idle_get_fd(c->imap), .events = POLLIN };
	r = poll(&p, 1, ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	return r > 0; /* POLLHUP/POLLERR too: the next read reports it */
}

int
imap_client_idle_end(struct imap_client *c, struct tk_err *err)
{
	int r = mailimap_idle_done(c->imap);

	return r == MAILIMAP_NO_ERROR ? 0 : client_fail(c, err, "IDLE DONE", r);
}
