/*
 * incident_lock.c: the ordering rule of the per-identity locks (see
 * incident_lock.h); pure, the SQL that takes them is in incident.c.
 */
#include <stdlib.h>

#include "incident_lock.h"

uint32_t
incident_lock_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool
was_deferred(const struct incident_locks *l, uint32_t h)
{
	for (size_t i = 0; i < l->n_deferred; i++)
		if (l->deferred[i] == h)
			return true;
	return false;
}

bool
incident_lock_plan(const struct incident_locks *l, uint32_t *h, size_t *n, size_t *n_try)
{
	size_t u = 0;

	*n_try = 0;
	if (*n == 0)
		return false;
	qsort(h, *n, sizeof(*h), cmp_u32);
	for (size_t i = 0; i < *n; i++)
		if (u == 0 || h[i] != h[u - 1])
			h[u++] = h[i];
	*n = u;
	for (size_t i = 0; i < u; i++)
		if (l->defer_all || was_deferred(l, h[i]))
			return true;
	while (l->any && *n_try < u && h[*n_try] <= l->max)
		(*n_try)++;
	return false;
}

void
incident_lock_note(struct incident_locks *l, const uint32_t *h, size_t n, bool ok)
{
	for (size_t i = 0; i < n; i++) {
		if (!l->any || h[i] > l->max)
			l->max = h[i];
		l->any = true;
		if (ok || was_deferred(l, h[i]))
			continue;
		if (l->n_deferred == INCIDENT_DEFER_MAX)
			l->defer_all = true;
		else
			l->deferred[l->n_deferred++] = h[i];
	}
}
