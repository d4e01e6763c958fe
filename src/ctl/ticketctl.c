/*
 * ticketctl.c: the admin tool's entry point: global options and the table
 * of subcommands (each implemented in ctl_<name>.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_command commands[] = {
	{ "migrate", "migrate", ctl_migrate },
	{ "list", "list [--json] [--status S] [--queue Q] [--assignee A] [--tenant T] [--breached] "
	  "[--due-within DURATION] [--limit N]", ctl_list },
	{ "show", "show [--json] [--tenant T] NUMBER", ctl_show },
	{ "set", "set [--tenant T] NUMBER status|priority|assignee VALUE", ctl_set },
	{ "ack", "ack [--tenant T] NUMBER", ctl_ack },
	{ "ingest", "ingest --mailbox NAME [FILE|-]", ctl_ingest },
	{ "inbound", "inbound list [--state S] [--json] | show ID [--raw] | retry ID|--all",
	  ctl_inbound },
	{ "attachment", "attachment get [--quarantined] ID [-o FILE]", ctl_attachment },
	{ "outbox", "outbox list [--state S] [--json] | show ID [--raw] | retry ID|--all", ctl_outbox },
	{ "parse", "parse [--json] FILE|-", ctl_parse },
	{ "rules", "rules test [--rules DIR] [--json] [--source NAME] [--mailbox NAME] [--agent] "
	  "FILE|- | rules check [--rules DIR]", ctl_rules },
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ticketctl [-c CONFIG] COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  ticketctl %s\n", commands[i].usage);
	fprintf(fp, "environment: TICKETD_DSN overrides the configured database; "
	            "TICKETD_CONFIG names the config\n");
}

int
main(int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			setenv("TICKETD_CONFIG", argv[i + 1], 1);
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CTL_OK;
		} else {
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(argc - i, argv + i);
	fprintf(stderr, "ticketctl: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	return CTL_USAGE;
}
