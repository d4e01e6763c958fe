/*
 * test_loop.c: machine-mail classification, thanks-only replies and the
 * per-sender acknowledgement limiter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loop.h"
#include "xalloc.h"

#define MAXH 8

/* A message under test: headers as "Name: value" strings. */
struct msg {
	struct mime_header h[MAXH];
	size_t n;
	struct loop_input in;
};

static void
msg_init(struct msg *m, const char *from, const char *rp, const char *ct, const char *const *hdrs)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; hdrs && hdrs[i] && i < MAXH; i++) {
		const char *colon = strchr(hdrs[i], ':');

		assert_non_null(colon);
		m->h[i].name = xstrndup(hdrs[i], (size_t)(colon - hdrs[i]));
		m->h[i].value = xstrdup(colon + 1 + strspn(colon + 1, " "));
		m->n++;
	}
	m->in.headers = m->h;
	m->in.n_headers = m->n;
	m->in.from = from;
	m->in.return_path = rp;
	m->in.content_type = ct;
	m->in.instance_id = "tk-1";
}

static void
msg_fini(struct msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		xfree(&m->h[i].name);
		xfree(&m->h[i].value);
	}
}

/* Classify and check class and a fragment of the reason. */
static void
expect(const char *from, const char *rp, const char *ct, const char *const *hdrs,
       enum loop_class want, const char *reason_part)
{
	struct msg m;
	struct loop_verdict v;

	msg_init(&m, from, rp, ct, hdrs);
	loop_classify(&m.in, &v);
	if (v.cls != want || !strstr(v.reason, reason_part))
		print_error("got %s (%s), want %s (%s)\n", loop_class_name(v.cls), v.reason,
		            loop_class_name(want), reason_part);
	assert_int_equal(v.cls, want);
	assert_non_null(strstr(v.reason, reason_part));
	assert_true(v.no_autoreply == (want != LOOP_HUMAN));
	msg_fini(&m);
}

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
test_human(void **state)
{
	expect("alice@example.com", "alice@example.com", "text/plain", H("Subject: Printer broken"),
	       LOOP_HUMAN, "no machine marker");
	expect("alice@example.com", NULL, NULL, NULL, LOOP_HUMAN, "no machine marker");
	expect("alice@example.com", "alice@example.com", "multipart/mixed",
	       H("Auto-Submitted: no", "Subject: Re: vacation request"), LOOP_HUMAN, "no machine");
}

static void
test_own_loop(void **state)
{
	expect("support@example.com", "support@example.com", NULL, H("X-Ticketd-Loop: tk-1"), LOOP_OWN_LOOP,
	       "X-Ticketd-Loop: tk-1");
	expect("support@example.com", NULL, NULL, H("x-ticketd-loop:  TK-1 "), LOOP_OWN_LOOP, "X-Ticketd-Loop");
	/* Another instance's mail is a machine too, but not our loop. */
	expect("x@example.org", NULL, NULL, H("X-Ticketd-Loop: other"), LOOP_AUTO_REPLY, "another instance");
	/* Own loop wins over everything else. */
	expect("mailer-daemon@example.com", "", "multipart/report; report-type=delivery-status",
	       H("X-Ticketd-Loop: tk-1"), LOOP_OWN_LOOP, "X-Ticketd-Loop");
}

static void
test_auto_reply(void **state)
{
	expect("a@example.com", "a@example.com", NULL, H("Auto-Submitted: auto-replied"), LOOP_AUTO_REPLY,
	       "Auto-Submitted: auto-replied");
	expect("a@example.com", NULL, NULL, H("Auto-Submitted: Auto-Generated; owner-email=x"),
	       LOOP_AUTO_REPLY, "Auto-Submitted");
	expect("a@example.com", NULL, NULL, H("X-Autoreply: yes"), LOOP_AUTO_REPLY, "X-Autoreply");
	expect("a@example.com", NULL, NULL, H("X-Autorespond: x"), LOOP_AUTO_REPLY, "X-Autorespond");
	expect("a@example.com", NULL, NULL, H("Precedence: auto_reply"), LOOP_AUTO_REPLY, "Precedence");
	expect("a@example.com", NULL, NULL, H("Precedence: bulk"), LOOP_AUTO_REPLY, "Precedence: bulk");
	expect("a@example.com", NULL, NULL, H("Precedence: junk"), LOOP_AUTO_REPLY, "Precedence: junk");
	expect("noreply@shop.example", NULL, NULL, NULL, LOOP_NOREPLY, "no-reply sender");
	expect("no-reply-billing@shop.example", NULL, NULL, NULL, LOOP_NOREPLY, "no-reply sender");
	expect("DoNotReply@shop.example", NULL, NULL, NULL, LOOP_NOREPLY, "no-reply sender");
	/* Read receipts are machine mail, not bounces. */
	expect("a@example.com", NULL, "multipart/report; report-type=disposition-notification", NULL,
	       LOOP_AUTO_REPLY, "read receipt");
}

static void
test_out_of_office_subjects(void **state)
{
	static const char *const subjects[] = {
		"Subject: Out of Office: Re: [#TKT-1] help", "Subject: Automatic reply: help",
		"Subject: Abwesenheitsnotiz: Hilfe", "Subject: Automatische Antwort: Hilfe",
		"Subject: Réponse automatique : aide", "Subject: Respuesta automática: ayuda",
		"Subject: Risposta automatica: aiuto", "Subject: Afwezigheidsbericht: hulp",
		"Subject: Automatiskt svar: hjälp", "Subject: Automatyczna odpowiedź: pomoc",
		"Subject: Автоматический ответ: помощь", "Subject: AUTO-REPLY help",
	};

	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		expect("a@example.com", "a@example.com", NULL, H(subjects[i]), LOOP_AUTO_REPLY,
		       "out-of-office Subject");
}

static void
test_from_msg(void **state)
{
	struct mime_header h[] = {
		{"Content-Type", "multipart/report; report-type=delivery-status; boundary=x"},
		{"Subject", "Undelivered Mail Returned to Sender"},
	};
	struct mime_msg msg;
	struct loop_input in;
	struct loop_verdict v;

	memset(&msg, 0, sizeof(msg));
	msg.headers = h;
	msg.n_headers = 2;
	msg.from.addr = "someone@example.com";
	msg.return_path = "bounce@example.com";
	loop_input_from_msg(&msg, "tk-1", &in);
	assert_ptr_equal(in.headers, h);
	assert_string_equal(in.instance_id, "tk-1");
	loop_classify(&in, &v);
	assert_int_equal(v.cls, LOOP_BOUNCE);
	assert_non_null(strstr(v.reason, "Content-Type: multipart/report"));
}

static void
test_bounce(void **state)
{
	expect("mailer-daemon@mx.example.com", "", "multipart/report; report-type=delivery-status",
	       NULL, LOOP_BOUNCE, "multipart/report");
	expect("MAILER-DAEMON@mx.example.com", "", NULL, NULL, LOOP_BOUNCE, "From");
	expect("postmaster@mx.example.com", NULL, NULL, NULL, LOOP_BOUNCE, "From");
	expect("a@example.com", "", NULL, NULL, LOOP_BOUNCE, "null return path");
	expect("a@example.com", NULL, NULL, H("X-Failed-Recipients: b@example.com"), LOOP_BOUNCE,
	       "X-Failed-Recipients");
	expect("a@example.com", NULL, NULL, H("Subject: Undeliverable: help"), LOOP_BOUNCE, "bounce Subject");
	expect("a@example.com", "postmaster@example.com", NULL, NULL, LOOP_BOUNCE, "Return-Path");
	/* A vacation notice with a null return path (RFC 3834) stays an auto-reply. */
	expect("a@example.com", "", NULL, H("Auto-Submitted: auto-replied"), LOOP_AUTO_REPLY,
	       "Auto-Submitted");
}

static void
test_list(void **state)
{
	expect("a@example.com", NULL, NULL, H("List-Id: <users.lists.example.org>"), LOOP_LIST, "List-Id");
	expect("a@example.com", NULL, NULL, H("List-Unsubscribe: <mailto:u@example.org>"), LOOP_LIST,
	       "List-Unsubscribe");
	expect("a@example.com", NULL, NULL, H("Precedence: list"), LOOP_LIST, "Precedence: list");
}

static void
test_suppress_and_reason_clipping(void **state)
{
	struct msg m;
	struct loop_verdict v;
	char big[600];

	msg_init(&m, "a@example.com", NULL, NULL, H("X-Auto-Response-Suppress: All"));
	loop_classify(&m.in, &v);
	assert_int_equal(v.cls, LOOP_HUMAN);
	assert_true(v.no_autoreply);
	msg_fini(&m);
	/* Untrusted values are clipped and control characters replaced. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "Auto-Submitted: a\r\nb", 20);
	msg_init(&m, "a@example.com", NULL, NULL, H(big));
	loop_classify(&m.in, &v);
	assert_int_equal(v.cls, LOOP_AUTO_REPLY);
	assert_null(strchr(v.reason, '\r'));
	assert_true(strlen(v.reason) < sizeof(v.reason));
	assert_non_null(strstr(v.reason, "..."));
	msg_fini(&m);
	/* NULL headers with a count, empty values. */
	memset(&m, 0, sizeof(m));
	m.in.n_headers = 3;
	loop_classify(&m.in, &v);
	assert_int_equal(v.cls, LOOP_HUMAN);
	assert_string_equal(loop_class_name(LOOP_OWN_LOOP), "own_loop");
	assert_string_equal(loop_class_name(LOOP_NOREPLY), "noreply");
}

static void
test_thanks_only(void **state)
{
	static const char *const yes[] = {
		"Thanks!", "Thank you very much!", "thx", "Many thanks, John", "Thanks a lot.\n\nCheers,\nAnna",
		"Merci beaucoup !", "Danke schön", "Vielen Dank!", "Muchas gracias", "Grazie mille",
		"Obrigado!", "Hartelijk bedankt", "Tack så mycket", "Dziękuję bardzo", "Спасибо большое!",
		"Thanks, it works now 👍", "Thank you 🙏",
	};
	static const char *const no[] = {
		"", "Hi", "Thanks, but it still fails.", "Thanks! Can you also check the printer?",
		"Thanks. Also the VPN is down since Monday and nobody can log in at all today",
		"Danke? ", "Thanks,\nJohn Ronald Reuel Tolkien Baggins", "The printer is broken",
		"Thanks\nbut\nwait", "¿Gracias", "thanks thanks thanks thanks thanks thanks thanks thanks "
		"thanks thanks thanks thanks thanks thanks thanks thanks",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!loop_is_thanks_only(yes[i], 0))
			print_error("should be thanks-only: %s\n", yes[i]);
		assert_true(loop_is_thanks_only(yes[i], 0));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (loop_is_thanks_only(no[i], 0))
			print_error("should not be thanks-only: %s\n", no[i]);
		assert_false(loop_is_thanks_only(no[i], 0));
	}
	assert_false(loop_is_thanks_only("Thanks!", 1));
	assert_false(loop_is_thanks_only(NULL, 0));
	assert_false(loop_is_thanks_only("\xff\xfe\xf0\x9f\xe2", 0));
	assert_true(loop_is_thanks_only("thanks \xf0", 0));
}

static void
test_rate_limit(void **state)
{
	struct loop_limit lim = {.interval = 600, .burst = 3};
	int64_t tat = 0, t = 1700000000;

	/* Burst of three, then one per ten minutes. */
	assert_true(loop_rate_allow(&lim, t, &tat));
	assert_true(loop_rate_allow(&lim, t, &tat));
	assert_true(loop_rate_allow(&lim, t + 1, &tat));
	int64_t saved = tat;
	assert_false(loop_rate_allow(&lim, t + 2, &tat));
	assert_int_equal(tat, saved);
	assert_false(loop_rate_allow(&lim, t + 599, &tat));
	assert_true(loop_rate_allow(&lim, t + 600, &tat));
	assert_false(loop_rate_allow(&lim, t + 601, &tat));
	/* After a long pause the full burst is back. */
	assert_true(loop_rate_allow(&lim, t + 100000, &tat));
	assert_true(loop_rate_allow(&lim, t + 100000, &tat));
	assert_true(loop_rate_allow(&lim, t + 100000, &tat));
	assert_false(loop_rate_allow(&lim, t + 100000, &tat));
	/* A clock that goes back does not grant more. */
	assert_false(loop_rate_allow(&lim, t, &tat));
	/* Burst 1 (or 0) means one per interval. */
	struct loop_limit one = {.interval = 60, .burst = 0};
	tat = 0;
	assert_true(loop_rate_allow(&one, t, &tat));
	assert_false(loop_rate_allow(&one, t + 59, &tat));
	assert_true(loop_rate_allow(&one, t + 60, &tat));
	/* Bad limits and extreme values never crash. */
	struct loop_limit bad = {.interval = 0, .burst = 1};
	assert_false(loop_rate_allow(&bad, t, &tat));
	assert_false(loop_rate_allow(NULL, t, &tat));
	struct loop_limit huge = {.interval = INT64_MAX, .burst = 1000};
	tat = 0;
	assert_true(loop_rate_allow(&huge, INT64_MAX - 1, &tat));
	assert_int_equal(tat, INT64_MAX);
	assert_false(loop_rate_allow(&huge, INT64_MIN, &tat));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_own_loop),
		cmocka_unit_test(test_auto_reply),
		cmocka_unit_test(test_out_of_office_subjects),
		cmocka_unit_test(test_from_msg),
		cmocka_unit_test(test_bounce),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_suppress_and_reason_clipping),
		cmocka_unit_test(test_thanks_only),
		cmocka_unit_test(test_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
