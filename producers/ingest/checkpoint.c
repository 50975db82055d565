/*
 * checkpoint.c — the resume point on disk (see checkpoint.h).
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_id.h"

#define MAX_FILE 4096 /* a checkpoint is ~150 bytes; anything larger is not one */

fs_err_t fs_checkpoint_format(const fs_checkpoint_t *cp, fs_buf_t *out)
{
    fs_err_t err = fs_buf_printf(out,
                                 "# funnel-ingest checkpoint: lines 1..%" PRIu64
                                 " are acknowledged by Kafka\n"
                                 "version 1\noffset %" PRIu64 "\nline %" PRIu64 "\n",
                                 cp->line, cp->offset, cp->line);
    if (!err && cp->tail_len) {
        err = fs_buf_printf(out, "tail_bytes %" PRIu32 "\ntail_sha1 ", cp->tail_len);
        for (int i = 0; !err && i < 20; i++)
            err = fs_buf_printf(out, "%02x", cp->tail_sha1[i]);
        if (!err)
            err = fs_buf_puts(out, "\n");
    }
    return err;
}

static int parse_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

fs_err_t fs_checkpoint_parse(const char *text, size_t len, fs_checkpoint_t *cp,
                             char *errstr, size_t sz)
{
    int have_version = 0, have_offset = 0, have_line = 0, have_tail = 0, have_sha = 0;
    uint64_t v = 0;
    size_t lineno = 0;
    memset(cp, 0, sizeof(*cp));
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *s = text + pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n == 0 || s[0] == '#')
            continue;
        const char *sp = memchr(s, ' ', n);
        size_t klen = sp ? (size_t)(sp - s) : n;
        const char *val = sp ? sp + 1 : s + n;
        size_t vlen = n - klen - (sp ? 1 : 0);
        if (klen == 7 && !memcmp(s, "version", 7)) {
            if (parse_u64(val, vlen, &v) || v != 1) {
                snprintf(errstr, sz, "line %zu: version %.*s not supported (expected 1)",
                         lineno, (int)(vlen > 20 ? 20 : vlen), val);
                goto fail;
            }
            have_version = 1;
        } else if (klen == 6 && !memcmp(s, "offset", 6)) {
            if (parse_u64(val, vlen, &cp->offset))
                goto bad_number;
            have_offset = 1;
        } else if (klen == 4 && !memcmp(s, "line", 4)) {
            if (parse_u64(val, vlen, &cp->line))
                goto bad_number;
            have_line = 1;
        } else if (klen == 10 && !memcmp(s, "tail_bytes", 10)) {
            if (parse_u64(val, vlen, &v) || v == 0 || v > FS_CHECKPOINT_TAIL)
                goto bad_number;
            cp->tail_len = (uint32_t)v;
            have_tail = 1;
        } else if (klen == 9 && !memcmp(s, "tail_sha1", 9)) {
            if (vlen != 40)
                goto bad_hex;
            for (int i = 0; i < 20; i++) {
                int hi = hexval(val[2 * i]), lo = hexval(val[2 * i + 1]);
                if (hi < 0 || lo < 0)
                    goto bad_hex;
                cp->tail_sha1[i] = (uint8_t)(hi << 4 | lo);
            }
            have_sha = 1;
        } else {
            snprintf(errstr, sz, "line %zu: unknown key \"%.*s\"", lineno,
                     (int)(klen > 32 ? 32 : klen), s);
            goto fail;
        }
        continue;
    bad_number:
        snprintf(errstr, sz, "line %zu: %.*s: not a valid number", lineno, (int)klen, s);
        goto fail;
    bad_hex:
        snprintf(errstr, sz, "line %zu: tail_sha1: expected 40 lowercase hex digits",
                 lineno);
        goto fail;
    }
    if (!have_version || !have_offset || !have_line) {
        snprintf(errstr, sz, "missing %s",
                 !have_version  ? "version"
                 : !have_offset ? "offset"
                                : "line");
        goto fail;
    }
    if (have_tail != have_sha || cp->tail_len > cp->offset ||
        (cp->line == 0) != (cp->offset == 0)) {
        snprintf(errstr, sz,
                 "inconsistent values (offset %" PRIu64 ", line %" PRIu64
                 ", tail_bytes %" PRIu32 ")",
                 cp->offset, cp->line, cp->tail_len);
        goto fail;
    }
    return FS_OK;
fail:
    memset(cp, 0, sizeof(*cp));
    return FS_ERR_INVALID;
}

fs_err_t fs_checkpoint_tail(int fd, fs_checkpoint_t *cp, char *errstr, size_t sz)
{
    uint8_t buf[FS_CHECKPOINT_TAIL];
    size_t n = cp->offset < FS_CHECKPOINT_TAIL ? (size_t)cp->offset : FS_CHECKPOINT_TAIL;
    off_t from = (off_t)(cp->offset - n);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, from + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(errstr, sz, "reading bytes %" PRIu64 "..%" PRIu64 ": %s",
                     (uint64_t)from, cp->offset,
                     r < 0 ? strerror(errno) : "file too short");
            return FS_ERR_IO;
        }
        got += (size_t)r;
    }
    cp->tail_len = (uint32_t)n;
    if (n)
        fs_sha1(buf, n, cp->tail_sha1);
    else
        memset(cp->tail_sha1, 0, sizeof(cp->tail_sha1));
    return FS_OK;
}

fs_err_t fs_checkpoint_save(const char *path, const fs_checkpoint_t *cp, char *errstr,
                            size_t sz)
{
    fs_buf_t text = FS_BUF_INIT;
    char *tmp = NULL, *dircopy = NULL;
    int fd = -1, dfd = -1;
    fs_err_t err = FS_ERR_IO;
    size_t plen = strlen(path);
    if (fs_checkpoint_format(cp, &text) != FS_OK || !(tmp = malloc(plen + 5)) ||
        !(dircopy = strdup(path))) {
        snprintf(errstr, sz, "%s: out of memory", path);
        err = FS_ERR_NOMEM;
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, sz, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    for (size_t off = 0; off < text.len;) {
        ssize_t w = write(fd, text.data + off, text.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(errstr, sz, "%s: %s", tmp, strerror(errno));
            goto done;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        snprintf(errstr, sz, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        goto done;
    }
    /* The rename itself is durable only once the directory is synced. */
    dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(errstr, sz, "%s: syncing its directory: %s", path, strerror(errno));
        goto done;
    }
    err = FS_OK;
done:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(tmp);
    free(dircopy);
    fs_buf_free(&text);
    return err;
}

fs_err_t fs_checkpoint_load(const char *path, fs_checkpoint_t *cp, char *errstr,
                            size_t sz)
{
    char buf[MAX_FILE + 1];
    char why[256];
    size_t len = 0;
    memset(cp, 0, sizeof(*cp));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? FS_ERR_NOT_FOUND : FS_ERR_IO;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(errstr, sz, "%s: %s", path, strerror(errno));
            close(fd);
            return FS_ERR_IO;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > MAX_FILE) {
            snprintf(errstr, sz, "%s: larger than %d bytes: not a checkpoint", path,
                     MAX_FILE);
            close(fd);
            return FS_ERR_INVALID;
        }
    }
    close(fd);
    if (fs_checkpoint_parse(buf, len, cp, why, sizeof(why)) != FS_OK) {
        snprintf(errstr, sz, "%s: %s", path, why);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}
