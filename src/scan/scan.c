/*
 * scan.c: one verdict per attachment (see scan.h), and the libclamav engine
 * that is shared by every worker thread.
 *
 * DESIGN. The compiled engine lives in a refcounted struct scan_engine; the
 * struct scan holds the current one under a mutex. A scan takes a reference
 * (a few instructions under the lock), scans without the lock, and drops the
 * reference; the last holder frees the engine. At most every
 * reload_check_interval a scan checks the signature directory
 * (cl_statchkdir plus a fingerprint of the entries: a few stat calls, under
 * the lock). When it changed, that
 * scan starts a detached helper thread that loads and compiles a new engine
 * beside the old one and swaps it in; scans go on with the old engine
 * meanwhile, and those in flight at the swap finish on it. One reload runs at
 * a time (s->reloading); scan_free() waits for it.
 *
 * libmagic cookies are not thread-safe: a small pool hands one to each
 * concurrent scan and grows to the number of concurrent callers.
 */
/* System. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
/* Libraries. */
#include <clamav.h>
#include <magic.h>
/* ticketd. */
#include "log.h"
#include "scan.h"
#include "scan_int.h"
#include "xalloc.h"

struct scan_engine {
	struct cl_engine *cl;
	unsigned refs;           /* under scan.lock */
	unsigned generation;
	unsigned signatures;
};

struct scan {
	struct scan_config cfg;         /* private copy */
	pthread_mutex_t lock;
	pthread_cond_t reload_done;
	struct scan_engine *engine;     /* libclamav only; under lock */
	struct cl_stat dbstat;          /* under lock */
	bool have_dbstat;
	uint64_t dir_fp;                /* scan_dir_fingerprint() at the last load; under lock */
	bool reloading;                 /* a reload is running; under lock */
	int64_t last_check_ms;          /* monotonic; under lock */
	unsigned generation;            /* of the newest engine; under lock */
	magic_t *magic_free;            /* idle cookies; under magic_lock */
	size_t n_magic_free, cap_magic_free;
	pthread_mutex_t magic_lock;
};

static pthread_once_t scan_cl_once = PTHREAD_ONCE_INIT;
static cl_error_t scan_cl_init_rc;

/* ------------------------------------------------------------------ results */

void
scan_result_set(struct scan_result *res, enum scan_verdict v, const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

void
scan_result_found(struct scan_result *res, const char *virname)
{
	if (strncmp(virname, "Heuristics.Limits.Exceeded", 26) == 0)
		scan_result_set(res, SCAN_ERROR, "scan limit exceeded (%s)", virname);
	else if (strncmp(virname, "Heuristics.Encrypted", 20) == 0)
		scan_result_set(res, SCAN_ERROR, "encrypted content cannot be scanned (%s)", virname);
	else
		scan_result_set(res, SCAN_INFECTED, "%s", virname);
}

const char *
scan_verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN:
		return "clean";
	case SCAN_INFECTED:
		return "infected";
	case SCAN_ERROR:
		return "error";
	case SCAN_BLOCKED:
		return "blocked";
	case SCAN_UNSCANNED:
		return "unscanned";
	}
	return "error";
}

const struct scan_config *
scan_get_config(const struct scan *s)
{
	return &s->cfg;
}

static int64_t
scan_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ libmagic */

static magic_t
scan_magic_open(struct tk_err *err)
{
	magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);

	if (m == NULL) {
		tk_err_set(err, "scan: libmagic: %s", strerror(errno));
		return NULL;
	}
	if (magic_load(m, NULL) < 0) {
		tk_err_set(err, "scan: libmagic: cannot load the magic database: %s", magic_error(m));
		magic_close(m);
		return NULL;
	}
	return m;
}

static void
scan_magic_put(struct scan *s, magic_t m)
{
	pthread_mutex_lock(&s->magic_lock);
	if (s->n_magic_free == s->cap_magic_free) {
		s->cap_magic_free = s->cap_magic_free ? s->cap_magic_free * 2 : 4;
		s->magic_free = xreallocarray(s->magic_free, s->cap_magic_free, sizeof(magic_t));
	}
	s->magic_free[s->n_magic_free++] = m;
	pthread_mutex_unlock(&s->magic_lock);
}

static magic_t
scan_magic_get(struct scan *s, struct tk_err *err)
{
	magic_t m = NULL;

	pthread_mutex_lock(&s->magic_lock);
	if (s->n_magic_free > 0)
		m = s->magic_free[--s->n_magic_free];
	pthread_mutex_unlock(&s->magic_lock);
	return m != NULL ? m : scan_magic_open(err);
}

/* Fill res->content_type; "" and -1 when libmagic fails. */
static int
scan_detect_type(struct scan *s, const void *data, size_t len, struct scan_result *res,
                 struct tk_err *err)
{
	magic_t m = scan_magic_get(s, err);
	const char *t;
	int rc = -1;

	if (m == NULL)
		return -1;
	t = magic_buffer(m, data, len);
	if (t == NULL)
		tk_err_set(err, "type detection failed: %s", magic_error(m));
	else {
		snprintf(res->content_type, sizeof(res->content_type), "%s", t);
		rc = 0;
	}
	scan_magic_put(s, m);
	return rc;
}

/* BLOCKED by size or type, per the config; returns 1 if blocked. */
static int
scan_limits(const struct scan_config *cfg, size_t len, struct scan_result *res)
{
	const char *t = res->content_type;
	size_t i;

	if (cfg->max_attachment_size > 0 && len > (uint64_t)cfg->max_attachment_size) {
		scan_result_set(res, SCAN_BLOCKED, "size %zu bytes exceeds max_attachment_size %lld",
		                len, (long long)cfg->max_attachment_size);
		return 1;
	}
	for (i = 0; i < cfg->n_blocked_types; i++)
		if (scan_type_match(cfg->blocked_types[i], t)) {
			scan_result_set(res, SCAN_BLOCKED, "type %s is blocked (blocked_types: %s)",
			                t, cfg->blocked_types[i]);
			return 1;
		}
	if (cfg->n_allowed_types == 0)
		return 0;
	for (i = 0; i < cfg->n_allowed_types; i++)
		if (scan_type_match(cfg->allowed_types[i], t))
			return 0;
	scan_result_set(res, SCAN_BLOCKED, "type %s is not in allowed_types", t);
	return 1;
}

int
scan_check_message_size(const struct scan *s, size_t total, struct scan_result *res)
{
	memset(res, 0, sizeof(*res));
	if (s->cfg.max_message_size <= 0 || total <= (uint64_t)s->cfg.max_message_size)
		return 0;
	scan_result_set(res, SCAN_BLOCKED, "message size %zu bytes exceeds max_message_size %lld",
	                total, (long long)s->cfg.max_message_size);
	return 1;
}

/* ------------------------------------------------------------------ engine */

static void
scan_cl_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
	char line[256], clip[256];
	size_t n;

	snprintf(line, sizeof(line), "%s", msg ? msg : "");
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_clip(clip, sizeof(clip), line);
	if (severity == CL_MSG_ERROR)
		log_warn("scan: libclamav: %s", clip);
	else if (severity == CL_MSG_WARN)
		log_info("scan: libclamav: %s", clip);
	else
		log_debug("scan: libclamav: %s", clip);
}

static void
scan_cl_init(void)
{
	cl_set_clcb_msg(scan_cl_msg);
	scan_cl_init_rc = cl_init(CL_INIT_DEFAULT);
}

/* A missing directory or one without any file is refused before cl_load. */
static int
scan_dir_check(const char *dir, struct tk_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t files = 0;

	if (d == NULL)
		return tk_err_set(err, "scan: signature directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			files++;
	closedir(d);
	if (files == 0)
		return tk_err_set(err, "scan: signature directory %s is empty "
		                  "(no signature databases; run freshclam or install some)", dir);
	return 0;
}

static uint64_t
scan_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * A digest of the directory's entries (name, inode, size, mtime in ns),
 * independent of their order. It completes cl_statchkdir(), which compares
 * mtimes in whole seconds and does not notice a removed file.
 */
static uint64_t
scan_dir_fingerprint(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0, n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		uint64_t h = 0xcbf29ce484222325ull;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		for (const char *p = de->d_name; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
		h = scan_mix(h ^ scan_mix((uint64_t)st.st_ino));
		h = scan_mix(h ^ (uint64_t)st.st_size);
		h = scan_mix(h ^ ((uint64_t)st.st_mtim.tv_sec * 1000000000ull +
		                  (uint64_t)st.st_mtim.tv_nsec));
		sum += h;
		n++;
	}
	closedir(d);
	return scan_mix(sum ^ n);
}

static void
scan_engine_unref(struct scan *s, struct scan_engine *e)
{
	bool last;

	if (e == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last) {
		cl_engine_free(e->cl);
		free(e);
	}
}

static struct scan_engine *
scan_engine_ref(struct scan *s)
{
	struct scan_engine *e;

	pthread_mutex_lock(&s->lock);
	e = s->engine;
	if (e != NULL)
		e->refs++;
	pthread_mutex_unlock(&s->lock);
	return e;
}

/* Per-scan context handed to libclamav's callbacks. */
struct scan_ctx {
	struct scan *s;
	bool blocked;
	char reason[200];
};

/*
 * libclamav calls this for each file it finds inside the attachment
 * (archive members, attachments of a forwarded mail): blocked_types apply
 * to them too, typed by libmagic like the attachment itself.
 */
static cl_error_t
scan_inspect_member(int fd, const char *type, const char **ancestors, size_t parent_size,
                    const char *name, size_t size, const char *data, uint32_t level,
                    uint32_t attributes, void *context)
{
	struct scan_ctx *ctx = context;
	const struct scan_config *cfg;
	struct scan_result member;
	char clip[100];

	if (ctx == NULL || level == 0 || (attributes & LAYER_ATTRIBUTES_NORMALIZED) ||
	    data == NULL || size == 0)
		return CL_CLEAN;
	cfg = &ctx->s->cfg;
	memset(&member, 0, sizeof(member));
	if (scan_detect_type(ctx->s, data, size, &member, NULL) < 0)
		return CL_CLEAN;
	for (size_t i = 0; i < cfg->n_blocked_types; i++)
		if (scan_type_match(cfg->blocked_types[i], member.content_type)) {
			log_clip(clip, sizeof(clip), name ? name : "(unnamed)");
			snprintf(ctx->reason, sizeof(ctx->reason),
			         "type %s of inner file %s is blocked (blocked_types: %s)",
			         member.content_type, clip, cfg->blocked_types[i]);
			ctx->blocked = true;
			return CL_VIRUS;
		}
	return CL_CLEAN;
}

/* Limits so that an attachment we accept is scanned whole (or alerts). */
static void
scan_engine_limits(struct cl_engine *cl, const struct scan_config *cfg)
{
	long long max = cfg->max_attachment_size;

	if (max > 100LL * 1024 * 1024) {
		cl_engine_set_num(cl, CL_ENGINE_MAX_FILESIZE, max);
		cl_engine_set_num(cl, CL_ENGINE_MAX_SCANSIZE, 4 * max);
	}
}

/* Load and compile a fresh engine from cfg->signatures. */
static int
scan_engine_load(const struct scan_config *cfg, unsigned generation,
                 struct scan_engine **engine_r, struct tk_err *err)
{
	const char *dir = cfg->signatures;
	struct cl_engine *cl;
	unsigned sigs = 0;
	cl_error_t ret;

	if (scan_dir_check(dir, err) < 0)
		return -1;
	cl = cl_engine_new();
	if (cl == NULL)
		return tk_err_set(err, "scan: cl_engine_new failed");
	scan_engine_limits(cl, cfg);
	if (cfg->n_blocked_types > 0)
		cl_engine_set_clcb_file_inspection(cl, scan_inspect_member);
	ret = cl_load(dir, cl, &sigs, CL_DB_STDOPT);
	if (ret != CL_SUCCESS) {
		cl_engine_free(cl);
		return tk_err_set(err, "scan: loading signatures from %s: %s", dir, cl_strerror(ret));
	}
	if (sigs == 0) {
		cl_engine_free(cl);
		return tk_err_set(err, "scan: signature directory %s holds no signatures", dir);
	}
	ret = cl_engine_compile(cl);
	if (ret != CL_SUCCESS) {
		cl_engine_free(cl);
		return tk_err_set(err, "scan: compiling signatures from %s: %s", dir, cl_strerror(ret));
	}
	*engine_r = xnew(struct scan_engine);
	(*engine_r)->cl = cl;
	(*engine_r)->refs = 1;
	(*engine_r)->generation = generation;
	(*engine_r)->signatures = sigs;
	log_info("scan: engine loaded dir=%s signatures=%u generation=%u", dir, sigs, generation);
	return 0;
}

/*
 * Load a new engine and swap it in. The caller has set s->reloading. The
 * directory state is taken before loading, so a change during the load is
 * seen at the next check; a failed load keeps the old engine until the
 * directory changes again.
 */
static int
scan_reload_run(struct scan *s, struct tk_err *err)
{
	struct scan_engine *e = NULL, *old = NULL;
	struct cl_stat st;
	bool have_st;
	uint64_t fp;
	unsigned gen;
	int rc;

	memset(&st, 0, sizeof(st));
	have_st = cl_statinidir(s->cfg.signatures, &st) == CL_SUCCESS;
	fp = scan_dir_fingerprint(s->cfg.signatures);
	pthread_mutex_lock(&s->lock);
	gen = s->generation + 1;
	pthread_mutex_unlock(&s->lock);
	rc = scan_engine_load(&s->cfg, gen, &e, err);
	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		old = s->engine;
		s->engine = e;
		s->generation = gen;
	}
	if (s->have_dbstat)
		cl_statfree(&s->dbstat);
	s->dbstat = st;
	s->have_dbstat = have_st;
	s->dir_fp = fp;
	pthread_mutex_unlock(&s->lock);
	scan_engine_unref(s, old);
	/* Last touch of s: scan_free() may run as soon as this is seen. */
	pthread_mutex_lock(&s->lock);
	s->reloading = false;
	pthread_cond_broadcast(&s->reload_done);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void *
scan_reload_thread(void *arg)
{
	struct scan *s = arg;
	struct tk_err err;

	if (scan_reload_run(s, &err) < 0)
		log_warn("%s (keeping the previous engine)", err.msg);
	return NULL;
}

/* Under s->lock: whether the signature directory changed since the last load. */
static bool
scan_dir_changed_locked(struct scan *s)
{
	return !s->have_dbstat || cl_statchkdir(&s->dbstat) != 0 ||
	       scan_dir_fingerprint(s->cfg.signatures) != s->dir_fp;
}

/* Called before each libclamav scan: maybe start a background reload. */
static void
scan_reload_maybe(struct scan *s)
{
	int64_t now = scan_now_ms();
	pthread_attr_t attr;
	pthread_t tid;
	bool start = false;
	int rc;

	pthread_mutex_lock(&s->lock);
	if (!s->reloading && now - s->last_check_ms >= s->cfg.reload_check_interval_ms) {
		s->last_check_ms = now;
		start = s->reloading = scan_dir_changed_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
	if (!start)
		return;
	log_info("scan: signature directory %s changed, loading a new engine", s->cfg.signatures);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, scan_reload_thread, s);
	if (rc != 0) {
		log_warn("scan: cannot start the reload thread: %s", strerror(rc));
		pthread_mutex_lock(&s->lock);
		s->reloading = false;
		pthread_cond_broadcast(&s->reload_done);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_attr_destroy(&attr);
}

int
scan_reload(struct scan *s, struct tk_err *err)
{
	bool changed;

	if (!s->cfg.enabled || s->cfg.backend != SCAN_BACKEND_LIBCLAMAV)
		return 0;
	pthread_mutex_lock(&s->lock);
	while (s->reloading)
		pthread_cond_wait(&s->reload_done, &s->lock);
	s->last_check_ms = scan_now_ms();
	changed = scan_dir_changed_locked(s);
	s->reloading = changed;
	pthread_mutex_unlock(&s->lock);
	if (!changed)
		return 0;
	return scan_reload_run(s, err) < 0 ? -1 : 1;
}

void
scan_engine_info(struct scan *s, unsigned *generation_r, unsigned *signatures_r)
{
	pthread_mutex_lock(&s->lock);
	*generation_r = s->engine ? s->engine->generation : 0;
	*signatures_r = s->engine ? s->engine->signatures : 0;
	pthread_mutex_unlock(&s->lock);
}

static void
scan_libclamav(struct scan *s, const void *data, size_t len, const char *filename,
               struct scan_result *res)
{
	struct cl_scan_options opts = {
		.general = CL_SCAN_GENERAL_HEURISTICS,
		.parse = ~0u,
		.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE,
	};
	const char *virname = NULL;
	unsigned long scanned = 0;
	struct scan_ctx ctx = { .s = s };
	struct scan_engine *e;
	cl_fmap_t *map;
	cl_error_t ret;

	scan_reload_maybe(s);
	e = scan_engine_ref(s);
	if (e == NULL) {
		scan_result_set(res, SCAN_ERROR, "libclamav: no engine loaded");
		return;
	}
	map = cl_fmap_open_memory(data, len);
	if (map == NULL) {
		scan_result_set(res, SCAN_ERROR, "libclamav: cannot map %zu bytes", len);
		goto out;
	}
	ret = cl_scanmap_callback(map, filename, &virname, &scanned, e->cl, &opts, &ctx);
	cl_fmap_close(map);
	if (ctx.blocked)
		scan_result_set(res, SCAN_BLOCKED, "%s", ctx.reason);
	else if (ret == CL_VIRUS)
		scan_result_found(res, virname ? virname : "unknown signature");
	else if (ret == CL_CLEAN)
		scan_result_set(res, SCAN_CLEAN, "%s", "");
	else
		scan_result_set(res, SCAN_ERROR, "libclamav: %s", cl_strerror(ret));
out:
	scan_engine_unref(s, e);
}

/* ------------------------------------------------------------------ life */

static void
scan_config_copy(struct scan_config *dst, const struct scan_config *src)
{
	*dst = *src;
	dst->signatures = xstrdup(src->signatures);
	dst->clamd_socket = xstrdup(src->clamd_socket);
	dst->notify_channel = src->notify_channel ? xstrdup(src->notify_channel) : NULL;
	dst->notify_recipient = src->notify_recipient ? xstrdup(src->notify_recipient) : NULL;
	dst->blocked_types = xcalloc(src->n_blocked_types + 1, sizeof(char *));
	for (size_t i = 0; i < src->n_blocked_types; i++)
		dst->blocked_types[i] = xstrdup(src->blocked_types[i]);
	dst->allowed_types = xcalloc(src->n_allowed_types + 1, sizeof(char *));
	for (size_t i = 0; i < src->n_allowed_types; i++)
		dst->allowed_types[i] = xstrdup(src->allowed_types[i]);
}

int
scan_check_signatures(const struct scan_config *cfg, struct tk_err *err)
{
	unsigned sigs = 0;
	cl_error_t ret;

	if (!cfg->enabled || cfg->backend == SCAN_BACKEND_CLAMD)
		return 0;
	pthread_once(&scan_cl_once, scan_cl_init);
	if (scan_cl_init_rc != CL_SUCCESS)
		return tk_err_set(err, "scan: cl_init: %s", cl_strerror(scan_cl_init_rc));
	if (scan_dir_check(cfg->signatures, err) < 0)
		return -1;
	ret = cl_countsigs(cfg->signatures, CL_COUNTSIGS_ALL, &sigs);
	if (ret != CL_SUCCESS)
		return tk_err_set(err, "scan: reading signatures from %s: %s", cfg->signatures,
		                  cl_strerror(ret));
	if (sigs == 0)
		return tk_err_set(err, "scan: signature directory %s holds no signatures",
		                  cfg->signatures);
	return 0;
}

int
scan_new(const struct scan_config *cfg, struct scan **scan_r, struct tk_err *err)
{
	struct scan *s = xnew(struct scan);
	magic_t m;

	scan_config_copy(&s->cfg, cfg);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->magic_lock, NULL);
	pthread_cond_init(&s->reload_done, NULL);
	*scan_r = s;
	m = scan_magic_open(err);
	if (m == NULL)
		goto fail;
	scan_magic_put(s, m);
	if (!cfg->enabled) {
		log_warn("scan: scanning is disabled in the config: attachments are stored unscanned");
		return 0;
	}
	if (cfg->backend == SCAN_BACKEND_CLAMD) {
		log_info("scan: using clamd at %s", cfg->clamd_socket);
		return 0;
	}
	pthread_once(&scan_cl_once, scan_cl_init);
	if (scan_cl_init_rc != CL_SUCCESS) {
		tk_err_set(err, "scan: cl_init: %s", cl_strerror(scan_cl_init_rc));
		goto fail;
	}
	if (scan_dir_check(cfg->signatures, err) < 0)
		goto fail;
	s->have_dbstat = cl_statinidir(cfg->signatures, &s->dbstat) == CL_SUCCESS;
	s->dir_fp = scan_dir_fingerprint(cfg->signatures);
	if (scan_engine_load(&s->cfg, 1, &s->engine, err) < 0)
		goto fail;
	s->generation = 1;
	s->last_check_ms = scan_now_ms();
	return 0;
fail:
	scan_free(scan_r);
	return -1;
}

void
scan_free(struct scan **sp)
{
	struct scan *s = *sp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->reloading)
		pthread_cond_wait(&s->reload_done, &s->lock);
	pthread_mutex_unlock(&s->lock);
	scan_engine_unref(s, s->engine);
	if (s->have_dbstat)
		cl_statfree(&s->dbstat);
	for (size_t i = 0; i < s->n_magic_free; i++)
		magic_close(s->magic_free[i]);
	xfree(&s->magic_free);
	pthread_cond_destroy(&s->reload_done);
	pthread_mutex_destroy(&s->magic_lock);
	pthread_mutex_destroy(&s->lock);
	scan_config_fini(&s->cfg);
	xfree(sp);
}

/* ------------------------------------------------------------------ check */

int
scan_check(struct scan *s, const void *data, size_t len, const char *filename,
           struct scan_result *res, struct tk_err *err)
{
	struct tk_err terr;

	if (res == NULL)
		return tk_err_set(err, "scan_check: no result");
	memset(res, 0, sizeof(*res));
	if (data == NULL && len > 0) {
		scan_result_set(res, SCAN_ERROR, "no data");
		return 0;
	}
	if (scan_detect_type(s, len ? data : "", len, res, &terr) < 0) {
		scan_result_set(res, SCAN_ERROR, "%s", terr.msg);
		return 0;
	}
	if (scan_limits(&s->cfg, len, res))
		return 0;
	if (!s->cfg.enabled)
		scan_result_set(res, SCAN_UNSCANNED, "%s", "");
	else if (s->cfg.backend == SCAN_BACKEND_CLAMD)
		scan_clamd_instream(s->cfg.clamd_socket, s->cfg.clamd_timeout_ms, data, len, res);
	else if (len == 0)
		scan_result_set(res, SCAN_CLEAN, "%s", "");
	else
		scan_libclamav(s, data, len, filename, res);
	return 0;
}
