/*
 * bound.c — the 64-bit range check of Redis counters (see bound.h).
 *
 * Written to mirror FS_BOUND_LUA step by step, in doubles as Lua computes,
 * not with C's wider integers: a test of this function is a test of the
 * script's arithmetic.
 */
#include "bound.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* int_ok(s): "0", or an optional '-', a digit 1-9, more digits (the
 * pattern '^%-?[1-9]%d*$'), within [−2^63, 2^63 − 1] as HINCRBY reads it:
 * fewer than 19 digits always are, more never; 19 digits compare as the
 * first ten (hi) and the last nine (lo). */
static double digits(const char *s, size_t from, size_t to);

static int int_ok(const char *s)
{
    size_t n = strlen(s);
    if (!strcmp(s, "0"))
        return 1;
    if (n > 20)
        return 0;
    int neg = *s == '-';
    const char *p = s + neg;
    if (*p < '1' || *p > '9')
        return 0;
    for (const char *q = p + 1; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    size_t nd = strlen(p);
    if (nd < 19)
        return 1;
    if (nd > 19)
        return 0;
    double hi = digits(p, 0, 10), lo = digits(p, 10, 19);
    return hi < 9223372036.0 ||
           (hi == 9223372036.0 && lo <= (neg ? 854775808.0 : 854775807.0));
}

/* tonumber() of the digits s[from, to) (Lua's sub(), then tonumber()). */
static double digits(const char *s, size_t from, size_t to)
{
    double v = 0;
    for (size_t i = from; i < to; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* split(s): |value| = hi * 1e9 + lo, both carrying the sign. */
static void split(const char *s, double *hi, double *lo)
{
    int neg = s[0] == '-';
    const char *d = s + neg;
    size_t n = strlen(d);
    *lo = digits(d, n > 9 ? n - 9 : 0, n);
    *hi = n > 9 ? digits(d, 0, n - 9) : 0;
    if (neg) {
        *hi = -*hi;
        *lo = -*lo;
    }
}

static int fits(const char *c, const char *d)
{
    if (strlen(c) < 16 && strlen(d) < 16)
        return 1;
    double ch, cl, dh, dl;
    split(c, &ch, &cl);
    split(d, &dh, &dl);
    double h = ch + dh, l = cl + dl;
    double q = floor(l / 1e9);
    h = h + q;
    l = l - q * 1e9;
    if (h > 9223372036.0 || (h == 9223372036.0 && l > 854775807.0))
        return 0;
    return h > -9223372037.0 || (h == -9223372037.0 && l >= 145224192.0);
}

fs_bound_t fs_bound_check(const char *stored, const char *delta)
{
    const char *c = stored ? stored : "0";
    if (!int_ok(c))
        return FS_BOUND_NOT_INTEGER;
    return fits(c, delta) ? FS_BOUND_OK : FS_BOUND_OVERFLOW;
}
