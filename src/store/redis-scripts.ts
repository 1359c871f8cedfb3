// Lua scripts run atomically inside Redis, so check-and-act steps cannot interleave between replicas.
import { CLIMB_PER_SECOND, CUT_FACTOR, MIN_FACTOR, STALE_REFUSAL_FACTOR } from './adaptive-pace.js'

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

/** Re-stamps member ARGV[1] of KEYS[1] with Redis TIME, if it is still in the log. */
export const CONFIRM_SEND = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now), ARGV[1])
end
return 1
`

// Adaptive pacing in Lua, from the constants of adaptive-pace.ts. The pace record is a hash {base, cut_at}
// (µs on Redis TIME); absent means no cut is in force.
const NOW = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
`
const RATE_IN_FORCE = `
local function rate_in_force(pace_key, configured)
  local state = redis.call('HMGET', pace_key, 'base', 'cut_at')
  local base = tonumber(state[1])
  if not base then return configured end
  local climbed = base + configured * ${CLIMB_PER_SECOND} * math.max(0, now - tonumber(state[2])) / 1000000
  return math.min(configured, climbed)
end
`
// Records a send now in the sliding-window log if it holds fewer than the rate in force (whole calls, at
// least one); returns {1, 0} when admitted, else {0, µs until its oldest send leaves the window}.
const ADMIT = `
local function admit(log_key, rate, window, member)
  redis.call('ZREMRANGEBYSCORE', log_key, '-inf', string.format('%.0f', now - window))
  if redis.call('ZCARD', log_key) < math.max(1, math.floor(rate)) then
    redis.call('ZADD', log_key, string.format('%.0f', now), member)
    redis.call('PEXPIRE', log_key, math.ceil(window / 1000) + 1000)
    return 1, 0
  end
  local oldest = tonumber(redis.call('ZRANGE', log_key, 0, 0, 'WITHSCORES')[2])
  return 0, oldest + window - now
end
`

/**
 * One step for the usual case: a GCRA reservation with no burst, and — when the slot is now — the
 * window admission too, so an idle source's call costs one round trip. On Redis' own clock (TIME), so
 * replicas with skewed clocks share one schedule; the interval follows the rate in force.
 * KEYS: [1] next free slot (µs), [2] the send log, [3] the pace record. ARGV: [1] configured rate per
 * second, [2] window µs, [3] max wait µs, [4] a unique member for the log.
 * Returns {granted (1|0), wait µs, the admitted member or '', the rate in force as a string}.
 *
 * Why GCRA rather than rate-limiter-flexible: its Redis limiter counts in fixed windows, which lets up to
 * twice the limit through in a sliding second; strictly spaced slots can never put more than
 * ceil(window / interval) calls in any window, and reservations queue callers in order for free.
 */
export const RESERVE_SEND = `${NOW}${RATE_IN_FORCE}${ADMIT}
local rate = rate_in_force(KEYS[3], tonumber(ARGV[1]))
local window = tonumber(ARGV[2])
local interval = window / rate
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_free, now)
local wait = slot - now
if wait > tonumber(ARGV[3]) then
  return {0, wait, '', tostring(rate)}
end
local new_next = slot + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_next), 'PX', math.ceil((new_next - now) / 1000) + 1000)
if wait == 0 and admit(KEYS[2], rate, window, ARGV[4]) == 1 then
  return {1, 0, ARGV[4], tostring(rate)}
end
return {1, wait, '', tostring(rate)}
`

/**
 * A call paced at ARGV[2] calls a second was refused for rate: cut the rate in force (KEYS[1], the pace
 * record; ARGV[1] the configured rate), unless it was already cut below that.
 * Returns {cut (1|0), the rate in force as a string}.
 */
export const SLOW_DOWN = `${NOW}${RATE_IN_FORCE}
local configured = tonumber(ARGV[1])
local current = rate_in_force(KEYS[1], configured)
if current < tonumber(ARGV[2]) * ${STALE_REFUSAL_FACTOR} then
  return {0, tostring(current)}
end
local base = math.max(configured * ${MIN_FACTOR}, current * ${CUT_FACTOR})
redis.call('HSET', KEYS[1], 'base', tostring(base), 'cut_at', string.format('%.0f', now))
local recovery_ms = math.ceil((configured - base) / (configured * ${CLIMB_PER_SECOND}) * 1000)
redis.call('PEXPIRE', KEYS[1], recovery_ms + 60000)
return {1, tostring(base)}
`

/** The rate in force of KEYS[1] (the pace record) for the configured rate ARGV[1], as a string. */
export const READ_PACE = `${NOW}${RATE_IN_FORCE}
return tostring(rate_in_force(KEYS[1], tonumber(ARGV[1])))
`

/**
 * Sliding-window log in a sorted set scored by Redis TIME (µs), admitting at most the rate in force per
 * window: a cut made while callers waited for their slots holds them back too. KEYS: [1] the log, [2] the
 * pace record. ARGV: [1] configured rate per second, [2] window µs, [3] a unique member.
 * Returns {admitted (1|0), wait µs until a place frees, the rate in force as a string}.
 */
export const ADMIT_TO_WINDOW = `${NOW}${RATE_IN_FORCE}${ADMIT}
local rate = rate_in_force(KEYS[2], tonumber(ARGV[1]))
local admitted, wait = admit(KEYS[1], rate, tonumber(ARGV[2]), ARGV[3])
return {admitted, wait, tostring(rate)}
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

/**
 * INCREMENT unless KEYS[2] exists (a flag that stops the counting, e.g. a spent quota): one round trip for
 * the check and the count. Returns {1, the new value}, or {0} when the flag is set and nothing was counted.
 */
export const INCREMENT_UNLESS = `
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {0}
end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, value}
`

/**
 * recordOnce: unless KEYS[1] (the mark) exists, sets it, appends entries to the stream KEYS[2] (trimmed by
 * MINID on Redis TIME) and counts one in KEYS[3]. ARGV: [1] mark TTL ms, [2] the log's keep ms, [3] the
 * counter's TTL ms ('' for no counter), [4] the number of entries, then per entry its number of fields and
 * its fields and values. Returns -1 when the mark was there, else the counter's value (0 without one).
 */
export const RECORD_ONCE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
local entries = tonumber(ARGV[4])
if entries > 0 then
  local now_parts = redis.call('TIME')
  local now_ms = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
  local oldest = string.format('%.0f', math.max(0, now_ms - tonumber(ARGV[2])))
  local at = 5
  for _ = 1, entries do
    local fields = tonumber(ARGV[at])
    at = at + 1
    local args = {KEYS[2], 'MINID', '~', oldest, '*'}
    for _ = 1, fields * 2 do
      args[#args + 1] = ARGV[at]
      at = at + 1
    end
    redis.call('XADD', unpack(args))
  end
end
if ARGV[3] == '' then
  return 0
end
local counted = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return counted
`
