/*
 * test_attrib.c — unit tests of common/attrib/fs_attrib.c: model names, touch
 * selection (docs/attribution.md step 1) and integer credits (steps 2–3) on journeys
 * computed by hand.  The randomized comparison with the Python oracle is
 * check_attrib_python.py (driven by attrib_cases.c).
 */
#include "fs_attrib.h"
#include "fs_test.h"

#include <stdint.h>

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define T0 INT64_C(1795000000000) /* a conversion time in 2026 */
#define NONE_T 0
#define LEAD 1
#define OPP 2

/* Builds touch i at @p at with id @p id and milestone flags. */
static fs_touch_t touch(int64_t at, const char *id, int milestones)
{
    fs_touch_t t = {at, id, (milestones & LEAD) != 0, (milestones & OPP) != 0};
    return t;
}

/* Touches 1 hour apart ending at T0, ids "t1".."tn", no milestones. */
static void journey(fs_touch_t *t, size_t n)
{
    static const char *const ids[] = {"t01", "t02", "t03", "t04", "t05",
                                      "t06", "t07", "t08", "t09", "t10"};
    ASSERT_LE(n, 10);
    for (size_t i = 0; i < n; i++)
        t[i] = touch(T0 - (int64_t)(n - 1 - i) * HOUR_MS, ids[i], NONE_T);
}

/* Credits @p total by @p model and compares with @p want[0..n-1]; also
 * checks the sum, which must be exact whatever the model. */
static void expect_credits(fs_model_t model, const fs_touch_t *t, size_t n,
                           int64_t half_life, int64_t total, const int64_t *want)
{
    int64_t got[FS_ATTRIB_MAX_TOUCHES], sum = 0;
    ASSERT_EQ(fs_attrib_credit(model, t, n, T0, half_life, total, got), FS_OK);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            fprintf(stderr, "%s, total %lld, touch %zu:\n", fs_model_name(model),
                    (long long)total, i);
        ASSERT_EQ(got[i], want[i]);
        sum += got[i];
    }
    ASSERT_EQ(sum, total);
}

#define EXPECT(model, t, half_life, total, ...)                                          \
    do {                                                                                 \
        const int64_t want_[] = {__VA_ARGS__};                                           \
        expect_credits(model, t, sizeof(want_) / sizeof(want_[0]), half_life, total,     \
                       want_);                                                           \
    } while (0)

static void test_model_names(void)
{
    fs_model_t m = FS_MODEL_LINEAR;
    for (int i = 0; i < FS_MODEL__COUNT; i++) {
        ASSERT_EQ(fs_model_parse(fs_model_name((fs_model_t)i), &m), FS_OK);
        ASSERT_EQ(m, i);
    }
    ASSERT_STR_EQ(fs_model_name(FS_MODEL_POSITION_BASED), "position_based");
    ASSERT_STR_EQ(fs_model_name(FS_MODEL_W_SHAPED), "w_shaped");
    ASSERT_STR_EQ(fs_model_name(FS_MODEL__COUNT), "unknown");
    m = FS_MODEL_LINEAR;
    ASSERT_EQ(fs_model_parse("Linear", &m), FS_ERR_INVALID);
    ASSERT_EQ(fs_model_parse("linear ", &m), FS_ERR_INVALID);
    ASSERT_EQ(fs_model_parse("", &m), FS_ERR_INVALID);
    ASSERT_EQ(fs_model_parse(NULL, &m), FS_ERR_INVALID);
    ASSERT_EQ(m, FS_MODEL_LINEAR); /* untouched on failure */
}

static void test_select_window(void)
{
    const int64_t lb = 30 * DAY_MS;
    fs_touch_t all[] = {
        touch(T0 + 1, "after", NONE_T),        /* 1 ms after T: excluded */
        touch(T0 - lb, "edge", NONE_T),        /* exactly T - lookback: included */
        touch(T0, "at_t", NONE_T),             /* exactly T: included */
        touch(T0 - lb - 1, "outside", NONE_T), /* 1 ms outside: excluded */
        touch(T0 - DAY_MS, "mid", NONE_T),
    };
    size_t idx[FS_ATTRIB_MAX_TOUCHES];
    size_t n = fs_attrib_select(all, 5, T0, lb, idx);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(idx[0], 1);
    ASSERT_EQ(idx[1], 4);
    ASSERT_EQ(idx[2], 2);

    /* zero lookback: only touches exactly at T */
    ASSERT_EQ(fs_attrib_select(all, 5, T0, 0, idx), 1);
    ASSERT_EQ(idx[0], 2);
    ASSERT_EQ(fs_attrib_select(all, 5, T0, -1, idx), 0);
    ASSERT_EQ(fs_attrib_select(all, 0, T0, lb, idx), 0);
    ASSERT_EQ(fs_attrib_select(NULL, 0, T0, lb, idx), 0);

    /* extreme times neither overflow nor wrap */
    fs_touch_t ext[] = {touch(INT64_MIN, "min", NONE_T), touch(INT64_MAX, "max", NONE_T)};
    ASSERT_EQ(fs_attrib_select(ext, 2, INT64_MAX, INT64_MAX, idx), 1);
    ASSERT_EQ(idx[0], 1);
    ASSERT_EQ(fs_attrib_select(ext, 2, -1, INT64_MAX, idx), 1);
    ASSERT_EQ(idx[0], 0);
}

static void test_select_ties(void)
{
    /* Same time: event_id decides, bytewise ("B" < "Z" < "a" < "a." < "a0"). */
    fs_touch_t all[] = {
        touch(T0 - 5, "a0", NONE_T), touch(T0 - 5, "a", NONE_T),
        touch(T0 - 9, "zz", NONE_T), touch(T0 - 5, "Z", NONE_T),
        touch(T0 - 5, "a.", NONE_T), touch(T0 - 5, "B", NONE_T),
    };
    size_t idx[FS_ATTRIB_MAX_TOUCHES];
    ASSERT_EQ(fs_attrib_select(all, 6, T0, DAY_MS, idx), 6);
    const char *want[] = {"zz", "B", "Z", "a", "a.", "a0"};
    for (size_t i = 0; i < 6; i++)
        ASSERT_STR_EQ(all[idx[i]].event_id, want[i]);

    /* The order decides the credit: last_touch goes to "a0", first to "zz". */
    fs_touch_t sel[6];
    int64_t c[6];
    for (size_t i = 0; i < 6; i++)
        sel[i] = all[idx[i]];
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LAST_TOUCH, sel, 6, T0, 1, 100, c), FS_OK);
    ASSERT_EQ(c[5], 100);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_FIRST_TOUCH, sel, 6, T0, 1, 100, c), FS_OK);
    ASSERT_EQ(c[0], 100);
}

static void test_select_cap(void)
{
    /* 150 touches at T-149..T in a scrambled order: the 100 latest remain. */
    fs_touch_t all[150];
    size_t idx[FS_ATTRIB_MAX_TOUCHES];
    for (size_t i = 0; i < 150; i++) {
        size_t age = (i * 37) % 150; /* 37 is coprime with 150: a permutation */
        all[i] = touch(T0 - (int64_t)age, "x", NONE_T);
    }
    ASSERT_EQ(fs_attrib_select(all, 150, T0, DAY_MS, idx), FS_ATTRIB_MAX_TOUCHES);
    for (size_t i = 0; i < FS_ATTRIB_MAX_TOUCHES; i++)
        ASSERT_EQ(all[idx[i]].occurred_at_ms, T0 - 99 + (int64_t)i);

    /* 101 touches at one time: the cut follows event_id, "id000" goes. */
    static char ids[101][8];
    fs_touch_t same[101];
    for (size_t i = 0; i < 101; i++) {
        snprintf(ids[i], sizeof(ids[i]), "id%03zu", 100 - i);
        same[i] = touch(T0 - 1000, ids[i], NONE_T);
    }
    ASSERT_EQ(fs_attrib_select(same, 101, T0, DAY_MS, idx), FS_ATTRIB_MAX_TOUCHES);
    ASSERT_STR_EQ(same[idx[0]].event_id, "id001");
    ASSERT_STR_EQ(same[idx[99]].event_id, "id100");

    /* Only in-window touches count toward the cap. */
    fs_touch_t mixed[120];
    for (size_t i = 0; i < 120; i++)
        mixed[i] = touch(i % 2 ? T0 + 1 + (int64_t)i : T0 - (int64_t)i, "m", NONE_T);
    ASSERT_EQ(fs_attrib_select(mixed, 120, T0, DAY_MS, idx), 60);
}

static void test_first_last_touch(void)
{
    fs_touch_t t[7];
    journey(t, 7);
    EXPECT(FS_MODEL_FIRST_TOUCH, t, 1, 100, 100);
    EXPECT(FS_MODEL_LAST_TOUCH, t, 1, 100, 100);
    EXPECT(FS_MODEL_FIRST_TOUCH, t, 1, 12345, 12345, 0);
    EXPECT(FS_MODEL_LAST_TOUCH, t, 1, 12345, 0, 12345);
    EXPECT(FS_MODEL_FIRST_TOUCH, t, 1, 999, 999, 0, 0);
    EXPECT(FS_MODEL_LAST_TOUCH, t, 1, 999, 0, 0, 999);
    EXPECT(FS_MODEL_FIRST_TOUCH, t, 1, 1000000, 1000000, 0, 0, 0, 0, 0, 0);
    EXPECT(FS_MODEL_LAST_TOUCH, t, 1, 1000000, 0, 0, 0, 0, 0, 0, 1000000);
}

static void test_linear(void)
{
    fs_touch_t t[7];
    journey(t, 7);
    EXPECT(FS_MODEL_LINEAR, t, 1, 101, 101);
    EXPECT(FS_MODEL_LINEAR, t, 1, 101, 51, 50);
    EXPECT(FS_MODEL_LINEAR, t, 1, 100, 34, 33, 33);
    EXPECT(FS_MODEL_LINEAR, t, 1, 1000000, 333334, 333333, 333333);
    EXPECT(FS_MODEL_LINEAR, t, 1, 2, 1, 1, 0); /* fewer cents than touches */
    /* 100/7 = 14 rem 2: every remainder equal, the two earliest win */
    EXPECT(FS_MODEL_LINEAR, t, 1, 100, 15, 15, 14, 14, 14, 14, 14);
    EXPECT(FS_MODEL_LINEAR, t, 1, 1000000, 142858, 142857, 142857, 142857, 142857, 142857,
           142857);
    /* 10^14 cents: exact with 128-bit products */
    EXPECT(FS_MODEL_LINEAR, t, 1, INT64_C(100000000000000), INT64_C(33333333333334),
           INT64_C(33333333333333), INT64_C(33333333333333));
}

static void test_position_based(void)
{
    fs_touch_t t[7];
    journey(t, 7);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 77, 77);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 101, 51, 50);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 100, 40, 20, 40);
    /* den 5, nums 2,1,2: 40.4, 20.2, 40.4 — the tie goes to t1 */
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 101, 41, 20, 40);
    /* n = 5, den 15, nums 6,1,1,1,6: 40.4, 6.73 ×3, 40.4 → middles win */
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 101, 40, 7, 7, 7, 40);
    /* 39.6, 6.6 ×3, 39.6: five equal remainders, three units, earliest first */
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 99, 40, 7, 7, 6, 39);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 1, 1, 0, 0, 0, 0);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 1000000, 400000, 66667, 66667, 66666, 400000);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 1000, 400, 40, 40, 40, 40, 40, 400);
    EXPECT(FS_MODEL_POSITION_BASED, t, 1, 1000000, 400000, 40000, 40000, 40000, 40000,
           40000, 400000);
}

static void test_time_decay(void)
{
    const int64_t h = 7 * DAY_MS;
    fs_touch_t t[3];

    t[0] = touch(T0 - 2 * h, "a", NONE_T);
    t[1] = touch(T0 - h, "b", NONE_T);
    t[2] = touch(T0, "c", NONE_T);
    EXPECT(FS_MODEL_TIME_DECAY, &t[2], h, 555, 555);
    /* weights 1:2 and 1:2:4 */
    EXPECT(FS_MODEL_TIME_DECAY, &t[1], h, 300, 100, 200);
    EXPECT(FS_MODEL_TIME_DECAY, t, h, 700, 100, 200, 400);
    /* 142857.14, 285714.29, 571428.57: the largest remainder is t3's */
    EXPECT(FS_MODEL_TIME_DECAY, t, h, 1000000, 142857, 285714, 571429);
    /* 14.29, 28.57, 57.14: floors 99, the one unit left goes to t2 (.57) */
    EXPECT(FS_MODEL_TIME_DECAY, t, h, 100, 14, 29, 57);

    /* Same time: equal weights, 50.5 each — the tie goes to the earlier touch. */
    fs_touch_t same[2] = {touch(T0 - HOUR_MS, "a", NONE_T),
                          touch(T0 - HOUR_MS, "b", NONE_T)};
    EXPECT(FS_MODEL_TIME_DECAY, same, h, 101, 51, 50);

    /* A 1 ms half-life over 30 days: 2^-2.6e9 is 0 in any float format, yet
     * the weights stay proportional (no 0/0): all to the latest touch. */
    fs_touch_t far[2] = {touch(T0 - 30 * DAY_MS, "a", NONE_T),
                         touch(T0 - 5, "b", NONE_T)};
    EXPECT(FS_MODEL_TIME_DECAY, far, 1, 1000000, 0, 1000000);

    /* Touches far from T: same split as near T (the common factor cancels). */
    fs_touch_t old[2] = {touch(T0 - 29 * DAY_MS - h, "a", NONE_T),
                         touch(T0 - 29 * DAY_MS, "b", NONE_T)};
    EXPECT(FS_MODEL_TIME_DECAY, old, h, 300, 100, 200);
}

static void test_w_shaped(void)
{
    fs_touch_t t[7];

    journey(t, 7);
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 100, 100);
    /* no milestones: key {t1}, 0.9 / 0.1 */
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 100, 90, 10);
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1000000, 900000, 50000, 50000);

    /* lead = opportunity = t1: one key, not three (distinct touches only) */
    t[0].is_lead = t[0].is_opportunity = 1;
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 100, 90, 5, 5);
    /* den 20, nums 18,1,1: 90.9, 5.05, 5.05 */
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 101, 91, 5, 5);

    /* all touches key: t1, lead t2, opportunity t3 share 1 equally */
    journey(t, 7);
    t[1].is_lead = 1;
    t[2].is_opportunity = 1;
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 100, 34, 33, 33);
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1000000, 333334, 333333, 333333);
    /* lead and opportunity on t2: keys {t1, t2} of 2 */
    journey(t, 7);
    t[1].is_lead = t[1].is_opportunity = 1;
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 101, 51, 50);
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1000000, 450000, 450000, 50000, 50000);

    /* n = 7: first lead t3, first opportunity t5; later milestones are not
     * keys.  k = 3, m = 4: keys 0.3, others 0.025 (den 120: 36 and 3). */
    journey(t, 7);
    t[2].is_lead = 1;
    t[4].is_opportunity = 1;
    t[5].is_lead = 1;
    t[6].is_opportunity = 1;
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1000, 300, 25, 300, 25, 300, 25, 25);
    /* 300.3 ×3 and 25.025 ×4: one unit left, t1 of the tied keys takes it */
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1001, 301, 25, 300, 25, 300, 25, 25);
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 1000000, 300000, 25000, 300000, 25000, 300000, 25000,
           25000);
    /* 3 cents: keys' remainders 0.9 beat the others' 0.075 */
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 3, 1, 0, 1, 0, 1, 0, 0);
    /* 7 cents: 2.1 ×3 + 0.175 ×4 — floors 6, the one left goes to t2 (0.175 > 0.1) */
    EXPECT(FS_MODEL_W_SHAPED, t, 1, 7, 2, 1, 2, 0, 2, 0, 0);
}

static void test_zero_revenue(void)
{
    fs_touch_t t[7];
    int64_t c[7];

    journey(t, 7);
    t[3].is_lead = 1;
    for (int m = 0; m < FS_MODEL__COUNT; m++) {
        for (size_t n = 1; n <= 7; n++) {
            ASSERT_EQ(fs_attrib_credit((fs_model_t)m, t, n, T0, DAY_MS, 0, c), FS_OK);
            for (size_t i = 0; i < n; i++)
                ASSERT_EQ(c[i], 0);
            /* the conversion credits still sum to one conversion */
            int64_t sum = 0;
            ASSERT_EQ(fs_attrib_credit((fs_model_t)m, t, n, T0, DAY_MS,
                                       FS_ATTRIB_CONVERSION_UNITS, c),
                      FS_OK);
            for (size_t i = 0; i < n; i++) {
                ASSERT_GE(c[i], 0);
                sum += c[i];
            }
            ASSERT_EQ(sum, FS_ATTRIB_CONVERSION_UNITS);
        }
    }
}

static void test_invalid(void)
{
    fs_touch_t t[FS_ATTRIB_MAX_TOUCHES + 1];
    int64_t c[FS_ATTRIB_MAX_TOUCHES + 1];

    for (size_t i = 0; i <= FS_ATTRIB_MAX_TOUCHES; i++)
        t[i] = touch(T0 - (int64_t)i, "x", NONE_T);
    c[0] = 42;
    /* n == 0 is the caller's "(direct)" case */
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, 0, T0, DAY_MS, 100, c),
              FS_ERR_INVALID);
    ASSERT_EQ(c[0], 42); /* untouched on failure */
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, FS_ATTRIB_MAX_TOUCHES + 1, T0, DAY_MS,
                               100, c),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, 3, T0, DAY_MS, -1, c), FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL__COUNT, t, 3, T0, DAY_MS, 100, c),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, NULL, 3, T0, DAY_MS, 100, c),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, 3, T0, DAY_MS, 100, NULL),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_TIME_DECAY, t, 3, T0, 0, 100, c), FS_ERR_INVALID);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_TIME_DECAY, t, 3, T0, -5, 100, c),
              FS_ERR_INVALID);
    ASSERT_EQ(c[0], 42);
    /* half-life is irrelevant to the exact models */
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, 3, T0, 0, 100, c), FS_OK);
    ASSERT_EQ(fs_attrib_credit(FS_MODEL_LINEAR, t, FS_ATTRIB_MAX_TOUCHES, T0, 0, 100, c),
              FS_OK);
    ASSERT_EQ(c[0], 1);
    ASSERT_EQ(c[99], 1);
}

/* Sums stay exact and credits stay within one unit of total × w_i for
 * extreme totals and every n, on a deterministic pseudo-random walk. */
static void test_sums_exact(void)
{
    static const int64_t totals[] = {0,
                                     1,
                                     99,
                                     100,
                                     101,
                                     FS_ATTRIB_CONVERSION_UNITS,
                                     INT64_C(99999999999999),
                                     INT64_C(100000000000000),
                                     INT64_MAX / 4096,
                                     INT64_MAX};
    fs_touch_t t[FS_ATTRIB_MAX_TOUCHES];
    int64_t c[FS_ATTRIB_MAX_TOUCHES];
    uint64_t x = 88172645463325252u;

    for (size_t n = 1; n <= FS_ATTRIB_MAX_TOUCHES; n++) {
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[i] = touch(T0 - (int64_t)(x % (uint64_t)(30 * DAY_MS)), "r",
                         (int)(x >> 60) & 3);
        }
        for (int m = 0; m < FS_MODEL__COUNT; m++) {
            for (size_t k = 0; k < sizeof(totals) / sizeof(totals[0]); k++) {
                __int128 sum = 0;
                ASSERT_EQ(
                    fs_attrib_credit((fs_model_t)m, t, n, T0, 7 * DAY_MS, totals[k], c),
                    FS_OK);
                for (size_t i = 0; i < n; i++) {
                    ASSERT_GE(c[i], 0);
                    ASSERT_LE(c[i], totals[k]);
                    sum += c[i];
                }
                ASSERT(sum == totals[k]);
            }
        }
    }
}

int main(void)
{
    RUN(test_model_names);
    RUN(test_select_window);
    RUN(test_select_ties);
    RUN(test_select_cap);
    RUN(test_first_last_touch);
    RUN(test_linear);
    RUN(test_position_based);
    RUN(test_time_decay);
    RUN(test_w_shaped);
    RUN(test_zero_revenue);
    RUN(test_invalid);
    RUN(test_sums_exact);
    return 0;
}
