/*
 * rules_cond.c: compile the match: part of a rule (a YAML condition tree)
 * into struct rules_cond: field names checked, operators parsed, regexes
 * compiled once (JIT when available). Every error is reported at its node
 * and parsing goes on, so a load lists them all.
 */
/* System. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ticketd. */
#include "rules_int.h"
#include "xalloc.h"
#include "ynode.h"

/* The operators of an operator map, for messages (and the doc test). */
#define RULES_OPS "equals, regex, in, exists, gt, ge, lt, le"

/* Field names: plain ones, then "prefix.<arg>" ones. */
static const struct {
	const char *name;
	enum rules_field_id id;
	bool has_arg;                /* name is a prefix ending in '.' */
} rules_field_names[] = {
	{ "kind", RULES_F_KIND, false },
	{ "source", RULES_F_SOURCE, false },
	{ "mailbox", RULES_F_MAILBOX, false },
	{ "subject", RULES_F_SUBJECT, false },
	{ "from", RULES_F_FROM, false },
	{ "to", RULES_F_TO, false },
	{ "cc", RULES_F_CC, false },
	{ "recipient", RULES_F_RECIPIENT, false },
	{ "body", RULES_F_BODY, false },
	{ "attachment.name", RULES_F_ATTACHMENT_NAME, false },
	{ "attachment.type", RULES_F_ATTACHMENT_TYPE, false },
	{ "auto_reply", RULES_F_AUTO_REPLY, false },
	{ "bounce", RULES_F_BOUNCE, false },
	{ "sender_is_agent", RULES_F_SENDER_IS_AGENT, false },
	{ "auto_class", RULES_F_AUTO_CLASS, false },
	{ "auto_reason", RULES_F_AUTO_REASON, false },
	{ "status", RULES_F_STATUS, false },
	{ "severity", RULES_F_SEVERITY, false },
	{ "header.", RULES_F_HEADER, true },
	{ "label.", RULES_F_LABEL, true },
	{ "annotation.", RULES_F_ANNOTATION, true },
	{ "json.", RULES_F_JSON, true },
};

static bool
is_bool_field(enum rules_field_id id)
{
	return id == RULES_F_AUTO_REPLY || id == RULES_F_BOUNCE || id == RULES_F_SENDER_IS_AGENT;
}

/* The classes the classifier gives the rules (loop.h; own_loop never reaches them). */
static bool
rules_auto_class_valid(const char *v)
{
	static const char *const classes[] = { "human", "auto_reply", "bounce", "list", "noreply" };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(v, classes[i]) == 0)
			return true;
	return false;
}

/* Parse a field name into cond->field; reports at key. */
static int
rload_field(struct rload *rl, const struct ynode *key, struct rules_cond *c)
{
	const char *name = key->scalar;

	for (size_t i = 0; i < sizeof(rules_field_names) / sizeof(rules_field_names[0]); i++) {
		const char *fn = rules_field_names[i].name;
		size_t fl = strlen(fn);

		if (rules_field_names[i].has_arg ? strncmp(name, fn, fl) != 0 : strcmp(name, fn) != 0)
			continue;
		if (rules_field_names[i].has_arg && name[fl] == '\0') {
			ynode_error(rl->errs, key, "field \"%s\" needs a name after the dot", name);
			return -1;
		}
		if (rules_field_names[i].id == RULES_F_JSON && name[fl] != '/') {
			ynode_error(rl->errs, key, "field \"%s\": a JSON pointer starts with \"/\"", name);
			return -1;
		}
		c->field_name = xstrdup(name);
		c->field.id = rules_field_names[i].id;
		c->field.name = c->field_name;
		c->field.arg = rules_field_names[i].has_arg ? c->field_name + fl : NULL;
		return 0;
	}
	ynode_error(rl->errs, key, "unknown field \"%s\" in condition", name);
	return -1;
}

/* Compile "/pattern/flags" (or a bare pattern when delimited is false). */
static int
rload_regex(struct rload *rl, const struct ynode *n, const char *s, bool delimited,
            struct rules_test *t)
{
	uint32_t opts = 0;
	const char *pat = s, *end = s + strlen(s), *slash;
	int errcode;
	PCRE2_SIZE erroff;

	if (delimited) {
		slash = strrchr(s, '/');
		if (slash == s) {
			ynode_error(rl->errs, n, "regex \"%s\" has no closing \"/\" (to compare a string "
			            "that starts with \"/\", use { equals: ... })", s);
			return -1;
		}
		for (const char *f = slash + 1; *f; f++) {
			switch (*f) {
			case 'i': opts |= PCRE2_CASELESS; break;
			case 'm': opts |= PCRE2_MULTILINE; break;
			case 's': opts |= PCRE2_DOTALL; break;
			case 'x': opts |= PCRE2_EXTENDED; break;
			case 'u': opts |= PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF; break;
			default:
				ynode_error(rl->errs, n, "unknown regex flag \"%c\" in \"%s\" (flags are i, m, "
				            "s, x, u; to compare a string that starts with \"/\", use "
				            "{ equals: ... })", *f, s);
				return -1;
			}
		}
		pat = s + 1;
		end = slash;
	}
	t->op = RULES_OP_REGEX;
	t->str = xstrdup(s);
	t->len = strlen(s);
	t->re = pcre2_compile((PCRE2_SPTR)pat, (PCRE2_SIZE)(end - pat), opts, &errcode, &erroff, NULL);
	if (t->re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		ynode_error(rl->errs, n, "bad regex \"%s\": %s at offset %zu", s, (const char *)msg,
		            (size_t)erroff);
		return -1;
	}
	/* JIT fails under MemoryDenyWriteExecute: the interpreter then runs it. */
	if (rl->opts->no_jit || pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE) != 0)
		rl->jit_failed = true;
	return 0;
}

static bool
is_regex_literal(const char *s)
{
	return s[0] == '/';
}

/* A string to equal: booleans are normalised to "true"/"false", kinds checked. */
static int
rload_equals(struct rload *rl, const struct rules_cond *c, const struct ynode *n,
             struct rules_test *t)
{
	t->op = RULES_OP_EQUALS;
	if (n->kind != YNODE_SCALAR) {
		ynode_error(rl->errs, n, "expected a string or /regex/, found a %s",
		            n->kind == YNODE_MAP ? "mapping" : "list");
		return -1;
	}
	if (is_bool_field(c->field.id)) {
		bool b;

		if (ynode_bool(n, &b, rl->errs) < 0)
			return -1;
		t->str = xstrdup(b ? "true" : "false");
	} else {
		if (n->plain && n->scalar[0] == '\0') {
			ynode_error(rl->errs, n, "missing value (write \"\" to compare with the empty "
			            "string)");
			return -1;
		}
		if (c->field.id == RULES_F_KIND && strcmp(n->scalar, "mail") != 0 &&
		    strcmp(n->scalar, "alert") != 0) {
			ynode_error(rl->errs, n, "kind is \"mail\" or \"alert\", not \"%s\"", n->scalar);
			return -1;
		}
		if (c->field.id == RULES_F_AUTO_CLASS && !rules_auto_class_valid(n->scalar)) {
			ynode_error(rl->errs, n, "auto_class is one of human, auto_reply, bounce, list "
			            "or noreply, not \"%s\"", n->scalar);
			return -1;
		}
		t->str = xstrdup(n->scalar);
	}
	t->len = strlen(t->str);
	return 0;
}

/* A scalar compared to a value: a /regex/flags or a string to equal. */
static int
rload_scalar_test(struct rload *rl, const struct rules_cond *c, const struct ynode *n,
                  struct rules_test *t)
{
	if (n->kind == YNODE_SCALAR && is_regex_literal(n->scalar))
		return rload_regex(rl, n, n->scalar, true, t);
	return rload_equals(rl, c, n, t);
}

static int
rload_in(struct rload *rl, const struct rules_cond *c, const struct ynode *n, struct rules_test *t)
{
	int rc = 0;

	t->op = RULES_OP_IN;
	if (n->kind != YNODE_SEQ || n->n == 0) {
		ynode_error(rl->errs, n, "expected a non-empty list of values");
		return -1;
	}
	t->alts = xcalloc(n->n, sizeof(*t->alts));
	t->n_alts = n->n;
	for (size_t i = 0; i < n->n; i++)
		if (rload_scalar_test(rl, c, n->items[i], &t->alts[i]) < 0)
			rc = -1;
	return rc;
}

static int
rload_number(struct rload *rl, const struct ynode *n, double *out_r)
{
	char *end;

	if (n->kind == YNODE_SCALAR && n->scalar[0] != '\0') {
		errno = 0;
		*out_r = strtod(n->scalar, &end);
		if (*end == '\0' && errno == 0 && isfinite(*out_r))
			return 0;
	}
	ynode_error(rl->errs, n, "expected a number");
	return -1;
}

/* An operator map: { equals: x, regex: /y/, in: [..], exists: b, gt: n, ... }. */
static int
rload_op(struct rload *rl, const struct rules_cond *c, const struct ynode *key,
         const struct ynode *v, struct rules_test *t)
{
	static const struct { const char *name; enum rules_op op; } nums[] = {
		{ "gt", RULES_OP_GT }, { "ge", RULES_OP_GE }, { "lt", RULES_OP_LT }, { "le", RULES_OP_LE },
	};
	const char *op = key->scalar;

	if (strcmp(op, "equals") == 0)
		return rload_equals(rl, c, v, t);
	if (strcmp(op, "regex") == 0) {
		if (v->kind != YNODE_SCALAR) {
			ynode_error(rl->errs, v, "expected a regex");
			return -1;
		}
		return rload_regex(rl, v, v->scalar, is_regex_literal(v->scalar), t);
	}
	if (strcmp(op, "in") == 0)
		return rload_in(rl, c, v, t);
	if (strcmp(op, "exists") == 0) {
		t->op = RULES_OP_EXISTS;
		return ynode_bool(v, &t->exists, rl->errs);
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(op, nums[i].name) == 0) {
			t->op = nums[i].op;
			return rload_number(rl, v, &t->num);
		}
	}
	ynode_error(rl->errs, key, "unknown operator \"%s\" (%s)", op, RULES_OPS);
	return -1;
}

static void
rload_tests(struct rload *rl, struct rules_cond *c, const struct ynode *v)
{
	if (v->kind == YNODE_MAP) {
		if (v->n == 0) {
			ynode_error(rl->errs, v, "empty operator mapping");
			return;
		}
		c->tests = xcalloc(v->n, sizeof(*c->tests));
		c->n_tests = v->n;
		for (size_t i = 0; i < v->n; i++)
			rload_op(rl, c, v->keys[i], v->items[i], &c->tests[i]);
		return;
	}
	c->tests = xnew(struct rules_test);
	c->n_tests = 1;
	if (v->kind == YNODE_SEQ)
		rload_in(rl, c, v, &c->tests[0]);
	else
		rload_scalar_test(rl, c, v, &c->tests[0]);
}

static struct rules_cond *
cond_new(enum rules_cond_kind kind, const struct ynode *n, char *path)
{
	struct rules_cond *c = xnew(struct rules_cond);

	c->kind = kind;
	c->line = n->line;
	c->col = n->col;
	c->path = path;
	return c;
}

static void
cond_add(struct rules_cond *parent, struct rules_cond *kid)
{
	if (kid == NULL)
		return;
	parent->kids = xreallocarray(parent->kids, parent->n_kids + 1, sizeof(*parent->kids));
	parent->kids[parent->n_kids++] = kid;
}

/* all: [...] or any: [...] */
static struct rules_cond *
rload_list(struct rload *rl, enum rules_cond_kind kind, const struct ynode *key,
           const struct ynode *v, const char *path)
{
	struct rules_cond *c = cond_new(kind, key, xasprintf("%s.%s", path, key->scalar));

	if (v->kind != YNODE_SEQ || v->n == 0) {
		ynode_error(rl->errs, v, "\"%s\" expects a non-empty list of conditions", key->scalar);
		return c;
	}
	for (size_t i = 0; i < v->n; i++) {
		char *kp = xasprintf("%s[%zu]", c->path, i);

		cond_add(c, rules_cond_load(rl, v->items[i], kp));
		xfree(&kp);
	}
	return c;
}

/* One key of a condition map: a combinator or a field. */
static struct rules_cond *
rload_entry(struct rload *rl, const struct ynode *key, const struct ynode *v, const char *path)
{
	const char *k = key->scalar;
	struct rules_cond *c;

	if (strcmp(k, "all") == 0)
		return rload_list(rl, RULES_C_ALL, key, v, path);
	if (strcmp(k, "any") == 0)
		return rload_list(rl, RULES_C_ANY, key, v, path);
	if (strcmp(k, "not") == 0) {
		c = cond_new(RULES_C_NOT, key, xasprintf("%s.not", path));
		cond_add(c, rules_cond_load(rl, v, c->path));
		return c;
	}
	c = cond_new(RULES_C_FIELD, key, xasprintf("%s.%s", path, k));
	if (rload_field(rl, key, c) == 0)
		rload_tests(rl, c, v);
	return c;
}

/* A condition map; several keys mean all of them. */
struct rules_cond *
rules_cond_load(struct rload *rl, const struct ynode *n, const char *path)
{
	struct rules_cond *c;

	if (n->kind != YNODE_MAP) {
		ynode_error(rl->errs, n, "a condition must be a mapping such as { subject: /x/ }");
		return NULL;
	}
	if (n->n == 0) {
		ynode_error(rl->errs, n, "empty condition (leave out match: to match everything)");
		return NULL;
	}
	if (n->n == 1)
		return rload_entry(rl, n->keys[0], n->items[0], path);
	c = cond_new(RULES_C_ALL, n, xstrdup(path));
	for (size_t i = 0; i < n->n; i++)
		cond_add(c, rload_entry(rl, n->keys[i], n->items[i], path));
	return c;
}

void
rules_cond_free(struct rules_cond **cp)
{
	struct rules_cond *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_kids; i++)
		rules_cond_free(&c->kids[i]);
	for (size_t i = 0; i < c->n_tests; i++) {
		struct rules_test *t = &c->tests[i];

		for (size_t j = 0; j < t->n_alts; j++) {
			xfree(&t->alts[j].str);
			pcre2_code_free(t->alts[j].re);
		}
		xfree(&t->alts);
		xfree(&t->str);
		pcre2_code_free(t->re);
	}
	xfree(&c->tests);
	xfree(&c->kids);
	xfree(&c->field_name);
	xfree(&c->path);
	xfree(cp);
}
