/*
 * fuzz_definition.c — libFuzzer target for fs_definition_parse().  Any
 * crash, sanitizer report or leak is a finding; an accepted definition must
 * look up every one of its own types and respect the role rules.
 */
#include "fs_definition.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    fs_definition_t *def =
        fs_definition_parse((const char *)data, size, "fuzz.def", err, sizeof(err));
    if (!def) {
        if (strncmp(err, "fuzz.def", 8) != 0)
            abort();
        return 0;
    }
    size_t n = fs_definition_count(def);
    if (n == 0 || n > FS_DEFINITION_MAX_TYPES)
        abort();
    for (size_t i = 0; i < n; i++) {
        const fs_event_type_t *t = fs_definition_at(def, i);
        if (!t || fs_definition_lookup(def, t->name) != t)
            abort();
        if ((t->role == FS_ROLE_IDENTITY) != (t->stage == FS_STAGE_NONE) ||
            (t->role == FS_ROLE_IDENTITY) != (t->dept == FS_DEPT_NONE))
            abort();
        if (t->milestone != FS_MILESTONE_NONE && t->role != FS_ROLE_TOUCH)
            abort();
    }
    if (fs_definition_at(def, n) != NULL)
        abort();
    fs_definition_destroy(def);
    return 0;
}
