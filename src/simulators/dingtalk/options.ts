import {
  type Check,
  COMMON_DEFAULTS,
  COMMON_RUNTIME_CHECKS,
  COMMON_START_CHECKS,
  type CommonRuntimeOptions,
  type CommonStartOptions,
  checks,
} from '../shared/options.js'

export interface DingTalkRuntimeOptions extends CommonRuntimeOptions {
  /** '90018': errcode 90018. '88': errcode 88 with sub_code "90018", as also seen in practice. */
  rateLimitVariant: '90018' | '88'
}

export interface DingTalkSimulatorOptions extends DingTalkRuntimeOptions, CommonStartOptions {
  appKey: string
  appSecret: string
  /** userIds starting with this are unknown to the corp: they give no rows (not an error). */
  unknownUserPrefix: string
}

export const DINGTALK_DEFAULTS: DingTalkSimulatorOptions = {
  ...COMMON_DEFAULTS,
  appKey: 'simulator-key',
  appSecret: 'simulator-secret',
  rateLimitPerSecond: 20,
  rateLimitVariant: '90018',
  unknownUserPrefix: 'unknown_',
}

export const DINGTALK_RUNTIME_CHECKS: Record<keyof DingTalkRuntimeOptions, Check> = {
  ...COMMON_RUNTIME_CHECKS,
  rateLimitVariant: checks.oneOf('90018', '88'),
}

export const DINGTALK_START_CHECKS: Record<keyof DingTalkSimulatorOptions, Check> = {
  ...DINGTALK_RUNTIME_CHECKS,
  ...COMMON_START_CHECKS,
  appKey: checks.nonEmptyString,
  appSecret: checks.nonEmptyString,
  unknownUserPrefix: checks.nonEmptyString,
}

export const DINGTALK_RUNTIME_KEYS = Object.keys(DINGTALK_RUNTIME_CHECKS) as Array<
  keyof DingTalkRuntimeOptions
>
