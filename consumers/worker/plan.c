/*
 * plan.c — a partition's batch of events (see plan.h).  Pure memory.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

void fs_plan_init(fs_plan_t *plan, int32_t partition)
{
    memset(plan, 0, sizeof(*plan));
    plan->partition = partition;
    plan->last_offset = -1;
}

void fs_plan_clear(fs_plan_t *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        fs_event_clear(&plan->items[i].ev);
    free(plan->items);
    fs_plan_init(plan, plan->partition);
}

void fs_plan_skip(fs_plan_t *plan, int64_t offset)
{
    if (offset > plan->last_offset)
        plan->last_offset = offset;
}

fs_err_t fs_plan_take_event(fs_plan_t *plan, const fs_definition_t *def, fs_event_t *ev,
                            int64_t offset)
{
    fs_plan_skip(plan, offset);
    if (!fs_definition_lookup(def, ev->type))
        return FS_ERR_NOT_FOUND;
    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 256;
        fs_plan_item_t *a = realloc(plan->items, cap * sizeof(*a));
        if (!a)
            return FS_ERR_NOMEM;
        plan->items = a;
        plan->cap = cap;
    }
    fs_plan_item_t *it = &plan->items[plan->n++];
    it->offset = offset;
    it->ev = *ev; /* the strings change hands: no copy */
    memset(ev, 0, sizeof(*ev));
    return FS_OK;
}

fs_err_t fs_plan_add(fs_plan_t *plan, const fs_definition_t *def, const fs_event_t *ev,
                     int64_t offset)
{
    fs_event_t copy;
    fs_err_t err = fs_event_copy(&copy, ev);
    if (err) {
        fs_plan_skip(plan, offset);
        return err;
    }
    if ((err = fs_plan_take_event(plan, def, &copy, offset)) != FS_OK)
        fs_event_clear(&copy);
    return err;
}

fs_err_t fs_plan_take(fs_plan_t *dst, fs_plan_t *src)
{
    if (src->n > 0) {
        if (dst->n + src->n > dst->cap) {
            size_t cap = dst->n + src->n;
            fs_plan_item_t *a = realloc(dst->items, cap * sizeof(*a));
            if (!a)
                return FS_ERR_NOMEM;
            dst->items = a;
            dst->cap = cap;
        }
        memcpy(&dst->items[dst->n], src->items, src->n * sizeof(*src->items));
        dst->n += src->n;
        free(src->items);
        src->items = NULL;
        src->n = src->cap = 0;
    }
    if (src->last_offset > dst->last_offset)
        dst->last_offset = src->last_offset;
    src->last_offset = -1;
    return FS_OK;
}

int fs_plan_batch_size(int now, int max, int conflicts)
{
    int floor = max < FS_PLAN_BATCH_FLOOR ? max : FS_PLAN_BATCH_FLOOR;
    if (now > max)
        now = max;
    if (conflicts > 0)
        return now / 2 > floor ? now / 2 : floor;
    int step = now / 8 + 1;
    return step < max - now ? now + step : max;
}
