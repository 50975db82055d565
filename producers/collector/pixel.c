/*
 * pixel.c — query parameters → event object, and the GIF (see pixel.h).
 */
#include "pixel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GIF89a, 1×1, one-colour palette, transparent colour 0, empty image. */
const unsigned char fs_pixel_gif[43] = {
    'G',  'I',  'F',  '8',  '9',  'a',  0x01, 0x00, 0x01, 0x00, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

static const char *const ignored[] = {"write_key", "_", "cb"};

static const char *field_of(const char *name)
{
    static const char *const utm[] = {"source", "medium", "campaign", "content", "term"};
    if (!strncmp(name, "utm_", 4))
        for (size_t i = 0; i < sizeof(utm) / sizeof(utm[0]); i++)
            if (!strcmp(name + 4, utm[i]))
                return utm[i];
    return name;
}

static int all_digits(const char *s)
{
    if (!*s || strlen(s) > 18)
        return 0;
    return s[strspn(s, "0123456789")] == '\0';
}

fs_err_t fs_pixel_event(const fs_pixel_param_t *params, size_t n, json_t **out,
                        char *errstr, size_t sz)
{
    fs_err_t err = FS_OK;
    json_t *obj = json_object(), *props = NULL;
    *out = obj;
    if (!obj) {
        snprintf(errstr, sz, "out of memory");
        return FS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n && err != FS_ERR_NOMEM; i++) {
        const char *name = params[i].name ? params[i].name : "";
        const char *value = params[i].value ? params[i].value : "";
        int skip = !*name; /* "?&type=x": an empty parameter carries nothing */
        for (size_t k = 0; k < sizeof(ignored) / sizeof(ignored[0]); k++)
            skip |= !strcmp(name, ignored[k]);
        if (skip)
            continue;
        json_t *target = obj;
        const char *key = field_of(name);
        if (!strncmp(name, "properties.", 11) && name[11]) {
            if (!props) {
                if (!(props = json_object()) ||
                    json_object_set_new(obj, "properties", props)) {
                    err = FS_ERR_NOMEM;
                    break;
                }
            }
            target = props;
            key = name + 11;
        }
        const char *shown = target == props ? "properties." : "";
        json_t *v = (!strcmp(key, "occurred_at") && target == obj && all_digits(value))
                        ? json_integer(strtoll(value, NULL, 10))
                        : json_string(value);
        fs_err_t e = FS_OK;
        char why[300];
        if (!v) { /* json_string() refuses invalid UTF-8 */
            snprintf(why, sizeof(why), "%s%s: not valid UTF-8", shown, key);
            e = FS_ERR_INVALID;
        } else if (json_object_get(target, key)) {
            snprintf(why, sizeof(why), "%s%s: given more than once%s%s%s", shown, key,
                     key != name ? " (as " : "", key != name ? name : "",
                     key != name ? ")" : "");
            e = FS_ERR_INVALID; /* the first value stays, for the dead letter */
        } else if (json_object_set_new(target, key, v)) {
            v = NULL; /* stolen even on failure */
            snprintf(why, sizeof(why), "query: a parameter name is not valid UTF-8");
            e = FS_ERR_INVALID;
        } else {
            v = NULL;
        }
        json_decref(v);
        if (e && !err) {
            snprintf(errstr, sz, "%s", why);
            err = e;
        }
    }
    if (err == FS_ERR_NOMEM)
        snprintf(errstr, sz, "out of memory");
    return err;
}
