/*
 * agentcmd.c: parse "#command value" lines at the top of an agent's reply
 * (syntax in agentcmd.h). A line is a command line when it starts with '#'
 * and a letter; each is checked against a table of commands and values,
 * kept when valid, reported with its line number when not, and removed
 * from the text either way.
 */
/* System. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "agentcmd.h"
#include "lifecycle.h"
#include "log.h"
#include "xalloc.h"

#define AGENTCMD_FILE "reply"
#define AGENTCMD_ARG_MAX 64

struct cmdspec {
	const char *name;
	enum agentcmd_kind kind;
	const char *(*canon)(const char *); /* the stored value (lifecycle.h), or NULL: any */
	bool takes_arg;
};

/* A status an agent may ask for: any but new, which nothing moves back to. */
static const char *
status_target(const char *word)
{
	const char *s = lc_status_canonical(word);

	return s && strcmp(s, "new") != 0 ? s : NULL;
}

static const struct cmdspec specs[] = {
	{"status", AGENTCMD_STATUS, status_target, true},
	{"assign", AGENTCMD_ASSIGN, NULL, true},
	{"priority", AGENTCMD_PRIORITY, lc_priority_canonical, true},
	{"note", AGENTCMD_NOTE, NULL, false},
	{"ack", AGENTCMD_ACK, NULL, false},
	/* the sender's own state (agent.h); busy, away, offline may say "until TIME" */
	{"available", AGENTCMD_STATE, NULL, false},
	{"busy", AGENTCMD_STATE, NULL, false},
	{"away", AGENTCMD_STATE, NULL, false},
	{"offline", AGENTCMD_STATE, NULL, false},
};

const char *
agentcmd_name(enum agentcmd_kind kind)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (specs[i].kind == kind)
			return specs[i].name;
	return "unknown";
}

static bool
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *
lower_dup(const char *s, size_t len)
{
	char *d = xstrndup(s, len);

	for (char *p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return d;
}

static bool
valid_user(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AGENTCMD_ARG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_letter(s[i]) && !(s[i] >= '0' && s[i] <= '9') && !strchr("._-@", s[i]))
			return false;
	return true;
}

/* Split a command line (after '#') into name and the rest. */
static void
split(const char *s, size_t len, const char **name, size_t *nlen, const char **rest, size_t *rlen)
{
	size_t i = 0;

	while (i < len && (is_letter(s[i]) || s[i] == '_' || s[i] == '-'))
		i++;
	*name = s;
	*nlen = i;
	if (i < len && s[i] == ':')
		i++;
	while (i < len && is_blank(s[i]))
		i++;
	while (len > i && is_blank(s[len - 1]))
		len--;
	*rest = s + i;
	*rlen = len - i;
}

/* #available, #busy, #away, #offline: nothing, or "until TIME" (not for available). */
static bool
parse_state(struct agentcmd_list *list, const struct cmdspec *sp, const char *rest, size_t rlen,
            int line, int col)
{
	char *until = NULL;

	if (rlen > 0) {
		if (rlen < 7 || strncasecmp(rest, "until", 5) != 0 || !is_blank(rest[5]) ||
		    strcmp(sp->name, "available") == 0) {
			tk_errlist_add(&list->errs, AGENTCMD_FILE, line, col, "#%s takes %s", sp->name,
			               strcmp(sp->name, "available") == 0 ? "no value" :
			               "nothing or \"until TIME\"");
			return false;
		}
		rest += 6;
		rlen -= 6;
		while (rlen > 0 && is_blank(*rest)) {
			rest++;
			rlen--;
		}
		if (rlen == 0 || rlen > AGENTCMD_ARG_MAX) {
			tk_errlist_add(&list->errs, AGENTCMD_FILE, line, col, "#%s until: a time is "
			               "expected (2026-12-24, \"2026-12-24 17:30\", 3h)", sp->name);
			return false;
		}
		until = lower_dup(rest, rlen);
	}
	list->cmds = xreallocarray(list->cmds, list->n + 1, sizeof(*list->cmds));
	list->cmds[list->n++] = (struct agentcmd){sp->kind, xstrdup(sp->name), line, until};
	return true;
}

/* Check one command line (without '#'); add it to the list or an error. */
static void
parse_line(struct agentcmd_list *list, const char *s, size_t len, int line, unsigned *seen)
{
	const char *name, *rest;
	size_t nlen, rlen, i;
	char clip[80], *raw;

	split(s, len, &name, &nlen, &rest, &rlen);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strlen(specs[i].name) == nlen && strncasecmp(name, specs[i].name, nlen) == 0)
			break;
	raw = xstrndup(name, nlen < 40 ? nlen : 40);
	log_clip(clip, sizeof(clip), raw);
	xfree(&raw);
	if (i == sizeof(specs) / sizeof(specs[0])) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, 1, "unknown command #%s", clip);
		return;
	}
	const struct cmdspec *sp = &specs[i];
	if (*seen & (1u << sp->kind)) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, 1, "#%s given twice", sp->name);
		return;
	}
	if (sp->kind == AGENTCMD_STATE) {
		if (parse_state(list, sp, rest, rlen, line, (int)(rest - s) + 2))
			*seen |= 1u << sp->kind;
		return;
	}
	if (!sp->takes_arg && rlen > 0) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, 1, "#%s takes no value", sp->name);
		return;
	}
	if (sp->takes_arg && rlen == 0) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, 1, "#%s needs a value", sp->name);
		return;
	}
	char *arg = sp->takes_arg ? lower_dup(rest, rlen > 200 ? 200 : rlen) : NULL;
	int col = (int)(rest - s) + 2;
	if (arg && (rlen > AGENTCMD_ARG_MAX || strpbrk(arg, " \t"))) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, col, "#%s takes one value", sp->name);
	} else if (arg && sp->canon && !sp->canon(arg)) {
		log_clip(clip, sizeof(clip), arg);
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, col, "#%s: unknown value \"%s\"",
		               sp->name, clip);
	} else if (arg && sp->kind == AGENTCMD_ASSIGN && !valid_user(arg)) {
		tk_errlist_add(&list->errs, AGENTCMD_FILE, line, col, "#assign: invalid user name");
	} else {
		if (arg && sp->canon) {
			char *c = xstrdup(sp->canon(arg));

			xfree(&arg);
			arg = c;
		}
		list->cmds = xreallocarray(list->cmds, list->n + 1, sizeof(*list->cmds));
		list->cmds[list->n++] = (struct agentcmd){sp->kind, arg, line, NULL};
		*seen |= 1u << sp->kind;
		return;
	}
	xfree(&arg);
}

int
agentcmd_parse(const char *visible, struct agentcmd_list *list)
{
	const char *p = visible ? visible : "";
	unsigned seen = 0;
	int line = 1;

	memset(list, 0, sizeof(*list));
	tk_errlist_init(&list->errs);
	for (;; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), lead = 0;

		while (lead < len && is_blank(p[lead]))
			lead++;
		if (lead == len && nl) {
			p = nl + 1;         /* blank line between commands */
			continue;
		}
		if (lead + 1 >= len || p[lead] != '#' || !is_letter(p[lead + 1]))
			break;              /* the first other line ends the commands */
		parse_line(list, p + lead + 1, len - lead - 1, line, &seen);
		if (!nl) {
			p += len;
			break;
		}
		p = nl + 1;
	}
	/* The rest, from the first non-command line, is the text. */
	while (*p == '\n' || *p == '\r')
		p++;
	list->text = xstrdup(p);
	return list->errs.n > 0 ? -1 : 0;
}

void
agentcmd_list_fini(struct agentcmd_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		xfree(&list->cmds[i].arg);
		xfree(&list->cmds[i].until);
	}
	xfree(&list->cmds);
	list->n = 0;
	tk_errlist_fini(&list->errs);
	xfree(&list->text);
}
