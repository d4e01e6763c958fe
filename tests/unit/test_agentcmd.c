/*
 * test_agentcmd.c: "#command value" lines at the top of an agent's reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agentcmd.h"
#include "xalloc.h"

static void
test_commands_and_text(void **state)
{
	struct agentcmd_list l;

	assert_int_equal(agentcmd_parse("#status resolved\n#assign Alice\n\n#Priority: HIGH\n#note\n\n"
	                                 "Hello,\nfixed.\n#status closed\n", &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.cmds[0].kind, AGENTCMD_STATUS);
	assert_string_equal(l.cmds[0].arg, "resolved");
	assert_int_equal(l.cmds[0].line, 1);
	assert_int_equal(l.cmds[1].kind, AGENTCMD_ASSIGN);
	assert_string_equal(l.cmds[1].arg, "alice");
	assert_int_equal(l.cmds[2].kind, AGENTCMD_PRIORITY);
	assert_string_equal(l.cmds[2].arg, "high");
	assert_int_equal(l.cmds[2].line, 4);
	assert_int_equal(l.cmds[3].kind, AGENTCMD_NOTE);
	assert_null(l.cmds[3].arg);
	assert_int_equal(l.cmds[3].line, 5);
	assert_int_equal(l.errs.n, 0);
	/* A command below the text is just text. */
	assert_string_equal(l.text, "Hello,\nfixed.\n#status closed\n");
	assert_string_equal(agentcmd_name(l.cmds[3].kind), "note");
	agentcmd_list_fini(&l);
	assert_null(l.text);
	assert_null(l.cmds);
}

static void
test_errors_with_lines(void **state)
{
	struct agentcmd_list l;

	assert_int_equal(agentcmd_parse("\n#stauts resolved\n#status done\n#priority\n#note now\n"
	                                 "#assign bob smith\n#status open\n#status closed\n"
	                                 "#assign b!ob\nText", &l), -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.cmds[0].arg, "open");
	assert_int_equal(l.errs.n, 7);
	assert_string_equal(l.errs.items[0], "reply:2:1: unknown command #stauts");
	assert_string_equal(l.errs.items[1], "reply:3:9: #status: unknown value \"done\"");
	assert_string_equal(l.errs.items[2], "reply:4:1: #priority needs a value");
	assert_string_equal(l.errs.items[3], "reply:5:1: #note takes no value");
	assert_string_equal(l.errs.items[4], "reply:6:9: #assign takes one value");
	assert_string_equal(l.errs.items[5], "reply:8:1: #status given twice");
	assert_string_equal(l.errs.items[6], "reply:9:9: #assign: invalid user name");
	assert_string_equal(l.text, "Text");
	agentcmd_list_fini(&l);
}

static void
test_values_and_aliases(void **state)
{
	struct agentcmd_list l;

	assert_int_equal(agentcmd_parse("#status In-Progress\n#priority urgent\n", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.cmds[0].arg, "in_progress");
	assert_string_equal(l.cmds[1].arg, "critical");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#priority normal\n#status new\n", &l), -1);
	assert_string_equal(l.cmds[0].arg, "medium");
	assert_string_equal(l.errs.items[0], "reply:2:9: #status: unknown value \"new\"");
	agentcmd_list_fini(&l);
}

static void
test_no_commands(void **state)
{
	struct agentcmd_list l;

	assert_int_equal(agentcmd_parse("Hi,\n#status resolved\n", &l), 0);
	assert_int_equal(l.n, 0);
	assert_string_equal(l.text, "Hi,\n#status resolved\n");
	agentcmd_list_fini(&l);
	/* "#123" is a ticket reference, not a command; a quote ends the commands. */
	assert_int_equal(agentcmd_parse("#123 is broken", &l), 0);
	assert_int_equal(l.n, 0);
	assert_string_equal(l.text, "#123 is broken");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("> #status closed\n", &l), 0);
	assert_int_equal(l.n, 0);
	agentcmd_list_fini(&l);
	/* CRLF and a command alone. */
	assert_int_equal(agentcmd_parse("#note\r\n\r\ninternal\r\n", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text, "internal\r\n");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#status pending", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text, "");
	agentcmd_list_fini(&l);
}

/* The sender's own state: #available, #busy, #away, #offline, with "until TIME" but for #available. */
static void
test_states(void **state)
{
	struct agentcmd_list l;

	assert_int_equal(agentcmd_parse("#Away until 2026-12-24 17:30\n\nOff for the holidays.\n",
	                                 &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.cmds[0].kind, AGENTCMD_STATE);
	assert_string_equal(l.cmds[0].arg, "away");
	assert_string_equal(l.cmds[0].until, "2026-12-24 17:30");
	assert_string_equal(l.text, "Off for the holidays.\n");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#available\n", &l), 0);
	assert_string_equal(l.cmds[0].arg, "available");
	assert_null(l.cmds[0].until);
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#busy: until 3h\n#ack\n", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.cmds[0].until, "3h");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#available until 2026-12-24\n#away soon\n#offline until\n"
	                                "#busy\n#away\n", &l), -1);
	assert_int_equal(l.errs.n, 4);
	assert_string_equal(l.errs.items[0], "reply:1:12: #available takes no value");
	assert_string_equal(l.errs.items[1], "reply:2:7: #away takes nothing or \"until TIME\"");
	assert_string_equal(l.errs.items[2], "reply:3:10: #offline takes nothing or \"until TIME\"");
	assert_string_equal(l.errs.items[3], "reply:5:1: #away given twice");   /* one state a reply */
	agentcmd_list_fini(&l);
}

static void
test_hostile(void **state)
{
	struct agentcmd_list l;
	size_t n = 100000;
	char *big = xmalloc(n + 1);

	assert_int_equal(agentcmd_parse(NULL, &l), 0);
	assert_string_equal(l.text, "");
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("", &l), 0);
	agentcmd_list_fini(&l);
	/* A huge value and a huge name are reported, clipped. */
	memset(big, 'a', n);
	memcpy(big, "#status ", 8);
	big[n] = '\0';
	assert_int_equal(agentcmd_parse(big, &l), -1);
	assert_int_equal(l.errs.n, 1);
	assert_true(strlen(l.errs.items[0]) < 600);
	agentcmd_list_fini(&l);
	big[1] = 'x';
	big[7] = 'x';
	assert_int_equal(agentcmd_parse(big, &l), -1);
	assert_true(strlen(l.errs.items[0]) < 600);
	agentcmd_list_fini(&l);
	/* Many command lines, junk bytes, invalid UTF-8. */
	static const char pat[] = "#a\n#\xff\xfe\n";
	for (size_t i = 0; i < n; i++)
		big[i] = pat[i % (sizeof(pat) - 1)];
	assert_int_equal(agentcmd_parse(big, &l), -1);
	agentcmd_list_fini(&l);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(1 + (i * 131 + 7) % 255);
	(void)agentcmd_parse(big, &l);
	assert_non_null(l.text);
	agentcmd_list_fini(&l);
	assert_int_equal(agentcmd_parse("#assign \"\x01\xff\"", &l), -1);
	assert_null(strchr(l.errs.items[0], '\x01'));
	agentcmd_list_fini(&l);
	xfree(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands_and_text),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_values_and_aliases),
		cmocka_unit_test(test_no_commands),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
