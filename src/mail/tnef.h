/*
 * tnef.h: unpack a TNEF stream (Outlook's winmail.dat, application/ms-tnef)
 * into the files it carries, so each can be scanned and stored as a real
 * attachment. Parsing is done by libytnef on a private copy of the input;
 * the input is untrusted and never crashes the caller.
 */
#ifndef TK_TNEF_H
#define TK_TNEF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Limits against hostile streams. */
#define TNEF_MAX_FILES 256
#define TNEF_MAX_DEPTH 4        /* TNEF inside TNEF (attached Outlook messages) */
#define TNEF_NAME_MAX 255       /* bytes of UTF-8 in a file name */

struct tnef_file {
	char *name;             /* UTF-8, no directory part, never empty */
	char *mime_type;        /* from the stream (PR_ATTACH_MIME_TAG), or NULL; untrusted */
	unsigned char *data;
	size_t size;
};

struct tnef_files {
	struct tnef_file *files;
	size_t n;
	size_t skipped;         /* attachments without data (OLE objects, links) */
	/*
	 * The message body carried inside the stream (Outlook often sends the
	 * whole text only there), or NULL: HTML (PR_BODY_HTML), else plain text
	 * (PR_BODY, UTF-8 or as sent), else RTF (PR_RTF_COMPRESSED, decompressed).
	 */
	unsigned char *body;
	size_t body_size;
	const char *body_type;  /* "text/html", "text/plain", "text/rtf"; static */
};

/* Whether data starts with the TNEF signature (0x223E9F78, little-endian). */
bool tnef_is_tnef(const void *data, size_t len);

/*
 * Unpack the TNEF stream data (len bytes) into out (set up by this call;
 * free it with tnef_files_free()). Returns 0, or -1 with err set when the
 * stream is not TNEF, is malformed, or carries more than TNEF_MAX_FILES;
 * then out is empty and the caller keeps winmail.dat as it is.
 */
int tnef_unpack(const void *data, size_t len, struct tnef_files *out, struct tk_err *err);

/* Free every file of f and leave it empty. */
void tnef_files_free(struct tnef_files *f);

/* Make a safe file name (exposed for tests): see tnef.c. Caller frees. */
char *tnef_safe_name(const unsigned char *raw, size_t len, bool utf16, size_t index);

#endif
