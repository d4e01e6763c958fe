/*
 * lifecycle.c: ticket statuses and the transition table.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lifecycle.h"

static const char *const status_names[LC_STATUS_COUNT] = {
	"new", "open", "in_progress", "pending", "resolved", "closed", "reopened",
};

static const char *const stamp_columns[LC_STATUS_COUNT] = {
	"created_at", "opened_at", "in_progress_at", "pending_at", "resolved_at", "closed_at",
	"reopened_at",
};

/* transitions[from][to]: the one table of allowed moves. */
static const bool transitions[LC_STATUS_COUNT][LC_STATUS_COUNT] = {
	/*                 new    open   inpr   pend   resv   clos   reop */
	[LC_NEW]         = { false, true,  true,  true,  true,  true,  false },
	[LC_OPEN]        = { false, false, true,  true,  true,  true,  false },
	[LC_IN_PROGRESS] = { false, true,  false, true,  true,  true,  false },
	[LC_PENDING]     = { false, true,  true,  false, true,  true,  false },
	[LC_RESOLVED]    = { false, false, false, false, false, true,  true  },
	[LC_CLOSED]      = { false, false, false, false, false, false, true  },
	[LC_REOPENED]    = { false, true,  true,  true,  true,  true,  false },
};

const char *
lc_status_name(enum lc_status s)
{
	return (unsigned)s < LC_STATUS_COUNT ? status_names[s] : "?";
}

int
lc_status_parse(const char *name, enum lc_status *s_r)
{
	for (int i = 0; i < LC_STATUS_COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*s_r = (enum lc_status)i;
			return 0;
		}
	}
	return -1;
}

bool
lc_allowed(enum lc_status from, enum lc_status to)
{
	if ((unsigned)from >= LC_STATUS_COUNT || (unsigned)to >= LC_STATUS_COUNT)
		return false;
	return transitions[from][to];
}

const char *
lc_stamp_column(enum lc_status s)
{
	return (unsigned)s < LC_STATUS_COUNT ? stamp_columns[s] : NULL;
}

bool
lc_is_open(enum lc_status s)
{
	return s != LC_RESOLVED && s != LC_CLOSED;
}

bool
lc_priority_ok(const char *p)
{
	return p && (strcmp(p, "low") == 0 || strcmp(p, "medium") == 0 || strcmp(p, "high") == 0 ||
	             strcmp(p, "critical") == 0);
}

/* A word people use -> the stored name. */
struct lc_word {
	const char *word, *canonical;
};

static const struct lc_word priority_words[] = {
	{ "low", "low" }, { "medium", "medium" }, { "normal", "medium" }, { "high", "high" },
	{ "critical", "critical" }, { "urgent", "critical" }, { NULL, NULL },
};
static const struct lc_word status_words[] = {
	{ "new", "new" }, { "open", "open" }, { "in_progress", "in_progress" },
	{ "in-progress", "in_progress" }, { "pending", "pending" }, { "resolved", "resolved" },
	{ "closed", "closed" }, { "reopened", "reopened" }, { NULL, NULL },
};

static const char *
word_lookup(const struct lc_word *w, const char *word)
{
	for (size_t i = 0; word && w[i].word; i++)
		if (strcasecmp(word, w[i].word) == 0)
			return w[i].canonical;
	return NULL;
}

const char *
lc_priority_canonical(const char *word)
{
	return word_lookup(priority_words, word);
}

const char *
lc_status_canonical(const char *word)
{
	return word_lookup(status_words, word);
}

const char *
lc_status_requested(const char *want, const char *from)
{
	if (want && from && strcmp(want, "open") == 0 &&
	    (strcmp(from, "resolved") == 0 || strcmp(from, "closed") == 0))
		return "reopened";
	return want;
}

void
lc_allowed_list(enum lc_status s, char *buf, unsigned len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int to = 0; to < LC_STATUS_COUNT; to++) {
		if (!lc_allowed(s, (enum lc_status)to))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
		                         used ? ", " : "", status_names[to]);
		if (used >= len)
			break;
	}
}
