// DayResults for the format unit tests, shaped as the normalizers give them: a Feishu day with an overtime
// segment and a Chinese name, a DingTalk day whose check-out is missing, a day without segments, and a day
// whose texts a spreadsheet would run as formulas. Not a test file.
import type { Check, DayResult } from '../../src/schemas/day-result.js'

export function check(overrides: Partial<Check> = {}): Check {
  return {
    result: 'normal',
    vendorResult: 'Normal',
    scheduledAt: '2024-05-06T09:00:00+08:00',
    checkedAt: '2024-05-06T08:55:32+08:00',
    recordId: '7681310666921984601',
    approvalId: null,
    resultSupplement: 'None',
    locationName: '西溪八方城',
    locationResult: null,
    vendorLocationResult: null,
    method: 'user',
    vendorMethod: '0',
    ...overrides,
  }
}

export const feishuDay: DayResult = {
  source: 'feishu',
  vendor: 'feishu',
  userId: 'ou_1',
  employeeName: '孙洋',
  workDate: '2024-05-06',
  timezone: 'Asia/Shanghai',
  groupId: '6737202939523236112',
  shiftId: '6753520403404030217',
  segments: [
    {
      overtime: false,
      checkIn: check(),
      checkOut: check({
        result: 'early',
        vendorResult: 'Early',
        scheduledAt: '2024-05-06T18:00:00+08:00',
        checkedAt: '2024-05-06T17:40:00+08:00',
        recordId: '7681310666921984602',
      }),
    },
    {
      overtime: true,
      checkIn: check({
        scheduledAt: '2024-05-06T18:00:00+08:00',
        checkedAt: '2024-05-06T17:40:00+08:00',
        recordId: '7681310666921984602',
      }),
      checkOut: check({
        scheduledAt: '2024-05-06T21:00:00+08:00',
        checkedAt: '2024-05-06T21:30:09+08:00',
        recordId: '7681310666921984603',
        locationName: '客户现场·上海虹桥',
        locationResult: 'outside',
        method: 'quick_check',
        vendorMethod: '6',
      }),
    },
  ],
  fetchedAt: '2024-05-07T10:00:01+08:00',
}

export const dingtalkDay: DayResult = {
  source: 'dingtalk',
  vendor: 'dingtalk',
  userId: 'manager4321',
  employeeName: null,
  workDate: '2024-05-06',
  timezone: 'Asia/Shanghai',
  groupId: '20451894',
  shiftId: null,
  segments: [
    {
      overtime: false,
      checkIn: check({
        result: 'late',
        vendorResult: 'Late',
        checkedAt: '2024-05-06T09:14:52+08:00',
        recordId: '2221526641122066',
        approvalId: '04cb270e-9995-c173-543f-cdae4756f086',
        resultSupplement: null,
        locationName: null,
        locationResult: 'normal',
        vendorLocationResult: 'Normal',
        method: 'user',
        vendorMethod: 'USER',
      }),
      checkOut: null,
    },
  ],
  fetchedAt: '2024-05-07T10:00:02+08:00',
}

/** A day the vendor reported with no shift segment at all (and, as a day read before fetchedAt, none). */
export const emptyDay: DayResult = {
  source: 'feishu',
  vendor: 'feishu',
  userId: 'ou_2',
  employeeName: '王芳',
  workDate: '2024-05-07',
  timezone: 'Asia/Shanghai',
  groupId: '1',
  shiftId: '9',
  segments: [],
}

/** Texts starting with each of OWASP's formula characters. */
export const FORMULA_TEXTS = [
  '=HYPERLINK("http://evil.example","点我")',
  '+1+2',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1',
  '\r=1',
] as const

export const formulaDay: DayResult = {
  source: 'feishu',
  vendor: 'feishu',
  userId: '@sum',
  employeeName: '=1+1',
  workDate: '2024-05-08',
  timezone: 'America/New_York',
  groupId: '-1',
  shiftId: '+9',
  segments: [
    {
      overtime: false,
      checkIn: check({
        scheduledAt: '2024-05-08T09:00:00-04:00',
        checkedAt: '2024-05-08T08:59:59-04:00',
        locationName: FORMULA_TEXTS[0],
      }),
      checkOut: check({
        scheduledAt: '2024-05-08T18:00:00-04:00',
        checkedAt: '2024-05-08T18:00:01-04:00',
        locationName: FORMULA_TEXTS[4],
        resultSupplement: FORMULA_TEXTS[5],
      }),
    },
  ],
  fetchedAt: '2024-05-09T00:30:00-04:00',
}
