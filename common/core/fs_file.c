/*
 * fs_file.c — a small text file read whole (see fs_file.h).
 */
#include "fs_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fs_file_read(const char *path, size_t max, size_t *len, char *errstr, size_t sz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(max + 1);
    size_t n = text ? fread(text, 1, max + 1, f) : 0;
    if (!text)
        snprintf(errstr, sz, "out of memory");
    else if (ferror(f))
        snprintf(errstr, sz, "%s: read error", path);
    else if (n > max && max % (1u << 20) == 0)
        snprintf(errstr, sz, "%s: larger than %zu MiB", path, max >> 20);
    else if (n > max)
        snprintf(errstr, sz, "%s: larger than %zu bytes", path, max);
    else {
        text[n] = '\0';
        *len = n;
        fclose(f);
        return text;
    }
    free(text);
    fclose(f);
    return NULL;
}
