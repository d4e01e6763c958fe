/*
 * maildir.c: Maildir intake (see maildir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "maildir.h"
#include "mime.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

#define MAILDIR_BATCH STORE_INBOUND_BATCH
#define MAILDIR_MAX_MESSAGE (64 * 1024 * 1024)

enum maildir_fate {
	MF_STAGE,         /* read: stage it, then move it to the processed Maildir */
	MF_REFUSE,        /* never stageable: record a failed item, move it to .Failed */
	MF_LEAVE,         /* could not be read now (permissions, I/O): left in place */
};

struct maildir_file {
	char *path;       /* full path of the file now */
	char *name;       /* file name */
	char *unique;     /* unique part (before ":2,") */
	const char *sub;  /* "new" or "cur" */
	struct stat sb;   /* lstat() at listing time */
	enum maildir_fate fate;
	char why[128];    /* MF_REFUSE: what is wrong with it */
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

static const char *
type_name(mode_t mode)
{
	return S_ISLNK(mode) ? "a symbolic link" : S_ISFIFO(mode) ? "a FIFO" :
	       S_ISDIR(mode) ? "a directory" : S_ISSOCK(mode) ? "a socket" :
	       S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a regular file";
}

/* Refuse what can never be staged: anything but a non-empty regular file within the limit. */
static void
judge(struct maildir_file *f, const struct stat *sb)
{
	f->fate = MF_REFUSE;
	if (!S_ISREG(sb->st_mode))
		snprintf(f->why, sizeof(f->why), "is %s, not a regular file", type_name(sb->st_mode));
	else if (sb->st_size == 0)
		snprintf(f->why, sizeof(f->why), "is empty");
	else if (sb->st_size > MAILDIR_MAX_MESSAGE)
		snprintf(f->why, sizeof(f->why), "has %jd bytes, over the %d MiB limit",
		         (intmax_t)sb->st_size, MAILDIR_MAX_MESSAGE >> 20);
	else
		f->fate = MF_STAGE;
}

/*
 * List up to max entries of dir/sub into files (appending), judged by
 * lstat() (never followed, never opened here: a FIFO would block).
 */
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
		struct maildir_file *f = &files[n];
		char *colon;

		if (de->d_name[0] == '.')
			continue;
		memset(f, 0, sizeof(*f));
		f->path = xasprintf("%s/%s", path, de->d_name);
		if (lstat(f->path, &f->sb) < 0) {   /* gone since readdir */
			xfree(&f->path);
			continue;
		}
		f->name = xstrdup(de->d_name);
		f->unique = xstrdup(de->d_name);
		f->sub = sub;
		if ((colon = strchr(f->unique, ':')) != NULL)
			*colon = '\0';
		judge(f, &f->sb);
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
 * Read f into b: opened without following a link or waiting on a FIFO, and
 * judged again by fstat() (it may have been swapped since the listing).
 * Sets f->fate to MF_REFUSE or MF_LEAVE when it cannot be staged.
 */
static void
read_file(const struct config_mailbox *mb, struct maildir_file *f, struct buf *b)
{
	int fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	char clip[256];

	if (fd < 0 && errno == ELOOP) {
		f->fate = MF_REFUSE;
		snprintf(f->why, sizeof(f->why), "is a symbolic link, not a regular file");
		return;
	}
	if (fd < 0 || fstat(fd, &sb) < 0) {
		log_warn("maildir: mailbox=%s cannot read %s: %s; left in place", mb->name,
		         log_clip(clip, sizeof(clip), f->path), strerror(errno));
		f->fate = MF_LEAVE;
		if (fd >= 0)
			close(fd);
		return;
	}
	judge(f, &sb);
	if (f->fate == MF_STAGE && (sb.st_dev != f->sb.st_dev || sb.st_ino != f->sb.st_ino)) {
		f->fate = MF_LEAVE;   /* replaced since the listing: look again next scan */
	} else if (f->fate == MF_STAGE) {
		buf_reserve(b, (size_t)sb.st_size);
		if (buf_read_fd(b, fd) < 0) {
			f->fate = errno == EFBIG ? MF_REFUSE : MF_LEAVE;
			snprintf(f->why, sizeof(f->why), "grew over the %d MiB limit while it was read",
			         MAILDIR_MAX_MESSAGE >> 20);
			if (f->fate == MF_LEAVE)
				log_warn("maildir: mailbox=%s cannot read %s: %s; left in place", mb->name,
				         log_clip(clip, sizeof(clip), f->path), strerror(errno));
		} else if (b->len == 0) {
			f->fate = MF_REFUSE;
			snprintf(f->why, sizeof(f->why), "is empty");
		}
	}
	close(fd);
}

/* The dedup key of a file: its unique name, hex when that is not valid UTF-8 (caller frees). */
static char *
dedup_key(const char *unique)
{
	size_t n = strlen(unique);
	char *clean = mime_utf8_clean(unique, n), *key;

	if (strcmp(clean, unique) == 0) {
		key = xasprintf("maildir:%s", unique);
	} else {
		key = xmalloc(sizeof("maildir-hex:") + 2 * n);
		strcpy(key, "maildir-hex:");
		for (size_t i = 0; i < n; i++)
			snprintf(key + 12 + 2 * i, 3, "%02x", (unsigned char)unique[i]);
	}
	xfree(&clean);
	return key;
}

/*
 * Stage a batch of files in one statement (its own transaction). A file
 * that cannot be read now is left in place (MF_LEAVE) and logged.
 */
static int
stage_batch(struct store *st, const struct config_mailbox *mb, struct maildir_file *files,
            size_t n, int *staged_r, struct tk_err *err)
{
	struct inbound_stage in[MAILDIR_BATCH] = { 0 };
	char *keys[MAILDIR_BATCH] = { 0 };
	struct buf bufs[MAILDIR_BATCH];
	size_t m = 0, largest = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		buf_init(&bufs[i], MAILDIR_MAX_MESSAGE);
		if (files[i].fate == MF_STAGE)
			read_file(mb, &files[i], &bufs[i]);
		if (files[i].fate != MF_STAGE)
			continue;
		keys[i] = dedup_key(files[i].unique);
		largest = bufs[i].len > largest ? bufs[i].len : largest;
		in[m] = (struct inbound_stage){
			.source = mb->name, .kind = "mail", .raw = bufs[i].data, .raw_len = bufs[i].len,
			.dedup_key = keys[i],
		};
		m++;
	}
	rc = store_inbound_stage_many(st, in, m, staged_r, err);
	for (size_t i = 0; i < n; i++) {
		buf_fini(&bufs[i]);
		xfree(&keys[i]);
	}
	if (rc == 0 && largest >= STORE_RECYCLE_BYTES) {
		/* libpq's output buffer grew to the batch's size: give it back, and the files' memory */
		rc = store_recycle(st, err);
		malloc_trim(0);
	}
	return rc;
}

/*
 * Record a refused file as a failed inbound item (error kind "intake") that
 * `ticketctl inbound list` shows, then move it out of new/ into failed_dir.
 */
static int
refuse(struct store *st, const struct config_mailbox *mb, const char *failed_dir,
       const struct maildir_file *f, struct tk_err *err)
{
	char *to = xasprintf("%s/cur/%s", failed_dir, f->name), *key = dedup_key(f->unique);
	char *file = xasprintf("%s/%s", f->sub, f->name);
	char *file_u = mime_utf8_clean(file, strlen(file)), *to_u = mime_utf8_clean(to, strlen(to));
	char *why = xasprintf("maildir: %s %s; moved to %s/cur/", file_u, f->why, failed_dir);
	json_t *meta = json_pack("{s:s, s:s, s:I}", "file", file_u, "moved_to", to_u,
	                         "size", (json_int_t)f->sb.st_size);
	char *meta_s = json_dumps(meta, JSON_COMPACT);
	char clip[256];
	int rc;

	rc = store_inbound_refuse(st, mb->name, key, why, meta_s ? meta_s : "{}", err);
	if (rc == 0 && rename(f->path, to) < 0)
		log_warn("maildir: mailbox=%s cannot move %s to %s: %s (recorded; retried next scan)",
		         mb->name, log_clip(clip, sizeof(clip), f->path), failed_dir, strerror(errno));
	else if (rc == 0)
		log_warn("maildir: mailbox=%s refused %s", mb->name, log_clip(clip, sizeof(clip), why));
	json_decref(meta);
	free(meta_s);
	xfree(&why);
	xfree(&key);
	xfree(&file);
	xfree(&file_u);
	xfree(&to_u);
	xfree(&to);
	return rc;
}

/* After the commit: move each staged file into the processed Maildir. */
static void
move_files(const struct config_mailbox *mb, const char *done_dir, struct maildir_file *files,
           size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (files[i].fate != MF_STAGE)
			continue;
		char *to = xasprintf("%s/cur/%s%s", done_dir, files[i].name,
		                     strchr(files[i].name, ':') ? "" : ":2,S");
		char clip[256];

		if (rename(files[i].path, to) < 0)
			log_warn("maildir: mailbox=%s cannot move %s to %s: %s (staged; retried next scan)",
			         mb->name, log_clip(clip, sizeof(clip), files[i].path), done_dir,
			         strerror(errno));
		xfree(&to);
	}
}

static int
scan_batch(struct store *st, const struct config_mailbox *mb, const char *done_dir,
           const char *failed_dir, struct maildir_file *files, size_t n, int *staged_r,
           struct tk_err *err)
{
	if (stage_batch(st, mb, files, n, staged_r, err) < 0)
		return -1;
	move_files(mb, done_dir, files, n);
	for (size_t i = 0; i < n; i++)
		if (files[i].fate == MF_REFUSE && refuse(st, mb, failed_dir, &files[i], err) < 0)
			return -1;
	return 0;
}

int
maildir_scan_once(struct store *st, const struct config_mailbox *mb, int *staged_r,
                  struct tk_err *err)
{
	struct maildir_file files[MAILDIR_BATCH];
	char *done_dir = processed_dir(mb), *failed_dir = xasprintf("%s/.Failed", mb->path);
	int rc = -1;

	*staged_r = 0;
	if (maildir_ensure(mb->path, err) < 0 || maildir_ensure(done_dir, err) < 0 ||
	    maildir_ensure(failed_dir, err) < 0)
		goto out;
	for (;;) {
		size_t n = list_dir(mb->path, "new", files, 0, MAILDIR_BATCH), left = 0;
		int staged = 0;

		n = list_dir(mb->path, "cur", files, n, MAILDIR_BATCH);
		if (n == 0)
			break;
		rc = scan_batch(st, mb, done_dir, failed_dir, files, n, &staged, err);
		for (size_t i = 0; i < n; i++)
			left += files[i].fate == MF_LEAVE;
		files_free(files, n);
		if (rc < 0)
			goto out;
		*staged_r += staged;
		if (n < MAILDIR_BATCH || left == n)
			break;
	}
	rc = 0;
out:
	xfree(&done_dir);
	xfree(&failed_dir);
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
		if (d->metrics != NULL)
			metrics_mailbox(d->metrics, mailbox, MBX_DOWN, 0);
		wait = *backoff;
		*backoff = *backoff * 2 > 30000 ? 30000 : *backoff * 2;
		goto out;
	}
	*backoff = 500;
	if (d->metrics != NULL)
		metrics_mailbox(d->metrics, mailbox, held ? MBX_UP : MBX_STANDBY, held);
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
