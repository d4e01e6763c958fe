/*
 * intake.c: start and stop the per-mailbox intake threads, and the LMTP
 * listeners (lmtp.h), which bind first.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "imap.h"
#include "intake.h"
#include "lmtp.h"
#include "log.h"
#include "maildir.h"
#include "xalloc.h"

struct intake_thread {
	struct daemon *daemon;
	char *mailbox;
	enum mailbox_kind kind;
	pthread_t thread;
	int started;
};

struct intake {
	struct intake_thread *threads;
	size_t n;
	struct lmtp_server **lmtp;     /* one per lmtp mailbox */
	size_t n_lmtp;
};

static void *
intake_main(void *arg)
{
	struct intake_thread *t = arg;

	if (t->kind == MAILBOX_MAILDIR)
		maildir_run(t->daemon, t->mailbox);
	else if (t->kind == MAILBOX_IMAP)
		imap_run(t->daemon, t->mailbox);
	return NULL;
}

int
intake_bind(struct daemon *d, const struct config *cfg, struct intake **in_r, struct tk_err *err)
{
	struct intake *in = xnew(struct intake);

	*in_r = in;
	in->threads = xcalloc(cfg->n_mailboxes + 1, sizeof(*in->threads));
	in->lmtp = xcalloc(cfg->n_mailboxes + 1, sizeof(*in->lmtp));
	for (size_t i = 0; i < cfg->n_mailboxes; i++) {
		if (cfg->mailboxes[i].kind != MAILBOX_LMTP)
			continue;
		if (lmtp_bind(d, &cfg->mailboxes[i], &in->lmtp[in->n_lmtp], err) < 0)
			return -1;
		in->n_lmtp++;
	}
	return 0;
}

int
intake_start(struct daemon *d, const struct config *cfg, struct intake *in, struct tk_err *err)
{
	for (size_t i = 0; i < in->n_lmtp; i++)
		if (lmtp_start(in->lmtp[i], err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_mailboxes; i++) {
		const struct config_mailbox *mb = &cfg->mailboxes[i];
		struct intake_thread *t = &in->threads[in->n];
		int rc;

		if (mb->kind == MAILBOX_PIPE || mb->kind == MAILBOX_LMTP)
			continue; /* fed by `ticketctl ingest`; LMTP has its own threads */
		if (mb->kind == MAILBOX_MAILDIR) {
			struct tk_err merr = { 0 };

			/* Before READY: a Maildir named in the config exists once we say so. */
			if (maildir_ensure(mb->path, &merr) < 0)
				log_warn("intake: mailbox=%s: %s", mb->name, merr.msg);
		}
		t->daemon = d;
		t->mailbox = xstrdup(mb->name);
		t->kind = mb->kind;
		if ((rc = pthread_create(&t->thread, NULL, intake_main, t)) != 0) {
			xfree(&t->mailbox);
			return tk_err_set(err, "intake: mailbox=%s: cannot start thread: %s", mb->name,
			                  strerror(rc));
		}
		t->started = 1;
		in->n++;
	}
	return 0;
}

int
intake_stop(struct intake **inp, const struct timespec *deadline)
{
	struct intake *in = *inp;
	int rc = 0;

	if (in == NULL)
		return 0;
	for (size_t i = 0; i < in->n_lmtp; i++)
		if (lmtp_stop(&in->lmtp[i], deadline) < 0)
			rc = -1;
	for (size_t i = 0; i < in->n; i++) {
		struct intake_thread *t = &in->threads[i];

		if (t->started && pthread_timedjoin_np(t->thread, NULL, deadline) != 0) {
			log_warn("intake: mailbox=%s did not stop in time", t->mailbox);
			rc = -1;
			continue; /* leave its memory: the thread may still use it */
		}
		xfree(&t->mailbox);
	}
	if (rc == 0) {
		free(in->threads);
		free(in->lmtp);
		xfree(inp);
	}
	return rc;
}
