/*
 * http_config.c: load the `http:` section (server, sources, incidents).
 * Every key is checked (unknown fields are errors with their position);
 * secrets come from a file or an environment variable, never the YAML.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http_config.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const http_keys[] = {
	"listen", "tls", "threads", "body_limit", "connection_limit", "connection_timeout",
	"per_address_limit", "request_timeout", "committers", "commit_batch", "sources",
	"incidents", NULL,
};
static const char *const tls_keys[] = { "cert", "key", NULL };
static const char *const source_keys[] = {
	"name", "type", "auth", "routing_key", "rate_limit", "group_by_group", "tenant", "queue",
	"mapping", NULL,
};
static const char *const auth_keys[] = {
	"type", "secret_file", "secret_env", "header", "timestamp_header", "tolerance", NULL,
};
static const char *const rate_keys[] = { "requests", "per", NULL };
static const char *const mapping_keys[] = {
	"alerts", "dedup_key", "summary", "description", "severity", "status", "labels", "firing",
	"resolved", "acknowledged", NULL,
};
static const char *const incident_keys[] = {
	"reopen_window", "flap_count", "flap_window", "notify_channel", "notify_recipient", NULL,
};

static const char *const all_keys[] = {
	"http.listen", "http.tls.cert", "http.tls.key", "http.threads", "http.body_limit",
	"http.connection_limit", "http.connection_timeout", "http.per_address_limit",
	"http.request_timeout", "http.committers", "http.commit_batch",
	"http.sources.name", "http.sources.type", "http.sources.auth.type",
	"http.sources.auth.secret_file", "http.sources.auth.secret_env", "http.sources.auth.header",
	"http.sources.auth.timestamp_header", "http.sources.auth.tolerance",
	"http.sources.routing_key", "http.sources.rate_limit.requests", "http.sources.rate_limit.per",
	"http.sources.group_by_group", "http.sources.tenant", "http.sources.queue",
	"http.sources.mapping.alerts", "http.sources.mapping.dedup_key",
	"http.sources.mapping.summary", "http.sources.mapping.description",
	"http.sources.mapping.severity", "http.sources.mapping.status", "http.sources.mapping.labels",
	"http.sources.mapping.firing", "http.sources.mapping.resolved",
	"http.sources.mapping.acknowledged", "http.incidents.reopen_window",
	"http.incidents.flap_count", "http.incidents.flap_window", "http.incidents.notify_channel",
	"http.incidents.notify_recipient", NULL,
};

static const char *const kind_names[] = { "alertmanager", "grafana", "pagerduty", "generic", NULL };

const char *const *
http_config_keys(void)
{
	return all_keys;
}

const char *
http_hook_kind_name(enum hook_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}

/* A string or a list of strings, as a NULL-terminated vector. */
static char **
get_strv(const struct ynode *map, const char *key, struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	char **v;
	const char *s;

	if (n == NULL)
		return NULL;
	if (n->kind == YNODE_SCALAR) {
		v = xcalloc(2, sizeof(*v));
		v[0] = xstrdup(n->scalar);
		return v;
	}
	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "%s must be a string or a list of strings", key);
		return NULL;
	}
	v = xcalloc(n->n + 1, sizeof(*v));
	for (size_t i = 0, k = 0; i < n->n; i++)
		if (ynode_str(n->items[i], &s, errs) == 0)
			v[k++] = xstrdup(s);
	return v;
}

static void
free_strv(char ***v)
{
	for (char **p = *v; p && *p; p++)
		free(*p);
	xfree(v);
}

/* Read the secret from secret_file or secret_env; trailing newlines are cut. */
static void
load_secret(struct http_source *s, const struct ynode *auth, struct tk_errlist *errs)
{
	const struct ynode *f = ynode_get(auth, "secret_file"), *e = ynode_get(auth, "secret_env");
	const char *path = NULL, *var = NULL, *val;
	struct buf b;

	if (f != NULL && ynode_str(f, &path, errs) == 0) {
		buf_init(&b, 64 * 1024);
		if (buf_read_file(&b, path) < 0) {
			ynode_error(errs, f, "source \"%s\": cannot read secret_file %s", s->name, path);
		} else {
			while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
				b.data[--b.len] = '\0';
			s->secret = buf_steal(&b, NULL);
		}
		buf_fini(&b);
	} else if (e != NULL && ynode_str(e, &var, errs) == 0) {
		if ((val = getenv(var)) == NULL || *val == '\0')
			ynode_error(errs, e, "source \"%s\": environment variable %s is not set",
			            s->name, var);
		else
			s->secret = xstrdup(val);
	}
	if (s->auth != HTTP_AUTH_NONE && s->secret == NULL && f == NULL && e == NULL)
		ynode_error(errs, auth, "source \"%s\": auth needs secret_file or secret_env", s->name);
	if (s->secret != NULL && s->secret[0] == '\0')
		ynode_error(errs, auth, "source \"%s\": the secret is empty", s->name);
}

static void
load_auth(struct http_source *s, const struct ynode *auth, struct tk_errlist *errs)
{
	static const char *const types[] = { "none", "bearer", "hmac", NULL };
	const struct ynode *t;
	const char *v;

	if (ynode_check_keys(auth, auth_keys, "auth", errs) && auth->kind != YNODE_MAP)
		return;
	if ((t = ynode_get(auth, "type")) == NULL) {
		ynode_error(errs, auth, "auth needs a type (none, bearer or hmac)");
		return;
	}
	if (ynode_str(t, &v, errs) < 0)
		return;
	for (int i = 0; types[i]; i++)
		if (strcmp(v, types[i]) == 0)
			s->auth = (enum http_auth_kind)i;
	if (strcmp(v, types[s->auth]) != 0)
		ynode_error(errs, t, "auth type \"%s\" is not none, bearer or hmac", v);
	ynode_opt_str(auth, "header", &s->sig_header, errs);
	ynode_opt_str(auth, "timestamp_header", &s->ts_header, errs);
	ynode_opt_ms(auth, "tolerance", &s->tolerance_ms, errs);
	load_secret(s, auth, errs);
}

static void
load_mapping(struct http_source *s, const struct ynode *m, struct tk_errlist *errs)
{
	struct http_mapping *map = &s->map;

	if (ynode_check_keys(m, mapping_keys, "mapping", errs) && m->kind != YNODE_MAP)
		return;
	ynode_opt_str(m, "alerts", &map->alerts, errs);
	ynode_opt_str(m, "dedup_key", &map->dedup_key, errs);
	ynode_opt_str(m, "summary", &map->summary, errs);
	ynode_opt_str(m, "description", &map->description, errs);
	ynode_opt_str(m, "severity", &map->severity, errs);
	ynode_opt_str(m, "status", &map->status, errs);
	ynode_opt_str(m, "labels", &map->labels, errs);
	if (ynode_get(m, "firing") != NULL) {
		free_strv(&map->firing);
		map->firing = get_strv(m, "firing", errs);
	}
	if (ynode_get(m, "resolved") != NULL) {
		free_strv(&map->resolved);
		map->resolved = get_strv(m, "resolved", errs);
	}
	map->acknowledged = get_strv(m, "acknowledged", errs);
	if (map->dedup_key == NULL)
		ynode_error(errs, m, "source \"%s\": mapping needs dedup_key", s->name);
}

static void
source_defaults(struct http_source *s)
{
	s->sig_header = xstrdup("X-Ticketd-Signature");
	s->ts_header = xstrdup("X-Ticketd-Timestamp");
	s->tolerance_ms = 300000;
	s->rate_window_ms = 1000;
	s->queue = xstrdup("operations");
	s->map.firing = xcalloc(3, sizeof(char *));
	s->map.firing[0] = xstrdup("firing");
	s->map.firing[1] = xstrdup("trigger");
	s->map.resolved = xcalloc(3, sizeof(char *));
	s->map.resolved[0] = xstrdup("resolved");
	s->map.resolved[1] = xstrdup("resolve");
}

static void
check_source(const struct http_config *hc, const struct http_source *s, const struct ynode *n,
             struct tk_errlist *errs)
{
	if (s->name == NULL || s->name[0] == '\0' || strchr(s->name, '/') != NULL)
		ynode_error(errs, n, "source needs a name without '/'");
	if (s->kind == HOOK_PAGERDUTY && s->routing_key == NULL)
		ynode_error(errs, n, "pagerduty source \"%s\" needs a routing_key", s->name);
	if (s->kind == HOOK_GENERIC && ynode_get(n, "mapping") == NULL)
		ynode_error(errs, n, "generic source \"%s\" needs a mapping", s->name);
	for (size_t i = 0; i + 1 < hc->n_sources && s->name; i++) {
		const struct http_source *o = &hc->sources[i];

		if (o->name && strcmp(o->name, s->name) == 0)
			ynode_error(errs, n, "source \"%s\" is defined twice", s->name);
		if (s->routing_key && o->routing_key && strcmp(o->routing_key, s->routing_key) == 0)
			ynode_error(errs, n, "routing_key of \"%s\" is already used by \"%s\"", s->name,
			            o->name);
	}
}

static void
load_source(struct http_config *hc, const struct ynode *n, struct tk_errlist *errs)
{
	const struct ynode *t, *sub;
	struct http_source *s;
	const char *v;

	if (ynode_check_keys(n, source_keys, "source", errs) && n->kind != YNODE_MAP)
		return;
	hc->sources = xreallocarray(hc->sources, hc->n_sources + 1, sizeof(*hc->sources));
	s = &hc->sources[hc->n_sources++];
	memset(s, 0, sizeof(*s));
	source_defaults(s);
	ynode_opt_str(n, "name", &s->name, errs);
	if ((t = ynode_get(n, "type")) == NULL)
		ynode_error(errs, n, "source needs a type (alertmanager, grafana, pagerduty, generic)");
	else if (ynode_str(t, &v, errs) == 0) {
		int k = -1;

		for (int i = 0; kind_names[i]; i++)
			if (strcmp(kind_names[i], v) == 0)
				k = i;
		if (k < 0)
			ynode_error(errs, t, "source type \"%s\" is not alertmanager, grafana, "
			            "pagerduty or generic", v);
		s->kind = k < 0 ? HOOK_ALERTMANAGER : (enum hook_kind)k; /* no follow-up errors */
	}
	if ((sub = ynode_get(n, "auth")) != NULL)
		load_auth(s, sub, errs);
	ynode_opt_str(n, "routing_key", &s->routing_key, errs);
	ynode_opt_str(n, "tenant", &s->tenant, errs);
	ynode_opt_str(n, "queue", &s->queue, errs);
	if ((sub = ynode_get(n, "group_by_group")) != NULL)
		ynode_bool(sub, &s->group_by_group, errs);
	if ((sub = ynode_get(n, "rate_limit")) != NULL &&
	    ynode_check_keys(sub, rate_keys, "rate_limit", errs) == 0) {
		ynode_opt_int(sub, "requests", 1, 1000000000, &s->rate_count, errs);
		ynode_opt_ms(sub, "per", &s->rate_window_ms, errs);
		if (s->rate_window_ms < 1000 || s->rate_window_ms % 1000 != 0)
			ynode_error(errs, sub, "rate_limit.per must be whole seconds, at least 1s");
	}
	if ((sub = ynode_get(n, "mapping")) != NULL)
		load_mapping(s, sub, errs);
	check_source(hc, s, n, errs);
}

static void
load_listen(struct http_config *hc, const struct ynode *n, struct tk_errlist *errs)
{
	char **v = get_strv(n, "listen", errs);

	for (size_t i = 0; v && v[i]; i++) {
		const char *colon = strrchr(v[i], ':');

		if (colon == NULL || colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
		    strlen(colon + 1) || atoi(colon + 1) > 65535)
			ynode_error(errs, ynode_get(n, "listen"), "listen address \"%s\" is not "
			            "ADDRESS:PORT (port 0: any free port, logged at start)", v[i]);
		hc->n_listen++;
	}
	hc->listen = v;
}

static void
load_incidents(struct http_config *hc, const struct ynode *n, struct tk_errlist *errs)
{
	if (ynode_check_keys(n, incident_keys, "incidents", errs) && n->kind != YNODE_MAP)
		return;
	ynode_opt_ms(n, "reopen_window", &hc->reopen_window_ms, errs);
	ynode_opt_int(n, "flap_count", 2, 1000, &hc->flap_count, errs);
	ynode_opt_ms(n, "flap_window", &hc->flap_window_ms, errs);
	ynode_opt_str(n, "notify_channel", &hc->notify_channel, errs);
	ynode_opt_str(n, "notify_recipient", &hc->notify_recipient, errs);
	if (hc->notify_channel && strcmp(hc->notify_channel, "smtp") != 0 &&
	    strcmp(hc->notify_channel, "slack") != 0)
		ynode_error(errs, ynode_get(n, "notify_channel"), "notify_channel must be smtp or slack");
	if ((hc->notify_channel == NULL) != (hc->notify_recipient == NULL))
		ynode_error(errs, n, "notify_channel and notify_recipient go together");
}

int
http_config_load(const struct ynode *n, struct http_config **hc_r, struct tk_errlist *errs)
{
	struct http_config *hc = xnew(struct http_config);
	const struct ynode *sub;
	size_t before = errs->n;

	*hc_r = hc;
	hc->threads = 4;
	hc->body_limit = 512 * 1024;
	hc->connection_limit = 1024;
	hc->connection_timeout_ms = 30000;
	hc->per_address_limit = 64;
	hc->request_timeout_ms = 30000;
	hc->committers = 2;
	hc->commit_batch = 512;
	hc->reopen_window_ms = 3600000;
	hc->flap_count = 4;
	hc->flap_window_ms = 3600000;
	if (ynode_check_keys(n, http_keys, "http", errs) && n->kind != YNODE_MAP)
		return -1;
	load_listen(hc, n, errs);
	if (hc->n_listen == 0)
		ynode_error(errs, n, "http needs listen: ADDRESS:PORT (or a list of them)");
	if ((sub = ynode_get(n, "tls")) != NULL &&
	    ynode_check_keys(sub, tls_keys, "tls", errs) == 0) {
		ynode_opt_str(sub, "cert", &hc->tls_cert, errs);
		ynode_opt_str(sub, "key", &hc->tls_key, errs);
		if (hc->tls_cert == NULL || hc->tls_key == NULL)
			ynode_error(errs, sub, "tls needs cert and key");
	}
	ynode_opt_int(n, "threads", 1, 256, &hc->threads, errs);
	if ((sub = ynode_get(n, "body_limit")) != NULL &&
	    ynode_size(sub, &hc->body_limit, errs) == 0 &&
	    (hc->body_limit < 1024 || hc->body_limit > 64 * 1024 * 1024))
		ynode_error(errs, sub, "body_limit must be between 1k and 64M");
	ynode_opt_int(n, "connection_limit", 1, 100000, &hc->connection_limit, errs);
	ynode_opt_ms(n, "connection_timeout", &hc->connection_timeout_ms, errs);
	ynode_opt_int(n, "per_address_limit", 0, 100000, &hc->per_address_limit, errs);
	ynode_opt_ms(n, "request_timeout", &hc->request_timeout_ms, errs);
	ynode_opt_int(n, "committers", 1, 16, &hc->committers, errs);
	ynode_opt_int(n, "commit_batch", 1, 10000, &hc->commit_batch, errs);
	if ((sub = ynode_get(n, "sources")) != NULL) {
		if (sub->kind != YNODE_SEQ)
			ynode_error(errs, sub, "sources must be a list");
		for (size_t i = 0; sub->kind == YNODE_SEQ && i < sub->n; i++)
			load_source(hc, sub->items[i], errs);
	}
	if ((sub = ynode_get(n, "incidents")) != NULL)
		load_incidents(hc, sub, errs);
	return errs->n > before ? -1 : 0;
}

static void
source_fini(struct http_source *s)
{
	char **strs[] = { &s->name, &s->secret, &s->sig_header, &s->ts_header, &s->routing_key,
	                  &s->tenant, &s->queue, &s->map.alerts, &s->map.dedup_key,
	                  &s->map.summary, &s->map.description, &s->map.severity, &s->map.status,
	                  &s->map.labels };

	if (s->secret)
		memset(s->secret, 0, strlen(s->secret));
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		xfree(strs[i]);
	free_strv(&s->map.firing);
	free_strv(&s->map.resolved);
	free_strv(&s->map.acknowledged);
}

void
http_config_free(struct http_config **hcp)
{
	struct http_config *hc = *hcp;

	if (hc == NULL)
		return;
	*hcp = NULL;
	free_strv(&hc->listen);
	for (size_t i = 0; i < hc->n_sources; i++)
		source_fini(&hc->sources[i]);
	free(hc->sources);
	xfree(&hc->tls_cert);
	xfree(&hc->tls_key);
	xfree(&hc->notify_channel);
	xfree(&hc->notify_recipient);
	free(hc);
}

const struct http_source *
http_config_source(const struct http_config *hc, const char *name)
{
	for (size_t i = 0; hc && name && i < hc->n_sources; i++)
		if (hc->sources[i].name && strcmp(hc->sources[i].name, name) == 0)
			return &hc->sources[i];
	return NULL;
}

const struct http_source *
http_config_routing_key(const struct http_config *hc, const char *key)
{
	for (size_t i = 0; hc && key && i < hc->n_sources; i++)
		if (hc->sources[i].kind == HOOK_PAGERDUTY && hc->sources[i].routing_key &&
		    strcmp(hc->sources[i].routing_key, key) == 0)
			return &hc->sources[i];
	return NULL;
}
