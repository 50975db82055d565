/*
 * sink.c — atomic batch application into Redis (see sink.h).
 *
 * Key layout: docs/redis-keys.md.  The scripts compute key names from the
 * namespace they receive, so this layout targets a single Redis (or one
 * primary with replicas), not Redis Cluster.
 */
#include "sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_redis.h"

/* ARGV: ns, "topic:partition".  Returns {epoch, last applied offset or -1}. */
static const char claim_lua[] =
    "local pre = ARGV[1] .. ':v1:'\n"
    "local e = redis.call('HINCRBY', pre .. 'epochs', ARGV[2], 1)\n"
    "local o = redis.call('HGET', pre .. 'offsets', ARGV[2])\n"
    "return {e, tonumber(o or '-1')}\n";

/* ARGV: ns, "topic:partition", epoch, last offset, dedup ttl, person ttl,
 * then groups of 9: offset, event_id, day, stage, channel, campaign, type,
 * person, occurred_at ms.  Returns {status, applied, duplicates}: status 1
 * applied, 0 already applied, -1 fenced.
 *
 * Per counted event: its de-duplication mark; event counts; for each of the
 * person's (stage), (stage, channel), (stage, campaign) the earliest time
 * seen, moving the person's "users" count from the old day to the new one
 * when an earlier event arrives late; the person in the stage's HyperLogLog.
 * Increments are summed in Lua first so each hash field is written once per
 * batch. */
static const char apply_lua[] =
    "local pre = ARGV[1] .. ':v1:'\n"
    "local tp = ARGV[2]\n"
    "if redis.call('HGET', pre .. 'epochs', tp) ~= ARGV[3] then return {-1, 0, 0} end\n"
    "local cur = tonumber(redis.call('HGET', pre .. 'offsets', tp) or '-1')\n"
    "local last = tonumber(ARGV[4])\n"
    "if last <= cur then return {0, 0, 0} end\n"
    "local ttl, pttl = ARGV[5], ARGV[6]\n"
    "local ev, us, hll = {}, {}, {}\n"
    "local applied, dups = 0, 0\n"
    "local floor = math.floor\n"
    "local function add(t, key, f, n)\n"
    "  local h = t[key]\n"
    "  if not h then h = {}; t[key] = h end\n"
    "  h[f] = (h[f] or 0) + n\n"
    "end\n"
    /* The UTC day of epoch milliseconds, as fs_day_format() computes it. */
    "local function civil(ms)\n"
    "  local z = floor(ms / 86400000) + 719468\n"
    "  local era = floor(z / 146097)\n"
    "  local doe = z - era * 146097\n"
    "  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524)\n"
    "                    - floor(doe / 146096)) / 365)\n"
    "  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))\n"
    "  local mp = floor((5 * doy + 2) / 153)\n"
    "  local d = doy - floor((153 * mp + 2) / 5) + 1\n"
    "  local m = mp < 10 and mp + 3 or mp - 9\n"
    "  local y = yoe + era * 400\n"
    "  if m <= 2 then y = y + 1 end\n"
    "  return string.format('%04d-%02d-%02d', y, m, d)\n"
    "end\n"
    "local function first(pkey, f, ms, day)\n"
    "  local old = redis.call('HGET', pkey, f)\n"
    "  if old then\n"
    "    old = tonumber(old)\n"
    "    if ms >= old then return end\n"
    "    add(us, pre .. 'users:' .. civil(old), f, -1)\n"
    "  end\n"
    "  redis.call('HSET', pkey, f, ms)\n"
    "  add(us, pre .. 'users:' .. day, f, 1)\n"
    "end\n"
    "for i = 7, #ARGV, 9 do\n"
    "  if tonumber(ARGV[i]) > cur then\n"
    "    if redis.call('SET', pre .. 'seen:' .. ARGV[i + 1], '1', 'NX', 'EX', ttl) then\n"
    "      applied = applied + 1\n"
    "      local day, st = ARGV[i + 2], ARGV[i + 3]\n"
    "      local ekey = pre .. 'events:' .. day\n"
    "      add(ev, ekey, 't:' .. ARGV[i + 6], 1)\n"
    "      if st ~= '' then\n"
    "        local person = ARGV[i + 7]\n"
    "        local pkey = pre .. 'p:' .. person\n"
    "        local ms = tonumber(ARGV[i + 8])\n"
    "        local fs = {'s:' .. st, 'sc:' .. st .. ':' .. ARGV[i + 4],\n"
    "                    'sk:' .. st .. ':' .. ARGV[i + 5]}\n"
    "        for _, f in ipairs(fs) do\n"
    "          add(ev, ekey, f, 1)\n"
    "          first(pkey, f, ms, day)\n"
    "        end\n"
    "        redis.call('EXPIRE', pkey, pttl)\n"
    "        local hk = pre .. 'hll:' .. day .. ':' .. st\n"
    "        local hl = hll[hk]\n"
    "        if not hl then hl = {}; hll[hk] = hl end\n"
    "        hl[#hl + 1] = person\n"
    "      end\n"
    "    else\n"
    "      dups = dups + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "for key, h in pairs(ev) do\n"
    "  for f, n in pairs(h) do redis.call('HINCRBY', key, f, n) end\n"
    "end\n"
    "for key, h in pairs(us) do\n"
    "  for f, n in pairs(h) do\n"
    "    if n ~= 0 then redis.call('HINCRBY', key, f, n) end\n"
    "  end\n"
    "end\n"
    /* PFADD in slices: unpack() of a long list would overflow Lua's C stack. */
    "for key, l in pairs(hll) do\n"
    "  for j = 1, #l, 1000 do\n"
    "    redis.call('PFADD', key, unpack(l, j, math.min(j + 999, #l)))\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', pre .. 'offsets', tp, last)\n"
    "return {1, applied, dups}\n";

struct fs_sink {
    const fs_conf_t *conf; /* borrowed */
    redisContext *c;       /* NULL while disconnected */
    char ns[80];
    char topic[256];
    char ttl[16];  /* de-duplication marks, seconds */
    char pttl[16]; /* person state, seconds */
    char claim_sha[48], apply_sha[48];
    double last_apply_ms;
};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void disconnect(fs_sink_t *s)
{
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
}

/* An error reply that names a passing condition (LOADING, BUSY, READONLY,
 * MASTERDOWN, TRYAGAIN, OOM...) is retriable; "ERR ..." (e.g. a script that
 * does not compile) and authentication or permission errors are not. */
static fs_err_t classify_error_reply(const redisReply *r)
{
    static const char *const fatal[] = {"ERR", "NOPERM", "NOAUTH", "WRONGPASS", "WRONGTYPE"};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        if (!strncmp(r->str, fatal[i], strlen(fatal[i])))
            return FS_ERR_FATAL;
    return FS_ERR_TRANSIENT;
}

static fs_err_t load_script(fs_sink_t *s, const char *lua, char sha[48], char *errstr,
                            size_t sz)
{
    redisReply *r = redisCommand(s->c, "SCRIPT LOAD %s", lua);
    fs_err_t err = FS_OK;
    if (fs_redis_reply_ok(s->c, r, "SCRIPT LOAD", errstr, sz))
        err = r ? classify_error_reply(r) : FS_ERR_TRANSIENT;
    else if (r->type != REDIS_REPLY_STRING || r->len >= 48)
        err = FS_ERR_FATAL;
    else
        snprintf(sha, 48, "%s", r->str);
    if (r)
        freeReplyObject(r);
    return err;
}

/* (Re)connects and loads the scripts when needed. */
static fs_err_t ensure(fs_sink_t *s, char *errstr, size_t sz)
{
    if (s->c)
        return FS_OK;
    s->c = fs_redis_connect(s->conf, 5000, errstr, sz);
    if (!s->c)
        return FS_ERR_TRANSIENT;
    fs_err_t err = load_script(s, claim_lua, s->claim_sha, errstr, sz);
    if (!err)
        err = load_script(s, apply_lua, s->apply_sha, errstr, sz);
    if (err)
        disconnect(s);
    return err;
}

fs_sink_t *fs_sink_new(const fs_conf_t *conf, const char *topic, int dedup_ttl_s,
                       int person_ttl_s, char *errstr, size_t sz)
{
    fs_sink_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    s->conf = conf;
    snprintf(s->ns, sizeof(s->ns), "%s", fs_conf_str(conf, "namespace"));
    snprintf(s->topic, sizeof(s->topic), "%s", topic);
    snprintf(s->ttl, sizeof(s->ttl), "%d", dedup_ttl_s);
    snprintf(s->pttl, sizeof(s->pttl), "%d", person_ttl_s);
    /* Redis being down (or loading) at start-up is retried later like any
     * outage; a refused password or a broken script is not. */
    if (ensure(s, errstr, sz) == FS_ERR_FATAL) {
        fs_sink_destroy(s);
        return NULL;
    }
    return s;
}

void fs_sink_destroy(fs_sink_t *s)
{
    if (!s)
        return;
    disconnect(s);
    free(s);
}

/* Runs EVALSHA @p sha with @p argv; on NOSCRIPT (Redis restarted without its
 * script cache) reloads the scripts once and retries. */
static redisReply *evalsha(fs_sink_t *s, const char *sha, int argc, const char **argv,
                           char *errstr, size_t sz, fs_err_t *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((*err = ensure(s, errstr, sz)))
            return NULL;
        argv[1] = sha; /* a script's SHA never changes, reloaded or not */
        redisReply *r = redisCommandArgv(s->c, argc, argv, NULL);
        if (!r) {
            snprintf(errstr, sz, "redis: %s", s->c->errstr);
            disconnect(s);
            *err = FS_ERR_TRANSIENT;
            return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
            freeReplyObject(r);
            disconnect(s); /* reconnecting reloads both scripts */
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            snprintf(errstr, sz, "redis: %s", r->str);
            *err = classify_error_reply(r);
            freeReplyObject(r);
            return NULL;
        }
        *err = FS_OK;
        return r;
    }
    snprintf(errstr, sz, "redis: scripts keep disappearing (NOSCRIPT)");
    *err = FS_ERR_TRANSIENT;
    return NULL;
}

static int int_array(const redisReply *r, size_t n, long long *out)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (r->element[i]->type != REDIS_REPLY_INTEGER)
            return -1;
        out[i] = r->element[i]->integer;
    }
    return 0;
}

fs_err_t fs_sink_claim(fs_sink_t *s, int32_t partition, int64_t *epoch, int64_t *next_offset,
                       char *errstr, size_t sz)
{
    char tp[300];
    snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, partition);
    const char *argv[] = {"EVALSHA", NULL, "0", s->ns, tp};
    fs_err_t err;
    redisReply *r = evalsha(s, s->claim_sha, 5, argv, errstr, sz, &err);
    if (!r)
        return err;
    long long v[2];
    if (int_array(r, 2, v)) {
        snprintf(errstr, sz, "redis: unexpected reply to the claim script");
        err = FS_ERR_FATAL;
    } else {
        *epoch = v[0];
        *next_offset = v[1] >= 0 ? v[1] + 1 : -2;
    }
    freeReplyObject(r);
    return err;
}

fs_err_t fs_sink_apply(fs_sink_t *s, const fs_plan_t *plan, int64_t epoch,
                       fs_sink_result_t *res, char *errstr, size_t sz)
{
    memset(res, 0, sizeof(*res));
    if (plan->last_offset < 0)
        return FS_OK;
    size_t argc = 9 + plan->nargs;
    const char **argv = malloc(argc * sizeof(*argv));
    if (!argv) {
        snprintf(errstr, sz, "out of memory");
        return FS_ERR_NOMEM;
    }
    char tp[300], ep[24], last[24];
    snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, plan->partition);
    snprintf(ep, sizeof(ep), "%" PRId64, epoch);
    snprintf(last, sizeof(last), "%" PRId64, plan->last_offset);
    argv[0] = "EVALSHA";
    argv[2] = "0";
    argv[3] = s->ns;
    argv[4] = tp;
    argv[5] = ep;
    argv[6] = last;
    argv[7] = s->ttl;
    argv[8] = s->pttl;
    for (size_t i = 0; i < plan->nargs; i++)
        argv[9 + i] = plan->args[i];
    double t0 = mono_ms();
    fs_err_t err;
    redisReply *r = evalsha(s, s->apply_sha, (int)argc, argv, errstr, sz, &err);
    free(argv);
    if (!r)
        return err;
    long long v[3];
    if (int_array(r, 3, v)) {
        snprintf(errstr, sz, "redis: unexpected reply to the apply script");
        err = FS_ERR_FATAL;
    } else if (v[0] < 0) {
        snprintf(errstr, sz, "partition %" PRId32 " was claimed by another worker",
                 plan->partition);
        err = FS_ERR_FENCED;
    } else {
        res->already_applied = v[0] == 0;
        res->applied = v[1];
        res->duplicates = v[2];
        s->last_apply_ms = mono_ms() - t0;
    }
    freeReplyObject(r);
    return err;
}

double fs_sink_last_apply_ms(const fs_sink_t *s)
{
    return s->last_apply_ms;
}
