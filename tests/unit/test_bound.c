/* Unit tests of the 64-bit range check of Redis counters (bound.c), the
 * algorithm the commit script runs before its first write. */
#include <inttypes.h>
#include <stdio.h>

#include "bound.h"
#include "fs_rng.h"
#include "fs_test.h"

static fs_bound_t check(const char *stored, int64_t delta)
{
    char d[32];
    snprintf(d, sizeof(d), "%" PRId64, delta);
    return fs_bound_check(stored, d);
}

static fs_bound_t check_i(int64_t stored, int64_t delta)
{
    char c[32];
    snprintf(c, sizeof(c), "%" PRId64, stored);
    return check(c, delta);
}

static void test_upper_boundary(void)
{
    /* 2^63 − 1 reached exactly is fine, one more overflows */
    ASSERT_EQ(check_i(INT64_MAX - 1, 1), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MAX, 0), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MAX, 1), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(INT64_MAX - 1, 2), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(0, INT64_MAX), FS_BOUND_OK);
    ASSERT_EQ(check(NULL, INT64_MAX), FS_BOUND_OK); /* absent field: 0 */
    ASSERT_EQ(check_i(1, INT64_MAX), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(INT64_MAX, INT64_MAX), FS_BOUND_OVERFLOW);
    /* the per-day revenue case: 92,233 sales of 999,999,999,999.99 fit,
     * the 92,234th does not */
    const int64_t max_sale = 99999999999999LL;
    ASSERT_EQ(check_i(92232 * max_sale, max_sale), FS_BOUND_OK);
    ASSERT_EQ(check_i(92233 * max_sale, max_sale), FS_BOUND_OVERFLOW);
    /* carries between the low nine digits and the rest */
    ASSERT_EQ(check_i(INT64_MAX - 854775807, 854775807), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MAX - 854775807, 854775808), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(9223372035999999999LL, 854775808), FS_BOUND_OK);
    ASSERT_EQ(check_i(9223372035999999999LL, 854775809), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(9223372035000000000LL, 1854775807LL), FS_BOUND_OK);
    ASSERT_EQ(check_i(9223372035000000000LL, 1854775808LL), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(9223372035000000001LL, 1854775807LL), FS_BOUND_OVERFLOW);
    /* a retraction from beyond the bound never happens, but a large stored
     * value minus something is fine */
    ASSERT_EQ(check_i(INT64_MAX, -5), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MAX, INT64_MIN), FS_BOUND_OK); /* = −1 */
}

static void test_lower_boundary(void)
{
    /* −2^63 reached exactly is fine, one less overflows (a retraction) */
    ASSERT_EQ(check_i(INT64_MIN + 1, -1), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MIN, 0), FS_BOUND_OK);
    ASSERT_EQ(check_i(INT64_MIN, -1), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(INT64_MIN + 1, -2), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(0, INT64_MIN), FS_BOUND_OK);
    ASSERT_EQ(check(NULL, INT64_MIN), FS_BOUND_OK);
    ASSERT_EQ(check_i(-1, INT64_MIN), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(INT64_MIN, INT64_MIN), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(INT64_MIN, INT64_MAX), FS_BOUND_OK); /* = −1 */
    ASSERT_EQ(check_i(-9223372036000000000LL, -854775808), FS_BOUND_OK);
    ASSERT_EQ(check_i(-9223372036000000000LL, -854775809), FS_BOUND_OVERFLOW);
    ASSERT_EQ(check_i(-9223372035999999999LL, -854775809), FS_BOUND_OK);
    ASSERT_EQ(check_i(-9223372035999999999LL, -854775810), FS_BOUND_OVERFLOW);
}

static void test_stored_text(void)
{
    /* what HINCRBY reads as an integer, and what it refuses */
    ASSERT_EQ(check("0", 1), FS_BOUND_OK);
    ASSERT_EQ(check("-7", 1), FS_BOUND_OK);
    ASSERT_EQ(check("9223372036854775807", 0), FS_BOUND_OK);
    ASSERT_EQ(check("-9223372036854775808", 0), FS_BOUND_OK);
    ASSERT_EQ(check("", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("abc", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("1.5", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("1e3", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("007", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("-0", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("+5", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check(" 5", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("-", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("123456789012345678901", 0), FS_BOUND_NOT_INTEGER); /* 21 chars */
    /* integer texts beyond the range are not integers to HINCRBY, whatever
     * the delta: a delta bringing the sum back in range must not pass the
     * check, or the script would fail at that HINCRBY after earlier writes */
    ASSERT_EQ(check("9223372036854775808", 0), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("9223372036854775808", -1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("-9223372036854775809", 0), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("-9223372036854775809", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("-9999999999999999999", 1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("12345678901234567890", 0), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("99999999999999999999", -1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("9300000000000000000", -1), FS_BOUND_NOT_INTEGER);
    ASSERT_EQ(check("9223372035999999999", 1), FS_BOUND_OK);
    ASSERT_EQ(check("-9223372036854775807", -1), FS_BOUND_OK);
}

/* Exact reference: 128-bit integers. */
static int fits_ref(int64_t c, int64_t d)
{
    __int128 s = (__int128)c + d;
    return s >= INT64_MIN && s <= INT64_MAX;
}

static int64_t near(fs_rng_t *rng, int64_t edge)
{
    int64_t span = (int64_t)(fs_rng_next(rng) % 4000000000ULL);
    return edge > 0 ? edge - span : edge + span;
}

static void test_random_against_int128(void)
{
    fs_rng_t rng;
    fs_rng_seed_from(&rng, 20261208);
    for (int i = 0; i < 300000; i++) {
        int64_t c, d;
        switch (i % 4) {
        case 0: /* both anywhere */
            c = (int64_t)fs_rng_next(&rng);
            d = (int64_t)fs_rng_next(&rng);
            break;
        case 1: /* stored near the top, small delta of either sign */
            c = near(&rng, INT64_MAX);
            d = (int64_t)(fs_rng_next(&rng) % 8000000000ULL) - 4000000000LL;
            break;
        case 2: /* stored near the bottom */
            c = near(&rng, INT64_MIN);
            d = (int64_t)(fs_rng_next(&rng) % 8000000000ULL) - 4000000000LL;
            break;
        default: /* a sum landing near either edge */
            c = (int64_t)(fs_rng_next(&rng) >> 1);
            d = near(&rng, INT64_MAX) - c;
            if (fs_rng_next(&rng) & 1) {
                c = -c - 1;
                d = near(&rng, INT64_MIN) - c;
            }
            break;
        }
        if (check_i(c, d) != (fits_ref(c, d) ? FS_BOUND_OK : FS_BOUND_OVERFLOW))
            FS_FAIL_("stored %" PRId64 " + delta %" PRId64 ": check says %d", c, d,
                     (int)check_i(c, d));
    }
}

int main(void)
{
    test_upper_boundary();
    test_lower_boundary();
    test_stored_text();
    test_random_against_int128();
    printf("test_bound: ok\n");
    return 0;
}
