/* Unit tests of the worker's planner: events → apply-script arguments. */
#include <stdlib.h>
#include <string.h>

#include "fs_definition.h"
#include "fs_test.h"
#include "plan.h"

static fs_event_t make(const char *id, const char *type, int64_t ms, const char *channel)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.type = strdup(type);
    ev.user_id = strdup("u1");
    ev.occurred_at_ms = ms;
    ev.channel = channel ? strdup(channel) : NULL;
    return ev;
}

static void test_plan_fields(void)
{
    char err[256];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    fs_plan_t plan;
    fs_plan_init(&plan, 3);
    ASSERT_EQ(plan.last_offset, -1);

    /* 2026-11-27T23:59:59.999Z belongs to 2026-11-27 (UTC day). */
    fs_event_t a = make("e1", "ad_click", 1795823999999LL, "paid_search");
    fs_event_t b = make("e2", "identify", 1795823999999LL, NULL);
    fs_event_t c = make("e3", "sale", 1795824000000LL, NULL);
    free(c.user_id); /* an anonymous person */
    c.user_id = NULL;
    c.anonymous_id = strdup("a9");
    fs_event_t d = make("e4", "no_such_type", 1795824000000LL, NULL);
    ASSERT_EQ(fs_plan_add(&plan, def, &a, 10), FS_OK);
    ASSERT_EQ(fs_plan_add(&plan, def, &b, 11), FS_OK); /* identity: counted nowhere */
    ASSERT_EQ(fs_plan_add(&plan, def, &c, 12), FS_OK);
    ASSERT_EQ(fs_plan_add(&plan, def, &d, 13), FS_ERR_NOT_FOUND);
    ASSERT_EQ(plan.nevents, 2);
    ASSERT_EQ(plan.nargs, 2 * FS_PLAN_FIELDS);
    ASSERT_EQ(plan.last_offset, 13); /* identity and unknown still advance it */

    const char *want_a[] = {"10",     "e1", "2026-11-27", "awareness",    "paid_search",
                            "(none)", "ad_click", "u1", "1795823999999"};
    const char *want_c[] = {"12",     "e3",   "2026-11-28", "action",       "(none)",
                            "(none)", "sale", "anon:a9",    "1795824000000"};
    for (int i = 0; i < FS_PLAN_FIELDS; i++) {
        ASSERT_STR_EQ(plan.args[i], want_a[i]);
        ASSERT_STR_EQ(plan.args[FS_PLAN_FIELDS + i], want_c[i]);
    }
    fs_plan_skip(&plan, 20);
    ASSERT_EQ(plan.last_offset, 20);
    fs_plan_skip(&plan, 5); /* never moves back */
    ASSERT_EQ(plan.last_offset, 20);

    fs_plan_clear(&plan);
    ASSERT_EQ(plan.nevents, 0);
    ASSERT_EQ(plan.last_offset, -1);
    ASSERT_EQ(plan.partition, 3);
    fs_event_clear(&a);
    fs_event_clear(&b);
    fs_event_clear(&c);
    fs_event_clear(&d);
    fs_definition_destroy(def);
}

static void test_plan_grows(void)
{
    char err[256];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    fs_plan_t plan;
    fs_plan_init(&plan, 0);
    for (int i = 0; i < 5000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "id%d", i);
        fs_event_t ev = make(id, "page_view", 946684800000LL + i, "email");
        ASSERT_EQ(fs_plan_add(&plan, def, &ev, i), FS_OK);
        fs_event_clear(&ev);
    }
    ASSERT_EQ(plan.nevents, 5000);
    ASSERT_STR_EQ(plan.args[4999 * FS_PLAN_FIELDS + 1], "id4999");
    ASSERT_STR_EQ(plan.args[4999 * FS_PLAN_FIELDS + 2], "2000-01-01");
    fs_plan_clear(&plan);
    fs_definition_destroy(def);
}

int main(void)
{
    RUN(test_plan_fields);
    RUN(test_plan_grows);
    return 0;
}
