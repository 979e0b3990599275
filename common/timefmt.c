/*
 * timefmt.c: times in messages (timefmt.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timefmt.h"

/* "6 min" for d >= 0 seconds, in the largest unit that keeps 2 or more. */
static void
span(double d, char *out, size_t cap)
{
    static const struct { double secs; const char *unit; } u[] = {
        { 86400, "d" }, { 3600, "h" }, { 60, "min" },
    };
    size_t i;

    for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        if (d >= 2 * u[i].secs) {
            snprintf(out, cap, "%lld %s", (long long)(d / u[i].secs),
                     u[i].unit);
            return;
        }
    }
    snprintf(out, cap, "%lld s", (long long)d);
}

const char *
pjwt_time_fmt(double t, time_t now, unsigned flags, char *out, size_t cap)
{
    /* 0001-01-01 and 9999-12-31T23:59:59Z: what gmtime and %Y render
       in four digits. */
    const double lo = -62135596800.0, hi = 253402300799.0;
    char iso[32], age[24];
    struct tm tm;
    time_t s;
    double d;

    if (!out || cap == 0)
        return out;
    if (!(t >= lo && t <= hi)) {        /* NaN too */
        snprintf(out, cap, "%.15g", t);
        return out;
    }
    s = (time_t)t;
    if (!gmtime_r(&s, &tm) ||
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, cap, "%.15g", t);
        return out;
    }
    if (flags & PJWT_TIME_ISO) {
        snprintf(out, cap, "%s", iso);
        return out;
    }
    if (flags & PJWT_TIME_NO_AGE) {
        snprintf(out, cap, "%.15g (%s)", t, iso);
        return out;
    }
    d = t - (double)now;
    if (d > -1 && d < 1) {
        snprintf(out, cap, "%.15g (%s, now)", t, iso);
        return out;
    }
    span(d < 0 ? -d : d, age, sizeof(age));
    snprintf(out, cap, d < 0 ? "%.15g (%s, %s ago)" : "%.15g (%s, in %s)", t,
             iso, age);
    return out;
}

/* n decimal digits at *p into *v (advancing *p): 0, or -1. */
static int
digits(const char **p, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
   days_from_civil), so no timegm and no TZ are involved. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
    static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : n[m - 1];
}

int
pjwt_time_parse(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    int64_t t;

    if (s == NULL || *s == '\0')
        return -1;
    if (strspn(s, "0123456789") == strlen(s)) {
        if (strlen(s) > 12)
            return -1;
        *out = (int64_t)strtoll(s, NULL, 10);
        return 0;
    }
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-'
        || digits(&p, 2, &d) || y < 1970 || mo < 1 || mo > 12 || d < 1
        || d > month_days(y, mo))
        return -1;
    if (*p != '\0') {
        if ((*p != 'T' && *p != ' ') || (p++, digits(&p, 2, &h))
            || *p++ != ':' || digits(&p, 2, &mi) || h > 23 || mi > 59)
            return -1;
        if (*p == ':' && (p++, digits(&p, 2, &se) || se > 59))
            return -1;
        if (*p == 'Z' && p[1] == '\0') {
            p++;
        } else if ((*p == '+' || *p == '-') && p[1] != '\0') {
            sign = *p++ == '-' ? -1 : 1;
            if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om)
                || *p != '\0' || oh > 23 || om > 59)
                return -1;
        } else {
            return -1;                  /* no zone, or something after it */
        }
    }
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
        - sign * (oh * 3600 + om * 60);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}
