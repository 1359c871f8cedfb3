// What stays the same for a user from day to day: name, attendance group, shift and phone.
import { hexDigits, pickOne, randomFor, type Seed } from '../shared/prng.js'

const SURNAMES = ['张', '王', '李', '赵', '刘', '陈', '杨', '黄', '周', '吴', '徐', '孙'] as const
const GIVEN_NAMES = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '磊',
  '洋',
  '艳',
  '勇',
  '军',
  '杰',
  '婷',
  '强',
  '丽',
] as const
// Three attendance groups, each with its own shift; ids look like the vendor's 19-digit ids.
const GROUPS = [
  { groupId: '6737202939523236110', shiftId: '6753520403404030215', adminId: 'adm0a1b2' },
  { groupId: '6737202939523236111', shiftId: '6753520403404030216', adminId: 'adm3c4d5' },
  { groupId: '6737202939523236112', shiftId: '6753520403404030217', adminId: 'adm6e7f8' },
] as const

export interface FeishuPerson {
  employeeName: string
  groupId: string
  shiftId: string
  /** Who edits this person's records (record type 1). */
  adminId: string
  /** The phone that makes this person's app and quick checks. */
  deviceId: string
}

export function feishuPersonFor(seed: Seed, userId: string): FeishuPerson {
  const random = randomFor(seed, 'feishu-person', userId)
  const group = pickOne(random, GROUPS)
  return {
    employeeName: `${pickOne(random, SURNAMES)}${pickOne(random, GIVEN_NAMES)}`,
    groupId: group.groupId,
    shiftId: group.shiftId,
    adminId: group.adminId,
    deviceId: hexDigits(random, 64),
  }
}
