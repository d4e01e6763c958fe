/*
 * bench_parse.c: mime_parse() throughput. Loads every *.eml below the given
 * directories into memory, then parses (and frees) them all N times on one
 * thread and prints messages/s, MB/s and the mean time per message (in
 * thread CPU time, so other load on the machine matters less), plus the
 * slowest single message.
 *
 *     bench_parse N DIR...
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "html.h"
#include "mime.h"
#include "xalloc.h"

struct item {
	char *path;
	struct buf data;
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread: figures stay meaningful on a busy machine. */
static double
now(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void
load_dir(const char *dir, struct item **items, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		perror(dir);
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		char *path;
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			load_dir(path, items, n);
			xfree(&path);
			continue;
		}
		if (l < 4 || strcmp(e->d_name + l - 4, ".eml") != 0) {
			xfree(&path);
			continue;
		}
		*items = xreallocarray(*items, *n + 1, sizeof(**items));
		(*items)[*n].path = path;
		buf_init(&(*items)[*n].data, 0);
		if (buf_read_file(&(*items)[*n].data, path) < 0) {
			perror(path);
			exit(1);
		}
		(*n)++;
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	struct item *items = NULL;
	size_t n = 0, bytes = 0, slowest = 0;
	double worst = 0, t0, total, wall0;
	long rounds;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_parse N DIR...\n");
		return 1;
	}
	rounds = strtol(argv[1], NULL, 10);
	for (int i = 2; i < argc; i++)
		load_dir(argv[i], &items, &n);
	if (n == 0 || rounds < 1) {
		fprintf(stderr, "nothing to parse\n");
		return 1;
	}
	html_init();
	for (size_t i = 0; i < n; i++)
		bytes += items[i].data.len;
	wall0 = clock_s(CLOCK_MONOTONIC);
	t0 = now();
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < n; i++) {
			struct mime_msg *m = NULL;
			struct tk_err err;
			double t1 = now(), dt;

			if (mime_parse(items[i].data.data, items[i].data.len, &m, &err) == 0)
				mime_msg_free(&m);
			dt = now() - t1;
			if (dt > worst) {
				worst = dt;
				slowest = i;
			}
		}
	}
	total = now() - t0;
	printf("%zu messages (%.2f MB, mean %.1f KB) x %ld rounds: %.3f s CPU, %.3f s wall\n",
	       n, bytes / 1e6, bytes / 1e3 / (double)n, rounds, total,
	       clock_s(CLOCK_MONOTONIC) - wall0);
	printf("%.0f msgs/s  %.1f MB/s  %.1f us/msg mean\n", (double)n * rounds / total,
	       (double)bytes * rounds / 1e6 / total, total * 1e6 / ((double)n * rounds));
	printf("slowest: %.1f us %s (%zu bytes)\n", worst * 1e6, items[slowest].path,
	       items[slowest].data.len);
	for (size_t i = 0; i < n; i++) {
		xfree(&items[i].path);
		buf_fini(&items[i].data);
	}
	free(items);
	return 0;
}
