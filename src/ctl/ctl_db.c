/*
 * ctl_db.c: ticketctl migrate and ingest (the MTA pipe). Ingest says what
 * it did (staged as inbound N, or a duplicate of inbound N: the same bytes
 * again, an MTA's retry), -q for none of it; --recipient addresses go into
 * the item's meta for the rules' recipient field.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

#define INGEST_MAX (64 * 1024 * 1024)

static int
migrate(const struct ctl_args *a)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int applied = 0, rc;

	(void)a;
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
 * (larger than 64 MiB, empty: the MTA bounces it), CTL_USAGE for a file that
 * cannot be opened, CTL_TEMPFAIL when reading failed (the MTA tries again).
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
		rc = errno == EFBIG ? CTL_DATAERR : CTL_TEMPFAIL;
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

/* The --recipient addresses as the item's meta, {"recipients": [...]}, or NULL (caller frees). */
static char *
envelope_meta(const struct ctl_args *a)
{
	const char *rcpts[CTL_MAX_MANY];
	int n = ctl_strs(a, "recipient", rcpts, CTL_MAX_MANY);
	json_t *arr, *meta;
	char *text;

	if (n == 0)
		return NULL;
	arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string(rcpts[i]));
	meta = json_pack("{s:o}", "recipients", arr);
	text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	return text;
}

static int
ingest(const struct ctl_args *a)
{
	const char *mailbox = ctl_str(a, "mailbox");
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	char key[80], sha[65], *meta = NULL;
	struct buf b;
	int64_t id;
	bool dup;
	int rc;

	/*
	 * A configuration that cannot be read or names no such mailbox is the
	 * admin's to fix: EX_TEMPFAIL, so the MTA keeps the mail meanwhile (any
	 * other failure would bounce it to the customer).
	 */
	if (ctl_load_config(&cfg) != CTL_OK)
		return CTL_TEMPFAIL;
	if (cfg && config_mailbox(cfg, mailbox) == NULL) {
		fprintf(stderr, "ticketctl: ingest: no mailbox named \"%s\" in %s\n", mailbox, cfg->path);
		config_unref(&cfg);
		return CTL_TEMPFAIL;
	}
	buf_init(&b, INGEST_MAX);
	if ((rc = read_input(a->n_pos ? a->pos[0] : NULL, &b)) != CTL_OK)
		goto out;
	if ((rc = ctl_connect(cfg, &st)) != CTL_OK)
		goto out;
	/*
	 * Identical bytes twice are an MTA retry after a lost reply: stage once
	 * (the first delivery's recipients are the ones the rules see).
	 */
	store_sha256_hex(b.data ? b.data : "", b.len, sha);
	snprintf(key, sizeof(key), "pipe:%s", sha);
	meta = envelope_meta(a);
	struct inbound_stage in = { .source = mailbox, .kind = "mail", .raw = b.data ? b.data : "",
	                            .raw_len = b.len, .dedup_key = key, .meta = meta };
	if (store_inbound_stage(st, &in, &id, &dup, &err) < 0) {
		fprintf(stderr, "ticketctl: ingest: %s\n", err.msg);
		rc = err.temporary ? CTL_TEMPFAIL : CTL_USAGE;
	} else if (!ctl_flag(a, "quiet")) {
		printf("%s inbound %" PRId64 "\n", dup ? "duplicate of" : "staged as", id);
	}
out:
	free(meta);
	buf_fini(&b);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

const struct ctl_cmd ctl_cmd_migrate = {
	.name = "migrate", .run = migrate,
	.summary = "apply pending schema migrations",
};

static const struct ctl_opt ingest_opts[] = {
	{ "mailbox", 'm', CTL_STR, "NAME", "the mailbox (pipe) the message arrived at",
	  .required = true },
	{ "recipient", 'r', CTL_STR, "ADDR", "an envelope recipient, for the rules (again for "
	  "each; Postfix: --recipient=${original_recipient})", .many = true },
	{ "quiet", 'q', CTL_FLAG, NULL, "print nothing when the message is staged (for MTAs)" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_ingest = {
	.name = "ingest", .args = "[FILE|-]", .max_pos = 1, .opts = ingest_opts, .run = ingest,
	.summary = "stage one message from FILE or standard input (the MTA pipe)",
};
