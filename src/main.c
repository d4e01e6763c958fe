/*
 * main.c: ticketd, the daemon: arguments, config check (-t), start-up in
 * dependency order, signals, systemd notification, orderly shutdown.
 *
 * DESIGN. Threads and what they own:
 *   main        signals (sigtimedwait), SIGHUP reloads, sd_notify and the
 *               watchdog; owns the struct daemon context.
 *   worker N    one PGconn each; claims staged inbound rows (SKIP LOCKED)
 *               and runs them through the pipeline (parse, scan, route,
 *               correlate, store) in one transaction per batch.
 *   intake      one thread per Maildir or IMAP mailbox, one PGconn each;
 *               stages raw mail, acknowledges the source after commit.
 *   lmtp        per lmtp mailbox, max_connections threads that accept and
 *               serve one LMTP connection at a time, one PGconn each;
 *               stage each message and answer 250 after the commit
 *               (lmtp.h).
 *   http        libmicrohttpd's thread pool (webhooks, health, metrics)
 *               and its committers (one PGconn each): request threads
 *               validate, committers stage many requests per transaction
 *               and answer them after the commit (http.c, http_commit.c).
 *   outbox      one PGconn and one libcurl handle per channel; claims due
 *               outbox rows (SKIP LOCKED, under a lease) and sends them
 *               through SMTP or Slack (outbox.h, doc/delivery.md).
 *   escalator   one PGconn (LISTEN ticketd_sla); sleeps until the next SLA
 *               step or timer, claims due tickets and timers (SKIP LOCKED),
 *               fires warnings, breaches, escalation levels and auto-closes
 *               with their outbox rows in one transaction (escalate.h,
 *               doc/sla.md).
 * Hand-offs between threads go through PostgreSQL rows, never memory
 * queues, so a crash anywhere loses nothing. Shared memory state is only
 * the refcounted config snapshot and the stop flag (see daemon.h).
 *
 * Started as root, main reads the configuration and secrets, loads the
 * signatures and binds its listeners (LMTP, webhooks), then drops to
 * `user:` for good (priv.h) before it connects to PostgreSQL or starts a
 * thread.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "daemon.h"
#include "escalate.h"
#include "html.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"
#include "scan.h"
#include "outbox.h"
#include "priv.h"
#include "startup.h"
#include "store.h"
#include "worker.h"
#include "xalloc.h"

#define TICKETD_MAX_WORKERS 64

struct ticketd {
	struct daemon daemon;
	struct worker workers[TICKETD_MAX_WORKERS];
	int n_workers;
	struct intake *intake;
	struct http_server *http;
	struct outbox_sender outbox;
	struct escalator escalator;
	const char *config_path;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ticketd [-t] [-c FILE]\n"
	            "  -c, --config FILE  configuration (default %s/ticketd/ticketd.yaml)\n"
	            "  -t, --check        check the configuration and rules, then exit\n"
	            "  -V, --version      print the version\n"
	            "  -h, --help         print this help\n", SYSCONFDIR);
}

/* Load the config (and rules) and print every error; NULL on failure. */
static struct config *
load_config(const char *path, struct rules **rules_r, FILE *errfp)
{
	struct tk_errlist errs;
	struct config *cfg = NULL;

	tk_errlist_init(&errs);
	if (startup_load(path, &cfg, rules_r, &errs) < 0) {
		tk_errlist_print(&errs, errfp);
		cfg = NULL;
	}
	tk_errlist_fini(&errs);
	return cfg;
}

static void
reload(struct ticketd *td)
{
	struct tk_errlist errs;
	struct config *cfg = NULL;
	struct rules *rules = NULL;
	char usec[64];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(usec, sizeof(usec), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
	sd_notify(0, usec);
	log_info("ticketd: SIGHUP: reloading %s", td->config_path);
	tk_errlist_init(&errs);
	if (startup_load(td->config_path, &cfg, &rules, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_err("ticketd: reload refused, keeping the old configuration: %s", errs.items[i]);
		if (td->daemon.metrics != NULL)
			metrics_reload(td->daemon.metrics, 0);
	} else {
		log_set_level(cfg->log_level);
		if (td->http != NULL)
			log_info("ticketd: the http section is read at start only; the webhook server "
			         "keeps its addresses, sources and secrets until a restart");
		startup_apply(&td->daemon, cfg, rules);
		if (td->daemon.scan != NULL) {
			struct tk_err serr = { 0 };

			if (scan_reload(td->daemon.scan, &serr) < 0)
				log_err("ticketd: reload: scanner: %s (the old engine stays)", serr.msg);
		}
		if (td->daemon.metrics != NULL)
			metrics_reload(td->daemon.metrics, 1);
		log_info("ticketd: configuration reloaded");
	}
	tk_errlist_fini(&errs);
	sd_notify(0, "READY=1\nSTATUS=running");
}

/*
 * What needs root, then no more root: bind the webhook addresses (a port
 * under 1024) and read the TLS key, then drop to `user:` (priv.h). The
 * configuration, its secrets and the ClamAV signatures are read already,
 * the LMTP sockets bound (intake_bind). Everything after this
 * (PostgreSQL, threads, reloads) runs as that user.
 */
static int
start_privileged(struct ticketd *td)
{
	struct config *cfg = daemon_config(&td->daemon);
	struct tk_err err = { 0 };
	int rc = -1;

	if (cfg->http != NULL && http_listen(&td->daemon, &td->http, &err) < 0)
		goto out;
	if (priv_drop(cfg->user, &err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		log_err("ticketd: %s", err.msg);
	config_unref(&cfg);
	return rc;
}

static int
start_threads(struct ticketd *td)
{
	struct config *cfg = daemon_config(&td->daemon);
	struct tk_err err = { 0 };
	int rc = -1;

	/* before the workers: they record into the server's metrics */
	if (td->http != NULL && http_start(td->http, &err) < 0) {
		log_err("ticketd: %s", err.msg);
		goto out;
	}
	td->n_workers = cfg->workers > TICKETD_MAX_WORKERS ? TICKETD_MAX_WORKERS : cfg->workers;
	for (int i = 0; i < td->n_workers; i++) {
		if (worker_start(&td->workers[i], &td->daemon, i, &err) < 0) {
			log_err("ticketd: %s", err.msg);
			goto out;
		}
	}
	if (intake_start(&td->daemon, cfg, td->intake, &err) < 0) {
		log_err("ticketd: %s", err.msg);
		goto out;
	}
	if (outbox_sender_start(&td->outbox, &td->daemon, &err) < 0 ||
	    escalate_start(&td->escalator, &td->daemon, &err) < 0) {
		log_err("ticketd: %s", err.msg);
		goto out;
	}
	rc = 0;
out:
	config_unref(&cfg);
	return rc;
}

/* Join every thread, waiting at most the configured shutdown timeout. */
static int
stop_threads(struct ticketd *td)
{
	struct config *cfg = daemon_config(&td->daemon);
	struct timespec deadline;
	int late = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += cfg->shutdown_timeout_ms / 1000;
	config_unref(&cfg);
	daemon_stop(&td->daemon);
	log_info("ticketd: stopping: waiting for %d workers and the intake threads", td->n_workers);
	if (intake_stop(&td->intake, &deadline) < 0)
		late++;
	if (outbox_sender_join(&td->outbox, &deadline) < 0) {
		log_warn("ticketd: the outbox sender did not stop in time; its claim runs out by itself");
		late++;
	}
	if (escalate_join(&td->escalator, &deadline) < 0) {
		log_warn("ticketd: the SLA escalator did not stop in time; its transaction rolls back");
		late++;
	}
	for (int i = 0; i < td->n_workers; i++) {
		if (td->workers[i].started && pthread_timedjoin_np(td->workers[i].thread, NULL,
		                                                   &deadline) != 0) {
			log_warn("ticketd: worker %d did not stop in time; its batch rolls back", i);
			late++;
		} else {
			td->workers[i].started = 0;
		}
	}
	if (late == 0)   /* the workers are gone: nobody records into its metrics any more */
		http_stop(&td->http);
	return late;
}

/* Ping the watchdog at half its interval. */
static void
watchdog_tick(uint64_t wd_usec, struct timespec *last)
{
	struct timespec now;

	if (wd_usec == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((uint64_t)(now.tv_sec - last->tv_sec) * 1000000u >= wd_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		*last = now;
	}
}

/* Log a worker whose batch runs longer than its lease (worker_watch). */
static void
watch_workers(struct ticketd *td)
{
	struct config *cfg = daemon_config(&td->daemon);

	for (int i = 0; i < td->n_workers; i++)
		worker_watch(&td->workers[i], cfg->lease_ttl_ms);
	config_unref(&cfg);
}

static int
run(struct ticketd *td, sigset_t *sigs)
{
	uint64_t wd_usec = 0;
	struct timespec last = { 0 }, tick = { 0, 500000000L };

	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	sd_notify(0, "READY=1\nSTATUS=running");
	log_info("ticketd: ready");
	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);

		watchdog_tick(wd_usec, &last);
		watch_workers(td);
		if (sig == SIGHUP)
			reload(td);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	return stop_threads(td) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct ticketd td = { .config_path = SYSCONFDIR "/ticketd/ticketd.yaml" };
	struct config *cfg;
	struct rules *rules = NULL;
	struct tk_err serr = { 0 };
	sigset_t sigs;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int opt, check_only = 0, rc;

	while ((opt = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': td.config_path = optarg; break;
		case 't': check_only = 1; break;
		case 'V': printf("ticketd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if ((cfg = load_config(td.config_path, &rules, stderr)) == NULL)
		return 1;
	if (check_only) {
		struct tk_errlist errs;

		tk_errlist_init(&errs);
		rc = startup_check(cfg, &errs);
		tk_errlist_print(&errs, stderr);
		tk_errlist_fini(&errs);
		if (rc < 0) {
			rules_unref(&rules);
			config_unref(&cfg);
			return 1;
		}
		printf("%s: configuration OK", td.config_path);
		if (rules != NULL)
			printf(", %zu rules in %s", rules_count(rules), cfg->rules_dir);
		printf("\n");
		rules_unref(&rules);
		config_unref(&cfg);
		return 0;
	}
	log_set_level(cfg->log_level);
	store_set_prepare_default(cfg->prepared_statements);
	html_init(); /* libxml2, once, before the threads that parse HTML */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	outbox_global_init();
	daemon_init(&td.daemon, NULL);
	if (scan_new(&cfg->scan, &td.daemon.scan, &serr) < 0) {
		log_err("ticketd: %s", serr.msg);
		rules_unref(&rules);
		config_unref(&cfg);
		daemon_fini(&td.daemon);
		return 1;
	}
	startup_apply(&td.daemon, cfg, rules);
	/* Listening sockets before anything else: a socket's group, a port under 1024. */
	if (intake_bind(&td.daemon, cfg, &td.intake, &serr) < 0) {
		log_err("ticketd: %s", serr.msg);
		intake_stop(&td.intake, NULL);
		daemon_fini(&td.daemon);
		return 1;
	}
	if (start_privileged(&td) < 0) {
		intake_stop(&td.intake, NULL);
		http_stop(&td.http);
		daemon_fini(&td.daemon);
		return 1;
	}
	if (startup_database(&td.daemon, &sigs) < 0) {
		intake_stop(&td.intake, NULL);
		http_stop(&td.http);
		daemon_fini(&td.daemon);
		return daemon_stopping(&td.daemon) ? 0 : 1;
	}
	if (start_threads(&td) < 0) {
		stop_threads(&td);
		daemon_fini(&td.daemon);
		return 1;
	}
	rc = run(&td, &sigs);
	log_info("ticketd: stopped");
	daemon_fini(&td.daemon);
	return rc;
}
