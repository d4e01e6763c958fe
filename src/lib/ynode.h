/*
 * ynode.h: YAML documents as a small tree that remembers where each node
 * stood (file, line, column), so config and rules loaders can report every
 * error as FILE:LINE:COL: message.
 *
 * The tree owns all its strings; ynode_free() releases the whole tree.
 * Anchors and aliases are refused (a config is data, not a graph).
 */
#ifndef TK_YNODE_H
#define TK_YNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_kind kind;
	int line, col;          /* 1-based position of the node's start */
	const char *file;       /* borrowed from the root; lives as long as the tree */
	char *scalar;           /* SCALAR: the text */
	bool plain;             /* SCALAR: written without quotes */
	size_t n;               /* MAP: pairs, SEQ: items */
	struct ynode **keys;    /* MAP: key scalars */
	struct ynode **items;   /* MAP: values; SEQ: items */
	char *file_owned;       /* root only */
};

/* Load a YAML file. Errors (syntax, aliases) go to errs; returns -1 then. */
int ynode_load_file(const char *path, struct ynode **root_r, struct tk_errlist *errs);
/* Load from memory; name is used in error positions. */
int ynode_load_string(const char *name, const char *data, size_t len,
                      struct ynode **root_r, struct tk_errlist *errs);
void ynode_free(struct ynode **node);

/* MAP lookup by key; NULL when absent or node is not a map. Borrowed. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* Report "what" at node's position. */
void ynode_error(struct tk_errlist *errs, const struct ynode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Check a map's keys against a NULL-terminated allowed list; each unknown key
 * is reported as `unknown field "x"`. Returns the number of unknown keys.
 * Reports and returns 1 if node is not a map.
 */
int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
                     struct tk_errlist *errs);

/* Typed readers: 0 ok, -1 with an error added to errs at the node. */
int ynode_str(const struct ynode *n, const char **out_r, struct tk_errlist *errs);
int ynode_bool(const struct ynode *n, bool *out_r, struct tk_errlist *errs);
int ynode_int(const struct ynode *n, int64_t min, int64_t max, int64_t *out_r,
              struct tk_errlist *errs);
/* Durations: "30", "30s", "5m", "2h", "1d", "250ms"; result in milliseconds. */
int ynode_duration_ms(const struct ynode *n, int64_t *out_r, struct tk_errlist *errs);
/* Sizes: "512", "512k", "10M", "1G" (powers of 1024); result in bytes. */
int ynode_size(const struct ynode *n, int64_t *out_r, struct tk_errlist *errs);

/*
 * Optional keys of a map: when key is present, read it into *dst (a string
 * replaces and frees the old *dst); when absent, leave *dst alone. Errors
 * go to errs at the value's position.
 */
void ynode_opt_str(const struct ynode *map, const char *key, char **dst, struct tk_errlist *errs);
void ynode_opt_int(const struct ynode *map, const char *key, int64_t min, int64_t max, int *dst,
                   struct tk_errlist *errs);
void ynode_opt_ms(const struct ynode *map, const char *key, int64_t *dst, struct tk_errlist *errs);
void ynode_opt_bool(const struct ynode *map, const char *key, bool *dst, struct tk_errlist *errs);
/* A string or a list of strings: *dst (NULL-terminated, caller frees each and it) and *n_r. */
void ynode_opt_strv(const struct ynode *map, const char *key, char ***dst, size_t *n_r,
                    struct tk_errlist *errs);

/* Pure parsers behind the readers (exposed for unit tests). */
int ynode_parse_duration_ms(const char *s, int64_t *out_r);
int ynode_parse_size(const char *s, int64_t *out_r);

#endif
