import { Writable } from 'node:stream'
import t from 'tap'
import {
  createPlainReporter,
  formatDuration,
  formatProgressLine,
  type JobProgress,
  PLAIN_LINE_EVERY_MS,
  shortId,
} from '../../src/cli/progress.js'

const ID = '3f2a9c1b-5d7e-4f60-9a1b-2c3d4e5f6a7b'

function job(status: JobProgress['status'], percent: number, etaSeconds: number | null): JobProgress {
  return {
    id: ID,
    status,
    progress: { plannedCalls: 100, vendorCalls: percent, days: 0, percent },
    etaSeconds,
  }
}

class Lines extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean))
    done()
  }
}

t.test('durations: seconds, then minutes and seconds, then hours and minutes', async (t) => {
  t.same([0, 0.2, 12, 59.1, 60, 125, 3599, 3600, 3720, 36_000].map(formatDuration), [
    '0s',
    '1s',
    '12s',
    '1m00s',
    '1m00s',
    '2m05s',
    '59m59s',
    '1h00m',
    '1h02m',
    '10h00m',
  ])
})

t.test('a job id is shortened to 8 characters in progress lines', async (t) => {
  t.equal(shortId(ID), '3f2a9c1b…')
  t.equal(shortId('job1'), 'job1')
})

t.test('a progress line: id, status, whole percent (floored), eta when there is one', async (t) => {
  t.equal(formatProgressLine(job('running', 42.7, 12)), 'export 3f2a9c1b…: running 42% eta 12s')
  t.equal(formatProgressLine(job('running', 99.9, 0.4)), 'export 3f2a9c1b…: running 99% eta 1s')
  t.equal(formatProgressLine(job('queued', 0, null)), 'export 3f2a9c1b…: queued 0%')
  t.equal(formatProgressLine(job('succeeded', 100, null)), 'export 3f2a9c1b…: succeeded 100%')
})

t.test('plain lines: on a new whole percent or status, else every 5 s', async (t) => {
  let now = 0
  const out = new Lines()
  const reporter = createPlainReporter(out, () => now)
  reporter.update(job('queued', 0, null))
  now += 1000
  reporter.update(job('queued', 0, null)) // nothing new: no line
  reporter.update(job('running', 0, 30)) // new status
  now += 1000
  reporter.update(job('running', 0.9, 29)) // still 0%
  reporter.update(job('running', 1.2, 28)) // 1%
  now += PLAIN_LINE_EVERY_MS - 1
  reporter.update(job('running', 1.5, 27)) // not yet 5 s since the last line
  now += 1
  reporter.update(job('running', 1.6, 26)) // 5 s: a line even though the percent stayed
  now += 10
  reporter.update(job('succeeded', 100, null))
  reporter.stop()
  t.same(out.lines, [
    'export 3f2a9c1b…: queued 0%',
    'export 3f2a9c1b…: running 0% eta 30s',
    'export 3f2a9c1b…: running 1% eta 28s',
    'export 3f2a9c1b…: running 1% eta 26s',
    'export 3f2a9c1b…: succeeded 100%',
  ])
})
