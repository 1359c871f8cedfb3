// One side of a Feishu segment (a `records[]` entry) and how a segment is put back together from its two
// sides, in the key order data.ts gives it. Shared by the day overrides and by the checks made so far, which
// both change sides and must keep the segment shaped as the vendor's: a side without a record has the
// record id "" and no record object.
import type { FeishuCheckResult, FeishuSupplement, FeishuTaskRecord, FeishuUserFlow } from './types.js'

export type FeishuSide = 'in' | 'out'
export const FEISHU_SIDES: ReadonlyArray<FeishuSide> = ['in', 'out']

/** A check as one side of a segment carries it. */
export interface FeishuCheck {
  result: FeishuCheckResult
  supplement: FeishuSupplement
  record: FeishuUserFlow | undefined
}

export const checkOf = (record: FeishuTaskRecord, side: FeishuSide): FeishuCheck => ({
  result: record[`check_${side}_result`],
  supplement: record[`check_${side}_result_supplement`],
  record: record[`check_${side}_record`],
})

/** The segment with these two sides; its schedule and shift type are kept. */
export function segmentWith(
  record: FeishuTaskRecord,
  checkIn: FeishuCheck,
  checkOut: FeishuCheck,
): FeishuTaskRecord {
  return {
    check_in_record_id: checkIn.record?.record_id ?? '',
    ...(checkIn.record && { check_in_record: checkIn.record }),
    check_out_record_id: checkOut.record?.record_id ?? '',
    ...(checkOut.record && { check_out_record: checkOut.record }),
    check_in_result: checkIn.result,
    check_out_result: checkOut.result,
    check_in_result_supplement: checkIn.supplement,
    check_out_result_supplement: checkOut.supplement,
    check_in_shift_time: record.check_in_shift_time,
    check_out_shift_time: record.check_out_shift_time,
    task_shift_type: record.task_shift_type,
  }
}
