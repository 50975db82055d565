/*
 * fuzz_person.c — the worker reads identity buckets and person
 * contributions back from Redis, where anything may have been written.
 * Both parsers must reject bad input without crashing or leaking, and what
 * they accept must serialize again and compute a contribution.
 * The first input byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fs_definition.h"
#include "person.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        fs_contrib_t c;
        fs_contrib_init(&c);
        if (fs_contrib_parse(text, len, &c, err, sizeof(err)) == FS_OK) {
            fs_buf_t out = FS_BUF_INIT;
            if (fs_contrib_serialize(&c, &out) != FS_OK)
                abort();
            fs_buf_free(&out);
        }
        fs_contrib_clear(&c);
        return 0;
    }
    fs_bucket_t *b = fs_bucket_parse(text, len, err, sizeof(err));
    if (!b)
        return 0;
    fs_buf_t out = FS_BUF_INIT;
    if (fs_bucket_serialize(b, &out) != FS_OK)
        abort();
    fs_buf_free(&out);
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    fs_person_params_t params = {def, 30 * 86400000LL, 7 * 86400000LL, 7 * 86400000LL, 0};
    const fs_bucket_t *bs[1] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    if (def && fs_person_contribution(&params, bs, 1, &c) != FS_OK)
        abort(); /* a parsed bucket always has a contribution */
    fs_contrib_clear(&c);
    fs_definition_destroy(def);
    fs_bucket_destroy(b);
    return 0;
}
