/*
 * fs_utf8.h — strict UTF-8 well-formedness (RFC 3629).
 *
 * Owns nothing; pure, no global state.  Called by the JSON parser
 * (fs_json.c: strings and keys, with jansson's rules), the Avro codec
 * (fs_codec.c: every text it writes or reads) and the display of labels
 * (fs_text.c: one character at a time).
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
 */
size_t fs_utf8_decode(const char *s, size_t n, uint32_t *cp) FS_WUR;

#endif
