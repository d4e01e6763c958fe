/*
 * scan_bench.c: throughput of scan_check() over a set of files, and the
 * memory the libclamav engine takes. Run by bench/scan/run.sh.
 *
 * usage: scan_bench SIGDIR ROUNDS THREADS MODE FILE...
 *   MODE clamav: libclamav engine from SIGDIR; off: scanning disabled
 *   (libmagic typing and limits only, to separate their cost); clamd:
 *   clamd's unix socket given as SIGDIR.
 * Prints one line of key=value figures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "buf.h"
#include "scan.h"
#include "xalloc.h"

struct job {
	struct scan *s;
	struct buf *files;
	int nfiles, rounds, first, step;
	long infected, errors, blocked;
};

static long
rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of the whole process. */
static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	struct scan_result res;

	for (int r = 0; r < j->rounds; r++)
		for (int i = j->first; i < j->nfiles; i += j->step) {
			if (scan_check(j->s, j->files[i].data, j->files[i].len, "f", &res, NULL) < 0)
				abort();
			j->infected += res.verdict == SCAN_INFECTED;
			j->errors += res.verdict == SCAN_ERROR;
			j->blocked += res.verdict == SCAN_BLOCKED;
		}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct scan_config cfg;
	struct scan *s;
	struct tk_err err;
	struct buf *files;
	struct job *jobs;
	pthread_t *tids;
	int rounds, threads, nfiles = argc - 5;
	long rss0, rss1, infected = 0, errors = 0, blocked = 0;
	double t0, c0, t_load, t_scan, c_scan;
	size_t bytes = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: scan_bench SIGDIR ROUNDS THREADS clamav|off|clamd FILE...\n");
		return 2;
	}
	rounds = atoi(argv[2]);
	threads = atoi(argv[3]);
	files = xcalloc((size_t)nfiles, sizeof(*files));
	for (int i = 0; i < nfiles; i++) {
		buf_init(&files[i], 0);
		if (buf_read_file(&files[i], argv[5 + i]) < 0) {
			perror(argv[5 + i]);
			return 1;
		}
		bytes += files[i].len;
	}
	scan_config_init(&cfg);
	xfree(&cfg.signatures);
	cfg.signatures = xstrdup(argv[1]);
	cfg.enabled = strcmp(argv[4], "off") != 0;
	if (strcmp(argv[4], "clamd") == 0) {
		cfg.backend = SCAN_BACKEND_CLAMD;
		xfree(&cfg.clamd_socket);
		cfg.clamd_socket = xstrdup(argv[1]);
	}
	cfg.max_attachment_size = 0;
	cfg.reload_check_interval_ms = 60000;
	rss0 = rss_kb();
	t0 = now_s();
	if (scan_new(&cfg, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t_load = now_s() - t0;
	rss1 = rss_kb();
	jobs = xcalloc((size_t)threads, sizeof(*jobs));
	tids = xcalloc((size_t)threads, sizeof(*tids));
	t0 = now_s();
	c0 = cpu_s();
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){ .s = s, .files = files, .nfiles = nfiles, .rounds = rounds,
		                        .first = t, .step = threads };
		pthread_create(&tids[t], NULL, run, &jobs[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(tids[t], NULL);
		infected += jobs[t].infected;
		errors += jobs[t].errors;
		blocked += jobs[t].blocked;
	}
	t_scan = now_s() - t0;
	c_scan = cpu_s() - c0;
	printf("mode=%s threads=%d files=%d bytes=%zu rounds=%d load_s=%.3f rss_before_kb=%ld "
	       "rss_after_kb=%ld engine_kb=%ld scan_s=%.3f cpu_s=%.3f MB_per_s=%.1f "
	       "MB_per_cpu_s=%.1f files_per_s=%.0f "
	       "infected=%ld errors=%ld blocked=%ld\n",
	       argv[4], threads, nfiles, bytes, rounds, t_load, rss0, rss1, rss1 - rss0, t_scan,
	       c_scan, (double)bytes * rounds / t_scan / 1e6, (double)bytes * rounds / c_scan / 1e6,
	       (double)nfiles * rounds / t_scan,
	       infected, errors, blocked);
	scan_free(&s);
	scan_config_fini(&cfg);
	for (int i = 0; i < nfiles; i++)
		buf_fini(&files[i]);
	xfree(&files);
	xfree(&jobs);
	xfree(&tids);
	return 0;
}
