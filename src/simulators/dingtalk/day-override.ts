// A DingTalk day override: replaces fields of the generated rows of one user's day, one entry per check
// point, e.g. {"checks": {"OnDuty": {"timeResult": "Late", "userCheckTime": 1715058300000}}}. Fields:
// timeResult, userCheckTime (epoch ms), locationResult, sourceType; a check point left out keeps its row.
// The rows stay shaped as the vendor's (data.ts): a row made NotSigned loses recordId and sourceType and
// has userCheckTime = baseCheckTime and locationResult NotSigned; a NotSigned row made a check gets its
// recordId, sourceType USER and locationResult Normal unless given. Values that contradict that shape are
// refused rather than served.
import { SimulatorDayError } from '../shared/day-overrides.js'
import { isPlainObject } from '../shared/vendor-reply.js'
import {
  DINGTALK_LOCATION_RESULTS,
  DINGTALK_SOURCE_TYPES,
  DINGTALK_TIME_RESULTS,
  type DingTalkLocationResult,
  type DingTalkRow,
  type DingTalkSourceType,
  type DingTalkTimeResult,
} from './types.js'

export interface DingTalkCheckOverride {
  timeResult?: DingTalkTimeResult
  userCheckTime?: number
  locationResult?: DingTalkLocationResult
  sourceType?: DingTalkSourceType
}

export interface DingTalkDayOverride {
  checks: Partial<Record<DingTalkRow['checkType'], DingTalkCheckOverride>>
}

const oneOf = (allowed: ReadonlyArray<string>) => (value: unknown) =>
  typeof value === 'string' && allowed.includes(value) ? null : `must be one of ${allowed.join(', ')}`
const FIELD_CHECKS: Record<keyof DingTalkCheckOverride, (value: unknown) => string | null> = {
  timeResult: oneOf(DINGTALK_TIME_RESULTS),
  userCheckTime: (value) =>
    Number.isSafeInteger(value) && (value as number) >= 0 ? null : 'must be epoch ms (an integer ≥ 0)',
  locationResult: oneOf(DINGTALK_LOCATION_RESULTS),
  sourceType: oneOf(DINGTALK_SOURCE_TYPES),
}

/**
 * The rows of the day with the override applied. `generated` are the day's rows in check-point order;
 * `recordIdOf(index)` gives the recordId of check point `index`. Throws a SimulatorDayError naming every
 * problem.
 */
export function overrideDingTalkDay(
  generated: ReadonlyArray<DingTalkRow>,
  override: unknown,
  recordIdOf: (index: number) => number,
): DingTalkRow[] {
  if (!isPlainObject(override) || !isPlainObject(override.checks))
    throw new SimulatorDayError(
      'the override must be a JSON object {"checks": {"OnDuty": {…}, "OffDuty": {…}}}',
    )
  const problems: string[] = []
  for (const key of Object.keys(override))
    if (key !== 'checks') problems.push(`${key} is not a field of a DingTalk day override (allowed: checks)`)
  const checks = override.checks
  const present = new Set(generated.map((row) => row.checkType))
  for (const checkType of Object.keys(checks))
    if (!present.has(checkType as DingTalkRow['checkType']))
      problems.push(
        `checks.${checkType}: the day has no ${checkType} row (it has ${[...present].join(', ')})`,
      )
  const rows = generated.map((row, index) => {
    const change = Object.hasOwn(checks, row.checkType) ? checks[row.checkType] : undefined
    return change === undefined ? row : changedRow(row, change, recordIdOf(index), problems)
  })
  if (problems.length > 0) throw new SimulatorDayError(problems.join('; '))
  return rows
}

function changedRow(row: DingTalkRow, change: unknown, recordId: number, problems: string[]): DingTalkRow {
  const path = `checks.${row.checkType}`
  if (!isPlainObject(change)) {
    problems.push(`${path} must be an object of fields (${Object.keys(FIELD_CHECKS).join(', ')})`)
    return row
  }
  for (const [field, value] of Object.entries(change)) {
    const check = Object.hasOwn(FIELD_CHECKS, field)
      ? FIELD_CHECKS[field as keyof DingTalkCheckOverride]
      : undefined
    const problem = check
      ? check(value)
      : `is not a field here (allowed: ${Object.keys(FIELD_CHECKS).join(', ')})`
    if (problem) problems.push(`${path}.${field} ${problem}`)
  }
  const given = change as DingTalkCheckOverride
  const timeResult = given.timeResult ?? row.timeResult
  if (timeResult === 'NotSigned') {
    if (given.locationResult !== undefined && given.locationResult !== 'NotSigned')
      problems.push(`${path}.locationResult must be NotSigned on a NotSigned check`)
    if (given.userCheckTime !== undefined && given.userCheckTime !== row.baseCheckTime)
      problems.push(
        `${path}.userCheckTime must equal baseCheckTime (${row.baseCheckTime}) on a NotSigned check`,
      )
    if (given.sourceType !== undefined) problems.push(`${path}.sourceType: a NotSigned check has none`)
    const { recordId: _recordId, sourceType: _sourceType, ...kept } = row
    return { ...kept, locationResult: 'NotSigned', timeResult, userCheckTime: row.baseCheckTime }
  }
  if (given.locationResult === 'NotSigned')
    problems.push(`${path}.locationResult NotSigned belongs to NotSigned checks only`)
  const wasSigned = row.timeResult !== 'NotSigned'
  return {
    ...row,
    locationResult: given.locationResult ?? (wasSigned ? row.locationResult : 'Normal'),
    recordId: row.recordId ?? recordId,
    sourceType: given.sourceType ?? row.sourceType ?? 'USER',
    timeResult,
    userCheckTime: given.userCheckTime ?? row.userCheckTime,
  }
}
