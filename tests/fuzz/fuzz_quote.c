/*
 * fuzz_quote.c: reply stripping on its own (quote.h): an input whose
 * first non-blank byte is '<' goes to quote_split_html, any other to
 * quote_split.
 *
 * Properties (quote.h): both results always set; the visible text has no
 * CR, no trailing white space on a line and no blank line first or last;
 * from valid UTF-8 come valid UTF-8 results.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "fuzz.h"
#include "quote.h"

static void
check(const char *in, const char *visible, const char *quoted)
{
	if (visible == NULL || quoted == NULL)
		fuzz_fail("a result is unset");
	fuzz_check_visible(visible);
	if (fuzz_utf8_bad(in) < 0) {
		fuzz_check_utf8("visible text", visible);
		fuzz_check_utf8("quoted text", quoted);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_strndup(data, size), *visible = NULL, *quoted = NULL;
	const char *p = in + strspn(in, " \t\r\n");

	fuzz_init();
	if (*p == '<')
		quote_split_html(in, strlen(in), &visible, &quoted);
	else
		quote_split(in, &visible, &quoted);
	check(in, visible, quoted);
	free(visible);
	free(quoted);
	free(in);
	return 0;
}
