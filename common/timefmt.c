/*
 * timefmt.c: times in messages (timefmt.h).
 */
#include <stdio.h>
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
