/*
 * ticketctl.c: the admin tool's entry point: global options (-c, -h,
 * --version), `help`, and the table of commands, each a struct ctl_cmd
 * declared beside its code (ctl_<name>.c) and parsed by ctl_opt.c. A
 * command of two words ("inbound list") is found by both.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "ctl.h"

static const struct ctl_cmd *const commands[] = {
	&ctl_cmd_list, &ctl_cmd_show, &ctl_cmd_search, &ctl_cmd_set, &ctl_cmd_comment,
	&ctl_cmd_merge, &ctl_cmd_ack, &ctl_cmd_agent_list, &ctl_cmd_agent_status, &ctl_cmd_agent_log,
	&ctl_cmd_report,
	&ctl_cmd_ingest, &ctl_cmd_inbound_list, &ctl_cmd_inbound_show, &ctl_cmd_inbound_retry,
	&ctl_cmd_outbox_list, &ctl_cmd_outbox_show, &ctl_cmd_outbox_retry, &ctl_cmd_attachment_get,
	&ctl_cmd_parse, &ctl_cmd_rules_test, &ctl_cmd_rules_check, &ctl_cmd_migrate,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Whether command c's name starts with the word w (the whole first word). */
static bool
first_word_is(const struct ctl_cmd *c, const char *w)
{
	size_t n = strlen(w);

	return strncmp(c->name, w, n) == 0 && (c->name[n] == '\0' || c->name[n] == ' ');
}

static void
usage(FILE *fp, const char *group)
{
	if (group == NULL)
		fprintf(fp, "usage: ticketctl [-c CONFIG] COMMAND [ARGS]\n"
		            "       ticketctl help [COMMAND]   ticketctl COMMAND --help\n"
		            "       ticketctl --version\ncommands:\n");
	else
		fprintf(fp, "usage: ticketctl %s COMMAND [ARGS]   (ticketctl %s COMMAND --help)\n",
		        group, group);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (group == NULL || first_word_is(commands[i], group))
			fprintf(fp, "  %-20s %s\n", commands[i]->name, commands[i]->summary);
	if (group == NULL)
		fprintf(fp, "environment: TICKETD_DSN overrides the configured database; "
		            "TICKETD_CONFIG names the config\n");
}

/*
 * The command named by argv[0] (and argv[1] for a group such as
 * "inbound"); *words_r is how many words it took. NULL: printed why (an
 * unknown command, or a group without its verb: *help_r when asked for help).
 */
static const struct ctl_cmd *
lookup(int argc, char **argv, int *words_r, bool *help_r)
{
	bool group = false;

	*help_r = false;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i]->name, argv[0]) == 0) {
			*words_r = 1;
			return commands[i];
		}
		group |= first_word_is(commands[i], argv[0]);
	}
	if (!group) {
		fprintf(stderr, "ticketctl: unknown command \"%s\" (ticketctl help lists them)\n",
		        argv[0]);
		return NULL;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout, argv[0]);
		*help_r = true;
		return NULL;
	}
	for (size_t i = 0; argc >= 2 && i < N_COMMANDS; i++) {
		size_t n = strlen(argv[0]);

		if (first_word_is(commands[i], argv[0]) && strcmp(commands[i]->name + n + 1, argv[1]) == 0) {
			*words_r = 2;
			return commands[i];
		}
	}
	if (argc >= 2)
		fprintf(stderr, "ticketctl %s: unknown command \"%s\"; one of:\n", argv[0], argv[1]);
	else
		fprintf(stderr, "ticketctl %s: which one?\n", argv[0]);
	usage(stderr, argv[0]);
	return NULL;
}

/* Whether w names a group of commands ("inbound") rather than one command. */
static bool
is_group(const char *w)
{
	bool group = false;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i]->name, w) == 0)
			return false;
		group |= first_word_is(commands[i], w);
	}
	return group;
}

/* ticketctl help [COMMAND [VERB]] */
static int
help(int argc, char **argv)
{
	const struct ctl_cmd *c;
	bool h;
	int words;

	if (argc == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		usage(stdout, NULL);
		return CTL_OK;
	}
	if (argc == 1 && is_group(argv[0])) {
		usage(stdout, argv[0]);
		return CTL_OK;
	}
	if ((c = lookup(argc, argv, &words, &h)) == NULL)
		return h ? CTL_OK : CTL_USAGE;
	ctl_usage(c, stdout);
	return CTL_OK;
}

int
main(int argc, char **argv)
{
	const struct ctl_cmd *c;
	struct ctl_args a;
	int i = 1, words, rc;
	bool h;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			setenv("TICKETD_CONFIG", argv[i + 1], 1);
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, NULL);
			return CTL_OK;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("ticketctl %s\n", PACKAGE_VERSION);
			return CTL_OK;
		} else {
			fprintf(stderr, "ticketctl: unknown option %s\n", argv[i]);
			usage(stderr, NULL);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr, NULL);
		return CTL_USAGE;
	}
	if (strcmp(argv[i], "help") == 0)
		return help(argc - i - 1, argv + i + 1);
	if ((c = lookup(argc - i, argv + i, &words, &h)) == NULL)
		return h ? CTL_OK : CTL_USAGE;
	rc = ctl_args_parse(c, argc - i - words, argv + i + words, &a);
	if (rc == CTL_HELP)
		return CTL_OK;
	return rc == CTL_OK ? c->run(&a) : rc;
}
