// Options shared by both simulators, and the checks that guard them. Options arrive from code, from the
// CLI's environment and from `PATCH /__sim/config` as JSON, so every value is checked at run time and an
// unknown key is refused rather than silently ignored (a typo would otherwise disable a fault).

import type { Seed } from './prng.js'
import { assertTimeZone } from './zoned-clock.js'

/** A fixed delay, or one drawn uniformly from [min, max], in ms. */
export type Latency = number | { min: number; max: number }

/** Options that may change while the simulator runs (`configure`, `PATCH /__sim/config`). */
export interface CommonRuntimeOptions {
  /** Lifetime of a new token, in seconds. */
  tokenTtlSeconds: number
  /** Calls allowed per app in any sliding second, to each endpoint (each API has a window of its own). */
  rateLimitPerSecond: number
  /** Whether refused calls take a place in the window (the stricter default, true). */
  rateLimitCountsRefused: boolean
  /** Delay before every data-call answer. */
  latencyMs: Latency
  /** Share of data calls answered with the vendor's internal error, 0..1. */
  errorRate: number
  /** Share of data calls that hang: no answer, then the connection is dropped after `hangMs`. */
  hangRate: number
  hangMs: number
  /**
   * Share of data calls answered HTTP 200 with the vendor's answer cut off half-way (JSON that does not
   * parse), as a proxy that drops a body or a vendor bug would, 0..1.
   */
  malformedRate: number
  /**
   * Share of data calls answered with an HTML error page (HTTP 502, text/html) instead of the vendor's JSON,
   * as a gateway or load balancer in front of the vendor answers when the service behind it is away, 0..1.
   */
  htmlErrorRate: number
  /** Apply latency, errors, hangs, malformed answers and HTML pages to token calls too (default false). */
  faultsOnTokenCalls: boolean
}

/** Options fixed when the simulator starts. */
export interface CommonStartOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** The attendance group's zone: scheduled times are local wall-clock times there. */
  timezone: string
  /** Same seed, same data. */
  seed: Seed
  /** Same faultSeed and the same calls, same faults (latencies included): see faults.ts. */
  faultSeed: Seed
  /** Monotonic ms used for token lifetimes only; tests pass a manual clock to skip ahead (see createManualClock). */
  tokenClock: () => number
  /**
   * Monotonic ms at which a call arrives, for the rate limit and `peakPerSecond` (default performance.now).
   * A test passes a manual clock so that what counts as one second is its choice, not the machine's load.
   */
  rateClock: () => number
  /**
   * Epoch ms of "now" for the data (default Date.now): the checks of today made so far, and none of the days
   * after (checks-so-far in each vendor's folder); DingTalk's retention and monthly quota too. Tests pass a
   * manual clock to choose today.
   */
  dataClock: () => number
}

export const DEFAULT_SEED = 20240506
/** Fixed, so that a test with faults is the same in every run; pass another to see other faults. */
export const DEFAULT_FAULT_SEED = 20240601

export const COMMON_DEFAULTS: Omit<CommonRuntimeOptions & CommonStartOptions, 'rateLimitPerSecond'> = {
  host: '127.0.0.1',
  port: 0,
  timezone: 'Asia/Shanghai',
  seed: DEFAULT_SEED,
  faultSeed: DEFAULT_FAULT_SEED,
  tokenClock: () => performance.now(),
  rateClock: () => performance.now(),
  dataClock: () => Date.now(),
  tokenTtlSeconds: 7200,
  rateLimitCountsRefused: true,
  latencyMs: 0,
  errorRate: 0,
  hangRate: 0,
  hangMs: 60_000,
  malformedRate: 0,
  htmlErrorRate: 0,
  faultsOnTokenCalls: false,
}

export class SimulatorOptionsError extends TypeError {
  override name = 'SimulatorOptionsError'
}

/** Returns why a value is not acceptable, or null. */
export type Check = (value: unknown) => string | null

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

export const checks = {
  positiveInteger: (value: unknown) =>
    Number.isInteger(value) && (value as number) >= 1 ? null : 'must be an integer ≥ 1',
  nonNegativeInteger: (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) >= 0 ? null : 'must be an integer ≥ 0',
  nonNegativeNumber: (value: unknown) => (isNumber(value) && value >= 0 ? null : 'must be a number ≥ 0'),
  rate: (value: unknown) => (isNumber(value) && value >= 0 && value <= 1 ? null : 'must be a number in 0..1'),
  boolean: (value: unknown) => (typeof value === 'boolean' ? null : 'must be true or false'),
  nonEmptyString: (value: unknown) =>
    typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty string',
  port: (value: unknown) =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535
      ? null
      : 'must be an integer in 0..65535',
  seed: (value: unknown) =>
    isNumber(value) || typeof value === 'string' ? null : 'must be a number or a string',
  timezone: (value: unknown) => {
    if (typeof value !== 'string') return 'must be an IANA time zone name'
    try {
      assertTimeZone(value)
      return null
    } catch {
      return 'must be an IANA time zone name'
    }
  },
  function: (value: unknown) => (typeof value === 'function' ? null : 'must be a function'),
  latency: (value: unknown) => {
    if (isNumber(value)) return value >= 0 ? null : 'must be ≥ 0'
    if (typeof value === 'object' && value !== null) {
      const { min, max, ...rest } = value as Record<string, unknown>
      if (Object.keys(rest).length === 0 && isNumber(min) && isNumber(max) && min >= 0 && min <= max)
        return null
    }
    return 'must be a number of ms or {min, max} with 0 ≤ min ≤ max'
  },
  oneOf:
    (...allowed: ReadonlyArray<unknown>) =>
    (value: unknown) =>
      allowed.includes(value)
        ? null
        : `must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}`,
} satisfies Record<string, Check | ((...args: never[]) => Check)>

export const COMMON_RUNTIME_CHECKS: Record<keyof CommonRuntimeOptions, Check> = {
  tokenTtlSeconds: checks.positiveInteger,
  rateLimitPerSecond: checks.positiveInteger,
  rateLimitCountsRefused: checks.boolean,
  latencyMs: checks.latency,
  errorRate: checks.rate,
  hangRate: checks.rate,
  hangMs: checks.nonNegativeNumber,
  malformedRate: checks.rate,
  htmlErrorRate: checks.rate,
  faultsOnTokenCalls: checks.boolean,
}

export const COMMON_START_CHECKS: Record<keyof CommonStartOptions, Check> = {
  host: checks.nonEmptyString,
  port: checks.port,
  timezone: checks.timezone,
  seed: checks.seed,
  faultSeed: checks.seed,
  tokenClock: checks.function,
  rateClock: checks.function,
  dataClock: checks.function,
}

/**
 * Checks every key of `patch` against `allowed` and returns the checked entries; throws a
 * SimulatorOptionsError naming every problem. Keys whose value is undefined are skipped.
 */
export function checkPatch<T extends object>(patch: unknown, allowed: Record<string, Check>): Partial<T> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new SimulatorOptionsError('options must be an object')
  const problems: string[] = []
  const accepted: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    const check = Object.hasOwn(allowed, key) ? allowed[key] : undefined
    const problem = check
      ? check(value)
      : `is not an option here (allowed: ${Object.keys(allowed).join(', ')})`
    if (problem) problems.push(`${key} ${problem}`)
    else accepted[key] = value
  }
  if (problems.length > 0) throw new SimulatorOptionsError(problems.join('; '))
  return accepted as Partial<T>
}

/** The runtime options of a full option set, e.g. to show them on `GET /__sim/config`. */
export function pickKeys<T extends object, K extends keyof T>(source: T, keys: ReadonlyArray<K>): Pick<T, K> {
  const picked = {} as Pick<T, K>
  for (const key of keys) picked[key] = source[key]
  return picked
}
