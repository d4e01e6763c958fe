/*
 * pipeline.c: dispatch a staged inbound item to the processor of its kind.
 */
#include <string.h>

#include "config.h"
#include "incident.h"
#include "mailproc.h"
#include "pipeline.h"
#include "rules.h"

struct pipeline_kind {
	const char *kind;
	int (*process)(struct pipeline_ctx *, const struct inbound_item *, struct pipeline_result *,
	               struct tk_err *);
};

static const struct pipeline_kind kinds[] = {
	{ "mail", mailproc_process },
	{ "alert", incident_process },
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
