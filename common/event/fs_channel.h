/*
 * fs_channel.h — channel grouping: which marketing channel an event without
 * a `channel` came through (docs/channels.md).
 *
 * Owns the grouping table (utm medium → channel, referrer host → channel,
 * the channel of any other referring site, the channel of a page view
 * without a referrer) and the one decision that reads it.  The built-in
 * table is the text FS_CHANNEL_DEFAULT_TABLE, parsed like a configured file
 * (`collector.channel_table`), so the documented table and the running one
 * cannot drift apart.
 *
 * Called by the validator (fs_validate_jval() with ctx->channels set: the
 * collector's tracker, pixel, Segment and POST paths all pass through it).
 * Pure apart from fs_channel_table_load() (reads one file); the table is
 * read-only after construction and safe to share between threads.
 */
#ifndef FS_CHANNEL_H
#define FS_CHANNEL_H

#include <stddef.h>

#include "fs_err.h"

typedef struct fs_channel_table fs_channel_table_t;

/* The table used when `collector.channel_table` is not set (the format is
 * described in its comments and in docs/channels.md). */
extern const char FS_CHANNEL_DEFAULT_TABLE[];

/**
 * Parses table text @p text (@p len bytes; a NUL byte is an error).
 * @p filename only prefixes errors.  NULL with @p errstr
 * ("FILE:LINE: reason") on the first bad line, or when out of memory.
 */
fs_channel_table_t *fs_channel_table_parse(const char *text, size_t len,
                                           const char *filename, char *errstr,
                                           size_t errstr_size);

/** fs_channel_table_parse() of the built-in table. */
fs_channel_table_t *fs_channel_table_default(char *errstr, size_t errstr_size);

/** Reads and parses the file @p path (at most 1 MiB). */
fs_channel_table_t *fs_channel_table_load(const char *path, char *errstr,
                                          size_t errstr_size);

void fs_channel_table_destroy(fs_channel_table_t *t); /* NULL is a no-op */

/**
 * The channel of an event of type @p type (NUL-terminated, may be NULL)
 * whose own `channel` is absent.  @p medium, @p referrer and @p page_url
 * are slices (NULL = absent; surrounding spaces are ignored): the event's
 * `medium`, and its `referrer` and `url` properties.  In order:
 *   1. medium, compared case-insensitively, found in the table;
 *   2. the referrer's host — unless it is the page's own host (internal
 *      navigation counts as no referrer) — a listed host or a subdomain of
 *      one gives that host's channel, any other host the other-referrer
 *      channel;
 *   3. no referrer (absent, unparseable or internal) and a type listed as
 *      `direct` gives that channel ("page_view" → "direct");
 *   4. otherwise NULL: the event keeps no channel, which reads "(none)".
 * The result is borrowed from @p t (valid until it is destroyed).
 */
const char *fs_channel_derive(const fs_channel_table_t *t, const char *type,
                              const char *medium, size_t medium_len, const char *referrer,
                              size_t referrer_len, const char *page_url,
                              size_t page_url_len);

/**
 * The host of URL @p url (@p len bytes) as channel grouping compares it:
 * lower case, without scheme, user info, port, trailing dot and a leading
 * "www.".  Returns its length (0: no host) in @p out of @p out_size bytes
 * (0 as well when it does not fit).
 */
size_t fs_channel_host(const char *url, size_t len, char *out, size_t out_size);

#endif
