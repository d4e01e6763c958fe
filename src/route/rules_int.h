/*
 * rules_int.h: the compiled form of a rule set, shared by rules.c and
 * rules_cond.c (which build it), rules_match.c (which evaluates it) and
 * nothing else.
 */
#ifndef TK_RULES_INT_H
#define TK_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>

#include "rules.h"

/* One test on the values of a field. */
enum rules_op {
	RULES_OP_EQUALS,   /* some value equals str (byte for byte) */
	RULES_OP_REGEX,    /* some value matches re */
	RULES_OP_IN,       /* some value passes one of alts (EQUALS or REGEX) */
	RULES_OP_EXISTS,   /* the field has a value (exists) or has none (!exists) */
	RULES_OP_GT,       /* some value is a number > num */
	RULES_OP_GE,
	RULES_OP_LT,
	RULES_OP_LE,
};

struct rules_test {
	enum rules_op op;
	char *str;                 /* EQUALS: the string; REGEX: the source as written */
	size_t len;
	pcre2_code *re;            /* REGEX */
	struct rules_test *alts;   /* IN */
	size_t n_alts;
	bool exists;               /* EXISTS */
	double num;                /* GT, GE, LT, LE */
};

enum rules_cond_kind { RULES_C_FIELD, RULES_C_ALL, RULES_C_ANY, RULES_C_NOT };

struct rules_cond {
	enum rules_cond_kind kind;
	char *path;                /* e.g. "match.any[1].subject", for traces */
	int line, col;
	struct rules_cond **kids;  /* ALL, ANY; NOT has exactly one */
	size_t n_kids;
	struct rules_field field;  /* FIELD */
	char *field_name;          /* owns field.name (field.arg points into it) */
	struct rules_test *tests;  /* FIELD: every test must hold (EXISTS on the set, */
	size_t n_tests;            /* the others on one and the same value) */
};

struct rule {
	char *name;
	const char *file;          /* borrowed from rules->files */
	int line, col;
	struct rules_cond *match;  /* NULL matches everything */
	bool drop, quarantine, cont;
	char *reason;              /* for drop or quarantine */
	struct rules_fields set;   /* what the rule sets (skill/min_level from assign) */
};

struct rules {
	atomic_int refs;
	struct rule *rules;
	size_t n;
	char **files;              /* the files loaded, owning the names rules point to */
	size_t n_files;
	pcre2_match_context *mctx; /* match and depth limits; shared read-only */
	bool jit;                  /* every regex was JIT-compiled */
};

/* The state of one load: the set being built and the errors so far. */
struct rload {
	struct rules *rs;
	const struct rules_options *opts;
	struct tk_errlist *errs;
	bool jit_failed;           /* some regex could not be JIT-compiled */
};

struct ynode;

/*
 * Compile the condition at n (rules_cond.c); path names it in traces
 * ("match"). Errors go to rl->errs; the tree returned may then be partial,
 * or NULL. The caller frees it with rules_cond_free().
 */
struct rules_cond *rules_cond_load(struct rload *rl, const struct ynode *n, const char *path);
/* Free a compiled condition tree and NULL the pointer (rules_cond.c). */
void rules_cond_free(struct rules_cond **cond);
/* Free the strings and tags of a fields struct, leaving it zeroed (rules_match.c). */
void rules_fields_fini(struct rules_fields *f);

#endif
