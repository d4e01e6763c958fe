/*
 * daemon.c: the shared daemon context (config swap, stop flag, wake-ups).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "scan.h"

void
daemon_init(struct daemon *d, struct config *cfg)
{
	pthread_condattr_t ca;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->wake_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake_cond, &ca);
	pthread_condattr_destroy(&ca);
	d->cfg = cfg;
	rules_slot_init(&d->rules);
	atomic_store(&d->stopping, false);
}

void
daemon_fini(struct daemon *d)
{
	config_unref(&d->cfg);
	rules_slot_fini(&d->rules);
	scan_free(&d->scan);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->wake_lock);
	pthread_cond_destroy(&d->wake_cond);
}

struct config *
daemon_config(struct daemon *d)
{
	struct config *cfg;

	pthread_mutex_lock(&d->lock);
	cfg = config_ref(d->cfg);
	pthread_mutex_unlock(&d->lock);
	return cfg;
}

void
daemon_set_config(struct daemon *d, struct config *cfg)
{
	struct config *old;

	pthread_mutex_lock(&d->lock);
	old = d->cfg;
	d->cfg = cfg;
	pthread_mutex_unlock(&d->lock);
	config_unref(&old);
}

struct rules *
daemon_rules(struct daemon *d)
{
	return rules_slot_get(&d->rules);
}

void
daemon_set_rules(struct daemon *d, struct rules *rules)
{
	rules_slot_set(&d->rules, rules);
}

bool
daemon_stopping(struct daemon *d)
{
	return atomic_load(&d->stopping);
}

void
daemon_stop(struct daemon *d)
{
	atomic_store(&d->stopping, true);
	daemon_wake(d);
}

void
daemon_wake(struct daemon *d)
{
	pthread_mutex_lock(&d->wake_lock);
	d->wake_seq++;
	pthread_cond_broadcast(&d->wake_cond);
	pthread_mutex_unlock(&d->wake_lock);
}

bool
daemon_wait(struct daemon *d, int64_t ms, uint64_t *seen)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->wake_lock);
	while (!atomic_load(&d->stopping) && d->wake_seq == *seen) {
		if (pthread_cond_timedwait(&d->wake_cond, &d->wake_lock, &until) == ETIMEDOUT)
			break;
	}
	*seen = d->wake_seq;
	pthread_mutex_unlock(&d->wake_lock);
	return !atomic_load(&d->stopping);
}
