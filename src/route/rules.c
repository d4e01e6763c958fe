/*
 * rules.c: load routing rules from YAML and compile them into an immutable,
 * refcounted struct rules (regexes compiled once, JIT when available), and
 * the slot the daemon swaps rule sets through. Loading collects every error
 * as FILE:LINE:COL: message instead of stopping at the first.
 *
 * Conditions are compiled by rules_cond.c; the evaluation lives in
 * rules_match.c, the input adapters in rules_input.c.
 */
/* System. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ticketd. */
#include "lifecycle.h"
#include "log.h"
#include "rules_int.h"
#include "xalloc.h"
#include "ynode.h"

#define RULES_MATCH_LIMIT 1000000UL
#define RULES_DEPTH_LIMIT 10000UL
static const char *const rules_types[] = { "incident", "request", NULL };
static const char *const rules_assign_modes[] = { "none", "round_robin", "least_loaded", "skill",
                                                  NULL };

static bool
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* A non-empty string value; NULL (reported) otherwise. */
static const char *
rload_string(struct rload *rl, const struct ynode *n)
{
	const char *s;

	if (ynode_str(n, &s, rl->errs) < 0)
		return NULL;
	if (*s == '\0') {
		ynode_error(rl->errs, n, "empty string");
		return NULL;
	}
	return s;
}

static void
rload_tags(struct rload *rl, const struct ynode *n, struct rules_fields *f)
{
	if (n->kind == YNODE_MAP) {
		ynode_error(rl->errs, n, "tags: expected a list of strings");
		return;
	}
	if (n->kind == YNODE_SCALAR) {
		f->tags = xcalloc(1, sizeof(*f->tags));
		f->tags[f->n_tags++] = xstrdup(n->scalar);
		return;
	}
	f->tags = xcalloc(n->n ? n->n : 1, sizeof(*f->tags));
	for (size_t i = 0; i < n->n; i++) {
		const char *s = rload_string(rl, n->items[i]);

		if (s != NULL)
			f->tags[f->n_tags++] = xstrdup(s);
	}
}

/* The string fields of set:, and where they go. */
static const struct {
	const char *key;
	size_t off;
	const char *const *allowed;  /* NULL: any non-empty string */
	const char *what;            /* the allowed values, for the error */
} rules_set_fields[] = {
	{ "tenant", offsetof(struct rules_fields, tenant), NULL, NULL },
	{ "queue", offsetof(struct rules_fields, queue), NULL, NULL },
	{ "priority", offsetof(struct rules_fields, priority), NULL, NULL },
	{ "category", offsetof(struct rules_fields, category), NULL, NULL },
	{ "type", offsetof(struct rules_fields, type), rules_types, "incident, request" },
	{ "impact", offsetof(struct rules_fields, impact), NULL, NULL },
	{ "sla_policy", offsetof(struct rules_fields, sla_policy), NULL, NULL },
	{ "assignee", offsetof(struct rules_fields, assignee), NULL, NULL },
};

/* One string field of set:. */
static void
rload_set_field(struct rload *rl, const char *k, const struct ynode *v, struct rules_fields *f)
{
	const char *s;

	for (size_t i = 0; i < sizeof(rules_set_fields) / sizeof(rules_set_fields[0]); i++) {
		if (strcmp(k, rules_set_fields[i].key) != 0)
			continue;
		if ((s = rload_string(rl, v)) == NULL)
			return;
		if (strcmp(k, "priority") == 0) {   /* one vocabulary (lifecycle.h): aliases stored canonical */
			if (lc_priority_canonical(s) == NULL) {
				ynode_error(rl->errs, v, "priority \"%s\" is not one of " LC_PRIORITY_WORDS, s);
				return;
			}
			s = lc_priority_canonical(s);
		}
		if (rules_set_fields[i].allowed && !in_list(s, rules_set_fields[i].allowed)) {
			ynode_error(rl->errs, v, "%s \"%s\" is not one of %s", k, s, rules_set_fields[i].what);
			return;
		}
		if (strcmp(k, "category") == 0 && rl->opts->categories &&
		    !in_list(s, rl->opts->categories)) {
			ynode_error(rl->errs, v, "category \"%s\" is not one of the configured categories", s);
			return;
		}
		*(char **)((char *)f + rules_set_fields[i].off) = xstrdup(s);
		return;
	}
}

/* set: { queue: x, priority: y, tags: [...], ... } */
static void
rload_set(struct rload *rl, const struct ynode *n, struct rules_fields *f)
{
	static const char *const keys[] = { "tenant", "queue", "priority", "category", "type",
		"impact", "tags", "sla_policy", "assignee", NULL };

	if (ynode_check_keys(n, keys, "set", rl->errs) > 0 && n->kind != YNODE_MAP)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (strcmp(n->keys[i]->scalar, "tags") == 0)
			rload_tags(rl, n->items[i], f);
		else
			rload_set_field(rl, n->keys[i]->scalar, n->items[i], f);
	}
}

/* assign: MODE, or { mode: MODE, skill: x, min_level: n } (a skill alone means mode skill) */
static void
rload_assign(struct rload *rl, const struct ynode *n, struct rules_fields *f)
{
	static const char *const keys[] = { "mode", "skill", "min_level", NULL };
	const struct ynode *mode = n->kind == YNODE_MAP ? ynode_get(n, "mode") : n;
	const struct ynode *skill = ynode_get(n, "skill"), *lvl = ynode_get(n, "min_level");
	const char *s;
	int64_t v;

	if (n->kind != YNODE_SCALAR && ynode_check_keys(n, keys, "assign", rl->errs) > 0 &&
	    n->kind != YNODE_MAP)
		return;
	if (mode != NULL && (s = rload_string(rl, mode)) != NULL) {
		if (!in_list(s, rules_assign_modes))
			ynode_error(rl->errs, mode, "assign: \"%s\" is not one of none, round_robin, "
			            "least_loaded, skill", s);
		else
			f->assign_mode = xstrdup(s);
	}
	if (skill == NULL) {
		if (mode == NULL)
			ynode_error(rl->errs, n, "assign needs a mode or a skill");
		else if (f->assign_mode && strcmp(f->assign_mode, "skill") == 0)
			ynode_error(rl->errs, n, "assign: mode skill needs a skill");
		if (lvl != NULL)
			ynode_error(rl->errs, lvl, "assign: min_level goes with a skill");
		return;
	}
	if ((s = rload_string(rl, skill)) != NULL)
		f->skill = xstrdup(s);
	if (f->assign_mode == NULL && mode == NULL)
		f->assign_mode = xstrdup("skill");
	f->min_level = LC_SKILL_MIN;
	/* the agents' range (lifecycle.h): a level no agent can have is an error */
	if (lvl != NULL && ynode_int(lvl, LC_SKILL_MIN, LC_SKILL_MAX, &v, rl->errs) == 0)
		f->min_level = (int)v;
}

static const struct rule *
rload_find(const struct rules *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

/* The name, drop/quarantine and continue of a rule, and their conflicts. */
static void
rload_rule_head(struct rload *rl, const struct ynode *n, struct rule *r)
{
	const struct ynode *v;
	const char *s;
	const struct rule *dup;

	if ((v = ynode_get(n, "name")) == NULL)
		ynode_error(rl->errs, n, "rule has no name");
	else if ((s = rload_string(rl, v)) != NULL) {
		if ((dup = rload_find(rl->rs, s)) != NULL)
			ynode_error(rl->errs, v, "rule \"%s\" is already defined at %s:%d:%d", s,
			            dup->file, dup->line, dup->col);
		r->name = xstrdup(s);
	}
	if ((v = ynode_get(n, "drop")) != NULL && (s = rload_string(rl, v)) != NULL) {
		r->drop = true;
		r->reason = xstrdup(s);
	}
	if ((v = ynode_get(n, "quarantine")) != NULL && (s = rload_string(rl, v)) != NULL) {
		if (r->drop)
			ynode_error(rl->errs, v, "a rule cannot both drop and quarantine");
		r->quarantine = true;
		xfree(&r->reason);
		r->reason = xstrdup(s);
	}
	if ((v = ynode_get(n, "continue")) != NULL && ynode_bool(v, &r->cont, rl->errs) == 0 &&
	    r->cont && (r->drop || r->quarantine))
		ynode_error(rl->errs, v, "a rule that drops or quarantines cannot continue");
	if (r->drop && ((v = ynode_get(n, "set")) != NULL || (v = ynode_get(n, "assign")) != NULL))
		ynode_error(rl->errs, v, "a rule that drops cannot set fields");
}

static void
rload_rule(struct rload *rl, const struct ynode *n, const char *file)
{
	static const char *const keys[] = { "name", "match", "set", "assign", "drop", "quarantine",
		"continue", NULL };
	struct rules *rs = rl->rs;
	struct rule r = { .file = file, .line = n->line, .col = n->col };
	const struct ynode *v;

	if (ynode_check_keys(n, keys, "rule", rl->errs) > 0 && n->kind != YNODE_MAP)
		return;
	rload_rule_head(rl, n, &r);
	if ((v = ynode_get(n, "match")) != NULL)
		r.match = rules_cond_load(rl, v, "match");
	if ((v = ynode_get(n, "set")) != NULL)
		rload_set(rl, v, &r.set);
	if ((v = ynode_get(n, "assign")) != NULL)
		rload_assign(rl, v, &r.set);
	if (r.name == NULL)
		r.name = xasprintf("#%zu", rs->n + 1);
	rs->rules = xreallocarray(rs->rules, rs->n + 1, sizeof(*rs->rules));
	rs->rules[rs->n++] = r;
}

static void
rload_file(struct rload *rl, const char *name, const char *text, size_t len, bool from_disk)
{
	static const char *const keys[] = { "rules", NULL };
	struct rules *rs = rl->rs;
	struct ynode *root = NULL;
	const struct ynode *list;
	const char *file;

	rs->files = xreallocarray(rs->files, rs->n_files + 1, sizeof(*rs->files));
	file = rs->files[rs->n_files++] = xstrdup(name);
	if ((from_disk ? ynode_load_file(name, &root, rl->errs)
	               : ynode_load_string(name, text, len, &root, rl->errs)) < 0)
		return;
	if (ynode_check_keys(root, keys, "rules file", rl->errs) > 0 && root->kind != YNODE_MAP)
		goto out;
	if ((list = ynode_get(root, "rules")) == NULL)
		goto out;
	if (list->kind != YNODE_SEQ) {
		ynode_error(rl->errs, list, "\"rules\" must be a list of rules");
		goto out;
	}
	for (size_t i = 0; i < list->n; i++)
		rload_rule(rl, list->items[i], file);
out:
	ynode_free(&root);
}

static void
rules_free(struct rules *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];

		xfree(&r->name);
		xfree(&r->reason);
		rules_cond_free(&r->match);
		rules_fields_fini(&r->set);
	}
	xfree(&rs->rules);
	for (size_t i = 0; i < rs->n_files; i++)
		xfree(&rs->files[i]);
	xfree(&rs->files);
	pcre2_match_context_free(rs->mctx);
	xfree(&rs);
}

static void
rload_begin(struct rload *rl, const struct rules_options *opts, struct tk_errlist *errs)
{
	static const struct rules_options defaults;

	memset(rl, 0, sizeof(*rl));
	rl->opts = opts ? opts : &defaults;
	rl->errs = errs;
	rl->rs = xnew(struct rules);
	atomic_init(&rl->rs->refs, 1);
	rl->rs->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rl->rs->mctx, rl->opts->match_limit ? (uint32_t)rl->opts->match_limit
	                                                        : RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rl->rs->mctx, rl->opts->depth_limit ? (uint32_t)rl->opts->depth_limit
	                                                        : RULES_DEPTH_LIMIT);
}

static int
rload_end(struct rload *rl, size_t errs_before, struct rules **rules_r)
{
	if (rl->errs->n > errs_before) {
		rules_free(rl->rs);
		*rules_r = NULL;
		return -1;
	}
	rl->rs->jit = !rl->jit_failed;
	*rules_r = rl->rs;
	return 0;
}

int
rules_load_files(const char *const *paths, size_t n, const struct rules_options *opts,
                 struct rules **rules_r, struct tk_errlist *errs)
{
	struct rload rl;
	size_t before = errs->n;

	rload_begin(&rl, opts, errs);
	for (size_t i = 0; i < n; i++)
		rload_file(&rl, paths[i], NULL, 0, true);
	return rload_end(&rl, before, rules_r);
}

int
rules_load_string(const char *name, const char *text, const struct rules_options *opts,
                  struct rules **rules_r, struct tk_errlist *errs)
{
	struct rload rl;
	size_t before = errs->n;

	rload_begin(&rl, opts, errs);
	rload_file(&rl, name, text, strlen(text), false);
	return rload_end(&rl, before, rules_r);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_yaml_name(const char *s)
{
	size_t len = strlen(s);

	return s[0] != '.' && len > 5 && strcmp(s + len - 5, ".yaml") == 0;
}

int
rules_load_dir(const char *dir, const struct rules_options *opts, struct rules **rules_r,
               struct tk_errlist *errs)
{
	DIR *d;
	struct dirent *de;
	char **paths = NULL;
	size_t n = 0;
	int rc;

	*rules_r = NULL;
	if ((d = opendir(dir)) == NULL) {
		tk_errlist_add(errs, dir, 0, 0, "cannot open rules directory: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_yaml_name(de->d_name))
			continue;
		paths = xreallocarray(paths, n + 1, sizeof(*paths));
		paths[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n == 0) {
		tk_errlist_add(errs, dir, 0, 0, "no rules files (*.yaml) in the rules directory");
		return -1;
	}
	qsort(paths, n, sizeof(*paths), cmp_str);
	rc = rules_load_files((const char *const *)paths, n, opts, rules_r, errs);
	for (size_t i = 0; i < n; i++)
		xfree(&paths[i]);
	xfree(&paths);
	return rc;
}

struct rules *
rules_ref(struct rules *rules)
{
	atomic_fetch_add(&rules->refs, 1);
	return rules;
}

void
rules_unref(struct rules **rules)
{
	if (*rules == NULL)
		return;
	if (atomic_fetch_sub(&(*rules)->refs, 1) == 1)
		rules_free(*rules);
	*rules = NULL;
}

size_t
rules_count(const struct rules *rules)
{
	return rules->n;
}

bool
rules_jit(const struct rules *rules)
{
	return rules->jit;
}

void
rules_slot_init(struct rules_slot *slot)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->cur = NULL;
}

void
rules_slot_fini(struct rules_slot *slot)
{
	rules_unref(&slot->cur);
	pthread_mutex_destroy(&slot->lock);
}

struct rules *
rules_slot_get(struct rules_slot *slot)
{
	struct rules *r;

	pthread_mutex_lock(&slot->lock);
	r = slot->cur ? rules_ref(slot->cur) : NULL;
	pthread_mutex_unlock(&slot->lock);
	return r;
}

void
rules_slot_set(struct rules_slot *slot, struct rules *rules)
{
	struct rules *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = rules;
	pthread_mutex_unlock(&slot->lock);
	rules_unref(&old);
}

int
rules_slot_reload(struct rules_slot *slot, const char *dir, const struct rules_options *opts,
                  struct tk_errlist *errs)
{
	struct rules *rs;

	if (rules_load_dir(dir, opts, &rs, errs) < 0)
		return -1;
	rules_slot_set(slot, rs);
	return 0;
}
