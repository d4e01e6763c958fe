/*
 * html.h: HTML to readable plain text (libxml2's forgiving HTML parser).
 * Block elements and <br> become line breaks, script/style/head/title are
 * dropped, entities are decoded, runs of blanks collapse to one space
 * (kept inside <pre>) and links keep their text.
 */
#ifndef TK_HTML_H
#define TK_HTML_H

#include <stddef.h>

/* Initialise libxml2 once from the main thread before worker threads use html_to_text(). */
void html_init(void);
/*
 * Text of an HTML document given as UTF-8 bytes (invalid sequences become
 * U+FFFD); never NULL (may be ""). Returns valid UTF-8 the caller frees.
 * Broken markup is recovered, never an error.
 */
char *html_to_text(const char *html, size_t len);

#endif
