/*
 * pipeline.c: dispatch a staged inbound item to the processor of its kind,
 * and the item's time budget the processors check between costly steps.
 */
#include <inttypes.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "incident.h"
#include "mailproc.h"
#include "pipeline.h"
#include "rules.h"

struct pipeline_kind {
	const char *kind;
	int (*process)(struct pipeline_ctx *, const struct inbound_item *, struct pipeline_result *,
	               struct tk_err *);
	uint32_t (*order)(struct pipeline_ctx *, const struct inbound_item *); /* NULL: 0 */
};

static const struct pipeline_kind kinds[] = {
	{ "mail", mailproc_process, NULL },
	{ "alert", incident_process, incident_lock_order },
};

int
pipeline_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                 struct pipeline_result *res, struct tk_err *err)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, item->kind) == 0)
			return kinds[i].process(pc, item, res, err);
	res->error_kind = "internal";
	return tk_err_set(err, "no processor for inbound kind \"%s\"", item->kind);
}

uint32_t
pipeline_order(struct pipeline_ctx *pc, const struct inbound_item *item)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, item->kind) == 0 && kinds[i].order)
			return kinds[i].order(pc, item);
	return 0;
}

int
pipeline_budget(struct pipeline_ctx *pc, const char *where, struct tk_err *err)
{
	int64_t now;

	if (pc->deadline_ms == 0 || (now = clock_mono_ms()) < pc->deadline_ms)
		return 0;
	pc->over_budget = true;
	return tk_err_set(err, "processing went over its budget of %" PRId64 " ms "
	                  "(workers.item_budget) %s; set aside", pc->cfg->item_budget_ms, where);
}
