// A DingTalk approval event names no day: the cache knows which of its days carry the approval id, and
// exactly those are dropped and listed in the feed.
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import { dingtalkSignature, encryptDingtalk } from '../../src/vendors/dingtalk/crypto.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const TOKEN = 'tok123'

interface Day {
  workDate: string
  segments: {
    checkIn: { approvalId: string | null } | null
    checkOut: { approvalId: string | null } | null
  }[]
}

t.test(
  'attendance_approve_status_change drops the cached days whose checks carry the approval',
  async (t) => {
    const simulators = await startSimulators(t)
    const sources = sourcesFor(simulators, {
      dingtalk: {
        cacheTtlSeconds: 21_600,
        events: { mode: 'webhook', token: TOKEN, aesKey: AES },
      } as Partial<SourceConfig>,
    })
    const { app } = await startReplica(t, sources)
    const url = '/attendance/results?from=2024-05-06&to=2024-05-10&users=dingtalk:d1'
    const first = (await app.inject(url)).json()
    const carrying = (first.results as Day[]).flatMap((day) =>
      day.segments
        .flatMap((segment) => [segment.checkIn, segment.checkOut])
        .flatMap((check) =>
          check?.approvalId ? [{ workDate: day.workDate, approvalId: check.approvalId }] : [],
        ),
    )
    t.ok(carrying.length > 0, 'the simulator gives d1 checks with approval ids that week')
    const target = carrying[0] as { workDate: string; approvalId: string }
    const expected = [
      ...new Set(carrying.filter((c) => c.approvalId === target.approvalId).map((c) => c.workDate)),
    ]

    const encrypt = encryptDingtalk(
      JSON.stringify({
        EventType: 'attendance_approve_status_change',
        eventId: 'approval-1',
        processInstanceId: target.approvalId,
        approveType: 'LEAVE',
        status: 'finish',
      }),
      AES,
      simulators.dingtalk.credentials.appKey,
    )
    const timestamp = String(Date.now())
    const signature = dingtalkSignature(TOKEN, timestamp, 'nonce-1', encrypt)
    const pushed = await app.inject({
      method: 'POST',
      url: `/events/dingtalk/dingtalk?signature=${signature}&timestamp=${timestamp}&nonce=nonce-1`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ encrypt }),
    })
    t.equal(pushed.statusCode, 200)

    const deadline = Date.now() + 5000
    let listed: { userId: string; workDate: string; reason: string }[] = []
    while (listed.length === 0 && Date.now() < deadline) {
      listed = (await app.inject('/attendance/changes?source=dingtalk')).json().changes
      if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    t.same(
      listed.map((change) => [change.userId, change.workDate, change.reason]),
      expected.map((workDate) => ['d1', workDate, 'event']),
      'exactly the days carrying that approval',
    )
    const again = (await app.inject(url)).json()
    t.same(
      again.sources[0].cache,
      { hits: 5 - expected.length, misses: expected.length },
      'only those days are refetched',
    )
  },
)
