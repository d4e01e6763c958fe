/*
 * bench_rules.c: evaluations per second of a rule set against a mail corpus,
 * on one thread. Usage: bench_rules RULES_DIR CORPUS_DIR [SECONDS [nojit]].
 *
 * Every *.eml of CORPUS_DIR is parsed once with mime_parse() (not timed);
 * then the messages are evaluated round after round until SECONDS of the
 * thread's CPU time have passed. One rules_eval() per message, the result
 * allocated and freed each time, no trace: as in the daemon.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "mime.h"
#include "rules.h"
#include "xalloc.h"

static size_t
load_corpus(const char *dir, struct mime_msg ***msgs_r, size_t *bytes_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *path;
		struct buf b;
		struct mime_msg *m = NULL;
		struct tk_err err;

		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		buf_init(&b, 64 << 20);
		if (buf_read_file(&b, path) == 0 && mime_parse(b.data ? b.data : "", b.len, &m, &err) == 0) {
			*msgs_r = xreallocarray(*msgs_r, n + 1, sizeof(**msgs_r));
			(*msgs_r)[n++] = m;
			*bytes_r += strlen(m->text ? m->text : "");
		}
		buf_fini(&b);
		xfree(&path);
	}
	closedir(d);
	return n;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct tk_errlist errs;
	struct rules *rs = NULL;
	struct rules_options opts = { .no_jit = argc > 4 && strcmp(argv[4], "nojit") == 0 };
	struct mime_msg **msgs = NULL;
	size_t n, evals = 0, dropped = 0, fallback = 0, bytes = 0;
	double secs = argc > 3 ? atof(argv[3]) : 5.0, t0, t;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_rules RULES_DIR CORPUS_DIR [SECONDS [nojit]]\n");
		return 2;
	}
	tk_errlist_init(&errs);
	if (rules_load_dir(argv[1], &opts, &rs, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		return 1;
	}
	if ((n = load_corpus(argv[2], &msgs, &bytes)) == 0) {
		fprintf(stderr, "%s: no parsable *.eml\n", argv[2]);
		return 1;
	}
	printf("rules: %zu (%s), messages: %zu (%.1f KiB of body text on average)\n",
	       rules_count(rs), rules_jit(rs) ? "JIT" : "no JIT", n, (double)bytes / (double)n / 1024.0);
	t0 = cpu_now();
	do {
		for (size_t i = 0; i < n; i++) {
			struct rules_input in;
			struct rules_result *res;

			rules_input_mail(&in, msgs[i], "imap", "support", false);
			res = rules_eval(rs, &in, 0);
			dropped += res->dropped;
			fallback += res->n_matched &&
			            strcmp(res->matched[res->n_matched - 1], "fallback") == 0;
			rules_result_free(&res);
			evals++;
		}
		t = cpu_now() - t0;
	} while (t < secs);
	printf("evaluations: %zu in %.2f s CPU: %.0f evaluations/s, %.1f us each\n", evals, t,
	       (double)evals / t, t / (double)evals * 1e6);
	printf("per pass over the corpus: %zu dropped, %zu reached the fallback (all 100 rules tried)\n",
	       dropped * n / evals, fallback * n / evals);
	for (size_t i = 0; i < n; i++)
		mime_msg_free(&msgs[i]);
	xfree(&msgs);
	rules_unref(&rs);
	tk_errlist_fini(&errs);
	return 0;
}
