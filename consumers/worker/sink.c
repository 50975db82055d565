/*
 * sink.c — atomic batch application into Redis (see sink.h).
 *
 * Key layout: docs/redis-keys.md.  One apply is an optimistic transaction:
 *
 *   1. GET the epoch and offset of every partition of the batch; drop
 *      fenced partitions, skip offsets already applied.
 *   2. GET the de-duplication marks of the remaining events.
 *   3. GET the identity links of the anonymous ids and the link lists of
 *      the users involved (twice: links can bring in new users).
 *   4. GET the state of every bucket of every affected person and the
 *      contribution each person accounts for today.
 *   5. Compute (pure, person.c): new buckets, new links, each person's new
 *      contribution, and the increments new − old.
 *   6. One EVALSHA of the commit script: it checks that every partition's
 *      epoch and offset and every state key read in steps 3–4 are still
 *      what was read, that every increment keeps its field a signed 64-bit
 *      integer and that every key written has its type, and only then
 *      makes every write.  Otherwise it writes nothing: the batch is
 *      recomputed from fresh state (a conflict), or refused with
 *      FS_ERR_OVERFLOW for the worker to narrow (docs/funnel-worker.md).
 *
 * Every state value (b:, ln:, lk:) starts with a STAMP — 16 hex digits
 * drawn at random for each transaction, and '|' — so the script compares
 * 17 bytes (GETRANGE) per key instead of the whole value: a stamp names
 * one write, so an unchanged stamp means an unchanged value; keys read as
 * absent are checked still absent with one EXISTS per chunk.  This replaces
 * WATCH, whose cost in Redis 7.0 grows with the square of the keys watched
 * (half of Redis's CPU per event at 300-event batches).
 *
 * Persons span partitions (a user's events and the anonymous browsing
 * later linked to it are keyed differently), so two workers may touch the
 * same person at once; the check makes the loser recompute instead of
 * writing a stale contribution.  A transaction spans many persons' keys,
 * so this layout targets a single Redis (or a primary with replicas), not
 * Redis Cluster.
 */
#include "sink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bound.h"
#include "fs_buf.h"
#include "fs_day.h"
#include "fs_redis.h"
#include "fs_rng.h"
#include "fs_str.h"
#include "fs_strmap.h"

#define MAX_CONFLICTS 50 /* transactions retried before giving up (transient) */
#define ID_MAX 640       /* a user or anonymous id (128 UTF-8 characters) plus a prefix */
#define MGET_CHUNK 512   /* keys per MGET */

/* ARGV: ns, "topic:partition", attribution "on" or "off".  Returns {epoch,
 * last applied offset or -1}.  A namespace is built with attribution on or
 * off for good (the first claim records which; a partition claimed before
 * the setting existed was claimed with it on): a worker of the other kind is
 * refused, since its buckets would lack, or carry, the touches the stored
 * contributions were computed from.  The epoch is checked before the first
 * write: a value INCR would refuse (not an integer, or 2^63 - 1) is an
 * error that writes nothing. */
static const char claim_lua[] = FS_BOUND_LUA
    "local pre = ARGV[1] .. ':v1:'\n"
    "local ek = pre .. 'epoch:' .. ARGV[2]\n"
    "local e = redis.call('GET', ek)\n"
    "if e and not (int_ok(e) and fits(e, '1')) then\n"
    "  return redis.error_reply('ERR ' .. ek .. ' holds \"' .. e:sub(1, 40)\n"
    "    .. '\", not a fencing epoch the worker can increment: repair or delete it')\n"
    "end\n"
    "local o = redis.call('GET', pre .. 'offset:' .. ARGV[2])\n"
    "local m = redis.call('GET', pre .. 'attribution')\n"
    "if not m then\n"
    "  m = e and 'on' or ARGV[3]\n"
    "  redis.call('SET', pre .. 'attribution', m)\n"
    "end\n"
    "if m ~= ARGV[3] then\n"
    "  return redis.error_reply('ERR namespace ' .. ARGV[1] .. ' was built with '\n"
    "    .. 'attribution ' .. m .. ' and this worker runs with attribution '\n"
    "    .. ARGV[3] .. ' (FUNNEL_ATTRIBUTION): use the same setting or another '\n"
    "    .. 'namespace')\n"
    "end\n"
    "e = redis.call('INCR', ek)\n"
    "return {e, tonumber(o or '-1')}\n";

/* The stamp in front of every state value: 16 hex digits and '|'. */
#define STAMP_LEN 17

/* ARGV: ns, today's de-duplication hash, its TTL, the TTL of state values,
 * then sections, each a count followed by its entries:
 *   parts   (topic:partition, epoch, offset read)   checked
 *   state   (key, stamp read)                       checked
 *   absent  (key)                 checked: still absent (one EXISTS a chunk)
 *   hincrby (key, n, then n fields, then their n deltas)  (count of keys)
 *   seen    (event_id)                 into the de-duplication hash
 *   set     (key, value)               with the state TTL
 *   pfadd   (key, n, then n members): one PFADD per key (count of keys)
 *   offsets (topic:partition, offset)
 * Every argument costs Redis a Lua string (hashed and interned) and every
 * redis.call a conversion of its arguments, so keys are sent once per group
 * and numbers the script passes on are strings.
 *
 * A batch is applied whole or not at all: every check runs before the
 * first write, and the writes that follow cannot fail on what was checked.
 * Checked: the stamps, epochs and offsets (a conflict: returns 0); every
 * increment against the field's stored value (HMGET, FS_BOUND_LUA): a sum
 * past the signed 64-bit range returns {2, key, field, stored, delta}, a
 * stored text HINCRBY would refuse {3, key, field, stored}; the type of
 * every key written (HMGET and GETRANGE fail with WRONGTYPE on a key of
 * another type, before anything is written; a HyperLogLog key holding a
 * plain string returns {3, key, '', its first bytes}).  Returns 1 once
 * everything is written. */
static const char commit_lua[] = FS_BOUND_LUA
    "local pre = ARGV[1] .. ':v1:'\n"
    "local seen, seen_ttl, state_ttl = ARGV[2], ARGV[3], ARGV[4]\n"
    "local i = 5\n"
    "local function count() local n = tonumber(ARGV[i]); i = i + 1; return n end\n"
    "for _ = 1, count() do\n"
    "  local tp = ARGV[i]\n"
    "  if redis.call('GET', pre .. 'epoch:' .. tp) ~= ARGV[i + 1] then return 0 end\n"
    "  local o = redis.call('GET', pre .. 'offset:' .. tp) or '-1'\n"
    "  if tonumber(o) ~= tonumber(ARGV[i + 2]) then return 0 end\n"
    "  i = i + 3\n"
    "end\n"
    "for _ = 1, count() do\n"
    "  if redis.call('GETRANGE', ARGV[i], '0', '16') ~= ARGV[i + 1] then return 0 end\n"
    "  i = i + 2\n"
    "end\n"
    "local n = count()\n"
    "while n > 0 do\n"
    "  local m = n < 1000 and n or 1000\n"
    "  if redis.call('EXISTS', unpack(ARGV, i, i + m - 1)) ~= 0 then return 0 end\n"
    "  i = i + m; n = n - m\n"
    "end\n"
    /* Increments: HMGET the stored values, 1,000 fields a call. */
    "local ninc = count()\n"
    "local inc = i\n"
    "for _ = 1, ninc do\n"
    "  local key, m = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2\n"
    "  for a = 0, m - 1, 1000 do\n"
    "    local b = a + 1000 <= m and a + 1000 or m\n"
    "    local cur = redis.call('HMGET', key, unpack(ARGV, i + a, i + b - 1))\n"
    "    for k = 1, b - a do\n"
    "      local c, d = cur[k], ARGV[i + m + a + k - 1]\n"
    "      if c then\n"
    "        if not int_ok(c) then return {3, key, ARGV[i + a + k - 1], c} end\n"
    "        if not fits(c, d) then return {2, key, ARGV[i + a + k - 1], c, d} end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  i = i + 2 * m\n"
    "end\n"
    /* The other sections: where each starts, and the types of their keys. */
    "local sn = count()\n"
    "local sid = i\n"
    "if sn > 0 then redis.call('HMGET', seen, ARGV[i]) end\n"
    "i = i + sn\n"
    "local setn = count()\n"
    "local set = i\n"
    "i = i + 2 * setn\n"
    "local pfn = count()\n"
    "local pf = i\n"
    "for _ = 1, pfn do\n"
    "  local key, m = ARGV[i], tonumber(ARGV[i + 1])\n"
    "  local h = redis.call('GETRANGE', key, '0', '3')\n"
    "  if h ~= '' and h ~= 'HYLL' then return {3, key, '', h} end\n"
    "  i = i + 2 + m\n"
    "end\n"
    "local ofn = count()\n"
    "if ofn > 0 then redis.call('HMGET', pre .. 'offsets', ARGV[i]) end\n"
    /* Writes. */
    "local of = i\n"
    "i = inc\n"
    "for _ = 1, ninc do\n"
    "  local key, m = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2\n"
    "  for k = i, i + m - 1 do redis.call('HINCRBY', key, ARGV[k], ARGV[k + m]) end\n"
    "  i = i + 2 * m\n"
    "end\n"
    "i = sid\n"
    "if sn > 0 then\n"
    "  local t = {}\n"
    "  for k = 1, sn do\n"
    "    t[#t + 1] = ARGV[i]; t[#t + 1] = '1'; i = i + 1\n"
    "    if #t >= 1000 or k == sn then redis.call('HSET', seen, unpack(t)); t = {} end\n"
    "  end\n"
    "  redis.call('EXPIRE', seen, seen_ttl)\n"
    "end\n"
    "i = set\n"
    "for _ = 1, setn do\n"
    "  redis.call('SET', ARGV[i], ARGV[i + 1], 'EX', state_ttl); i = i + 2\n"
    "end\n"
    "i = pf\n"
    "for _ = 1, pfn do\n"
    "  local key, m = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2\n"
    "  while m > 0 do\n"
    "    local c = m < 1000 and m or 1000\n"
    "    redis.call('PFADD', key, unpack(ARGV, i, i + c - 1))\n"
    "    i = i + c; m = m - c\n"
    "  end\n"
    "end\n"
    "i = of\n"
    "for _ = 1, ofn do\n"
    "  redis.call('SET', pre .. 'offset:' .. ARGV[i], ARGV[i + 1])\n"
    "  redis.call('HSET', pre .. 'offsets', ARGV[i], ARGV[i + 1]); i = i + 2\n"
    "end\n"
    "return 1\n";

struct fs_sink {
    const fs_conf_t *conf; /* borrowed */
    redisContext *c;       /* NULL while disconnected */
    char pre[96];          /* "<ns>:v1:" */
    char topic[256];
    char ttl[16]; /* de-duplication hashes, seconds */
    int dedup_days;
    char pttl[16]; /* person state, seconds */
    fs_person_params_t params;
    char claim_sha[48];
    char commit_sha[48];
    fs_rng_t rng; /* stamps */
    double last_apply_ms;
    fs_sink_precommit_fn precommit; /* test seam, usually NULL */
    void *precommit_opaque;
    struct txn *fly; /* computed batch whose commit is not confirmed yet */
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
/* An error reply's class (fs_redis_error_class): transient conditions
 * (LOADING, BUSY, READONLY, MASTERDOWN, TRYAGAIN, OOM...) are retried;
 * misconfigurations (WRONGPASS, NOAUTH, NOPERM) and refusals that would
 * repeat ("ERR ...", e.g. a script that does not compile) are not. */
static fs_err_t classify_error_reply(const redisReply *r)
{
    return fs_redis_error_class(r->str);
}

/* Fills @p errstr about error reply @p r to @p what, with the setting to
 * fix when it is a misconfiguration. */
static void reply_error(const redisReply *r, const char *what, char *errstr, size_t sz)
{
    const char *hint = fs_redis_error_hint(r->str);
    snprintf(errstr, sz, "redis: %s%s%s: %s", hint, hint[0] ? "; " : "", what, r->str);
}

/* Loads @p script into sha (48 bytes). */
static fs_err_t load_script(fs_sink_t *s, const char *script, char *sha, char *errstr,
                            size_t sz)
{
    redisReply *r = redisCommand(s->c, "SCRIPT LOAD %s", script);
    fs_err_t err = FS_OK;
    if (fs_redis_reply_ok(s->c, r, "SCRIPT LOAD", errstr, sz)) {
        err = r ? classify_error_reply(r) : FS_ERR_TRANSIENT;
        if (r)
            reply_error(r, "SCRIPT LOAD", errstr, sz);
    } else if (r->type != REDIS_REPLY_STRING || r->len >= 48) {
        err = FS_ERR_FATAL;
    } else {
        snprintf(sha, 48, "%s", r->str);
    }
    if (r)
        freeReplyObject(r);
    return err;
}

/* Calls, inside a script as the commit and claim scripts do, every command
 * the worker sends, on a key of the namespace, and removes what it wrote
 * (EXPIRE 0 deletes).  Redis checks a script's commands against the
 * caller's ACL one by one when they run: a forbidden one found only in the
 * middle of a commit would end the worker with a batch half-written.
 * Returns 1, or {0, command, error} for the first command refused. */
static const char probe_lua[] =
    "local k = ARGV[1]\n"
    "local function try(...)\n"
    "  local r = redis.pcall(...)\n"
    "  if type(r) == 'table' and r.err then return r.err end\n"
    "end\n"
    "local calls = {\n"
    "  {'GET', k}, {'MGET', k}, {'GETRANGE', k, '0', '16'}, {'EXISTS', k},\n"
    "  {'HMGET', k .. ':h', 'f'}, {'EXPIRE', k .. ':none', '60'},\n"
    "  {'SET', k, '0', 'EX', '60'}, {'INCR', k}, {'EXPIRE', k, '0'},\n"
    "  {'HINCRBY', k .. ':h', 'f', '0'}, {'HSET', k .. ':h', 'f', '0'},\n"
    "  {'EXPIRE', k .. ':h', '0'}, {'PFADD', k .. ':p', 'x'}, {'EXPIRE', k .. ':p', "
    "'0'}}\n"
    "for _, c in ipairs(calls) do\n"
    "  local e = try(unpack(c))\n"
    "  if e then\n"
    "    redis.pcall('EXPIRE', k .. ':h', '0')\n"
    "    return {0, c[1], e}\n"
    "  end\n"
    "end\n"
    "return 1\n";

/* Runs probe_lua: FS_ERR_INVALID, naming the command, when the ACL of the
 * configured user forbids one the worker needs. */
static fs_err_t probe(fs_sink_t *s, char *errstr, size_t sz)
{
    char key[128], sha[48];
    snprintf(key, sizeof(key), "%sacl-probe", s->pre);
    fs_err_t err = load_script(s, probe_lua, sha, errstr, sz);
    if (err)
        return err;
    redisReply *r = redisCommand(s->c, "EVALSHA %s 0 %s", sha, key);
    if (!r) {
        snprintf(errstr, sz, "redis: %s", s->c->errstr);
        err = FS_ERR_TRANSIENT;
    } else if (r->type == REDIS_REPLY_ERROR) {
        err = classify_error_reply(r);
        reply_error(r, "EVALSHA", errstr, sz);
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
               r->element[1]->type == REDIS_REPLY_STRING &&
               r->element[2]->type == REDIS_REPLY_STRING) {
        err = classify_error_reply(r->element[2]);
        const char *hint = fs_redis_error_hint(r->element[2]->str);
        snprintf(errstr, sz, "redis: %s%s%s %s: %s", hint, hint[0] ? "; " : "",
                 err == FS_ERR_INVALID ? "the worker needs" : "checking",
                 r->element[1]->str, r->element[2]->str);
        if (err == FS_ERR_INVALID && !hint[0])
            err = FS_ERR_FATAL;
    } else if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
        snprintf(errstr, sz, "redis: unexpected reply to the command check");
        err = FS_ERR_FATAL;
    }
    if (r)
        freeReplyObject(r);
    return err;
}

/* (Re)connects, checks that the user may run every command the worker
 * sends, and loads the scripts.  FS_ERR_TRANSIENT: retry later;
 * FS_ERR_INVALID: a misconfiguration (credentials, ACL), named in @p errstr. */
static fs_err_t ensure(fs_sink_t *s, char *errstr, size_t sz)
{
    if (s->c)
        return FS_OK;
    fs_err_t err = FS_ERR_TRANSIENT;
    s->c = fs_redis_open(s->conf, 5000, &err, errstr, sz);
    if (!s->c)
        return err;
    err = load_script(s, claim_lua, s->claim_sha, errstr, sz);
    if (!err)
        err = load_script(s, commit_lua, s->commit_sha, errstr, sz);
    if (!err)
        err = probe(s, errstr, sz);
    if (err)
        disconnect(s);
    return err;
}

fs_sink_t *fs_sink_new(const fs_conf_t *conf, const char *topic, int dedup_ttl_s,
                       int person_ttl_s, const fs_person_params_t *params, char *errstr,
                       size_t sz)
{
    fs_sink_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    s->conf = conf;
    s->params = *params;
    snprintf(s->pre, sizeof(s->pre), "%s:v1:", fs_conf_str(conf, "namespace"));
    snprintf(s->topic, sizeof(s->topic), "%s", topic);
    /* An id counted on day D is looked up through day D + dedup_days, and
     * its hash lives a day longer than that after its last write. */
    s->dedup_days = dedup_ttl_s / 86400 > 0 ? dedup_ttl_s / 86400 : 1;
    snprintf(s->ttl, sizeof(s->ttl), "%d", (s->dedup_days + 2) * 86400);
    snprintf(s->pttl, sizeof(s->pttl), "%d", person_ttl_s);
    /* Stamps must differ between workers and runs: seed from the kernel. */
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid();
    }
    fs_rng_seed_from(&s->rng, seed);
    /* Redis being down (or loading) at start-up is retried later like any
     * outage; a refused password, a forbidden command or a broken script is
     * not. */
    fs_err_t err = ensure(s, errstr, sz);
    if (err && !fs_err_is_retriable(err)) {
        fs_sink_destroy(s);
        return NULL;
    }
    return s;
}

static void txn_destroy(struct txn *t);

void fs_sink_destroy(fs_sink_t *s)
{
    if (!s)
        return;
    txn_destroy(s->fly); /* never confirmed: not applied as far as we know */
    disconnect(s);
    free(s);
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

fs_err_t fs_sink_claim(fs_sink_t *s, int32_t partition, int64_t *epoch,
                       int64_t *next_offset, char *errstr, size_t sz)
{
    char tp[300];
    snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, partition);
    char ns[96];
    snprintf(ns, sizeof(ns), "%.*s", (int)(strlen(s->pre) - 4), s->pre);
    for (int attempt = 0; attempt < 2; attempt++) {
        fs_err_t err = ensure(s, errstr, sz);
        if (err)
            return err;
        const char *argv[] = {
            "EVALSHA", s->claim_sha, "0", ns, tp, s->params.counts_only ? "off" : "on"};
        redisReply *r = redisCommandArgv(s->c, 6, argv, NULL);
        if (!r) {
            snprintf(errstr, sz, "redis: %s", s->c->errstr);
            disconnect(s);
            return FS_ERR_TRANSIENT;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
            freeReplyObject(r);
            disconnect(s); /* reconnecting reloads the script */
            continue;
        }
        long long v[2];
        if (r->type == REDIS_REPLY_ERROR) {
            reply_error(r, "claim script", errstr, sz);
            err = classify_error_reply(r);
        } else if (int_array(r, 2, v)) {
            snprintf(errstr, sz, "redis: unexpected reply to the claim script");
            err = FS_ERR_FATAL;
        } else {
            *epoch = v[0];
            *next_offset = v[1] >= 0 ? v[1] + 1 : -2;
        }
        freeReplyObject(r);
        return err;
    }
    snprintf(errstr, sz, "redis: the claim script keeps disappearing (NOSCRIPT)");
    return FS_ERR_TRANSIENT;
}

void fs_sink_set_precommit(fs_sink_t *s, fs_sink_precommit_fn fn, void *opaque)
{
    s->precommit = fn;
    s->precommit_opaque = opaque;
}

double fs_sink_last_apply_ms(const fs_sink_t *s)
{
    return s->last_apply_ms;
}

/* ---- one transaction: state gathered for a batch ------------------------ */

typedef struct link {
    char user[ID_MAX]; /* "" when the anonymous id is not linked */
    int64_t ms;
    char eid[FS_EVENT_ID_MAX + 1];
    int dirty;
} link_t;

typedef struct ulist { /* anonymous ids linked to one user */
    char **anons;
    size_t n, cap;
    int dirty;
} ulist_t;

/* A loaded b: key: the bucket, and the contribution stored with it (that
 * of the person named like the bucket, if any). */
typedef struct bstate {
    fs_bucket_t *b;
    int dirty;  /* the bucket changed */
    int cdirty; /* the contribution stored with it changed */
    char *craw; /* the stored contribution as read (owned), NULL = none */
    size_t crawlen;
    redisReply *raw; /* the value as read, until parse_buckets() (owned) */
} bstate_t;

typedef struct pstate {
    fs_contrib_t old;
    int gone; /* an anonymous person that was merged into a user */
} pstate_t;

typedef struct incr {
    char *key;   /* owned: "key\0field\0" */
    char *field; /* inside key's allocation */
    int64_t delta;
} incr_t;

/* A list of byte strings (arguments of the commit script) kept in one
 * arena: entry i is data[off[i]] .. + len[i]. */
typedef struct args {
    fs_buf_t data;
    size_t *off, *len;
    size_t n, cap;
    size_t groups; /* entries of a grouped section (key, n, n items) */
} args_t;

enum {
    SEC_PARTS,
    SEC_CHECKS,
    SEC_ABSENT,
    SEC_HINCRBY,
    SEC_SEEN,
    SEC_SET,
    SEC_PFADD,
    SEC_OFFSETS,
    NSEC
};

typedef struct txn {
    fs_sink_t *s;
    fs_strmap_t *links;   /* anonymous id → link_t */
    fs_strmap_t *lists;   /* user id → ulist_t */
    fs_strmap_t *buckets; /* "u:<user>" / "a:<anon>" → bstate_t */
    fs_strmap_t *persons; /* "u:<user>" / "a:<anon>" → pstate_t */
    fs_strmap_t *seen;    /* event ids of this batch (value: 1 = duplicate) */
    incr_t *incrs;
    size_t nincrs, capincrs;
    fs_strmap_t *incr_ix; /* "<key length>:<key><field>" → 1 + index into incrs */
    fs_buf_t hll;         /* "key\0person\0" pairs */
    int64_t *cur;         /* per part: last applied offset */
    fs_buf_t scratch, scratch2;
    args_t sec[NSEC];          /* the commit script's sections */
    char stamp[STAMP_LEN + 1]; /* of this transaction's writes */
    int64_t today;             /* UTC day of processing (de-duplication hash) */
    /* Pipelining: the batch whose commit will run before this one's (NULL =
     * none).  Its writes are overlaid on what this one reads. */
    const struct txn *over;
    fs_strmap_t *written;  /* full key → index of its SEC_SET entry */
    size_t *written_ix;    /* the indexes the map points to */
    fs_sink_result_t res;  /* counts of this batch, reported once committed */
    fs_sink_part_t *parts; /* borrowed from the caller while in flight */
    size_t nparts;
} txn_t;

static fs_err_t args_add(args_t *a, const void *p, size_t len)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        size_t *off = realloc(a->off, cap * sizeof(*off));
        if (!off)
            return FS_ERR_NOMEM;
        a->off = off;
        size_t *ln = realloc(a->len, cap * sizeof(*ln));
        if (!ln)
            return FS_ERR_NOMEM;
        a->len = ln;
        a->cap = cap;
    }
    a->off[a->n] = a->data.len;
    a->len[a->n] = len;
    fs_err_t err = fs_buf_append(&a->data, p, len);
    if (!err)
        a->n++;
    return err;
}

static fs_err_t args_str(args_t *a, const char *str)
{
    return args_add(a, str, strlen(str));
}

/* Appends "<pre><suffix>". */
static fs_err_t args_key(args_t *a, const char *pre, const char *suffix)
{
    size_t lp = strlen(pre), ls = strlen(suffix);
    fs_err_t err = args_add(a, pre, lp);
    if (!err) { /* extend the entry just added */
        err = fs_buf_append(&a->data, suffix, ls);
        a->len[a->n - 1] += ls;
    }
    return err;
}

/* Opens a group of a grouped section: "<pre><key>", then how many items
 * of the group follow. */
static fs_err_t args_group(args_t *a, const char *pre, const char *key, size_t items)
{
    char num[24];
    snprintf(num, sizeof(num), "%zu", items);
    a->groups++;
    fs_err_t err = args_key(a, pre, key);
    return err ? err : args_str(a, num);
}

static void args_free(args_t *a)
{
    fs_buf_free(&a->data);
    free(a->off);
    free(a->len);
    memset(a, 0, sizeof(*a));
}

static void txn_free(txn_t *t)
{
    size_t pos;
    const char *k;
    void *v;
    if (t->links)
        for (pos = 0; fs_strmap_next(t->links, &pos, &k, &v);)
            free(v);
    if (t->lists)
        for (pos = 0; fs_strmap_next(t->lists, &pos, &k, &v);) {
            ulist_t *l = v;
            for (size_t i = 0; i < l->n; i++)
                free(l->anons[i]);
            free(l->anons);
            free(l);
        }
    if (t->buckets)
        for (pos = 0; fs_strmap_next(t->buckets, &pos, &k, &v);) {
            fs_bucket_destroy(((bstate_t *)v)->b);
            free(((bstate_t *)v)->craw);
            if (((bstate_t *)v)->raw)
                freeReplyObject(((bstate_t *)v)->raw);
            free(v);
        }
    if (t->persons)
        for (pos = 0; fs_strmap_next(t->persons, &pos, &k, &v);) {
            fs_contrib_clear(&((pstate_t *)v)->old);
            free(v);
        }
    fs_strmap_destroy(t->links);
    fs_strmap_destroy(t->lists);
    fs_strmap_destroy(t->buckets);
    fs_strmap_destroy(t->persons);
    fs_strmap_destroy(t->seen);
    fs_strmap_destroy(t->written);
    free(t->written_ix);
    for (size_t i = 0; i < t->nincrs; i++)
        free(t->incrs[i].key);
    free(t->incrs);
    fs_strmap_destroy(t->incr_ix);
    fs_buf_free(&t->hll);
    fs_buf_free(&t->scratch);
    fs_buf_free(&t->scratch2);
    for (int i = 0; i < NSEC; i++)
        args_free(&t->sec[i]);
    free(t->cur);
    memset(t, 0, sizeof(*t));
}

static fs_err_t txn_init(txn_t *t, fs_sink_t *s, size_t nparts)
{
    memset(t, 0, sizeof(*t));
    t->s = s;
    t->links = fs_strmap_new();
    t->lists = fs_strmap_new();
    t->buckets = fs_strmap_new();
    t->persons = fs_strmap_new();
    t->seen = fs_strmap_new();
    t->incr_ix = fs_strmap_new();
    t->cur = calloc(nparts ? nparts : 1, sizeof(*t->cur));
    snprintf(t->stamp, sizeof(t->stamp), "%016" PRIx64 "|", fs_rng_next(&s->rng));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    t->today = fs_day_from_ms((int64_t)now.tv_sec * 1000);
    if (!t->links || !t->lists || !t->buckets || !t->persons || !t->seen || !t->cur ||
        !t->incr_ix) {
        txn_free(t);
        return FS_ERR_NOMEM;
    }
    return FS_OK;
}

/* (key, field) += delta, merged in place: a batch has far fewer distinct
 * (key, field) pairs than increments.  Uses t->scratch for the index key. */
static fs_err_t add_incr(txn_t *t, const char *key, const char *field, int64_t delta)
{
    if (delta == 0)
        return FS_OK;
    size_t kl = strlen(key), fl = strlen(field);
    /* The index key "<key length>:<key><field>" splits one way only. */
    fs_buf_t *ix = &t->scratch;
    fs_buf_reset(ix);
    fs_err_t err = fs_buf_put_i64(ix, (int64_t)kl); /* printf showed in the profile */
    if (!err)
        err = fs_buf_append(ix, ":", 1);
    if (!err)
        err = fs_buf_append(ix, key, kl);
    if (!err)
        err = fs_buf_append(ix, field, fl);
    if (err)
        return err;
    uintptr_t at = (uintptr_t)fs_strmap_getn(t->incr_ix, (const char *)ix->data, ix->len);
    if (at) {
        incr_t *in = &t->incrs[at - 1];
        return __builtin_add_overflow(in->delta, delta, &in->delta) ? FS_ERR_OVERFLOW
                                                                    : FS_OK;
    }
    if (t->nincrs == t->capincrs) {
        size_t cap = t->capincrs ? t->capincrs * 2 : 1024;
        incr_t *a = realloc(t->incrs, cap * sizeof(*a));
        if (!a)
            return FS_ERR_NOMEM;
        t->incrs = a;
        t->capincrs = cap;
    }
    char *kf = malloc(kl + fl + 2); /* "key\0field\0" */
    if (!kf)
        return FS_ERR_NOMEM;
    memcpy(kf, key, kl + 1);
    memcpy(kf + kl + 1, field, fl + 1);
    err = fs_strmap_putn(t->incr_ix, (const char *)ix->data, ix->len,
                         (void *)(uintptr_t)(t->nincrs + 1));
    if (err) {
        free(kf);
        return err;
    }
    t->incrs[t->nincrs++] = (incr_t){kf, kf + kl + 1, delta};
    return FS_OK;
}

/* fs_contrib_diff() callback: the delta joins the batch's increments, and
 * `any` records that the person's contribution changed. */
typedef struct delta_sink {
    txn_t *t;
    int any;
} delta_sink_t;

static fs_err_t on_delta(void *opaque, const char *key, const char *field, int64_t delta)
{
    delta_sink_t *d = opaque;
    d->any = 1;
    return add_incr(d->t, key, field, delta);
}

/* ---- pipelined I/O helpers -------------------------------------------- */

/* Appends one command to the pipeline. */
static fs_err_t append(txn_t *t, int argc, const char **argv)
{
    return redisAppendCommandArgv(t->s->c, argc, argv, NULL) == REDIS_OK ? FS_OK
                                                                         : FS_ERR_NOMEM;
}

static fs_err_t get_reply(txn_t *t, redisReply **r, char *errstr, size_t sz)
{
    void *reply = NULL;
    if (redisGetReply(t->s->c, &reply) != REDIS_OK || !reply) {
        snprintf(errstr, sz, "redis: %s",
                 t->s->c->errstr[0] ? t->s->c->errstr : "no reply");
        disconnect(t->s);
        return FS_ERR_TRANSIENT;
    }
    *r = reply;
    if ((*r)->type == REDIS_REPLY_ERROR) {
        reply_error(*r, "reading", errstr, sz);
        fs_err_t err = classify_error_reply(*r);
        freeReplyObject(*r);
        *r = NULL;
        return err;
    }
    return FS_OK;
}

/* "<ns>:v1:" + kind + id, malloc'd (NULL on OOM). */
static char *keyf(const fs_sink_t *s, const char *kind, const char *id)
{
    size_t n = strlen(s->pre) + strlen(kind) + strlen(id) + 1;
    char *k = malloc(n);
    if (k)
        fs_str_cat(k, n, s->pre, kind, id, NULL);
    return k;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void free_replies(redisReply **r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        if (r[i])
            freeReplyObject(r[i]);
    free(r);
}

static fs_err_t mget(txn_t *t, char **keys, size_t n, redisReply ***out, char *errstr,
                     size_t sz);

/* The value @p o writes to @p key (stamp included), or NULL. */
static const char *overlay_value(const txn_t *o, const char *key, size_t *len)
{
    if (!o || !o->written)
        return NULL;
    const size_t *ix = fs_strmap_get(o->written, key);
    if (!ix)
        return NULL;
    const args_t *a = &o->sec[SEC_SET];
    size_t i = *ix * 2 + 1; /* entries are (key, value) */
    *len = a->len[i];
    return (const char *)a->data.data + a->off[i];
}

/* Indexes the state values @p t writes (after build_writes), so that the
 * next batch can read them before this one's commit has run. */
static fs_err_t index_writes(txn_t *t)
{
    const args_t *a = &t->sec[SEC_SET];
    size_t n = a->n / 2;
    size_t *ix = n ? malloc(n * sizeof(*ix)) : NULL;
    if (n && !ix)
        return FS_ERR_NOMEM;
    fs_err_t err = (t->written = fs_strmap_new()) ? FS_OK : FS_ERR_NOMEM;
    char key[ID_MAX + 200];
    for (size_t i = 0; !err && i < n; i++) {
        size_t kl = a->len[i * 2];
        if (kl >= sizeof(key))
            continue; /* not a state key: never read through the overlay */
        memcpy(key, a->data.data + a->off[i * 2], kl);
        key[kl] = '\0';
        ix[i] = i;
        err = fs_strmap_put(t->written, key, &ix[i]);
    }
    t->written_ix = ix;
    return err;
}

/* Replaces reply *r by a string reply holding @p len bytes of @p v. */
static fs_err_t fake_string_reply(redisReply **r, const char *v, size_t len)
{
    redisReply *f = calloc(1, sizeof(*f));
    char *str = malloc(len + 1);
    if (!f || !str) {
        free(f);
        free(str);
        return FS_ERR_NOMEM;
    }
    memcpy(str, v, len);
    str[len] = '\0';
    f->type = REDIS_REPLY_STRING;
    f->str = str;
    f->len = len;
    freeReplyObject(*r);
    *r = f;
    return FS_OK;
}

/* GETs each of the state keys @p keys in one round trip and records its
 * stamp for the commit script's check; *out receives n replies (caller
 * frees with free_replies) whose strings are the values without their
 * stamps. */
static fs_err_t get_checked(txn_t *t, char **keys, size_t n, redisReply ***out,
                            char *errstr, size_t sz)
{
    fs_err_t err = mget(t, keys, n, out, errstr, sz);
    args_t *chk = &t->sec[SEC_CHECKS];
    for (size_t i = 0; !err && i < n; i++) {
        size_t olen;
        const char *ov = overlay_value(t->over, keys[i], &olen);
        if (ov) /* the batch before ours writes it: read its value */
            err = fake_string_reply(&(*out)[i], ov, olen);
        if (err)
            break;
        redisReply *r = (*out)[i];
        if (r->type == REDIS_REPLY_NIL) {
            err = args_str(&t->sec[SEC_ABSENT], keys[i]);
            continue;
        }
        if (r->type != REDIS_REPLY_STRING || r->len < STAMP_LEN ||
            r->str[STAMP_LEN - 1] != '|') {
            snprintf(errstr, sz, "redis: %s: not a stamped state value", keys[i]);
            err = FS_ERR_CORRUPT;
            break;
        }
        err = args_str(chk, keys[i]);
        if (!err)
            err = args_add(chk, r->str, STAMP_LEN);
        /* The caller parses the value without its stamp. */
        memmove(r->str, r->str + STAMP_LEN, r->len - STAMP_LEN + 1);
        r->len -= STAMP_LEN;
    }
    if (err) {
        free_replies(*out, n);
        *out = NULL;
    }
    return err;
}

/* GET each of @p keys in one round trip, without watching them. */
static fs_err_t mget(txn_t *t, char **keys, size_t n, redisReply ***out, char *errstr,
                     size_t sz)
{
    *out = NULL;
    if (n == 0)
        return FS_OK;
    redisReply **r = calloc(n, sizeof(*r));
    const char **argv = malloc((MGET_CHUNK + 1) * sizeof(*argv));
    fs_err_t err = r && argv ? FS_OK : FS_ERR_NOMEM;
    /* One MGET per chunk of keys: far cheaper in Redis than a GET each. */
    for (size_t i = 0; !err && i < n; i += MGET_CHUNK) {
        size_t m = n - i < MGET_CHUNK ? n - i : MGET_CHUNK;
        argv[0] = "MGET";
        for (size_t k = 0; k < m; k++)
            argv[1 + k] = keys[i + k];
        err = append(t, (int)m + 1, argv);
    }
    free(argv);
    for (size_t i = 0; !err && i < n; i += MGET_CHUNK) {
        size_t m = n - i < MGET_CHUNK ? n - i : MGET_CHUNK;
        redisReply *a;
        if ((err = get_reply(t, &a, errstr, sz)))
            break;
        if (a->type != REDIS_REPLY_ARRAY || a->elements != m) {
            snprintf(errstr, sz, "redis: unexpected reply to MGET");
            err = FS_ERR_FATAL;
        }
        for (size_t k = 0; !err && k < m; k++) {
            r[i + k] = a->element[k]; /* detached: freed by the caller */
            a->element[k] = NULL;
        }
        freeReplyObject(a);
    }
    if (err) {
        disconnect(t->s); /* replies may be left unread */
        free_replies(r, n);
        return err;
    }
    *out = r;
    return FS_OK;
}

/* A growable list of owned key strings. */
typedef struct keys {
    char **k;
    size_t n, cap;
} keys_t;

static fs_err_t keys_add(keys_t *ks, char *key /* owned; NULL = OOM */)
{
    if (!key)
        return FS_ERR_NOMEM;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 64;
        char **a = realloc(ks->k, cap * sizeof(*a));
        if (!a) {
            free(key);
            return FS_ERR_NOMEM;
        }
        ks->k = a;
        ks->cap = cap;
    }
    ks->k[ks->n++] = key;
    return FS_OK;
}

static void keys_free(keys_t *ks)
{
    free_keys(ks->k, ks->n);
    memset(ks, 0, sizeof(*ks));
}

/* ---- step 1: epochs and offsets --------------------------------------- */

static fs_err_t read_parts(txn_t *t, fs_sink_part_t *parts, size_t n, char *errstr,
                           size_t sz)
{
    fs_sink_t *s = t->s;
    char tp[300];
    for (size_t i = 0; i < n; i++) {
        snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, parts[i].plan->partition);
        char *ek = keyf(s, "epoch:", tp), *ok = keyf(s, "offset:", tp);
        fs_err_t err = FS_ERR_NOMEM;
        if (ek && ok) {
            const char *g[] = {"MGET", ek, ok};
            err = append(t, 3, g);
        }
        free(ek);
        free(ok);
        if (err) {
            disconnect(s);
            return err;
        }
    }
    fs_err_t err = FS_OK;
    for (size_t i = 0; i < n; i++) {
        redisReply *r;
        if ((err = get_reply(t, &r, errstr, sz))) {
            disconnect(s);
            return err;
        }
        int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2;
        const redisReply *e = ok ? r->element[0] : NULL, *o = ok ? r->element[1] : NULL;
        long long epoch =
            e && e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) : 0;
        t->cur[i] = o && o->type == REDIS_REPLY_STRING ? strtoll(o->str, NULL, 10) : -1;
        parts[i].fenced = !ok || epoch != parts[i].epoch;
        freeReplyObject(r);
        /* The batch before ours advances the offset it covers. */
        const args_t *of = t->over ? &t->over->sec[SEC_OFFSETS] : NULL;
        snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, parts[i].plan->partition);
        for (size_t k = 0; of && k + 1 < of->n; k += 2)
            if (of->len[k] == strlen(tp) &&
                !memcmp(of->data.data + of->off[k], tp, of->len[k])) {
                char num[32]; /* arena entries are not NUL-terminated */
                snprintf(num, sizeof(num), "%.*s", (int)of->len[k + 1],
                         (const char *)of->data.data + of->off[k + 1]);
                t->cur[i] = strtoll(num, NULL, 10);
            }
        if (parts[i].fenced)
            continue;
        /* The commit script checks that the epoch and offset are unchanged. */
        args_t *a = &t->sec[SEC_PARTS];
        char num[32];
        snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, parts[i].plan->partition);
        err = args_str(a, tp);
        snprintf(num, sizeof(num), "%" PRId64, parts[i].epoch);
        if (!err)
            err = args_str(a, num);
        snprintf(num, sizeof(num), "%" PRId64, t->cur[i]);
        if (!err)
            err = args_str(a, num);
        if (err)
            return err;
    }
    return FS_OK;
}

/* The events of the batch still to apply: not fenced, past the stored offset. */
static int is_new(const txn_t *t, const fs_sink_part_t *parts, size_t pi,
                  const fs_plan_item_t *it)
{
    return !parts[pi].fenced && it->offset > t->cur[pi];
}

/* ---- step 2: de-duplication marks -------------------------------------- */

static int dup_mark; /* address used as the "duplicate" value in t->seen */
static int new_mark; /* address used as the "new" value in t->seen */

/* "<pre>seen:<YYYY-MM-DD>" of @p day into @p out. */
static void seen_key(const fs_sink_t *s, int64_t day, char *out, size_t sz)
{
    char d[11];
    fs_day_format(day, d);
    fs_str_cat(out, sz, s->pre, "seen:", d, NULL);
}

/*
 * De-duplication marks live in one hash per day of processing (UTC):
 * `seen:<day>` maps each event_id counted that day to "1".  An id is a
 * duplicate when any of the last dedup_days + 1 days' hashes holds it: one
 * HMGET per day per batch instead of one GET per event, and one HSET per
 * batch instead of one SET per event.
 *
 * Read, not checked by the commit: identical copies of an event have the
 * same Kafka key, hence one partition and one owner at a time (fenced by
 * the checked epoch), so no other worker writes these ids meanwhile; only
 * differing copies sent under different ids could race.
 */
static fs_err_t read_seen(txn_t *t, fs_sink_part_t *parts, size_t n, char *errstr,
                          size_t sz)
{
    fs_sink_t *s = t->s;
    keys_t ids = {0};
    fs_err_t err = FS_OK;
    for (size_t pi = 0; pi < n && !err; pi++)
        for (size_t ii = 0; ii < parts[pi].plan->n && !err; ii++) {
            const fs_plan_item_t *it = &parts[pi].plan->items[ii];
            if (!is_new(t, parts, pi, it) || fs_strmap_get(t->seen, it->ev.event_id))
                continue;
            if (t->over && fs_strmap_get(t->over->seen, it->ev.event_id) == &dup_mark) {
                /* counted by the batch before ours */
                err = fs_strmap_put(t->seen, it->ev.event_id, &dup_mark);
                continue;
            }
            err = fs_strmap_put(t->seen, it->ev.event_id, &new_mark);
            if (!err)
                err = keys_add(&ids, strdup(it->ev.event_id));
        }
    if (err || ids.n == 0) {
        keys_free(&ids);
        return err;
    }
    int ndays = s->dedup_days + 1;
    const char **argv = malloc((ids.n + 2) * sizeof(*argv));
    char key[160];
    if (!argv)
        err = FS_ERR_NOMEM;
    for (int d = 0; !err && d < ndays; d++) {
        seen_key(s, t->today - d, key, sizeof(key));
        argv[0] = "HMGET";
        argv[1] = key;
        for (size_t i = 0; i < ids.n; i++)
            argv[2 + i] = ids.k[i];
        if (append(t, (int)ids.n + 2, argv))
            err = FS_ERR_NOMEM;
    }
    free(argv);
    for (int d = 0; !err && d < ndays; d++) {
        redisReply *r;
        if ((err = get_reply(t, &r, errstr, sz)))
            break;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != ids.n) {
            snprintf(errstr, sz, "redis: unexpected reply to HMGET of seen ids");
            err = FS_ERR_FATAL;
        }
        for (size_t i = 0; !err && i < ids.n; i++)
            if (r->element[i]->type != REDIS_REPLY_NIL)
                err = fs_strmap_put(t->seen, ids.k[i], &dup_mark);
        freeReplyObject(r);
    }
    if (err)
        disconnect(s); /* replies may be left unread */
    keys_free(&ids);
    return err;
}

/* ---- step 3: identity links -------------------------------------------- */

static fs_err_t parse_link(const char *data, size_t len, link_t *l)
{
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    const char *u = NULL, *id = NULL;
    json_int_t ms = 0;
    int ok = j && json_unpack(j, "{s:s,s:I,s:s}", "u", &u, "ms", &ms, "id", &id) == 0 &&
             strlen(u) < sizeof(l->user) && strlen(id) < sizeof(l->eid);
    if (ok) {
        fs_str_cat(l->user, sizeof(l->user), u, NULL);
        fs_str_cat(l->eid, sizeof(l->eid), id, NULL);
        l->ms = ms;
    }
    json_decref(j);
    return ok ? FS_OK : FS_ERR_CORRUPT;
}

static fs_err_t ulist_add(ulist_t *l, const char *anon)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->anons[i], anon))
            return FS_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **a = realloc(l->anons, cap * sizeof(*a));
        if (!a)
            return FS_ERR_NOMEM;
        l->anons = a;
        l->cap = cap;
    }
    if (!(l->anons[l->n] = strdup(anon)))
        return FS_ERR_NOMEM;
    l->n++;
    l->dirty = 1;
    return FS_OK;
}

static void ulist_remove(ulist_t *l, const char *anon)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->anons[i], anon)) {
            free(l->anons[i]);
            l->anons[i] = l->anons[--l->n];
            l->dirty = 1;
            return;
        }
}

static fs_err_t parse_ulist(const char *data, size_t len, ulist_t *l)
{
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    fs_err_t err = j && json_is_array(j) ? FS_OK : FS_ERR_CORRUPT;
    for (size_t i = 0; !err && i < json_array_size(j); i++) {
        const char *a = json_string_value(json_array_get(j, i));
        err = a ? ulist_add(l, a) : FS_ERR_CORRUPT;
    }
    l->dirty = 0;
    json_decref(j);
    return err;
}

/* Loads (checked GETs) the links of @p anons and the lists of @p users that
 * are not loaded yet. */
static fs_err_t load_identity(txn_t *t, const keys_t *anons, const keys_t *users,
                              char *errstr, size_t sz)
{
    keys_t ks = {0};
    keys_t ids = {0};
    fs_err_t err = FS_OK;
    size_t nlinks = 0;
    for (size_t i = 0; !err && i < anons->n; i++)
        if (!fs_strmap_get(t->links, anons->k[i])) {
            link_t *l = calloc(1, sizeof(*l));
            err = l ? fs_strmap_put(t->links, anons->k[i], l) : FS_ERR_NOMEM;
            if (err)
                free(l);
            if (!err)
                err = keys_add(&ks, keyf(t->s, "ln:", anons->k[i]));
            if (!err)
                err = keys_add(&ids, strdup(anons->k[i]));
            nlinks++;
        }
    for (size_t i = 0; !err && i < users->n; i++)
        if (!fs_strmap_get(t->lists, users->k[i])) {
            ulist_t *l = calloc(1, sizeof(*l));
            err = l ? fs_strmap_put(t->lists, users->k[i], l) : FS_ERR_NOMEM;
            if (err)
                free(l);
            if (!err)
                err = keys_add(&ks, keyf(t->s, "lk:", users->k[i]));
            if (!err)
                err = keys_add(&ids, strdup(users->k[i]));
        }
    redisReply **r = NULL;
    if (!err)
        err = get_checked(t, ks.k, ks.n, &r, errstr, sz);
    for (size_t i = 0; !err && i < ks.n; i++) {
        if (r[i]->type != REDIS_REPLY_STRING)
            continue;
        err = i < nlinks
                  ? parse_link(r[i]->str, r[i]->len, fs_strmap_get(t->links, ids.k[i]))
                  : parse_ulist(r[i]->str, r[i]->len, fs_strmap_get(t->lists, ids.k[i]));
        if (err)
            snprintf(errstr, sz, "redis: corrupt identity state at %s", ks.k[i]);
    }
    free_replies(r, ks.n);
    keys_free(&ks);
    keys_free(&ids);
    return err;
}

/* ---- the batch ---------------------------------------------------------- */

/* The person (state key suffix) of an event after the links of this batch:
 * "u:<user>" or "a:<anon>". */
static void person_of(txn_t *t, const fs_event_t *ev, char *out, size_t sz)
{
    if (ev->user_id) {
        fs_str_cat(out, sz, "u:", ev->user_id, NULL);
        return;
    }
    const link_t *l = fs_strmap_get(t->links, ev->anonymous_id);
    if (l && l->user[0])
        fs_str_cat(out, sz, "u:", l->user, NULL);
    else
        fs_str_cat(out, sz, "a:", ev->anonymous_id, NULL);
}

/* docs/event.md's name of a person ("anon:" for anonymous ones), for HyperLogLogs. */
static const char *spec_person(const char *pkey, char *buf, size_t sz)
{
    if (pkey[0] == 'u')
        return pkey + 2;
    fs_str_cat(buf, sz, "anon:", pkey + 2, NULL);
    return buf;
}

static fs_err_t mark_person(txn_t *t, const char *pkey, int gone)
{
    pstate_t *p = fs_strmap_get(t->persons, pkey);
    if (!p) {
        if (!(p = calloc(1, sizeof(*p))))
            return FS_ERR_NOMEM;
        fs_contrib_init(&p->old);
        fs_err_t err = fs_strmap_put(t->persons, pkey, p);
        if (err) {
            free(p);
            return err;
        }
    }
    if (gone)
        p->gone = 1;
    return FS_OK;
}

/* Applies the identity links carried by the batch's new, distinct events
 * (earliest by (occurred_at, event_id) wins) and marks the persons they
 * change.  Needs the links and lists loaded. */
static fs_err_t apply_links(txn_t *t, fs_sink_part_t *parts, size_t n)
{
    for (size_t pi = 0; pi < n; pi++)
        for (size_t ii = 0; ii < parts[pi].plan->n; ii++) {
            const fs_plan_item_t *it = &parts[pi].plan->items[ii];
            const fs_event_t *ev = &it->ev;
            if (!is_new(t, parts, pi, it) || !ev->user_id || !ev->anonymous_id ||
                fs_strmap_get(t->seen, ev->event_id) != &new_mark)
                continue;
            link_t *l = fs_strmap_get(t->links, ev->anonymous_id);
            if (!l)
                return FS_ERR_FATAL; /* loaded by the caller */
            int earlier =
                !l->user[0] || ev->occurred_at_ms < l->ms ||
                (ev->occurred_at_ms == l->ms && strcmp(ev->event_id, l->eid) < 0);
            if (!earlier || !strcmp(l->user, ev->user_id))
                continue;
            char pkey[ID_MAX + 2];
            fs_err_t err;
            if (l->user[0]) { /* moves from the old user to the new one */
                ulist_t *old = fs_strmap_get(t->lists, l->user);
                if (!old)
                    return FS_ERR_FATAL;
                ulist_remove(old, ev->anonymous_id);
                fs_str_cat(pkey, sizeof(pkey), "u:", l->user, NULL);
                err = mark_person(t, pkey, 0);
            } else { /* the anonymous person merges into the user */
                fs_str_cat(pkey, sizeof(pkey), "a:", ev->anonymous_id, NULL);
                err = mark_person(t, pkey, 1);
            }
            ulist_t *nl = fs_strmap_get(t->lists, ev->user_id);
            if (!err)
                err = nl ? ulist_add(nl, ev->anonymous_id) : FS_ERR_FATAL;
            fs_str_cat(pkey, sizeof(pkey), "u:", ev->user_id, NULL);
            if (!err)
                err = mark_person(t, pkey, 0);
            if (err)
                return err;
            fs_str_cat(l->user, sizeof(l->user), ev->user_id, NULL);
            fs_str_cat(l->eid, sizeof(l->eid), ev->event_id, NULL);
            l->ms = ev->occurred_at_ms;
            l->dirty = 1;
        }
    return FS_OK;
}

/* Loads the identity state the batch needs: links of its anonymous ids,
 * lists of its users, then the lists of the users those links point to. */
static fs_err_t read_identity(txn_t *t, fs_sink_part_t *parts, size_t n, char *errstr,
                              size_t sz)
{
    keys_t anons = {0}, users = {0};
    fs_err_t err = FS_OK;
    for (size_t pi = 0; pi < n && !err; pi++)
        for (size_t ii = 0; ii < parts[pi].plan->n && !err; ii++) {
            const fs_plan_item_t *it = &parts[pi].plan->items[ii];
            if (!is_new(t, parts, pi, it) ||
                fs_strmap_get(t->seen, it->ev.event_id) != &new_mark)
                continue;
            if (it->ev.anonymous_id)
                err = keys_add(&anons, strdup(it->ev.anonymous_id));
            if (!err && it->ev.user_id)
                err = keys_add(&users, strdup(it->ev.user_id));
        }
    if (!err)
        err = load_identity(t, &anons, &users, errstr, sz);
    keys_free(&users);
    /* Round 2: the owners of those anonymous ids. */
    for (size_t i = 0; !err && i < anons.n; i++) {
        const link_t *l = fs_strmap_get(t->links, anons.k[i]);
        if (l && l->user[0] && !fs_strmap_get(t->lists, l->user))
            err = keys_add(&users, strdup(l->user));
    }
    keys_t none = {0};
    if (!err)
        err = load_identity(t, &none, &users, errstr, sz);
    keys_free(&anons);
    keys_free(&users);
    return err;
}

static fs_err_t bucket_key_of(const fs_event_t *ev, char *out, size_t sz)
{
    if (ev->user_id)
        fs_str_cat(out, sz, "u:", ev->user_id, NULL);
    else if (ev->anonymous_id)
        fs_str_cat(out, sz, "a:", ev->anonymous_id, NULL);
    else
        return FS_ERR_INVALID;
    return FS_OK;
}

/* Marks the persons whose events arrive in this batch. */
static fs_err_t mark_event_persons(txn_t *t, fs_sink_part_t *parts, size_t n)
{
    for (size_t pi = 0; pi < n; pi++)
        for (size_t ii = 0; ii < parts[pi].plan->n; ii++) {
            const fs_plan_item_t *it = &parts[pi].plan->items[ii];
            const fs_event_type_t *et =
                fs_definition_lookup(t->s->params.def, it->ev.type);
            if (!is_new(t, parts, pi, it) || !et || et->role == FS_ROLE_IDENTITY ||
                fs_strmap_get(t->seen, it->ev.event_id) != &new_mark)
                continue;
            char pkey[ID_MAX + 2];
            person_of(t, &it->ev, pkey, sizeof(pkey));
            fs_err_t err = mark_person(t, pkey, 0);
            if (err)
                return err;
        }
    return FS_OK;
}

/* Lists the buckets of person @p pkey into @p out (keys "u:.."/"a:.."). */
static fs_err_t person_buckets(txn_t *t, const char *pkey, keys_t *out)
{
    if (((pstate_t *)fs_strmap_get(t->persons, pkey))->gone)
        return FS_OK;
    fs_err_t err = keys_add(out, strdup(pkey));
    const ulist_t *l = pkey[0] == 'u' ? fs_strmap_get(t->lists, pkey + 2) : NULL;
    for (size_t i = 0; !err && l && i < l->n; i++) {
        char b[ID_MAX + 2];
        fs_str_cat(b, sizeof(b), "a:", l->anons[i], NULL);
        err = keys_add(out, strdup(b));
    }
    return err;
}

/*
 * A b: value after its stamp: "<bucket length>\n", the bucket (B1), then
 * the contribution (C1) of the person named like the bucket, or nothing.
 * Keeping the contribution with the person's own bucket saves a key, a
 * read, a check and a write per person and batch.
 */
static fs_err_t split_bucket_value(const char *v, size_t len, size_t *blen)
{
    size_t n = 0, i = 0;
    for (; i < len && i < 12 && v[i] >= '0' && v[i] <= '9'; i++)
        n = n * 10 + (size_t)(v[i] - '0');
    if (i == 0 || i == len || v[i] != '\n' || n > len - i - 1)
        return FS_ERR_CORRUPT;
    *blen = n;
    return FS_OK;
}

/* GET (checked) every bucket of every affected person, with the
 * contribution stored in each person's own bucket; kept as read for
 * parse_buckets(). */
static fs_err_t read_persons(txn_t *t, char *errstr, size_t sz)
{
    keys_t bks = {0}, ks = {0};
    size_t pos = 0;
    const char *pkey;
    void *v;
    fs_err_t err = FS_OK;
    while (!err && fs_strmap_next(t->persons, &pos, &pkey, &v)) {
        err = person_buckets(t, pkey, &bks);
        /* A person merged away has no buckets but keeps its contribution
         * (to retract) in its own. */
        if (!err && ((pstate_t *)v)->gone)
            err = keys_add(&bks, strdup(pkey));
    }
    for (size_t i = 0; !err && i < bks.n; i++) {
        if (fs_strmap_get(t->buckets, bks.k[i]))
            continue;
        bstate_t *b = calloc(1, sizeof(*b));
        err = b ? fs_strmap_put(t->buckets, bks.k[i], b) : FS_ERR_NOMEM;
        if (err)
            free(b);
        if (!err)
            err = keys_add(&ks, keyf(t->s, "b:", bks.k[i]));
    }
    redisReply **r = NULL;
    if (!err)
        err = get_checked(t, ks.k, ks.n, &r, errstr, sz);
    /* Parsed by txn_compute(), which overlaps the previous batch's commit;
     * reading is on the pipeline's critical path. */
    size_t plen = strlen(t->s->pre) + 2;
    for (size_t i = 0; !err && i < ks.n; i++) {
        bstate_t *b = fs_strmap_get(t->buckets, ks.k[i] + plen);
        b->raw = r[i];
        r[i] = NULL;
    }
    free_replies(r, ks.n);
    keys_free(&ks);
    keys_free(&bks);
    return err;
}

/* The buckets read_persons() read, as buckets and the contributions stored
 * with them; each person's stored contribution is in its own bucket. */
static fs_err_t parse_buckets(txn_t *t, char *errstr, size_t sz)
{
    size_t pos = 0;
    const char *pkey;
    void *v;
    fs_err_t err = FS_OK;
    while (!err && fs_strmap_next(t->buckets, &pos, &pkey, &v)) {
        bstate_t *b = v;
        redisReply *r = b->raw;
        char e[256] = "out of memory";
        size_t blen = 0;
        if (!r)
            continue; /* parsed already */
        if (r->type != REDIS_REPLY_STRING) {
            b->b = fs_bucket_new();
        } else if (split_bucket_value(r->str, r->len, &blen)) {
            snprintf(e, sizeof(e), "no bucket length header");
        } else {
            const char *body = memchr(r->str, '\n', r->len) + 1;
            size_t rest = r->len - (size_t)(body - r->str);
            b->b = fs_bucket_parse(body, blen, e, sizeof(e));
            if (b->b && rest > blen) {
                b->crawlen = rest - blen;
                if (!(b->craw = malloc(b->crawlen)))
                    err = FS_ERR_NOMEM;
                else
                    memcpy(b->craw, body + blen, b->crawlen);
            }
        }
        if (!b->b) {
            snprintf(errstr, sz, "redis: %sb:%s: %s", t->s->pre, pkey, e);
            err = r->type == REDIS_REPLY_STRING ? FS_ERR_CORRUPT : FS_ERR_NOMEM;
        }
        freeReplyObject(r);
        b->raw = NULL;
    }
    for (pos = 0; !err && fs_strmap_next(t->persons, &pos, &pkey, &v);) {
        pstate_t *p = v;
        const bstate_t *b = fs_strmap_get(t->buckets, pkey);
        char e[256];
        if (!b) {
            err = FS_ERR_FATAL; /* loaded by read_persons() */
        } else if (b->craw &&
                   (err = fs_contrib_parse(b->craw, b->crawlen, &p->old, e, sizeof(e)))) {
            snprintf(errstr, sz, "redis: %sb:%s: %s", t->s->pre, pkey, e);
        }
    }
    return err;
}

/* Adds the batch's new events to their buckets, counts them, feeds the
 * HyperLogLogs. */
static fs_err_t add_events(txn_t *t, fs_sink_part_t *parts, size_t n,
                           fs_sink_result_t *res)
{
    const fs_definition_t *def = t->s->params.def;
    for (size_t pi = 0; pi < n; pi++)
        for (size_t ii = 0; ii < parts[pi].plan->n; ii++) {
            const fs_plan_item_t *it = &parts[pi].plan->items[ii];
            void *mark = fs_strmap_get(t->seen, it->ev.event_id);
            if (!is_new(t, parts, pi, it))
                continue;
            if (mark != &new_mark) {
                res->duplicates++;
                continue;
            }
            /* The first copy processed wins; later copies in the batch are duplicates. */
            fs_err_t err = fs_strmap_put(t->seen, it->ev.event_id, &dup_mark);
            const fs_event_type_t *et = fs_definition_lookup(def, it->ev.type);
            if (err || !et)
                return err ? err : FS_ERR_FATAL;
            res->applied++;
            if (et->role == FS_ROLE_IDENTITY)
                continue;
            char bkey[ID_MAX + 2], day[11], key[64], field[600];
            fs_day_format(fs_day_from_ms(it->ev.occurred_at_ms), day);
            fs_str_cat(key, sizeof(key), "events:", day, NULL);
            fs_str_cat(field, sizeof(field), "t:", it->ev.type, NULL);
            err = add_incr(t, key, field, 1);
            if (!err && et->stage != FS_STAGE_NONE) {
                const char *st = fs_stage_name(et->stage);
                fs_str_cat(field, sizeof(field), "s:", st, NULL);
                err = add_incr(t, key, field, 1);
                fs_str_cat(field, sizeof(field), "sc:", st, ":",
                           it->ev.channel ? it->ev.channel : "(none)", NULL);
                if (!err)
                    err = add_incr(t, key, field, 1);
                fs_str_cat(field, sizeof(field), "sk:", st, ":",
                           it->ev.campaign ? it->ev.campaign : "(none)", NULL);
                if (!err)
                    err = add_incr(t, key, field, 1);
                char pkey[ID_MAX + 2], pbuf[ID_MAX + 8];
                person_of(t, &it->ev, pkey, sizeof(pkey));
                fs_str_cat(field, sizeof(field), "hll:", day, ":", st, NULL);
                const char *who = spec_person(pkey, pbuf, sizeof(pbuf));
                if (!err)
                    err = fs_buf_append(&t->hll, field, strlen(field) + 1);
                if (!err)
                    err = fs_buf_append(&t->hll, who, strlen(who) + 1);
            }
            if (!err)
                err = bucket_key_of(&it->ev, bkey, sizeof(bkey));
            bstate_t *b = err ? NULL : fs_strmap_get(t->buckets, bkey);
            int changed = 0;
            if (!err && !b)
                err = FS_ERR_FATAL; /* every event's bucket was loaded */
            if (!err)
                err = fs_bucket_add(b->b, def, &it->ev, !t->s->params.counts_only,
                                    &changed);
            if (err)
                return err;
            b->dirty |= changed;
        }
    return FS_OK;
}

/* New contribution of every affected person; increments new − old. */
static fs_err_t recompute(txn_t *t, fs_sink_result_t *res)
{
    size_t pos = 0;
    const char *pkey;
    void *v;
    fs_err_t err = FS_OK;
    while (!err && fs_strmap_next(t->persons, &pos, &pkey, &v)) {
        pstate_t *p = v;
        keys_t bks = {0};
        const fs_bucket_t **bs = NULL;
        fs_contrib_t now;
        fs_contrib_init(&now);
        err = person_buckets(t, pkey, &bks);
        if (!err && bks.n && !(bs = calloc(bks.n, sizeof(*bs))))
            err = FS_ERR_NOMEM;
        for (size_t i = 0; !err && i < bks.n; i++) {
            const bstate_t *b = fs_strmap_get(t->buckets, bks.k[i]);
            if (!b || !b->b)
                err = FS_ERR_FATAL;
            else
                bs[i] = b->b;
        }
        if (!err && bks.n)
            err = fs_person_contribution(&t->s->params, bs, bks.n, &now);
        delta_sink_t d = {t, 0};
        if (!err)
            err = fs_contrib_diff(&p->old, &now, on_delta, &d);
        bstate_t *own = fs_strmap_get(t->buckets, pkey);
        if (!err && !own)
            err = FS_ERR_FATAL; /* loaded by read_persons */
        if (!err && d.any)
            own->cdirty = 1; /* store the new contribution with the bucket */
        /* Keep the new contribution as "old" for the write step. */
        fs_contrib_clear(&p->old);
        p->old = now;
        free(bs);
        keys_free(&bks);
        res->persons++;
    }
    return err;
}

/* ---- step 6: the writes -------------------------------------------------- */

static char *link_json(const link_t *l)
{
    json_t *j =
        json_pack("{s:s,s:I,s:s}", "u", l->user, "ms", (json_int_t)l->ms, "id", l->eid);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static char *ulist_json(const ulist_t *l)
{
    json_t *j = json_array();
    for (size_t i = 0; j && i < l->n; i++)
        if (json_array_append_new(j, json_string(l->anons[i])) != 0) {
            json_decref(j);
            j = NULL;
        }
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

/* Adds a state write: key "<pre><kind><id>", value stamp + @p val, the
 * person TTL. */
static fs_err_t set_state(txn_t *t, const char *kind, const char *id, const void *val,
                          size_t len)
{
    args_t *a = &t->sec[SEC_SET];
    char suffix[ID_MAX + 16];
    fs_str_cat(suffix, sizeof(suffix), kind, id, NULL);
    fs_err_t err = args_key(a, t->s->pre, suffix);
    if (!err)
        err = args_add(a, t->stamp, STAMP_LEN);
    if (!err) { /* extend the value just added */
        err = fs_buf_append(&a->data, val, len);
        a->len[a->n - 1] += len;
    }
    return err;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int incr_key_cmp(const void *a, const void *b)
{
    return strcmp((*(const incr_t *const *)a)->key, (*(const incr_t *const *)b)->key);
}

/* Fills the write sections of the commit script. */
static fs_err_t build_writes(txn_t *t, fs_sink_part_t *parts, size_t n)
{
    fs_sink_t *s = t->s;
    char num[32];
    fs_err_t err = FS_OK;

    /* Increments, already merged per (key, field), grouped by key. */
    const incr_t **inc = t->nincrs ? malloc(t->nincrs * sizeof(*inc)) : NULL;
    size_t ninc = 0;
    if (t->nincrs && !inc)
        err = FS_ERR_NOMEM;
    for (size_t i = 0; !err && i < t->nincrs; i++)
        if (t->incrs[i].delta)
            inc[ninc++] = &t->incrs[i];
    if (ninc > 1)
        qsort(inc, ninc, sizeof(*inc), incr_key_cmp);
    args_t *hi = &t->sec[SEC_HINCRBY];
    for (size_t i = 0, m; !err && i < ninc; i += m) {
        for (m = 1; i + m < ninc && !strcmp(inc[i + m]->key, inc[i]->key); m++)
            ;
        err = args_group(hi, s->pre, inc[i]->key, m);
        for (size_t j = i; !err && j < i + m; j++) /* fields, then deltas */
            err = args_str(hi, inc[j]->field);
        for (size_t j = i; !err && j < i + m; j++) {
            snprintf(num, sizeof(num), "%" PRId64, inc[j]->delta);
            err = args_str(hi, num);
        }
    }
    free(inc);
    /* De-duplication marks of every event applied now, into today's hash.
     * Ids already seen before this batch are also dup_mark; writing them
     * again only lengthens their de-duplication. */
    size_t pos = 0;
    const char *k;
    void *v;
    while (!err && fs_strmap_next(t->seen, &pos, &k, &v))
        if (v == &dup_mark)
            err = args_str(&t->sec[SEC_SEEN], k);
    /* Buckets whose events or stored contribution changed. */
    for (pos = 0; !err && fs_strmap_next(t->buckets, &pos, &k, &v);) {
        bstate_t *b = v;
        if (!b->dirty && !b->cdirty)
            continue;
        fs_buf_reset(&t->scratch);
        fs_buf_reset(&t->scratch2);
        err = fs_bucket_serialize(b->b, &t->scratch2);
        if (!err)
            err = fs_buf_printf(&t->scratch, "%zu\n", t->scratch2.len);
        if (!err)
            err = fs_buf_append(&t->scratch, t->scratch2.data, t->scratch2.len);
        const pstate_t *p = fs_strmap_get(t->persons, k);
        if (!err && p && p->old.n)
            err = fs_contrib_serialize(&p->old, &t->scratch);
        else if (!err && !p && b->craw)
            err = fs_buf_append(&t->scratch, b->craw, b->crawlen);
        if (!err)
            err = set_state(t, "b:", k, t->scratch.data, t->scratch.len);
    }
    for (pos = 0; !err && fs_strmap_next(t->links, &pos, &k, &v);) {
        link_t *l = v;
        if (!l->dirty)
            continue;
        char *js = link_json(l);
        err = js ? set_state(t, "ln:", k, js, strlen(js)) : FS_ERR_NOMEM;
        free(js);
    }
    for (pos = 0; !err && fs_strmap_next(t->lists, &pos, &k, &v);) {
        ulist_t *l = v;
        if (!l->dirty)
            continue;
        char *js = ulist_json(l);
        err = js ? set_state(t, "lk:", k, js, strlen(js)) : FS_ERR_NOMEM;
        free(js);
    }
    /* HyperLogLog members, sorted by key: the script adds each key's
     * members in one PFADD. */
    size_t npairs = 0;
    for (size_t off = 0; off < t->hll.len; npairs++) {
        const char *key = (const char *)t->hll.data + off;
        const char *who = key + strlen(key) + 1;
        off = (size_t)(who + strlen(who) + 1 - (const char *)t->hll.data);
    }
    const char **pairs = npairs ? malloc(npairs * sizeof(*pairs)) : NULL;
    if (npairs && !pairs)
        err = FS_ERR_NOMEM;
    for (size_t off = 0, i = 0; !err && off < t->hll.len; i++) {
        const char *key = (const char *)t->hll.data + off;
        const char *who = key + strlen(key) + 1;
        pairs[i] = key;
        off = (size_t)(who + strlen(who) + 1 - (const char *)t->hll.data);
    }
    if (!err && npairs > 1)
        qsort(pairs, npairs, sizeof(*pairs), str_ptr_cmp);
    args_t *pf = &t->sec[SEC_PFADD];
    for (size_t i = 0, m; !err && i < npairs; i += m) {
        for (m = 1; i + m < npairs && !strcmp(pairs[i + m], pairs[i]); m++)
            ;
        err = args_group(pf, s->pre, pairs[i], m);
        for (size_t j = i; !err && j < i + m; j++)
            err = args_str(pf, pairs[j] + strlen(pairs[j]) + 1);
    }
    free(pairs);
    /* Offsets: the authoritative per-partition key, and the hash that tools
     * and dashboards read. */
    args_t *of = &t->sec[SEC_OFFSETS];
    for (size_t i = 0; !err && i < n; i++) {
        if (parts[i].fenced || parts[i].plan->last_offset <= t->cur[i])
            continue;
        char tp[300];
        snprintf(tp, sizeof(tp), "%s:%" PRId32, s->topic, parts[i].plan->partition);
        snprintf(num, sizeof(num), "%" PRId64, parts[i].plan->last_offset);
        err = args_str(of, tp);
        if (!err)
            err = args_str(of, num);
    }
    return err;
}

/* Arguments per entry of each section; 0: grouped (args_t.groups). */
static const size_t sec_width[NSEC] = {3, 2, 1, 0, 1, 2, 0, 2};

/* Queues the commit script of @p t and writes it to the socket without
 * waiting for the reply. */
static fs_err_t commit_send(txn_t *t)
{
    fs_sink_t *s = t->s;
    size_t argc = 7 + NSEC;
    for (int i = 0; i < NSEC; i++)
        argc += t->sec[i].n;
    const char **argv = malloc(argc * sizeof(*argv));
    size_t *argl = malloc(argc * sizeof(*argl));
    char counts[NSEC][24];
    char ns[96], seen[160];
    fs_err_t err = argv && argl ? FS_OK : FS_ERR_NOMEM;
    if (!err) {
        size_t a = 0;
        snprintf(ns, sizeof(ns), "%.*s", (int)(strlen(s->pre) - 4), s->pre);
        argv[a] = "EVALSHA", argl[a++] = 7;
        argv[a] = s->commit_sha, argl[a++] = strlen(s->commit_sha);
        argv[a] = "0", argl[a++] = 1;
        argv[a] = ns, argl[a++] = strlen(ns);
        seen_key(s, t->today, seen, sizeof(seen));
        argv[a] = seen, argl[a++] = strlen(seen);
        argv[a] = s->ttl, argl[a++] = strlen(s->ttl);
        argv[a] = s->pttl, argl[a++] = strlen(s->pttl);
        for (int i = 0; i < NSEC; i++) {
            const args_t *sec = &t->sec[i];
            snprintf(counts[i], sizeof(counts[i]), "%zu",
                     sec_width[i] ? sec->n / sec_width[i] : sec->groups);
            argv[a] = counts[i], argl[a++] = strlen(counts[i]);
            for (size_t j = 0; j < sec->n; j++) {
                argv[a] = (const char *)sec->data.data + sec->off[j];
                argl[a++] = sec->len[j];
            }
        }
        if (redisAppendCommandArgv(s->c, (int)argc, argv, argl) != REDIS_OK)
            err = FS_ERR_NOMEM;
    }
    free(argv);
    free(argl);
    for (int done = 0; !err && !done;)
        if (redisBufferWrite(s->c, &done) != REDIS_OK)
            err = FS_ERR_TRANSIENT;
    return err;
}

/* Element @p i of the commit script's refusal, as printable text. */
static const char *refusal_str(const redisReply *r, size_t i)
{
    return i < r->elements && r->element[i]->type == REDIS_REPLY_STRING
               ? r->element[i]->str
               : "";
}

/* The commit script refused before writing anything (see commit_lua):
 * {2, key, field, stored, delta} — FS_ERR_OVERFLOW, the batch holds an
 * event whose contribution the aggregate cannot hold; {3, key, field,
 * stored} — FS_ERR_CORRUPT, a value of the namespace that is not what
 * the worker wrote there. */
static fs_err_t refusal(const redisReply *r, char *errstr, size_t sz)
{
    long long code = r->elements > 0 && r->element[0]->type == REDIS_REPLY_INTEGER
                         ? r->element[0]->integer
                         : 0;
    if (code == 2) {
        snprintf(errstr, sz,
                 "overflow: %.200s field %.300s would pass the signed 64-bit range "
                 "(stored %s, adding %s); the event is refused",
                 refusal_str(r, 1), refusal_str(r, 2), refusal_str(r, 3),
                 refusal_str(r, 4));
        return FS_ERR_OVERFLOW;
    }
    if (code == 3) {
        snprintf(errstr, sz,
                 "redis: %.200s%s%.300s holds \"%.40s\", not what the worker writes "
                 "there (another program wrote into the namespace?): repair or "
                 "delete it",
                 refusal_str(r, 1), refusal_str(r, 2)[0] ? " field " : "",
                 refusal_str(r, 2), refusal_str(r, 3));
        return FS_ERR_CORRUPT;
    }
    snprintf(errstr, sz, "redis: unexpected reply to the commit script");
    return FS_ERR_FATAL;
}

/* Waits for the reply to commit_send(): FS_OK when applied,
 * FS_ERR_CONFLICT when a checked value had changed (nothing written). */
static fs_err_t commit_recv(txn_t *t, char *errstr, size_t sz)
{
    fs_sink_t *s = t->s;
    void *reply = NULL;
    if (redisGetReply(s->c, &reply) != REDIS_OK || !reply) {
        snprintf(errstr, sz, "redis: %s", s->c->errstr[0] ? s->c->errstr : "no reply");
        return FS_ERR_TRANSIENT;
    }
    redisReply *r = reply;
    fs_err_t err = FS_OK;
    if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
        /* Script cache flushed: reconnecting reloads it; try again. */
        disconnect(s);
        err = FS_ERR_CONFLICT;
    } else if (r->type == REDIS_REPLY_ERROR) {
        reply_error(r, "commit script", errstr, sz);
        err = classify_error_reply(r);
    } else if (r->type == REDIS_REPLY_ARRAY) {
        err = refusal(r, errstr, sz);
    } else if (r->type != REDIS_REPLY_INTEGER) {
        snprintf(errstr, sz, "redis: unexpected reply to the commit script");
        err = FS_ERR_FATAL;
    } else if (r->integer != 1) {
        err = FS_ERR_CONFLICT; /* a checked value changed */
    }
    freeReplyObject(r);
    return err;
}

static void txn_destroy(txn_t *t)
{
    if (t) {
        txn_free(t);
        free(t);
    }
}

/* A new transaction for @p parts, reading through @p over's writes. */
static fs_err_t txn_new(fs_sink_t *s, fs_sink_part_t *parts, size_t n, const txn_t *over,
                        txn_t **out)
{
    txn_t *t = malloc(sizeof(*t));
    fs_err_t err = t ? txn_init(t, s, n) : FS_ERR_NOMEM;
    if (err) {
        free(t);
        return err;
    }
    t->over = over;
    t->parts = parts;
    t->nparts = n;
    *out = t;
    return FS_OK;
}

/* The reads of a transaction (each a round trip). */
static fs_err_t txn_read(txn_t *t, char *errstr, size_t sz)
{
    fs_sink_part_t *parts = t->parts;
    size_t n = t->nparts;
    const char *step = "reading offsets";
    fs_err_t err = read_parts(t, parts, n, errstr, sz);
    if (!err && (step = "reading de-duplication marks"))
        err = read_seen(t, parts, n, errstr, sz);
    if (!err && (step = "reading identity links"))
        err = read_identity(t, parts, n, errstr, sz);
    if (!err && (step = "linking identities"))
        err = apply_links(t, parts, n);
    if (!err && (step = "finding persons"))
        err = mark_event_persons(t, parts, n);
    if (!err && (step = "reading person state"))
        err = read_persons(t, errstr, sz);
    if (err && !errstr[0])
        snprintf(errstr, sz, "%s: %s", step, fs_err2str(err));
    return err;
}

/* The computation of a transaction, after its reads: no Redis I/O. */
static fs_err_t txn_compute(txn_t *t, char *errstr, size_t sz)
{
    const char *step = "reading person state";
    fs_err_t err = parse_buckets(t, errstr, sz);
    if (!err && (step = "adding events to persons"))
        err = add_events(t, t->parts, t->nparts, &t->res);
    if (!err && (step = "computing contributions"))
        err = recompute(t, &t->res);
    if (!err && (step = "preparing the writes"))
        err = build_writes(t, t->parts, t->nparts);
    if (err == FS_ERR_OVERFLOW && !errstr[0])
        snprintf(errstr, sz,
                 "overflow: %s, a sum would pass the signed 64-bit range; the event is "
                 "refused",
                 step);
    else if (err && !errstr[0])
        snprintf(errstr, sz, "%s: %s", step, fs_err2str(err));
    return err;
}

/* Ends an attempt that failed with @p err: the connection is dropped
 * unless the failure was a clean refusal by the commit script. */
static fs_err_t attempt_failed(fs_sink_t *s, fs_err_t err)
{
    if (err != FS_ERR_CONFLICT && err != FS_ERR_OVERFLOW && s->c)
        disconnect(s); /* whatever was pipelined is in an unknown state */
    return err == FS_ERR_CORRUPT ? FS_ERR_FATAL : err;
}

/* One attempt: read, compute, commit.  FS_ERR_CONFLICT means the commit
 * script refused because a checked value changed (recompute and retry). */
static fs_err_t attempt(fs_sink_t *s, fs_sink_part_t *parts, size_t n,
                        fs_sink_result_t *res, char *errstr, size_t sz)
{
    txn_t *t = NULL;
    errstr[0] = '\0';
    fs_err_t err = ensure(s, errstr, sz);
    if (!err)
        err = txn_new(s, parts, n, NULL, &t);
    if (!err)
        err = txn_read(t, errstr, sz);
    if (!err)
        err = txn_compute(t, errstr, sz);
    if (!err && s->precommit)
        s->precommit(s->precommit_opaque);
    if (!err)
        err = commit_send(t);
    if (!err)
        err = commit_recv(t, errstr, sz);
    if (!err)
        *res = t->res;
    txn_destroy(t);
    return err ? attempt_failed(s, err) : FS_OK;
}

/* Applies synchronously, retrying conflicts. */
static fs_err_t apply_sync(fs_sink_t *s, fs_sink_part_t *parts, size_t n,
                           fs_sink_result_t *res, int conflicts, char *errstr, size_t sz)
{
    fs_err_t err;
    while ((err = attempt(s, parts, n, res, errstr, sz)) == FS_ERR_CONFLICT) {
        if (++conflicts >= MAX_CONFLICTS) {
            snprintf(errstr, sz, "redis: %d conflicting transactions in a row",
                     conflicts);
            return FS_ERR_TRANSIENT;
        }
    }
    if (err == FS_ERR_NOMEM)
        snprintf(errstr, sz, "out of memory applying a batch");
    if (!err)
        res->conflicts = conflicts;
    return err;
}

fs_err_t fs_sink_apply(fs_sink_t *s, fs_sink_part_t *parts, size_t n,
                       fs_sink_result_t *res, char *errstr, size_t sz)
{
    if (s->fly) {
        snprintf(errstr, sz, "internal: fs_sink_apply with a batch in flight");
        return FS_ERR_FATAL;
    }
    double t0 = mono_ms();
    fs_err_t err = apply_sync(s, parts, n, res, 0, errstr, sz);
    if (!err)
        s->last_apply_ms = mono_ms() - t0;
    return err;
}

/* Confirms the in-flight batch, whose commit has been sent: its result,
 * after retrying it synchronously if the script refused it. */
static fs_err_t confirm_fly(fs_sink_t *s, fs_sink_result_t *res, int *retried,
                            char *errstr, size_t sz)
{
    txn_t *f = s->fly;
    s->fly = NULL;
    *retried = 0;
    fs_err_t err = commit_recv(f, errstr, sz);
    if (!err)
        *res = f->res;
    else if (err == FS_ERR_CONFLICT && (*retried = 1))
        err = apply_sync(s, f->parts, f->nparts, res, 1, errstr, sz);
    else
        err = attempt_failed(s, err);
    txn_destroy(f);
    return err;
}

fs_err_t fs_sink_start(fs_sink_t *s, fs_sink_part_t *parts, size_t n, int *had_prev,
                       fs_sink_result_t *prev, char *errstr, size_t sz)
{
    double t0 = mono_ms();
    txn_t *t = NULL;
    *had_prev = 0;
    errstr[0] = '\0';
    fs_err_t err = ensure(s, errstr, sz);
    if (err && s->fly) { /* the connection of the in-flight commit is gone */
        txn_destroy(s->fly);
        s->fly = NULL;
    }
    /* 1. Read the new batch, through the in-flight batch's writes (indexed
     * only now: a batch committed at once never needs the index). */
    if (!err && s->fly && !s->fly->written)
        err = index_writes(s->fly);
    if (!err)
        err = txn_new(s, parts, n, s->fly, &t);
    if (!err)
        err = txn_read(t, errstr, sz);
    if (err) {
        txn_destroy(t);
        txn_destroy(s->fly); /* neither batch applied: the caller retries both */
        s->fly = NULL;
        return attempt_failed(s, err);
    }
    /* 2. Let Redis run the in-flight commit while the new batch is computed. */
    fs_err_t ferr = FS_OK;
    if (s->fly) {
        if (s->precommit)
            s->precommit(s->precommit_opaque);
        ferr = commit_send(s->fly);
    }
    char cerr[512] = "";
    err = txn_compute(t, cerr, sizeof(cerr));
    t->over = NULL; /* the in-flight batch is about to go */
    /* 3. The in-flight batch's outcome. */
    if (s->fly) {
        int retried = 0;
        *had_prev = 1;
        if (ferr) {
            txn_destroy(s->fly);
            s->fly = NULL;
            ferr = attempt_failed(s, ferr);
            snprintf(errstr, sz, "redis: sending a commit failed");
        } else {
            ferr = confirm_fly(s, prev, &retried, errstr, sz);
        }
        if (ferr || retried) {
            /* The new batch was computed through writes that did not land
             * as planned (or landed after a retry that rewrote them): read
             * and compute it again from Redis. */
            txn_destroy(t);
            t = NULL;
        }
        if (ferr) {
            *had_prev = 0;
            return ferr;
        }
        if (!t) {
            cerr[0] = '\0';
            err = txn_new(s, parts, n, NULL, &t);
            if (!err)
                err = txn_read(t, cerr, sizeof(cerr));
            if (!err)
                err = txn_compute(t, cerr, sizeof(cerr));
        }
    }
    if (err) {
        txn_destroy(t);
        snprintf(errstr, sz, "%s", cerr);
        return attempt_failed(s, err);
    }
    s->fly = t;
    s->last_apply_ms = mono_ms() - t0;
    return FS_OK;
}

fs_err_t fs_sink_flush(fs_sink_t *s, int *had, fs_sink_result_t *res, char *errstr,
                       size_t sz)
{
    *had = 0;
    errstr[0] = '\0';
    if (!s->fly)
        return FS_OK;
    double t0 = mono_ms();
    if (s->precommit)
        s->precommit(s->precommit_opaque);
    fs_err_t err = s->c ? commit_send(s->fly) : FS_ERR_TRANSIENT;
    if (err) {
        txn_destroy(s->fly);
        s->fly = NULL;
        snprintf(errstr, sz, "redis: sending a commit failed");
        return attempt_failed(s, err);
    }
    int retried;
    err = confirm_fly(s, res, &retried, errstr, sz);
    if (!err) {
        *had = 1;
        s->last_apply_ms += mono_ms() - t0;
    }
    return err;
}
