/*
 * bound.h — the range of the counters the worker keeps in Redis.
 *
 * Owns one decision: whether a counter stored as decimal text (a hash
 * field HINCRBY maintains) plus a delta is still what Redis can hold, a
 * signed 64-bit integer, and whether the stored text is an integer Redis
 * reads at all.  The commit script (sink.c) makes that decision for every
 * increment of a batch before its first write, in Lua, whose numbers are
 * doubles: FS_BOUND_LUA is that code, and fs_bound_check() the same
 * algorithm in C, operation for operation, so that the unit tests pin it
 * at the exact boundaries.  Pure: no I/O, no state.
 *
 * The algorithm: texts of at most 15 characters are below 10^15 in
 * magnitude, so their sum is far inside the range (the common case, one
 * length test each).  Longer ones are split into a high part (digits
 * before the last nine) and a low part (the last nine digits), each
 * exact as a double; the parts are added separately, the low sum's carry
 * moves to the high sum, and (high, low) is compared with 2^63 − 1 =
 * (9223372036, 854775807) and −2^63 = (−9223372037, 145224192).  Every
 * intermediate value is below 2^53, hence exact.
 */
#ifndef FS_BOUND_H
#define FS_BOUND_H

typedef enum fs_bound {
    FS_BOUND_OK = 0,     /* stored + delta is a signed 64-bit integer */
    FS_BOUND_OVERFLOW,   /* stored + delta is beyond [−2^63, 2^63 − 1] */
    FS_BOUND_NOT_INTEGER /* the stored text is not an integer HINCRBY accepts */
} fs_bound_t;

/**
 * Checks @p stored + @p delta.  @p stored is the field's text as Redis
 * holds it (NULL: the field is absent, i.e. 0); @p delta is the canonical
 * decimal text of a signed 64-bit integer (as "%" PRId64 prints it).
 */
fs_bound_t fs_bound_check(const char *stored, const char *delta);

/*
 * The same check in Lua 5.1 (Redis's), for the commit script: defines
 * local functions int_ok(s) — s is an integer text HINCRBY accepts: the
 * integer pattern and within [−2^63, 2^63 − 1], compared as a high part
 * (first ten of nineteen digits) and a low part (the last nine) — and
 * fits(c, d) — c + d is a signed 64-bit integer, for int_ok texts c, d.
 */
#define FS_BOUND_LUA                                                                     \
    "local find, sub, byte, floor = string.find, string.sub, string.byte, math.floor\n"  \
    "local function int_ok(s)\n"                                                         \
    "  if s == '0' then return true end\n"                                               \
    "  if #s > 20 or find(s, '^%-?[1-9]%d*$') == nil then return false end\n"            \
    "  local neg = byte(s, 1) == 45\n"                                                   \
    "  local d = neg and sub(s, 2) or s\n"                                               \
    "  if #d < 19 then return true end\n"                                                \
    "  if #d > 19 then return false end\n"                                               \
    "  local hi, lo = tonumber(sub(d, 1, 10)), tonumber(sub(d, 11))\n"                   \
    "  return hi < 9223372036 or\n"                                                      \
    "    (hi == 9223372036 and lo <= (neg and 854775808 or 854775807))\n"                \
    "end\n"                                                                              \
    "local function split(s)\n"                                                          \
    "  local neg = byte(s, 1) == 45\n"                                                   \
    "  local d = neg and sub(s, 2) or s\n"                                               \
    "  local lo = tonumber(sub(d, -9))\n"                                                \
    "  local hi = #d > 9 and tonumber(sub(d, 1, -10)) or 0\n"                            \
    "  if neg then return -hi, -lo end\n"                                                \
    "  return hi, lo\n"                                                                  \
    "end\n"                                                                              \
    "local function fits(c, d)\n"                                                        \
    "  if #c < 16 and #d < 16 then return true end\n"                                    \
    "  local ch, cl = split(c)\n"                                                        \
    "  local dh, dl = split(d)\n"                                                        \
    "  local h, l = ch + dh, cl + dl\n"                                                  \
    "  local q = floor(l / 1e9)\n"                                                       \
    "  h, l = h + q, l - q * 1e9\n"                                                      \
    "  if h > 9223372036 or (h == 9223372036 and l > 854775807) then return false end\n" \
    "  return h > -9223372037 or (h == -9223372037 and l >= 145224192)\n"                \
    "end\n"

#endif
