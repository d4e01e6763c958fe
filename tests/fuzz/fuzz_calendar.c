/*
 * fuzz_calendar.c: one SLA calendar (the YAML mapping under
 * sla.calendars.NAME) through sla_calendar_load and, when it loads, the
 * arithmetic of sla_calendar.h at a few instants: fixed ones (DST changes,
 * the ends of the defined range) and any the input names in comment lines
 * "#@ FROM SECS" (YAML ignores them; the fuzzer mutates the numbers).
 *
 * Properties (sla_calendar.h): a failed load leaves *cal_r NULL with an
 * error; add(from, 0) == from; t = add(from, secs) is -1 or the earliest
 * instant with seconds(from, t) == secs, within the horizon; next_open(t)
 * is -1 or open, with nothing open before it; seconds() is additive.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "fuzz.h"
#include "sla_calendar.h"
#include "ynode.h"

#define TMAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z: the last instant defined */
#define MAX_QUERIES 6

struct query {
	int64_t from, secs;
};

static const struct query fixed[] = {
	{ 1774744200, 3600 },         /* 2026-03-29 00:30 UTC: Europe's spring forward */
	{ 1792886400, 8 * 3600 },     /* 2026-10-25 02:40 UTC: Europe's fall back */
	{ 1767139200, 40 * 86400 },   /* 2025-12-31: new year, holidays */
	{ 0, 1 },                     /* the first instant */
	{ TMAX - 3600, 7200 },        /* past the last one */
};

/* "#@ FROM SECS" lines of the input, after the fixed queries; returns how many. */
static size_t
queries(const char *text, struct query *q, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < max; i++)
		q[n++] = fixed[i];
	for (const char *p = strstr(text, "#@"); p && n < max + 3; p = strstr(p + 2, "#@")) {
		long long from, secs;

		if (sscanf(p + 2, "%lld %lld", &from, &secs) == 2)
			q[n++] = (struct query){ from, secs };
	}
	return n;
}

static void
check_next_open(const struct sla_calendar *cal, int64_t t)
{
	int64_t n = sla_calendar_next_open(cal, t);

	if (n == -1)
		return;
	if (n < t || !sla_calendar_open_at(cal, n))
		fuzz_fail("next_open(%" PRId64 ") = %" PRId64 " is not an open instant at or after it",
		          t, n);
	if (sla_calendar_seconds(cal, t, n) != 0)
		fuzz_fail("next_open(%" PRId64 ") = %" PRId64 " but business time runs before", t, n);
}

static void
check_add(const struct sla_calendar *cal, int64_t from, int64_t secs)
{
	int64_t t = sla_calendar_add(cal, from, secs), mid;

	if (from >= 0 && from <= TMAX && sla_calendar_add(cal, from, 0) != from)
		fuzz_fail("add(%" PRId64 ", 0) != %" PRId64, from, from);
	if (t == -1)
		return;
	if (secs < 0 || t < from || t - from > SLA_CALENDAR_HORIZON)
		fuzz_fail("add(%" PRId64 ", %" PRId64 ") = %" PRId64 " is out of range", from, secs, t);
	if (sla_calendar_seconds(cal, from, t) != secs)
		fuzz_fail("seconds(%" PRId64 ", add(%" PRId64 ", %" PRId64 ") = %" PRId64 ") = %" PRId64,
		          from, from, secs, t, sla_calendar_seconds(cal, from, t));
	if (secs > 0 && (sla_calendar_seconds(cal, from, t - 1) != secs - 1 ||
	                 !sla_calendar_open_at(cal, t - 1)))
		fuzz_fail("add(%" PRId64 ", %" PRId64 ") = %" PRId64 " is not the earliest", from, secs,
		          t);
	mid = from + (t - from) / 3;
	if (sla_calendar_seconds(cal, from, mid) + sla_calendar_seconds(cal, mid, t) != secs)
		fuzz_fail("seconds() is not additive over [%" PRId64 ", %" PRId64 ", %" PRId64 ")", from,
		          mid, t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct ynode *root = NULL;
	struct sla_calendar *cal = NULL;
	struct tk_errlist errs;
	struct query q[MAX_QUERIES + 3];
	size_t nq;

	fuzz_init();
	tk_errlist_init(&errs);
	if (ynode_load_string("fuzz.yaml", text, strlen(text), &root, &errs) < 0)
		goto out;
	if (sla_calendar_load("office", root, &cal, &errs) < 0) {
		if (cal != NULL || errs.n == 0)
			fuzz_fail("a failed load must leave the calendar NULL and say why");
		goto out;
	}
	if (cal == NULL || errs.n != 0)
		fuzz_fail("a calendar that loaded is NULL or came with errors");
	nq = queries(text, q, MAX_QUERIES);
	for (size_t i = 0; i < nq; i++) {
		check_add(cal, q[i].from, q[i].secs);
		check_next_open(cal, q[i].from);
	}
	sla_calendar_free(&cal);
out:
	ynode_free(&root);
	tk_errlist_fini(&errs);
	free(text);
	return 0;
}
