/*
 * fs_utf8.h — strict UTF-8 well-formedness (RFC 3629).
 *
 * Owns nothing; pure, no global state.  The project's one UTF-8 decoder:
 * called by the JSON parser (fs_json.c: strings and keys, with jansson's
 * rules), the validator (fs_validate.c: text fields, one character at a
 * time), the funnel definition's lines, the Avro codec (every text it
 * writes or reads), the display of labels (fs_text.c) and the worker's and
 * funnel-query's stored and shown texts.
 */
#ifndef FS_UTF8_H
#define FS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

/**
 * Non-zero when the @p n bytes at @p s are well-formed UTF-8 without a NUL
 * byte: no overlong forms, no surrogates (U+D800–U+DFFF), nothing past
 * U+10FFFF, no truncated sequence.  A NUL is refused because our strings
 * end up as C strings, where it would silently cut the value.
 */
int fs_utf8_valid(const char *s, size_t n) FS_WUR;

/**
 * Decodes the one character at the start of the @p n bytes at @p s, by
 * the rules of fs_utf8_valid() except that a NUL byte is a character.
 * @returns its length in bytes (1..4) and sets *cp, or 0 when @p s does
 *          not start with a well-formed character (or @p n is 0); *cp is
 *          then untouched.
 *
 * Inline because the validator and fs_utf8_valid() call it once per
 * non-ASCII character: as a call into another file, decoding accented and
 * CJK text took about 1.6x as long (1.9 against 1.2 ns per byte).  The first
 * byte fixes the length and the range of the second byte (Unicode 15,
 * table 3-7), which rules out overlong forms, surrogates and code points
 * past U+10FFFF without decoding first.
 */
static inline FS_WUR size_t fs_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const uint8_t *u = (const uint8_t *)s;
    if (n == 0)
        return 0;
    uint8_t c = u[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800..U+DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
    }
    if (n < len || u[1] < lo || u[1] > hi)
        return 0;
    v = (v << 6) | (u[1] & 0x3F);
    for (size_t k = 2; k < len; k++) {
        if ((u[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (u[k] & 0x3F);
    }
    *cp = v;
    return len;
}

/**
 * Non-zero when @p c is a continuation byte (10xxxxxx): in well-formed
 * text, cutting just before it would split a character.
 */
static inline int fs_utf8_is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

#endif
