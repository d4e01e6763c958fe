/*
 * test_ynode.c: the positioned YAML tree and its typed readers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ynode.h"

static struct ynode *
load(const char *text, struct tk_errlist *errs)
{
	struct ynode *root = NULL;

	tk_errlist_init(errs);
	ynode_load_string("t.yaml", text, strlen(text), &root, errs);
	return root;
}

static void
test_positions(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = load("a: 1\nlist:\n  - x\n  - { k: v }\n", &errs);

	assert_non_null(root);
	assert_int_equal(errs.n, 0);
	struct ynode *list = ynode_get(root, "list");
	assert_non_null(list);
	assert_int_equal(list->kind, YNODE_SEQ);
	assert_int_equal(list->n, 2);
	assert_int_equal(list->items[0]->line, 3);
	assert_int_equal(list->items[0]->col, 5);
	assert_string_equal(ynode_get(list->items[1], "k")->scalar, "v");
	assert_null(ynode_get(root, "missing"));
	ynode_free(&root);
	assert_null(root);
	tk_errlist_fini(&errs);
}

static void
test_syntax_error_position(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = load("a: 1\nb: [1, 2\n", &errs);

	assert_null(root);
	assert_int_equal(errs.n, 1);
	assert_true(strncmp(errs.items[0], "t.yaml:3:", 9) == 0);
	tk_errlist_fini(&errs);
}

static void
test_unknown_keys_and_duplicates(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = load("name: x\nnmae: y\n", &errs);
	static const char *const allowed[] = { "name", NULL };

	assert_non_null(root);
	assert_int_equal(ynode_check_keys(root, allowed, "section", &errs), 1);
	assert_string_equal(errs.items[0], "t.yaml:2:1: unknown field \"nmae\" in section");
	ynode_free(&root);
	tk_errlist_fini(&errs);

	root = load("a: 1\na: 2\n", &errs);
	assert_null(root);
	assert_string_equal(errs.items[0], "t.yaml:2:1: duplicate key \"a\"");
	tk_errlist_fini(&errs);
}

static void
test_aliases_refused(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = load("a: &x 1\nb: *x\n", &errs);

	assert_null(root);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.items[0], "aliases are not supported"));
	tk_errlist_fini(&errs);
}

static void
test_typed_readers(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = load("n: 42\nbad: 4x\nbig: 99\nb: yes\nd: 5m\ns: 10M\nm: {}\n", &errs);
	int64_t v;
	bool b;
	const char *s;

	assert_int_equal(ynode_int(ynode_get(root, "n"), 0, 100, &v, &errs), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ynode_int(ynode_get(root, "bad"), 0, 100, &v, &errs), -1);
	assert_int_equal(ynode_int(ynode_get(root, "big"), 0, 50, &v, &errs), -1);
	assert_int_equal(ynode_bool(ynode_get(root, "b"), &b, &errs), 0);
	assert_true(b);
	assert_int_equal(ynode_duration_ms(ynode_get(root, "d"), &v, &errs), 0);
	assert_int_equal(v, 300000);
	assert_int_equal(ynode_size(ynode_get(root, "s"), &v, &errs), 0);
	assert_int_equal(v, 10 * 1024 * 1024);
	assert_int_equal(ynode_str(ynode_get(root, "m"), &s, &errs), -1);
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.items[1], "t.yaml:3:6: 99 is out of range (0 to 50)");
	ynode_free(&root);
	tk_errlist_fini(&errs);
}

static void
test_parsers(void **state)
{
	int64_t v;

	assert_int_equal(ynode_parse_duration_ms("30", &v), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(ynode_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(ynode_parse_duration_ms("1.5h", &v), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(ynode_parse_duration_ms("-1s", &v), -1);
	assert_int_equal(ynode_parse_duration_ms("5 weeks", &v), -1);
	assert_int_equal(ynode_parse_size("512k", &v), 0);
	assert_int_equal(v, 524288);
	assert_int_equal(ynode_parse_size("", &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_syntax_error_position),
		cmocka_unit_test(test_unknown_keys_and_duplicates),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_typed_readers),
		cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
