/* Unit tests of the worker's per-partition batch. */
#include <stdlib.h>
#include <string.h>

#include "fs_definition.h"
#include "fs_test.h"
#include "plan.h"

static fs_event_t make(const char *id, const char *type, int64_t ms)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.type = strdup(type);
    ev.user_id = strdup("u1");
    ev.occurred_at_ms = ms;
    memcpy(ev.currency, "USD", 4);
    return ev;
}

static void test_plan(void)
{
    char err[256];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    fs_plan_t plan;
    fs_plan_init(&plan, 3);
    ASSERT_EQ(plan.last_offset, -1);
    fs_event_t a = make("e1", "ad_click", 1795823999999LL);
    fs_event_t b = make("e2", "identify", 1795823999999LL);
    fs_event_t d = make("e4", "no_such_type", 1795824000000LL);
    ASSERT_EQ(fs_plan_add(&plan, def, &a, 10), FS_OK);
    ASSERT_EQ(fs_plan_add(&plan, def, &b, 11), FS_OK); /* identity: kept for its link */
    ASSERT_EQ(fs_plan_add(&plan, def, &d, 13), FS_ERR_NOT_FOUND);
    ASSERT_EQ(plan.n, 2);
    ASSERT_EQ(plan.last_offset, 13); /* the unknown type still advances it */
    ASSERT_STR_EQ(plan.items[0].ev.event_id, "e1");
    ASSERT(plan.items[0].ev.type != a.type); /* a copy, not a borrow */
    ASSERT_EQ(plan.items[1].offset, 11);
    fs_plan_skip(&plan, 20);
    ASSERT_EQ(plan.last_offset, 20);
    fs_plan_skip(&plan, 5); /* never moves back */
    ASSERT_EQ(plan.last_offset, 20);
    for (int i = 0; i < 1000; i++) /* grows */
        ASSERT_EQ(fs_plan_add(&plan, def, &a, 100 + i), FS_OK);
    ASSERT_EQ(plan.n, 1002);
    fs_plan_clear(&plan);
    ASSERT_EQ(plan.n, 0);
    ASSERT_EQ(plan.last_offset, -1);
    ASSERT_EQ(plan.partition, 3);
    fs_event_clear(&a);
    fs_event_clear(&b);
    fs_event_clear(&d);
    fs_definition_destroy(def);
}

/* Halved on a conflict down to the floor, grown back by an eighth per
 * clean batch up to the maximum. */
static void test_batch_size(void)
{
    ASSERT_EQ(fs_plan_batch_size(2000, 2000, 0), 2000);
    ASSERT_EQ(fs_plan_batch_size(2000, 2000, 1), 1000);
    ASSERT_EQ(fs_plan_batch_size(1000, 2000, 3), 500);
    ASSERT_EQ(fs_plan_batch_size(150, 2000, 1), FS_PLAN_BATCH_FLOOR);
    ASSERT_EQ(fs_plan_batch_size(FS_PLAN_BATCH_FLOOR, 2000, 1), FS_PLAN_BATCH_FLOOR);
    ASSERT_EQ(fs_plan_batch_size(1000, 2000, 0), 1126);
    ASSERT_EQ(fs_plan_batch_size(1990, 2000, 0), 2000);
    ASSERT_EQ(fs_plan_batch_size(50, 50, 1), 50); /* a maximum below the floor */
    ASSERT_EQ(fs_plan_batch_size(3000, 2000, 0), 2000);
    int n = FS_PLAN_BATCH_FLOOR, clean = 0;
    while (n < 2000 && clean < 100)
        n = fs_plan_batch_size(n, 2000, 0), clean++;
    ASSERT_EQ(n, 2000);
    ASSERT_LT(clean, 30); /* back to the maximum within a few seconds of batches */
}

int main(void)
{
    RUN(test_plan);
    RUN(test_batch_size);
    return 0;
}
