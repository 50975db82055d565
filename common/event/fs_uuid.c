/*
 * fs_uuid.c — UUIDv4 formatting and generation (see fs_uuid.h).
 *
 * Called by the producers to give id-less events an event_id.  Must never
 * use rand(3) or the clock: ids are the de-duplication key of the worker,
 * so a collision would silently drop an event.
 */
#include "fs_uuid.h"

#include <errno.h>
#include <stddef.h>
#include <sys/random.h>

void fs_uuid4_format(char out[FS_UUID_STRLEN + 1], const uint8_t rnd[16])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (int i = 0; i < 16; i++) {
        uint8_t b = rnd[i];
        if (i == 6)
            b = (uint8_t)((b & 0x0f) | 0x40); /* version 4 */
        else if (i == 8)
            b = (uint8_t)((b & 0x3f) | 0x80); /* variant 10xx */
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b >> 4];
        out[o++] = hex[b & 0x0f];
    }
    out[o] = '\0';
}

fs_err_t fs_random_bytes(uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FS_ERR_IO;
        }
        got += (size_t)n;
    }
    return FS_OK;
}

fs_err_t fs_uuid4_random(char out[FS_UUID_STRLEN + 1])
{
    uint8_t rnd[16];
    out[0] = '\0';
    fs_err_t err = fs_random_bytes(rnd, sizeof(rnd));
    if (!err)
        fs_uuid4_format(out, rnd);
    return err;
}
