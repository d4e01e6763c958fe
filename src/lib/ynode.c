/*
 * ynode.c: load YAML (libyaml events) into a positioned tree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "buf.h"
#include "xalloc.h"
#include "ynode.h"

#define YNODE_MAX_DEPTH 64
#define YNODE_MAX_FILE (16 * 1024 * 1024)

struct yload {
	yaml_parser_t parser;
	const char *file;
	struct tk_errlist *errs;
	int depth;
};

static struct ynode *
ynode_new(struct yload *yl, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = xnew(struct ynode);

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->file = yl->file;
	return n;
}

static void
ynode_push(struct ynode *parent, struct ynode *key, struct ynode *item)
{
	parent->items = xreallocarray(parent->items, parent->n + 1, sizeof(*parent->items));
	if (parent->kind == YNODE_MAP) {
		parent->keys = xreallocarray(parent->keys, parent->n + 1, sizeof(*parent->keys));
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = item;
}

static int yload_node(struct yload *yl, yaml_event_t *ev, struct ynode **out_r);

static int
yload_next(struct yload *yl, yaml_event_t *ev)
{
	if (yaml_parser_parse(&yl->parser, ev))
		return 0;
	tk_errlist_add(yl->errs, yl->file, (int)yl->parser.problem_mark.line + 1,
	               (int)yl->parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
	               yl->parser.problem ? yl->parser.problem : "unknown",
	               yl->parser.context ? " " : "", yl->parser.context ? yl->parser.context : "");
	return -1;
}

/* Read children until the closing event; ev holds the opening event. */
static int
yload_children(struct yload *yl, struct ynode *parent, yaml_event_type_t end_type)
{
	for (;;) {
		yaml_event_t ev;
		struct ynode *key = NULL, *val = NULL;

		if (yload_next(yl, &ev) < 0)
			return -1;
		if (ev.type == end_type) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (parent->kind == YNODE_MAP) {
			if (yload_node(yl, &ev, &key) < 0)
				return -1;
			if (key->kind != YNODE_SCALAR) {
				ynode_error(yl->errs, key, "mapping keys must be plain strings");
				ynode_free(&key);
				return -1;
			}
			if (ynode_get(parent, key->scalar) != NULL)
				ynode_error(yl->errs, key, "duplicate key \"%s\"", key->scalar);
			if (yload_next(yl, &ev) < 0 || yload_node(yl, &ev, &val) < 0) {
				ynode_free(&key);
				return -1;
			}
		} else if (yload_node(yl, &ev, &val) < 0) {
			return -1;
		}
		ynode_push(parent, key, val);
	}
}

/* Build the node that starts with ev (consumed). */
static int
yload_node(struct yload *yl, yaml_event_t *ev, struct ynode **out_r)
{
	struct ynode *n = NULL;
	int rc = -1;

	*out_r = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(yl, YNODE_SCALAR, &ev->start_mark);
		n->scalar = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (strlen(n->scalar) != ev->data.scalar.length)
			ynode_error(yl->errs, n, "NUL byte in string");
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		rc = 0;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = ynode_new(yl, ev->type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP,
		              &ev->start_mark);
		if (++yl->depth > YNODE_MAX_DEPTH) {
			ynode_error(yl->errs, n, "nesting deeper than %d levels", YNODE_MAX_DEPTH);
			break;
		}
		rc = yload_children(yl, n, ev->type == YAML_SEQUENCE_START_EVENT
		                               ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT);
		yl->depth--;
		break;
	case YAML_ALIAS_EVENT:
		tk_errlist_add(yl->errs, yl->file, (int)ev->start_mark.line + 1,
		               (int)ev->start_mark.column + 1, "YAML aliases are not supported");
		break;
	default:
		tk_errlist_add(yl->errs, yl->file, (int)ev->start_mark.line + 1,
		               (int)ev->start_mark.column + 1, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	if (rc < 0)
		ynode_free(&n);
	*out_r = n;
	return rc;
}

static int
yload_document(struct yload *yl, struct ynode **root_r)
{
	yaml_event_t ev;
	size_t before = yl->errs->n;

	*root_r = NULL;
	do {
		if (yload_next(yl, &ev) < 0)
			return -1;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			/* An empty document is an empty map. */
			yaml_mark_t m = { 0, 0, 0 };
			*root_r = ynode_new(yl, YNODE_MAP, &m);
			return 0;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	} while (1);
	if (yload_node(yl, &ev, root_r) < 0)
		return -1;
	if (yload_next(yl, &ev) < 0)
		goto fail;
	yaml_event_delete(&ev); /* DOCUMENT_END */
	if (yload_next(yl, &ev) < 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		tk_errlist_add(yl->errs, yl->file, (int)ev.start_mark.line + 1,
		               (int)ev.start_mark.column + 1, "only one YAML document is allowed");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	return yl->errs->n > before ? -1 : 0;
fail:
	ynode_free(root_r);
	return -1;
}

int
ynode_load_string(const char *name, const char *data, size_t len, struct ynode **root_r,
                  struct tk_errlist *errs)
{
	struct yload yl = { .file = NULL, .errs = errs };
	char *file = xstrdup(name);
	int rc;

	yl.file = file;
	yaml_parser_initialize(&yl.parser);
	yaml_parser_set_input_string(&yl.parser, (const unsigned char *)data, len);
	rc = yload_document(&yl, root_r);
	yaml_parser_delete(&yl.parser);
	if (*root_r != NULL)
		(*root_r)->file_owned = file;
	else
		xfree(&file);
	if (rc < 0)
		ynode_free(root_r);
	return rc;
}

int
ynode_load_file(const char *path, struct ynode **root_r, struct tk_errlist *errs)
{
	struct buf b;
	int rc;

	*root_r = NULL;
	buf_init(&b, YNODE_MAX_FILE);
	if (buf_read_file(&b, path) < 0) {
		tk_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(errno));
		buf_fini(&b);
		return -1;
	}
	rc = ynode_load_string(path, b.data ? b.data : "", b.len, root_r, errs);
	buf_fini(&b);
	return rc;
}

void
ynode_free(struct ynode **np)
{
	struct ynode *n = *np;

	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			ynode_free(&n->keys[i]);
		ynode_free(&n->items[i]);
	}
	xfree(&n->keys);
	xfree(&n->items);
	xfree(&n->scalar);
	xfree(&n->file_owned);
	xfree(np);
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (map->keys[i] && strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	return NULL;
}

void
ynode_error(struct tk_errlist *errs, const struct ynode *node, const char *fmt, ...)
{
	char msg[TK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tk_errlist_add(errs, node->file ? node->file : "?", node->line, node->col, "%s", msg);
}

int
ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
                 struct tk_errlist *errs)
{
	int unknown = 0;

	if (map->kind != YNODE_MAP) {
		ynode_error(errs, map, "%s must be a mapping", what);
		return 1;
	}
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->scalar;
		size_t j;

		for (j = 0; allowed[j]; j++)
			if (strcmp(allowed[j], k) == 0)
				break;
		if (allowed[j] == NULL) {
			ynode_error(errs, map->keys[i], "unknown field \"%s\" in %s", k, what);
			unknown++;
		}
	}
	return unknown;
}

int
ynode_str(const struct ynode *n, const char **out_r, struct tk_errlist *errs)
{
	if (n->kind != YNODE_SCALAR) {
		ynode_error(errs, n, "expected a string, found a %s",
		            n->kind == YNODE_MAP ? "mapping" : "list");
		return -1;
	}
	*out_r = n->scalar;
	return 0;
}

int
ynode_bool(const struct ynode *n, bool *out_r, struct tk_errlist *errs)
{
	static const char *yes[] = { "true", "yes", "on", NULL }, *no[] = { "false", "no", "off", NULL };

	if (n->kind == YNODE_SCALAR) {
		for (int i = 0; yes[i]; i++)
			if (strcasecmp(n->scalar, yes[i]) == 0)
				return *out_r = true, 0;
		for (int i = 0; no[i]; i++)
			if (strcasecmp(n->scalar, no[i]) == 0)
				return *out_r = false, 0;
	}
	ynode_error(errs, n, "expected true or false");
	return -1;
}

int
ynode_int(const struct ynode *n, int64_t min, int64_t max, int64_t *out_r,
          struct tk_errlist *errs)
{
	char *end;
	long long v;

	if (n->kind != YNODE_SCALAR || n->scalar[0] == '\0') {
		ynode_error(errs, n, "expected a whole number");
		return -1;
	}
	errno = 0;
	v = strtoll(n->scalar, &end, 10);
	if (*end != '\0' || errno != 0) {
		ynode_error(errs, n, "expected a whole number, found \"%s\"", n->scalar);
		return -1;
	}
	if (v < min || v > max) {
		ynode_error(errs, n, "%lld is out of range (%" PRId64 " to %" PRId64 ")", v, min, max);
		return -1;
	}
	*out_r = v;
	return 0;
}

/* Parse "<number><unit>" where units is a table of suffix -> multiplier. */
static int
parse_scaled(const char *s, const char *const *suffixes, const int64_t *mult, int64_t *out_r)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; suffixes[i]; i++) {
		if (strcasecmp(end, suffixes[i]) == 0) {
			double r = v * (double)mult[i];

			if (r > 9.2e18)
				return -1;
			*out_r = (int64_t)r;
			return 0;
		}
	}
	return -1;
}

int
ynode_parse_duration_ms(const char *s, int64_t *out_r)
{
	static const char *const suf[] = { "", "ms", "s", "m", "h", "d", NULL };
	static const int64_t mult[] = { 1000, 1, 1000, 60000, 3600000, 86400000 };

	return parse_scaled(s, suf, mult, out_r);
}

int
ynode_parse_size(const char *s, int64_t *out_r)
{
	static const char *const suf[] = { "", "b", "k", "kb", "m", "mb", "g", "gb", NULL };
	static const int64_t mult[] = { 1, 1, 1024, 1024, 1048576, 1048576, 1073741824, 1073741824 };

	return parse_scaled(s, suf, mult, out_r);
}

int
ynode_duration_ms(const struct ynode *n, int64_t *out_r, struct tk_errlist *errs)
{
	if (n->kind != YNODE_SCALAR || ynode_parse_duration_ms(n->scalar, out_r) < 0) {
		ynode_error(errs, n, "expected a duration such as 30s, 5m, 2h or 250ms");
		return -1;
	}
	return 0;
}

int
ynode_size(const struct ynode *n, int64_t *out_r, struct tk_errlist *errs)
{
	if (n->kind != YNODE_SCALAR || ynode_parse_size(n->scalar, out_r) < 0) {
		ynode_error(errs, n, "expected a size such as 512k, 10M or 1G");
		return -1;
	}
	return 0;
}

void
ynode_opt_str(const struct ynode *map, const char *key, char **dst, struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	const char *s;

	if (n == NULL || ynode_str(n, &s, errs) < 0)
		return;
	xfree(dst);
	*dst = xstrdup(s);
}

void
ynode_opt_strv(const struct ynode *map, const char *key, char ***dst, size_t *n_r,
               struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	const char *s;

	if (n == NULL)
		return;
	if (n->kind != YNODE_SCALAR && n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "%s must be a string or a list of strings", key);
		return;
	}
	*dst = xcalloc(n->kind == YNODE_SEQ ? n->n + 1 : 2, sizeof(**dst));
	*n_r = 0;
	if (n->kind == YNODE_SCALAR)
		(*dst)[(*n_r)++] = xstrdup(n->scalar);
	for (size_t i = 0; n->kind == YNODE_SEQ && i < n->n; i++)
		if (ynode_str(n->items[i], &s, errs) == 0)
			(*dst)[(*n_r)++] = xstrdup(s);
}

void
ynode_opt_int(const struct ynode *map, const char *key, int64_t min, int64_t max, int *dst,
              struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	int64_t v;

	if (n != NULL && ynode_int(n, min, max, &v, errs) == 0)
		*dst = (int)v;
}

void
ynode_opt_ms(const struct ynode *map, const char *key, int64_t *dst, struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);

	if (n != NULL)
		ynode_duration_ms(n, dst, errs);
}

void
ynode_opt_bool(const struct ynode *map, const char *key, bool *dst, struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);

	if (n != NULL)
		ynode_bool(n, dst, errs);
}
