/*
 * store_redis_lua.c: the Lua scripts of the Redis store (store_redis.h).
 * Every change that reads before it writes is one script, so it is atomic
 * across replicas (Redis runs a script alone).  Keys are passed in KEYS
 * where the caller knows them; a session key found through a hash is
 * built from ARGV's prefix.  Session hash fields: user client_id rhost
 * created last_used expires idle refreshes ended live (hex of the live
 * hash).  The clock of the trust version, revocation stamps and rate
 * buckets is the server's (TIME): one clock for every replica.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <openssl/sha.h>

#include "store_redis.h"

/* Redis before 5 refuses writes after TIME unless effects replicate. */
#define PRE "if redis.replicate_commands then redis.replicate_commands() end\n" \
    "local function tnow() return tonumber(redis.call('TIME')[1]) end\n"

/* Live at now: the rule of store.h (and store_sqlite.c's LIVE_SQL). */
#define LIVE "local function live(f, now)\n" \
    " local idle = tonumber(f[3])\n" \
    " return f[1] == '0' and now < tonumber(f[2])" \
    " and (idle <= 0 or now - tonumber(f[4]) < idle) end\n"

/* The trust version: made at first use (a store made afresh starts at
   now), changed to max(version + 1, now). */
#define VERSION "local function version(t) local v = redis.call('HGET', t, 'version')\n" \
    " if not v then v = tnow(); redis.call('HSET', t, 'version', v) end\n" \
    " return tonumber(v) end\n" \
    "local function bump(t) local v = math.max(version(t) + 1, tnow())\n" \
    " redis.call('HSET', t, 'version', v); return v end\n"

static struct rd_script scripts[RD_NSCRIPTS] = {
    [RD_CREATE] = { PRE
        "if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then\n"
        " return redis.error_reply('ERR session id or hash exists') end\n"
        "redis.call('HSET', KEYS[1], 'user', ARGV[2], 'client_id', ARGV[3], 'rhost', ARGV[4],"
        " 'created', ARGV[5], 'last_used', ARGV[6], 'expires', ARGV[7], 'idle', ARGV[8],"
        " 'refreshes', ARGV[9], 'ended', '0', 'live', ARGV[10])\n"
        "redis.call('EXPIREAT', KEYS[1], ARGV[7])\n"
        "redis.call('SET', KEYS[2], ARGV[1])\n"
        "redis.call('EXPIREAT', KEYS[2], ARGV[7])\n"
        "redis.call('SADD', KEYS[3], ARGV[1])\n"
        "local want = tonumber(ARGV[7]) - tnow()\n"
        "local ttl = redis.call('TTL', KEYS[3])\n"
        "if want > 0 and (ttl == -1 or ttl < want) then redis.call('EXPIREAT', KEYS[3], ARGV[7]) end\n"
        "return 1\n", "" },
    [RD_FIND] = {
        "local id = redis.call('GET', KEYS[1])\n"
        "if not id then return {0} end\n"
        "local s = redis.call('HGETALL', ARGV[1] .. id)\n"
        "if #s == 0 then return {0} end\n"
        "return {1, id, s}\n", "" },
    [RD_ROTATE] = { PRE
        "local id = redis.call('GET', KEYS[1])\n"
        "if not id then return {0} end\n"
        "local k = ARGV[1] .. id\n"
        "local s = redis.call('HGETALL', k)\n"
        "if #s == 0 then return {0} end\n"
        "local f = {} for i = 1, #s, 2 do f[s[i]] = s[i + 1] end\n"
        "local now = tonumber(ARGV[4])\n"
        "if f.live ~= ARGV[2] then\n"
        " if f.ended == '0' then redis.call('HSET', k, 'ended', ARGV[4]) end\n"
        " return {2, id, s} end\n"
        "local idle = tonumber(f.idle)\n"
        "if f.ended ~= '0' or now >= tonumber(f.expires)"
        " or (idle > 0 and now - tonumber(f.last_used) >= idle) then\n"
        " if f.ended == '0' then redis.call('HSET', k, 'ended', ARGV[4]) end\n"
        " return {3, id, s} end\n"
        "if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('ERR next hash exists') end\n"
        "redis.call('HSET', k, 'live', ARGV[3], 'last_used', ARGV[4])\n"
        "redis.call('HINCRBY', k, 'refreshes', 1)\n"
        "redis.call('SET', KEYS[2], id)\n"
        "redis.call('EXPIREAT', KEYS[2], f.expires)\n"
        "return {1, id, redis.call('HGETALL', k)}\n", "" },
    [RD_REVOKE_HASH] = { PRE
        "local id = redis.call('GET', KEYS[1])\n"
        "if not id then return {0} end\n"
        "local k = ARGV[1] .. id\n"
        "local s = redis.call('HGETALL', k)\n"
        "if #s == 0 then return {0} end\n"
        "if redis.call('HGET', k, 'ended') == '0' then redis.call('HSET', k, 'ended', tnow()) end\n"
        "return {1, id, s}\n", "" },
    [RD_REVOKE_ID] = { PRE LIVE
        "local now = tnow()\n"
        "if not live(redis.call('HMGET', KEYS[1], 'ended', 'expires', 'idle', 'last_used'), now) then return 0 end\n"
        "redis.call('HSET', KEYS[1], 'ended', now)\n"
        "return 1\n", "" },
    [RD_REVOKE_USER] = { PRE LIVE
        "local now, n = tnow(), 0\n"
        "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
        " local k = ARGV[1] .. id\n"
        " if live(redis.call('HMGET', k, 'ended', 'expires', 'idle', 'last_used'), now) then\n"
        "  redis.call('HSET', k, 'ended', now); n = n + 1 end end\n"
        "return n\n", "" },
    /* The sessions of a user (KEYS[1]) or of the ids in ARGV[2..]. */
    [RD_GET] = {
        "local ids = {}\n"
        "if #KEYS == 1 then ids = redis.call('SMEMBERS', KEYS[1])\n"
        "else for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end end\n"
        "local out = {}\n"
        "for _, id in ipairs(ids) do local s = redis.call('HGETALL', ARGV[1] .. id)\n"
        " if #s > 0 then out[#out + 1] = id; out[#out + 1] = s end end\n"
        "return out\n", "" },
    /* Forget a user's sessions that ended before now (the rule of
       store_sqlite.c's expire), and the ids whose session the TTL took. */
    [RD_EXPIRE_USER] = {
        "local now, n = tonumber(ARGV[2]), 0\n"
        "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
        " local k = ARGV[1] .. id\n"
        " local f = redis.call('HMGET', k, 'ended', 'expires', 'idle', 'last_used', 'live')\n"
        " if not f[1] then redis.call('SREM', KEYS[1], id); n = n + 1\n"
        " else local e, idle = tonumber(f[1]), tonumber(f[3])\n"
        "  if (e ~= 0 and e < now) or tonumber(f[2]) < now"
        " or (idle > 0 and now - tonumber(f[4]) > idle) then\n"
        "   redis.call('DEL', k, ARGV[3] .. f[5]); redis.call('SREM', KEYS[1], id); n = n + 1\n"
        "  end end end\n"
        "return n\n", "" },
    [RD_REV_ADD] = { PRE VERSION
        "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
        "if cur then if tonumber(cjson.decode(cur).before) == tonumber(ARGV[2]) then\n"
        "  return {0, version(KEYS[2])} end\n"
        "elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {-1, 0} end\n"
        "local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)\n"
        "redis.call('HSET', KEYS[1], ARGV[1], '{\"before\":' .. ARGV[2] .. ',\"added\":'"
        " .. tnow() .. ',\"seq\":' .. seq .. '}')\n"
        "return {1, bump(KEYS[2])}\n", "" },
    [RD_REV_REMOVE] = { PRE VERSION
        "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return {0, version(KEYS[2])} end\n"
        "return {1, bump(KEYS[2])}\n", "" },
    [RD_REV_LIST] = { PRE VERSION
        "return {version(KEYS[2]), redis.call('HGETALL', KEYS[1])}\n", "" },
    [RD_VERSION] = { PRE VERSION "return version(KEYS[1])\n", "" },
    [RD_TRUST_KEYS] = { PRE VERSION
        "local cur = redis.call('HGET', KEYS[1], 'keys_hash')\n"
        "local v = version(KEYS[1])\n"
        "if cur == ARGV[1] then return v end\n"
        "redis.call('HSET', KEYS[1], 'keys_hash', ARGV[1])\n"
        "if not cur then return v end\n"
        "return bump(KEYS[1])\n", "" },
    /* Leaky buckets (ratelimit.c's rule): ARGV[1] 'a' acquire (all or
       nothing; the answer is the seconds to wait, 0 when counted) or 'r'
       release; ARGV[i + 1] the limit of KEYS[i]. */
    [RD_RATE] = { PRE
        "local t = redis.call('TIME')\n"
        "local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"
        "local c, lim, wait = {}, {}, 0\n"
        "for i = 1, #KEYS do\n"
        " lim[i] = tonumber(ARGV[i + 1])\n"
        " local h = redis.call('HMGET', KEYS[i], 'count', 'stamp')\n"
        " local n = tonumber(h[1])\n"
        " if n then n = n - (now - tonumber(h[2])) * lim[i] / 60; if n < 0 then n = 0 end end\n"
        " c[i] = n\n"
        " if n and n > lim[i] - 1 then\n"
        "  local s = math.ceil((n - (lim[i] - 1)) * 60 / lim[i]); if s < 1 then s = 1 end\n"
        "  if s > wait then wait = s end end end\n"
        "if ARGV[1] == 'a' and wait > 0 then return wait end\n"
        "for i = 1, #KEYS do\n"
        " local n = c[i]\n"
        " if ARGV[1] == 'a' then n = (n or 0) + 1 elseif n then n = math.max(n - 1, 0) end\n"
        " if n and n > 0 then redis.call('HSET', KEYS[i], 'count', n, 'stamp', now)\n"
        "  redis.call('PEXPIRE', KEYS[i], math.ceil(n * 60000 / lim[i]) + 1000)\n"
        " elseif n then redis.call('DEL', KEYS[i]) end end\n"
        "return 0\n", "" },
    /* The key registry at ARGV[1]: drop what is past (or not ours to
       read), return the rest. */
    [RD_KEYS_COLLECT] = {
        "local all, out = redis.call('HGETALL', KEYS[1]), {}\n"
        "local now = tonumber(ARGV[1])\n"
        "for i = 1, #all, 2 do\n"
        " local ok, o = pcall(cjson.decode, all[i + 1])\n"
        " if not ok or type(o) ~= 'table' or type(o['until']) ~= 'number'"
        " or type(o.jwk) ~= 'string' or o['until'] <= now then\n"
        "  redis.call('HDEL', KEYS[1], all[i])\n"
        " else out[#out + 1] = all[i]; out[#out + 1] = all[i + 1] end end\n"
        "return out\n", "" },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
hash_all(void)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    int i, j;

    for (i = 0; i < RD_NSCRIPTS; i++) {
        SHA1((const unsigned char *)scripts[i].body, strlen(scripts[i].body),
             md);
        for (j = 0; j < SHA_DIGEST_LENGTH; j++)
            (void)snprintf(scripts[i].sha + 2 * j, 3, "%02x", md[j]);
    }
}

const struct rd_script *
rd_scripts(void)
{
    (void)pthread_once(&once, hash_all);
    return scripts;
}
