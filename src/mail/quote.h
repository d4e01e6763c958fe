/*
 * quote.h: split an email reply into the text its author wrote (visible)
 * and what was removed (quoted text, attribution lines, Outlook header
 * blocks, signatures, "Sent from my iPhone" lines). Pure text logic: no
 * database, no network. The rules are described in doc/reply-stripping.md.
 *
 * Both functions never fail on hostile input: any byte string (no NUL
 * inside) yields two strings. Each result belongs to the caller (free with
 * xfree()). The visible text has CRLF turned into LF, trailing white space
 * of every line removed, and no leading or trailing blank lines; the quoted
 * text is the removed lines in their original order.
 */
#ifndef TK_QUOTE_H
#define TK_QUOTE_H

#include <stddef.h>

/*
 * Split a plain-text reply. text may be NULL (treated as ""). Returns 0;
 * *visible_r and *quoted_r are always set (either may be "").
 */
int quote_split(const char *text, char **visible_r, char **quoted_r);

/*
 * Split an HTML reply of len bytes (UTF-8; a meta charset is ignored):
 * known quote containers (Gmail's gmail_quote, blockquote type=cite,
 * Thunderbird's moz-cite-prefix, Yahoo's yahoo_quoted, Outlook's
 * divRplyFwdMsg, Hotmail's hr#stopSpelling, ...) are removed from the tree,
 * the rest is rendered as text (other blockquotes become "> " lines) and
 * then split by quote_split(). Returns 0 and sets both results as above.
 */
int quote_split_html(const char *html, size_t len, char **visible_r, char **quoted_r);

#endif
