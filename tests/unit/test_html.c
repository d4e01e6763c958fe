/*
 * test_html.c: HTML to text: line breaks for blocks and <br>, dropped
 * script/style/head/title, entities, whitespace, links, broken markup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "html.h"
#include "xalloc.h"

static void
check(const char *html, const char *want)
{
	char *got = html_to_text(html, strlen(html));

	assert_non_null(got);
	assert_string_equal(got, want);
	xfree(&got);
}

static void
test_blocks_and_breaks(void **state)
{
	check("<p>one</p><p>two</p>", "one\n\ntwo");
	check("<div>a</div><div>b</div>c", "a\nb\nc");
	check("x<br>y<br/><br>z", "x\ny\n\nz");
	check("<ul><li>first</li><li>second</li></ul>after", "first\nsecond\n\nafter");
	check("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc");
}

static void
test_dropped_elements(void **state)
{
	check("<html><head><title>T</title><style>p{}</style></head>"
	      "<body><script>alert(1)</script>visible<noscript>n</noscript></body></html>",
	      "visible");
}

static void
test_entities_whitespace_links(void **state)
{
	check("a &amp; b &lt;c&gt; &eacute;&#8364;&#x41;", "a & b <c> \xc3\xa9\xe2\x82\xac" "A");
	check("  lots   of\n\n\t spaces  ", "lots of spaces");
	check("see <a href=\"http://x.example/\">the  site</a> now", "see the site now");
	check("&nbsp;", "\xc2\xa0");
	check("<p>log:</p><pre>a  b\r\n  c</pre>after", "log:\n\na  b\n  c\n\nafter");
}

static void
test_broken_markup(void **state)
{
	struct buf b;
	char *got;

	check("", "");
	check("<p>unclosed <b>bold <i>both", "unclosed bold both");
	check("</div></p>stray<<>>", "stray<<>>");
	check("<!-- comment -->text<!-- open", "text");
	check("\xff<p>x\x80</p>", "\xef\xbf\xbd\n\nx\xef\xbf\xbd");
	/* Deep nesting and a long document do not crash. */
	buf_init(&b, 0);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(buf_puts(&b, "<div><span>"), 0);
	assert_int_equal(buf_puts(&b, "deep"), 0);
	got = html_to_text(b.data, b.len);
	assert_non_null(got);
	xfree(&got);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_and_breaks),
		cmocka_unit_test(test_dropped_elements),
		cmocka_unit_test(test_entities_whitespace_links),
		cmocka_unit_test(test_broken_markup),
	};

	html_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
