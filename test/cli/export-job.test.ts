// followJob on its own, with the clock in the test's hands: how long polls may fail before the command
// stops following a job, and the Retry-After it honours meanwhile.
import t from 'tap'
import { ApiClient } from '../../src/cli/api-client.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { followJob, GIVE_UP_AFTER_MS } from '../../src/cli/export-job.js'
import type { ProgressReporter } from '../../src/cli/progress.js'
import { job, startFakeService } from './fake-service.js'

const silent: ProgressReporter = { update() {}, stop() {} }
const busy = { statusCode: 503, code: 'ATT_OVERLOADED', message: 'busy' }

t.test('polls failing for GIVE_UP_AFTER_MS: the command stops and says where the job is', async (t) => {
  const service = await startFakeService(t, { polls: [busy] })
  let now = 0
  // The client's own attempts at each poll (api-client.ts) wait nothing here.
  const client = new ApiClient({ url: service.url, sleep: async () => {}, onRetry: () => {} })
  const following = followJob(client, job({}), {
    pollIntervalMs: 1,
    reporter: silent,
    signal: new AbortController().signal,
    now: () => now,
  })
  // Each poll moves the clock a quarter of the way: the fourth failed poll is the last.
  const ticking = setInterval(() => {
    now += GIVE_UP_AFTER_MS / 4
  }, 20)
  t.teardown(() => clearInterval(ticking))
  await t.rejects(following, {
    exitCode: EXIT.http,
    message:
      /^lost track of export \S+ \(ATT_OVERLOADED: busy \(still refused after 5 attempts\)\); it goes on on the service: GET \/attendance\/exports\//,
  })
})

t.test('a failed poll waits for the Retry-After the service sent', async (t) => {
  const service = await startFakeService(t, {
    polls: [
      { ...busy, retryAfter: 1 },
      { status: 'succeeded', complete: true },
    ],
  })
  const started = performance.now()
  const final = await followJob(new ApiClient({ url: service.url }), job({}), {
    pollIntervalMs: 10,
    reporter: silent,
    signal: new AbortController().signal,
  })
  t.equal(final.status, 'succeeded')
  t.ok(performance.now() - started >= 1000, 'the second poll came a second later')
})
