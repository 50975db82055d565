/*
 * sink_fence.c — drives the worker's Redis sink against a real Redis to show
 * that a zombie owner is fenced, that replays are harmless, and that two
 * sinks writing the same person at once (interleaved deterministically by
 * the pre-commit seam) never lose an update: the one that read stale state
 * refuses to commit and recomputes.  Prints one line per step; exits
 * non-zero on the first step that does not behave.
 * Configuration comes from the environment (FUNNEL_REDIS_URL,
 * FUNNEL_NAMESPACE); test_sink.py checks Redis itself afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_conf.h"
#include "fs_definition.h"
#include "plan.h"
#include "sink.h"

extern char **environ;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "sink_fence: " __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                                       \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static void add_ev(fs_plan_t *plan, const fs_definition_t *def, const char *id,
                   int64_t off, const char *user, int64_t ms)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.type = strdup("ad_click");
    ev.user_id = strdup(user);
    ev.occurred_at_ms = ms;
    CHECK(ev.type && ev.user_id, "out of memory");
    CHECK(fs_plan_add(plan, def, &ev, off) == FS_OK, "plan_add");
    fs_event_clear(&ev);
}

#define DAY27 1795756321000LL /* 2026-11-27 */
#define DAY26 (DAY27 - 86400000LL)

static void add(fs_plan_t *plan, const fs_definition_t *def, const char *id, int64_t off)
{
    add_ev(plan, def, id, off, "fence-user", DAY27);
}

/* What the pre-commit seam of sink A does, once: sink B applies its own
 * batch (same person, other partition) or claims A's partition. */
typedef struct interloper {
    fs_sink_t *b;
    fs_sink_part_t part; /* B's batch; plan NULL = claim instead */
    int32_t claim_partition;
    int ran;
} interloper_t;

static void interfere(void *opaque)
{
    interloper_t *x = opaque;
    if (x->ran++)
        return;
    char err[512];
    fs_sink_result_t res;
    if (x->part.plan) {
        CHECK(fs_sink_apply(x->b, &x->part, 1, &res, err, sizeof(err)) == FS_OK, "%s",
              err);
        CHECK(res.applied == 1 && !x->part.fenced, "B's interleaved batch applies");
        printf("B applied its batch between A's read and A's commit\n");
    } else {
        int64_t e, next;
        CHECK(fs_sink_claim(x->b, x->claim_partition, &e, &next, err, sizeof(err)) ==
                  FS_OK,
              "%s", err);
        printf("B claimed partition %d between A's read and A's commit\n",
               (int)x->claim_partition);
    }
}

/* Applies one partition's @p plan as owner @p epoch; returns the error or
 * FS_ERR_FENCED when the part came back fenced. */
static fs_err_t apply1(fs_sink_t *sink, const fs_plan_t *plan, int64_t epoch,
                       fs_sink_result_t *res, char *err, size_t sz)
{
    fs_sink_part_t part = {plan, epoch, 0};
    fs_err_t e = fs_sink_apply(sink, &part, 1, res, err, sz);
    if (!e && part.fenced) {
        snprintf(err, sz, "partition %d fenced", (int)plan->partition);
        return FS_ERR_FENCED;
    }
    return e;
}

int main(int argc, char **argv)
{
    static const char *const keys[] = {"redis.url", "redis.password_file", "namespace",
                                       NULL};
    char err[512];
    fs_conf_t *conf = fs_conf_new("sink_fence", "sink_fence");
    CHECK(conf && fs_conf_use(conf, keys) == FS_OK, "conf");
    CHECK(fs_conf_load(conf, argc, argv, environ, err, sizeof(err)) == FS_OK, "%s", err);
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    CHECK(def, "%s", err);
    fs_person_params_t params = {def, 30 * 86400000LL, 7 * 86400000LL, 7 * 86400000LL, 0};
    fs_sink_t *sink =
        fs_sink_new(conf, "fence.topic", 3600, 3600, &params, err, sizeof(err));
    CHECK(sink, "%s", err);

    int64_t e1, e2, next;
    CHECK(fs_sink_claim(sink, 0, &e1, &next, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(next == -2, "fresh partition must start at the beginning, got %lld",
          (long long)next);
    printf("claimed by A: epoch %lld\n", (long long)e1);

    fs_plan_t plan;
    fs_plan_init(&plan, 0);
    add(&plan, def, "fence-1", 0);
    add(&plan, def, "fence-2", 1);
    fs_sink_result_t res;
    CHECK(apply1(sink, &plan, e1, &res, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(res.applied == 2, "A's first batch applies");
    printf("A applied offsets 0..1\n");

    /* B takes the partition over (A is paused, say) and resumes after 1. */
    CHECK(fs_sink_claim(sink, 0, &e2, &next, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(e2 > e1 && next == 2, "B: epoch %lld next %lld", (long long)e2,
          (long long)next);
    printf("claimed by B: epoch %lld from offset %lld\n", (long long)e2, (long long)next);

    /* A wakes up with a stale batch: it must be refused, whole. */
    fs_plan_clear(&plan);
    add(&plan, def, "fence-3", 2);
    add(&plan, def, "fence-4", 3);
    CHECK(apply1(sink, &plan, e1, &res, err, sizeof(err)) == FS_ERR_FENCED,
          "stale batch of A was not fenced");
    printf("A fenced: %s\n", err);

    /* B applies the same offsets; then a replay of them is a no-op. */
    CHECK(apply1(sink, &plan, e2, &res, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(res.applied == 2, "B applies its batch");
    CHECK(apply1(sink, &plan, e2, &res, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(res.applied == 0 && res.duplicates == 0, "replay must be skipped");
    printf("B applied offsets 2..3; replay skipped\n");

    /* A re-sent event (new offset, same event_id) counts once. */
    fs_plan_clear(&plan);
    add(&plan, def, "fence-1", 4);
    CHECK(apply1(sink, &plan, e2, &res, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(res.applied == 0 && res.duplicates == 1, "duplicate event_id counted");
    printf("duplicate event_id skipped\n");

    /* Two sinks, one person, interleaved: A (partition 1) reads the person,
     * then B (partition 2) applies an earlier event of the same person,
     * then A commits.  A must refuse its stale commit and recompute, so the
     * person is counted once, on B's earlier day (users:2026-11-26). */
    fs_sink_t *sb =
        fs_sink_new(conf, "fence.topic", 3600, 3600, &params, err, sizeof(err));
    CHECK(sb, "%s", err);
    int64_t ea, eb;
    CHECK(fs_sink_claim(sink, 1, &ea, &next, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(fs_sink_claim(sb, 2, &eb, &next, err, sizeof(err)) == FS_OK, "%s", err);
    fs_plan_t pa, pb;
    fs_plan_init(&pa, 1);
    fs_plan_init(&pb, 2);
    add_ev(&pa, def, "race-late", 0, "race-user", DAY27);
    add_ev(&pb, def, "race-early", 0, "race-user", DAY26);
    interloper_t x = {sb, {&pb, eb, 0}, 0, 0};
    fs_sink_set_precommit(sink, interfere, &x);
    CHECK(apply1(sink, &pa, ea, &res, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(x.ran >= 2, "A retried after B's write (attempts %d)", x.ran);
    CHECK(res.applied == 1 && res.conflicts >= 1, "A applied after %d conflict(s)",
          res.conflicts);
    printf("A refused its stale commit (%d conflict) and recomputed\n", res.conflicts);

    /* A claim between A's read and A's commit fences A's batch whole. */
    int64_t ec;
    CHECK(fs_sink_claim(sink, 3, &ec, &next, err, sizeof(err)) == FS_OK, "%s", err);
    fs_plan_t pc;
    fs_plan_init(&pc, 3);
    add_ev(&pc, def, "race-fenced", 0, "race-user", DAY26 - 86400000LL);
    interloper_t y = {sb, {NULL, 0, 0}, 3, 0};
    fs_sink_set_precommit(sink, interfere, &y);
    CHECK(apply1(sink, &pc, ec, &res, err, sizeof(err)) == FS_ERR_FENCED,
          "a claim before A's commit must fence A's batch");
    printf("A fenced by a claim that raced its commit\n");
    fs_sink_set_precommit(sink, NULL, NULL);

    /* Pipelined (fs_sink_start / fs_sink_flush), partition 4: the second
     * batch is read before the first one's commit has run, so it must see
     * the first one's writes — its event ids (pipe-1 again: a duplicate),
     * its offset and pipe-user's state — without conflicts. */
    int64_t e4;
    CHECK(fs_sink_claim(sink, 4, &e4, &next, err, sizeof(err)) == FS_OK, "%s", err);
    fs_plan_t q1, q2;
    fs_plan_init(&q1, 4);
    fs_plan_init(&q2, 4);
    add_ev(&q1, def, "pipe-1", 0, "pipe-user", DAY27);
    add_ev(&q2, def, "pipe-2", 1, "pipe-user", DAY26);
    add_ev(&q2, def, "pipe-1", 2, "pipe-user", DAY27);
    fs_sink_part_t s1 = {&q1, e4, 0}, s2 = {&q2, e4, 0};
    int had = -1;
    CHECK(fs_sink_start(sink, &s1, 1, &had, &res, err, sizeof(err)) == FS_OK && !had,
          "pipelined start 1: %s", err);
    CHECK(fs_sink_start(sink, &s2, 1, &had, &res, err, sizeof(err)) == FS_OK && had,
          "pipelined start 2: %s", err);
    CHECK(res.applied == 1 && res.conflicts == 0, "batch 1: applied %lld, conflicts %d",
          (long long)res.applied, res.conflicts);
    CHECK(fs_sink_flush(sink, &had, &res, err, sizeof(err)) == FS_OK && had, "flush: %s",
          err);
    CHECK(res.applied == 1 && res.duplicates == 1 && res.conflicts == 0,
          "batch 2: applied %lld, duplicates %lld, conflicts %d", (long long)res.applied,
          (long long)res.duplicates, res.conflicts);
    CHECK(fs_sink_flush(sink, &had, &res, err, sizeof(err)) == FS_OK && !had,
          "nothing left in flight");
    printf("pipelined batches saw each other's writes without conflicts\n");

    /* Pipelined, partition 5, with B writing the same person (partition 6)
     * just before the first batch's commit: that commit is refused and
     * retried, and the second batch, computed through the refused writes,
     * is computed again from Redis. */
    int64_t e5, e6;
    CHECK(fs_sink_claim(sink, 5, &e5, &next, err, sizeof(err)) == FS_OK, "%s", err);
    CHECK(fs_sink_claim(sb, 6, &e6, &next, err, sizeof(err)) == FS_OK, "%s", err);
    fs_plan_t r1, r2, rb;
    fs_plan_init(&r1, 5);
    fs_plan_init(&r2, 5);
    fs_plan_init(&rb, 6);
    add_ev(&r1, def, "pipe2-a", 0, "pipe2-user", DAY27);
    add_ev(&r2, def, "pipe2-b", 1, "pipe2-user", DAY27 + 1000);
    add_ev(&rb, def, "pipe2-early", 0, "pipe2-user", DAY26);
    fs_sink_part_t t1 = {&r1, e5, 0}, t2 = {&r2, e5, 0};
    interloper_t z = {sb, {&rb, e6, 0}, 0, 0};
    CHECK(fs_sink_start(sink, &t1, 1, &had, &res, err, sizeof(err)) == FS_OK && !had,
          "pipelined start 1: %s", err);
    fs_sink_set_precommit(sink, interfere, &z);
    CHECK(fs_sink_start(sink, &t2, 1, &had, &res, err, sizeof(err)) == FS_OK && had,
          "pipelined start 2: %s", err);
    CHECK(z.ran >= 1 && res.applied == 1 && res.conflicts >= 1,
          "batch 1 after B's write: applied %lld, conflicts %d", (long long)res.applied,
          res.conflicts);
    fs_sink_set_precommit(sink, NULL, NULL);
    CHECK(fs_sink_flush(sink, &had, &res, err, sizeof(err)) == FS_OK && had &&
              res.applied == 1,
          "flush: %s", err);
    printf("a pipelined commit refused after another worker's write was retried\n");

    fs_plan_clear(&q1);
    fs_plan_clear(&q2);
    fs_plan_clear(&r1);
    fs_plan_clear(&r2);
    fs_plan_clear(&rb);
    fs_plan_clear(&pa);
    fs_plan_clear(&pb);
    fs_plan_clear(&pc);
    fs_sink_destroy(sb);
    fs_plan_clear(&plan);
    fs_sink_destroy(sink);
    fs_definition_destroy(def);
    fs_conf_destroy(conf);
    return 0;
}
