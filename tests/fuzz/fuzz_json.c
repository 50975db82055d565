/*
 * fuzz_json.c — differential libFuzzer target: fs_json_parse() against
 * jansson's own json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES), the
 * contract of fs_json.h (with its one exception, texts with a NUL byte).
 * fs_json_parse() is fs_jdoc_parse() turned into a jansson tree, so this
 * checks the document parser the collector uses.  A finding is any crash
 * or sanitizer report, a text one accepts and the other rejects, trees that
 * differ (values, or key order: compared through their compact
 * serialization), or a jansson tree that does not survive
 * fs_jdoc_from_json() / fs_jval_to_json(), or whose size bound is below
 * its size.
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
        /* A jansson tree copied into a document converts back unchanged,
         * and the size bound is never below the exact size. */
        fs_jdoc_t *doc;
        const fs_jval_t *v = fs_jdoc_from_json(ref, &doc);
        json_t *back = v ? fs_jval_to_json(v) : NULL;
        if (!back || !json_equal(back, ref) ||
            fs_jval_size_bound(v, SIZE_MAX / 2) < strlen(b)) {
            fprintf(stderr, "fuzz_json: document of %s is wrong\n", b);
            abort();
        }
        json_decref(back);
        fs_jdoc_free(doc);
        free(a);
        free(b);
    }
    json_decref(ours);
    json_decref(ref);
    return 0;
}
