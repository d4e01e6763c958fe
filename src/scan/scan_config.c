/*
 * scan_config.c: the "scan:" section of ticketd.conf into a struct
 * scan_config. Every error is reported at its FILE:LINE:COL; scanning is on
 * unless the section says "enabled: false".
 */
/* System. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <string.h>
/* ticketd. */
#include "scan.h"
#include "xalloc.h"

#define SCAN_DEFAULT_SIGNATURES "/var/lib/clamav"
#define SCAN_DEFAULT_CLAMD_SOCKET "/run/clamav/clamd.ctl"
#define SCAN_MAX_TYPES 256

static const char *const scan_keys[] = {
	"enabled", "backend", "signatures", "clamd_socket", "clamd_timeout",
	"max_attachment_size", "max_message_size", "blocked_types", "allowed_types",
	"on_error", "reload_check_interval", "notify_channel", "notify_recipient", NULL
};

void
scan_config_init(struct scan_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = true;
	cfg->backend = SCAN_BACKEND_LIBCLAMAV;
	cfg->signatures = xstrdup(SCAN_DEFAULT_SIGNATURES);
	cfg->clamd_socket = xstrdup(SCAN_DEFAULT_CLAMD_SOCKET);
	cfg->clamd_timeout_ms = 30 * 1000;
	cfg->max_attachment_size = 25 * 1024 * 1024;
	cfg->max_message_size = 50 * 1024 * 1024;
	cfg->on_error = SCAN_ON_ERROR_QUARANTINE;
	cfg->reload_check_interval_ms = 60 * 1000;
}

static void
scan_types_free(char ***types, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		xfree(&(*types)[i]);
	xfree(types);
	*n = 0;
}

void
scan_config_fini(struct scan_config *cfg)
{
	xfree(&cfg->signatures);
	xfree(&cfg->clamd_socket);
	xfree(&cfg->notify_channel);
	xfree(&cfg->notify_recipient);
	scan_types_free(&cfg->blocked_types, &cfg->n_blocked_types);
	scan_types_free(&cfg->allowed_types, &cfg->n_allowed_types);
}

bool
scan_type_match(const char *pattern, const char *type)
{
	return fnmatch(pattern, type, FNM_CASEFOLD) == 0;
}

/* "type/subtype" where either side may hold fnmatch wildcards. */
static bool
scan_type_pattern_ok(const char *p)
{
	const char *slash = strchr(p, '/');

	if (slash == NULL || slash == p || slash[1] == '\0' || strchr(slash + 1, '/'))
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/!#$&^_.+-*?", *p) == NULL)
			return false;
	return true;
}

static int
scan_load_types(const struct ynode *n, char ***types_r, size_t *n_r, struct tk_errlist *errs)
{
	int rc = 0;

	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "expected a list of MIME types such as application/x-dosexec");
		return -1;
	}
	if (n->n > SCAN_MAX_TYPES) {
		ynode_error(errs, n, "too many MIME types (%zu, at most %d)", n->n, SCAN_MAX_TYPES);
		return -1;
	}
	scan_types_free(types_r, n_r);
	*types_r = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		const char *s;

		if (ynode_str(n->items[i], &s, errs) < 0) {
			rc = -1;
			continue;
		}
		if (!scan_type_pattern_ok(s)) {
			ynode_error(errs, n->items[i],
			            "\"%s\" is not a MIME type pattern (type/subtype, * allowed)", s);
			rc = -1;
			continue;
		}
		(*types_r)[(*n_r)++] = xstrdup(s);
	}
	return rc;
}

static int
scan_load_path(const struct ynode *n, char **path_r, struct tk_errlist *errs)
{
	const char *s;

	if (ynode_str(n, &s, errs) < 0)
		return -1;
	if (s[0] != '/') {
		ynode_error(errs, n, "expected an absolute path, found \"%s\"", s);
		return -1;
	}
	xfree(path_r);
	*path_r = xstrdup(s);
	return 0;
}

static int
scan_load_backend(const struct ynode *n, enum scan_backend *b, struct tk_errlist *errs)
{
	const char *s;

	if (ynode_str(n, &s, errs) < 0)
		return -1;
	if (strcmp(s, "libclamav") == 0)
		*b = SCAN_BACKEND_LIBCLAMAV;
	else if (strcmp(s, "clamd") == 0)
		*b = SCAN_BACKEND_CLAMD;
	else {
		ynode_error(errs, n, "unknown backend \"%s\" (expected libclamav or clamd)", s);
		return -1;
	}
	return 0;
}

static int
scan_load_on_error(const struct ynode *n, enum scan_on_error *o, struct tk_errlist *errs)
{
	const char *s;

	if (ynode_str(n, &s, errs) < 0)
		return -1;
	if (strcmp(s, "quarantine") == 0)
		*o = SCAN_ON_ERROR_QUARANTINE;
	else if (strcmp(s, "accept") == 0)
		*o = SCAN_ON_ERROR_ACCEPT;
	else {
		ynode_error(errs, n, "unknown on_error \"%s\" (expected quarantine or accept)", s);
		return -1;
	}
	return 0;
}

static int
scan_load_size(const struct ynode *n, int64_t *out_r, struct tk_errlist *errs)
{
	int64_t v;

	if (ynode_size(n, &v, errs) < 0)
		return -1;
	if (v < 0) {
		ynode_error(errs, n, "a size cannot be negative");
		return -1;
	}
	*out_r = v;
	return 0;
}

static int
scan_load_duration(const struct ynode *n, int64_t min, int64_t *out_r, struct tk_errlist *errs)
{
	int64_t v;

	if (ynode_duration_ms(n, &v, errs) < 0)
		return -1;
	if (v < min) {
		ynode_error(errs, n, "duration must be at least %lldms", (long long)min);
		return -1;
	}
	*out_r = v;
	return 0;
}

/* One key of the section; returns -1 if its value was bad (already reported). */
static int
scan_load_key(const char *key, const struct ynode *v, struct scan_config *cfg,
              struct tk_errlist *errs)
{
	if (strcmp(key, "enabled") == 0)
		return ynode_bool(v, &cfg->enabled, errs);
	if (strcmp(key, "backend") == 0)
		return scan_load_backend(v, &cfg->backend, errs);
	if (strcmp(key, "signatures") == 0)
		return scan_load_path(v, &cfg->signatures, errs);
	if (strcmp(key, "clamd_socket") == 0)
		return scan_load_path(v, &cfg->clamd_socket, errs);
	if (strcmp(key, "clamd_timeout") == 0)
		return scan_load_duration(v, 1, &cfg->clamd_timeout_ms, errs);
	if (strcmp(key, "max_attachment_size") == 0)
		return scan_load_size(v, &cfg->max_attachment_size, errs);
	if (strcmp(key, "max_message_size") == 0)
		return scan_load_size(v, &cfg->max_message_size, errs);
	if (strcmp(key, "blocked_types") == 0)
		return scan_load_types(v, &cfg->blocked_types, &cfg->n_blocked_types, errs);
	if (strcmp(key, "allowed_types") == 0)
		return scan_load_types(v, &cfg->allowed_types, &cfg->n_allowed_types, errs);
	if (strcmp(key, "on_error") == 0)
		return scan_load_on_error(v, &cfg->on_error, errs);
	if (strcmp(key, "reload_check_interval") == 0)
		return scan_load_duration(v, 0, &cfg->reload_check_interval_ms, errs);
	if (strcmp(key, "notify_channel") == 0 || strcmp(key, "notify_recipient") == 0) {
		const char *s;
		char **dst = key[7] == 'c' ? &cfg->notify_channel : &cfg->notify_recipient;

		if (ynode_str(v, &s, errs) < 0)
			return -1;
		if (dst == &cfg->notify_channel && strcmp(s, "smtp") != 0 && strcmp(s, "slack") != 0) {
			ynode_error(errs, v, "notify_channel must be smtp or slack");
			return -1;
		}
		xfree(dst);
		*dst = xstrdup(s);
		return 0;
	}
	return 0; /* unknown keys are reported by ynode_check_keys */
}

int
scan_config_load(const struct ynode *node, struct scan_config *cfg, struct tk_errlist *errs)
{
	size_t before = errs->n;
	const struct ynode *v;

	if (node == NULL)
		return 0;
	if (ynode_check_keys(node, scan_keys, "scan", errs) > 0 && node->kind != YNODE_MAP)
		return -1;
	for (size_t i = 0; i < node->n; i++)
		scan_load_key(node->keys[i]->scalar, node->items[i], cfg, errs);
	v = ynode_get(node, "max_attachment_size");
	if (v != NULL && errs->n == before && cfg->max_message_size > 0 &&
	    cfg->max_attachment_size > cfg->max_message_size)
		ynode_error(errs, v, "max_attachment_size (%lld) is larger than max_message_size (%lld)",
		            (long long)cfg->max_attachment_size, (long long)cfg->max_message_size);
	return errs->n == before ? 0 : -1;
}
