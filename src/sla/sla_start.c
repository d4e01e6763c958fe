/*
 * sla_start.c: a new ticket's SLA at creation (sla_start.h). The same
 * policy choice and calendar arithmetic as the escalator's: the clocks of a
 * ticket that was just created have used nothing, so each due time is its
 * target added to now in business time, and the first step is the first
 * warning of either clock (or the breach, without warnings).
 */
#include <string.h>

#include "sla_calendar.h"
#include "sla_config.h"
#include "sla_start.h"

/* Seconds from now until `secs` of business time have passed (-1: never). */
static int64_t
in_business(const struct sla_calendar *cal, int64_t now, int64_t secs)
{
	int64_t t = sla_calendar_add(cal, now, secs);

	return t < 0 ? -1 : t - now;
}

void
sla_start_compute(const struct sla_config *c, const struct sla_ticket_facts *f, int64_t now,
                  struct sla_start *s)
{
	const struct sla_policy *p;
	int first_pm = c->n_warn > 0 ? c->warn_permille[0] : 1000;

	memset(s, 0, sizeof(*s));
	if (!c->enabled || sla_notify_configured(c, f->queue, SLA_EV_CREATED)) {
		s->look_now = true;
		return;
	}
	p = sla_policy_for(c, f, NULL);
	if (p == NULL) {
		s->applied = "";
		return;
	}
	if (p->notify_on_create) {
		s->look_now = true;
		return;
	}
	s->applied = p->name;
	s->calendar = sla_calendar_name(p->calendar);
	s->response_s = p->response_s;
	s->resolution_s = p->resolution_s;
	s->response_in = in_business(p->calendar, now, p->response_s);
	s->resolution_in = in_business(p->calendar, now, p->resolution_s);
	/* the first step: the earlier of the two clocks' first warnings */
	{
		int64_t a = in_business(p->calendar, now, p->response_s * first_pm / 1000);
		int64_t b = in_business(p->calendar, now, p->resolution_s * first_pm / 1000);

		s->next_in = a < 0 ? b : b < 0 ? a : a < b ? a : b;
	}
}
