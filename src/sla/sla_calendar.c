/*
 * sla_calendar.c: business-time arithmetic over a loaded calendar (the rule
 * is in sla_calendar.h; loading is sla_calendar_load.c).
 *
 * DESIGN. The zone's history is a sorted table of periods of constant UTC
 * offset (struct sla_tzp, built at load). Within one period, local wall-clock
 * time is the instant plus a constant, so business time there is a pure
 * function of naive local seconds: the weekly schedule minus holidays. Every
 * query walks the periods it crosses (two a year in a DST zone) and, inside
 * each, works on naive local time:
 *
 *   seconds  sums naive_open() over the periods;
 *   add      runs naive_add() through the periods until secs are counted;
 *   open_at, next_open  the same with one naive day or a day-by-day scan.
 *
 * A skipped hour is simply absent from both periods' naive ranges and a
 * repeated hour is present in both, which is exactly the wall-clock rule.
 *
 * Speed. naive_open() counts whole weeks in O(1) (week_open each) and then
 * takes the holidays of the span back out: O(holidays in the span), the
 * dated ones found by binary search. naive_add() jumps k whole weeks at a
 * time with k * week_open < remaining (so it never overshoots, holidays only
 * lower the count), then goes day by day for the last week; it stops at the
 * end of the period, so a short add never looks at the months after it.
 * Nothing loops further than SLA_CALENDAR_HORIZON.
 */
/* System. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* ticketd. */
#include "civil.h"
#include "sla_calendar_int.h"

static const struct sla_calendar cal_24x7 = { .name = (char *)"24x7", .always = true };

const struct sla_calendar *
sla_calendar_24x7(void)
{
	return &cal_24x7;
}

const char *
sla_calendar_name(const struct sla_calendar *cal)
{
	return cal->name;
}

const char *
sla_calendar_timezone(const struct sla_calendar *cal)
{
	return cal->zone;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
clamp_t(int64_t t)
{
	return t < SLA_CAL_TMIN ? SLA_CAL_TMIN : t > SLA_CAL_TMAX ? SLA_CAL_TMAX : t;
}

/* ---- Offsets: the period holding instant t. ---- */

/* Index of the last period starting at or before t. */
static size_t
tzp_find(const struct sla_calendar *cal, int64_t t)
{
	size_t lo = 0, hi = cal->ntzp;   /* tzp[lo].at <= t < tzp[hi].at */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->tzp[mid].at <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The instant period k ends (the next one starts); INT64_MAX for the last. */
static int64_t
tzp_end(const struct sla_calendar *cal, size_t k)
{
	return k + 1 < cal->ntzp ? cal->tzp[k + 1].at : INT64_MAX;
}

/* ---- Holidays. ---- */

/* First index of cal->dated holding a day >= d. */
static size_t
dated_lower(const struct sla_calendar *cal, int64_t d)
{
	size_t lo = 0, hi = cal->ndated;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->dated[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
is_holiday(const struct sla_calendar *cal, int64_t d)
{
	if (cal->nyearly > 0) {
		int64_t y;
		unsigned m, dd;

		civil_from_days(d, &y, &m, &dd);
		if (cal->yearly_md[m][dd])
			return true;
	}
	if (cal->ndated > 0) {
		size_t i = dated_lower(cal, d);

		return i < cal->ndated && cal->dated[i] == d;
	}
	return false;
}

/*
 * Business seconds that the holidays in days [da, db) take away from their
 * weekdays. A dated holiday never repeats a yearly one (the loader drops it).
 */
static int64_t
holiday_open(const struct sla_calendar *cal, int64_t da, int64_t db)
{
	int64_t sum = 0;

	for (size_t i = dated_lower(cal, da); i < cal->ndated && cal->dated[i] < db; i++)
		sum += cal->day_open[civil_weekday(cal->dated[i])];
	if (cal->nyearly > 0 && da < db) {
		int64_t y0, y1;
		unsigned m, dd;

		civil_from_days(da, &y0, &m, &dd);
		civil_from_days(db - 1, &y1, &m, &dd);
		for (int64_t y = y0; y <= y1; y++) {
			for (size_t i = 0; i < cal->nyearly; i++) {
				unsigned hm = cal->yearly[i] / 100, hd = cal->yearly[i] % 100;
				int64_t d;

				if (hd > civil_month_days(y, hm))
					continue;   /* 02-29 outside leap years */
				d = civil_days(y, hm, hd);
				if (d >= da && d < db)
					sum += cal->day_open[civil_weekday(d)];
			}
		}
	}
	return sum;
}

/* ---- Naive local time: one period of constant offset. ---- */

/* Business seconds of day d within seconds-of-day [a, b). */
static int64_t
day_part(const struct sla_calendar *cal, int64_t d, int64_t a, int64_t b)
{
	int wd = civil_weekday(d);
	int64_t sum = 0;

	if (a >= b || is_holiday(cal, d))
		return 0;
	for (int i = 0; i < cal->nspans[wd]; i++) {
		int64_t s = cal->spans[wd][i].start > a ? cal->spans[wd][i].start : a;
		int64_t e = cal->spans[wd][i].end < b ? cal->spans[wd][i].end : b;

		if (e > s)
			sum += e - s;
	}
	return sum;
}

/* Business seconds of the whole days [da, db). */
static int64_t
whole_days(const struct sla_calendar *cal, int64_t da, int64_t db)
{
	int64_t n = db - da, weeks, sum;

	if (n <= 0)
		return 0;
	weeks = n / 7;
	sum = weeks * cal->week_open;
	for (int64_t d = da + weeks * 7; d < db; d++)
		sum += cal->day_open[civil_weekday(d)];
	return sum - holiday_open(cal, da, db);
}

/* Business seconds in naive local [l0, l1). */
static int64_t
naive_open(const struct sla_calendar *cal, int64_t l0, int64_t l1)
{
	int64_t d0, d1;

	if (l1 <= l0)
		return 0;
	d0 = floor_div(l0, SLA_DAY);
	d1 = floor_div(l1, SLA_DAY);
	if (d0 == d1)
		return day_part(cal, d0, l0 - d0 * SLA_DAY, l1 - d0 * SLA_DAY);
	return day_part(cal, d0, l0 - d0 * SLA_DAY, SLA_DAY) + whole_days(cal, d0 + 1, d1) +
	       day_part(cal, d1, 0, l1 - d1 * SLA_DAY);
}

/*
 * Take business time of day d within seconds-of-day [s, e) out of *rem (> 0):
 * the second-of-day at which *rem is used up, or -1 with *rem lowered by the
 * business time of [s, e).
 */
static int64_t
day_take(const struct sla_calendar *cal, int64_t d, int64_t s, int64_t e, int64_t *rem)
{
	int wd = civil_weekday(d);

	if (cal->nspans[wd] == 0 || is_holiday(cal, d))
		return -1;
	for (int i = 0; i < cal->nspans[wd]; i++) {
		int64_t a = cal->spans[wd][i].start > s ? cal->spans[wd][i].start : s;
		int64_t b = cal->spans[wd][i].end < e ? cal->spans[wd][i].end : e;

		if (b <= a)
			continue;
		if (*rem <= b - a)
			return a + *rem;
		*rem -= b - a;
	}
	return -1;
}

/* "No such instant" for the naive helpers (naive local time may be negative). */
#define NAIVE_NONE INT64_MIN

/*
 * Run a clock over naive [l0, l1) until *rem (> 0) business seconds are
 * counted: the earliest l in (l0, l1] where that happens, or NAIVE_NONE with
 * *rem lowered by naive_open(l0, l1).
 */
static int64_t
naive_add(const struct sla_calendar *cal, int64_t l0, int64_t l1, int64_t *rem)
{
	int64_t d = floor_div(l0, SLA_DAY), s = l0 - d * SLA_DAY;
	int64_t dend = floor_div(l1, SLA_DAY), send = l1 - dend * SLA_DAY;

	while (d < dend || (d == dend && s < send)) {
		if (s == 0 && *rem > cal->week_open && dend - d >= 7) {
			/* k whole weeks hold at most k * week_open < *rem: never past the answer. */
			int64_t k = (*rem - 1) / cal->week_open;

			if (k > (dend - d) / 7)
				k = (dend - d) / 7;
			*rem -= k * cal->week_open - holiday_open(cal, d, d + 7 * k);
			d += 7 * k;
			continue;
		}
		int64_t at = day_take(cal, d, s, d == dend ? send : SLA_DAY, rem);

		if (at >= 0)
			return d * SLA_DAY + at;
		d++;
		s = 0;
	}
	return NAIVE_NONE;
}

/* The first naive l >= l0 and < l1 at which business time runs, or NAIVE_NONE. */
static int64_t
naive_next_open(const struct sla_calendar *cal, int64_t l0, int64_t l1)
{
	int64_t d = floor_div(l0, SLA_DAY), s = l0 - d * SLA_DAY;

	for (; d * SLA_DAY < l1; d++, s = 0) {
		int wd = civil_weekday(d);

		if (cal->nspans[wd] == 0 || is_holiday(cal, d))
			continue;
		for (int i = 0; i < cal->nspans[wd]; i++) {
			if (cal->spans[wd][i].end > s) {
				int64_t l = d * SLA_DAY +
				            (cal->spans[wd][i].start > s ? cal->spans[wd][i].start : s);

				return l < l1 ? l : NAIVE_NONE;
			}
		}
	}
	return NAIVE_NONE;
}

/* ---- The public arithmetic: walk the offset periods. ---- */

int64_t
sla_calendar_seconds(const struct sla_calendar *cal, int64_t from, int64_t to)
{
	int64_t total = 0;

	from = clamp_t(from);
	to = clamp_t(to);
	if (to <= from)
		return 0;
	if (cal->always)
		return to - from;
	while (from < to) {
		size_t k = tzp_find(cal, from);
		int64_t end = tzp_end(cal, k), off = cal->tzp[k].off;

		if (end > to)
			end = to;
		total += naive_open(cal, from + off, end + off);
		from = end;
	}
	return total;
}

int64_t
sla_calendar_add(const struct sla_calendar *cal, int64_t from, int64_t secs)
{
	int64_t limit, t = from;

	if (secs < 0 || from < SLA_CAL_TMIN || from > SLA_CAL_TMAX)
		return -1;
	if (secs == 0)
		return from;
	limit = from + SLA_CALENDAR_HORIZON;
	if (limit > SLA_CAL_TMAX + 1)
		limit = SLA_CAL_TMAX + 1;
	if (cal->always)
		return secs <= limit - from ? from + secs : -1;
	while (t < limit) {
		size_t k = tzp_find(cal, t);
		int64_t end = tzp_end(cal, k), off = cal->tzp[k].off, l;

		if (end > limit)
			end = limit;
		l = naive_add(cal, t + off, end + off, &secs);
		if (l != NAIVE_NONE)
			return l - off;
		t = end;
	}
	return -1;
}

bool
sla_calendar_open_at(const struct sla_calendar *cal, int64_t t)
{
	if (cal->always)
		return true;
	if (t < SLA_CAL_TMIN || t > SLA_CAL_TMAX)
		return false;
	int64_t l = t + cal->tzp[tzp_find(cal, t)].off, d = floor_div(l, SLA_DAY);

	return day_part(cal, d, l - d * SLA_DAY, l - d * SLA_DAY + 1) == 1;
}

int64_t
sla_calendar_next_open(const struct sla_calendar *cal, int64_t t)
{
	int64_t limit;

	if (cal->always)
		return t;
	if (t > SLA_CAL_TMAX)
		return -1;
	if (t < SLA_CAL_TMIN)
		t = SLA_CAL_TMIN;
	limit = t + SLA_CALENDAR_HORIZON;
	if (limit > SLA_CAL_TMAX + 1)
		limit = SLA_CAL_TMAX + 1;
	while (t < limit) {
		size_t k = tzp_find(cal, t);
		int64_t end = tzp_end(cal, k), off = cal->tzp[k].off, l;

		if (end > limit)
			end = limit;
		l = naive_next_open(cal, t + off, end + off);
		if (l != NAIVE_NONE)
			return l - off;
		t = end;
	}
	return -1;
}
