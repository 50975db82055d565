/*
 * bench_validate.c — cost of docs/event.md validation of a typical event, against
 * jansson parsing the same text alone (the baseline, same run).
 *
 *   bench_validate [ITERATIONS]
 *
 * Prints ns/event for: json_loads alone; fs_validate_json on an already
 * parsed object (the validation proper); fs_validate_text (parse +
 * validate, what funnel-ingest does per line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fs_definition.h"
#include "fs_validate.h"

static const char typical[] =
    "{\"event_id\":\"5f0c6a1e-8d4b-4c2e-9a7f-1b2c3d4e5f60\",\"type\":\"email_signup\","
    "\"user_id\":\"crm-000123\",\"anonymous_id\":\"a-7f3e9c\","
    "\"occurred_at\":\"2026-11-27T05:12:01.123Z\",\"channel\":\"email\","
    "\"campaign\":\"guide_download_q4\",\"source\":\"newsletter\",\"medium\":\"email\","
    "\"properties\":{\"page\":\"/guide\",\"score\":7}}";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    char err[512];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    if (!def || n <= 0) {
        fprintf(stderr, "bench_validate: %s\n", def ? "bad iteration count" : err);
        return 2;
    }
    fs_validate_ctx_t ctx = {def, 1795756321000LL + 1000, "bench", NULL};
    size_t len = strlen(typical);
    fs_event_t ev;

    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        json_t *j = json_loadb(typical, len, JSON_REJECT_DUPLICATES, NULL);
        if (!j)
            return 1;
        json_decref(j);
    }
    double parse = (now_ns() - t0) / n;

    json_t *obj = json_loadb(typical, len, JSON_REJECT_DUPLICATES, NULL);
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (fs_validate_json(&ctx, obj, &ev, err, sizeof(err)) != FS_OK)
            return 1;
        fs_event_clear(&ev);
    }
    double validate = (now_ns() - t0) / n;
    json_decref(obj);

    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (fs_validate_text(&ctx, typical, len, &ev, err, sizeof(err)) != FS_OK)
            return 1;
        fs_event_clear(&ev);
    }
    double text = (now_ns() - t0) / n;

    printf("event: %zu bytes, %ld iterations\n", len, n);
    printf("jansson parse alone (baseline)  %8.0f ns\n", parse);
    printf("fs_validate_json (validation)   %8.0f ns  (%.2f x parse)\n", validate,
           validate / parse);
    printf("fs_validate_text (parse+valid.) %8.0f ns  (%.2f x parse)\n", text,
           text / parse);
    fs_definition_destroy(def);
    return 0;
}
