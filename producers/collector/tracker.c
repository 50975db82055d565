/*
 * tracker.c — the definition as JSON and ETag matching (see tracker.h).
 */
#include "tracker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_hash.h"

char *fs_tracker_definition_json(const fs_definition_t *def,
                                 char etag[FS_TRACKER_ETAG_SIZE])
{
    json_t *types = json_array();
    json_t *root = json_pack("{s:o}", "types", types);
    char *text = NULL;
    if (!root)
        return NULL;
    for (size_t i = 0; i < fs_definition_count(def); i++) {
        const fs_event_type_t *t = fs_definition_at(def, i);
        if (json_array_append_new(types, json_pack("{s:s,s:s,s:s,s:s}", "name", t->name,
                                                   "stage", fs_stage_name(t->stage),
                                                   "department", fs_dept_name(t->dept),
                                                   "role", fs_role_name(t->role))) != 0)
            goto done;
    }
    text = json_dumps(root, JSON_COMPACT);
    if (text)
        snprintf(etag, FS_TRACKER_ETAG_SIZE, "\"%016llx\"",
                 (unsigned long long)fs_hash64(text, strlen(text)));
done:
    json_decref(root);
    return text;
}

int fs_tracker_etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    size_t el = strlen(etag);
    const char *s = inm;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (*s == '*')
            return 1;
        if (s[0] == 'W' && s[1] == '/')
            s += 2;
        size_t n = strcspn(s, ",");
        size_t t = n;
        while (t > 0 && (s[t - 1] == ' ' || s[t - 1] == '\t'))
            t--;
        if (t == el && !memcmp(s, etag, el))
            return 1;
        s += n;
    }
    return 0;
}
