/*
 * mime_date.c: the Date header, read the way CPython's
 * email.utils.parsedate_to_datetime reads it (the corpus reference):
 * optional day name, "dd mon yyyy hh:mm[:ss] zone" in any of the orders
 * that function accepts, RFC 850 "dd-mon-yy", 2-digit years 00-68 ->
 * 20xx and 69-99 -> 19xx, "-0000" and unknown zone names taken as UTC,
 * out-of-range fields refused.
 */
/* System. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "civil.h"
#include "mime_int.h"
#include "xalloc.h"

struct tok {
	const char *p;
	size_t n;
};

static bool
tok_is(const struct tok *t, const char *s)
{
	return t->n == strlen(s) && strncasecmp(t->p, s, t->n) == 0;
}

/* Python int(): optional sign, digits with single '_' between them. */
static bool
py_int(const char *p, size_t n, long *v_r)
{
	long v = 0;
	int sign = 1, digits = 0;
	size_t i = 0;

	if (i < n && (p[i] == '+' || p[i] == '-'))
		sign = p[i++] == '-' ? -1 : 1;
	for (; i < n; i++) {
		if (p[i] == '_' && digits && i + 1 < n && isdigit((unsigned char)p[i + 1]))
			continue;
		if (!isdigit((unsigned char)p[i]) || digits >= 9)
			return false;
		v = v * 10 + (p[i] - '0');
		digits++;
	}
	if (!digits)
		return false;
	*v_r = sign * v;
	return true;
}

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
};

static int
month_of(const struct tok *t)
{
	for (int i = 0; i < 24; i++)
		if (tok_is(t, month_names[i]))
			return i % 12 + 1;
	return 0;
}

static bool
zone_of(const struct tok *t, bool *known_r, long *off_r)
{
	static const struct { const char *name; long hhmm; } zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "AST", -400 }, { "ADT", -300 }, { "EST", -500 }, { "EDT", -400 },
		{ "CST", -600 }, { "CDT", -500 }, { "MST", -700 }, { "MDT", -600 },
		{ "PST", -800 }, { "PDT", -700 },
	};
	long v = 0;

	*known_r = false;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (tok_is(t, zones[i].name)) {
			v = zones[i].hhmm;
			*known_r = true;
		}
	if (!*known_r && py_int(t->p, t->n, &v))
		*known_r = !(v == 0 && t->n && t->p[0] == '-');
	if (*known_r) {
		long a = v < 0 ? -v : v;

		*off_r = (v < 0 ? -1 : 1) * ((a / 100) * 3600 + (a % 100) * 60);
	}
	return true;
}

static bool
date_fields(struct tok *d, size_t nd, time_t *t_r)
{
	struct tok dd = d[0], mm = d[1], yy = d[2], tm = d[3], tz = d[4], parts[3];
	long y, day, hh, mi, ss = 0, off = 0;
	int mon, np = 0;
	bool known;
	char sep = ':';

	if (!dd.n || !mm.n || !yy.n)
		return false;
	if ((mon = month_of(&mm)) == 0) {
		struct tok t = dd;

		dd = mm;
		mm = t;
		if ((mon = month_of(&mm)) == 0)
			return false;
	}
	if (dd.p[dd.n - 1] == ',')
		dd.n--;
	if (memchr(yy.p, ':', yy.n) && yy.p[0] != ':') {
		struct tok t = yy;

		yy = tm;
		tm = t;
	}
	if (yy.n && yy.p[yy.n - 1] == ',' && --yy.n == 0)
		return false;
	if (!yy.n || !isdigit((unsigned char)yy.p[0])) {
		struct tok t = yy;

		yy = tz;
		tz = t;
	}
	if (tm.n && tm.p[tm.n - 1] == ',' && --tm.n == 0)
		return false;
	if (!memchr(tm.p, ':', tm.n))
		sep = '.';
	for (size_t i = 0, s = 0; i <= tm.n; i++) {
		if (i == tm.n || tm.p[i] == sep) {
			if (np == 3)
				return false;
			parts[np].p = tm.p + s;
			parts[np++].n = i - s;
			s = i + 1;
		}
	}
	if (np < 2 || (sep == '.' && !memchr(tm.p, '.', tm.n)))
		return false;
	if (!py_int(yy.p, yy.n, &y) || !py_int(dd.p, dd.n, &day) ||
	    !py_int(parts[0].p, parts[0].n, &hh) || !py_int(parts[1].p, parts[1].n, &mi) ||
	    (np == 3 && !py_int(parts[2].p, parts[2].n, &ss)))
		return false;
	if (y < 100)
		y += y > 68 ? 1900 : 2000;
	zone_of(&tz, &known, &off);
	if (!known)
		off = 0;
	(void)nd;
	{
		int64_t secs;

		if (y < 1 || y > 9999 || day < 1 || day > (long)civil_month_days(y, (unsigned)mon) ||
		    hh < 0 || hh > 23 ||
		    mi < 0 || mi > 59 || ss < 0 || ss > 59 || off <= -86400 || off >= 86400)
			return false;
		secs = civil_days(y, (unsigned)mon, (unsigned)day) * 86400 +
		       hh * 3600 + mi * 60 + ss - off;
		if (secs < civil_days(1, 1, 1) * 86400 ||
		    secs >= civil_days(10000, 1, 1) * 86400)
			return false;
		*t_r = (time_t)secs;
	}
	return true;
}

bool
mime_hdr_date(const char *v, size_t n, time_t *t_r)
{
	struct tok d[8];
	size_t nd = 0, total = 0;
	char *s = mime_unfold(v, n);
	bool ok = false;

	for (char *p = s; *p;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (nd < 6) {
			d[nd].p = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			d[nd].n = (size_t)(p - d[nd].p);
			nd++;
		} else {
			while (*p && !isspace((unsigned char)*p))
				p++;
		}
		total++;
	}
	if (nd == 0)
		goto out;
	if (d[0].p[d[0].n - 1] == ',' || tok_is(&d[0], "mon") || tok_is(&d[0], "tue") ||
	    tok_is(&d[0], "wed") || tok_is(&d[0], "thu") || tok_is(&d[0], "fri") ||
	    tok_is(&d[0], "sat") || tok_is(&d[0], "sun")) {
		memmove(d, d + 1, (nd - 1) * sizeof(d[0]));
		nd--;
		total--;
	} else {
		const char *c = memrchr(d[0].p, ',', d[0].n);

		if (c) {
			d[0].n -= (size_t)(c + 1 - d[0].p);
			d[0].p = c + 1;
		}
	}
	if (total == 3 && nd == 3) {
		/* RFC 850: dd-mon-yy */
		const char *a = memchr(d[0].p, '-', d[0].n), *b;

		b = a ? memchr(a + 1, '-', (size_t)(d[0].p + d[0].n - a - 1)) : NULL;
		if (a && b && !memchr(b + 1, '-', (size_t)(d[0].p + d[0].n - b - 1))) {
			struct tok t0 = { d[0].p, (size_t)(a - d[0].p) };
			struct tok t1 = { a + 1, (size_t)(b - a - 1) };
			struct tok t2 = { b + 1, (size_t)(d[0].p + d[0].n - b - 1) };

			d[4] = d[2];
			d[3] = d[1];
			d[0] = t0;
			d[1] = t1;
			d[2] = t2;
			nd = total = 5;
		}
	}
	if (total == 4 && nd == 4) {
		const char *p = memchr(d[3].p, '+', d[3].n);

		if (!p)
			p = memchr(d[3].p, '-', d[3].n);
		if (p && p > d[3].p) {
			d[4].p = p;
			d[4].n = (size_t)(d[3].p + d[3].n - p);
			d[3].n = (size_t)(p - d[3].p);
		} else {
			d[4].p = "";
			d[4].n = 0;
		}
		nd = total = 5;
	}
	if (total < 5 || nd < 5)
		goto out;
	ok = date_fields(d, nd, t_r);
out:
	xfree(&s);
	return ok;
}

