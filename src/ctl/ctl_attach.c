/*
 * ctl_attach.c: ticketctl attachment get: an attachment's bytes for agents
 * and admins. Quarantined content (infected, blocked, failed scans) comes
 * out only with an explicit --quarantined.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "store.h"

static int
write_out(const char *path, const unsigned char *data, size_t len)
{
	FILE *fp = path ? fopen(path, "wb") : stdout;

	if (fp == NULL) {
		fprintf(stderr, "ticketctl: attachment: cannot write %s: %s\n", path, strerror(errno));
		return CTL_USAGE;
	}
	if (fwrite(data, 1, len, fp) != len || (path && fclose(fp) != 0)) {
		fprintf(stderr, "ticketctl: attachment: write failed: %s\n", strerror(errno));
		return CTL_USAGE;
	}
	if (!path)
		fflush(stdout);
	return CTL_OK;
}

static int
fetch(struct store *st, const char *id, int quarantined, const char *out)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };
	unsigned char *bytes;
	size_t len = 0;
	int rc;

	if (store_exec(st, &res, &err,
	               "SELECT a.stored, a.scan_status, coalesce(a.scan_detail, ''), "
	               "coalesce(b.data, q.data) IS NOT NULL, "
	               "CASE WHEN a.stored THEN b.data WHEN $2::boolean THEN q.data END "
	               "FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 AND a.stored "
	               "LEFT JOIN quarantine q ON q.attachment_id = a.id WHERE a.id = $1::bigint",
	               2, id, quarantined ? "true" : "false") < 0) {
		fprintf(stderr, "ticketctl: %s\n", err.msg);
		return err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "ticketctl: no attachment %s\n", id);
		rc = CTL_USAGE;
	} else if (strcmp(PQgetvalue(res, 0, 0), "f") == 0 && !quarantined) {
		fprintf(stderr, "ticketctl: attachment %s was held back (%s: %s); "
		        "use --quarantined to retrieve it\n", id, PQgetvalue(res, 0, 1),
		        PQgetvalue(res, 0, 2));
		rc = CTL_USAGE;
	} else if (PQgetisnull(res, 0, 4)) {
		fprintf(stderr, "ticketctl: attachment %s has no stored content\n", id);
		rc = CTL_USAGE;
	} else {
		bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 4), &len);
		rc = write_out(out, bytes, len);
		PQfreemem(bytes);
	}
	PQclear(res);
	return rc;
}

int
ctl_attachment(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quarantined", no_argument, NULL, 'q' }, { "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *out = NULL;
	struct config *cfg = NULL;
	struct store *st = NULL;
	int opt, quarantined = 0, rc;
	char *end;

	if (argc < 2 || strcmp(argv[1], "get") != 0)
		goto usage;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (opt == 'q')
			quarantined = 1;
		else if (opt == 'o')
			out = optarg;
		else
			goto usage;
	}
	if (optind + 1 != argc || (strtoll(argv[optind], &end, 10), *end != '\0'))
		goto usage;
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	rc = fetch(st, argv[optind], quarantined, out);
	store_close(&st);
	config_unref(&cfg);
	return rc;
usage:
	fprintf(stderr, "usage: ticketctl attachment get [--quarantined] ID [-o FILE]\n");
	return CTL_USAGE;
}
