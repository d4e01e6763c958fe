/*
 * ctl_db.c: ticketctl migrate, ingest (the MTA pipe) and inbound
 * (list, show, retry the staged items).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

#define INGEST_MAX (64 * 1024 * 1024)

int
ctl_migrate(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int applied = 0, rc;

	if (argc != 1) {
		fprintf(stderr, "usage: ticketctl migrate\n");
		return CTL_USAGE;
	}
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (store_migrate(st, &applied, &err) < 0) {
		fprintf(stderr, "ticketctl: migrate: %s\n", err.msg);
		rc = err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	} else {
		printf("migrations applied: %d\n", applied);
	}
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

/*
 * Read the message: CTL_OK, CTL_DATAERR for one that can never be accepted
 * (larger than 64 MiB, empty: the MTA bounces it), CTL_USAGE otherwise.
 */
static int
read_input(const char *file, struct buf *b)
{
	int fd = (file == NULL || strcmp(file, "-") == 0) ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	const char *name = fd ? file : "stdin";
	int rc = CTL_OK;

	if (fd < 0) {
		fprintf(stderr, "ticketctl: ingest: cannot open %s: %s\n", file, strerror(errno));
		return CTL_USAGE;
	}
	if (buf_read_fd(b, fd) < 0) {
		rc = errno == EFBIG ? CTL_DATAERR : CTL_USAGE;
		fprintf(stderr, "ticketctl: ingest: cannot read %s: %s\n", name,
		        errno == EFBIG ? "message larger than 64 MiB" : strerror(errno));
	} else if (b->len == 0) {
		rc = CTL_DATAERR;
		fprintf(stderr, "ticketctl: ingest: %s: empty message\n", name);
	}
	if (fd > 0)
		close(fd);
	return rc;
}

int
ctl_ingest(int argc, char **argv)
{
	static const struct option opts[] = { { "mailbox", required_argument, NULL, 'm' }, { 0 } };
	const char *mailbox = NULL;
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	char key[80], sha[65];
	struct buf b;
	int64_t id;
	bool dup;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		if (opt != 'm')
			return CTL_USAGE;
		mailbox = optarg;
	}
	if (mailbox == NULL || argc - optind > 1) {
		fprintf(stderr, "usage: ticketctl ingest --mailbox NAME [FILE|-]\n");
		return CTL_USAGE;
	}
	if ((rc = ctl_load_config(&cfg)) != CTL_OK)
		return rc;
	if (cfg && config_mailbox(cfg, mailbox) == NULL) {
		fprintf(stderr, "ticketctl: ingest: no mailbox named \"%s\" in %s\n", mailbox, cfg->path);
		config_unref(&cfg);
		return CTL_USAGE;
	}
	buf_init(&b, INGEST_MAX);
	if ((rc = read_input(optind < argc ? argv[optind] : NULL, &b)) != CTL_OK)
		goto out;
	if ((rc = ctl_connect(cfg, &st)) != CTL_OK)
		goto out;
	/* Identical bytes twice are an MTA retry after a lost reply: stage once. */
	store_sha256_hex(b.data ? b.data : "", b.len, sha);
	snprintf(key, sizeof(key), "pipe:%s", sha);
	struct inbound_stage in = { .source = mailbox, .kind = "mail", .raw = b.data ? b.data : "",
	                            .raw_len = b.len, .dedup_key = key };
	if (store_inbound_stage(st, &in, &id, &dup, &err) < 0) {
		fprintf(stderr, "ticketctl: ingest: %s\n", err.msg);
		rc = err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	}
out:
	buf_fini(&b);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static int
inbound_list(struct store *st, const char *state, int json)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };

	if (store_exec(st, &res, &err,
	               "SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text, count(*) FROM ("
	               "SELECT id, source, kind, state, attempts, error_kind, last_error, message_id, "
	               "ticket_id, received_at, processed_at, length(raw) AS bytes FROM inbound "
	               "WHERE $1 = 'all' OR state = $1 ORDER BY id DESC LIMIT 1000) x",
	               1, state) < 0) {
		fprintf(stderr, "ticketctl: %s\n", err.msg);
		return err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	}
	if (json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		PGresult *rows = NULL;

		PQclear(res);
		if (store_exec(st, &rows, &err,
		               "SELECT id, source, state, attempts, coalesce(error_kind, ''), "
		               "coalesce(left(last_error, 80), '') FROM inbound "
		               "WHERE $1 = 'all' OR state = $1 ORDER BY id DESC LIMIT 1000", 1, state) < 0)
			return CTL_TEMPFAIL;
		printf("%-8s %-16s %-8s %-8s %-9s %s\n", "ID", "SOURCE", "STATE", "ATTEMPTS", "KIND",
		       "ERROR");
		for (int i = 0; i < PQntuples(rows); i++)
			printf("%-8s %-16s %-8s %-8s %-9s %s\n", PQgetvalue(rows, i, 0),
			       PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 3),
			       PQgetvalue(rows, i, 4), PQgetvalue(rows, i, 5));
		res = rows;
	}
	PQclear(res);
	return CTL_OK;
}

static int
inbound_show(struct store *st, const char *id, int raw)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };
	char *end;

	strtoll(id, &end, 10);
	if (*id == '\0' || *end != '\0') {
		fprintf(stderr, "ticketctl: inbound show: \"%s\" is not an id\n", id);
		return CTL_USAGE;
	}
	if (store_exec(st, &res, &err,
	               raw ? "SELECT raw FROM inbound WHERE id = $1::bigint"
	                   : "SELECT row_to_json(x)::text FROM (SELECT id, source, kind, state, "
	                     "attempts, error_kind, last_error, message_id, dedup_key, meta, "
	                     "ticket_id, received_at, processed_at, next_attempt_at, raw_sha256, "
	                     "length(raw) AS bytes FROM inbound WHERE id = $1::bigint) x",
	               1, id) < 0) {
		fprintf(stderr, "ticketctl: %s\n", err.msg);
		return err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "ticketctl: no inbound item %s\n", id);
		PQclear(res);
		return CTL_USAGE;
	}
	if (raw) {
		size_t len = 0;
		unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len);

		fwrite(bytes, 1, len, stdout);
		PQfreemem(bytes);
	} else {
		printf("%s\n", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return CTL_OK;
}

static int
inbound_retry(struct store *st, const char *what)
{
	struct tk_err err = { 0 };
	int64_t id = 0;
	int n = 0;

	if (strcmp(what, "--all") != 0) {
		char *end;

		id = strtoll(what, &end, 10);
		if (*what == '\0' || *end != '\0' || id <= 0) {
			fprintf(stderr, "ticketctl: inbound retry: \"%s\" is not an id (or --all)\n", what);
			return CTL_USAGE;
		}
	}
	if (store_inbound_retry(st, id, &n, &err) < 0) {
		fprintf(stderr, "ticketctl: %s\n", err.msg);
		return err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	}
	printf("requeued: %d\n", n);
	if (n == 0 && id != 0) {
		fprintf(stderr, "ticketctl: inbound %s is not in state failed, or was refused at intake "
		                "(nothing to process)\n", what);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
ctl_inbound(int argc, char **argv)
{
	static const struct ctl_queue q = {
		.default_state = "failed", .list = inbound_list, .show = inbound_show, .retry = inbound_retry,
		.usage = "usage: ticketctl inbound list [--state pending|failed|done|dropped|quarantined|all] "
	            "[--json] | show ID [--raw] | retry ID|--all",
	};

	return ctl_queue_run(&q, argc, argv);
}
