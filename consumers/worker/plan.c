/*
 * plan.c — events → apply-script arguments (see plan.h).  Pure.
 */
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_day.h"

void fs_plan_init(fs_plan_t *plan, int32_t partition)
{
    memset(plan, 0, sizeof(*plan));
    plan->partition = partition;
    plan->last_offset = -1;
}

void fs_plan_clear(fs_plan_t *plan)
{
    for (size_t i = 0; i < plan->nargs; i++)
        free(plan->args[i]);
    free(plan->args);
    fs_plan_init(plan, plan->partition);
}

void fs_plan_skip(fs_plan_t *plan, int64_t offset)
{
    if (offset > plan->last_offset)
        plan->last_offset = offset;
}

fs_err_t fs_plan_add(fs_plan_t *plan, const fs_definition_t *def, const fs_event_t *ev,
                     int64_t offset)
{
    const fs_event_type_t *et = fs_definition_lookup(def, ev->type);
    fs_plan_skip(plan, offset);
    if (!et)
        return FS_ERR_NOT_FOUND;
    if (et->role == FS_ROLE_IDENTITY)
        return FS_OK;
    if (plan->nargs + FS_PLAN_FIELDS > plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 64 * FS_PLAN_FIELDS;
        char **a = realloc(plan->args, cap * sizeof(*a));
        if (!a)
            return FS_ERR_NOMEM;
        plan->args = a;
        plan->cap = cap;
    }
    char off[24], day[11], ms[24], anon[FS_PERSON_MAX];
    snprintf(off, sizeof(off), "%" PRId64, offset);
    snprintf(ms, sizeof(ms), "%" PRId64, ev->occurred_at_ms);
    if (!ev->user_id)
        snprintf(anon, sizeof(anon), "anon:%s", ev->anonymous_id ? ev->anonymous_id : "");
    fs_day_format(fs_day_from_ms(ev->occurred_at_ms), day);
    const char *fields[FS_PLAN_FIELDS] = {
        off,
        ev->event_id,
        day,
        et->stage == FS_STAGE_NONE ? "" : fs_stage_name(et->stage),
        ev->channel ? ev->channel : "(none)",
        ev->campaign ? ev->campaign : "(none)",
        ev->type,
        ev->user_id ? ev->user_id : anon,
        ms,
    };
    size_t base = plan->nargs;
    for (size_t i = 0; i < FS_PLAN_FIELDS; i++) {
        plan->args[base + i] = strdup(fields[i]);
        if (!plan->args[base + i]) {
            while (i-- > 0)
                free(plan->args[base + i]);
            return FS_ERR_NOMEM;
        }
    }
    plan->nargs += FS_PLAN_FIELDS;
    plan->nevents++;
    return FS_OK;
}
