/*
 * ctl.h: ticketctl subcommands. Each lives in its own file (ctl_<name>.c)
 * and is listed in the command table of ticketctl.c.
 *
 * A subcommand gets argv from its own name on (argv[0] is "parse",
 * "rules", ...) and returns the process exit code: CTL_OK, CTL_USAGE (usage
 * or input error), CTL_TEMPFAIL (database unreachable, EX_TEMPFAIL).
 */
#ifndef TK_CTL_H
#define TK_CTL_H

#define CTL_OK 0
#define CTL_USAGE 1
#define CTL_TEMPFAIL 75

struct ctl_command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

int ctl_parse(int argc, char **argv);  /* ctl_parse.c: ticketctl parse [--json] FILE */
/* ctl_rules.c: ticketctl rules test [--rules DIR] [--json] [--source NAME] [--mailbox NAME] FILE,
 * ticketctl rules check [--rules DIR] */
int ctl_rules(int argc, char **argv);

#endif
