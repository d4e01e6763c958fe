/*
 * html.c: HTML to readable text. libxml2 parses (recovering from broken
 * markup, no network, no error output); a non-recursive walk over the tree
 * writes the text: block elements give line breaks (paragraph-like ones a
 * blank line), <br> a line break, table cells a space; script, style,
 * head and title are skipped. Whitespace collapses to one space (except
 * inside <pre>), lines are trimmed, and at most one blank line separates
 * paragraphs.
 */
/* System. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Libraries. */
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
/* ticketd. */
#include "buf.h"
#include "html.h"
#include "mime.h"
#include "xalloc.h"

enum html_kind { HK_INLINE, HK_SKIP, HK_BREAK, HK_BLOCK, HK_PARA, HK_CELL };

static const struct {
	const char *name;
	enum html_kind kind;
} html_tags[] = {
	{ "script", HK_SKIP }, { "style", HK_SKIP }, { "head", HK_SKIP }, { "title", HK_SKIP },
	{ "noscript", HK_SKIP }, { "template", HK_SKIP },
	{ "br", HK_BREAK },
	{ "p", HK_PARA }, { "h1", HK_PARA }, { "h2", HK_PARA }, { "h3", HK_PARA },
	{ "h4", HK_PARA }, { "h5", HK_PARA }, { "h6", HK_PARA }, { "blockquote", HK_PARA },
	{ "pre", HK_PARA }, { "table", HK_PARA }, { "ul", HK_PARA }, { "ol", HK_PARA },
	{ "dl", HK_PARA }, { "hr", HK_PARA },
	{ "div", HK_BLOCK }, { "li", HK_BLOCK }, { "tr", HK_BLOCK }, { "dt", HK_BLOCK },
	{ "dd", HK_BLOCK }, { "address", HK_BLOCK }, { "article", HK_BLOCK },
	{ "aside", HK_BLOCK }, { "section", HK_BLOCK }, { "header", HK_BLOCK },
	{ "footer", HK_BLOCK }, { "nav", HK_BLOCK }, { "main", HK_BLOCK },
	{ "form", HK_BLOCK }, { "fieldset", HK_BLOCK }, { "figure", HK_BLOCK },
	{ "figcaption", HK_BLOCK }, { "center", HK_BLOCK }, { "caption", HK_BLOCK },
	{ "tbody", HK_BLOCK }, { "thead", HK_BLOCK }, { "tfoot", HK_BLOCK },
	{ "body", HK_BLOCK }, { "html", HK_BLOCK },
	{ "td", HK_CELL }, { "th", HK_CELL },
};

struct html_out {
	struct buf b;
	int newlines;      /* line breaks owed before the next text */
	bool space;        /* a blank owed before the next text */
	int pre;           /* inside <pre>: whitespace is kept */
};

static enum html_kind
html_kind(const xmlNode *n)
{
	for (size_t i = 0; i < sizeof(html_tags) / sizeof(html_tags[0]); i++)
		if (strcasecmp((const char *)n->name, html_tags[i].name) == 0)
			return html_tags[i].kind;
	return HK_INLINE;
}

static void
out_add(struct html_out *o, const char *p, size_t n)
{
	if (buf_append(&o->b, p, n) < 0)
		abort();
}

static void
out_break(struct html_out *o, int n)
{
	if (o->b.len == 0)
		return;
	if (o->newlines < n)
		o->newlines = n;
}

/* Text inside <pre>: owed breaks first, then the text as it is. */
static void
out_pre(struct html_out *o, const char *s)
{
	if (o->newlines > 0 && o->b.len > 0)
		out_add(o, "\n\n", (size_t)(o->newlines > 2 ? 2 : o->newlines));
	else if (o->space && o->b.len > 0)
		out_add(o, " ", 1);
	o->newlines = 0;
	o->space = false;
	for (; *s; s++)
		if (*s != '\r')
			out_add(o, s, 1);
}

static void
out_text(struct html_out *o, const char *s)
{
	if (o->pre > 0) {
		out_pre(o, s);
		return;
	}
	for (; *s; s++) {
		const char *run = s;

		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') {
			o->space = true;
			continue;
		}
		if (o->newlines > 0) {
			out_add(o, "\n\n", (size_t)(o->newlines > 2 ? 2 : o->newlines));
			o->newlines = 0;
			o->space = false;
		} else if (o->space && o->b.len > 0) {
			out_add(o, " ", 1);
		}
		o->space = false;
		while (s[1] && !strchr(" \t\n\r\f\v", s[1]))
			s++;
		out_add(o, run, (size_t)(s - run + 1));
	}
}

/* Enter or leave an element: the breaks it implies. */
static void
element_edge(struct html_out *o, enum html_kind k, bool entering)
{
	switch (k) {
	case HK_BREAK:
		if (entering) {
			if (o->b.len > 0)
				o->newlines = o->newlines < 2 ? o->newlines + 1 : 2;
			o->space = false;
		}
		break;
	case HK_PARA:
		out_break(o, 2);
		break;
	case HK_BLOCK:
		out_break(o, 1);
		break;
	case HK_CELL:
		o->space = true;
		break;
	default:
		break;
	}
}

static void
walk(struct html_out *o, xmlNode *root)
{
	xmlNode *n = root;

	while (n) {
		bool descend = false;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				out_text(o, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE) {
			enum html_kind k = html_kind(n);

			if (k != HK_SKIP) {
				element_edge(o, k, true);
				o->pre += strcasecmp((const char *)n->name, "pre") == 0;
				descend = n->children != NULL;
				if (!descend) {
					o->pre -= o->pre > 0 && strcasecmp((const char *)n->name, "pre") == 0;
					element_edge(o, k, false);
				}
			}
		}
		if (descend) {
			n = n->children;
			continue;
		}
		while (n && n->next == NULL) {
			n = n->parent;
			if (n == NULL || n == root->parent || n->type == XML_DOCUMENT_NODE ||
			    n->type == XML_HTML_DOCUMENT_NODE)
				return;
			if (n->type == XML_ELEMENT_NODE) {
				o->pre -= o->pre > 0 && strcasecmp((const char *)n->name, "pre") == 0;
				element_edge(o, html_kind(n), false);
			}
		}
		if (n)
			n = n->next;
	}
}

void
html_init(void)
{
	xmlInitParser();
}

char *
html_to_text(const char *html, size_t len)
{
	struct html_out o;
	htmlDocPtr doc = NULL;
	char *clean = NULL;

	memset(&o, 0, sizeof(o));
	buf_init(&o.b, 0);
	if (len > 0 && len <= (size_t)INT32_MAX) {
		/* libxml2 passes invalid bytes through: repair them first. */
		clean = mime_utf8_clean(html, len);
		xmlInitParser();
		doc = htmlReadMemory(clean, (int)strlen(clean), NULL, "UTF-8",
		                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	}
	if (doc && doc->children)
		walk(&o, doc->children);
	if (doc)
		xmlFreeDoc(doc);
	xfree(&clean);
	return buf_steal(&o.b, NULL);
}
