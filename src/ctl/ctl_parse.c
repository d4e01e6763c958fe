/*
 * ctl_parse.c: `ticketctl parse [--json] FILE|-`: parse one message with
 * mime_parse() and print what the daemon would see, without a database.
 * The --json keys are a contract (tests and tools read them).
 */
/* System. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "buf.h"
#include "ctl.h"
#include "html.h"
#include "mime.h"
#include "quote.h"
#include "xalloc.h"

static json_t *
jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static json_t *
jaddrs(const struct mime_addr *a, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		if (a[i].addr && a[i].addr[0])
			json_array_append_new(arr, jstr(a[i].addr));
	return arr;
}

static void
iso_date(const struct mime_msg *m, char out[32])
{
	struct tm tm;

	out[0] = '\0';
	if (m->has_date && gmtime_r(&m->date, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* visible_text (what an agent sees of a reply) and quoted_text (what was removed). */
static void
add_reply_split(json_t *o, const struct mime_msg *m)
{
	char *visible = NULL, *quoted = NULL;

	if (m->text_from_html && m->html)
		quote_split_html(m->html, strlen(m->html), &visible, &quoted);
	else
		quote_split(m->text, &visible, &quoted);
	json_object_set_new(o, "visible_text", jstr(visible));
	json_object_set_new(o, "quoted_text", jstr(quoted));
	free(visible);
	free(quoted);
}

static json_t *
msg_json(const struct mime_msg *m)
{
	json_t *o = json_object(), *refs = json_array(), *atts = json_array();
	char date[32];

	iso_date(m, date);
	json_object_set_new(o, "subject", jstr(m->subject));
	json_object_set_new(o, "from_addr", jstr(m->from.addr));
	json_object_set_new(o, "from_name", jstr(m->from.name));
	json_object_set_new(o, "to_addrs", jaddrs(m->to, m->n_to));
	json_object_set_new(o, "cc_addrs", jaddrs(m->cc, m->n_cc));
	json_object_set_new(o, "reply_to_addrs", jaddrs(m->reply_to, m->n_reply_to));
	json_object_set_new(o, "return_path", jstr(m->return_path));
	json_object_set_new(o, "list_id", jstr(m->list_id));
	json_object_set_new(o, "message_id", jstr(m->message_id));
	json_object_set_new(o, "in_reply_to", jstr(m->in_reply_to));
	for (size_t i = 0; i < m->n_references; i++)
		json_array_append_new(refs, jstr(m->references[i]));
	json_object_set_new(o, "references", refs);
	json_object_set_new(o, "date_utc", date[0] ? json_string(date) : json_null());
	json_object_set_new(o, "is_auto_reply", json_boolean(m->is_auto_reply));
	json_object_set_new(o, "is_bounce", json_boolean(m->is_bounce));
	json_object_set_new(o, "text", jstr(m->text));
	json_object_set_new(o, "text_from_html", json_boolean(m->text_from_html));
	json_object_set_new(o, "forwarded", jstr(m->forwarded));
	json_object_set_new(o, "warning", jstr(m->warning));
	json_object_set_new(o, "content_sha256", json_string(m->content_sha256));
	add_reply_split(o, m);
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct mime_attachment *a = &m->attachments[i];
		json_t *j = json_object();

		json_object_set_new(j, "filename", jstr(a->filename));
		json_object_set_new(j, "content_type", jstr(a->content_type));
		json_object_set_new(j, "size", json_integer((json_int_t)a->size));
		json_object_set_new(j, "sha256", json_string(a->sha256));
		json_object_set_new(j, "disposition", jstr(a->disposition));
		json_object_set_new(j, "content_id", jstr(a->content_id));
		json_object_set_new(j, "is_inline", json_boolean(a->is_inline));
		json_object_set_new(j, "is_message", json_boolean(a->is_message));
		json_object_set_new(j, "is_forward", json_boolean(a->is_forward));
		json_array_append_new(atts, j);
	}
	json_object_set_new(o, "attachments", atts);
	return o;
}

/* Print untrusted text with control characters (but newline and tab) as '?'. */
static void
put_clean(const char *s, FILE *fp)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : c, fp);
	}
}

static void
put_line(const char *label, const char *value)
{
	printf("%-12s ", label);
	put_clean(value ? value : "(none)", stdout);
	putchar('\n');
}

static void
print_summary(const struct mime_msg *m)
{
	char date[32];

	iso_date(m, date);
	put_line("Subject:", m->subject);
	put_line("From:", m->from.addr);
	for (size_t i = 0; i < m->n_to; i++)
		put_line("To:", m->to[i].addr);
	for (size_t i = 0; i < m->n_cc; i++)
		put_line("Cc:", m->cc[i].addr);
	put_line("Message-ID:", m->message_id);
	put_line("In-Reply-To:", m->in_reply_to);
	put_line("Date (UTC):", date[0] ? date : NULL);
	printf("%-12s auto-reply=%s bounce=%s text-from-html=%s\n", "Flags:",
	       m->is_auto_reply ? "yes" : "no", m->is_bounce ? "yes" : "no",
	       m->text_from_html ? "yes" : "no");
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct mime_attachment *a = &m->attachments[i];

		printf("%-12s ", "Attachment:");
		put_clean(a->filename ? a->filename : "(no name)", stdout);
		printf(" %s %zu bytes sha256=%s%s\n", a->content_type, a->size, a->sha256,
		       a->is_inline ? " inline" : a->is_forward ? " forwarded" : "");
	}
	if (m->warning)
		put_line("Warning:", m->warning);
	putchar('\n');
	put_clean(m->text, stdout);
	putchar('\n');
	if (m->forwarded) {
		putchar('\n');
		put_clean(m->forwarded, stdout);
		putchar('\n');
	}
}

static int
read_input(const char *path, struct buf *b)
{
	int rc;

	buf_init(b, MIME_MAX_SIZE + 1);
	rc = strcmp(path, "-") == 0 ? buf_read_fd(b, STDIN_FILENO) : buf_read_file(b, path);
	if (rc < 0) {
		fprintf(stderr, "ticketctl parse: %s: %s\n", path,
		        errno == EFBIG ? "message over the 64 MiB limit" : strerror(errno));
		buf_fini(b);
		return -1;
	}
	return 0;
}

static int
parse(const struct ctl_args *a)
{
	bool json = ctl_flag(a, "json");
	const char *path = a->pos[0];
	struct buf in;
	struct mime_msg *m = NULL;
	struct tk_err err;

	if (read_input(path, &in) < 0)
		return CTL_USAGE;
	html_init();
	if (mime_parse(in.data, in.len, &m, &err) < 0) {
		fprintf(stderr, "ticketctl parse: %s: %s\n", path, err.msg);
		buf_fini(&in);
		return CTL_USAGE;
	}
	if (json) {
		json_t *o = msg_json(m);
		char *s = json_dumps(o, JSON_INDENT(2));

		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		print_summary(m);
	}
	mime_msg_free(&m);
	buf_fini(&in);
	return CTL_OK;
}

static const struct ctl_opt parse_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "the parsed message as JSON (the keys are a contract)" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_parse = {
	.name = "parse", .args = "FILE|-", .min_pos = 1, .max_pos = 1, .opts = parse_opts,
	.run = parse, .summary = "how a message parses, without a database",
};
