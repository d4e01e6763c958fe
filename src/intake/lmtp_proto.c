/*
 * lmtp_proto.c: the LMTP protocol (RFC 2033 over RFC 5321) as pure
 * functions: a session takes one command line and appends its reply, and
 * the DATA reader turns the stream after "354" into the message. No
 * sockets, clocks or database here (lmtp.c has them), so every reply and
 * every cut of the stream can be tested (tests/unit/test_lmtp.c).
 *
 * Offered: LHLO, MAIL (SIZE=, BODY=7BIT|8BITMIME), RCPT, DATA, RSET, NOOP,
 * QUIT, VRFY (252), HELP; extensions PIPELINING, ENHANCEDSTATUSCODES,
 * 8BITMIME and SIZE. HELO and EHLO are refused: a client that thinks it
 * speaks SMTP would read one reply after DATA where LMTP sends one per
 * recipient. Addresses are ASCII (no SMTPUTF8).
 */
/* System. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "lmtp_int.h"
#include "xalloc.h"

enum lmtp_verb {
	V_UNKNOWN, V_LHLO, V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_RSET, V_NOOP, V_QUIT,
	V_VRFY, V_HELP, V_NOT_OFFERED,
};

static const struct {
	const char *name;
	enum lmtp_verb verb;
} verbs[] = {
	{ "LHLO", V_LHLO }, { "HELO", V_HELO }, { "EHLO", V_EHLO }, { "MAIL", V_MAIL },
	{ "RCPT", V_RCPT }, { "DATA", V_DATA }, { "RSET", V_RSET }, { "NOOP", V_NOOP },
	{ "QUIT", V_QUIT }, { "VRFY", V_VRFY }, { "HELP", V_HELP }, { "EXPN", V_NOT_OFFERED },
	{ "BDAT", V_NOT_OFFERED }, { "STARTTLS", V_NOT_OFFERED }, { "AUTH", V_NOT_OFFERED },
	{ "ETRN", V_NOT_OFFERED }, { "TURN", V_NOT_OFFERED },
};

void
lmtp_session_init(struct lmtp_session *s, const char *hostname, int64_t max_size)
{
	memset(s, 0, sizeof(*s));
	s->hostname = hostname;
	s->max_size = max_size;
}

void
lmtp_session_reset(struct lmtp_session *s)
{
	xfree(&s->sender);
	for (size_t i = 0; i < s->n_rcpt; i++)
		xfree(&s->rcpt[i]);
	s->n_rcpt = 0;
	s->mail = false;
}

void
lmtp_session_fini(struct lmtp_session *s)
{
	lmtp_session_reset(s);
}

void
lmtp_session_greeting(const struct lmtp_session *s, struct buf *out)
{
	(void)buf_printf(out, "220 %s LMTP ticketd ready\r\n", s->hostname);
}

/* The verb of a command line, *arg_r pointing after it and its spaces (NUL-terminated line). */
static enum lmtp_verb
verb_parse(const char *line, const char **arg_r)
{
	size_t n = strcspn(line, " ");
	const char *arg = line + n;

	while (*arg == ' ')
		arg++;
	*arg_r = arg;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == n && strncasecmp(line, verbs[i].name, n) == 0)
			return verbs[i].verb;
	return V_UNKNOWN;
}

static bool
atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* A quoted local part "..." starting at p (up to end); the byte after it, or NULL. */
static const char *
quoted_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			return p + 1;
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	}
	return NULL;
}

static bool
domain_ok(const char *p, const char *end)
{
	bool label = false;

	if (p < end && *p == '[') {   /* an address literal */
		if (end - p < 3 || end[-1] != ']')
			return false;
		for (p++; p < end - 1; p++)
			if ((unsigned char)*p <= ' ' || *p == '[' || *p == ']' || *p == '\\' || *p == 0x7f)
				return false;
		return true;
	}
	for (; p < end; p++) {
		if (*p == '.' && !label)
			return false;
		label = *p != '.';
		if (*p != '.' && !isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	}
	return label;
}

/* local@domain (or "postmaster" for a recipient) within limits. */
static bool
addr_ok(const char *a, size_t n, bool rcpt)
{
	const char *end = a + n, *p = a;

	if (n == 0 || n > LMTP_ADDR_MAX)
		return false;
	if (rcpt && n == 10 && strncasecmp(a, "postmaster", 10) == 0)
		return true;
	if (*p == '"') {
		if ((p = quoted_end(p, end)) == NULL)
			return false;
	} else {
		while (p < end && atext((unsigned char)*p))
			p++;
		if (p == a)
			return false;
	}
	return p < end && *p == '@' && domain_ok(p + 1, end);
}

static bool
non_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

int
lmtp_path_parse(const char *arg, const char *keyword, bool allow_null, char **addr_r,
                const char **params_r, const char **reply_r)
{
	bool from = strcasecmp(keyword, "FROM:") == 0;
	const char *p = arg, *close;

	*addr_r = NULL;
	*params_r = "";
	*reply_r = from ? "501 5.5.4 Syntax: MAIL FROM:<address>" : "501 5.5.4 Syntax: RCPT TO:<address>";
	if (strncasecmp(p, keyword, strlen(keyword)) != 0)
		return -1;
	p += strlen(keyword);
	while (*p == ' ')     /* "FROM: <a>": not RFC 5321, but common */
		p++;
	if (*p != '<' || (close = strchr(p, '>')) == NULL || (close[1] != '\0' && close[1] != ' '))
		return -1;
	p++;
	if (*p == '@') {      /* a source route "@a,@b:" is ignored (RFC 5321 4.1.2, C) */
		const char *colon = memchr(p, ':', (size_t)(close - p));

		if (colon == NULL)
			return -1;
		p = colon + 1;
	}
	*reply_r = from ? "501 5.1.7 Bad sender address syntax" : "501 5.1.3 Bad recipient address syntax";
	if (non_ascii(p, (size_t)(close - p))) {
		*reply_r = "553 5.6.7 Non-ASCII address: SMTPUTF8 is not offered here";
		return -1;
	}
	if (!(p == close && allow_null) && !addr_ok(p, (size_t)(close - p), !from))
		return -1;
	*addr_r = xstrndup(p, (size_t)(close - p));
	for (*params_r = close + 1; **params_r == ' '; (*params_r)++)
		;
	return 0;
}

/* MAIL's parameters: SIZE= and BODY=; a static reply on error, else NULL. */
static const char *
mail_params(const struct lmtp_session *s, const char *params)
{
	char word[64];

	while (*params) {
		size_t n = strcspn(params, " ");

		if (n >= sizeof(word))
			return "555 5.5.4 Unsupported MAIL parameter";
		memcpy(word, params, n);
		word[n] = '\0';
		params += n;
		while (*params == ' ')
			params++;
		if (strncasecmp(word, "SIZE=", 5) == 0) {
			char *end;
			unsigned long long size = strtoull(word + 5, &end, 10);

			if (!isdigit((unsigned char)word[5]) || *end != '\0' || n > 25)
				return "501 5.5.4 Bad SIZE parameter";
			if (size > (unsigned long long)s->max_size)
				return "552 5.3.4 Message too big for this system";
		} else if (strcasecmp(word, "BODY=7BIT") != 0 && strcasecmp(word, "BODY=8BITMIME") != 0) {
			return "555 5.5.4 Unsupported MAIL parameter";
		}
	}
	return NULL;
}

static void
reply(struct buf *out, const char *line)
{
	(void)buf_puts(out, line);
	(void)buf_puts(out, "\r\n");
}

/* A refused command: its reply, and the connection closed after too many. */
static enum lmtp_next
refuse(struct lmtp_session *s, struct buf *out, const char *line)
{
	reply(out, line);
	if (++s->errors < LMTP_MAX_ERRORS)
		return LMTP_NEXT_COMMAND;
	(void)buf_printf(out, "421 4.7.0 %s Too many errors, closing the connection\r\n",
	                 s->hostname);
	return LMTP_NEXT_CLOSE;
}

static enum lmtp_next
cmd_lhlo(struct lmtp_session *s, const char *arg, struct buf *out)
{
	if (*arg == '\0')
		return refuse(s, out, "501 5.5.4 Syntax: LHLO hostname");
	lmtp_session_reset(s);
	s->lhlo = true;
	(void)buf_printf(out, "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
	                 "250-8BITMIME\r\n250 SIZE %" PRId64 "\r\n", s->hostname, s->max_size);
	return LMTP_NEXT_COMMAND;
}

static enum lmtp_next
cmd_mail(struct lmtp_session *s, const char *arg, struct buf *out)
{
	const char *params, *why;
	char *addr;

	if (!s->lhlo)
		return refuse(s, out, "503 5.5.1 Say LHLO first");
	if (s->mail)
		return refuse(s, out, "503 5.5.1 Nested MAIL command");
	if (lmtp_path_parse(arg, "FROM:", true, &addr, &params, &why) < 0)
		return refuse(s, out, why);
	if ((why = mail_params(s, params)) != NULL) {
		xfree(&addr);
		return refuse(s, out, why);
	}
	s->sender = addr;
	s->mail = true;
	reply(out, "250 2.1.0 Sender OK");
	return LMTP_NEXT_COMMAND;
}

static enum lmtp_next
cmd_rcpt(struct lmtp_session *s, const char *arg, struct buf *out)
{
	const char *params, *why;
	char *addr;

	if (!s->mail)
		return refuse(s, out, "503 5.5.1 Need MAIL before RCPT");
	if (lmtp_path_parse(arg, "TO:", false, &addr, &params, &why) < 0)
		return refuse(s, out, why);
	if (*params != '\0') {
		xfree(&addr);
		return refuse(s, out, "555 5.5.4 Unsupported RCPT parameter");
	}
	if (s->n_rcpt == LMTP_MAX_RCPT) {
		xfree(&addr);
		reply(out, "452 4.5.3 Too many recipients");   /* the client sends the rest later */
		return LMTP_NEXT_COMMAND;
	}
	s->rcpt[s->n_rcpt++] = addr;
	reply(out, "250 2.1.5 Recipient OK");
	return LMTP_NEXT_COMMAND;
}

static enum lmtp_next
cmd_data(struct lmtp_session *s, const char *arg, struct buf *out)
{
	if (*arg != '\0')
		return refuse(s, out, "501 5.5.4 Syntax: DATA");
	if (!s->mail)
		return refuse(s, out, "503 5.5.1 Need MAIL before DATA");
	if (s->n_rcpt == 0)
		return refuse(s, out, "503 5.5.1 No valid recipients");
	reply(out, "354 Send the message, end with <CRLF>.<CRLF>");
	return LMTP_NEXT_DATA;
}

enum lmtp_next
lmtp_session_command(struct lmtp_session *s, const char *line, size_t len, struct buf *out)
{
	char cmd[LMTP_LINE_MAX + 1];
	const char *arg;

	if (len > LMTP_LINE_MAX || memchr(line, '\0', len) != NULL)
		return refuse(s, out, len > LMTP_LINE_MAX ? "500 5.5.2 Line too long" :
		              "500 5.5.2 NUL in a command");
	memcpy(cmd, line, len);
	cmd[len] = '\0';
	while (len > 0 && cmd[len - 1] == ' ')   /* trailing spaces: lenient */
		cmd[--len] = '\0';
	switch (verb_parse(cmd, &arg)) {
	case V_LHLO: return cmd_lhlo(s, arg, out);
	case V_HELO:
	case V_EHLO: return refuse(s, out, "500 5.5.1 This is LMTP: say LHLO");
	case V_MAIL: return cmd_mail(s, arg, out);
	case V_RCPT: return cmd_rcpt(s, arg, out);
	case V_DATA: return cmd_data(s, arg, out);
	case V_RSET:
		lmtp_session_reset(s);
		reply(out, "250 2.0.0 OK");
		return LMTP_NEXT_COMMAND;
	case V_NOOP: reply(out, "250 2.0.0 OK"); return LMTP_NEXT_COMMAND;
	case V_QUIT:
		(void)buf_printf(out, "221 2.0.0 %s closing connection\r\n", s->hostname);
		return LMTP_NEXT_CLOSE;
	case V_VRFY: reply(out, "252 2.5.2 Cannot VRFY; send the mail"); return LMTP_NEXT_COMMAND;
	case V_HELP:
		reply(out, "214 2.0.0 LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
		return LMTP_NEXT_COMMAND;
	case V_NOT_OFFERED: return refuse(s, out, "502 5.5.1 Command not implemented");
	default: return refuse(s, out, "500 5.5.2 Command not recognized");
	}
}

void
lmtp_session_replies(struct lmtp_session *s, const char *line, struct buf *out)
{
	for (size_t i = 0; i < s->n_rcpt; i++)
		reply(out, line);
	lmtp_session_reset(s);
}

/* ---- DATA ---- */

enum { D_BOL, D_BOL_DOT, D_BOL_DOT_CR, D_MID, D_CR };

void
lmtp_data_init(struct lmtp_data *d, int64_t max_size)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->msg, (size_t)max_size);
	d->max_size = max_size;
	d->state = D_BOL;
	d->crlf = true;   /* the DATA line ended with CRLF: "." at once is an empty message */
}

void
lmtp_data_fini(struct lmtp_data *d)
{
	buf_fini(&d->msg);
}

static void
emit(struct lmtp_data *d, const char *p, size_t n)
{
	if (d->too_big || n == 0)
		return;
	if (buf_append(&d->msg, p, n) < 0) {
		d->too_big = true;   /* keep reading to the end, keep nothing more */
		buf_fini(&d->msg);
		buf_init(&d->msg, 1);
	}
}

/* A line end (LF) after a line: crlf says whether a CR came before it. */
static void
line_end(struct lmtp_data *d, bool crlf)
{
	emit(d, "\n", 1);
	d->state = D_BOL;
	d->crlf = crlf;
}

size_t
lmtp_data_feed(struct lmtp_data *d, const char *p, size_t n, bool *done_r)
{
	size_t i = 0;

	*done_r = false;
	while (i < n) {
		char c = p[i];

		switch (d->state) {
		case D_BOL:
			if (c == '.') {
				d->state = D_BOL_DOT;
				i++;
				continue;
			}
			d->state = D_MID;
			continue;              /* the same byte, mid-line */
		case D_BOL_DOT:
			if (c == '\r') {
				d->state = D_BOL_DOT_CR;
				i++;
				continue;
			}
			d->state = D_MID;      /* a stuffed dot: dropped */
			continue;
		case D_BOL_DOT_CR:
			if (c == '\n' && d->crlf) {
				*done_r = true;     /* CRLF "." CRLF */
				return i + 1;
			}
			d->state = D_CR;       /* ".\r" not ending the message: the dot was stuffed */
			continue;
		case D_CR:
			i++;
			if (c == '\n') {
				line_end(d, true);
				continue;
			}
			emit(d, "\r", 1);      /* a bare CR stays */
			if (c == '\r')
				continue;
			emit(d, &c, 1);
			d->state = D_MID;
			continue;
		default: {                 /* D_MID: copy the run up to a CR or LF */
			size_t j = i;

			while (j < n && p[j] != '\r' && p[j] != '\n')
				j++;
			emit(d, p + i, j - i);
			i = j;
			if (i < n && p[i] == '\n') {
				line_end(d, false);
				i++;
			} else if (i < n) {
				d->state = D_CR;
				i++;
			}
		}
		}
	}
	return i;
}
