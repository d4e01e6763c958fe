/*
 * quote_bench.c: time quote_split() and quote_split_html() on generated
 * replies of about 20 KB: a realistic one (short answer, Gmail attribution,
 * long ">" quote), and pathological ones (every line an attribution
 * candidate, every line an Outlook label, one huge line, only blank lines,
 * inline replies alternating with quotes). Prints CPU microseconds per call (process CPU time,
 * less sensitive to other load than wall time).
 * Build and run: make bench/quote_bench && ./bench/quote_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "quote.h"
#include "xalloc.h"

#define TARGET ((size_t)(getenv("QB_SIZE") ? atoi(getenv("QB_SIZE")) : 20000))

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
fill(const char *head, const char *unit)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_puts(&b, head) < 0)
		abort();
	while (b.len < TARGET)
		if (buf_puts(&b, unit) < 0)
			abort();
	return buf_steal(&b, NULL);
}

static void
run(const char *name, const char *text, int html)
{
	char *v, *q;
	int iters = 2000;
	double t0 = now();

	for (int i = 0; i < iters; i++) {
		if (html)
			quote_split_html(text, strlen(text), &v, &q);
		else
			quote_split(text, &v, &q);
		xfree(&v);
		xfree(&q);
	}
	printf("%-28s %6zu bytes  %8.1f us/call\n", name, strlen(text), (now() - t0) / iters * 1e6);
}

int
main(void)
{
	struct {
		const char *name, *head, *unit;
		int html;
	} cases[] = {
		{"gmail reply", "Thanks, that works.\n\nOn Mon, Jan 5, 2015 at 10:00 AM, Bob <b@example.com> wrote:\n",
		 "> Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n", 0},
		{"outlook reply", "Fine.\n\nFrom: Bob\nSent: Monday\nTo: Alice\nSubject: x\n\n",
		 "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n", 0},
		{"attribution candidates", "", "On Monday at 10 the printer wrote\n", 0},
		{"outlook labels", "", "From: a\nTo: b\n\n", 0},
		{"huge line", "", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0},
		{"blank lines", "", " \n", 0},
		{"inline replies", "", "> question?\nanswer\n", 0},
		{"signature lines", "", "\n-- \n", 0},
		{"html gmail", "<div>Thanks</div><div class=\"gmail_quote\">On Mon Bob wrote:<blockquote>",
		 "<div>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</div>", 1},
		{"html nested blockquotes", "", "<blockquote>a", 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = fill(cases[i].head, cases[i].unit);

		run(cases[i].name, t, cases[i].html);
		xfree(&t);
	}
	return 0;
}
