/*
 * fuzz_rules.c: one rules document through the loader (rules_load_string)
 * and, when it compiles, evaluated with a trace against a mail and an
 * alert, the two kinds of input the daemon gives it.
 *
 * Properties (rules.h): a failed load leaves *rules_r NULL and says why in
 * errs; a loaded set evaluates without failing, and its result is whole
 * (one trace entry per rule tried, a reason with every drop or quarantine).
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "fuzz.h"
#include "mime.h"
#include "rules.h"

static const char mail[] =
	"From: Alice Example <alice@example.com>\r\n"
	"To: support@example.org\r\n"
	"Cc: bob@example.net\r\n"
	"Subject: Invoice 1042 overdue\r\n"
	"List-Id: <billing.example.com>\r\n"
	"Message-ID: <m1@example.com>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=b\r\n"
	"\r\n"
	"--b\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Hello, my invoice is wrong.\r\n"
	"--b\r\n"
	"Content-Type: application/pdf; name=invoice.pdf\r\n"
	"Content-Disposition: attachment; filename=invoice.pdf\r\n"
	"\r\n"
	"%PDF-1.4\r\n"
	"--b--\r\n";

static const char alert[] =
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"DiskFull\",\"severity\":\"critical\","
	"\"instance\":\"db1\"},\"annotations\":{\"summary\":\"disk full\",\"description\":\"97%\"},"
	"\"payload\":{\"severity\":\"error\",\"custom_details\":{\"host\":\"db1\"}}}";

static struct mime_msg *msg;
static json_t *alert_obj;

static void
init(void)
{
	struct tk_err err = { 0 };

	fuzz_init();
	if (mime_parse(mail, sizeof(mail) - 1, &msg, &err) < 0)
		fuzz_fail("the sample mail does not parse: %s", err.msg);
	if ((alert_obj = json_loads(alert, 0, NULL)) == NULL)
		fuzz_fail("the sample alert does not parse");
}

static void
check_result(const struct rules *rules, const struct rules_result *res)
{
	if (res == NULL)
		fuzz_fail("rules_eval returned NULL");
	if (res->n_trace > rules_count(rules))
		fuzz_fail("%zu trace entries for %zu rules", res->n_trace, rules_count(rules));
	for (size_t i = 0; i < res->n_trace; i++)
		if (res->trace[i].rule == NULL || res->trace[i].where == NULL)
			fuzz_fail("trace entry %zu is incomplete", i);
	if (res->dropped && res->drop_reason == NULL)
		fuzz_fail("dropped without a reason");
	if (res->quarantined && res->quarantine_reason == NULL)
		fuzz_fail("quarantined without a reason");
	for (size_t i = 0; i < res->fields.n_tags; i++)
		for (size_t j = i + 1; j < res->fields.n_tags; j++)
			if (strcmp(res->fields.tags[i], res->fields.tags[j]) == 0)
				fuzz_fail("tag \"%s\" twice", res->fields.tags[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small PCRE2 limits: a pathological regex must not make one input slow. */
	const struct rules_options opts = { .match_limit = 100000, .depth_limit = 1000 };
	struct rules *rules = NULL;
	struct rules_input in;
	struct rules_result *res;
	struct tk_errlist errs;
	char *text;

	if (msg == NULL)
		init();
	text = fuzz_strndup(data, size);
	tk_errlist_init(&errs);
	if (rules_load_string("fuzz.yaml", text, &opts, &rules, &errs) < 0) {
		if (rules != NULL || errs.n == 0)
			fuzz_fail("a failed load must leave rules NULL and say why");
		goto out;
	}
	if (rules == NULL)
		fuzz_fail("a load that succeeded left rules NULL");
	rules_input_mail(&in, msg, "support-imap", "INBOX", false);
	in.auto_class = "human";
	in.auto_reason = "";
	res = rules_eval(rules, &in, RULES_EVAL_TRACE);
	check_result(rules, res);
	rules_result_free(&res);
	rules_input_alert(&in, alert_obj, "alertmanager");
	res = rules_eval(rules, &in, RULES_EVAL_TRACE);
	check_result(rules, res);
	rules_result_free(&res);
	rules_unref(&rules);
out:
	tk_errlist_fini(&errs);
	free(text);
	return 0;
}
