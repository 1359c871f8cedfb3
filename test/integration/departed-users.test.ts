// A Feishu id whose employee left and was given to a new hire (the simulator's `departed_<yyyyMMdd>…` ids):
// the departed employee's days reach the answer only from a source with `includeTerminatedUser`, in no
// group and with times Feishu reckoned at UTC+0, shown like every time in the source's zone.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const USER = 'departed_20240508_li'
const query = `/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:${USER}`

t.test('includeTerminatedUser decides whether the departed employee’s days are answered', async (t) => {
  const simulators = await startSimulators(t)
  const answers: Record<string, AttendanceResponse> = {}
  for (const includeTerminatedUser of [false, true]) {
    const sources = sourcesFor(simulators, { feishu: { includeTerminatedUser } })
    const { app } = await startReplica(t, sources)
    answers[String(includeTerminatedUser)] = (await app.inject(query)).json<AttendanceResponse>()
  }
  const [without, withDeparted] = [answers.false, answers.true] as [AttendanceResponse, AttendanceResponse]
  t.equal(without.complete, true)
  t.same(
    without.results.map((day) => day.workDate),
    ['2024-05-09', '2024-05-10'],
    'only the new hire’s days',
  )
  t.equal(withDeparted.complete, true)
  t.same(
    withDeparted.results.map((day) => [
      day.workDate,
      day.groupId === '1',
      day.segments[0]?.checkIn?.scheduledAt,
    ]),
    [
      ['2024-05-06', true, '2024-05-06T17:00:00+08:00'],
      ['2024-05-07', true, '2024-05-07T17:00:00+08:00'],
      ['2024-05-08', true, '2024-05-08T17:00:00+08:00'],
      ['2024-05-09', false, '2024-05-09T09:00:00+08:00'],
      ['2024-05-10', false, '2024-05-10T09:00:00+08:00'],
    ],
    'the departed employee’s 09:00 at UTC+0 is 17:00 in Shanghai',
  )
  const names = new Set(withDeparted.results.map((day) => day.employeeName))
  t.equal(names.size, 2, 'two people under one id')
  const unfetched = (days: AttendanceResponse['results']) => days.map(({ fetchedAt: _, ...day }) => day)
  t.same(unfetched(withDeparted.results.slice(3)), unfetched(without.results), 'the new hire’s days alike')
})
