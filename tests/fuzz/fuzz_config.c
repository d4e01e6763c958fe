/*
 * fuzz_config.c: one ticketd.conf through the start-up loader
 * (startup_load: config_load, every section including sla:, teams:,
 * queues: and the calendars, then the rules directory it names).
 *
 * The loader reads the files a config names (rules, secrets, templates),
 * so the target runs in a private directory holding a rules directory,
 * secret files and templates the seeds name by relative path. An input
 * naming /dev, /proc or /sys is skipped: an admin's config may make the
 * loader read any file, and a device can block it forever.
 *
 * Properties: a failed load leaves the config NULL and reports at least
 * one error; a loaded one reports none, and its names resolve (every
 * policy has a calendar, every queue's team and chain exist, every team's
 * lead and members are agents), which the escalator relies on.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* ticketd. */
#include "config.h"
#include "fuzz.h"
#include "rules.h"
#include "sla_config.h"
#include "startup.h"

static const char rule[] =
	"rules:\n"
	"  - name: billing\n"
	"    match: { subject: /invoice/i }\n"
	"    set: { queue: billing, priority: high, category: Billing, tags: [money] }\n";

static void
init(void)
{
	const char *dir = fuzz_tmpdir();

	fuzz_init();
	if (chdir(dir) != 0 || mkdir("rules", 0700) != 0 || mkdir("templates", 0700) != 0)
		fuzz_fail("cannot prepare %s", dir);
	fuzz_write("rules", "10-billing.yaml", rule, sizeof(rule) - 1);
	fuzz_write(".", "secret", "0123456789abcdef0123456789abcdef\n", 33);
	fuzz_write(".", "password", "hunter2hunter2\n", 15);
	fuzz_write("templates", "ack.txt", "Subject: {{subject}}\n\nWe got it.\n", 33);
	setenv("TICKETD_FUZZ_SECRET", "0123456789abcdef0123456789abcdef", 1);
}

static bool
is_agent(const struct config *cfg, const char *name)
{
	return name == NULL || config_agent_by_name(cfg, name) != NULL;
}

static void
check_names(const struct config *cfg)
{
	const struct sla_config *c = cfg->sla;

	if (c == NULL)
		fuzz_fail("a loaded config has no sla section (sla_config.h: never NULL)");
	for (size_t i = 0; i < c->n_policies; i++)
		if (c->policies[i].calendar == NULL ||
		    (c->policies[i].chain && !sla_chain_named(c, c->policies[i].chain)))
			fuzz_fail("policy %s: its calendar or chain does not exist", c->policies[i].name);
	for (size_t i = 0; i < c->n_queues; i++)
		if ((c->queues[i].team && !sla_team_named(c, c->queues[i].team)) ||
		    (c->queues[i].chain && !sla_chain_named(c, c->queues[i].chain)))
			fuzz_fail("queue %s: its team or chain does not exist", c->queues[i].name);
	for (size_t i = 0; i < c->n_teams; i++) {
		if (!is_agent(cfg, c->teams[i].lead))
			fuzz_fail("team %s: its lead is no agent", c->teams[i].name);
		for (size_t m = 0; m < c->teams[i].n_members; m++)
			if (!is_agent(cfg, c->teams[i].members[m]))
				fuzz_fail("team %s: a member is no agent", c->teams[i].name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	struct config *cfg = NULL;
	struct rules *rules = NULL;
	struct tk_errlist errs;

	if (!inited) {
		init();
		inited = true;
	}
	if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
	    memmem(data, size, "/sys", 4))
		return 0;
	fuzz_write(".", "ticketd.yaml", data, size);
	tk_errlist_init(&errs);
	if (startup_load("ticketd.yaml", &cfg, &rules, &errs) < 0) {
		if (cfg != NULL || rules != NULL || errs.n == 0)
			fuzz_fail("a failed load must leave the config NULL and say why");
	} else {
		if (cfg == NULL || errs.n != 0)
			fuzz_fail("a load that succeeded has no config, or errors");
		check_names(cfg);
	}
	rules_unref(&rules);
	config_unref(&cfg);
	tk_errlist_fini(&errs);
	return 0;
}
