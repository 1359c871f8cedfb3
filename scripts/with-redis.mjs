#!/usr/bin/env node
// Runs a command (the test suite) with a Redis to talk to: REDIS_URL or redis://127.0.0.1:6379 when one
// answers there; otherwise a throwaway redis-server on a free port, stopped afterwards. The URL reaches
// the tests as TEST_REDIS_URL. With no Redis and no redis-server it stops at once and says how to get one.
import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'

const [command, ...args] = process.argv.slice(2)
if (!command) {
  console.error('usage: with-redis.mjs <command> [args...]')
  process.exit(2)
}

function ping(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function startThrowawayRedis() {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    console.error(
      'The tests need Redis. Nothing answers on REDIS_URL (or redis://127.0.0.1:6379) and redis-server is not installed.\n' +
        'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.',
    )
    process.exit(1)
  }
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const url = `redis://127.0.0.1:${port}`
  for (let tries = 0; tries < 50; tries++) {
    if (await ping(url, 200)) return { url, child }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill()
  console.error(`redis-server did not answer on ${url}`)
  process.exit(1)
}

const configured = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
let redis = { url: configured, child: undefined }
if (!(await ping(configured))) {
  redis = await startThrowawayRedis()
  console.error(
    `# nothing answered on ${new URL(configured).host}: started a throwaway redis-server at ${redis.url}`,
  )
}

const run = spawn(command, args, { stdio: 'inherit', env: { ...process.env, TEST_REDIS_URL: redis.url } })
const stop = (signal) => run.kill(signal)
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
run.on('exit', (code, signal) => {
  redis.child?.kill()
  process.exit(code ?? (signal ? 1 : 0))
})
