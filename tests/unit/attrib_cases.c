/*
 * attrib_cases.c — prints random attribution journeys and fs_attrib's
 * answers as JSON lines, for check_attrib_python.py to recompute with the
 * independent Python oracle (tests/integration/attrib_oracle.py).
 *
 * usage: attrib_cases [COUNT [SEED]]   (defaults 2000, 1)
 *
 * Each journey is tried with every model; one line per (journey, model):
 *   {"model":..., "conv_ms":..., "lookback_ms":..., "half_life_ms":...,
 *    "revenue":..., "touches":[{"occurred_at":..., "event_id":...,
 *    "lead":bool, "opportunity":bool}, ...],
 *    "c_selected":[...], "c_revenue":[...], "c_conversions":[...]}
 * The journeys lean on the edges: ties in time and in event_id, touches at
 * and 1 ms beyond the lookback edge or after T, more than 100 touches,
 * zero and huge revenue, tiny half-lives.  Deterministic for a seed.
 */
#include "fs_attrib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_ALL 140
#define DAY_MS INT64_C(86400000)

typedef struct rng {
    uint64_t s;
} rng_t;

/* splitmix64: tiny, seedable, good enough for test data */
static uint64_t next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t below(rng_t *r, uint64_t n)
{
    return next(r) % n;
}

static void print_int_array(const int64_t *v, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%" PRId64, i ? "," : "", v[i]);
    putchar(']');
}

int main(int argc, char **argv)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    rng_t r = {argc > 2 ? strtoull(argv[2], NULL, 10) : 1};
    static char ids[MAX_ALL][9];
    fs_touch_t all[MAX_ALL], sel[FS_ATTRIB_MAX_TOUCHES];
    size_t idx[FS_ATTRIB_MAX_TOUCHES];
    int64_t rev[FS_ATTRIB_MAX_TOUCHES], conv[FS_ATTRIB_MAX_TOUCHES];

    if (count < 0) {
        fprintf(stderr, "attrib_cases: COUNT must be >= 0\n");
        return 2;
    }
    for (long c = 0; c < count; c++) {
        int64_t conv_ms = INT64_C(1700000000000) + (int64_t)below(&r, 100 * DAY_MS);
        int64_t lookback = below(&r, 4) ? 30 * DAY_MS : (int64_t)below(&r, 3 * DAY_MS);
        int64_t half_life;
        switch (below(&r, 4)) {
        case 0:
            half_life = 1 + (int64_t)below(&r, 1000);
            break;
        case 1:
            half_life = 1 + (int64_t)below(&r, 30 * DAY_MS);
            break;
        default:
            half_life = 7 * DAY_MS;
        }
        int64_t revenue;
        switch (below(&r, 6)) {
        case 0:
            revenue = 0;
            break;
        case 1:
            revenue = (int64_t)below(&r, 10);
            break;
        case 2:
            revenue = INT64_C(100000000000000) - (int64_t)below(&r, 1000);
            break;
        default:
            revenue = (int64_t)below(&r, 100000000);
        }
        size_t n;
        switch (below(&r, 8)) {
        case 0:
            n = 0;
            break;
        case 1:
            n = 95 + (size_t)below(&r, MAX_ALL - 95 + 1);
            break;
        default:
            n = 1 + (size_t)below(&r, 12);
        }
        /* few distinct times so that ties happen */
        int64_t times[6];
        for (int k = 0; k < 6; k++)
            times[k] = conv_ms - (int64_t)below(&r, (uint64_t)lookback + 1);
        for (size_t i = 0; i < n; i++) {
            int64_t at;
            switch (below(&r, 10)) {
            case 0:
                at = conv_ms - lookback; /* edge: in */
                break;
            case 1:
                at = conv_ms - lookback - 1; /* 1 ms out */
                break;
            case 2:
                at = below(&r, 2) ? conv_ms + 1 /* 1 ms after T */
                                  : conv_ms + (int64_t)below(&r, 2 * DAY_MS);
                break;
            case 3:
            case 4:
                at = times[below(&r, 6)];
                break;
            default:
                at = conv_ms - (int64_t)below(&r, (uint64_t)lookback + 1);
            }
            size_t len = 1 + (size_t)below(&r, 3);
            for (size_t k = 0; k < len; k++)
                ids[i][k] = alphabet[below(&r, sizeof(alphabet) - 1)];
            ids[i][len] = '\0';
            uint64_t ms = below(&r, 8);
            all[i] = (fs_touch_t){at, ids[i], ms == 0 || ms == 2, ms == 1 || ms == 2};
        }

        size_t k = fs_attrib_select(all, n, conv_ms, lookback, idx);
        for (size_t i = 0; i < k; i++)
            sel[i] = all[idx[i]];
        for (int m = 0; m < FS_MODEL__COUNT; m++) {
            if (k > 0 && (fs_attrib_credit((fs_model_t)m, sel, k, conv_ms, half_life,
                                           revenue, rev) != FS_OK ||
                          fs_attrib_credit((fs_model_t)m, sel, k, conv_ms, half_life,
                                           FS_ATTRIB_CONVERSION_UNITS, conv) != FS_OK)) {
                fprintf(stderr, "attrib_cases: fs_attrib_credit failed\n");
                return 1;
            }
            printf("{\"model\":\"%s\",\"conv_ms\":%" PRId64 ",\"lookback_ms\":%" PRId64
                   ",\"half_life_ms\":%" PRId64 ",\"revenue\":%" PRId64 ",\"touches\":[",
                   fs_model_name((fs_model_t)m), conv_ms, lookback, half_life, revenue);
            for (size_t i = 0; i < n; i++)
                printf("%s{\"occurred_at\":%" PRId64
                       ",\"event_id\":\"%s\",\"lead\":%s,\"opportunity\":%s}",
                       i ? "," : "", all[i].occurred_at_ms, all[i].event_id,
                       all[i].is_lead ? "true" : "false",
                       all[i].is_opportunity ? "true" : "false");
            printf("],\"c_selected\":[");
            for (size_t i = 0; i < k; i++)
                printf("%s%zu", i ? "," : "", idx[i]);
            printf("],\"c_revenue\":");
            print_int_array(rev, k);
            printf(",\"c_conversions\":");
            print_int_array(conv, k);
            printf("}\n");
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("attrib_cases: stdout");
        return 1;
    }
    return 0;
}
