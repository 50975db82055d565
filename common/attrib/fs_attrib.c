/*
 * fs_attrib.c — attribution math of docs/attribution.md (see fs_attrib.h).
 *
 * Owns touch selection and the integer split of one conversion's totals.
 * Called by the worker's attribution planner.  Never does I/O, reads a
 * clock or allocates: every buffer is on the stack, bounded by
 * FS_ATTRIB_MAX_TOUCHES.
 *
 * The exact models express their weights as integers num_i over one common
 * denominator den (sum of num_i == den), so floor(total × w_i) and its
 * remainder are one 128-bit division each, and remainders compare exactly:
 *
 *   first_touch     den 1, num = 1 for t1
 *   last_touch      den 1, num = 1 for tn
 *   linear          den n, num = 1 each
 *   position_based  n = 1: den 1; n = 2: den 2, 1 each;
 *                   n >= 3: den 5(n-2), ends 2(n-2) (= 0.4), others 1 (= 0.2/(n-2))
 *   w_shaped        k keys, m others: m == 0: den k, 1 each;
 *                   m > 0: den 10km, keys 9m (= 0.9/k), others k (= 0.1/m)
 *
 * With n <= 100 every den is below 3,000, so total × num stays far inside
 * 128 bits for any int64 total.
 */
#include "fs_attrib.h"

#include <math.h>
#include <string.h>

static const char *const model_names[FS_MODEL__COUNT] = {
    [FS_MODEL_FIRST_TOUCH] = "first_touch", [FS_MODEL_LAST_TOUCH] = "last_touch",
    [FS_MODEL_LINEAR] = "linear",           [FS_MODEL_POSITION_BASED] = "position_based",
    [FS_MODEL_TIME_DECAY] = "time_decay",   [FS_MODEL_W_SHAPED] = "w_shaped",
};

const char *fs_model_name(fs_model_t model)
{
    if ((int)model < 0 || model >= FS_MODEL__COUNT)
        return "unknown";
    return model_names[model];
}

fs_err_t fs_model_parse(const char *s, fs_model_t *out)
{
    if (!s || !out)
        return FS_ERR_INVALID;
    for (int m = 0; m < FS_MODEL__COUNT; m++) {
        if (strcmp(s, model_names[m]) == 0) {
            *out = (fs_model_t)m;
            return FS_OK;
        }
    }
    return FS_ERR_INVALID;
}

/* ---------------------------------------------------------------- select */

static const char *event_id(const fs_touch_t *t)
{
    return t->event_id ? t->event_id : "";
}

/* Strict total order of docs/attribution.md step 1; the index breaks exact duplicates
 * so the result never depends on the sort's stability. */
static int touch_before(const fs_touch_t *all, size_t a, size_t b)
{
    if (all[a].occurred_at_ms != all[b].occurred_at_ms)
        return all[a].occurred_at_ms < all[b].occurred_at_ms;
    int c = strcmp(event_id(&all[a]), event_id(&all[b]));
    if (c != 0)
        return c < 0;
    return a < b;
}

static int in_window(int64_t at, int64_t conv_ms, int64_t lookback_ms)
{
    if (at > conv_ms)
        return 0;
    /* conv_ms - at may not fit an int64 (e.g. at = INT64_MIN); as uint64 it
     * is exact because 0 <= conv_ms - at < 2^64. */
    uint64_t age = (uint64_t)conv_ms - (uint64_t)at;
    return age <= (uint64_t)lookback_ms;
}

size_t fs_attrib_select(const fs_touch_t *all, size_t n, int64_t conv_ms,
                        int64_t lookback_ms, size_t *out_idx)
{
    size_t k = 0; /* out_idx[0..k-1]: the latest touches so far, ascending */

    if (!all || !out_idx || lookback_ms < 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_window(all[i].occurred_at_ms, conv_ms, lookback_ms))
            continue;
        size_t pos = k; /* number of kept touches before i */
        while (pos > 0 && touch_before(all, i, out_idx[pos - 1]))
            pos--;
        if (k < FS_ATTRIB_MAX_TOUCHES) {
            memmove(&out_idx[pos + 1], &out_idx[pos], (k - pos) * sizeof(*out_idx));
            out_idx[pos] = i;
            k++;
        } else if (pos > 0) {
            /* Full: drop the earliest, i lands just before position pos. */
            memmove(&out_idx[0], &out_idx[1], (pos - 1) * sizeof(*out_idx));
            out_idx[pos - 1] = i;
        }
        /* else: full and i is earlier than every kept touch — not among
         * the 100 latest. */
    }
    return k;
}

/* ---------------------------------------------------------------- credit */

/* Fills num[0..n-1] and *den for the exact models (table in the header
 * comment).  n is in 1..FS_ATTRIB_MAX_TOUCHES. */
static void exact_weights(fs_model_t model, const fs_touch_t *t, size_t n, int64_t *num,
                          int64_t *den)
{
    for (size_t i = 0; i < n; i++)
        num[i] = 0;

    switch (model) {
    case FS_MODEL_FIRST_TOUCH:
        *den = 1;
        num[0] = 1;
        break;
    case FS_MODEL_LAST_TOUCH:
        *den = 1;
        num[n - 1] = 1;
        break;
    case FS_MODEL_LINEAR:
        *den = (int64_t)n;
        for (size_t i = 0; i < n; i++)
            num[i] = 1;
        break;
    case FS_MODEL_POSITION_BASED:
        if (n <= 2) { /* 1, or ½ each: linear */
            *den = (int64_t)n;
            for (size_t i = 0; i < n; i++)
                num[i] = 1;
        } else {
            int64_t mid = (int64_t)n - 2;
            *den = 5 * mid;
            for (size_t i = 1; i + 1 < n; i++)
                num[i] = 1;
            num[0] = num[n - 1] = 2 * mid;
        }
        break;
    case FS_MODEL_W_SHAPED: {
        unsigned char key[FS_ATTRIB_MAX_TOUCHES] = {0};
        int lead_seen = 0, opp_seen = 0;
        int64_t k = 0, m;

        key[0] = 1;
        for (size_t i = 0; i < n; i++) {
            if (t[i].is_lead && !lead_seen) {
                lead_seen = 1;
                key[i] = 1;
            }
            if (t[i].is_opportunity && !opp_seen) {
                opp_seen = 1;
                key[i] = 1;
            }
        }
        for (size_t i = 0; i < n; i++)
            k += key[i];
        m = (int64_t)n - k;
        *den = m == 0 ? k : 10 * k * m;
        for (size_t i = 0; i < n; i++)
            num[i] = m == 0 ? 1 : (key[i] ? 9 * m : k);
        break;
    }
    default: /* time_decay and out-of-range values never reach here */
        *den = 1;
        num[0] = 1;
        break;
    }
}

static void credit_exact(fs_model_t model, const fs_touch_t *t, size_t n, int64_t total,
                         int64_t *out_credit)
{
    int64_t num[FS_ATTRIB_MAX_TOUCHES], rem[FS_ATTRIB_MAX_TOUCHES], den;
    int64_t left = total;

    exact_weights(model, t, n, num, &den);
    for (size_t i = 0; i < n; i++) {
        __int128 p = (__int128)total * num[i];
        out_credit[i] = (int64_t)(p / den);
        rem[i] = (int64_t)(p % den);
        left -= out_credit[i];
    }
    /* left == sum(rem) / den < n: at most one extra unit per touch, since a
     * touch that got one now has a negative remainder. */
    while (left > 0) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (rem[i] > rem[best]) /* strict: ties stay with the earlier touch */
                best = i;
        out_credit[best]++;
        rem[best] -= den;
        left--;
    }
}

static void credit_time_decay(const fs_touch_t *t, size_t n, int64_t half_life_ms,
                              int64_t total, int64_t *out_credit)
{
    long double w[FS_ATTRIB_MAX_TOUCHES], frac[FS_ATTRIB_MAX_TOUCHES], sum_w = 0;
    int64_t latest = t[0].occurred_at_ms;
    __int128 left = total; /* 128 bits: floors of rounded products may overshoot */

    for (size_t i = 1; i < n; i++)
        if (t[i].occurred_at_ms > latest)
            latest = t[i].occurred_at_ms;
    /* 2^(-(T - ti)/h) = 2^(-(T - latest)/h) × 2^(-(latest - ti)/h): the
     * first factor is common to every touch and cancels out, and the latest
     * touch weighs 1, so sum_w >= 1 however small the half-life. */
    for (size_t i = 0; i < n; i++) {
        long double age = (long double)latest - (long double)t[i].occurred_at_ms;
        w[i] = exp2l(-age / (long double)half_life_ms);
        sum_w += w[i];
    }
    for (size_t i = 0; i < n; i++) {
        long double x = (long double)total * (w[i] / sum_w);
        long double fl = floorl(x);
        if (fl < 0)
            fl = 0;
        if (fl > (long double)total)
            fl = (long double)total;
        out_credit[i] = fl >= 0x1p63L ? INT64_MAX : (int64_t)fl;
        frac[i] = x - (long double)out_credit[i];
        left -= out_credit[i];
    }
    /* Rounding can leave the floors a unit or two off in either direction;
     * the loops keep the sum exact whatever happens. */
    while (left > 0) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (frac[i] > frac[best]) /* equal in long double: earlier touch */
                best = i;
        out_credit[best]++;
        frac[best] -= 1;
        left--;
    }
    while (left < 0) {
        size_t worst = n;
        for (size_t i = 0; i < n; i++)
            if (out_credit[i] > 0 && (worst == n || frac[i] <= frac[worst]))
                worst = i; /* equal: the later touch gives the unit back */
        out_credit[worst]--;
        frac[worst] += 1;
        left++;
    }
}

fs_err_t fs_attrib_credit(fs_model_t model, const fs_touch_t *t, size_t n,
                          int64_t conv_ms, int64_t half_life_ms, int64_t total,
                          int64_t *out_credit)
{
    (void)conv_ms; /* every model's weights are invariant under shifting T */

    if ((int)model < 0 || model >= FS_MODEL__COUNT || !t || !out_credit || n == 0 ||
        n > FS_ATTRIB_MAX_TOUCHES || total < 0)
        return FS_ERR_INVALID;
    if (model == FS_MODEL_TIME_DECAY) {
        if (half_life_ms <= 0)
            return FS_ERR_INVALID;
        credit_time_decay(t, n, half_life_ms, total, out_credit);
    } else {
        credit_exact(model, t, n, total, out_credit);
    }
    return FS_OK;
}
