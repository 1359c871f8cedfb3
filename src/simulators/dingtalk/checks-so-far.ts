// DingTalk rows as they stand at a moment. attendance/list answers one row per scheduled check point even
// before it comes, and a row's userCheckTime is the actual punch (vendor-docs/FACTS.md): a check point whose
// check has not happened is served as the page's NotSigned example shows an unsigned row — timeResult and
// locationResult NotSigned, userCheckTime = baseCheckTime, no recordId — and without a sourceType or an
// approval, which only a check that happened carries. Every other row is as the whole day has it, so a day
// only ever fills in.
import type { DingTalkRow } from './types.js'

/** The rows as they stand at `nowMs` (epoch ms): a row whose userCheckTime is later is not signed yet. */
export function dingTalkRowsSoFar(rows: readonly DingTalkRow[], nowMs: number): DingTalkRow[] {
  return rows.map((row) => (row.userCheckTime <= nowMs ? row : notSignedYet(row)))
}

/** The row of a check point that has not come, in the key order data.ts gives an unsigned row. */
function notSignedYet(row: DingTalkRow): DingTalkRow {
  const { baseCheckTime, checkType, corpId, groupId, id, planId, userId, workDate } = row
  return {
    baseCheckTime,
    checkType,
    corpId,
    groupId,
    id,
    planId,
    userId,
    workDate,
    locationResult: 'NotSigned',
    timeResult: 'NotSigned',
    userCheckTime: baseCheckTime,
  }
}
