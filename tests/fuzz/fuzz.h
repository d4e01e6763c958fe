/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share (README.md there).
 *
 * A target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput(); it
 * checks the documented contract of the code it drives (no crash, no leak,
 * and the properties its header promises) and calls fuzz_fail() when one
 * does not hold, which libFuzzer reports as a crash with the input saved.
 */
#ifndef TK_FUZZ_H
#define TK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Logging down to errors only (the inputs are hostile on purpose); the first call counts. */
void fuzz_init(void);
/* A NUL-terminated copy of n bytes (NUL bytes inside are kept); caller frees. */
char *fuzz_strndup(const uint8_t *data, size_t n);
/*
 * Cut the next field off *data: the bytes up to the next '\n' (or all that
 * is left), as a new string (caller frees); *data and *size move past it.
 */
char *fuzz_field(const uint8_t **data, size_t *size);
/* Report a broken property (printf-style) and abort: libFuzzer keeps the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The offset of the first byte of s (NULL allowed) that is not valid UTF-8, or -1. */
long fuzz_utf8_bad(const char *s);
/* fuzz_fail() unless s (NULL allowed) is valid UTF-8 without NUL; what names it. */
void fuzz_check_utf8(const char *what, const char *s);
/*
 * fuzz_fail() unless v has the shape quote.h promises for visible text: no
 * CR, no white space at the end of a line, no blank line first or last.
 */
void fuzz_check_visible(const char *v);
/*
 * A private directory, made on the first call and removed at exit, for
 * targets whose code under test reads files; returns its path.
 */
const char *fuzz_tmpdir(void);
/* Write len bytes to dir/name (fuzz_fail() when it cannot). */
void fuzz_write(const char *dir, const char *name, const void *data, size_t len);

#endif
