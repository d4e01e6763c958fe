/*
 * bench_escalate.c: the escalator's costs that do not show in its lag:
 * the time of one pass when nothing is due (what every tick costs), the
 * query for the next due time, and the self-check. Run by
 * bench/sla/escalator.sh against a database filled with open tickets.
 *
 *   bench_escalate CONFIG PASSES      idle passes, then the self-check
 *   bench_escalate CONFIG drain       passes until nothing is due: tickets/s
 *                                     of the escalator's first look at new tickets
 */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "escalate.h"
#include "store.h"

int
main(int argc, char **argv)
{
	struct tk_errlist errs;
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	struct escalate_check c;
	int passes = argc > 2 ? atoi(argv[2]) : 200, n = 0;
	bool drain = argc > 2 && strcmp(argv[2], "drain") == 0;
	double t0, pass_ms;

	tk_errlist_init(&errs);
	if (argc < 2 || config_load(argv[1], &cfg, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		return 1;
	}
	if (store_open(config_dsn(cfg), &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (drain) {
		long total = 0;

		t0 = (double)clock_mono_ms();
		do {
			if (escalate_pass(st, cfg, &n, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			total += n;
		} while (n > 0);
		printf("drained %ld tickets in %.0f ms = %.0f tickets/s\n", total,
		       (double)clock_mono_ms() - t0, total * 1000.0 / ((double)clock_mono_ms() - t0 + 1));
		return 0;
	}
	/* warm the connection's statements */
	if (escalate_pass(st, cfg, &n, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t0 = (double)clock_mono_ms();
	for (int i = 0; i < passes; i++) {
		if (escalate_pass(st, cfg, &n, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	pass_ms = ((double)clock_mono_ms() - t0) / passes;
	if (escalate_self_check(st, &c, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("idle_pass_ms %.3f\nself_check_s %.3f\ndue_within_hour %lld\noverdue_tickets %lld\n",
	       pass_ms, c.took_s, (long long)c.due_within_hour, (long long)c.tickets_overdue);
	store_close(&st);
	config_unref(&cfg);
	tk_errlist_fini(&errs);
	return 0;
}
