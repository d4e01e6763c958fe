/*
 * maildir.c: Maildir intake (see maildir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "lease.h"
#include "log.h"
#include "maildir.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

#define MAILDIR_BATCH STORE_INBOUND_BATCH
#define MAILDIR_MAX_MESSAGE (64 * 1024 * 1024)

struct maildir_file {
	char *path;       /* full path of the file now */
	char *name;       /* file name */
	char *unique;     /* unique part (before ":2,") */
};

int
maildir_ensure(const char *path, struct tk_err *err)
{
	static const char *const subs[] = { "", "/new", "/cur", "/tmp" };
	char p[4096];

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, subs[i]);
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			return tk_err_set(err, "maildir: cannot create %s: %s", p, strerror(errno));
	}
	return 0;
}

static char *
processed_dir(const struct config_mailbox *mb)
{
	return mb->processed ? xstrdup(mb->processed) : xasprintf("%s/.Processed", mb->path);
}

/* List up to max regular files of dir/sub into files (appending). */
static size_t
list_dir(const char *dir, const char *sub, struct maildir_file *files, size_t n, size_t max)
{
	char path[4096];
	DIR *dp;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((dp = opendir(path)) == NULL)
		return n;
	while (n < max && (de = readdir(dp)) != NULL) {
		char *colon;

		if (de->d_name[0] == '.')
			continue;
		files[n].name = xstrdup(de->d_name);
		files[n].path = xasprintf("%s/%s", path, de->d_name);
		files[n].unique = xstrdup(de->d_name);
		if ((colon = strchr(files[n].unique, ':')) != NULL)
			*colon = '\0';
		n++;
	}
	closedir(dp);
	return n;
}

static void
files_free(struct maildir_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		xfree(&files[i].path);
		xfree(&files[i].name);
		xfree(&files[i].unique);
	}
}

/*
 * Stage a batch of files in one statement (its own transaction). A file
 * that cannot be read is left in place (readable[i] false) and logged.
 */
static int
stage_batch(struct store *st, const struct config_mailbox *mb, const struct maildir_file *files,
            size_t n, bool *readable, int *staged_r, struct tk_err *err)
{
	struct inbound_stage in[MAILDIR_BATCH] = { 0 };
	char keys[MAILDIR_BATCH][512];
	struct buf bufs[MAILDIR_BATCH];
	size_t m = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		buf_init(&bufs[i], MAILDIR_MAX_MESSAGE);
		readable[i] = buf_read_file(&bufs[i], files[i].path) == 0;
		if (!readable[i]) {
			log_warn("maildir: mailbox=%s cannot read %s: %s; left in place", mb->name,
			         files[i].path, strerror(errno));
			continue;
		}
		snprintf(keys[i], sizeof(keys[i]), "maildir:%s", files[i].unique);
		in[m] = (struct inbound_stage){
			.source = mb->name, .kind = "mail", .raw = bufs[i].data ? bufs[i].data : "",
			.raw_len = bufs[i].len, .dedup_key = keys[i],
		};
		m++;
	}
	rc = store_inbound_stage_many(st, in, m, staged_r, err);
	for (size_t i = 0; i < n; i++)
		buf_fini(&bufs[i]);
	return rc;
}

/* After the commit: move each staged file into the processed Maildir. */
static void
move_files(const struct config_mailbox *mb, const char *done_dir, struct maildir_file *files,
           const bool *staged, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!staged[i])
			continue;
		char *to = xasprintf("%s/cur/%s%s", done_dir, files[i].name,
		                     strchr(files[i].name, ':') ? "" : ":2,S");

		if (rename(files[i].path, to) < 0)
			log_warn("maildir: mailbox=%s cannot move %s to %s: %s (staged; retried next scan)",
			         mb->name, files[i].path, to, strerror(errno));
		xfree(&to);
	}
}

int
maildir_scan_once(struct store *st, const struct config_mailbox *mb, int *staged_r,
                  struct tk_err *err)
{
	struct maildir_file files[MAILDIR_BATCH];
	bool readable[MAILDIR_BATCH];
	char *done_dir = processed_dir(mb);
	int rc = -1;

	*staged_r = 0;
	if (maildir_ensure(mb->path, err) < 0 || maildir_ensure(done_dir, err) < 0)
		goto out;
	for (;;) {
		size_t n = list_dir(mb->path, "new", files, 0, MAILDIR_BATCH);
		int staged = 0;

		n = list_dir(mb->path, "cur", files, n, MAILDIR_BATCH);
		if (n == 0)
			break;
		if (stage_batch(st, mb, files, n, readable, &staged, err) < 0) {
			files_free(files, n);
			goto out;
		}
		move_files(mb, done_dir, files, readable, n);
		files_free(files, n);
		*staged_r += staged;
		if (n < MAILDIR_BATCH)
			break;
	}
	rc = 0;
out:
	xfree(&done_dir);
	return rc;
}

/* One poll round: lease, scan, wake the workers. Returns the wait before the next. */
static int64_t
maildir_round(struct daemon *d, struct store **st, const char *mailbox, int64_t *backoff)
{
	struct config *cfg = daemon_config(d);
	const struct config_mailbox *mb = config_mailbox(cfg, mailbox);
	struct tk_err err = { 0 };
	int64_t wait = mb ? mb->poll_interval_ms : 1000;
	int held, staged = 0;

	if (mb == NULL) {
		log_warn("maildir: mailbox=%s is no longer configured; idle until restart", mailbox);
		goto out;
	}
	if ((*st == NULL && store_open(config_dsn(cfg), st, &err) < 0) ||
	    (*st != NULL && store_check(*st, &err) < 0) ||
	    (held = lease_acquire(*st, mailbox, cfg->instance, cfg->lease_ttl_ms, &err)) < 0 ||
	    (held == 1 && maildir_scan_once(*st, mb, &staged, &err) < 0)) {
		log_warn("maildir: mailbox=%s %s; retrying in %" PRId64 " ms", mailbox, err.msg, *backoff);
		wait = *backoff;
		*backoff = *backoff * 2 > 30000 ? 30000 : *backoff * 2;
		goto out;
	}
	*backoff = 500;
	if (staged > 0) {
		log_debug("maildir: mailbox=%s staged=%d", mailbox, staged);
		daemon_wake(d);
	}
out:
	config_unref(&cfg);
	return wait;
}

void
maildir_run(struct daemon *d, const char *mailbox)
{
	struct store *st = NULL;
	int64_t backoff = 500;
	uint64_t seen = 0;

	log_info("maildir: mailbox=%s polling", mailbox);
	while (!daemon_stopping(d)) {
		int64_t wait = maildir_round(d, &st, mailbox, &backoff);

		/* Workers share the wake condition: a wake-up just means an early poll. */
		daemon_wait(d, wait, &seen);
	}
	if (st != NULL) {
		struct config *cfg = daemon_config(d);
		struct tk_err err = { 0 };

		(void)lease_release(st, mailbox, cfg->instance, &err);
		config_unref(&cfg);
	}
	store_close(&st);
}
