/*
 * fs_utf8.h — strict UTF-8 well-formedness (RFC 3629).
 *
 * Owns nothing; pure, no global state.  Called by the JSON parser
 * (fs_json.c: strings and keys, with jansson's rules) and the Avro codec
 * (fs_codec.c: every text it writes or reads).
 */
#ifndef FS_UTF8_H
#define FS_UTF8_H

#include <stddef.h>

#include "fs_err.h"

/**
 * Non-zero when the @p n bytes at @p s are well-formed UTF-8 without a NUL
 * byte: no overlong forms, no surrogates (U+D800–U+DFFF), nothing past
 * U+10FFFF, no truncated sequence.  A NUL is refused because our strings
 * end up as C strings, where it would silently cut the value.
 */
int fs_utf8_valid(const char *s, size_t n) FS_WUR;

#endif
