/*
 * rules_match.c: evaluate a compiled rule set against one message or alert.
 *
 * Rules are tried in order; the first match decides unless it says
 * continue. A field set by an earlier match is kept and tags accumulate;
 * drop and quarantine stop. A condition answers 1 (met) or 0 (not met); a
 * regex that exceeds the PCRE2 match or depth limit counts as not met and is
 * logged, so no pattern and no input can stall intake. Evaluation only reads
 * the rule set: any number of threads may evaluate one set at once, each with
 * its own match data.
 */
/* System. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ticketd. */
#include "log.h"
#include "rules_int.h"
#include "xalloc.h"

/* State of one evaluation. */
struct rmatch {
	const struct rules *rs;
	const struct rules_input *in;
	const struct rule *rule;            /* the rule being tried */
	pcre2_match_data *md;               /* created on the first regex */
	unsigned regex_errors;
	const struct rules_cond *fail;      /* the condition that decided a failure */
	const char *fail_why;
	bool tracing;
	char fail_value[96];                /* tracing: the failing field's first value, clipped */
	size_t fail_n_values;
};

/* State of one field condition while its values are visited. */
struct rvalues {
	struct rmatch *m;
	const struct rules_cond *c;
	size_t n_values;
	bool value_tests;                   /* some test other than exists */
};

static void
regex_error(struct rmatch *m, const struct rules_cond *c, const struct rules_test *t, int rc)
{
	PCRE2_UCHAR msg[128];

	if (m->regex_errors++ > 0)
		return; /* one line per evaluation is enough */
	pcre2_get_error_message(rc, msg, sizeof(msg));
	log_warn("rules: rule \"%s\" (%s:%d:%d): regex %s on %s: %s; treated as no match",
	         m->rule->name, m->rule->file, c->line, c->col, t->str, c->field.name,
	         (const char *)msg);
}

static bool
value_number(const char *v, size_t len, double *out_r)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*out_r = strtod(buf, &end);
	while (*end == ' ')
		end++;
	return end != buf && *end == '\0' && isfinite(*out_r);
}

static bool
test_value(struct rmatch *m, const struct rules_cond *c, const struct rules_test *t,
           const char *v, size_t len)
{
	double d;
	int rc;

	switch (t->op) {
	case RULES_OP_EQUALS:
		return len == t->len && memcmp(v, t->str, len) == 0;
	case RULES_OP_REGEX:
		if (m->md == NULL)
			m->md = pcre2_match_data_create(1, NULL);
		rc = pcre2_match(t->re, (PCRE2_SPTR)v, len, 0, 0, m->md, m->rs->mctx);
		if (rc >= 0)
			return true;
		if (rc != PCRE2_ERROR_NOMATCH)
			regex_error(m, c, t, rc);
		return false;
	case RULES_OP_IN:
		for (size_t i = 0; i < t->n_alts; i++)
			if (test_value(m, c, &t->alts[i], v, len))
				return true;
		return false;
	case RULES_OP_EXISTS:
		return true;
	case RULES_OP_GT:
		return value_number(v, len, &d) && d > t->num;
	case RULES_OP_GE:
		return value_number(v, len, &d) && d >= t->num;
	case RULES_OP_LT:
		return value_number(v, len, &d) && d < t->num;
	case RULES_OP_LE:
		return value_number(v, len, &d) && d <= t->num;
	}
	return false;
}

/* Keep a clipped copy of a value for the trace. */
static void
keep_value(struct rmatch *m, const char *v, size_t len)
{
	char raw[64];

	if (len >= sizeof(raw))
		len = sizeof(raw) - 1;
	memcpy(raw, v, len);
	raw[len] = '\0';
	log_clip(m->fail_value, sizeof(m->fail_value), raw);
}

/* Called for each value of the field: stop (1) at the first value passing every test. */
static int
each_value(const char *v, size_t len, void *arg)
{
	struct rvalues *rv = arg;

	if (rv->n_values++ == 0 && rv->m->tracing)
		keep_value(rv->m, v, len);
	for (size_t i = 0; i < rv->c->n_tests; i++)
		if (!test_value(rv->m, rv->c, &rv->c->tests[i], v, len))
			return 0;
	return 1;
}

static int
engine_value(const char *s, struct rvalues *rv)
{
	return s ? each_value(s, strlen(s), rv) : 0;
}

static bool
eval_field(struct rmatch *m, const struct rules_cond *c)
{
	struct rvalues rv = { .m = m, .c = c };
	const struct rules_input *in = m->in;
	int found;

	for (size_t i = 0; i < c->n_tests; i++)
		if (c->tests[i].op != RULES_OP_EXISTS)
			rv.value_tests = true;
	switch (c->field.id) {
	case RULES_F_KIND:
		found = engine_value(in->kind, &rv);
		break;
	case RULES_F_SOURCE:
		found = engine_value(in->source, &rv);
		break;
	case RULES_F_MAILBOX:
		found = engine_value(in->mailbox, &rv);
		break;
	default:
		found = in->lookup ? in->lookup(in, &c->field, each_value, &rv) : 0;
		break;
	}
	m->fail_n_values = rv.n_values;
	if (rv.value_tests && !found) {
		m->fail_why = rv.n_values ? "no value matched" : "the field has no value";
		return false;
	}
	for (size_t i = 0; i < c->n_tests; i++) {
		if (c->tests[i].op == RULES_OP_EXISTS && (rv.n_values > 0) != c->tests[i].exists) {
			m->fail_why = rv.n_values ? "the field exists" : "the field has no value";
			return false;
		}
	}
	return true;
}

/* 1 when met; on 0, m->fail is the condition that decided it (last write wins). */
static bool
eval_cond(struct rmatch *m, const struct rules_cond *c)
{
	switch (c->kind) {
	case RULES_C_FIELD:
		if (eval_field(m, c))
			return true;
		m->fail = c;
		return false;
	case RULES_C_ALL:
		for (size_t i = 0; i < c->n_kids; i++)
			if (!eval_cond(m, c->kids[i]))
				return false;
		return true;
	case RULES_C_ANY:
		for (size_t i = 0; i < c->n_kids; i++)
			if (eval_cond(m, c->kids[i]))
				return true;
		m->fail = c;
		m->fail_why = "no alternative matched";
		return false;
	case RULES_C_NOT:
		if (c->n_kids == 0 || !eval_cond(m, c->kids[0]))
			return true;
		m->fail = c;
		m->fail_why = "the negated condition matched";
		return false;
	}
	return false;
}

static void
set_once(char **dst, const char *src)
{
	if (*dst == NULL && src != NULL)
		*dst = xstrdup(src);
}

static void
add_tag(struct rules_fields *f, const char *tag)
{
	for (size_t i = 0; i < f->n_tags; i++)
		if (strcmp(f->tags[i], tag) == 0)
			return;
	f->tags = xreallocarray(f->tags, f->n_tags + 1, sizeof(*f->tags));
	f->tags[f->n_tags++] = xstrdup(tag);
}

static void
apply_rule(struct rules_result *res, const struct rule *r)
{
	struct rules_fields *f = &res->fields;

	res->matched = xreallocarray(res->matched, res->n_matched + 1, sizeof(*res->matched));
	res->matched[res->n_matched++] = xstrdup(r->name);
	if (r->drop) {
		res->dropped = true;
		res->drop_reason = xstrdup(r->reason);
	}
	if (r->quarantine) {
		res->quarantined = true;
		res->quarantine_reason = xstrdup(r->reason);
	}
	set_once(&f->tenant, r->set.tenant);
	set_once(&f->queue, r->set.queue);
	set_once(&f->priority, r->set.priority);
	set_once(&f->category, r->set.category);
	set_once(&f->type, r->set.type);
	set_once(&f->impact, r->set.impact);
	set_once(&f->sla_policy, r->set.sla_policy);
	set_once(&f->assignee, r->set.assignee);
	set_once(&f->assign_mode, r->set.assign_mode);
	if (f->skill == NULL && r->set.skill != NULL) {
		f->skill = xstrdup(r->set.skill);
		f->min_level = r->set.min_level;
	}
	for (size_t i = 0; i < r->set.n_tags; i++)
		add_tag(f, r->set.tags[i]);
}

static void
add_trace(struct rules_result *res, const struct rmatch *m, bool matched)
{
	struct rules_trace *t;

	res->trace = xreallocarray(res->trace, res->n_trace + 1, sizeof(*res->trace));
	t = &res->trace[res->n_trace++];
	memset(t, 0, sizeof(*t));
	t->rule = xstrdup(m->rule->name);
	t->where = xasprintf("%s:%d", m->rule->file, m->rule->line);
	t->matched = matched;
	if (matched || m->fail == NULL)
		return;
	if (m->fail->kind == RULES_C_FIELD && m->fail_n_values == 1)
		t->failed = xasprintf("%s (line %d, column %d): %s (the value is \"%s\")",
		                      m->fail->path, m->fail->line, m->fail->col, m->fail_why,
		                      m->fail_value);
	else if (m->fail->kind == RULES_C_FIELD && m->fail_n_values > 1)
		t->failed = xasprintf("%s (line %d, column %d): %s (%zu values, the first is \"%s\")",
		                      m->fail->path, m->fail->line, m->fail->col, m->fail_why,
		                      m->fail_n_values, m->fail_value);
	else
		t->failed = xasprintf("%s (line %d, column %d): %s", m->fail->path, m->fail->line,
		                      m->fail->col, m->fail_why ? m->fail_why : "not met");
}

struct rules_result *
rules_eval(const struct rules *rules, const struct rules_input *in, unsigned flags)
{
	struct rules_result *res = xnew(struct rules_result);
	struct rmatch m = { .rs = rules, .in = in, .tracing = (flags & RULES_EVAL_TRACE) != 0 };

	for (size_t i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->rules[i];
		bool matched;

		m.rule = r;
		m.fail = NULL;
		m.fail_why = NULL;
		matched = r->match == NULL || eval_cond(&m, r->match);
		if (flags & RULES_EVAL_TRACE)
			add_trace(res, &m, matched);
		if (!matched)
			continue;
		if (log_enabled(LOG_LVL_DEBUG))
			log_debug("rules: rule #%zu (%s) matched", i + 1, r->name);
		apply_rule(res, r);
		if (r->drop || r->quarantine || !r->cont)
			break;
	}
	res->regex_errors = m.regex_errors;
	pcre2_match_data_free(m.md);
	return res;
}

void
rules_fields_fini(struct rules_fields *f)
{
	xfree(&f->tenant);
	xfree(&f->queue);
	xfree(&f->priority);
	xfree(&f->category);
	xfree(&f->type);
	xfree(&f->impact);
	xfree(&f->sla_policy);
	xfree(&f->assignee);
	xfree(&f->skill);
	xfree(&f->assign_mode);
	for (size_t i = 0; i < f->n_tags; i++)
		xfree(&f->tags[i]);
	xfree(&f->tags);
	memset(f, 0, sizeof(*f));
}

void
rules_result_free(struct rules_result **resp)
{
	struct rules_result *res = *resp;

	if (res == NULL)
		return;
	for (size_t i = 0; i < res->n_matched; i++)
		xfree(&res->matched[i]);
	xfree(&res->matched);
	xfree(&res->drop_reason);
	xfree(&res->quarantine_reason);
	rules_fields_fini(&res->fields);
	for (size_t i = 0; i < res->n_trace; i++) {
		xfree(&res->trace[i].rule);
		xfree(&res->trace[i].where);
		xfree(&res->trace[i].failed);
	}
	xfree(&res->trace);
	xfree(resp);
}
