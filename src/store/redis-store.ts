import { randomUUID } from 'node:crypto'
import {
  createRedisConnection,
  type RedisClient,
  type RedisConnectionOptions,
  waitUntilReady,
} from './redis-connection.js'
import {
  ADMIT_TO_WINDOW,
  CONFIRM_SEND,
  DELETE_IF_EQUALS,
  EXTEND_IF_EQUALS,
  INCREMENT,
  INCREMENT_UNLESS,
  PUT_ENTRIES_IF_NEWER,
  READ_PACE,
  RECORD_ONCE,
  RESERVE_SEND,
  SLOW_DOWN,
} from './redis-scripts.js'
import {
  type CacheEntryWrite,
  type LimiterKeys,
  type LogEntry,
  type OnceRecord,
  type PaceChange,
  type PaceSettings,
  type SendReservation,
  type SharedStore,
  StoreUnavailableError,
  type WindowAdmission,
} from './shared-store.js'

export type RedisStoreOptions = RedisConnectionOptions

interface ScriptCommands {
  deleteIfEquals(key: string, expected: string): Promise<number>
  extendIfEquals(key: string, expected: string, ttlMs: number): Promise<number>
  incrementWithTtl(key: string, by: number, ttlMs: number): Promise<number>
  incrementUnless(key: string, unlessKey: string, by: number, ttlMs: number): Promise<[number, number?]>
  putEntriesIfNewer(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>
  reserveSend(
    slotKey: string,
    logKey: string,
    paceKey: string,
    ratePerSecond: number,
    windowUs: number,
    maxWaitUs: number,
    member: string,
  ): Promise<[number, number, string, string]>
  slowDown(paceKey: string, ratePerSecond: number, pacedAt: number): Promise<[number, string]>
  readPace(paceKey: string, ratePerSecond: number): Promise<string>
  admitToWindow(
    logKey: string,
    paceKey: string,
    ratePerSecond: number,
    windowUs: number,
    member: string,
  ): Promise<[number, number, string]>
  confirmSend(key: string, member: string): Promise<number>
  recordOnce(
    markKey: string,
    logKey: string,
    counterKey: string,
    ...args: (string | number)[]
  ): Promise<number>
}

/** Cache entries read or written per command. */
const ENTRY_BATCH = 1000

export class RedisStore implements SharedStore {
  readonly kind = 'redis' as const
  private readonly redis: RedisClient & ScriptCommands

  constructor(options: RedisStoreOptions) {
    const redis = createRedisConnection(options)
    redis.defineCommand('deleteIfEquals', { numberOfKeys: 1, lua: DELETE_IF_EQUALS })
    redis.defineCommand('extendIfEquals', { numberOfKeys: 1, lua: EXTEND_IF_EQUALS })
    redis.defineCommand('incrementWithTtl', { numberOfKeys: 1, lua: INCREMENT })
    redis.defineCommand('incrementUnless', { numberOfKeys: 2, lua: INCREMENT_UNLESS })
    // The number of keys is given per call (it varies).
    redis.defineCommand('putEntriesIfNewer', { lua: PUT_ENTRIES_IF_NEWER })
    redis.defineCommand('reserveSend', { numberOfKeys: 3, lua: RESERVE_SEND })
    redis.defineCommand('slowDown', { numberOfKeys: 1, lua: SLOW_DOWN })
    redis.defineCommand('readPace', { numberOfKeys: 1, lua: READ_PACE })
    redis.defineCommand('admitToWindow', { numberOfKeys: 2, lua: ADMIT_TO_WINDOW })
    redis.defineCommand('confirmSend', { numberOfKeys: 1, lua: CONFIRM_SEND })
    redis.defineCommand('recordOnce', { numberOfKeys: 3, lua: RECORD_ONCE })
    this.redis = redis as RedisClient & ScriptCommands
  }

  /** Waits until the first connection is up (or fails), so start-up can report Redis' state. */
  connected(timeoutMs = 2000): Promise<boolean> {
    return waitUntilReady(this.redis, timeoutMs)
  }

  get(key: string): Promise<string | null> {
    return this.run(() => this.redis.get(key))
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))))
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.redis.del(key))
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    return (await this.run(() => this.redis.deleteIfEquals(key, expected))) === 1
  }

  async extendIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs))
    return (await this.run(() => this.redis.extendIfEquals(key, expected, ttl))) === 1
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.run(() => this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))
    return reply === 'OK'
  }

  async reserveSend(keys: LimiterKeys, pace: PaceSettings, maxWaitMs: number): Promise<SendReservation> {
    const member = randomUUID()
    const [granted, waitUs, admitted, rate] = await this.run(() =>
      this.redis.reserveSend(
        keys.slot,
        keys.log,
        keys.pace,
        pace.ratePerSecond,
        Math.ceil(pace.windowMs * 1000),
        Math.max(0, Math.floor(maxWaitMs * 1000)),
        member,
      ),
    )
    return {
      granted: granted === 1,
      waitMs: waitUs / 1000,
      ...(admitted ? { ticket: admitted } : {}),
      rateInForce: Number(rate),
    }
  }

  async slowDown(paceKey: string, pace: PaceSettings, pacedAt: number): Promise<PaceChange> {
    const [cut, rate] = await this.run(() => this.redis.slowDown(paceKey, pace.ratePerSecond, pacedAt))
    return { cut: cut === 1, rateInForce: Number(rate) }
  }

  async paceInForce(paceKey: string, pace: PaceSettings): Promise<number> {
    return Number(await this.run(() => this.redis.readPace(paceKey, pace.ratePerSecond)))
  }

  async admitToWindow(keys: Pick<LimiterKeys, 'log' | 'pace'>, pace: PaceSettings): Promise<WindowAdmission> {
    const ticket = randomUUID()
    const [admitted, waitUs, rate] = await this.run(() =>
      this.redis.admitToWindow(
        keys.log,
        keys.pace,
        pace.ratePerSecond,
        Math.ceil(pace.windowMs * 1000),
        ticket,
      ),
    )
    const rateInForce = Number(rate)
    return admitted === 1
      ? { granted: true, waitMs: 0, ticket, rateInForce }
      : { granted: false, waitMs: waitUs / 1000, rateInForce }
  }

  async confirmSend(key: string, ticket: string): Promise<void> {
    await this.run(() => this.redis.confirmSend(key, ticket))
  }

  async getEntries(keys: readonly string[]): Promise<(string | null)[]> {
    const values: (string | null)[] = []
    // MGET in slices: one reply of thousands of values at once would hold up every other command. On a
    // cluster the keys of one call must share a slot: callers pass the keys of one tenant (one hash tag).
    for (let start = 0; start < keys.length; start += ENTRY_BATCH) {
      const slice = keys.slice(start, start + ENTRY_BATCH)
      for (const value of await this.run(() => this.redis.mget(...slice))) values.push(value)
    }
    return values
  }

  async putEntries(entries: readonly CacheEntryWrite[]): Promise<void> {
    for (let start = 0; start < entries.length; start += ENTRY_BATCH) {
      const slice = entries.slice(start, start + ENTRY_BATCH)
      const args = slice.flatMap((entry) => [
        entry.generation,
        Math.max(1, Math.ceil(entry.ttlMs)),
        entry.value,
      ])
      await this.run(() =>
        this.redis.putEntriesIfNewer(slice.length, ...slice.map((entry) => entry.key), ...args),
      )
    }
  }

  async logAppend(key: string, fields: Readonly<Record<string, string>>, keepMs: number): Promise<string> {
    // MINID with '~' lets Redis trim whole nodes (cheap); entries a little older than keepMs may stay.
    const [time] = await this.run(() => this.redis.time())
    const oldest = Math.max(0, Number(time) * 1000 - keepMs)
    const id = await this.run(() =>
      this.redis.xadd(key, 'MINID', '~', String(oldest), '*', ...Object.entries(fields).flat()),
    )
    return id as string
  }

  async logRead(key: string, afterId: string | null, limit: number): Promise<LogEntry[]> {
    const start = afterId === null ? '-' : `(${afterId}`
    const entries = await this.run(() => this.redis.xrange(key, start, '+', 'COUNT', limit))
    return entries.map(([id, flat]) => {
      const fields: Record<string, string> = {}
      for (let index = 0; index + 1 < flat.length; index += 2)
        fields[flat[index] as string] = flat[index + 1] as string
      return { id, fields }
    })
  }

  async recordOnce({ markKey, markTtlMs, log, counter }: OnceRecord): Promise<number | null> {
    const entries = log?.entries ?? []
    const fields = entries.flatMap((entry) => {
      const pairs = Object.entries(entry)
      return [pairs.length, ...pairs.flat()]
    })
    // The keys not used are given as the mark itself: on a cluster every key of a script shares a slot.
    const counted = await this.run(() =>
      this.redis.recordOnce(
        markKey,
        log?.key ?? markKey,
        counter?.key ?? markKey,
        Math.max(1, Math.ceil(markTtlMs)),
        Math.max(0, Math.floor(log?.keepMs ?? 0)),
        counter ? Math.max(1, Math.ceil(counter.ttlMs)) : '',
        entries.length,
        ...fields,
      ),
    )
    return counted < 0 ? null : counted
  }

  async indexAdd(key: string, member: string, score: number, ttlMs: number): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .zadd(key, score, member)
        .pexpire(key, Math.max(1, Math.ceil(ttlMs)))
        .exec(),
    )
  }

  async indexAddMany(key: string, members: readonly string[], score: number, ttlMs: number): Promise<void> {
    // In slices: one ZADD of thousands of members would hold up every other command.
    for (let start = 0; start < members.length; start += ENTRY_BATCH) {
      const slice = members.slice(start, start + ENTRY_BATCH).flatMap((member) => [score, member])
      await this.run(() =>
        this.redis
          .multi()
          .zadd(key, ...slice)
          .pexpire(key, Math.max(1, Math.ceil(ttlMs)))
          .exec(),
      )
    }
  }

  async indexTrim(key: string, minScore: number): Promise<void> {
    await this.run(() => this.redis.zremrangebyscore(key, '-inf', `(${minScore}`))
  }

  indexRange(key: string, limit: number): Promise<string[]> {
    return this.run(() => this.redis.zrevrange(key, 0, Math.max(0, limit - 1)))
  }

  async indexRemove(key: string, member: string): Promise<void> {
    await this.run(() => this.redis.zrem(key, member))
  }

  increment(key: string, by: number, ttlMs: number): Promise<number> {
    return this.run(() => this.redis.incrementWithTtl(key, by, Math.max(1, Math.ceil(ttlMs))))
  }

  async incrementUnless(key: string, unlessKey: string, by: number, ttlMs: number): Promise<number | null> {
    const [counted, value] = await this.run(() =>
      this.redis.incrementUnless(key, unlessKey, by, Math.max(1, Math.ceil(ttlMs))),
    )
    return counted === 1 ? (value as number) : null
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping())
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return
    try {
      await this.redis.quit()
    } catch {
      this.redis.disconnect()
    }
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (error) {
      // A ReplyError is Redis refusing a command (a bug here), not Redis being away: let it surface.
      if (error instanceof Error && error.name === 'ReplyError') throw error
      throw new StoreUnavailableError(error)
    }
  }
}
