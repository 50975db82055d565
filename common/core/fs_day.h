/*
 * fs_day.h — UTC calendar days (pure arithmetic, no time zone database).
 *
 * A day is the number of days since 1970-01-01 (may be negative).  Used to
 * bucket aggregates by the UTC day of occurred_at and to parse the
 * YYYY-MM-DD dates of funnel-query.
 */
#ifndef FS_DAY_H
#define FS_DAY_H

#include <stdint.h>

#include "fs_err.h"

#define FS_DAY_MS 86400000LL

/** The UTC day containing epoch milliseconds @p ms (floor division). */
int64_t fs_day_from_ms(int64_t ms);

/** Day number of the civil date @p y-@p m-@p d (proleptic Gregorian). */
int64_t fs_day_from_civil(int64_t y, unsigned m, unsigned d);

/** Writes "YYYY-MM-DD" (years 0000..9999) into @p out. */
void fs_day_format(int64_t day, char out[11]);

/** Parses exactly "YYYY-MM-DD" with a valid month and day. */
fs_err_t fs_day_parse(const char *s, int64_t *day) FS_WUR;

#endif
