/*
 * bench_calendar.c: nanoseconds per sla_calendar_add() (and _seconds()) on a
 * Europe/Berlin Mon-Fri 09:00-17:00 calendar with 15 holidays, for 4 h, 3 days
 * and 30 days of business time, from 4,096 start instants spread over 2026.
 *
 *   bench_calendar [ROUNDS]
 *
 * Each figure is the best of ROUNDS (default 5) passes over the starts, in
 * thread CPU time. Also prints the cost of loading the calendar (the zone's
 * offsets are read from GLib once per load).
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "sla_calendar.h"
#include "ynode.h"

#define NSTARTS 4096

static const char CAL[] =
	"timezone: Europe/Berlin\n"
	"hours:\n"
	"  mon-fri: \"09:00-17:00\"\n"
	"holidays: [\"01-01\", 2026-04-03, 2026-04-06, \"05-01\", 2026-05-14, 2026-05-25,\n"
	"           2026-06-04, \"10-03\", \"11-01\", \"12-24\", \"12-25\", \"12-26\", \"12-31\",\n"
	"           2027-03-26, 2027-03-29]\n";

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct sla_calendar *
load(void)
{
	struct tk_errlist errs;
	struct ynode *root = NULL;
	struct sla_calendar *cal = NULL;

	tk_errlist_init(&errs);
	if (ynode_load_string("bench.yaml", CAL, strlen(CAL), &root, &errs) < 0 ||
	    sla_calendar_load("bench", root, &cal, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		exit(1);
	}
	ynode_free(&root);
	tk_errlist_fini(&errs);
	return cal;
}

int
main(int argc, char **argv)
{
	static const struct { const char *what; int64_t secs; } sizes[] = {
		{ "4h", 4 * 3600 }, { "3d", 3 * 86400 }, { "30d", 30 * 86400 },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	static int64_t starts[NSTARTS];
	uint64_t x = 0x2026;
	struct sla_calendar *cal;
	double t0, best;
	volatile int64_t sink = 0;

	/* Starts: 2026-01-01T00:00Z plus a pseudo-random second of the year. */
	for (int i = 0; i < NSTARTS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		starts[i] = INT64_C(1767225600) + (int64_t)(x % (365 * 86400));
	}
	t0 = cpu_ns();
	for (int i = 0; i < 100; i++) {
		cal = load();
		sla_calendar_free(&cal);
	}
	printf("load: %.0f us per calendar\n", (cpu_ns() - t0) / 100 / 1000);
	cal = load();
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double best_secs = 1e30;

		best = 1e30;
		for (int r = 0; r < rounds; r++) {
			double a = cpu_ns(), b, c;

			for (int i = 0; i < NSTARTS; i++)
				sink += sla_calendar_add(cal, starts[i], sizes[s].secs);
			b = cpu_ns();
			for (int i = 0; i < NSTARTS; i++)
				sink += sla_calendar_seconds(cal, starts[i],
				                             starts[i] + sizes[s].secs * 4);
			c = cpu_ns();
			if ((b - a) / NSTARTS < best)
				best = (b - a) / NSTARTS;
			if ((c - b) / NSTARTS < best_secs)
				best_secs = (c - b) / NSTARTS;
		}
		printf("add %-3s of business time: %6.0f ns   seconds over 4x that span: %6.0f ns\n",
		       sizes[s].what, best, best_secs);
	}
	sla_calendar_free(&cal);
	return sink == 42 ? 1 : 0;
}
