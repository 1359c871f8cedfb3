// Cache entries: "<generation>|<json>", read back whole; a damaged or foreign text is a miss, not an error;
// entries an earlier release wrote deflated ("z:…") are still read.
import { deflateRawSync } from 'node:zlib'
import t from 'tap'
import { decodeEntry, encodeEntry } from '../../src/domain/cache/entry-codec.js'

const day = {
  source: 'feishu',
  vendor: 'feishu' as const,
  userId: 'u1',
  employeeName: '张三',
  workDate: '2024-05-06',
  timezone: 'Asia/Shanghai',
  groupId: '6',
  shiftId: '7',
  segments: [],
  raw: [{ day: 20240506 }],
}

t.test('an entry reads back as written, the generation in plain digits first', async (t) => {
  const text = encodeEntry({ day, fetchedAt: 1_700_000_000_000 }, 1_700_000_000_123)
  t.match(text, /^1700000000123\|\{/)
  t.same(decodeEntry(text), { day, fetchedAt: 1_700_000_000_000 })
  t.same(decodeEntry(encodeEntry({ day: null, fetchedAt: 5 }, 6)), { day: null, fetchedAt: 5 }, 'no day')
})

t.test('the vendor rows are kept after the day, and parsed only when asked for', async (t) => {
  const text = encodeEntry({ day, fetchedAt: 3 }, 4)
  const [dayJson, rowsJson] = text.slice(text.indexOf('|') + 1).split('\n')
  t.same(JSON.parse(rowsJson as string), day.raw, 'the rows after a newline')
  t.equal(JSON.parse(dayJson as string).day.raw, undefined, 'not inside the day')
  const { raw: _raw, ...withoutRaw } = day
  t.same(decodeEntry(text, false), { day: withoutRaw, fetchedAt: 3 }, 'without raw: no rows')
  t.same(decodeEntry(text, true), { day, fetchedAt: 3 }, 'with raw: the rows as written')
  const earlier = `4|${JSON.stringify({ at: 3, day })}`
  t.same(decodeEntry(earlier, true), { day, fetchedAt: 3 }, 'an entry with the rows in the day still reads')
  t.same(decodeEntry(earlier, false), { day: withoutRaw, fetchedAt: 3 }, '…and without them when not asked')
  t.equal(
    decodeEntry(`4|${JSON.stringify({ at: 3, day: withoutRaw })}\n[{`, true),
    undefined,
    'damaged rows: a miss',
  )
})

t.test('a deflated payload of an earlier release is read; damage is a miss', async (t) => {
  const json = JSON.stringify({ at: 7, day })
  t.same(decodeEntry(`8|z:${deflateRawSync(json).toString('base64')}`), { day, fetchedAt: 7 })
  for (const text of ['no bar', '1|{not json', '1|{"at":"x","day":null}', '1|z:@@@', '1|{"at":1,"day":3}']) {
    t.equal(decodeEntry(text), undefined, JSON.stringify(text))
  }
})
