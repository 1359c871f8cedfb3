// A Feishu day as it stands at a moment. The vendor has records only of the punches that were made
// (vendor-docs/FACTS.md: a day that has not happened has no check_time), so a check whose moment has not
// come is served as `Todo` — the documented "未打卡" (not checked yet) of check_in_result / check_out_result —
// with no record, the record id "" and the supplement None. A check's moment is its punch's check_time, or
// its scheduled time when it has no punch (Lack, NoNeedCheck): a check the person will miss is not known
// to be missed before it was due. Every other check is as the whole day has it, so the day only ever
// fills in: what was served stays served.
import { checkOf, FEISHU_SIDES, type FeishuCheck, type FeishuSide, segmentWith } from './segment-shape.js'
import type { FeishuTaskRecord, FeishuUserTask } from './types.js'

const NOT_CHECKED_YET: FeishuCheck = { result: 'Todo', supplement: 'None', record: undefined }

/** The task as it stands at `nowMs` (epoch ms); the same task when every check's moment has come. */
export function feishuTaskSoFar(task: FeishuUserTask, nowMs: number): FeishuUserTask {
  return {
    ...task,
    records: task.records.map((record) => {
      const [checkIn, checkOut] = FEISHU_SIDES.map((side) => checkSoFar(record, side, nowMs))
      return segmentWith(record, checkIn as FeishuCheck, checkOut as FeishuCheck)
    }),
  }
}

function checkSoFar(record: FeishuTaskRecord, side: FeishuSide, nowMs: number): FeishuCheck {
  const check = checkOf(record, side)
  const momentSeconds = Number(check.record?.check_time ?? record[`check_${side}_shift_time`])
  return momentSeconds * 1000 <= nowMs ? check : NOT_CHECKED_YET
}
