/*
 * rules.h: YAML routing rules. A rules directory (every *.yaml, in file-name
 * order) is compiled into an immutable, refcounted struct rules; evaluating it
 * against one message or alert yields the ticket fields (queue, priority,
 * ...), a drop or a quarantine. The grammar is documented in ticketd-rules(5).
 *
 * Threads: a struct rules is read-only once loaded and may be evaluated by any
 * number of threads at once. A struct rules_slot holds the current set; the
 * daemon swaps a new set in on SIGHUP while evaluations in flight finish with
 * the set they took a reference to.
 *
 * The engine knows no message or alert struct: it reads fields through a
 * struct rules_input, whose lookup callback the adapters below provide.
 */
#ifndef TK_RULES_H
#define TK_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct mime_msg;
struct rules;

/* Field identifiers, parsed once at load time from names such as "header.list-id". */
enum rules_field_id {
	RULES_F_KIND,            /* "mail" or "alert" (answered by the engine) */
	RULES_F_SOURCE,          /* source name (engine) */
	RULES_F_MAILBOX,         /* mailbox name (engine) */
	RULES_F_SUBJECT,
	RULES_F_FROM,
	RULES_F_TO,
	RULES_F_CC,
	RULES_F_RECIPIENT,       /* envelope recipients, given by the caller (mail) */
	RULES_F_BODY,
	RULES_F_HEADER,          /* header.<name>: arg is the header name */
	RULES_F_ATTACHMENT_NAME,
	RULES_F_ATTACHMENT_TYPE,
	RULES_F_AUTO_REPLY,      /* "true" / "false" */
	RULES_F_BOUNCE,          /* "true" / "false" */
	RULES_F_SENDER_IS_AGENT, /* "true" / "false" */
	RULES_F_AUTO_CLASS,      /* the classifier's verdict (loop.h): "human", "auto_reply", ... */
	RULES_F_AUTO_REASON,     /* what the classifier saw, e.g. "List-Id: <x.example>" */
	RULES_F_LABEL,           /* label.<key>: arg is the key */
	RULES_F_ANNOTATION,      /* annotation.<key>: arg is the key */
	RULES_F_STATUS,
	RULES_F_SEVERITY,
	RULES_F_JSON,            /* json./pointer: arg is the RFC 6901 pointer */
};

struct rules_field {
	enum rules_field_id id;
	const char *name;        /* as written in the rule, e.g. "header.List-Id" */
	const char *arg;         /* the part after the first dot, or NULL */
};

/* What a rule can look at. Fill it with an adapter, or by hand for a new kind. */
struct rules_input {
	const char *kind;        /* "mail" or "alert" */
	const char *source;      /* e.g. "support-imap", "alertmanager"; may be NULL */
	const char *mailbox;     /* mail only; may be NULL */
	/*
	 * Call each() for every value of field f (none when the field is absent
	 * or does not apply to this kind); a value need not be NUL-terminated.
	 * Stops and returns the first nonzero value each() returns, else 0.
	 */
	int (*lookup)(const struct rules_input *in, const struct rules_field *f,
	              int (*each)(const char *value, size_t len, void *arg), void *arg);
	const void *data;        /* the adapter's object (borrowed) */
	size_t body_len;         /* the adapter's cache: length of the body text (mail) */
	bool sender_is_agent;    /* caller-provided fact (mail) */
	const char *auto_class;  /* caller-provided: the classifier's verdict (mail); NULL: none */
	const char *auto_reason; /* caller-provided: its reason (mail); NULL: none */
	const char *const *recipients; /* caller-provided: envelope recipients (mail), lower case */
	size_t n_recipients;
};

/*
 * Adapter for a parsed message: every field is read from msg, which must
 * outlive the evaluation. sender_is_agent comes from the caller (the agents
 * table).
 */
void rules_input_mail(struct rules_input *in, const struct mime_msg *msg, const char *source,
                      const char *mailbox, bool sender_is_agent);
/*
 * Adapter for one alert (a JSON object, borrowed): labels, annotations, status
 * and severity at the top level; severity falls back to labels.severity and
 * /payload/severity (PagerDuty); subject to the summary or title; any field
 * through json./pointer.
 */
void rules_input_alert(struct rules_input *in, const json_t *alert, const char *source);

/* Load options; a zeroed struct means the defaults. */
struct rules_options {
	const char *const *categories; /* NULL-terminated allowed categories; NULL allows any */
	unsigned long match_limit;     /* PCRE2 match limit per match; 0 = 1,000,000 */
	unsigned long depth_limit;     /* PCRE2 depth limit; 0 = 10,000 */
	bool no_jit;                   /* never try pcre2_jit_compile */
};

/*
 * Load every *.yaml file of dir (file-name order; hidden files skipped) and
 * compile it. Every error is appended to errs as FILE:LINE:COL: message, and
 * then -1 is returned and *rules_r is NULL; otherwise 0 and *rules_r holds one
 * reference.
 */
int rules_load_dir(const char *dir, const struct rules_options *opts, struct rules **rules_r,
                   struct tk_errlist *errs) __attribute__((warn_unused_result));
/* Same for a list of n files, in the order given. */
int rules_load_files(const char *const *paths, size_t n, const struct rules_options *opts,
                     struct rules **rules_r, struct tk_errlist *errs)
	__attribute__((warn_unused_result));
/* Same for one document in memory; name is used in error positions. */
int rules_load_string(const char *name, const char *text, const struct rules_options *opts,
                      struct rules **rules_r, struct tk_errlist *errs)
	__attribute__((warn_unused_result));

/* Take another reference (thread-safe); returns rules. */
struct rules *rules_ref(struct rules *rules);
/* Drop a reference (thread-safe), freeing the set with the last one; NULLs *rules. */
void rules_unref(struct rules **rules);
/* Number of rules in the set. */
size_t rules_count(const struct rules *rules);
/* Whether the regexes were JIT-compiled (false when JIT is unavailable or refused). */
bool rules_jit(const struct rules *rules);

/* The resulting ticket fields. Strings are owned by the result; NULL when unset. */
struct rules_fields {
	char *tenant, *queue, *priority, *category, *type, *impact, *sla_policy, *assignee;
	char *skill;
	int min_level;           /* with skill (1-5, as agents' skills); 0 when unset */
	char *assign_mode;       /* none, round_robin, least_loaded, skill; NULL: the queue's */
	char **tags;             /* accumulated over matching rules, no duplicates */
	size_t n_tags;
};

/* One rule tried, for `ticketctl rules test`. */
struct rules_trace {
	char *rule;              /* rule name */
	char *where;             /* FILE:LINE of the rule */
	bool matched;
	char *failed;            /* when not matched: the failing condition, its path and why */
};

struct rules_result {
	char **matched;          /* names of the matching rules, in order */
	size_t n_matched;
	bool dropped;
	char *drop_reason;
	bool quarantined;
	char *quarantine_reason;
	struct rules_fields fields;
	unsigned regex_errors;   /* matches cut by the match/depth limits (treated as no match) */
	struct rules_trace *trace; /* only with RULES_EVAL_TRACE */
	size_t n_trace;
};

#define RULES_EVAL_TRACE 0x1 /* record every rule tried in result->trace */

/*
 * Evaluate rules against in: rules are tried in order; the first match decides
 * unless it says continue. A field set by an earlier matching rule is kept;
 * tags accumulate. Drop and quarantine stop. A regex that hits the match or
 * depth limit counts as no match and is logged. Returns a new result the
 * caller frees with rules_result_free(); never fails.
 */
struct rules_result *rules_eval(const struct rules *rules, const struct rules_input *in,
                                unsigned flags);
/* Free a result and everything in it; NULLs *res (NULL is fine). */
void rules_result_free(struct rules_result **res);

/*
 * The slot holding the daemon's current rule set. A worker takes a reference
 * per message (rules_slot_get), evaluates, and drops it (rules_unref); SIGHUP
 * loads a new set and, only when it loaded without errors, installs it
 * (rules_slot_set). Messages in flight finish with the set they hold.
 */
struct rules_slot {
	pthread_mutex_t lock;
	struct rules *cur;
};

/* Start with an empty slot. */
void rules_slot_init(struct rules_slot *slot);
/* Drop the slot's reference; the slot must no longer be used. */
void rules_slot_fini(struct rules_slot *slot);
/* A new reference to the current set, or NULL when the slot is empty. Thread-safe. */
struct rules *rules_slot_get(struct rules_slot *slot);
/* Install rules, taking over the caller's reference; the old set is unreferenced. Thread-safe. */
void rules_slot_set(struct rules_slot *slot, struct rules *rules);
/*
 * Load dir and, only when it loads without errors, install it (the SIGHUP
 * path). Returns 0, or -1 with every error in errs and the current set kept.
 */
int rules_slot_reload(struct rules_slot *slot, const char *dir, const struct rules_options *opts,
                      struct tk_errlist *errs) __attribute__((warn_unused_result));

#endif
