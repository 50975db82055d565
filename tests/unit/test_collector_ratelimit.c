/* Unit tests of the collector's token buckets, on a fake clock. */
#include <stdio.h>

#include "fs_test.h"
#include "ratelimit.h"

static void test_burst_then_rate(void)
{
    fs_ratelimit_t *rl = fs_ratelimit_new(10, 5, 100); /* 10/s, burst 5 */
    ASSERT(rl);
    int64_t t = 1000000;
    int retry = -1;
    for (int i = 0; i < 5; i++) {
        ASSERT(fs_ratelimit_admit(rl, "k", t, &retry));
        fs_ratelimit_charge(rl, "k", 1, t);
    }
    ASSERT(!fs_ratelimit_admit(rl, "k", t, &retry));
    ASSERT_EQ(retry, 1); /* 1 token at 10/s: 0.1 s, rounded up to whole seconds */
    ASSERT(!fs_ratelimit_admit(rl, "k", t + 99, NULL));
    ASSERT(fs_ratelimit_admit(rl, "k", t + 100, NULL)); /* one token back after 100 ms */
    /* never more than the burst, however long the pause */
    fs_ratelimit_charge(rl, "k", 1, t + 100);
    t += 3600 * 1000;
    for (int i = 0; i < 5; i++) {
        ASSERT(fs_ratelimit_admit(rl, "k", t, NULL));
        fs_ratelimit_charge(rl, "k", 1, t);
    }
    ASSERT(!fs_ratelimit_admit(rl, "k", t, NULL));
    fs_ratelimit_destroy(rl);
}

static void test_debt_and_retry_after(void)
{
    fs_ratelimit_t *rl = fs_ratelimit_new(2, 10, 100); /* 2/s, burst 10 */
    int64_t t = 5000;
    int retry = 0;
    ASSERT(fs_ratelimit_admit(rl, "big", t, &retry));
    fs_ratelimit_charge(rl, "big", 500, t); /* one full request: 490 tokens of debt */
    ASSERT(!fs_ratelimit_admit(rl, "big", t, &retry));
    ASSERT_EQ(retry, 246); /* (1 + 490) / 2 = 245.5 → 246 s */
    ASSERT(!fs_ratelimit_admit(rl, "big", t + 245000, &retry));
    ASSERT_EQ(retry, 1);
    ASSERT(fs_ratelimit_admit(rl, "big", t + 245500, &retry));
    /* other keys are independent */
    ASSERT(fs_ratelimit_admit(rl, "other", t, NULL));
    fs_ratelimit_destroy(rl);
}

static void test_clock_steps_back(void)
{
    fs_ratelimit_t *rl = fs_ratelimit_new(1, 1, 4);
    ASSERT(fs_ratelimit_admit(rl, "k", 10000, NULL));
    fs_ratelimit_charge(rl, "k", 1, 10000);
    ASSERT(!fs_ratelimit_admit(rl, "k", 5000, NULL)); /* earlier: no refill */
    ASSERT(!fs_ratelimit_admit(rl, "k", 10999, NULL));
    ASSERT(fs_ratelimit_admit(rl, "k", 11000, NULL));
    fs_ratelimit_destroy(rl);
}

static void test_bounded_lru(void)
{
    fs_ratelimit_t *rl = fs_ratelimit_new(1, 1, 3);
    char key[32];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        fs_ratelimit_charge(rl, key, 1, 0); /* k0, k1, k2 empty */
    }
    ASSERT_EQ(fs_ratelimit_size(rl), 3);
    ASSERT(!fs_ratelimit_admit(rl, "k0", 0, NULL)); /* k0 becomes most recent */
    fs_ratelimit_charge(rl, "k3", 1, 0);            /* evicts k1, the least recent */
    ASSERT_EQ(fs_ratelimit_size(rl), 3);
    ASSERT(!fs_ratelimit_admit(rl, "k0", 0, NULL));
    ASSERT(!fs_ratelimit_admit(rl, "k2", 0, NULL));
    ASSERT(!fs_ratelimit_admit(rl, "k3", 0, NULL));
    ASSERT(fs_ratelimit_admit(rl, "k1", 0, NULL)); /* forgotten: a full bucket again */
    ASSERT_EQ(fs_ratelimit_size(rl), 3);
    /* many keys: the table never grows */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "ip:10.0.%d.%d", i / 256, i % 256);
        fs_ratelimit_charge(rl, key, 1, i);
    }
    ASSERT_EQ(fs_ratelimit_size(rl), 3);
    fs_ratelimit_destroy(rl);
}

static void test_long_keys(void)
{
    char a[200], b[200];
    memset(a, 'a', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[150] = 'b'; /* differs after the stored prefix length */
    fs_ratelimit_t *rl = fs_ratelimit_new(1, 1, 8);
    fs_ratelimit_charge(rl, a, 1, 0);
    ASSERT(!fs_ratelimit_admit(rl, a, 0, NULL));
    ASSERT(fs_ratelimit_admit(rl, b, 0, NULL));
    ASSERT_EQ(fs_ratelimit_size(rl), 2);
    fs_ratelimit_destroy(rl);
}

static void test_refused_work_never_into_debt(void)
{
    fs_ratelimit_t *rl = fs_ratelimit_new(10, 20, 100); /* 10/s, burst 20 */
    int64_t t = 1000;
    int retry = 0;
    ASSERT(fs_ratelimit_admit(rl, "k", t, &retry));
    fs_ratelimit_charge_capped(rl, "k", 500, t); /* 500 junk events: the bucket empties */
    ASSERT(!fs_ratelimit_admit(rl, "k", t, &retry));
    ASSERT_EQ(retry, 1);                                 /* not 48 s of debt */
    ASSERT(fs_ratelimit_admit(rl, "k", t + 100, NULL));  /* one token 100 ms later */
    fs_ratelimit_charge_capped(rl, "k", 0.5, t + 100);   /* takes what is asked */
    ASSERT(!fs_ratelimit_admit(rl, "k", t + 100, NULL)); /* 0.5 left */
    ASSERT(fs_ratelimit_admit(rl, "k", t + 150, NULL));
    fs_ratelimit_charge_capped(rl, "k", 3, t + 150); /* only the 1 there */
    ASSERT(!fs_ratelimit_admit(rl, "k", t + 249, NULL));
    ASSERT(fs_ratelimit_admit(rl, "k", t + 250, NULL));
    t += 50;
    /* accepted events still go into debt */
    fs_ratelimit_charge(rl, "k", 30, t + 200);
    ASSERT(!fs_ratelimit_admit(rl, "k", t + 200, &retry));
    ASSERT_EQ(retry, 3); /* (1 + 29) / 10 */
    /* and a capped charge on a bucket in debt takes nothing */
    fs_ratelimit_charge_capped(rl, "k", 100, t + 200);
    ASSERT(!fs_ratelimit_admit(rl, "k", t + 200, &retry));
    ASSERT_EQ(retry, 3);
    fs_ratelimit_destroy(rl);
}

static void test_bad_parameters(void)
{
    ASSERT(fs_ratelimit_new(0, 1, 1) == NULL);
    ASSERT(fs_ratelimit_new(1, 0.5, 1) == NULL);
    ASSERT(fs_ratelimit_new(1, 1, 0) == NULL);
    fs_ratelimit_destroy(NULL);
}

int main(void)
{
    RUN(test_burst_then_rate);
    RUN(test_debt_and_retry_after);
    RUN(test_clock_steps_back);
    RUN(test_bounded_lru);
    RUN(test_long_keys);
    RUN(test_refused_work_never_into_debt);
    RUN(test_bad_parameters);
    return 0;
}
