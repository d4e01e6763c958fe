/*
 * sla_clock.c: the response and resolution clocks of one ticket, from its
 * status history (sla_clock.h has the rules).
 *
 * The history is walked once, as a sequence of intervals in which the
 * status is constant. Each clock keeps the intervals in which it ran; its
 * used time is their business time (sla_calendar_seconds), and the instant
 * it reaches an amount is found by walking them again (sla_calendar_add
 * inside the interval where the amount is crossed). Nothing depends on
 * state stored between runs, so a recomputation after a crash, a reload or
 * a change of policy always gives the same answer.
 */
/* System. */
#include <stdio.h>
#include <string.h>
/* ticketd. */
#include "sla_calendar.h"
#include "sla_clock.h"

const char *
sla_clock_name(enum sla_clock_kind k)
{
	return k == SLA_RESPONSE ? "response" : "resolution";
}

static bool
is_done(const char *status)
{
	return strcmp(status, "resolved") == 0 || strcmp(status, "closed") == 0;
}

static bool
is_pending(const char *status)
{
	return strcmp(status, "pending") == 0;
}

/* Append [from, to) (to 0: open) to the clock's segments. */
static void
seg_add(struct sla_clock *c, const struct sla_calendar *cal, int64_t from, int64_t to)
{
	if (to != 0 && to <= from)
		return;
	if (c->n_segs == SLA_MAX_SEGMENTS) {   /* merge the oldest away (64 runs: rare) */
		c->merged_s += sla_calendar_seconds(cal, c->seg_from[0], c->seg_to[0]);
		c->merged_end = c->seg_to[0];
		memmove(c->seg_from, c->seg_from + 1, (SLA_MAX_SEGMENTS - 1) * sizeof(int64_t));
		memmove(c->seg_to, c->seg_to + 1, (SLA_MAX_SEGMENTS - 1) * sizeof(int64_t));
		c->n_segs--;
	}
	c->seg_from[c->n_segs] = from;
	c->seg_to[c->n_segs] = to;
	c->n_segs++;
}

/* The clock's state over [from, to) given the status there. */
static void
clock_interval(struct sla_clock *c, const struct sla_calendar *cal, const char *status,
               int64_t from, int64_t to, int64_t stop_at)
{
	if (c->state == SLA_STOPPED)
		return;
	if (stop_at != 0 && stop_at < (to ? to : INT64_MAX)) {
		/* the clock stops inside this interval (or stopped before it) */
		if (!is_pending(status) && !is_done(status) && stop_at > from)
			seg_add(c, cal, from, stop_at);
		c->state = SLA_STOPPED;
		c->stopped_at = stop_at > from ? stop_at : from;
		return;
	}
	if (is_done(status)) {
		c->state = SLA_PAUSED;   /* the resolution clock: stopped until a reopen */
		return;
	}
	if (is_pending(status)) {
		c->state = SLA_PAUSED;
		return;
	}
	seg_add(c, cal, from, to);
	c->state = SLA_RUNNING;
}

static void
clock_used(struct sla_clock *c, const struct sla_calendar *cal, int64_t now)
{
	c->used_s = c->merged_s;
	for (size_t i = 0; i < c->n_segs; i++)
		c->used_s += sla_calendar_seconds(cal, c->seg_from[i], c->seg_to[i] ? c->seg_to[i] : now);
}

/* When the response clock stops for good: first reply, or first resolved/closed. */
static int64_t
response_stop(const struct sla_history *h)
{
	int64_t stop = h->first_response_at;

	for (size_t i = 0; i < h->n_changes; i++) {
		if (is_done(h->changes[i].status)) {
			if (stop == 0 || h->changes[i].at < stop)
				stop = h->changes[i].at;
			break;
		}
	}
	return stop != 0 && stop <= h->now ? stop : 0;
}

void
sla_clock_compute(const struct sla_history *h, const struct sla_calendar *cal,
                  struct sla_clocks *out)
{
	int64_t resp_stop = response_stop(h);
	const char *status = "new";
	int64_t from = h->created_at;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i <= h->n_changes; i++) {
		int64_t to = i < h->n_changes ? h->changes[i].at : 0;

		if (to != 0 && to < from)
			to = from;              /* clock skew in the history: never run backwards */
		if (to != 0 && to > h->now)
			to = h->now;
		clock_interval(&out->c[SLA_RESPONSE], cal, status, from, to, resp_stop);
		clock_interval(&out->c[SLA_RESOLUTION], cal, status, from, to, 0);
		if (is_pending(status))
			out->paused_s += (to ? to : h->now) - from;
		if (i == h->n_changes || h->changes[i].at > h->now)
			break;
		status = h->changes[i].status;
		from = to;
	}
	/* A resolution clock "paused" by resolved/closed is stopped, as of that change. */
	if (out->c[SLA_RESOLUTION].state == SLA_PAUSED && is_done(status)) {
		out->c[SLA_RESOLUTION].state = SLA_STOPPED;
		out->c[SLA_RESOLUTION].stopped_at = from;
	}
	for (int k = 0; k < SLA_CLOCKS; k++)
		clock_used(&out->c[k], cal, h->now);
}

/* sla_calendar_add, with "not within its horizon" (-1) as "never" (0). */
static int64_t
add_or_never(const struct sla_calendar *cal, int64_t from, int64_t secs)
{
	int64_t t = sla_calendar_add(cal, from, secs);

	return t < 0 ? 0 : t;
}

int64_t
sla_clock_reach(const struct sla_clock *c, const struct sla_calendar *cal, int64_t amount)
{
	int64_t used = c->merged_s;

	if (amount <= 0)
		return c->n_segs ? c->seg_from[0] : c->merged_end;
	if (amount <= used)
		return c->merged_end;       /* inside merged history: its end is the best we know */
	for (size_t i = 0; i < c->n_segs; i++) {
		int64_t s;

		if (c->seg_to[i] == 0)       /* running now: it gets there */
			return add_or_never(cal, c->seg_from[i], amount - used);
		s = sla_calendar_seconds(cal, c->seg_from[i], c->seg_to[i]);
		if (used + s >= amount)
			return add_or_never(cal, c->seg_from[i], amount - used);
		used += s;
	}
	return 0;
}

int64_t
sla_clock_left(const struct sla_clock *c, int64_t target_s)
{
	return target_s - c->used_s;
}

char *
sla_format_duration(int64_t seconds, char *buf, size_t len)
{
	const char *sign = seconds < 0 ? "overdue " : "";
	int64_t s = seconds < 0 ? -seconds : seconds;

	if (s >= 86400)
		snprintf(buf, len, "%s%lldd %lldh", sign, (long long)(s / 86400),
		         (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%s%lldh %02lldm", sign, (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%s%lldm %02llds", sign, (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%s%llds", sign, (long long)s);
	return buf;
}
