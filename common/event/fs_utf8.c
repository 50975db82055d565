/*
 * fs_utf8.c — strict UTF-8 well-formedness (see fs_utf8.h).
 */
#include "fs_utf8.h"

#include <stdint.h>
#include <string.h>

int fs_utf8_valid(const char *text, size_t n)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time: no high bit and no zero byte. */
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (((w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] > 0 && s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = fs_utf8_decode(text + i, n - i, &cp);
        if (len == 0 || cp == 0)
            return 0;
        i += len;
    }
    return 1;
}
