/*
 * fs_str.c — joining strings without printf (see fs_str.h).
 */
#include "fs_str.h"

#include <stdarg.h>
#include <string.h>

size_t fs_str_cat(char *dst, size_t size, ...)
{
    va_list ap;
    size_t total = 0;
    va_start(ap, size);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        if (total + 1 < size) {
            size_t room = size - 1 - total;
            memcpy(dst + total, s, n < room ? n : room);
        }
        total += n;
    }
    va_end(ap);
    if (size > 0)
        dst[total < size ? total : size - 1] = '\0';
    return total;
}
