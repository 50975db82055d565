/*
 * web_page.h — the dashboard page (query/web/index.html), embedded in the
 * binary at build time by query/web/embed.cmake.  Read-only; served by
 * serve.c as is.
 */
#ifndef FS_QUERY_WEB_PAGE_H
#define FS_QUERY_WEB_PAGE_H

#include <stddef.h>

extern const unsigned char fs_web_index_html[]; /* NUL after the last byte */
extern const size_t fs_web_index_html_len;

#endif
