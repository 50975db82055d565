/*
 * fs_uuid.h — UUID version 4 strings for generated event ids (docs/event.md).
 *
 * Owns nothing.  Called by the producers when an event arrives without an
 * event_id.  fs_uuid4_format() is pure; fs_random_bytes() (and
 * fs_uuid4_random() through it) is the only function here that touches the
 * kernel (getrandom(2)), and it never falls back to a weaker source.
 */
#ifndef FS_UUID_H
#define FS_UUID_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

#define FS_UUID_STRLEN 36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" without NUL */

/**
 * Formats 16 random bytes as a lowercase RFC 9562 version-4 UUID string:
 * the version nibble is forced to 4 and the variant bits to 10xx, the other
 * 122 bits come from @p rnd.  @p out receives 36 characters and a NUL.
 * Pure: no I/O, no state; safe from any thread.
 */
void fs_uuid4_format(char out[FS_UUID_STRLEN + 1], const uint8_t rnd[16]);

/**
 * Fills the @p len bytes at @p buf from getrandom(2) (retrying short reads
 * and EINTR), e.g. 16 per id for fs_uuid4_format().
 * @returns FS_OK, or FS_ERR_IO when the kernel cannot supply randomness.
 * Safe from any thread.
 */
fs_err_t fs_random_bytes(uint8_t *buf, size_t len) FS_WUR;

/**
 * Fills @p out with a fresh random UUIDv4 drawn from getrandom(2).
 * @returns FS_OK, or FS_ERR_IO when the kernel cannot supply randomness
 *          (then @p out holds "").  Safe from any thread.
 */
fs_err_t fs_uuid4_random(char out[FS_UUID_STRLEN + 1]) FS_WUR;

#endif
