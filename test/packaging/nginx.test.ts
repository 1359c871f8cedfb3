// docker/nginx.conf, the balancer in front of the replicas, without a Docker engine: nginx's own config
// test (`nginx -t`, which loads the file as the server would: directive names, contexts, arguments, sizes,
// times, the upstream's parameters) on the machine's nginx, and the settings the fleet relies on read
// from the file against docker-compose.yml.
import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'

const root = fileURLToPath(new URL('../../', import.meta.url))
const configText = await readFile(join(root, 'docker/nginx.conf'), 'utf8')
const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { environment?: Record<string, string>; expose?: string[]; ports?: string[] }>
}
const INSTALL = 'apt-get install -y nginx'
/** Open-source nginx has `server … resolve` in an upstream since this release. */
const RESOLVE_SINCE = [1, 27, 3]

interface Directive {
  name: string
  args: string[]
  block?: Directive[]
}

/** nginx's syntax, enough for this file: words, quoted strings, `;`, blocks and `#` comments. */
function parseNginx(text: string): Directive[] {
  const tokens = [...text.matchAll(/#[^\n]*|'([^']*)'|"([^"]*)"|([;{}])|([^\s;{}'"#]+)/g)]
    .filter((match) => !match[0].startsWith('#'))
    .map((match) => ({ word: match[1] ?? match[2] ?? match[4] ?? '', punct: match[3] }))
  let at = 0
  const readBlock = (): Directive[] => {
    const directives: Directive[] = []
    while (at < tokens.length && tokens[at]?.punct !== '}') {
      const words: string[] = []
      while (at < tokens.length && !tokens[at]?.punct) words.push(tokens[at++]?.word as string)
      const end = tokens[at++]?.punct
      const [name = '', ...args] = words
      if (end === '{') {
        directives.push({ name, args, block: readBlock() })
        at++ // the closing brace
      } else directives.push({ name, args })
    }
    return directives
  }
  return readBlock()
}

const all = (block: Directive[] | undefined, name: string) => (block ?? []).filter((d) => d.name === name)
const one = (block: Directive[] | undefined, name: string) => all(block, name)[0]
const args = (block: Directive[] | undefined, name: string) => one(block, name)?.args

/** An nginx time ("660s", "10m", "500ms", "60") in milliseconds. */
function milliseconds(value: string | undefined): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value ?? '')
  if (!match) return Number.NaN
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  return Number(match[1]) * (unit[match[2] ?? 's'] as number)
}

/** An nginx size ("2m", "16k", "1048576") in bytes. */
function bytes(value: string | undefined): number {
  const match = /^(\d+)([kKmMgG])?$/.exec(value ?? '')
  if (!match) return Number.NaN
  return Number(match[1]) * 1024 ** ('kmg'.indexOf((match[2] ?? '').toLowerCase()) + 1)
}

const config = parseNginx(configText)
const http = one(config, 'http')?.block
const upstream = all(http, 'upstream').find((d) => d.args[0] === 'api')?.block
const server = one(http, 'server')?.block
const proxied = all(server, 'location').find((d) => d.args.join(' ') === '/')?.block

t.test('the settings the fleet relies on', async (t) => {
  const apiPort = compose.services.api?.expose?.[0]
  t.equal(apiPort, '3000', 'the api listens on 3000 inside the network')

  // Every replica, found through Docker's DNS and followed as replicas come and go.
  t.same(args(http, 'resolver')?.[0], '127.0.0.11', "Docker's embedded DNS")
  t.ok(
    milliseconds(
      args(http, 'resolver')
        ?.find((a) => a.startsWith('valid='))
        ?.slice(6),
    ) <= 30_000,
    're-resolved at least every 30 s',
  )
  const servers = all(upstream, 'server')
  t.equal(servers.length, 1, 'one server line: the compose service')
  t.equal(servers[0]?.args[0], `api:${apiPort}`, 'the compose service name and port')
  t.ok(servers[0]?.args.includes('resolve'), 'resolved at run time (every replica, and new ones)')
  t.ok(one(upstream, 'zone'), 'a shared-memory zone, which resolve needs')
  t.ok(
    servers[0]?.args.some((a) => /^max_fails=[1-9]/.test(a)),
    'passive checks: max_fails',
  )
  t.ok(
    servers[0]?.args.some((a) => a.startsWith('fail_timeout=')),
    'passive checks: fail_timeout',
  )

  // Keep-alive to the replicas, closed by nginx before Fastify's keepAliveTimeout (72 s) closes it.
  t.ok(Number(args(upstream, 'keepalive')?.[0]) > 0, 'idle upstream connections kept')
  t.ok(milliseconds(args(upstream, 'keepalive_timeout')?.[0]) < 72_000, 'below the app’s 72 s')
  t.same(args(proxied, 'proxy_pass'), ['http://api'])
  t.same(args(proxied, 'proxy_http_version'), ['1.1'])
  const headers = Object.fromEntries(all(proxied, 'proxy_set_header').map((d) => [d.args[0], d.args[1]]))
  t.equal(headers.Connection, '', 'no "Connection: close" to the upstream')
  t.equal(headers['X-Forwarded-For'], '$proxy_add_x_forwarded_for')
  t.match(headers['X-Request-Id'], /^\$/, 'the request id goes on')

  // Streaming: nothing held back, nothing on disk.
  t.same(args(proxied, 'proxy_buffering'), ['off'])
  t.same(args(proxied, 'proxy_request_buffering'), ['off'])
  t.same(args(proxied, 'proxy_max_temp_file_size'), ['0'], 'no temporary files for downloads')

  // Longer than the longest query compose lets a replica run.
  const queryTimeoutMs = Number(
    /:-(\d+)\}$/.exec(compose.services.api?.environment?.QUERY_TIMEOUT_MS ?? '')?.[1],
  )
  t.equal(queryTimeoutMs, 600_000, "compose's QUERY_TIMEOUT_MS default")
  for (const name of ['proxy_read_timeout', 'proxy_send_timeout', 'send_timeout'])
    t.ok(milliseconds(args(proxied, name)?.[0]) > queryTimeoutMs, `${name} > QUERY_TIMEOUT_MS`)
  // A retry on another replica only early: a long query is never run twice.
  t.ok(milliseconds(args(proxied, 'proxy_next_upstream_timeout')?.[0]) <= 30_000, 'retries only early')

  // Bodies: the app's bodyLimit (src/service/app.ts, 1 MiB; the event webhooks 256 KiB) is what refuses.
  t.ok(bytes(args(server, 'client_max_body_size')?.[0]) >= 1_048_576, 'client_max_body_size ≥ 1 MiB')
  t.ok(
    bytes(args(server, 'large_client_header_buffers')?.[1]) >= 16 * 1024,
    'a request line as long as Node accepts (16 KiB)',
  )

  // Per-replica metrics are not served through the balancer.
  const metrics = all(server, 'location').find((d) => d.args.join(' ') === '= /metrics')?.block
  t.same(args(metrics, 'return'), ['404'], '/metrics: 404 here')

  // The published port leads to nginx's listen port.
  const [published] = compose.services.lb?.ports ?? []
  t.equal(published?.split(':').at(-1), args(server, 'listen')?.[0], 'compose publishes the listen port')
})

const isExecutable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  )

/** The nginx binary: on PATH, or in the sbin directories a non-root PATH may lack. */
async function findNginx(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const dir of dirs.filter(Boolean)) {
    if (await isExecutable(join(dir, 'nginx'))) return join(dir, 'nginx')
  }
  return undefined
}

/** Runs nginx; its stdout is /dev/null: the access log is /dev/stdout, which nginx opens, and a pipe from
 * Node is a socket, which cannot be opened (ENXIO). nginx -t and -v write to stderr. */
function run(file: string, argv: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 })
    let output = ''
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

t.test('nginx -t accepts docker/nginx.conf', async (t) => {
  const nginx = await findNginx()
  if (!nginx) {
    t.fail(`nginx is not installed, so docker/nginx.conf cannot be checked: ${INSTALL} (.ci/run does it)`)
    return
  }
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/
    .exec((await run(nginx, ['-v'])).output)
    ?.slice(1)
    .map(Number)
  t.ok(version, `nginx ${version?.join('.')} at ${nginx}`)
  const hasResolve = version !== undefined && compareVersions(version, RESOLVE_SINCE) >= 0

  const dir = await mkdtemp(join(tmpdir(), 'attendance-nginx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'logs')) // the prefix' default pid and log directory of a source build
  const test = async (name: string, text: string) => {
    const file = join(dir, name)
    await writeFile(file, text)
    // -p: relative paths in the tmp dir; -e stderr: not the compiled-in error log.
    return run(nginx, ['-t', '-p', `${dir}/`, '-e', 'stderr', '-c', file])
  }

  // What is tested. Docker's DNS (127.0.0.11, the name `api`) does not exist here, and nginx -t resolves
  // every upstream server name at load time unless the server has `resolve`:
  // - nginx ≥ 1.27.3 (the image's): the file verbatim. With `resolve` nothing is looked up at load time,
  //   so the unresolvable `api` is fine, as in the container before the replicas are up.
  // - older (Debian 12's 1.22): those do not know `resolve`, so one substitution on the one server line:
  //   `server api:3000 resolve …` becomes `server 127.0.0.1:3000 …` (a literal address nginx need not
  //   look up). Every other line, the server's other parameters included, is checked as written; the
  //   verbatim file is tested too and must fail on `resolve` alone, which the image's nginx supports.
  let tested = configText
  if (!hasResolve) {
    const verbatim = await test('verbatim.conf', configText)
    t.not(verbatim.code, 0, `nginx ${version?.join('.')} does not know resolve`)
    t.match(verbatim.output, /invalid parameter "resolve"/, 'it refuses resolve, which the image’s nginx has')
    const serverLine = /^(\s*server\s+)api:(\d+)\s+resolve\s/m
    t.match(configText, serverLine, 'the server line to substitute')
    tested = configText.replace(serverLine, '$1127.0.0.1:$2 ')
  }
  const result = await test('nginx.conf', tested)
  t.equal(result.code, 0, `nginx -t:\n${result.output}`)
  t.match(result.output, /test is successful/)

  // The check has teeth: a wrong value in the proxied location is refused, with its line.
  const broken = await test('broken.conf', tested.replace('proxy_buffering off;', 'proxy_buffering nope;'))
  t.not(broken.code, 0, 'a wrong value fails nginx -t')
  t.match(broken.output, /proxy_buffering/)
})

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0)
    if (diff) return diff
  }
  return 0
}
