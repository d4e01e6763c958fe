/*
 * ctl_attach.c: ticketctl attachment get: an attachment's bytes for agents
 * and admins. Quarantined content (infected, blocked, failed scans) comes
 * out only with an explicit --quarantined.
 */
#include <errno.h>
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

static int
get(const struct ctl_args *a)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	char *end;
	int rc;

	if (strtoll(a->pos[0], &end, 10) <= 0 || *end != '\0')
		return ctl_usage_error(a->cmd, "\"%s\" is not an id", a->pos[0]);
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	rc = fetch(st, a->pos[0], ctl_flag(a, "quarantined"), ctl_str(a, "output"));
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt get_opts[] = {
	{ "quarantined", 0, CTL_FLAG, NULL, "also what the scanner held back" },
	{ "output", 'o', CTL_STR, "FILE", "write to FILE instead of standard output" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_attachment_get = {
	.name = "attachment get", .args = "ID", .min_pos = 1, .max_pos = 1, .opts = get_opts,
	.run = get, .summary = "an attachment's bytes",
};
