/*
 * ctl_opt.h: how a ticketctl command declares itself: its name ("inbound
 * list"), its positional arguments, its options with their value checks,
 * and a one-line summary. From that one declaration ctl_opt.c parses argv
 * the same way for every command (-h/--help prints the usage on stdout and
 * exits 0; an unknown option, a missing or a bad value is an error naming
 * the option), prints the usage, and checks values that name something in
 * the database (a queue, a tenant, an agent) once connected.
 */
#ifndef TK_CTL_OPT_H
#define TK_CTL_OPT_H

#include <stdbool.h>
#include <stdio.h>

#define CTL_MAX_OPTS 16
#define CTL_NUM_MAX 1000000  /* the largest --limit */
#define CTL_MAX_MANY 100     /* values of repeated options, all of them together */

enum ctl_opt_kind {
	CTL_FLAG,      /* no value */
	CTL_STR,       /* any text (or one of choices) */
	CTL_NUM,       /* a whole number from 1 to CTL_NUM_MAX */
	CTL_DURATION,  /* 30m, 4h, 1d: seconds in ctl_num() */
	CTL_DATE,      /* YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (local time) */
};

/* What a value names, checked against the database by ctl_open_args(). */
enum ctl_opt_check { CTL_CHECK_NONE, CTL_CHECK_QUEUE, CTL_CHECK_TENANT, CTL_CHECK_AGENT };

struct ctl_opt {
	const char *name;             /* "state" for --state; NULL ends a table */
	char letter;                  /* 'q' for -q, or 0 */
	enum ctl_opt_kind kind;
	const char *arg;              /* the value's name in the usage ("STATE") */
	const char *help;             /* one line */
	const char *const *choices;   /* the only values allowed (NULL-terminated), or NULL */
	enum ctl_opt_check check;
	bool required;                /* an error when absent */
	bool many;                    /* may be given again: every value in ctl_strs() */
};

struct ctl_args;

struct ctl_cmd {
	const char *name;             /* "list", "inbound list" */
	const char *args;             /* positional synopsis ("ID", "[FILE|-]"), or NULL */
	int min_pos, max_pos;         /* how many positional arguments */
	const char *summary;          /* one line */
	const struct ctl_opt *opts;   /* NULL or a table ended by { NULL } */
	int (*run)(const struct ctl_args *a);
};

struct ctl_args {
	const struct ctl_cmd *cmd;
	const char *val[CTL_MAX_OPTS];   /* per option: its value ("" for a flag), NULL if absent */
	long long num[CTL_MAX_OPTS];     /* CTL_NUM and CTL_DURATION values */
	char **pos;                      /* positional arguments (point into argv) */
	int n_pos;
	char *pos_store[64];
	const char *many[CTL_MAX_MANY];  /* every value of the options with many, in order */
	int many_opt[CTL_MAX_MANY];      /* the option of each */
	int n_many;
};

/* ctl_args_parse() results besides CTL_OK and CTL_USAGE. */
#define CTL_HELP (-2)

/*
 * Parse argv[0..argc) (the words after the command's name) for cmd into a.
 * CTL_OK; CTL_HELP when -h/--help was given (the usage is printed on
 * stdout); CTL_USAGE for an error (printed on stderr with a hint).
 */
int ctl_args_parse(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a);
/* The value of --name, "" for a given flag, NULL when absent. */
const char *ctl_str(const struct ctl_args *a, const char *name);
/* Every value of an option with many, in the order given, into out: how many (at most max). */
int ctl_strs(const struct ctl_args *a, const char *name, const char **out, int max);
/* Whether --name was given. */
bool ctl_flag(const struct ctl_args *a, const char *name);
/* The number of a CTL_NUM or CTL_DURATION option, dflt when absent. */
long long ctl_num(const struct ctl_args *a, const char *name, long long dflt);
/* Print cmd's usage: synopsis, summary, one line per option. */
void ctl_usage(const struct ctl_cmd *cmd, FILE *fp);
/* Print "ticketctl NAME: " and the message on stderr, then a hint to
 * --help; returns CTL_USAGE. */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct config;
struct store;
/*
 * ctl_open() (config and connection), then check each given option with a
 * check against the database: an unknown queue, tenant or agent is an error
 * that lists the known ones. CTL_OK, or an exit code (nothing left open).
 */
int ctl_open_args(const struct ctl_args *a, struct config **cfg_r, struct store **st_r);
/* Check one value of kind check (e.g. the queue of `set`): CTL_OK or CTL_USAGE (printed). */
int ctl_check_name(const struct ctl_cmd *cmd, const struct config *cfg, struct store *st,
                   enum ctl_opt_check check, const char *value);

#endif
