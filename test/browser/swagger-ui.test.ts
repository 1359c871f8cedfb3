// Swagger UI in a real browser (Debian's Chromium, driven by playwright-core): with API keys configured,
// a user opens /docs, authorizes with a key, tries GET /attendance/results and sees the days. It also proves
// the docs CSP lets the UI work: any CSP violation fails the test. The screenshot goes to test-artifacts/.
// And a user starts an export from the UI and downloads its file from the UI's download link.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import t from 'tap'
import { apiKey } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

const CHROMIUM = '/usr/bin/chromium'
const KEY = 'swagger-ui-key-3f9a0c'
const SCREENSHOT = new URL('../../test-artifacts/swagger-ui.png', import.meta.url)

async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Chromium (apt-get install -y chromium) to run the browser test`,
    )
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'swagger-ui-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      viewport: { width: 1280, height: 1600 },
      timeout: 30_000,
    })
    context.on('close', () => {
      rm(userDataDir, { recursive: true, force: true }).catch(() => {})
    })
    return context
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true })
    throw new Error(`cannot launch Chromium at ${CHROMIUM}: ${(error as Error).message}`)
  }
}

t.test('authorize, try GET /attendance/results, see the days', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('browser', KEY)] })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`

  const context = await launchChromium()
  t.teardown(() => context.close())
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(20_000)
  const problems: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))

  await page.goto(`${base}/docs/`)
  await page.locator('.swagger-ui .info .title').waitFor()
  t.match(await page.locator('.swagger-ui .info .title').innerText(), /Attendance aggregation service/)

  // Authorize with the key.
  await page.locator('.scheme-container button.authorize').click()
  const modal = page.locator('.dialog-ux .modal-ux')
  await modal.locator('input').first().fill(KEY)
  await modal.locator('.auth-btn-wrapper button.authorize').click()
  await modal.locator('.auth-btn-wrapper button.btn-done').click()
  await t.resolves(page.locator('.scheme-container button.authorize.locked').waitFor(), 'the lock is closed')

  // Expand GET /attendance/results, try it out.
  const operation = page.locator('.opblock.opblock-get', {
    has: page.locator('[data-path="/attendance/results"]'),
  })
  await operation.locator('.opblock-summary-control').click()
  await operation.locator('button.try-out__btn').click()
  const values = { from: '2024-05-06', to: '2024-05-10', users: 'feishu:u1,dingtalk:d1' }
  for (const [name, value] of Object.entries(values)) {
    await operation.locator(`tr[data-param-name="${name}"] input`).fill(value)
  }
  await operation.locator('button.execute').click()

  const live = operation.locator('.live-responses-table')
  const status = live.locator('.response .response-col_status').first()
  await status.waitFor()
  const body = await live.locator('.response-col_description .microlight').first().innerText()
  await mkdir(new URL('.', SCREENSHOT), { recursive: true })
  await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true })

  t.equal((await status.innerText()).trim(), '200', 'the response panel shows 200')
  t.match(body, /"workDate": "2024-05-06"/, 'day results are shown')
  t.match(body, /"complete": true/)
  t.match(await operation.locator('.curl-command').innerText(), /Authorization: Bearer swagger-ui-key-3f9a0c/)
  t.same(problems, [], 'no CSP violation or page error')
})

t.test('start an export from Swagger UI and download its file', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('browser', KEY)] })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`

  const context = await launchChromium()
  t.teardown(() => context.close())
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(20_000)
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  await page.goto(`${base}/docs/`)
  await page.locator('.scheme-container button.authorize').click()
  const modal = page.locator('.dialog-ux .modal-ux')
  await modal.locator('input').first().fill(KEY)
  await modal.locator('.auth-btn-wrapper button.authorize').click()
  await modal.locator('.auth-btn-wrapper button.btn-done').click()

  // POST /attendance/exports with a CSV body.
  const create = page.locator('.opblock.opblock-post', {
    has: page.locator('[data-path="/attendance/exports"]'),
  })
  await create.locator('.opblock-summary-control').click()
  await create.locator('button.try-out__btn').click()
  await create.locator('textarea.body-param__text').fill(
    JSON.stringify({
      from: '2024-05-06',
      to: '2024-05-10',
      users: ['feishu:u1', 'dingtalk:d1'],
      format: 'csv',
    }),
  )
  await create.locator('button.execute').click()
  const created = create.locator('.live-responses-table')
  await created.locator('.response .response-col_status').first().waitFor()
  t.equal((await created.locator('.response .response-col_status').first().innerText()).trim(), '202')
  const job = JSON.parse(await created.locator('.response-col_description .microlight').first().innerText())
  t.equal(job.status, 'queued')

  // Wait for it over the API, as a script would, then download it in the UI.
  const deadline = Date.now() + 30_000
  let status = job.status
  while (status !== 'succeeded' && Date.now() < deadline) {
    const answer = await fetch(`${base}/attendance/exports/${job.id}`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    status = ((await answer.json()) as { status: string }).status
    if (status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.equal(status, 'succeeded', 'the export finished')

  const download = page.locator('.opblock.opblock-get', {
    has: page.locator('[data-path="/attendance/exports/{id}/file"]'),
  })
  await download.locator('.opblock-summary-control').click()
  await download.locator('button.try-out__btn').click()
  await download.locator('tr[data-param-name="id"] input').fill(job.id)
  await download.locator('button.execute').click()
  const live = download.locator('.live-responses-table')
  await live.locator('.response .response-col_status').first().waitFor()
  t.equal((await live.locator('.response .response-col_status').first().innerText()).trim(), '200')
  const link = live.locator('a[download]')
  await link.waitFor()
  t.equal(
    await link.getAttribute('download'),
    'attendance_2024-05-06_2024-05-10.csv',
    'a download link with the name',
  )
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()])
  const path = await file.path()
  const text = await readFile(path, 'utf8')
  t.match(text, /^source,vendor,userId,/, 'the downloaded file is the CSV')
  t.same(problems, [], 'no page error')
})
