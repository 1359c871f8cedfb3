// Lua scripts run atomically inside Redis, so check-and-act steps cannot interleave between replicas.

/** Delete KEYS[1] only while it holds ARGV[1]. */
export const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

/** Set KEYS[1]'s lifetime to ARGV[2] ms only while it holds ARGV[1]. */
export const EXTEND_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`

/**
 * GCRA reservation with no burst, on Redis' own clock (TIME) so that replicas with skewed clocks still share
 * one schedule. KEYS[1] holds the next free slot in microseconds. ARGV[1]: interval µs; ARGV[2]: max wait µs.
 * Returns {granted (1|0), wait µs}.
 *
 * Why GCRA rather than rate-limiter-flexible: its Redis limiter counts in fixed windows, which lets up to
 * twice the limit through in a sliding second; strictly spaced slots can never put more than
 * ceil(1000 / interval) calls in any sliding second, and reservations queue callers in order for free.
 */
/**
 * Sliding-window log in a sorted set scored by Redis TIME (µs). KEYS[1]: the set; ARGV[1]: limit;
 * ARGV[2]: window µs; ARGV[3]: a unique member. Returns {admitted (1|0), wait µs until a place frees}.
 */
export const ADMIT_TO_WINDOW = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {1, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {0, oldest + window - now}
`

/** Re-stamps member ARGV[1] of KEYS[1] with Redis TIME, if it is still in the log. */
export const CONFIRM_SEND = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now), ARGV[1])
end
return 1
`

export const RESERVE_SLOT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_free, now)
local wait = slot - now
if wait > max_wait then
  return {0, wait}
end
local new_next = slot + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_next), 'PX', math.ceil((new_next - now) / 1000) + 1000)
return {1, wait}
`

/**
 * Cache writes, each only if the key holds no entry of a later generation. Values are stored as
 * "<generation>|<payload>" so the script compares generations without decoding the payload.
 * KEYS: the entries' keys; ARGV: for each key, its generation, TTL ms and value, in that order.
 */
export const PUT_ENTRIES_IF_NEWER = `
for i, key in ipairs(KEYS) do
  local generation = tonumber(ARGV[i * 3 - 2])
  local current = redis.call('GET', key)
  local keep = false
  if current then
    local bar = string.find(current, '|', 1, true)
    local held = bar and tonumber(string.sub(current, 1, bar - 1))
    keep = held ~= nil and held > generation
  end
  if not keep then
    redis.call('SET', key, ARGV[i * 3], 'PX', ARGV[i * 3 - 1])
  end
end
return #KEYS
`

/** INCRBY KEYS[1] ARGV[1], then a lifetime of ARGV[2] ms: one round trip, and no counter lives forever. */
export const INCREMENT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return value
`
