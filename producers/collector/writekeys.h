/*
 * writekeys.h — the set of write keys the collector accepts (docs/collector.md, 401).
 *
 * Owns the keys, parsed from `collector.write_keys` (comma list) and
 * `collector.write_keys_file` (one key per line, `#` comments, blank lines
 * ignored), and the lookup of a presented key, which takes the same time
 * whatever the presented key's content (no early exit, no strcmp).  Also
 * extracts the presented key from an `Authorization: Basic` header (the
 * user name; the password is ignored).  Pure: the file's text comes in as
 * a string; nothing here logs or prints a key.  Read-only after
 * construction, so any thread may look up.
 */
#ifndef FS_WRITEKEYS_H
#define FS_WRITEKEYS_H

#include <stddef.h>

#include "fs_err.h"

/** Longest accepted key. */
#define FS_WRITEKEY_MAX 256

typedef struct fs_writekeys fs_writekeys_t;

/** An empty set (no key configured: every request is allowed).  NULL on OOM. */
fs_writekeys_t *fs_writekeys_new(void);
void fs_writekeys_destroy(fs_writekeys_t *wk); /* NULL is a no-op */

/**
 * Adds the keys of the comma-separated @p list (spaces around keys are
 * trimmed, empty items skipped).  FS_ERR_INVALID with @p errstr ("item 2:
 * ...") for a key that is longer than FS_WRITEKEY_MAX or holds a control
 * character, a space or ':' (a Basic user name cannot contain ':'); the
 * message never quotes the key.
 */
fs_err_t fs_writekeys_add_list(fs_writekeys_t *wk, const char *list, char *errstr,
                               size_t errstr_size) FS_WUR;

/** Same for @p text, one key per line, "#" starting a comment line ("line 3: ..."). */
fs_err_t fs_writekeys_add_text(fs_writekeys_t *wk, const char *text, char *errstr,
                               size_t errstr_size) FS_WUR;

/** Number of distinct keys (0 = write keys not required). */
size_t fs_writekeys_count(const fs_writekeys_t *wk);

/**
 * Non-zero when @p key (may be NULL) is one of the set.  Compares against
 * every key of the set, in time that depends only on the set and on
 * strlen(@p key), never on where the first differing byte is.
 */
int fs_writekeys_match(const fs_writekeys_t *wk, const char *key);

/**
 * The user name of an `Authorization` header value @p header ("Basic
 * base64(user:password)", scheme case-insensitive) into @p out.  FS_OK
 * when a Basic credential with a non-empty user name was decoded;
 * FS_ERR_INVALID otherwise (other scheme, bad base64, too long, no ':').
 */
fs_err_t fs_writekeys_basic_user(const char *header,
                                 char out[FS_WRITEKEY_MAX + 1]) FS_WUR;

#endif
