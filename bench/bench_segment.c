/*
 * bench_segment.c — the Segment API's request path against POST
 * /v1/events', without the network: the same events as our body through
 * fs_intake_parse() and as a Segment /v1/batch body through
 * fs_segment_parse() (parse + mapping + docs/event.md validation + channel
 * grouping), then fs_intake_clear(); alternated in rounds.
 *
 *   bench_segment EVENTS_BODY SEGMENT_BODY [ITERATIONS]
 *
 * The bodies are bench/segment_bench's events.json and segment.json.
 * Prints ns/event of each per round and the ratio events ÷ segment (1.0:
 * the Segment path costs what ours does).  Linked with the collector's
 * allocator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_buf.h"
#include "fs_definition.h"
#include "intake.h"
#include "segment.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the box is shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    fs_buf_t b = FS_BUF_INIT;
    char chunk[65536];
    size_t n;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (fs_buf_append(&b, chunk, n) != FS_OK) {
            fclose(f);
            fs_buf_free(&b);
            return NULL;
        }
    fclose(f);
    *len = b.len;
    return (char *)b.data;
}

/* ns per event of @p iters passes; -1 when a body is not accepted whole. */
static double run(const fs_validate_ctx_t *ctx, int segment, const char *body, size_t len,
                  int iters)
{
    char err[512];
    size_t events = 0;
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        fs_intake_t in;
        memset(&in, 0, sizeof(in));
        fs_err_t e = segment
                         ? fs_segment_parse(ctx, FS_SEGMENT_BATCH, body, len, 500, &in,
                                            err, sizeof(err))
                         : fs_intake_parse(ctx, body, len, 500, &in, err, sizeof(err));
        if (e != FS_OK || in.accepted != in.n) {
            fprintf(stderr, "bench_segment: %s body refused: %s\n",
                    segment ? "segment" : "events",
                    e != FS_OK       ? err
                    : in.items[0].ok ? "(some event)"
                                     : in.items[0].error);
            fs_intake_clear(&in);
            return -1;
        }
        events += in.n;
        fs_intake_clear(&in);
    }
    return (now_ns() - t0) / (double)events;
}

int main(int argc, char **argv)
{
    char err[256];
    size_t elen = 0, slen = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: bench_segment EVENTS_BODY SEGMENT_BODY [ITERATIONS]\n");
        return 2;
    }
    int iters = argc > 3 ? atoi(argv[3]) : 2000;
    char *ebody = slurp(argv[1], &elen), *sbody = slurp(argv[2], &slen);
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    fs_channel_table_t *ch = fs_channel_table_default(err, sizeof(err));
    int rc = 1;
    if (!ebody || !sbody || !def || !ch) {
        fprintf(stderr, "bench_segment: cannot read the bodies or set up\n");
        goto done;
    }
    fs_validate_ctx_t ctx = {def, 1795756321000LL, "collector", ch};
    if (run(&ctx, 0, ebody, elen, iters / 10 + 1) < 0 ||
        run(&ctx, 1, sbody, slen, iters / 10 + 1) < 0)
        goto done;
    for (int r = 1; r <= 5; r++) {
        double e = run(&ctx, 0, ebody, elen, iters);
        double s = run(&ctx, 1, sbody, slen, iters);
        printf(
            "round %d: /v1/events %6.0f ns/event, /v1/batch %6.0f ns/event, ratio %.3f\n",
            r, e, s, e / s);
    }
    rc = 0;
done:
    free(ebody);
    free(sbody);
    fs_definition_destroy(def);
    fs_channel_table_destroy(ch);
    return rc;
}
