// Zoned times: RFC 3339 with the offset the zone had at that instant, exact across DST and zone changes.
import t from 'tap'
import {
  formatInZone,
  isValidTimeZone,
  workDateInZone,
  zonedMidnight,
} from '../../src/platform/time/zoned-time.js'

const at = (iso: string) => Date.parse(iso)

t.test('formatInZone renders the offset of the instant', async (t) => {
  const cases: [string, number, string, string][] = [
    ['Feishu example shift start', 1609722000_000, 'Asia/Shanghai', '2021-01-04T09:00:00+08:00'],
    ['Feishu example shift end', 1609754400_000, 'Asia/Shanghai', '2021-01-04T18:00:00+08:00'],
    ['milliseconds are dropped, not rounded', 1609722000_999, 'Asia/Shanghai', '2021-01-04T09:00:00+08:00'],
    ['UTC is +00:00, never Z', 0, 'UTC', '1970-01-01T00:00:00+00:00'],
    ['before the epoch', -1, 'UTC', '1969-12-31T23:59:59+00:00'],
    ['New York winter', at('2024-01-15T14:00:00Z'), 'America/New_York', '2024-01-15T09:00:00-05:00'],
    ['New York summer', at('2024-07-15T13:00:00Z'), 'America/New_York', '2024-07-15T09:00:00-04:00'],
    [
      'New York, last second of EST',
      at('2024-03-10T06:59:59Z'),
      'America/New_York',
      '2024-03-10T01:59:59-05:00',
    ],
    [
      'New York, first second of EDT',
      at('2024-03-10T07:00:00Z'),
      'America/New_York',
      '2024-03-10T03:00:00-04:00',
    ],
    [
      'New York, last second of EDT',
      at('2024-11-03T05:59:59Z'),
      'America/New_York',
      '2024-11-03T01:59:59-04:00',
    ],
    [
      'New York, 01:00 again in EST',
      at('2024-11-03T06:00:00Z'),
      'America/New_York',
      '2024-11-03T01:00:00-05:00',
    ],
    ['Berlin, last second of CET', at('2024-03-31T00:59:59Z'), 'Europe/Berlin', '2024-03-31T01:59:59+01:00'],
    [
      'Berlin, first second of CEST',
      at('2024-03-31T01:00:00Z'),
      'Europe/Berlin',
      '2024-03-31T03:00:00+02:00',
    ],
    ['Berlin, last second of CEST', at('2024-10-27T00:59:59Z'), 'Europe/Berlin', '2024-10-27T02:59:59+02:00'],
    ['Berlin, 02:00 again in CET', at('2024-10-27T01:00:00Z'), 'Europe/Berlin', '2024-10-27T02:00:00+01:00'],
    ['Kathmandu +05:45', at('2024-01-01T00:00:00Z'), 'Asia/Kathmandu', '2024-01-01T05:45:00+05:45'],
    // Kathmandu moved from +05:30 to +05:45 at 18:30 UTC: a change in the middle of a cached hour.
    [
      'Kathmandu, last second of +05:30',
      at('1985-12-31T18:29:59Z'),
      'Asia/Kathmandu',
      '1985-12-31T23:59:59+05:30',
    ],
    [
      'Kathmandu, first second of +05:45',
      at('1985-12-31T18:30:00Z'),
      'Asia/Kathmandu',
      '1986-01-01T00:15:00+05:45',
    ],
    // St. John's changes at 05:30 UTC every year: a DST change in the middle of a cached hour.
    [
      "St. John's, last second of NST",
      at('2024-03-10T05:29:59Z'),
      'America/St_Johns',
      '2024-03-10T01:59:59-03:30',
    ],
    [
      "St. John's, first second of NDT",
      at('2024-03-10T05:30:00Z'),
      'America/St_Johns',
      '2024-03-10T03:00:00-02:30',
    ],
    [
      'Lord Howe half-hour DST',
      at('2024-01-01T00:00:00Z'),
      'Australia/Lord_Howe',
      '2024-01-01T11:00:00+11:00',
    ],
    [
      'Lord Howe half-hour standard',
      at('2024-07-01T00:00:00Z'),
      'Australia/Lord_Howe',
      '2024-07-01T10:30:00+10:30',
    ],
    // Local mean time had a seconds offset (+08:05:43); rounded to the minute, still the same instant.
    ['Shanghai local mean time', at('1900-01-01T00:00:00Z'), 'Asia/Shanghai', '1900-01-01T08:06:00+08:06'],
    ['five-digit year', at('+010000-01-01T00:00:00Z'), 'UTC', '+010000-01-01T00:00:00+00:00'],
    ['before the common era', at('-000100-03-01T12:00:00Z'), 'UTC', '-000100-03-01T12:00:00+00:00'],
  ]
  for (const [name, epochMs, zone, expected] of cases) {
    t.equal(formatInZone(epochMs, zone), expected, name)
    if (/^\d/.test(expected))
      t.equal(Date.parse(expected), Math.floor(epochMs / 1000) * 1000, `${name}: same instant`)
  }
})

t.test('the cache answers the same whatever order the instants come in', async (t) => {
  const zones = [
    'America/New_York',
    'Europe/Berlin',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Australia/Lord_Howe',
  ]
  const instants: number[] = []
  // Every 41 min 13 s through 2024, so every DST change of these zones is crossed at an odd offset.
  for (let ms = at('2024-01-01T00:00:00Z'); ms < at('2025-01-01T00:00:00Z'); ms += 2_473_000)
    instants.push(ms)
  for (const zone of zones) {
    const reference = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
    const expected = (ms: number) => {
      const parts = Object.fromEntries(reference.formatToParts(ms).map((part) => [part.type, part.value]))
      const offset = String(parts.timeZoneName).replace('GMT', '').replace('\u2212', '-') || '+00:00'
      return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`
    }
    let mismatches = 0
    for (const ms of [...instants].reverse()) if (formatInZone(ms, zone) !== expected(ms)) mismatches++
    for (const ms of instants) if (formatInZone(ms, zone) !== expected(ms)) mismatches++
    t.equal(mismatches, 0, `${zone}: ${instants.length * 2} instants agree with Intl`)
  }
})

t.test('formatInZone refuses what it cannot render', async (t) => {
  t.throws(() => formatInZone(Number.NaN, 'UTC'), RangeError)
  t.throws(() => formatInZone(Number.POSITIVE_INFINITY, 'UTC'), RangeError)
  t.throws(() => formatInZone(8.64e15 + 1, 'UTC'), RangeError)
  t.throws(() => formatInZone(0, 'Mars/Olympus_Mons'), RangeError)
})

t.test('workDateInZone is the local calendar date', async (t) => {
  const cases: [number, string, string][] = [
    [1463328000000, 'Asia/Shanghai', '2016-05-16'],
    [1463328000000, 'UTC', '2016-05-15'],
    [1463328000000, 'America/New_York', '2016-05-15'],
    [1463328000000, 'Asia/Kathmandu', '2016-05-15'],
    [at('2016-05-15T18:15:00Z'), 'Asia/Kathmandu', '2016-05-16'],
    [at('2024-11-03T04:00:00Z'), 'America/New_York', '2024-11-03'],
    [at('2024-11-03T03:59:59Z'), 'America/New_York', '2024-11-02'],
    [-1, 'UTC', '1969-12-31'],
  ]
  for (const [epochMs, zone, expected] of cases) {
    t.equal(workDateInZone(epochMs, zone), expected, `${epochMs} in ${zone}`)
  }
})

t.test('zonedMidnight is the first instant of the work date', async (t) => {
  const cases: [string, string, string][] = [
    ['2016-05-16', 'Asia/Shanghai', '2016-05-16T00:00:00+08:00'],
    ['2016-05-16', 'UTC', '2016-05-16T00:00:00+00:00'],
    ['2024-03-10', 'America/New_York', '2024-03-10T00:00:00-05:00'],
    ['2024-03-11', 'America/New_York', '2024-03-11T00:00:00-04:00'],
    ['2024-11-03', 'America/New_York', '2024-11-03T00:00:00-04:00'],
    ['2024-11-04', 'America/New_York', '2024-11-04T00:00:00-05:00'],
    ['2024-03-31', 'Europe/Berlin', '2024-03-31T00:00:00+01:00'],
    ['2024-01-01', 'Asia/Kathmandu', '2024-01-01T00:00:00+05:45'],
    // Santiago springs forward at midnight: 00:00 never happens, the day starts at 01:00.
    ['2024-09-08', 'America/Santiago', '2024-09-08T01:00:00-03:00'],
  ]
  for (const [workDate, zone, expected] of cases) {
    const midnight = zonedMidnight(workDate, zone)
    t.equal(formatInZone(midnight, zone), expected, `${workDate} in ${zone}`)
    t.equal(midnight, Date.parse(expected), `${workDate} in ${zone}: epoch ms`)
    t.equal(
      workDateInZone(midnight - 1, zone) < workDate,
      true,
      `${workDate} in ${zone}: a ms earlier is the day before`,
    )
  }
  t.equal(zonedMidnight('2016-05-16', 'Asia/Shanghai'), 1463328000000, 'the DingTalk example workDate')
  t.throws(() => zonedMidnight('2023-02-29', 'UTC'), RangeError, 'not a real date')
  t.throws(() => zonedMidnight('20230228', 'UTC'), RangeError, 'not YYYY-MM-DD')
})

t.test('isValidTimeZone accepts IANA zones only', async (t) => {
  const cases: [string, boolean][] = [
    ['Asia/Shanghai', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Asia/Kathmandu', true],
    ['asia/shanghai', true],
    ['Mars/Olympus_Mons', false],
    ['+08:00', false],
    ['', false],
  ]
  for (const [name, valid] of cases) t.equal(isValidTimeZone(name), valid, JSON.stringify(name))
})
