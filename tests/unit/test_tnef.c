/*
 * test_tnef.c: winmail.dat unpacking (src/tnef.c) on real Outlook samples
 * (tests/data/tnef/, from Roundcube's test mails) and on hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "tnef.h"
#include "xalloc.h"

static void
read_sample(const char *name, struct buf *b)
{
	char *path = xasprintf("%s/tnef/%s", TESTDATADIR, name);

	buf_init(b, 0);
	assert_int_equal(buf_read_file(b, path), 0);
	xfree(&path);
}

static const struct tnef_file *
find_file(const struct tnef_files *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->files[i].name, name) == 0)
			return &f->files[i];
	return NULL;
}

static void
test_one_file(void **state)
{
	struct tnef_files f;
	struct tk_err err;
	struct buf b;
	const struct tnef_file *a;

	read_sample("tnef1.dat", &b);
	assert_true(tnef_is_tnef(b.data, b.len));
	assert_int_equal(tnef_unpack(b.data, b.len, &f, &err), 0);
	assert_int_equal(f.n, 1);
	a = find_file(&f, "AUTHORS");
	assert_non_null(a);
	assert_int_equal(a->size, 244);
	/* The bytes are the ones inside the stream, not a copy of something else. */
	assert_non_null(memmem(b.data, b.len, a->data, a->size));
	assert_string_equal(a->mime_type, "application/octet-stream");
	tnef_files_free(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.files);
	buf_fini(&b);
}

static void
test_body_only(void **state)
{
	struct tnef_files f;
	struct tk_err err;
	struct buf b;

	read_sample("tnef2.dat", &b);
	assert_int_equal(tnef_unpack(b.data, b.len, &f, &err), 0);
	assert_int_equal(f.n, 0);
	assert_non_null(f.body);
	assert_string_equal(f.body_type, "text/html");
	assert_non_null(strstr((char *)f.body, "THE BILL OF RIGHTS"));
	assert_int_equal(strlen((char *)f.body), f.body_size);
	tnef_files_free(&f);
	assert_null(f.body);
	buf_fini(&b);
}

static void
test_two_files_and_rtf(void **state)
{
	struct tnef_files f;
	struct tk_err err;
	struct buf b;
	const struct tnef_file *jpg, *htm;

	read_sample("tnef3.dat", &b);
	assert_int_equal(tnef_unpack(b.data, b.len, &f, &err), 0);
	assert_int_equal(f.n, 2);
	jpg = find_file(&f, "zappa_av1.jpg"); /* long name, not the 8.3 ZAPPA_~2.JPG */
	htm = find_file(&f, "bookmark.htm");
	assert_non_null(jpg);
	assert_non_null(htm);
	assert_int_equal(jpg->size, 2937);
	assert_memory_equal(jpg->data, "\xff\xd8\xff", 3);
	assert_memory_equal(jpg->data + jpg->size - 2, "\xff\xd9", 2);
	assert_int_equal(htm->size, 85805);
	assert_memory_equal(htm->data, "<!DOCTYPE NETSCAPE-Bookmark-file-1>", 35);
	assert_string_equal(f.body_type, "text/rtf");
	assert_memory_equal(f.body, "{\\rtf", 5);
	tnef_files_free(&f);
	buf_fini(&b);
}

static void
test_not_tnef(void **state)
{
	struct tnef_files f;
	struct tk_err err;

	assert_false(tnef_is_tnef("PK\3\4", 4));
	assert_false(tnef_is_tnef("\x78\x9f", 2));
	assert_false(tnef_is_tnef(NULL, 0));
	assert_int_equal(tnef_unpack("hello world", 11, &f, &err), -1);
	assert_non_null(strstr(err.msg, "not a TNEF stream"));
	assert_int_equal(f.n, 0);
	assert_int_equal(tnef_unpack("", 0, &f, &err), -1);
	/* The signature alone, then the signature and a truncated attribute. */
	assert_int_equal(tnef_unpack("\x78\x9f\x3e\x22", 4, &f, &err), -1);
	assert_int_equal(f.n, 0);
	assert_int_equal(tnef_unpack("\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\xff\xff\xff\x7f",
	                             15, &f, &err), -1);
	assert_int_equal(f.n, 0);
	/* libytnef's own complaint (printed with printf) is captured into the error */
	assert_non_null(strstr(err.msg, "libytnef: ERROR: invalid alloc size"));
}

/* Every answer to hostile input is 0 or -1 with an empty result. */
static void
unpack_hostile(const unsigned char *data, size_t len)
{
	struct tnef_files f;
	struct tk_err err;
	int rc = tnef_unpack(data, len, &f, &err);

	assert_true(rc == 0 || rc == -1);
	if (rc < 0) {
		assert_int_equal(f.n, 0);
		assert_null(f.body);
		assert_true(err.msg[0] != '\0');
	}
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		assert_true(f.files[i].name[0] != '\0');
		assert_null(strchr(f.files[i].name, '/'));
		assert_true(f.files[i].data != NULL);
	}
	tnef_files_free(&f);
}

static void
test_truncated(void **state)
{
	static const char *samples[] = { "tnef1.dat", "tnef2.dat", "tnef3.dat" };

	for (size_t s = 0; s < 3; s++) {
		struct buf b;
		size_t step;

		read_sample(samples[s], &b);
		step = b.len > 10000 ? 61 : 1;
		for (size_t len = 0; len < b.len; len += step) {
			unsigned char *copy = xmemdup(b.data, len ? len : 1);

			unpack_hostile(copy, len);
			xfree(&copy);
		}
		buf_fini(&b);
	}
}

static void
test_mutated(void **state)
{
	static const char *samples[] = { "tnef1.dat", "tnef2.dat", "tnef3.dat" };
	uint32_t seed = 12345;

	for (size_t s = 0; s < 3; s++) {
		struct buf b;

		read_sample(samples[s], &b);
		for (int round = 0; round < 300; round++) {
			unsigned char *copy = xmemdup(b.data, b.len);

			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t pos = 4 + (seed >> 8) % (b.len - 4);
				seed = seed * 1103515245u + 12345u;
				/* Bias toward length-like bytes: 0x00, 0xff, 0x7f. */
				copy[pos] = (seed >> 16) % 4 == 0 ? 0xff : (seed >> 16) % 4 == 1 ? 0x7f :
				            (seed >> 16) % 4 == 2 ? 0x00 : (unsigned char)(seed >> 24);
			}
			unpack_hostile(copy, b.len);
			xfree(&copy);
		}
		buf_fini(&b);
	}
}

static void
expect_name(const char *raw, size_t len, bool utf16, const char *want)
{
	char *got = tnef_safe_name((const unsigned char *)raw, len, utf16, 2);

	assert_string_equal(got, want);
	xfree(&got);
}

static void
test_safe_names(void **state)
{
	char longname[600];
	char *got;

	expect_name("report.pdf", 11, false, "report.pdf");
	expect_name("../../etc/passwd", 16, false, "passwd");
	expect_name("C:\\Users\\x\\evil.exe", 19, false, "evil.exe");
	expect_name("", 0, false, "attachment-3");
	expect_name("...", 3, false, "attachment-3");
	expect_name("dir/", 4, false, "attachment-3");
	expect_name("  .hidden  ", 11, false, "hidden");
	expect_name("a\nb\tc\x7f.txt", 10, false, "a_b_c_.txt");
	expect_name("caf\xe9.txt", 8, false, "caf\xc3\xa9.txt");          /* Latin-1 */
	expect_name("caf\xc3\xa9.txt\0junk", 14, false, "caf\xc3\xa9.txt"); /* UTF-8, NUL ends */
	/* UTF-16LE: "a" + U+1F600 (surrogate pair) + lone high surrogate + "b". */
	expect_name("a\0\x3d\xd8\x00\xde\x3d\xd8" "b\0\0\0", 14, true,
	            "a\xf0\x9f\x98\x80\xef\xbf\xbd" "b");
	expect_name("\0\xdc", 2, true, "\xef\xbf\xbd");  /* lone low surrogate */
	expect_name("x", 1, true, "attachment-3");      /* odd length: nothing whole */
	/* 300 two-byte characters: cut at 255 bytes, on a character boundary. */
	for (int i = 0; i < 300; i++)
		memcpy(longname + 2 * i, "\xc3\xa9", 2);
	got = tnef_safe_name((unsigned char *)longname, 600, false, 0);
	assert_int_equal(strlen(got), 254);
	assert_memory_equal(got + 252, "\xc3\xa9", 2);
	xfree(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_file),
		cmocka_unit_test(test_body_only),
		cmocka_unit_test(test_two_files_and_rtf),
		cmocka_unit_test(test_not_tnef),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutated),
		cmocka_unit_test(test_safe_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
