// The Feishu simulator: tenant_access_token/internal and attendance user_tasks/query over HTTP, with the
// vendor's limits, token lifecycle and rate limit, and the configured faults.
import type { Counters } from '../shared/counters.js'
import { listenSimulator } from '../shared/http-server.js'
import { checkPatch, pickKeys } from '../shared/options.js'
import { SimulatorRuntime } from '../shared/runtime.js'
import {
  FEISHU_DEFAULTS,
  FEISHU_RUNTIME_CHECKS,
  FEISHU_RUNTIME_KEYS,
  FEISHU_START_CHECKS,
  type FeishuRuntimeOptions,
  type FeishuSimulatorOptions,
} from './options.js'
import { createFeishuAnswerer } from './query.js'
import { feishuRoutes } from './routes.js'
import { createFeishuTokenStore } from './tokens.js'

export interface FeishuSimulator {
  /** e.g. http://127.0.0.1:40123, no trailing slash; use it as the Feishu base URL. */
  url: string
  port: number
  credentials: { appId: string; appSecret: string }
  counters(): Counters
  resetCounters(): void
  /** Revokes every token issued so far; returns how many there were. */
  revokeAllTokens(): number
  /** Changes faults, rate limit and token settings while running; throws SimulatorOptionsError. */
  configure(patch: Partial<FeishuRuntimeOptions>): void
  config(): FeishuRuntimeOptions
  close(): Promise<void>
}

/** Starts a Feishu simulator; options are checked first (SimulatorOptionsError). */
export async function startFeishuSimulator(
  given: Partial<FeishuSimulatorOptions> = {},
): Promise<FeishuSimulator> {
  const options: FeishuSimulatorOptions = {
    ...FEISHU_DEFAULTS,
    ...checkPatch<FeishuSimulatorOptions>(given, FEISHU_START_CHECKS),
  }
  const runtime = new SimulatorRuntime(() => options, options.faultSeed)
  const tokens = createFeishuTokenStore(options.tokenClock)
  const controls = {
    counters: () => runtime.stats.snapshot(),
    resetCounters: () => runtime.stats.reset(),
    revokeAllTokens: () => tokens.revokeAll(),
    // Copies, so that neither a caller's patch nor a returned config can change the options behind our back.
    configure: (patch: unknown) => {
      Object.assign(options, structuredClone(checkPatch<FeishuRuntimeOptions>(patch, FEISHU_RUNTIME_CHECKS)))
    },
    config: () => structuredClone(pickKeys(options, FEISHU_RUNTIME_KEYS)),
  }
  const routes = feishuRoutes({ options, runtime, tokens, answer: createFeishuAnswerer(options) })
  const server = await listenSimulator(options, runtime, routes, controls)
  return {
    url: server.url,
    port: server.port,
    credentials: { appId: options.appId, appSecret: options.appSecret },
    ...controls,
    close: server.close,
  }
}
