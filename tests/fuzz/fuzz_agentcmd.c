/*
 * fuzz_agentcmd.c: the visible text of an agent's reply through
 * agentcmd_parse (agentcmd.h).
 *
 * Properties: the result agrees with the return value (0 exactly when no
 * error); each command is one of the kinds, with a canonical value for
 * #status and #priority, a user name for #assign (letters, digits, ". _ -
 * @", at most 64 bytes), none for #note and #ack, and for the sender's
 * state (#available ... #offline) the state's name with an "until" time
 * (non-empty, lower-case, one line) never on #available; a kind appears at
 * most once; lines ascend; and the text left is command-free: parsing it
 * again finds neither a command nor an error.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "agentcmd.h"
#include "fuzz.h"

static bool
one_of(const char *v, const char *const *set)
{
	for (size_t i = 0; v && set[i]; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

static void
check_cmd(const struct agentcmd *c)
{
	static const char *const statuses[] = {
		"open", "in_progress", "pending", "resolved", "closed", "reopened", NULL,
	};
	static const char *const priorities[] = { "low", "medium", "high", "critical", NULL };
	static const char *const states[] = { "available", "busy", "away", "offline", NULL };

	switch (c->kind) {
	case AGENTCMD_STATUS:
		if (!one_of(c->arg, statuses))
			fuzz_fail("#status with value \"%s\"", c->arg ? c->arg : "(null)");
		break;
	case AGENTCMD_PRIORITY:
		if (!one_of(c->arg, priorities))
			fuzz_fail("#priority with value \"%s\"", c->arg ? c->arg : "(null)");
		break;
	case AGENTCMD_ASSIGN:
		if (c->arg == NULL || c->arg[0] == '\0' || strlen(c->arg) > 64 ||
		    strspn(c->arg, "abcdefghijklmnopqrstuvwxyz0123456789._-@") != strlen(c->arg))
			fuzz_fail("#assign with an invalid user name");
		break;
	case AGENTCMD_NOTE:
	case AGENTCMD_ACK:
		if (c->arg != NULL)
			fuzz_fail("#%s with a value", agentcmd_name(c->kind));
		break;
	case AGENTCMD_STATE:
		if (!one_of(c->arg, states))
			fuzz_fail("a state command with value \"%s\"", c->arg ? c->arg : "(null)");
		if (c->until && (c->until[0] == '\0' || strcmp(c->arg, "available") == 0 ||
		                 strpbrk(c->until, "\nABCDEFGHIJKLMNOPQRSTUVWXYZ")))
			fuzz_fail("#%s with until \"%s\"", c->arg, c->until);
		break;
	default:
		fuzz_fail("a command of kind %d", (int)c->kind);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_strndup(data, size);
	struct agentcmd_list l, again;
	unsigned seen = 0;
	int rc;

	fuzz_init();
	rc = agentcmd_parse(in, &l);
	if ((rc == 0) != (l.errs.n == 0) || l.text == NULL)
		fuzz_fail("return value %d with %zu errors, text %p", rc, l.errs.n, (void *)l.text);
	for (size_t i = 0; i < l.n; i++) {
		check_cmd(&l.cmds[i]);
		if (seen & (1u << l.cmds[i].kind))
			fuzz_fail("#%s twice", agentcmd_name(l.cmds[i].kind));
		seen |= 1u << l.cmds[i].kind;
		if (l.cmds[i].line < 1 || (i > 0 && l.cmds[i].line <= l.cmds[i - 1].line))
			fuzz_fail("command %zu on line %d", i, l.cmds[i].line);
	}
	if (agentcmd_parse(l.text, &again) != 0 || again.n != 0 || strcmp(again.text, l.text) != 0)
		fuzz_fail("the text left still holds commands (%zu) or errors (%zu)", again.n,
		          again.errs.n);
	agentcmd_list_fini(&again);
	agentcmd_list_fini(&l);
	free(in);
	return 0;
}
