// The DingTalk simulator: legacy gettoken and attendance/list over HTTP, with the vendor's limits, token
// lifecycle and rate limit, and the configured faults.
import type { Counters } from '../shared/counters.js'
import { listenSimulator } from '../shared/http-server.js'
import { checkPatch, pickKeys } from '../shared/options.js'
import { SimulatorRuntime } from '../shared/runtime.js'
import {
  DINGTALK_DEFAULTS,
  DINGTALK_RUNTIME_CHECKS,
  DINGTALK_RUNTIME_KEYS,
  DINGTALK_START_CHECKS,
  type DingTalkRuntimeOptions,
  type DingTalkSimulatorOptions,
} from './options.js'
import { createDingTalkLister } from './query.js'
import { dingTalkRoutes } from './routes.js'
import { createDingTalkTokenStore } from './tokens.js'

export interface DingTalkSimulator {
  /** e.g. http://127.0.0.1:40124, no trailing slash; use it as the DingTalk base URL. */
  url: string
  port: number
  credentials: { appKey: string; appSecret: string }
  counters(): Counters
  resetCounters(): void
  /** Revokes every token issued so far; returns how many there were. */
  revokeAllTokens(): number
  /** Changes faults, rate limit and token settings while running; throws SimulatorOptionsError. */
  configure(patch: Partial<DingTalkRuntimeOptions>): void
  config(): DingTalkRuntimeOptions
  close(): Promise<void>
}

/** Starts a DingTalk simulator; options are checked first (SimulatorOptionsError). */
export async function startDingTalkSimulator(
  given: Partial<DingTalkSimulatorOptions> = {},
): Promise<DingTalkSimulator> {
  const options: DingTalkSimulatorOptions = {
    ...DINGTALK_DEFAULTS,
    ...checkPatch<DingTalkSimulatorOptions>(given, DINGTALK_START_CHECKS),
  }
  const runtime = new SimulatorRuntime(() => options, options.faultSeed)
  const tokens = createDingTalkTokenStore(options.tokenClock)
  const controls = {
    counters: () => runtime.stats.snapshot(),
    resetCounters: () => runtime.stats.reset(),
    revokeAllTokens: () => tokens.revokeAll(),
    // Copies, so that neither a caller's patch nor a returned config can change the options behind our back.
    configure: (patch: unknown) => {
      Object.assign(
        options,
        structuredClone(checkPatch<DingTalkRuntimeOptions>(patch, DINGTALK_RUNTIME_CHECKS)),
      )
    },
    config: () => structuredClone(pickKeys(options, DINGTALK_RUNTIME_KEYS)),
  }
  const routes = dingTalkRoutes({ options, runtime, tokens, list: createDingTalkLister(options) })
  const server = await listenSimulator(options, runtime, routes, controls)
  return {
    url: server.url,
    port: server.port,
    credentials: { appKey: options.appKey, appSecret: options.appSecret },
    ...controls,
    close: server.close,
  }
}
