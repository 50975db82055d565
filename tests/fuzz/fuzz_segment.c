/*
 * fuzz_segment.c — libFuzzer target for the Segment mapping (segment.c):
 * any bytes as the body of each of the four calls.  Any crash, sanitizer
 * report or leak is a finding; the result must keep the intake invariants
 * checked below (one item per message, accepted items carry a valid event
 * with a definition type, rejected ones an error naming a field).
 */
#include "fs_definition.h"
#include "segment.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795756321123LL /* 2026-11-27T05:12:01.123Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Read-only after initialization (a harness, not product code). */
static fs_definition_t *def;
static fs_channel_table_t *channels;

static void teardown(void)
{
    fs_definition_destroy(def);
    fs_channel_table_destroy(channels);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    (void)argc;
    (void)argv;
    def = fs_definition_new_default(err, sizeof(err));
    channels = fs_channel_table_default(err, sizeof(err));
    if (!def || !channels)
        abort();
    atexit(teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fs_validate_ctx_t ctx = {def, NOW, "fuzz", channels};
    for (int call = FS_SEGMENT_TRACK; call <= FS_SEGMENT_BATCH; call++) {
        fs_intake_t in;
        char err[512];
        memset(&in, 0, sizeof(in));
        fs_err_t e = fs_segment_parse(&ctx, (fs_segment_call_t)call, (const char *)data,
                                      size, 500, &in, err, sizeof(err));
        if (e != FS_OK) {
            if (in.n != 0 || in.items || !err[0])
                abort();
            continue;
        }
        if (in.n == 0 || in.accepted > in.n)
            abort();
        size_t ok = 0;
        for (size_t i = 0; i < in.n; i++) {
            const fs_intake_item_t *it = &in.items[i];
            if (it->ok) {
                ok++;
                if (!fs_definition_lookup(def, it->ev.type) ||
                    (!it->ev.user_id && !it->ev.anonymous_id))
                    abort();
            } else if (!strstr(it->error, ": ")) {
                abort();
            }
        }
        if (ok != in.accepted)
            abort();
        fs_intake_clear(&in);
    }
    return 0;
}
