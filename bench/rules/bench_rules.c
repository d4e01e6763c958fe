/*
 * bench_rules.c: evaluations per second of a rule set against a mail corpus,
 * on one thread. Usage: bench_rules RULES_DIR CORPUS_DIR [SECONDS [nojit]].
 *
 * Messages are built without the MIME parser: subject, addresses, the
 * auto-reply flag and attachment names/types come from CORPUS_DIR/
 * expected.jsonl (the reference parser's decoded values); the headers are the
 * raw unfolded header block of each .eml, and the body is the raw bytes after
 * it with base64 lines left out (an approximation of the text a MIME parser
 * gives: part headers, HTML and quoted-printable stay, so body regexes still
 * scan more than they would in production). With BENCH_RAW_BODY=1 in the
 * environment the base64 lines stay too (the most pessimistic figure).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "mime.h"
#include "rules.h"
#include "xalloc.h"

static char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? xstrdup(s) : NULL;
}

static struct mime_addr *
jaddrs(const json_t *o, const char *k, size_t *n_r)
{
	const json_t *a = json_object_get(o, k);
	struct mime_addr *v = xcalloc(json_array_size(a) + 1, sizeof(*v));

	*n_r = json_array_size(a);
	for (size_t i = 0; i < *n_r; i++)
		v[i].addr = xstrdup(json_string_value(json_array_get(a, i)) ? json_string_value(json_array_get(a, i)) : "");
	return v;
}

/* Remove lines of 40 or more base64 characters (attachment data) in place. */
static void
drop_base64_lines(char *text)
{
	char *r = text, *w = text;

	while (*r) {
		size_t len = strcspn(r, "\n");
		size_t b64 = strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r");
		bool keep = !(len >= 40 && b64 == len);

		if (r[len] == '\n')
			len++;
		if (keep) {
			memmove(w, r, len);
			w += len;
		}
		r += len;
	}
	*w = '\0';
}

/* Split the raw header block into unfolded headers; the rest is the body. */
static void
raw_headers(struct mime_msg *m, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;
		struct mime_header *h;
		char *v;

		while (eol && eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t'))
			eol = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL) {
			m->headers = xreallocarray(m->headers, m->n_headers + 1, sizeof(*m->headers));
			h = &m->headers[m->n_headers++];
			h->name = xstrndup(p, (size_t)(colon - p));
			v = xstrndup(colon + 1 + (colon + 1 < eol && colon[1] == ' '), (size_t)(eol - colon - 1));
			for (char *c = v; *c; c++)
				if (*c == '\r' || *c == '\n' || *c == '\t')
					*c = ' ';
			h->value = v;
		}
		p = eol < end ? eol + 1 : end;
	}
	p += (p < end && *p == '\r') ? 2 : 1;
	m->text = p < end ? xstrndup(p, (size_t)(end - p)) : xstrdup("");
	if (getenv("BENCH_RAW_BODY") == NULL)
		drop_base64_lines(m->text);
}

static struct mime_msg *
load_msg(const char *dir, const json_t *e)
{
	struct mime_msg *m = xnew(struct mime_msg);
	const json_t *atts = json_object_get(e, "attachments");
	char *path = xasprintf("%s/%s", dir, json_string_value(json_object_get(e, "file")));
	struct buf b;

	m->subject = jstr(e, "subject");
	m->from.addr = jstr(e, "from_addr");
	m->to = jaddrs(e, "to_addrs", &m->n_to);
	m->cc = jaddrs(e, "cc_addrs", &m->n_cc);
	m->is_auto_reply = json_is_true(json_object_get(e, "is_auto_reply"));
	m->n_attachments = json_array_size(atts);
	m->attachments = xcalloc(m->n_attachments + 1, sizeof(*m->attachments));
	for (size_t i = 0; i < m->n_attachments; i++) {
		m->attachments[i].filename = jstr(json_array_get(atts, i), "filename");
		m->attachments[i].content_type = jstr(json_array_get(atts, i), "content_type");
	}
	buf_init(&b, 64 << 20);
	if (buf_read_file(&b, path) == 0)
		raw_headers(m, b.data ? b.data : "", b.len);
	else
		m->text = xstrdup("");
	buf_fini(&b);
	xfree(&path);
	return m;
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
	size_t n = 0, evals = 0, dropped = 0, fallback = 0, bytes = 0;
	double secs = argc > 3 ? atof(argv[3]) : 5.0, t0, t;
	json_error_t jerr;
	char *jl;
	FILE *fp;
	char line[1 << 16];

	if (argc < 3) {
		fprintf(stderr, "usage: bench_rules RULES_DIR CORPUS_DIR [SECONDS [nojit]]\n");
		return 2;
	}
	tk_errlist_init(&errs);
	if (rules_load_dir(argv[1], &opts, &rs, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		return 1;
	}
	jl = xasprintf("%s/expected.jsonl", argv[2]);
	if ((fp = fopen(jl, "r")) == NULL) {
		perror(jl);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		json_t *e = json_loads(line, 0, &jerr);

		if (e == NULL)
			continue;
		msgs = xreallocarray(msgs, n + 1, sizeof(*msgs));
		msgs[n] = load_msg(argv[2], e);
		bytes += strlen(msgs[n]->text);
		n++;
		json_decref(e);
	}
	fclose(fp);
	if (n == 0)
		return 1;
	printf("rules: %zu (%s), messages: %zu (%.1f KiB of body on average)\n", rules_count(rs),
	       rules_jit(rs) ? "JIT" : "no JIT", n, (double)bytes / (double)n / 1024.0);
	t0 = cpu_now();
	do {
		for (size_t i = 0; i < n; i++) {
			struct rules_input in;
			struct rules_result *res;

			rules_input_mail(&in, msgs[i], "imap", "support", false);
			res = rules_eval(rs, &in, 0);
			dropped += res->dropped;
			fallback += res->n_matched && strcmp(res->matched[res->n_matched - 1], "fallback") == 0;
			rules_result_free(&res);
			evals++;
		}
		t = cpu_now() - t0;
	} while (t < secs);
	printf("evaluations: %zu in %.2f s CPU: %.0f evaluations/s, %.1f us each\n", evals, t,
	       (double)evals / t, t / (double)evals * 1e6);
	printf("per pass over the corpus: %zu dropped, %zu reached the fallback (all 100 rules tried)\n",
	       dropped * n / evals, fallback * n / evals);
	rules_unref(&rs);
	tk_errlist_fini(&errs);
	xfree(&jl);
	return 0;
}
