/*
 * quote_html.c: split an HTML reply. libxml2's HTML parser builds the tree;
 * one iterative walk renders it as text into two buffers: the visible one,
 * and the quoted one, which takes the subtrees of known quote containers
 * (gmail_quote, blockquote type=cite, moz-cite-prefix, yahoo_quoted, ...)
 * and everything after a reply separator (Outlook's divRplyFwdMsg,
 * Hotmail's hr#stopSpelling). Other blockquotes are rendered as "> "
 * lines, and the visible text then goes through quote_split(), which
 * catches Outlook header blocks and attributions written as plain text.
 * Containers whose text opens with a forward marker are kept.
 * Self-contained: it does not use html.c.
 */
/* System. */
#include <limits.h>
#include <stdbool.h>
#include <string.h>
/* Libraries. */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
/* ticketd. */
#include "buf.h"
#include "quote.h"
#include "quote_int.h"
#include "xalloc.h"

#define QH_PROBE 200       /* bytes of a container's text read for a marker */
#define QH_PROBE_NODES 256 /* nodes visited at most for that */

/* One text output: its buffer and line state. */
struct tout {
	struct buf b;
	bool bol;     /* at the beginning of a line */
	bool space;   /* a collapsed space is pending */
	bool blank;   /* the last line written was empty */
	int qdepth;   /* open (rendered) blockquotes */
};

struct hwalk {
	struct tout vis, quo;
	xmlNode *qroot;   /* the quote container being rendered into quo */
	bool cut;         /* past a reply separator: everything is quoted */
	int pre;          /* open <pre> elements */
};

static const char *const skip_tags[] = {
	"head", "script", "style", "title", "template", "noscript", "xml", NULL,
};

static const char *const block_tags[] = {
	"address", "article", "blockquote", "center", "dd", "div", "dl", "dt",
	"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
	"ol", "p", "pre", "section", "table", "tr", "ul", NULL,
};

/* Classes (substrings) of quote containers, and of signatures. */
static const char *const quote_classes[] = {
	"gmail_quote", "gmail_attr", "yahoo_quoted", "moz-cite-prefix",
	"protonmail_quote", "zmail_extra", "OutlookMessageHeader",
	"gmail_signature", "moz-signature", NULL,
};

static bool
in_list(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcasecmp(name, list[i]) == 0)
			return true;
	return false;
}

static bool
attr_is(xmlNode *n, const char *attr, const char *value, bool substring)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	bool r = false;

	if (v)
		r = substring ? strstr((const char *)v, value) != NULL
		              : strcasecmp((const char *)v, value) == 0;
	xmlFree(v);
	return r;
}

static struct tout *
target(struct hwalk *w)
{
	return w->cut || w->qroot ? &w->quo : &w->vis;
}

static void
t_newline(struct tout *t)
{
	if (t->bol && t->qdepth > 0)
		quote_out(&t->b, ">", 1);
	t->blank = t->bol;
	quote_out(&t->b, "\n", 1);
	t->bol = true;
	t->space = false;
}

static void
t_soft_newline(struct tout *t)
{
	if (!t->bol)
		t_newline(t);
	t->space = false;
}

/* A paragraph boundary: end the line, then one blank line (not at the start). */
static void
t_paragraph(struct tout *t)
{
	t_soft_newline(t);
	if (t->b.len > 0 && !t->blank)
		t_newline(t);
}

static void
t_char(struct tout *t, const char *s, size_t len)
{
	if (t->bol) {
		for (int i = 0; i < t->qdepth && i < 32; i++)
			quote_out(&t->b, "> ", 2);
	} else if (t->space) {
		quote_out(&t->b, " ", 1);
	}
	t->bol = false;
	t->space = false;
	quote_out(&t->b, s, len);
}

/* Render a text node: collapse white space (not in <pre>); U+00A0 is a real space. */
static void
t_text(struct tout *t, const char *s, bool pre)
{
	while (*s) {
		if (pre && *s == '\n') {
			t_newline(t);
			s++;
		} else if (!pre && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')) {
			t->space = true;
			s++;
		} else if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0) {
			t_char(t, " ", 1);
			s += 2;
		} else {
			size_t n = strcspn(s, pre ? "\n\xc2" : " \t\n\r\f\xc2");

			t_char(t, s, n ? n : 1);
			s += n ? n : 1;
		}
	}
}

/* The first bytes of a subtree's text (br and blocks as newlines), for marker checks. */
static void
probe_text(xmlNode *root, char *out, size_t cap)
{
	size_t len = 0, visited = 0;
	xmlNode *n = root->children;

	out[0] = '\0';
	while (n && len + 1 < cap && visited++ < QH_PROBE_NODES) {
		const char *add = NULL;

		if (n->type == XML_TEXT_NODE && n->content)
			add = (const char *)n->content;
		else if (n->type == XML_ELEMENT_NODE &&
		         (strcasecmp((const char *)n->name, "br") == 0 ||
		          in_list((const char *)n->name, block_tags)))
			add = "\n";
		if (add) {
			size_t l = strlen(add);

			l = l < cap - 1 - len ? l : cap - 1 - len;
			memcpy(out + len, add, l);
			len += l;
			out[len] = '\0';
		}
		if (n->children && n->type == XML_ELEMENT_NODE && !in_list((const char *)n->name, skip_tags)) {
			n = n->children;
			continue;
		}
		while (n && n != root && !n->next)
			n = n->parent;
		if (!n || n == root)
			break;
		n = n->next;
	}
	/* Skip leading white space: the marker must open the container. */
	size_t skip = strspn(out, " \t\r\n");
	memmove(out, out + skip, strlen(out + skip) + 1);
}

static bool
is_quote_container(xmlNode *n)
{
	char probe[QH_PROBE + 1];
	bool found = false;

	for (size_t i = 0; quote_classes[i] && !found; i++)
		found = attr_is(n, "class", quote_classes[i], true);
	if (!found && strcasecmp((const char *)n->name, "blockquote") == 0)
		found = attr_is(n, "type", "cite", false);
	if (!found)
		return false;
	probe_text(n, probe, sizeof(probe));
	return !quote_is_forward_line(probe, strcspn(probe, "\n"));
}

/*
 * A reply separator: Outlook's divRplyFwdMsg and appendonsend, Hotmail's
 * hr#stopSpelling, or Outlook's header div (a top border) opening with From:.
 */
static bool
is_separator(xmlNode *n)
{
	char probe[QH_PROBE + 1];

	if (attr_is(n, "id", "divRplyFwdMsg", true) || attr_is(n, "id", "appendonsend", false))
		return true;
	if (strcasecmp((const char *)n->name, "hr") == 0)
		return attr_is(n, "id", "stopSpelling", false);
	if (strcasecmp((const char *)n->name, "div") != 0 || !attr_is(n, "style", "border-top", true))
		return false;
	probe_text(n, probe, sizeof(probe));
	return quote_is_from_label(probe, strcspn(probe, "\n"));
}

/*
 * A <p> with a margin. Outlook's MsoNormal paragraphs have none, and its
 * <o:p> reaches us as a "p" inside another p.
 */
static bool
is_paragraph(xmlNode *n)
{
	if (strcasecmp((const char *)n->name, "p") != 0 || attr_is(n, "class", "MsoNormal", true))
		return false;
	xmlNode *up = n->parent;
	for (int i = 0; up && up->type == XML_ELEMENT_NODE && i < 16; i++, up = up->parent)
		if (strcasecmp((const char *)up->name, "p") == 0)
			return false;
	return true;
}

/* Enter element n; returns whether to walk its children. */
static bool
enter(struct hwalk *w, xmlNode *n)
{
	const char *name = (const char *)n->name;

	if (in_list(name, skip_tags))
		return false;
	if (!w->cut && is_separator(n))
		w->cut = true;
	if (!w->cut && !w->qroot && is_quote_container(n))
		w->qroot = n;
	struct tout *t = target(w);
	if (strcasecmp(name, "br") == 0)
		t_newline(t);
	else if (is_paragraph(n))
		t_paragraph(t);
	else if (in_list(name, block_tags))
		t_soft_newline(t);
	else if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0)
		t->space = true;
	if (strcasecmp(name, "blockquote") == 0)
		t->qdepth++;
	else if (strcasecmp(name, "pre") == 0)
		w->pre++;
	return true;
}

static void
leave(struct hwalk *w, xmlNode *n)
{
	const char *name = (const char *)n->name;
	struct tout *t = target(w);

	if (strcasecmp(name, "blockquote") == 0 && t->qdepth > 0)
		t->qdepth--;
	else if (strcasecmp(name, "pre") == 0 && w->pre > 0)
		w->pre--;
	if (is_paragraph(n))
		t_paragraph(t);
	else if (in_list(name, block_tags))
		t_soft_newline(t);
	if (n == w->qroot) {
		w->qroot = NULL;
		t_soft_newline(&w->quo);
	}
}

static void
walk(struct hwalk *w, xmlNode *root)
{
	xmlNode *n = root;

	while (n) {
		bool down = false;

		if (n->type == XML_ELEMENT_NODE)
			down = enter(w, n);
		else if (n->type == XML_TEXT_NODE && n->content)
			t_text(target(w), (const char *)n->content, w->pre > 0);
		if (down && n->children) {
			n = n->children;
			continue;
		}
		if (down)
			leave(w, n);
		while (n && !n->next) {
			n = n->parent;
			if (!n || n->type != XML_ELEMENT_NODE)
				return;
			leave(w, n);
		}
		n = n ? n->next : NULL;
	}
}

int
quote_split_html(const char *html, size_t len, char **visible_r, char **quoted_r)
{
	struct hwalk w;
	htmlDocPtr doc = NULL;
	char *vis = NULL, *quo = NULL;

	memset(&w, 0, sizeof(w));
	buf_init(&w.vis.b, 0);
	buf_init(&w.quo.b, 0);
	w.vis.bol = w.quo.bol = true;
	if (html && len > 0)
		doc = htmlReadMemory(html, len > INT_MAX ? INT_MAX : (int)len, NULL, "UTF-8",
		                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		                     HTML_PARSE_NONET);
	if (doc) {
		walk(&w, doc->children);
		xmlFreeDoc(doc);
	}
	quote_split(w.vis.b.data ? w.vis.b.data : "", &vis, &quo);
	buf_fini(&w.vis.b);
	if (quo[0] != '\0') {
		if (w.quo.b.len > 0)
			quote_out(&w.quo.b, "\n", 1);
		quote_out(&w.quo.b, quo, strlen(quo));
	}
	xfree(&quo);
	*visible_r = vis;
	*quoted_r = buf_steal(&w.quo.b, NULL);
	return 0;
}
