/*
 * clock.h: the monotonic clock in milliseconds, for timeouts, budgets and
 * durations (never for timestamps that are stored or shown).
 */
#ifndef TK_CLOCK_H
#define TK_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);

#endif
