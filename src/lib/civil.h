/*
 * civil.h: dates of the proleptic Gregorian calendar as day numbers (days
 * since 1970-01-01, negative before), with no time zone involved. Used by
 * the Date header parser and the SLA calendars.
 */
#ifndef TK_CIVIL_H
#define TK_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* Day number of y-m-d (m 1-12, d 1-31; not validated: see civil_month_days). */
int64_t civil_days(int64_t y, unsigned m, unsigned d);
/* The date of day number days. */
void civil_from_days(int64_t days, int64_t *y_r, unsigned *m_r, unsigned *d_r);
/* Whether y is a leap year. */
bool civil_leap(int64_t y);
/* Days in month m (1-12) of year y. */
unsigned civil_month_days(int64_t y, unsigned m);
/* Weekday of day number days: 0 = Monday ... 6 = Sunday. */
int civil_weekday(int64_t days);

#endif
