/*
 * tnef.c: winmail.dat into its real attachments (tnef.h), with libytnef.
 *
 * Where the data is: an attachment's bytes are in PR_ATTACH_DATA_OBJ
 * (binary), or in PR_ATTACH_DATA_OBJ as an object (a 16-byte GUID, then the
 * bytes; when those bytes are TNEF again, an attached Outlook message, its
 * files are unpacked too, up to TNEF_MAX_DEPTH), or in the attAttachData
 * attribute. Its name is PR_ATTACH_LONG_FILENAME, else PR_DISPLAY_NAME, else
 * the 8.3 attAttachTitle, made safe by tnef_safe_name().
 */
/* System. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <ytnef.h>
/* ticketd. */
#include "buf.h"
#include "tnef.h"
#include "log.h"
#include "xalloc.h"

#define TNEF_SIGNATURE 0x223E9F78u
#define TNEF_GUID_LEN 16

bool
tnef_is_tnef(const void *data, size_t len)
{
	const unsigned char *p = data;

	return len >= 4 && data != NULL &&
	       ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	        (uint32_t)p[3] << 24) == TNEF_SIGNATURE;
}

void
tnef_files_free(struct tnef_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		xfree(&f->files[i].name);
		xfree(&f->files[i].mime_type);
		xfree(&f->files[i].data);
	}
	xfree(&f->files);
	xfree(&f->body);
	f->n = f->skipped = f->body_size = 0;
	f->body_type = NULL;
}

/* ------------------------------------------------------------------ names */

static void
tnef_put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (buf_append(b, u, n) < 0)
		return; /* capped: the name is cut */
}

/* UTF-16LE up to the first NUL; lone surrogates become U+FFFD. */
static void
tnef_from_utf16(struct buf *b, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t cp = p[i] | (uint32_t)p[i + 1] << 8;

		if (cp == 0)
			break;
		if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < len) {
			uint32_t lo = p[i + 2] | (uint32_t)p[i + 3] << 8;

			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else
				cp = 0xfffd;
		} else if (cp >= 0xd800 && cp < 0xe000)
			cp = 0xfffd;
		tnef_put_utf8(b, cp);
	}
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
tnef_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
	             (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t cp;

	if (len == 0 || len > n)
		return 0;
	if (len == 1)
		return 1;
	cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return 0;
	return len;
}

/* 8-bit text up to the first NUL: UTF-8 when valid, else Latin-1. */
static void
tnef_from_8bit(struct buf *b, const unsigned char *p, size_t len)
{
	const unsigned char *nul = memchr(p, 0, len);
	bool utf8 = true;
	size_t i, n;

	if (nul != NULL)
		len = (size_t)(nul - p);
	for (i = 0; i < len && utf8; i += n)
		utf8 = (n = tnef_utf8_seq(p + i, len - i)) > 0;
	for (i = 0; i < len; i++)
		if (utf8 || p[i] < 0x80) {
			if (buf_putc(b, (char)p[i]) < 0)
				return;
		} else
			tnef_put_utf8(b, p[i]);
}

static char *
tnef_decode(const unsigned char *raw, size_t len, bool utf16, size_t cap)
{
	struct buf b;

	buf_init(&b, cap);
	if (raw != NULL && utf16)
		tnef_from_utf16(&b, raw, len);
	else if (raw != NULL)
		tnef_from_8bit(&b, raw, len);
	return buf_steal(&b, NULL);
}

/* A short untrusted label (MIME type): decoded, control characters out. */
static char *
tnef_label(const unsigned char *raw, size_t len)
{
	char *s = tnef_decode(raw, len, false, 127);

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ')
			*p = '_';
	if (*s == '\0')
		xfree(&s);
	return s;
}

/*
 * Decode raw (UTF-16LE or 8-bit), keep what follows the last '/' or '\',
 * turn control characters into '_', trim spaces and leading dots, cut at
 * TNEF_NAME_MAX bytes on a character boundary. An empty result becomes
 * "attachment-<index>".
 */
char *
tnef_safe_name(const unsigned char *raw, size_t len, bool utf16, size_t index)
{
	char *s = tnef_decode(raw, len, utf16, 4 * TNEF_NAME_MAX), *base = s, *end;
	size_t n;

	for (char *p = s; *p; p++) {
		if (*p == '/' || *p == '\\')
			base = p + 1;
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	}
	while (*base == ' ' || *base == '.')
		base++;
	n = strlen(base);
	if (n > TNEF_NAME_MAX) {
		n = TNEF_NAME_MAX;
		while (n > 0 && ((unsigned char)base[n] & 0xc0) == 0x80)
			n--;
	}
	end = base + n;
	while (end > base && end[-1] == ' ')
		end--;
	if (end == base) {
		xfree(&s);
		return xasprintf("attachment-%zu", index + 1);
	}
	base = xstrndup(base, (size_t)(end - base));
	xfree(&s);
	return base;
}

/* ------------------------------------------------------------------ unpack */

static variableLength *
tnef_prop(Attachment *a, ULONG type, ULONG id)
{
	variableLength *v = MAPIFindProperty(&a->MAPI, PROP_TAG(type, id));

	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size <= 0)
		return NULL;
	return v;
}

static char *
tnef_attachment_name(Attachment *a, size_t index)
{
	static const ULONG ids[] = { PR_ATTACH_LONG_FILENAME, PR_DISPLAY_NAME };
	variableLength *v;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if ((v = tnef_prop(a, PT_UNICODE, ids[i])) != NULL)
			return tnef_safe_name(v->data, (size_t)v->size, true, index);
		if ((v = tnef_prop(a, PT_STRING8, ids[i])) != NULL)
			return tnef_safe_name(v->data, (size_t)v->size, false, index);
	}
	if (a->Title.data != NULL && a->Title.size > 0)
		return tnef_safe_name(a->Title.data, (size_t)a->Title.size, false, index);
	return tnef_safe_name(NULL, 0, false, index);
}

static int tnef_unpack_level(const unsigned char *data, size_t len, int depth,
                             struct tnef_files *out, struct tk_err *err);

static int
tnef_add(struct tnef_files *out, Attachment *a, const unsigned char *data, size_t len,
         struct tk_err *err)
{
	struct tnef_file *f;
	variableLength *mt;

	if (out->n >= TNEF_MAX_FILES)
		return tk_err_set(err, "tnef: more than %d attachments", TNEF_MAX_FILES);
	out->files = xreallocarray(out->files, out->n + 1, sizeof(*out->files));
	f = &out->files[out->n];
	memset(f, 0, sizeof(*f));
	f->name = tnef_attachment_name(a, out->n);
	mt = tnef_prop(a, PT_STRING8, PR_ATTACH_MIME_TAG);
	if (mt != NULL)
		f->mime_type = tnef_label(mt->data, (size_t)mt->size);
	f->data = xmemdup(len ? data : (const unsigned char *)"", len ? len : 1);
	f->size = len;
	out->n++;
	return 0;
}

static int
tnef_attachment(Attachment *a, int depth, struct tnef_files *out, struct tk_err *err)
{
	variableLength *v;

	if ((v = tnef_prop(a, PT_BINARY, PR_ATTACH_DATA_OBJ)) != NULL)
		return tnef_add(out, a, v->data, (size_t)v->size, err);
	if ((v = tnef_prop(a, PT_OBJECT, PR_ATTACH_DATA_OBJ)) != NULL) {
		const unsigned char *p = v->data + TNEF_GUID_LEN;
		size_t n;

		if ((size_t)v->size <= TNEF_GUID_LEN) {
			out->skipped++;
			return 0;
		}
		n = (size_t)v->size - TNEF_GUID_LEN;
		if (tnef_is_tnef(p, n))
			return tnef_unpack_level(p, n, depth + 1, out, err);
		return tnef_add(out, a, p, n, err);
	}
	if (a->FileData.data != NULL && a->FileData.size > 0)
		return tnef_add(out, a, a->FileData.data, (size_t)a->FileData.size, err);
	out->skipped++;
	return 0;
}

static void
tnef_set_body(struct tnef_files *out, const void *data, size_t len, const char *type)
{
	out->body = xmalloc(len + 1);
	memcpy(out->body, data, len);
	out->body[len] = '\0';
	out->body_size = len;
	out->body_type = type;
}

/* The top-level message body, best form first (see struct tnef_files). */
static void
tnef_body(TNEFStruct *tnef, struct tnef_files *out)
{
	MAPIProps *m = &tnef->MapiProperties;
	variableLength *v;
	BYTE *rtf;
	int size = 0;

	if ((v = MAPIFindProperty(m, PROP_TAG(PT_BINARY, PR_BODY_HTML))) == MAPI_UNDEFINED)
		v = MAPIFindProperty(m, PROP_TAG(PT_STRING8, PR_BODY_HTML));
	if (v != MAPI_UNDEFINED && v != NULL && v->data != NULL && v->size > 0) {
		tnef_set_body(out, v->data, strnlen((char *)v->data, (size_t)v->size), "text/html");
		return;
	}
	if ((v = MAPIFindProperty(m, PROP_TAG(PT_UNICODE, PR_BODY))) != MAPI_UNDEFINED &&
	    v != NULL && v->data != NULL && v->size > 0) {
		char *t = tnef_decode(v->data, (size_t)v->size, true, 0);

		tnef_set_body(out, t, strlen(t), "text/plain");
		xfree(&t);
		return;
	}
	if ((v = MAPIFindProperty(m, PROP_TAG(PT_STRING8, PR_BODY))) == MAPI_UNDEFINED)
		v = tnef->body.size > 0 ? &tnef->body : NULL;
	if (v != MAPI_UNDEFINED && v != NULL && v->data != NULL && v->size > 0) {
		tnef_set_body(out, v->data, strnlen((char *)v->data, (size_t)v->size), "text/plain");
		return;
	}
	v = MAPIFindProperty(m, PROP_TAG(PT_BINARY, PR_RTF_COMPRESSED));
	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size <= 16)
		return;
	rtf = DecompressRTF(v, &size);
	if (rtf != NULL && size > 0)
		tnef_set_body(out, rtf, (size_t)size, "text/rtf");
	free(rtf);
}

/*
 * libytnef prints its complaints with printf ("ERROR: invalid alloc size
 * ..."): they are captured (log.h) and become part of the error, which the
 * caller records with the message it concerns, instead of stray lines on
 * the daemon's stdout.
 */
struct tnef_parse {
	BYTE *data;
	long len;
	TNEFStruct *tnef;
	int rc;
};

static void
tnef_parse_quietly(void *arg)
{
	struct tnef_parse *p = arg;

	p->rc = TNEFParseMemory(p->data, p->len, p->tnef);
}

static int
tnef_unpack_level(const unsigned char *data, size_t len, int depth, struct tnef_files *out,
                  struct tk_err *err)
{
	TNEFStruct tnef;
	BYTE *copy;
	int rc = 0;

	if (depth > TNEF_MAX_DEPTH)
		return tk_err_set(err, "tnef: nested deeper than %d levels", TNEF_MAX_DEPTH);
	if (!tnef_is_tnef(data, len))
		return tk_err_set(err, "tnef: not a TNEF stream (bad signature)");
	if (len > INT32_MAX)
		return tk_err_set(err, "tnef: stream too large (%zu bytes)", len);
	copy = xmemdup(data, len);
	TNEFInitialize(&tnef);
	tnef.Debug = 0;
	struct tnef_parse p = { copy, (long)len, &tnef, 0 };
	char *said = log_capture_stdout(tnef_parse_quietly, &p), clip[256];

	if (p.rc < 0)
		rc = tk_err_set(err, "tnef: malformed stream (%zu bytes)%s%s", len,
		                said ? ": libytnef: " : "", said ? log_clip(clip, sizeof(clip), said) : "");
	else if (said)
		log_debug("tnef: libytnef: %s", log_clip(clip, sizeof(clip), said));
	free(said);
	if (rc == 0 && depth == 0)
		tnef_body(&tnef, out);
	for (Attachment *a = tnef.starting_attach.next; rc == 0 && a != NULL; a = a->next)
		rc = tnef_attachment(a, depth, out, err);
	TNEFFree(&tnef);
	xfree(&copy);
	return rc;
}

int
tnef_unpack(const void *data, size_t len, struct tnef_files *out, struct tk_err *err)
{
	memset(out, 0, sizeof(*out));
	if (tnef_unpack_level(data, len, 0, out, err) < 0) {
		tnef_files_free(out);
		return -1;
	}
	return 0;
}
