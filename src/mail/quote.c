/*
 * quote.c: split a plain-text reply into what its author wrote and what
 * was quoted or appended (attribution lines, Outlook header blocks, ">"
 * blocks, signatures, mobile "Sent from my ..." lines).
 *
 * One pass from the top classifies every line as TEXT, QUOTE (a ">" block
 * and the attribution above it), SIG (from a signature start to the next
 * quote) or REST (an unprefixed quote: everything after an Outlook header
 * block or an "On ... wrote:" line that no ">" block follows). A forward
 * marker stops the pass: a forwarded message is never cut. The visible
 * text is then the TEXT lines, or, when the author answered between two
 * quote blocks (inline replies), everything down to the last answer minus
 * signatures. Every check looks at a bounded number of bytes of a bounded
 * number of lines, so the pass is linear. Rules: doc/reply-stripping.md.
 */
/* System. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "buf.h"
#include "quote.h"
#include "quote_int.h"
#include "xalloc.h"

#define QUOTE_ATTR_MAX 400   /* longest attribution looked at, bytes */
#define QUOTE_ATTR_LINES 3   /* an attribution wraps over at most 3 lines */
#define QUOTE_BLOCK_LINES 12 /* an Outlook header block spans at most this */

enum qkind { Q_TEXT, Q_QUOTE, Q_SIG, Q_REST };

struct qline {
	const char *s;
	size_t len;
	const char *t;   /* the line without surrounding white space */
	size_t tlen;
	bool empty;      /* only white space */
	bool quoted;     /* first non-blank byte is '>' */
	signed char label; /* label_kind() once computed, else -1 */
};

struct qdoc {
	char *text;             /* normalised copy (LF line ends) */
	struct qline *lines;
	enum qkind *kind;
	size_t n;
};

/* Lead words of "On <date>, <name> wrote:" in several languages. */
static const char *const attr_leads[] = {
	"On", "Le", "Am", "El", "Il", "Em", "Op", "Den", "D.", "Dne", "Dnia",
	"W dniu", "Pe", "Στις", "В", "Às", "A las", "Kl.", "Le jeu.", NULL,
};

/* The verb of an attribution line (matched case-insensitively in ASCII). */
static const char *const attr_verbs[] = {
	"wrote", "writes", "a écrit", "schrieb", "escribió", "escribio",
	"ha scritto", "escreveu", "schreef", "geschreven", "skrev", "napisał",
	"napisal", "pisze", "написал", "писал", "napsal", "kirjoitti", "yazdı",
	"írta", "scrise", "έγραψε", "写道", "寫道", "ผู้เขียน", "작성", NULL,
};

/* "-----Original Message-----" and its translations. */
static const char *const orig_phrases[] = {
	"original message", "ursprüngliche nachricht", "originalnachricht",
	"message d'origine", "message original", "mensaje original",
	"messaggio originale", "mensagem original", "oorspronkelijk bericht",
	"origineel bericht", "ursprungligt meddelande", "originalmeddelande",
	"oprindelig meddelelse", "opprinnelig melding", "oryginalna wiadomość",
	"wiadomość oryginalna", "původní zpráva", "исходное сообщение",
	"Исходное сообщение", "alkuperäinen viesti", "orijinal mesaj",
	"eredeti üzenet", "原始邮件", "원본 메일", NULL,
};

/* Forward markers: a forwarded message is never cut. */
static const char *const fwd_phrases[] = {
	"forwarded message", "weitergeleitete nachricht", "message transféré",
	"mensaje reenviado", "messaggio inoltrato", "mensagem encaminhada",
	"doorgestuurd bericht", "vidarebefordrat meddelande",
	"videresendt meddelelse", "videresendt melding", "przekazana wiadomość",
	"wiadomość przekazana", "přeposlaná zpráva", "пересылаемое сообщение",
	"Пересылаемое сообщение", "välitetty viesti", "iletilen ileti",
	"转发的邮件", NULL,
};

/* Lines that open a forward without dashes. */
static const char *const fwd_leads[] = {
	"Begin forwarded message", "Anfang der weitergeleiteten Nachricht",
	"Début du message réexpédié", "Inicio del mensaje reenviado",
	"Inizio messaggio inoltrato", "Início da mensagem reencaminhada",
	"Begin doorgestuurd bericht", "Vidarebefordrat brev", NULL,
};

/* Mobile client footers ("Sent from my iPhone"). */
static const char *const device_leads[] = {
	"Sent from my ", "Sent from ", "Sent via ", "Sent with ", "Sent using ",
	"Get Outlook for ", "Envoyé de mon ", "Envoyé depuis mon ",
	"Envoyé depuis ", "Von meinem ", "Gesendet von meinem ", "Gesendet von ",
	"Gesendet mit ", "Enviado desde mi ", "Enviado desde ", "Enviado do meu ",
	"Enviado de meu ", "Enviado do ", "Inviato da ", "Inviato dal mio ",
	"Verzonden vanaf mijn ", "Verstuurd vanaf mijn ", "Verzonden met ",
	"Skickat från min ", "Skickat från ", "Sendt fra min ", "Sendt fra ",
	"Wysłane z ", "Отправлено с ", "Lähetetty ", NULL,
};

/* Outlook header block labels, by kind. */
enum { L_FROM = 1, L_SENT = 2, L_TO = 4, L_SUBJ = 8, L_CC = 16 };

struct qlabel {
	const char *word;
	int kind;
};

static const struct qlabel labels[] = {
	{"From", L_FROM}, {"Von", L_FROM}, {"De", L_FROM}, {"Van", L_FROM},
	{"Från", L_FROM}, {"Fra", L_FROM}, {"Od", L_FROM}, {"От", L_FROM},
	{"Da", L_FROM}, {"Lähettäjä", L_FROM}, {"Kimden", L_FROM},
	{"Feladó", L_FROM}, {"发件人", L_FROM}, {"差出人", L_FROM},
	{"Sent", L_SENT}, {"Date", L_SENT}, {"Gesendet", L_SENT},
	{"Datum", L_SENT}, {"Envoyé", L_SENT}, {"Enviado", L_SENT},
	{"Enviada", L_SENT}, {"Fecha", L_SENT}, {"Inviato", L_SENT},
	{"Data", L_SENT}, {"Verzonden", L_SENT}, {"Skickat", L_SENT},
	{"Sendt", L_SENT}, {"Wysłano", L_SENT}, {"Отправлено", L_SENT},
	{"Дата", L_SENT}, {"Odesláno", L_SENT}, {"Lähetetty", L_SENT},
	{"Tarih", L_SENT}, {"发送时间", L_SENT}, {"送信日時", L_SENT},
	{"To", L_TO}, {"An", L_TO}, {"À", L_TO}, {"A", L_TO}, {"Para", L_TO},
	{"Aan", L_TO}, {"Till", L_TO}, {"Til", L_TO}, {"Do", L_TO},
	{"Кому", L_TO}, {"Komu", L_TO}, {"Vastaanottaja", L_TO}, {"Kime", L_TO},
	{"Címzett", L_TO}, {"收件人", L_TO}, {"宛先", L_TO},
	{"Subject", L_SUBJ}, {"Betreff", L_SUBJ}, {"Objet", L_SUBJ},
	{"Asunto", L_SUBJ}, {"Oggetto", L_SUBJ}, {"Assunto", L_SUBJ},
	{"Onderwerp", L_SUBJ}, {"Ämne", L_SUBJ}, {"Emne", L_SUBJ},
	{"Temat", L_SUBJ}, {"Тема", L_SUBJ}, {"Předmět", L_SUBJ},
	{"Aihe", L_SUBJ}, {"Konu", L_SUBJ}, {"Tárgy", L_SUBJ}, {"主题", L_SUBJ},
	{"件名", L_SUBJ}, {"Cc", L_CC}, {"Kopie", L_CC}, {"Copie", L_CC},
	{"Kopia", L_CC}, {"Копия", L_CC}, {NULL, 0},
};

void
quote_out(struct buf *b, const char *s, size_t len)
{
	/* The buffers here have no cap, so buf_append() cannot fail. */
	if (buf_append(b, s, len) < 0)
		abort();
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* ASCII case-insensitive: does s (len) start with w? */
static bool
ci_prefix(const char *s, size_t len, const char *w)
{
	size_t i;

	for (i = 0; w[i]; i++)
		if (i >= len || lower((unsigned char)s[i]) != lower((unsigned char)w[i]))
			return false;
	return true;
}

/* ASCII case-insensitive search of w in s (len). */
static bool
ci_contains(const char *s, size_t len, const char *w)
{
	for (size_t i = 0; i < len; i++)
		if (ci_prefix(s + i, len - i, w))
			return true;
	return false;
}

static bool
contains_any(const char *s, size_t len, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (ci_contains(s, len, words[i]))
			return true;
	return false;
}

/* Trim white space (and U+00A0) on both ends of s..len in place. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len > 0) {
		if (is_space((unsigned char)(*s)[*len - 1]))
			(*len)--;
		else if (*len >= 2 && (unsigned char)(*s)[*len - 2] == 0xc2 &&
		         (unsigned char)(*s)[*len - 1] == 0xa0)
			*len -= 2;
		else
			break;
	}
}

static bool
line_empty(const struct qline *l)
{
	return l->empty;
}

static bool
line_quoted(const struct qline *l)
{
	return l->quoted;
}

/* Compute a line's flags once. */
static void
line_scan(struct qline *l)
{
	const char *s = l->s;
	size_t len = l->len, i = 0;

	trim(&s, &len);
	l->t = s;
	l->tlen = len;
	l->empty = len == 0;
	while (i < l->len && is_space((unsigned char)l->s[i]))
		i++;
	l->quoted = i < l->len && l->s[i] == '>';
	l->label = -1;
}

static bool
has_digit_or_at(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] >= '0' && s[i] <= '9') || s[i] == '@')
			return true;
	return false;
}

static bool
ends_with_colon(const char *s, size_t len)
{
	trim(&s, &len);
	if (len >= 1 && s[len - 1] == ':')
		return true;
	return len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0; /* U+FF1A */
}

/* Whether the line is a forward marker ("---------- Forwarded message"). */
bool
quote_is_forward_line(const char *s, size_t len)
{
	trim(&s, &len);
	if (len > QUOTE_ATTR_MAX)
		return false;
	for (size_t i = 0; fwd_leads[i]; i++)
		if (ci_prefix(s, len, fwd_leads[i]))
			return true;
	return len >= 2 && (s[0] == '-' || s[0] == '=' || s[0] == '_') &&
	       contains_any(s, len, fwd_phrases);
}

/* A line of only -, _, =, * (a rule above an Outlook header block). */
static bool
is_rule(const struct qline *l)
{
	const char *s = l->t;
	size_t len = l->tlen;

	if (len < 5)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("-_=*", s[i]))
			return false;
	return true;
}

/* "-----Original Message-----" or Android's "---- John wrote ----". */
static bool
is_separator(const struct qline *l)
{
	const char *s = l->t;
	size_t len = l->tlen;

	if (len < 4 || len > QUOTE_ATTR_MAX || s[0] != '-' || s[1] != '-')
		return false;
	if (contains_any(s, len, orig_phrases))
		return true;
	return s[len - 1] == '-' && contains_any(s, len, attr_verbs);
}

/* Does line l start with an attribution lead word or a digit (a date)? */
static bool
attr_lead(const struct qline *l)
{
	const char *s = l->t;
	size_t len = l->tlen;

	if (len > 0 && s[0] >= '0' && s[0] <= '9')
		return true;
	for (size_t i = 0; attr_leads[i]; i++) {
		if (!ci_prefix(s, len, attr_leads[i]))
			continue;
		size_t wl = strlen(attr_leads[i]);
		if (len > wl && s[wl] == ' ')
			return true;
	}
	return false;
}

static size_t
next_nonempty(const struct qdoc *d, size_t i)
{
	while (i < d->n && line_empty(&d->lines[i]))
		i++;
	return i;
}

/*
 * "On <date>, <name> wrote:" starting at line i, wrapped over at most
 * QUOTE_ATTR_LINES lines: returns the number of lines, or 0.
 */
static size_t
attribution_len(const struct qdoc *d, size_t i)
{
	char joined[QUOTE_ATTR_MAX + 1];
	size_t jl = 0;

	if (!attr_lead(&d->lines[i]))
		return 0;
	for (size_t k = 0; k < QUOTE_ATTR_LINES && i + k < d->n; k++) {
		const struct qline *l = &d->lines[i + k];

		if (line_empty(l) || line_quoted(l) || jl + l->len + 1 > QUOTE_ATTR_MAX)
			return 0;
		if (jl)
			joined[jl++] = ' ';
		memcpy(joined + jl, l->s, l->len);
		jl += l->len;
		if (!ends_with_colon(joined, jl) || !contains_any(joined, jl, attr_verbs))
			continue;
		if (has_digit_or_at(joined, jl))
			return k + 1;
		size_t nx = next_nonempty(d, i + k + 1);
		return nx < d->n && line_quoted(&d->lines[nx]) ? k + 1 : 0;
	}
	return 0;
}

/* The kind of an Outlook header label starting line l ("*From:* x"), or 0. */
static int
label_kind_compute(const struct qline *l)
{
	const char *s = l->s;
	size_t len = l->len < 64 ? l->len : 64;

	while (len > 0 && (is_space((unsigned char)*s) || *s == '*'))
		s++, len--;
	if (!memchr(s, ':', len) && !memchr(s, '\xef', len))
		return 0; /* no colon (ASCII or U+FF1A) near the start */
	for (size_t i = 0; labels[i].word; i++) {
		size_t j;

		if (!ci_prefix(s, len, labels[i].word))
			continue;
		for (j = strlen(labels[i].word); j < len && (s[j] == ' ' || s[j] == '*' || s[j] == '\t'); j++)
			;
		if (j < len && s[j] == ':')
			return labels[i].kind;
		if (j + 2 < len && memcmp(s + j, "\xef\xbc\x9a", 3) == 0)
			return labels[i].kind;
	}
	return 0;
}

static int
label_kind(struct qline *l)
{
	if (l->label < 0)
		l->label = (signed char)(l->empty ? 0 : label_kind_compute(l));
	return l->label;
}

bool
quote_is_from_label(const char *s, size_t len)
{
	struct qline l = {.s = s, .len = len};

	line_scan(&l);
	return label_kind(&l) == L_FROM;
}

/*
 * An Outlook header block at line i (From:/Sent:/To:/Subject: in any order
 * and language, at least three of the four): returns its lines, or 0.
 */
static size_t
header_block_len(const struct qdoc *d, size_t i)
{
	int kinds = 0, cont = 0;
	size_t j;

	if (label_kind(&d->lines[i]) == 0)
		return 0;
	for (j = i; j < d->n && j < i + QUOTE_BLOCK_LINES; j++) {
		int k = label_kind(&d->lines[j]);

		if (k) {
			kinds |= k;
			cont = 0;
		} else if (line_empty(&d->lines[j]) || line_quoted(&d->lines[j]) || ++cont > 2) {
			break;
		}
	}
	kinds &= L_FROM | L_SENT | L_TO | L_SUBJ;
	int n = (kinds & 1) + ((kinds >> 1) & 1) + ((kinds >> 2) & 1) + ((kinds >> 3) & 1);
	return n >= 3 ? j - i : 0;
}

/* Any quote header at line i: returns its number of lines, or 0. */
static size_t
header_len(const struct qdoc *d, size_t i)
{
	size_t k;

	if (line_empty(&d->lines[i]) || line_quoted(&d->lines[i]))
		return 0;
	if (is_separator(&d->lines[i]))
		return 1;
	if ((k = attribution_len(d, i)) > 0)
		return k;
	return header_block_len(d, i);
}

/* "Sent from my iPhone": a device lead and at most five plain words. */
static bool
is_device_line(const struct qline *l)
{
	const char *s = l->t;
	size_t len = l->tlen, i, words = 1;

	if (len > 80)
		return false;
	for (i = 0; device_leads[i]; i++)
		if (ci_prefix(s, len, device_leads[i]))
			break;
	if (!device_leads[i])
		return false;
	size_t wl = strlen(device_leads[i]);
	if (wl >= len)
		return false;
	for (i = wl; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ')
			words++;
		else if (c < 0x80 && !(c >= '0' && c <= '9') && !(lower(c) >= 'a' && lower(c) <= 'z') &&
		         !strchr("'-.()", c))
			return false;
	}
	return words <= 5;
}

/* "-Abhishek Kona": a dash and one to three capitalised words. */
static bool
is_dash_name(const struct qline *l)
{
	const char *s = l->t;
	size_t len = l->tlen, words = 0;
	bool start = true;

	if (len < 3 || len > 40 || s[0] != '-' || !(s[1] >= 'A' && s[1] <= 'Z'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ') {
			start = true;
			continue;
		}
		if (start && (words++, !(c >= 'A' && c <= 'Z')))
			return false;
		start = false;
		if (!(lower(c) >= 'a' && lower(c) <= 'z') && c != '.' && c != '-' && c < 0x80)
			return false;
	}
	return words <= 3;
}

/* Does a signature start at line i? */
static bool
sig_start(const struct qdoc *d, size_t i)
{
	const struct qline *l = &d->lines[i];
	bool after_blank = i == 0 || line_empty(&d->lines[i - 1]);

	if (l->tlen == 2 && l->t[0] == '-' && l->t[1] == '-' && l->s[0] == '-')
		return true;
	if (after_blank && is_rule(l) && l->t[0] == '_')
		return true;
	return after_blank && is_dash_name(l);
}

/* Is line i the last of the author's text (only blanks, then a quote or the end)? */
static bool
ends_text(const struct qdoc *d, size_t i)
{
	size_t nx = next_nonempty(d, i + 1);

	return nx == d->n || line_quoted(&d->lines[nx]) || header_len(d, nx) > 0 ||
	       quote_is_forward_line(d->lines[nx].t, d->lines[nx].tlen);
}

static void
mark(struct qdoc *d, size_t from, size_t to, enum qkind k)
{
	for (size_t i = from; i < to && i < d->n; i++)
		d->kind[i] = k;
}

/* End (exclusive) of the ">" block that starts at or after line i. */
static size_t
quote_block_end(const struct qdoc *d, size_t i)
{
	size_t end = i;

	for (size_t j = i; j < d->n; j++) {
		if (line_quoted(&d->lines[j]))
			end = j + 1;
		else if (!line_empty(&d->lines[j]))
			break;
	}
	return end;
}

/*
 * A ">" block starts at line q without a recognised header: a short line
 * just above it that ends in ':' and holds a date or address is its
 * attribution (mail.ru, Yandex, Japanese clients). Returns the first line.
 */
static size_t
weak_attribution(const struct qdoc *d, size_t q)
{
	size_t e = q, blanks = 0;

	while (e > 0 && d->kind[e - 1] == Q_TEXT && line_empty(&d->lines[e - 1]) && blanks < 2)
		e--, blanks++;
	if (e == 0 || d->kind[e - 1] != Q_TEXT)
		return q;
	const struct qline *l = &d->lines[e - 1];
	if (l->len > QUOTE_ATTR_MAX || !ends_with_colon(l->s, l->len) ||
	    !has_digit_or_at(l->s, l->len))
		return q;
	return e - 1;
}

/* A header was found at line i (k lines): mark the quote it opens. */
static size_t
mark_header(struct qdoc *d, size_t i, size_t k)
{
	size_t start = i, nx = next_nonempty(d, i + k);

	/* Take the rules and blank lines right above it along. */
	while (start > 0 && d->kind[start - 1] == Q_TEXT &&
	       (line_empty(&d->lines[start - 1]) || is_rule(&d->lines[start - 1])))
		start--;
	if (nx < d->n && line_quoted(&d->lines[nx])) {
		size_t end = quote_block_end(d, nx);

		mark(d, start, end, Q_QUOTE);
		return end;
	}
	mark(d, start, d->n, Q_REST);
	return d->n;
}

static void
classify(struct qdoc *d)
{
	size_t i = 0, k;

	while (i < d->n) {
		if (quote_is_forward_line(d->lines[i].t, d->lines[i].tlen))
			return;
		if ((k = header_len(d, i)) > 0) {
			i = mark_header(d, i, k);
		} else if (line_quoted(&d->lines[i])) {
			size_t end = quote_block_end(d, i);

			mark(d, weak_attribution(d, i), end, Q_QUOTE);
			i = end;
		} else if (is_device_line(&d->lines[i]) && ends_text(d, i)) {
			d->kind[i++] = Q_SIG;   /* a mobile footer: that line only */
		} else if (sig_start(d, i)) {
			size_t j = i + 1;

			while (j < d->n && !line_quoted(&d->lines[j]) && header_len(d, j) == 0 &&
			       !quote_is_forward_line(d->lines[j].t, d->lines[j].tlen))
				j++;
			mark(d, i, j, Q_SIG);
			i = j;
		} else {
			i++;
		}
	}
}

/* Inline replies: some non-empty TEXT line sits between two QUOTE lines. */
static bool
interleaved(const struct qdoc *d)
{
	int state = 0; /* 0: no quote yet, 1: quote seen, 2: then text seen */

	for (size_t i = 0; i < d->n; i++) {
		if (d->kind[i] == Q_QUOTE && state == 2)
			return true;
		if (d->kind[i] == Q_QUOTE)
			state = state ? state : 1;
		else if (d->kind[i] == Q_TEXT && state == 1 && !line_empty(&d->lines[i]))
			state = 2;
	}
	return false;
}

/* The visible text under construction. */
struct vout {
	struct buf b;
	bool sep;       /* lines were removed since the last line written */
};

/* Append line l, right-trimmed; removed lines in between become one blank line. */
static void
emit(struct vout *v, const struct qline *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (line_empty(l) && (v->b.len == 0 || v->sep))
		return;
	if (v->sep) {
		while (v->b.len >= 2 && v->b.data[v->b.len - 1] == '\n' &&
		       v->b.data[v->b.len - 2] == '\n')
			v->b.data[--v->b.len] = '\0';
		quote_out(&v->b, "\n", 1);
		v->sep = false;
	}
	while (len > 0) {
		if (is_space((unsigned char)s[len - 1]))
			len--;
		else if (len >= 2 && (unsigned char)s[len - 2] == 0xc2 && (unsigned char)s[len - 1] == 0xa0)
			len -= 2;
		else
			break;
	}
	quote_out(&v->b, s, len);
	quote_out(&v->b, "\n", 1);
}

static char *
finish(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' || is_space((unsigned char)b->data[b->len - 1])))
		b->data[--b->len] = '\0';
	return buf_steal(b, NULL);
}

static void
assemble(const struct qdoc *d, char **visible_r, char **quoted_r)
{
	struct vout v = {.sep = false};
	struct buf quo;
	bool inl = interleaved(d);
	size_t last = 0;

	buf_init(&v.b, 0);
	buf_init(&quo, 0);
	for (size_t i = 0; i < d->n; i++)
		if (d->kind[i] == Q_TEXT && !line_empty(&d->lines[i]))
			last = i + 1;
	for (size_t i = 0; i < d->n; i++) {
		if (d->kind[i] == Q_TEXT || (inl && d->kind[i] == Q_QUOTE && i < last)) {
			emit(&v, &d->lines[i]);
			continue;
		}
		v.sep = v.b.len > 0;
		if (quo.len > 0 || !line_empty(&d->lines[i])) {
			quote_out(&quo, d->lines[i].s, d->lines[i].len);
			quote_out(&quo, "\n", 1);
		}
	}
	if (v.b.len == 0 && quo.len > 0) {
		/* Nothing of the author's own: show everything rather than nothing. */
		buf_reset(&v.b);
		v.sep = false;
		for (size_t i = 0; i < d->n; i++)
			emit(&v, &d->lines[i]);
		buf_reset(&quo);
	}
	*visible_r = finish(&v.b);
	*quoted_r = finish(&quo);
}

/* Copy text with CRLF and lone CR turned into LF, and index its lines. */
static void
qdoc_init(struct qdoc *d, const char *text)
{
	size_t len = strlen(text), o = 0, cap = 16;

	d->text = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r') {
			d->text[o++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else {
			d->text[o++] = text[i];
		}
	}
	d->text[o] = '\0';
	d->n = 0;
	d->lines = xreallocarray(NULL, cap, sizeof(*d->lines));
	for (const char *p = d->text; p < d->text + o || (p == d->text && o == 0);) {
		const char *nl = memchr(p, '\n', (size_t)(d->text + o - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(d->text + o - p);

		if (d->n == cap)
			d->lines = xreallocarray(d->lines, cap *= 2, sizeof(*d->lines));
		d->lines[d->n].s = p;
		d->lines[d->n].len = l;
		line_scan(&d->lines[d->n++]);
		if (!nl)
			break;
		p = nl + 1;
	}
	d->kind = xcalloc(d->n ? d->n : 1, sizeof(*d->kind));
}

static void
qdoc_fini(struct qdoc *d)
{
	xfree(&d->text);
	xfree(&d->lines);
	xfree(&d->kind);
}

int
quote_split(const char *text, char **visible_r, char **quoted_r)
{
	struct qdoc d;

	qdoc_init(&d, text ? text : "");
	classify(&d);
	assemble(&d, visible_r, quoted_r);
	qdoc_fini(&d);
	return 0;
}
