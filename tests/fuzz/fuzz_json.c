/*
 * fuzz_json.c — differential libFuzzer target: fs_json_parse() against
 * jansson's own json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES), the
 * contract of fs_json.h (with its one exception, texts with a NUL byte).
 * A finding is any crash or sanitizer report, a text one accepts and the
 * other rejects, or trees that differ (values, or key order: compared
 * through their compact serialization).
 */
#include "fs_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[160];
    json_error_t jerr;
    json_t *ours = fs_json_parse((const char *)data, size, why, sizeof(why));
    json_t *ref = json_loadb((const char *)data, size,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    /* jansson sometimes takes a NUL byte after a number as the end of the
     * text ("10\0" parses as 10); rejecting it is the documented exception. */
    if (!ours && ref && memchr(data, '\0', size)) {
        json_decref(ref);
        return 0;
    }
    if (!ours != !ref) {
        fprintf(stderr, "fuzz_json: fs_json_parse %s (%s), json_loadb %s (%s)\n",
                ours ? "accepts" : "rejects", ours ? "-" : why,
                ref ? "accepts" : "rejects", ref ? "-" : jerr.text);
        abort();
    }
    if (ours) {
        char *a = json_dumps(ours, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!a || !b || strcmp(a, b) != 0 || !json_equal(ours, ref)) {
            fprintf(stderr, "fuzz_json: trees differ:\n  ours %s\n  ref  %s\n",
                    a ? a : "?", b ? b : "?");
            abort();
        }
        free(a);
        free(b);
    }
    json_decref(ours);
    json_decref(ref);
    return 0;
}
