/*
 * scan.h: attachment scanning. One verdict per attachment: size and content
 * type limits first (type judged by content through libmagic, never by the
 * name), then a virus scan with libclamav in this process or with clamd over
 * its socket (INSTREAM), behind the same call.
 *
 * A struct scan is shared by all worker threads: scan_check() is thread-safe.
 * With the libclamav backend the compiled engine is shared read-only and is
 * replaced in the background when the signature directory changes (checked
 * at most every reload_check_interval); scans in flight finish on the engine
 * they started with.
 *
 * The scanner decides nothing about storage: the caller quarantines INFECTED
 * and BLOCKED attachments and applies cfg.on_error to ERROR ones.
 */
#ifndef TK_SCAN_H
#define TK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ynode.h"

enum scan_backend { SCAN_BACKEND_LIBCLAMAV, SCAN_BACKEND_CLAMD };

/* What to do with an attachment whose scan failed. */
enum scan_on_error {
	SCAN_ON_ERROR_QUARANTINE,       /* hold it back like an infected one */
	SCAN_ON_ERROR_ACCEPT,           /* store it, flagged scan_status 'error' */
};

struct scan_config {
	bool enabled;                   /* default true; only "enabled: false" turns it off */
	enum scan_backend backend;      /* default libclamav */
	char *signatures;               /* signature directory, default /var/lib/clamav */
	char *clamd_socket;             /* default /run/clamav/clamd.ctl */
	int64_t clamd_timeout_ms;       /* whole INSTREAM exchange, default 30s */
	int64_t max_attachment_size;    /* bytes, default 25M; 0 = no limit */
	int64_t max_message_size;       /* bytes, default 50M; 0 = no limit */
	char **blocked_types;           /* MIME type patterns (fnmatch, case-insensitive) */
	size_t n_blocked_types;
	char **allowed_types;           /* when non-empty, every other type is blocked */
	size_t n_allowed_types;
	enum scan_on_error on_error;    /* default quarantine */
	int64_t reload_check_interval_ms; /* default 60s; 0 = check before every scan */
	char *notify_channel;           /* "smtp" or "slack": tell someone what was held back */
	char *notify_recipient;         /* address for smtp */
};

enum scan_verdict {
	SCAN_CLEAN,      /* scanned, nothing found */
	SCAN_INFECTED,   /* detail: the signature name */
	SCAN_ERROR,      /* detail: why the scan failed (caller applies on_error) */
	SCAN_BLOCKED,    /* detail: the size or type rule that held it back */
	SCAN_UNSCANNED,  /* scanning is switched off in the config */
};

struct scan_result {
	enum scan_verdict verdict;
	char detail[256];        /* "" for CLEAN and UNSCANNED */
	char content_type[128];  /* by content (libmagic), e.g. "application/zip" */
};

struct scan;

/* Defaults as listed in struct scan_config. Free with scan_config_fini(). */
void scan_config_init(struct scan_config *cfg);
void scan_config_fini(struct scan_config *cfg);

/*
 * Read the "scan:" section (a map; NULL means absent: defaults) into cfg,
 * which must have been set up by scan_config_init(). Unknown keys, bad
 * values and impossible combinations are added to errs at their position;
 * returns -1 if any was found.
 */
int scan_config_load(const struct ynode *node, struct scan_config *cfg, struct tk_errlist *errs);

/*
 * What scan_new() would refuse, without building the engine (ticketd -t):
 * for libclamav, a missing or empty signature directory, or one in which
 * libclamav counts no signature (cl_countsigs). 0 when disabled or clamd.
 */
int scan_check_signatures(const struct scan_config *cfg, struct tk_err *err);

/*
 * Start the scanner: copy cfg, open libmagic and, for libclamav, load and
 * compile the engine from cfg->signatures (a missing or empty directory is
 * an error naming it). A clamd backend is not contacted here. The caller
 * frees the result with scan_free().
 */
int scan_new(const struct scan_config *cfg, struct scan **scan_r, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Wait for a background engine reload, free everything, set *s to NULL. */
void scan_free(struct scan **s);

/*
 * Judge one attachment of len bytes. filename is only for logs and the
 * engine's messages (may be NULL). Always fills res (verdict, detail,
 * content type) and returns 0; returns -1 with err set only for misuse
 * (res NULL). Thread-safe; may start a background engine reload.
 */
int scan_check(struct scan *s, const void *data, size_t len, const char *filename,
               struct scan_result *res, struct tk_err *err);

/*
 * Apply max_message_size to a whole message of total bytes: returns 1 and
 * fills res with a BLOCKED verdict if it is too big, else 0.
 */
int scan_check_message_size(const struct scan *s, size_t total, struct scan_result *res);

/*
 * Check the signature directory now (ignoring the interval) and, when it
 * changed, load and swap in a new engine before returning (synchronous; for
 * SIGHUP and tests). Returns 1 if a new engine was swapped in, 0 if nothing
 * changed, -1 with err set if the new engine failed to load (the old one
 * stays in use). Always 0 for clamd and when disabled.
 */
int scan_reload(struct scan *s, struct tk_err *err);

/* The engine in use: generation (1 for the first, +1 per swap) and signatures. */
void scan_engine_info(struct scan *s, unsigned *generation_r, unsigned *signatures_r);

/* The configuration the scanner runs with (borrowed, lives as long as s). */
const struct scan_config *scan_get_config(const struct scan *s);

/* "clean", "infected", "error", "blocked", "unscanned": the attachments.scan_status values. */
const char *scan_verdict_name(enum scan_verdict v);

/* Whether a MIME type matches a pattern such as "application/x-*" (exposed for tests). */
bool scan_type_match(const char *pattern, const char *type);

#endif
