/*
 * mime_text.c: bytes to text for the MIME parser. Content-transfer
 * decoding (base64, quoted-printable) and charset conversion to UTF-8
 * through iconv, with invalid input replaced by U+FFFD (one per maximal
 * invalid subsequence, as Unicode recommends), never silently dropped.
 *
 * Text without a usable charset (none declared, us-ascii with 8-bit bytes,
 * or a charset iconv does not know) is read as UTF-8 when it is valid
 * UTF-8 and as windows-1252 otherwise: modern mail is UTF-8, old mail is
 * mostly Latin-1/windows-1252, and windows-1252 maps every byte. Text
 * that is invalid in its declared multi-byte charset but valid UTF-8 is
 * taken as (mislabelled) UTF-8.
 *
 * The base64 and quoted-printable decoders follow CPython's binascii
 * (what the reference corpus was made with): base64 skips characters
 * outside the alphabet and stops at the first complete padding;
 * quoted-printable keeps a malformed "=" as it is.
 */
/* System. */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "mime_int.h"
#include "xalloc.h"

static const char fffd[] = "\xef\xbf\xbd";

/* Make room for n more bytes (plus the NUL) without changing len. */
static void
mime_buf_grow(struct buf *b, size_t n)
{
	size_t len = b->len;

	mime_buf_add(b, NULL, 0);
	b->data = xrealloc(b->data, b->len + n + 1);
	b->alloc = b->len + n + 1;
	b->len = len;
}

void
mime_buf_add(struct buf *b, const void *p, size_t n)
{
	/* Buffers in the parser have no cap; the message size is capped. */
	if (buf_append(b, p, n) < 0)
		abort();
}

/* Base64 alphabet value of each byte, -1 outside the alphabet. */
static const signed char b64_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

void
mime_base64_decode(const char *in, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *o;
	size_t k = 0;
	unsigned acc = 0;
	int quad = 0, pads = 0;

	/* Reserve the worst case, write in place, then fix the length. */
	if (buf_append(out, NULL, 0) < 0 || n / 4 * 3 + 3 > out->alloc - out->len - 1)
		mime_buf_grow(out, n / 4 * 3 + 3);
	o = (unsigned char *)out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		int v = b64_values[s[i]];

		if (v < 0) {
			if (s[i] == '=' && quad >= 2 && quad + ++pads >= 4)
				break;
			continue;
		}
		acc = (acc << 6) | (unsigned)v;
		if (++quad == 4) {
			o[k++] = (unsigned char)(acc >> 16);
			o[k++] = (unsigned char)(acc >> 8);
			o[k++] = (unsigned char)acc;
			acc = 0;
			quad = 0;
			pads = 0;
		}
	}
	/* A dangling partial group still yields its whole bytes. */
	if (quad == 2) {
		o[k++] = (unsigned char)(acc >> 4);
	} else if (quad == 3) {
		o[k++] = (unsigned char)(acc >> 10);
		o[k++] = (unsigned char)(acc >> 2);
	}
	out->len += k;
	out->data[out->len] = '\0';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
mime_qp_decode(const char *in, size_t n, bool header, struct buf *out)
{
	size_t i = 0, start = 0;

	while (i < n) {
		char c = in[i];

		if (c != '=' && !(header && c == '_')) {
			i++;
			continue;
		}
		mime_buf_add(out, in + start, i - start);
		if (c == '_') {
			mime_buf_add(out, " ", 1);
			start = ++i;
			continue;
		}
		i++;
		if (i >= n) {
			start = i;
			break;
		}
		if (in[i] == '\n' || in[i] == '\r') {
			/* Soft line break. */
			while (i < n && in[i] != '\n')
				i++;
			if (i < n)
				i++;
		} else if (in[i] == '=') {
			mime_buf_add(out, "=", 1);
			i++;
		} else if (i + 1 < n && hexval((unsigned char)in[i]) >= 0 &&
		           hexval((unsigned char)in[i + 1]) >= 0) {
			char b = (char)(hexval((unsigned char)in[i]) << 4 |
			                hexval((unsigned char)in[i + 1]));
			mime_buf_add(out, &b, 1);
			i += 2;
		} else {
			mime_buf_add(out, "=", 1);
		}
		start = i;
	}
	mime_buf_add(out, in + start, n - start);
}

/*
 * Length of the valid UTF-8 sequence at s, or 0 when it is invalid; then
 * *bad_r is the length of its maximal invalid prefix (at least 1).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, size_t *bad_r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*bad_r = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad_r = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Length of the leading run of ASCII bytes other than NUL (8 at a time). */
static size_t
ascii_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((w & highs) || ((w - ones) & ~w & highs))
			break;
	}
	while (i < n && s[i] >= 0x01 && s[i] < 0x80)
		i++;
	return i;
}

bool
mime_utf8_valid(const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, bad;

	while (i < n) {
		size_t k;

		i += ascii_run(s + i, n - i);
		if (i >= n)
			break;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i, &bad);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Append UTF-8 with every invalid subsequence and NUL replaced by U+FFFD. */
static void
utf8_repair(const char *in, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, start = 0, bad;

	while (i < n) {
		size_t k;

		i += ascii_run(s + i, n - i);
		if (i >= n)
			break;
		k = s[i] ? utf8_seq(s + i, n - i, &bad) : 0;
		if (s[i] == 0)
			bad = 1;
		if (k) {
			i += k;
			continue;
		}
		mime_buf_add(out, in + start, i - start);
		mime_buf_add(out, fffd, 3);
		i += bad;
		start = i;
	}
	mime_buf_add(out, in + start, n - start);
}

char *
mime_utf8_clean(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	utf8_repair(s, n, &b);
	return buf_steal(&b, NULL);
}

/* windows-1252 0x80-0x9f; the five holes map to C1 controls (WHATWG). */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static void
put_cp(struct buf *out, unsigned cp)
{
	char u[3];

	if (cp < 0x80) {
		u[0] = (char)cp;
		mime_buf_add(out, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		mime_buf_add(out, u, 2);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		mime_buf_add(out, u, 3);
	}
}

static void
single_byte(const char *in, size_t n, bool cp1252, struct buf *out)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x01 && c < 0x80)
			continue;
		mime_buf_add(out, in + start, i - start);
		if (c == 0)
			mime_buf_add(out, fffd, 3);
		else if (cp1252 && c < 0xa0)
			put_cp(out, cp1252_c1[c - 0x80]);
		else
			put_cp(out, c);
		start = i + 1;
	}
	mime_buf_add(out, in + start, n - start);
}

void
mime_utf8_or_1252(const char *in, size_t n, struct buf *out)
{
	if (mime_utf8_valid(in, n))
		utf8_repair(in, n, out);   /* only NULs change */
	else
		single_byte(in, n, true, out);
}

/* Normalise a charset label into dst: lower case, no quotes or blanks. */
static void
charset_norm(const char *cs, char *dst, size_t dstlen)
{
	size_t k = 0;

	for (; *cs && k + 1 < dstlen; cs++) {
		char c = *cs;

		if (c == '"' || c == '\'' || c == ' ' || c == '\t')
			continue;
		dst[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	dst[k] = '\0';
}

static const struct {
	const char *label, *iconv_name;
} charset_aliases[] = {
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "gb2312", "GBK" },          /* GB2312 labels usually carry GBK text */
	{ "x-gbk", "GBK" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "x-euc-jp", "EUC-JP" },
	{ "x-mac-cyrillic", "MAC-CYRILLIC" },
	{ "x-mac-roman", "MACINTOSH" },
};

static iconv_t
charset_open(const char *label)
{
	iconv_t cd;

	for (size_t i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]); i++)
		if (strcmp(label, charset_aliases[i].label) == 0)
			return iconv_open("UTF-8", charset_aliases[i].iconv_name);
	cd = iconv_open("UTF-8", label);
	if (cd == (iconv_t)-1 && strncmp(label, "x-", 2) == 0)
		cd = iconv_open("UTF-8", label + 2);
	return cd;
}

/* Convert through iconv; invalid input becomes U+FFFD. Returns the number of errors. */
static size_t
iconv_convert(iconv_t cd, const char *in, size_t n, struct buf *tmp)
{
	size_t errors = 0;
	char chunk[4096];
	char *ip = (char *)in;
	size_t ileft = n;

	while (ileft > 0) {
		char *op = chunk;
		size_t oleft = sizeof(chunk);
		size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
		int e = errno;

		mime_buf_add(tmp, chunk, sizeof(chunk) - oleft);
		if (r != (size_t)-1)
			break;
		if (e == E2BIG)
			continue;
		mime_buf_add(tmp, fffd, 3);
		errors++;
		if (e != EILSEQ)
			break;   /* EINVAL: truncated sequence at the end */
		ip++;
		ileft--;
	}
	{
		char *op = chunk;
		size_t oleft = sizeof(chunk);

		iconv(cd, NULL, NULL, &op, &oleft);
		mime_buf_add(tmp, chunk, sizeof(chunk) - oleft);
	}
	return errors;
}

/*
 * ISO-2022-JP as mail clients read it (CP50221): rewrite it as EUC-JP
 * bytes and decode those as EUC-JP-MS, which has the NEC and IBM
 * extensions (circled digits, No.) that strict ISO-2022-JP lacks. Returns
 * false (nothing appended) on escapes other than ASCII, JIS-Roman, JIS
 * X 0208 and half-width katakana.
 */
static bool
iso2022jp_to_eucjp(const char *in, size_t n, struct buf *euc)
{
	enum { ASCII, KANJI, KANA } mode = ASCII;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == 0x1b) {
			if (i + 2 >= n)
				return false;
			if (in[i + 1] == '$' && (in[i + 2] == 'B' || in[i + 2] == '@'))
				mode = KANJI;
			else if (in[i + 1] == '(' && (in[i + 2] == 'B' || in[i + 2] == 'J'))
				mode = ASCII;
			else if (in[i + 1] == '(' && in[i + 2] == 'I')
				mode = KANA;
			else
				return false;
			i += 2;
		} else if (c == '\r' || c == '\n' || c >= 0x80 || mode == ASCII) {
			mime_buf_add(euc, &c, 1);
		} else if (mode == KANA) {
			unsigned char k[2] = { 0x8e, (unsigned char)(c | 0x80) };

			mime_buf_add(euc, k, 2);
		} else if (i + 1 < n) {
			unsigned char k[2] = { (unsigned char)(c | 0x80), (unsigned char)(in[++i] | 0x80) };

			mime_buf_add(euc, k, 2);
		}
	}
	return true;
}

void
mime_to_utf8(const char *charset, const char *in, size_t n, struct buf *out)
{
	char label[64];
	iconv_t cd;
	struct buf tmp;

	label[0] = '\0';
	if (charset)
		charset_norm(charset, label, sizeof(label));
	if (label[0] == '\0' || strcmp(label, "us-ascii") == 0 || strcmp(label, "ascii") == 0 ||
	    strcmp(label, "unknown-8bit") == 0 || strcmp(label, "x-unknown") == 0) {
		mime_utf8_or_1252(in, n, out);
		return;
	}
	if (strcmp(label, "utf-8") == 0 || strcmp(label, "utf8") == 0) {
		utf8_repair(in, n, out);
		return;
	}
	if (strcmp(label, "iso-8859-1") == 0 || strcmp(label, "latin1") == 0 ||
	    strcmp(label, "iso8859-1") == 0) {
		single_byte(in, n, false, out);
		return;
	}
	if (strcmp(label, "windows-1252") == 0 || strcmp(label, "cp1252") == 0) {
		single_byte(in, n, true, out);
		return;
	}
	if (strcmp(label, "iso-2022-jp") == 0) {
		struct buf euc;
		bool ok;

		buf_init(&euc, 0);
		ok = iso2022jp_to_eucjp(in, n, &euc) &&
		     (cd = iconv_open("UTF-8", "EUC-JP-MS")) != (iconv_t)-1;
		if (ok) {
			buf_init(&tmp, 0);
			iconv_convert(cd, euc.data ? euc.data : "", euc.len, &tmp);
			iconv_close(cd);
			utf8_repair(tmp.data ? tmp.data : "", tmp.len, out);
			buf_fini(&tmp);
		}
		buf_fini(&euc);
		if (ok)
			return;
	}
	cd = charset_open(label);
	if (cd == (iconv_t)-1) {
		mime_utf8_or_1252(in, n, out);
		return;
	}
	buf_init(&tmp, 0);
	/* Mislabelled UTF-8 (it fails the declared charset but is valid UTF-8). */
	if (iconv_convert(cd, in, n, &tmp) > 0 && ascii_run((const unsigned char *)in, n) < n &&
	    mime_utf8_valid(in, n))
		utf8_repair(in, n, out);
	else
		utf8_repair(tmp.data ? tmp.data : "", tmp.len, out);
	iconv_close(cd);
	buf_fini(&tmp);
}
