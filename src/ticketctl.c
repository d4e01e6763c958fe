/*
 * ticketctl.c: the admin tool's entry point: dispatch argv[1] to a
 * subcommand from the table (each lives in ctl_<name>.c, see ctl.h).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_command commands[] = {
	{ "parse", "parse [--json] FILE|-   parse one message, print it (no database)", ctl_parse },
};

static int
usage(void)
{
	fprintf(stderr, "usage: ticketctl COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s\n", commands[i].usage);
	return CTL_USAGE;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage();
}
