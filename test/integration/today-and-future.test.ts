// Today and the days after it, over HTTP against the simulators on the real clock (the service reckons
// "today" on it, and so do the simulators' `dataClock` defaults). The vendors have no punch of a moment
// that has not come: the service must show those checks as `pending` (not `missing`, which says the person
// did not check), never as settled, and must not keep them in its cache as settled: today and the recent
// days for `recentCacheTtlSeconds`, the days after today not at all.
import { Redis } from 'ioredis'
import t from 'tap'
import { entryKey, tenantTag } from '../../src/domain/cache/cache-keys.js'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import { workDateInZone } from '../../src/platform/time/zoned-time.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { Check, DayResult } from '../../src/schemas/day-result.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'

const ZONE = 'Asia/Shanghai'
const SETTLE_DAYS = 3
const TTL_SECONDS = 21_600
const RECENT_TTL_SECONDS = 300
const CACHE = {
  cacheTtlSeconds: TTL_SECONDS,
  recentCacheTtlSeconds: RECENT_TTL_SECONDS,
  settleDays: SETTLE_DAYS,
}
const USERS = ['feishu:u1', 'feishu:u2', 'dingtalk:d1', 'dingtalk:d2']
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Today in Shanghai, a minute clear of midnight so that the service and the test agree on it. */
async function today(): Promise<number> {
  const msToMidnight =
    (parseWorkDate(workDateInZone(Date.now(), ZONE)) as number) * 86_400_000 + 16 * 3_600_000
  const left = msToMidnight - Date.now()
  if (left < 60_000) await sleep(left + 1000)
  return parseWorkDate(workDateInZone(Date.now(), ZONE)) as number
}

const checksOf = (day: DayResult): Check[] =>
  day.segments.flatMap((segment) => [segment.checkIn, segment.checkOut]).filter((c): c is Check => c !== null)
const at = (time: string | null) => (time === null ? null : Date.parse(time))

t.test(
  'checks that have not come are pending, and today and later days are not cached as settled',
  async (t) => {
    const todayDay = await today()
    const from = formatWorkDate(todayDay - 6)
    const to = formatWorkDate(todayDay + 2)
    const simulators = await startSimulators(t)
    const prefix = uniquePrefix()
    const { app } = await startReplica(t, sourcesFor(simulators, { feishu: CACHE, dingtalk: CACHE }), {
      redisKeyPrefix: prefix,
    })
    const url = `/attendance/results?from=${from}&to=${to}&overtime=true&users=${USERS.join(',')}`
    const first = (await app.inject(url)).json<AttendanceResponse>()
    t.equal(first.complete, true)

    const seen = { before: 0, today: 0, after: 0, pendingToday: 0 }
    for (const day of first.results) {
      const epochDay = parseWorkDate(day.workDate) as number
      const fetchedAt = at(day.fetchedAt ?? null) as number
      const checks = checksOf(day)
      const where = `${day.source} ${day.userId} ${day.workDate}`
      if (epochDay > todayDay) {
        seen.after++
        t.same(
          checks.map((check) => [check.result, check.checkedAt, check.recordId]),
          checks.map(() => ['pending', null, null]),
          `${where}: after today, every check is pending, without a punch`,
        )
        t.ok(checks.length > 0, `${where}: the schedule is there`)
        continue
      }
      if (epochDay < todayDay) seen.before++
      else seen.today++
      for (const check of checks) {
        const checkedAt = at(check.checkedAt)
        // fetchedAt is to the second.
        if (checkedAt !== null) t.ok(checkedAt < fetchedAt + 1000, `${where}: no punch after the answer`)
        if (check.result === 'pending') {
          t.equal(epochDay, todayDay, `${where}: only today has pending checks`)
          t.equal(check.checkedAt, null)
          seen.pendingToday++
        }
        if (checkedAt === null && (at(check.scheduledAt) as number) > fetchedAt + 1000)
          t.equal(check.result, 'pending', `${where}: a check not yet due is pending (${check.vendorResult})`)
      }
    }
    const weekdaysAfter = [1, 2].filter(
      (offset) => ![0, 6].includes(new Date((todayDay + offset) * 86_400_000).getUTCDay()),
    )
    t.equal(seen.after, USERS.length * weekdaysAfter.length, 'every user has the scheduled days after today')
    t.ok(seen.before > 0, JSON.stringify(seen))

    const second = (await app.inject(url)).json<AttendanceResponse>()
    const daysUpToToday = 7
    for (const source of second.sources) {
      t.same(
        source.cache,
        { hits: 2 * daysUpToToday, misses: 2 * 2 },
        `${source.source}: today and before from the cache, the days after today fetched again`,
      )
    }

    // A summary of the days after today: scheduled days whose checks are all pending, none missing.
    const after = `from=${formatWorkDate(todayDay + 1)}&to=${to}&users=${USERS.join(',')}`
    const summaries = (await app.inject(`/attendance/summaries?${after}`)).json<{
      summaries: {
        userId: string
        workDays: number
        missingChecks: number
        absentDays: number
        checks: Record<string, number>
      }[]
    }>().summaries
    t.same(
      summaries.map((summary) => [
        summary.userId,
        summary.missingChecks,
        summary.absentDays,
        summary.checks.pending,
      ]),
      summaries.map((summary) => [summary.userId, 0, 0, 2 * summary.workDays]),
      'days to come: no missing check and no absence, every regular check pending',
    )

    const redis = new Redis(testRedisUrl)
    t.teardown(() => redis.quit())
    for (const simulator of ['feishu', 'dingtalk'] as const) {
      const tag = tenantTag(
        simulator,
        simulators[simulator].url,
        simulator === 'feishu' ? simulators.feishu.credentials.appId : simulators.dingtalk.credentials.appKey,
      )
      const userId = simulator === 'feishu' ? 'u1' : 'd1'
      const ttls: Record<string, number> = {}
      for (let day = todayDay - 6; day <= todayDay + 2; day++) {
        const ttl = await redis.pttl(`${prefix}${entryKey(tag, true, userId, formatWorkDate(day))}`)
        ttls[day - todayDay] =
          ttl < 0 ? ttl : ttl > RECENT_TTL_SECONDS * 1000 ? TTL_SECONDS : RECENT_TTL_SECONDS
      }
      t.same(
        ttls,
        {
          '-6': TTL_SECONDS,
          '-5': TTL_SECONDS,
          '-4': TTL_SECONDS,
          '-3': 300,
          '-2': 300,
          '-1': 300,
          0: 300,
          1: -2,
          2: -2,
        },
        `${simulator}: settled days kept ${TTL_SECONDS} s, the last ${SETTLE_DAYS} days and today ${RECENT_TTL_SECONDS} s, later days not at all`,
      )
    }
  },
)
