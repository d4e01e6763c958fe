/*
 * test_scan.c: the scanner (src/scan*.c) with the real libclamav and a
 * signature database built here from the EICAR test string; the clamd
 * backend against a scripted fake clamd on a unix socket (the boundary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>

#include "scan.h"
#include "scan_int.h"
#include "xalloc.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define EICAR_HDB "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"
#define SAMPLE2 "ticketd test sample two: harmless text that a new signature names"

struct fixture {
	char dir[64];        /* temp dir: db/ for signatures, sockets */
	char *db;            /* dir/db */
	struct scan_config cfg;
	struct scan *s;
	pid_t clamd_pid;     /* a real clamd started by the test, or 0 */
};

/* ------------------------------------------------------------------ helpers */

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Replace path atomically (as freshclam does) with a later mtime. */
static void
replace_file(const char *path, const char *text, int mtime_ahead)
{
	/* Written beside the signature directory, not in it: a scan must see only
	 * the final rename, never a half-made file, or it reloads twice. */
	const char *slash = strrchr(path, '/');
	char *tmp = xasprintf("%.*s/../%s.tmp", (int)(slash - path), path, slash + 1);
	struct timespec ts[2];

	write_file(tmp, text, strlen(text));
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += mtime_ahead;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	assert_int_equal(rename(tmp, path), 0);
	xfree(&tmp);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = xnew(struct fixture);
	char *hdb;

	snprintf(f->dir, sizeof(f->dir), "/tmp/tk-scan-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db = xasprintf("%s/db", f->dir);
	assert_int_equal(mkdir(f->db, 0700), 0);
	hdb = xasprintf("%s/test.hdb", f->db);
	write_file(hdb, EICAR_HDB, strlen(EICAR_HDB));
	xfree(&hdb);
	scan_config_init(&f->cfg);
	xfree(&f->cfg.signatures);
	f->cfg.signatures = xstrdup(f->db);
	f->cfg.reload_check_interval_ms = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	scan_free(&f->s);
	scan_config_fini(&f->cfg);
	if (f->clamd_pid > 0) {
		kill(f->clamd_pid, SIGTERM);
		waitpid(f->clamd_pid, NULL, 0);
	}
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	xfree(&f->db);
	xfree(&f);
	return 0;
}

static void
start(struct fixture *f)
{
	struct tk_err err;

	if (scan_new(&f->cfg, &f->s, &err) < 0)
		fail_msg("scan_new: %s", err.msg);
}

static struct scan_result
check(struct fixture *f, const void *data, size_t len)
{
	struct scan_result res;
	struct tk_err err;

	assert_int_equal(scan_check(f->s, data, len, "t.bin", &res, &err), 0);
	return res;
}

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static unsigned char *
put16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	return p + 2;
}

static unsigned char *
put32(unsigned char *p, uint32_t v)
{
	p = put16(p, v & 0xffff);
	return put16(p, v >> 16);
}

/*
 * A one-entry stored zip of data named name. encrypted sets the
 * "encrypted" flag and prefixes a 12-byte (fake) ZipCrypto header.
 */
static size_t
make_zip(unsigned char *out, const char *name, const void *data, size_t len, int encrypted)
{
	size_t nl = strlen(name), csize = len + (encrypted ? 12 : 0);
	uint32_t crc = crc32_of(data, len);
	unsigned char *p = out, *cd, *eocd;

	p = put32(p, 0x04034b50);
	p = put16(p, 10);
	p = put16(p, encrypted ? 1 : 0);
	p = put16(p, 0);
	p = put32(p, 0);
	p = put32(p, crc);
	p = put32(p, (uint32_t)csize);
	p = put32(p, (uint32_t)len);
	p = put16(p, (unsigned)nl);
	p = put16(p, 0);
	memcpy(p, name, nl);
	p += nl;
	if (encrypted) {
		memcpy(p, "\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc", 12);
		p += 12;
	}
	memcpy(p, data, len);
	p += len;
	cd = p;
	p = put32(p, 0x02014b50);
	p = put16(p, 20);
	p = put16(p, 10);
	p = put16(p, encrypted ? 1 : 0);
	p = put16(p, 0);
	p = put32(p, 0);
	p = put32(p, crc);
	p = put32(p, (uint32_t)csize);
	p = put32(p, (uint32_t)len);
	p = put16(p, (unsigned)nl);
	p = put32(p, 0);    /* extra, comment length */
	p = put32(p, 0);    /* disk, internal attributes */
	p = put32(p, 0);    /* external attributes */
	p = put32(p, 0);    /* local header offset */
	memcpy(p, name, nl);
	p += nl;
	eocd = p;
	p = put32(p, 0x06054b50);
	p = put32(p, 0);
	p = put16(p, 1);
	p = put16(p, 1);
	p = put32(p, (uint32_t)(eocd - cd));
	p = put32(p, (uint32_t)(cd - out));
	p = put16(p, 0);
	return (size_t)(p - out);
}

/* ------------------------------------------------------------------ config */

static int
load_config(const char *yaml, struct scan_config *cfg, struct tk_errlist *errs)
{
	struct ynode *root = NULL;
	int rc;

	tk_errlist_init(errs);
	scan_config_init(cfg);
	assert_int_equal(ynode_load_string("t.yaml", yaml, strlen(yaml), &root, errs), 0);
	rc = scan_config_load(ynode_get(root, "scan"), cfg, errs);
	ynode_free(&root);
	return rc;
}

static void
test_config_defaults(void **state)
{
	struct scan_config cfg;
	struct tk_errlist errs;

	assert_int_equal(load_config("other: 1\n", &cfg, &errs), 0);
	assert_true(cfg.enabled);
	assert_int_equal(cfg.backend, SCAN_BACKEND_LIBCLAMAV);
	assert_string_equal(cfg.signatures, "/var/lib/clamav");
	assert_int_equal(cfg.on_error, SCAN_ON_ERROR_QUARANTINE);
	assert_int_equal(cfg.max_attachment_size, 25 * 1024 * 1024);
	assert_int_equal(cfg.n_blocked_types, 0);
	scan_config_fini(&cfg);
	tk_errlist_fini(&errs);
}

static void
test_config_all_keys(void **state)
{
	struct scan_config cfg;
	struct tk_errlist errs;

	assert_int_equal(load_config("scan:\n"
	                             "  enabled: false\n"
	                             "  backend: clamd\n"
	                             "  signatures: /srv/sigs\n"
	                             "  clamd_socket: /run/c.sock\n"
	                             "  clamd_timeout: 5s\n"
	                             "  max_attachment_size: 10M\n"
	                             "  max_message_size: 20M\n"
	                             "  blocked_types: [application/x-dosexec, 'application/x-*']\n"
	                             "  allowed_types: [text/*, image/png]\n"
	                             "  on_error: accept\n"
	                             "  reload_check_interval: 2m\n",
	                             &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_false(cfg.enabled);
	assert_int_equal(cfg.backend, SCAN_BACKEND_CLAMD);
	assert_string_equal(cfg.signatures, "/srv/sigs");
	assert_string_equal(cfg.clamd_socket, "/run/c.sock");
	assert_int_equal(cfg.clamd_timeout_ms, 5000);
	assert_int_equal(cfg.max_attachment_size, 10 * 1024 * 1024);
	assert_int_equal(cfg.max_message_size, 20 * 1024 * 1024);
	assert_int_equal(cfg.n_blocked_types, 2);
	assert_string_equal(cfg.blocked_types[1], "application/x-*");
	assert_int_equal(cfg.n_allowed_types, 2);
	assert_string_equal(cfg.allowed_types[0], "text/*");
	assert_int_equal(cfg.on_error, SCAN_ON_ERROR_ACCEPT);
	assert_int_equal(cfg.reload_check_interval_ms, 120000);
	scan_config_fini(&cfg);
	tk_errlist_fini(&errs);
}

static void
test_config_errors(void **state)
{
	struct scan_config cfg;
	struct tk_errlist errs;

	assert_int_equal(load_config("scan:\n"
	                             "  enabeld: false\n"
	                             "  enabled: maybe\n"
	                             "  backend: clamav\n"
	                             "  signatures: relative/dir\n"
	                             "  blocked_types: [exe, 'a/b/c', {x: 1}]\n"
	                             "  allowed_types: text/plain\n"
	                             "  on_error: drop\n"
	                             "  max_attachment_size: lots\n"
	                             "  reload_check_interval: -1s\n",
	                             &cfg, &errs), -1);
	assert_int_equal(errs.n, 11);
	assert_string_equal(errs.items[0], "t.yaml:2:3: unknown field \"enabeld\" in scan");
	assert_string_equal(errs.items[1], "t.yaml:3:12: expected true or false");
	assert_string_equal(errs.items[2],
	                    "t.yaml:4:12: unknown backend \"clamav\" (expected libclamav or clamd)");
	assert_string_equal(errs.items[3],
	                    "t.yaml:5:15: expected an absolute path, found \"relative/dir\"");
	assert_non_null(strstr(errs.items[4], "t.yaml:6:19: \"exe\" is not a MIME type pattern"));
	assert_non_null(strstr(errs.items[5], "t.yaml:6:24: \"a/b/c\" is not a MIME type"));
	assert_non_null(strstr(errs.items[6], "t.yaml:6:33: expected a string"));
	assert_non_null(strstr(errs.items[7], "t.yaml:7:18: expected a list of MIME types"));
	assert_non_null(strstr(errs.items[8], "t.yaml:8:13: unknown on_error \"drop\""));
	assert_non_null(strstr(errs.items[9], "t.yaml:9:24: expected a size"));
	assert_non_null(strstr(errs.items[10], "t.yaml:10:26: expected a duration"));
	scan_config_fini(&cfg);
	tk_errlist_fini(&errs);

	assert_int_equal(load_config("scan:\n  max_attachment_size: 60M\n  max_message_size: 50M\n",
	                             &cfg, &errs), -1);
	assert_non_null(strstr(errs.items[0], "t.yaml:2:24: max_attachment_size"));
	scan_config_fini(&cfg);
	tk_errlist_fini(&errs);

	assert_int_equal(load_config("scan: [1, 2]\n", &cfg, &errs), -1);
	assert_string_equal(errs.items[0], "t.yaml:1:7: scan must be a mapping");
	scan_config_fini(&cfg);
	tk_errlist_fini(&errs);
}

static void
test_type_match(void **state)
{
	assert_true(scan_type_match("application/x-*", "application/x-dosexec"));
	assert_true(scan_type_match("application/x-dosexec", "Application/X-DOSEXEC"));
	assert_true(scan_type_match("*/*", "text/plain"));
	assert_false(scan_type_match("application/x-*", "application/zip"));
	assert_false(scan_type_match("text/*", "application/text"));
	assert_string_equal(scan_verdict_name(SCAN_BLOCKED), "blocked");
	assert_string_equal(scan_verdict_name(SCAN_UNSCANNED), "unscanned");
}

/* ------------------------------------------------------------------ libclamav */

static void
test_eicar_plain(void **state)
{
	struct fixture *f = *state;
	struct scan_result res;
	unsigned gen, sigs;

	start(f);
	scan_engine_info(f->s, &gen, &sigs);
	assert_int_equal(gen, 1);
	assert_int_equal(sigs, 1);
	res = check(f, EICAR, 68);
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_non_null(strstr(res.detail, "Eicar-Test-Signature"));
	/* One byte less is another file: not detected by a hash signature. */
	res = check(f, EICAR, 67);
	assert_int_equal(res.verdict, SCAN_CLEAN);
	assert_string_equal(res.detail, "");
}

static void
test_eicar_zip(void **state)
{
	struct fixture *f = *state;
	unsigned char zip[512];
	size_t n = make_zip(zip, "readme.txt", EICAR, 68, 0);
	struct scan_result res;

	start(f);
	res = check(f, zip, n);
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_non_null(strstr(res.detail, "Eicar-Test-Signature"));
	assert_string_equal(res.content_type, "application/zip");
	/* The same zip around harmless text is clean. */
	n = make_zip(zip, "readme.txt", SAMPLE2, strlen(SAMPLE2), 0);
	assert_int_equal(check(f, zip, n).verdict, SCAN_CLEAN);
}

static void
test_encrypted_zip_is_error(void **state)
{
	struct fixture *f = *state;
	unsigned char zip[512];
	size_t n = make_zip(zip, "secret.doc", SAMPLE2, strlen(SAMPLE2), 1);
	struct scan_result res;

	start(f);
	res = check(f, zip, n);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_non_null(strstr(res.detail, "encrypted"));
}

/* A forwarded mail (message/rfc822 part) with EICAR in base64, odd line lengths. */
static void
test_eicar_in_forwarded_message(void **state)
{
	struct fixture *f = *state;
	static const char msg[] =
		"From: a@example.com\r\nTo: b@example.com\r\nSubject: fwd\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
		"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
		"--XX\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; filename=\"e.com\"\r\n\r\n"
		"WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSL\r\n"
		"VNUQU5EQVJELUFOVElWSVJVUy1URVN\r\n"
		"ULUZJTEUhJEgrSCo=\r\n"
		"--XX--\r\n";
	struct scan_result res;

	start(f);
	res = check(f, msg, sizeof(msg) - 1);
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_non_null(strstr(res.detail, "Eicar-Test-Signature"));
}

static void
test_clean_text(void **state)
{
	struct fixture *f = *state;
	struct scan_result res;

	start(f);
	res = check(f, "Hello, my printer is broken again.\n", 35);
	assert_int_equal(res.verdict, SCAN_CLEAN);
	assert_string_equal(res.content_type, "text/plain");
	res = check(f, "", 0);
	assert_int_equal(res.verdict, SCAN_CLEAN);
	assert_string_equal(res.content_type, "application/x-empty");
}

static void
test_size_limits(void **state)
{
	struct fixture *f = *state;
	char big[201];
	struct scan_result res;

	memset(big, 'a', sizeof(big));
	f->cfg.max_attachment_size = 200;
	f->cfg.max_message_size = 1000;
	start(f);
	res = check(f, big, 200);
	assert_int_equal(res.verdict, SCAN_CLEAN);
	res = check(f, big, 201);
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.detail, "size 201 bytes exceeds max_attachment_size 200");
	assert_int_equal(scan_check_message_size(f->s, 1000, &res), 0);
	assert_int_equal(scan_check_message_size(f->s, 1001, &res), 1);
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.detail, "message size 1001 bytes exceeds max_message_size 1000");
}

/* 64-byte ELF header of an x86-64 executable, and a DOS/PE "MZ" stub. */
static void
make_elf(unsigned char *p)
{
	memset(p, 0, 256);
	memcpy(p, "\x7f" "ELF\x02\x01\x01", 7);
	p[16] = 2;          /* ET_EXEC */
	p[18] = 0x3e;       /* x86-64 */
	p[20] = 1;          /* EV_CURRENT */
	p[52] = 64;         /* e_ehsize */
}

static void
test_blocked_types(void **state)
{
	struct fixture *f = *state;
	unsigned char elf[256], mz[256], zip[1024];
	struct scan_result res;
	size_t n;

	make_elf(elf);
	memset(mz, 0, sizeof(mz));
	memcpy(mz, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", 14);
	f->cfg.blocked_types = xcalloc(2, sizeof(char *));
	f->cfg.blocked_types[0] = xstrdup("application/x-*");
	f->cfg.n_blocked_types = 1;
	start(f);
	/* The name says .txt; the content says executable. */
	assert_int_equal(scan_check(f->s, elf, sizeof(elf), "notes.txt", &res, NULL), 0);
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.content_type, "application/x-executable");
	assert_string_equal(res.detail,
	                    "type application/x-executable is blocked (blocked_types: application/x-*)");
	res = check(f, mz, sizeof(mz));
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.content_type, "application/x-dosexec");
	n = make_zip(zip, "a.txt", SAMPLE2, strlen(SAMPLE2), 0);
	assert_int_equal(check(f, zip, n).verdict, SCAN_CLEAN);
	/* Inside an archive the rule holds too (libclamav hands over each member). */
	n = make_zip(zip, "notes.txt", elf, sizeof(elf), 0);
	res = check(f, zip, n);
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.content_type, "application/zip");
	assert_string_equal(res.detail, "type application/x-executable of inner file notes.txt "
	                                "is blocked (blocked_types: application/x-*)");
	n = make_zip(zip, "a.txt", SAMPLE2, strlen(SAMPLE2), 0);
	scan_free(&f->s);

	/* An allow list blocks everything else, whatever the name. */
	f->cfg.allowed_types = xcalloc(2, sizeof(char *));
	f->cfg.allowed_types[0] = xstrdup("text/*");
	f->cfg.n_allowed_types = 1;
	start(f);
	res = check(f, zip, n);
	assert_int_equal(res.verdict, SCAN_BLOCKED);
	assert_string_equal(res.detail, "type application/zip is not in allowed_types");
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_CLEAN);
}

static void
test_missing_and_empty_dir(void **state)
{
	struct fixture *f = *state;
	struct tk_err err;
	char *missing = xasprintf("%s/nope", f->dir), *empty = xasprintf("%s/empty", f->dir);
	char *readme = xasprintf("%s/README", empty);

	xfree(&f->cfg.signatures);
	f->cfg.signatures = xstrdup(missing);
	assert_int_equal(scan_new(&f->cfg, &f->s, &err), -1);
	assert_null(f->s);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "No such file or directory"));

	assert_int_equal(mkdir(empty, 0700), 0);
	xfree(&f->cfg.signatures);
	f->cfg.signatures = xstrdup(empty);
	assert_int_equal(scan_new(&f->cfg, &f->s, &err), -1);
	assert_non_null(strstr(err.msg, empty));
	assert_non_null(strstr(err.msg, "is empty"));

	/* A file, but no signatures in it. */
	write_file(readme, "not a database\n", 15);
	assert_int_equal(scan_new(&f->cfg, &f->s, &err), -1);
	assert_null(f->s);
	assert_non_null(strstr(err.msg, empty));
	xfree(&missing);
	xfree(&empty);
	xfree(&readme);
}

static void
test_disabled_is_unscanned(void **state)
{
	struct fixture *f = *state;
	unsigned char elf[256];
	struct scan_result res;

	f->cfg.enabled = false;
	xfree(&f->cfg.signatures);
	f->cfg.signatures = xstrdup("/nonexistent/signatures");
	f->cfg.max_attachment_size = 100;
	f->cfg.blocked_types = xcalloc(2, sizeof(char *));
	f->cfg.blocked_types[0] = xstrdup("application/x-executable");
	f->cfg.n_blocked_types = 1;
	start(f);
	res = check(f, EICAR, 68);
	assert_int_equal(res.verdict, SCAN_UNSCANNED);
	assert_string_equal(res.content_type, "text/plain");
	/* The limits still hold without virus scanning. */
	make_elf(elf);
	assert_int_equal(check(f, elf, 64).verdict, SCAN_BLOCKED);
	assert_int_equal(check(f, elf, sizeof(elf)).verdict, SCAN_BLOCKED);
}

static void
test_result_found_mapping(void **state)
{
	struct scan_result res;

	scan_result_found(&res, "Heuristics.Limits.Exceeded.MaxFileSize");
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_string_equal(res.detail, "scan limit exceeded (Heuristics.Limits.Exceeded.MaxFileSize)");
	scan_result_found(&res, "Heuristics.Encrypted.Zip");
	assert_int_equal(res.verdict, SCAN_ERROR);
	scan_result_found(&res, "Win.Test.EICAR_HDB-1");
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_string_equal(res.detail, "Win.Test.EICAR_HDB-1");
}

static void
test_hostile_data(void **state)
{
	struct fixture *f = *state;
	unsigned char zip[512], buf[4096];
	uint32_t seed = 7;
	size_t n;

	start(f);
	n = make_zip(zip, "readme.txt", EICAR, 68, 0);
	/* Every truncation and byte-flipped copy of a zip: a verdict, never a crash. */
	for (size_t len = 0; len <= n; len++) {
		struct scan_result res = check(f, zip, len);

		assert_true(res.verdict == SCAN_CLEAN || res.verdict == SCAN_INFECTED ||
		            res.verdict == SCAN_ERROR);
	}
	for (int round = 0; round < 200; round++) {
		unsigned char copy[512];

		memcpy(copy, zip, n);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % n] = (unsigned char)(seed >> 20);
		}
		struct scan_result res = check(f, copy, n);
		assert_true(res.verdict != SCAN_UNSCANNED && res.verdict != SCAN_BLOCKED);
	}
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
	assert_int_equal(check(f, buf, sizeof(buf)).verdict, SCAN_CLEAN);
}

/* ------------------------------------------------------------------ hot swap */

struct swap_worker {
	struct scan *s;
	atomic_bool *stop;
	long iterations, failures, sample2_infected;
};

static void *
swap_worker_run(void *arg)
{
	struct swap_worker *w = arg;
	struct scan_result res;

	while (!atomic_load(w->stop)) {
		if (scan_check(w->s, EICAR, 68, "e", &res, NULL) < 0 || res.verdict != SCAN_INFECTED)
			w->failures++;
		if (scan_check(w->s, SAMPLE2, strlen(SAMPLE2), "s", &res, NULL) < 0 ||
		    (res.verdict != SCAN_CLEAN && res.verdict != SCAN_INFECTED))
			w->failures++;
		if (res.verdict == SCAN_INFECTED)
			w->sample2_infected++;
		w->iterations++;
	}
	return NULL;
}

static char *
hdb_with_sample2(void)
{
	unsigned char md5[16];
	char hex[33];

	cl_hash_data("md5", SAMPLE2, strlen(SAMPLE2), md5, NULL);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	return xasprintf("%s%s:%zu:Ticketd-Sample-Two\n", EICAR_HDB, hex, strlen(SAMPLE2));
}

static void
test_engine_swap_under_load(void **state)
{
	struct fixture *f = *state;
	struct swap_worker w[4];
	pthread_t tid[4];
	atomic_bool stop = false;
	char *path = xasprintf("%s/test.hdb", f->db), *hdb = hdb_with_sample2();
	unsigned gen = 0, sigs = 0;
	struct scan_result res;

	start(f);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_CLEAN);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct swap_worker){ .s = f->s, .stop = &stop };
		assert_int_equal(pthread_create(&tid[i], NULL, swap_worker_run, &w[i]), 0);
	}
	usleep(100 * 1000);
	replace_file(path, hdb, 5);
	/* A scan notices the change and a helper thread swaps the engine in. */
	for (int i = 0; i < 600 && gen < 2; i++) {
		usleep(100 * 1000);
		scan_engine_info(f->s, &gen, &sigs);
	}
	usleep(100 * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_true(w[i].iterations > 0);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(gen, 2);
	assert_int_equal(sigs, 2);
	res = check(f, SAMPLE2, strlen(SAMPLE2));
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_non_null(strstr(res.detail, "Ticketd-Sample-Two"));
	assert_int_equal(check(f, EICAR, 68).verdict, SCAN_INFECTED);
	xfree(&path);
	xfree(&hdb);
}

static void
test_reload_sync_and_broken_db(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/test.hdb", f->db), *hdb = hdb_with_sample2();
	unsigned gen, sigs;
	struct tk_err err;

	f->cfg.reload_check_interval_ms = 3600 * 1000; /* only explicit reloads */
	start(f);
	assert_int_equal(scan_reload(f->s, &err), 0);  /* nothing changed */
	replace_file(path, hdb, 5);
	/* The interval has not passed: scans keep the old engine. */
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_CLEAN);
	assert_int_equal(scan_reload(f->s, &err), 1);
	scan_engine_info(f->s, &gen, &sigs);
	assert_int_equal(gen, 2);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_INFECTED);

	/* A broken database is refused; the engine in use stays. */
	replace_file(path, "this is : not a valid : hdb line at all\n", 10);
	assert_int_equal(scan_reload(f->s, &err), -1);
	assert_non_null(strstr(err.msg, f->db));
	scan_engine_info(f->s, &gen, &sigs);
	assert_int_equal(gen, 2);
	assert_int_equal(check(f, EICAR, 68).verdict, SCAN_INFECTED);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_INFECTED);
	/* Not retried until the directory changes again. */
	assert_int_equal(scan_reload(f->s, &err), 0);
	xfree(&path);
	xfree(&hdb);
}

/* Changes cl_statchkdir() alone misses: same-second rewrites, removed files. */
static void
test_reload_sees_removal_and_same_second(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/test.hdb", f->db), *extra = xasprintf("%s/extra.hdb", f->db);
	char *hdb = hdb_with_sample2();
	struct tk_err err;

	f->cfg.reload_check_interval_ms = 3600 * 1000;
	start(f);
	write_file(extra, hdb + strlen(EICAR_HDB), strlen(hdb) - strlen(EICAR_HDB));
	assert_int_equal(scan_reload(f->s, &err), 1);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_INFECTED);
	assert_int_equal(unlink(extra), 0);
	assert_int_equal(scan_reload(f->s, &err), 1);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_CLEAN);
	/* Rewritten in place within the same second, same size: a new inode/mtime. */
	replace_file(path, "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Renamed00\n", 0);
	assert_int_equal(scan_reload(f->s, &err), 1);
	assert_non_null(strstr(check(f, EICAR, 68).detail, "Eicar-Test-Renamed00"));
	xfree(&path);
	xfree(&extra);
	xfree(&hdb);
}

/* ------------------------------------------------------------------ clamd */

enum fake_mode { FAKE_NORMAL, FAKE_SILENT, FAKE_LIMIT, FAKE_GARBAGE };

struct fake_clamd {
	int lfd;
	enum fake_mode mode;
	bool command_ok;
	size_t chunks;
	unsigned char *got;
	size_t got_len;
	char error[128];
};

static int
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
fake_reply(int fd, const char *text, size_t len)
{
	if (write(fd, text, len) < 0)
		return;
}

/* Serve one INSTREAM session, checking the protocol byte by byte. */
static void *
fake_clamd_run(void *arg)
{
	struct fake_clamd *fc = arg;
	char cmd[10];
	uint32_t len;
	int fd = accept(fc->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	fc->command_ok = read_full(fd, cmd, 10) == 0 && memcmp(cmd, "zINSTREAM", 10) == 0;
	for (;;) {
		if (read_full(fd, &len, 4) < 0) {
			snprintf(fc->error, sizeof(fc->error), "stream ended without a zero chunk");
			goto out;
		}
		len = ntohl(len);
		if (len == 0)
			break;
		if (len > 1024 * 1024) {
			snprintf(fc->error, sizeof(fc->error), "chunk of %u bytes", len);
			goto out;
		}
		fc->got = xrealloc(fc->got, fc->got_len + len);
		if (read_full(fd, fc->got + fc->got_len, len) < 0)
			goto out;
		fc->got_len += len;
		fc->chunks++;
		if (fc->mode == FAKE_LIMIT) {
			fake_reply(fd, "INSTREAM size limit exceeded. ERROR", 36);
			goto out;
		}
	}
	if (fc->mode == FAKE_NORMAL && fc->got_len == 68 && memcmp(fc->got, EICAR, 68) == 0)
		fake_reply(fd, "stream: Eicar-Test-Signature FOUND", 35);
	else if (fc->mode == FAKE_NORMAL)
		fake_reply(fd, "stream: OK", 11);
	else if (fc->mode == FAKE_GARBAGE) {
		char junk[3000];

		memset(junk, 'A', sizeof(junk));
		fake_reply(fd, junk, sizeof(junk));
	} else {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		poll(&pfd, 1, 5000); /* silent until the client gives up */
	}
out:
	close(fd);
	return NULL;
}

static void
clamd_session(struct fixture *f, enum fake_mode mode, const void *data, size_t len,
              struct fake_clamd *fc, struct scan_result *res)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	pthread_t tid;

	memset(fc, 0, sizeof(*fc));
	fc->mode = mode;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/clamd.sock", f->dir);
	unlink(sun.sun_path);
	fc->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fc->lfd >= 0);
	assert_int_equal(bind(fc->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fc->lfd, 1), 0);
	assert_int_equal(pthread_create(&tid, NULL, fake_clamd_run, fc), 0);
	if (f->s == NULL) {
		f->cfg.backend = SCAN_BACKEND_CLAMD;
		xfree(&f->cfg.clamd_socket);
		f->cfg.clamd_socket = xstrdup(sun.sun_path);
		f->cfg.clamd_timeout_ms = 500;
		start(f);
	}
	assert_int_equal(scan_check(f->s, data, len, "x", res, NULL), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
	close(fc->lfd);
}

static void
test_clamd_instream(void **state)
{
	struct fixture *f = *state;
	size_t big_len = 200 * 1024 + 17;
	unsigned char *big = xmalloc(big_len);
	struct fake_clamd fc;
	struct scan_result res;

	for (size_t i = 0; i < big_len; i++)
		big[i] = (unsigned char)('a' + i % 26);
	clamd_session(f, FAKE_NORMAL, EICAR, 68, &fc, &res);
	assert_true(fc.command_ok);
	assert_string_equal(fc.error, "");
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_string_equal(res.detail, "Eicar-Test-Signature");
	xfree(&fc.got);

	/* Big data goes in several chunks, and arrives whole. */
	clamd_session(f, FAKE_NORMAL, big, big_len, &fc, &res);
	assert_int_equal(res.verdict, SCAN_CLEAN);
	assert_int_equal(fc.chunks, 4);
	assert_int_equal(fc.got_len, big_len);
	assert_memory_equal(fc.got, big, big_len);
	xfree(&fc.got);

	clamd_session(f, FAKE_LIMIT, big, big_len, &fc, &res);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_string_equal(res.detail, "clamd: INSTREAM size limit exceeded. ERROR");
	xfree(&fc.got);

	clamd_session(f, FAKE_GARBAGE, "x", 1, &fc, &res);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_non_null(strstr(res.detail, "Message too long"));
	xfree(&fc.got);

	clamd_session(f, FAKE_SILENT, "x", 1, &fc, &res);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_non_null(strstr(res.detail, "timeout after 500ms"));
	xfree(&fc.got);
	xfree(&big);
}

static void
test_clamd_unreachable(void **state)
{
	struct fixture *f = *state;
	struct scan_result res;

	f->cfg.backend = SCAN_BACKEND_CLAMD;
	xfree(&f->cfg.clamd_socket);
	f->cfg.clamd_socket = xasprintf("%s/no-clamd.sock", f->dir);
	start(f);
	res = check(f, EICAR, 68);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_non_null(strstr(res.detail, "cannot connect"));
	assert_non_null(strstr(res.detail, f->cfg.clamd_socket));
}

/*
 * The real clamd (Debian clamav-daemon), started privately on the test
 * database: $CLAMD or /usr/sbin/clamd; skipped when neither exists.
 */
static pid_t
start_real_clamd(struct fixture *f, const char *clamd, const char *sock)
{
	char *conf = xasprintf("%s/clamd.conf", f->dir);
	char *text = xasprintf("LocalSocket %s\nDatabaseDirectory %s\nForeground yes\n"
	                       "LogFile %s/clamd.log\nStreamMaxLength 1M\n", sock, f->db, f->dir);
	pid_t pid;

	write_file(conf, text, strlen(text));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(clamd, clamd, "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && access(sock, F_OK) != 0; i++)
		usleep(50 * 1000);
	xfree(&conf);
	xfree(&text);
	return pid;
}

static void
test_clamd_real(void **state)
{
	struct fixture *f = *state;
	const char *clamd = getenv("CLAMD") ? getenv("CLAMD") : "/usr/sbin/clamd";
	char *sock = xasprintf("%s/real-clamd.sock", f->dir);
	unsigned char zip[512], *big;
	struct scan_result res;
	pid_t pid;
	size_t n;

	if (access(clamd, X_OK) != 0) {
		xfree(&sock);
		skip();
	}
	pid = f->clamd_pid = start_real_clamd(f, clamd, sock);
	assert_int_equal(access(sock, F_OK), 0);
	f->cfg.backend = SCAN_BACKEND_CLAMD;
	xfree(&f->cfg.clamd_socket);
	f->cfg.clamd_socket = sock;
	start(f);
	res = check(f, EICAR, 68);
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_string_equal(res.detail, "Eicar-Test-Signature.UNOFFICIAL");
	n = make_zip(zip, "readme.txt", EICAR, 68, 0);
	assert_int_equal(check(f, zip, n).verdict, SCAN_INFECTED);
	assert_int_equal(check(f, SAMPLE2, strlen(SAMPLE2)).verdict, SCAN_CLEAN);
	/* Over clamd's StreamMaxLength (1M here): an error, never "clean". */
	big = xcalloc(1, 2 * 1024 * 1024);
	res = check(f, big, 2 * 1024 * 1024);
	assert_int_equal(res.verdict, SCAN_ERROR);
	assert_non_null(strstr(res.detail, "size limit exceeded"));
	xfree(&big);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	f->clamd_pid = 0;
}

static void
test_clamd_replies(void **state)
{
	static const struct {
		const char *reply;
		enum scan_verdict verdict;
		const char *detail;
	} cases[] = {
		{ "stream: OK", SCAN_CLEAN, "" },
		{ "stream: Win.Trojan.Foo-1 FOUND", SCAN_INFECTED, "Win.Trojan.Foo-1" },
		{ "stream: Heuristics.Encrypted.Zip FOUND", SCAN_ERROR,
		  "encrypted content cannot be scanned (Heuristics.Encrypted.Zip)" },
		{ "stream: Can't allocate memory ERROR", SCAN_ERROR, "clamd: stream: Can't allocate memory ERROR" },
		{ "stream:  FOUND", SCAN_ERROR, "clamd: unexpected reply \"stream:  FOUND\"" },
		{ "stream: FOUND", SCAN_ERROR, "clamd: unexpected reply \"stream: FOUND\"" },
		{ "OK", SCAN_ERROR, "clamd: unexpected reply \"OK\"" },
		{ "Eicar FOUND", SCAN_ERROR, "clamd: unexpected reply \"Eicar FOUND\"" },
		{ "", SCAN_ERROR, "clamd: unexpected reply \"\"" },
		{ "stream: a\x1b[31mb FOUND", SCAN_INFECTED, "a\\x1b[31mb" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scan_result res;

		memset(&res, 0, sizeof(res));
		scan_clamd_parse_reply(cases[i].reply, &res);
		assert_int_equal(res.verdict, cases[i].verdict);
		assert_string_equal(res.detail, cases[i].detail);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_all_keys),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_type_match),
		cmocka_unit_test(test_result_found_mapping),
		cmocka_unit_test(test_clamd_replies),
		cmocka_unit_test_setup_teardown(test_eicar_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eicar_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encrypted_zip_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eicar_in_forwarded_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_empty_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_is_unscanned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_swap_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_sync_and_broken_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_sees_removal_and_same_second, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_clamd_instream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamd_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamd_real, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
