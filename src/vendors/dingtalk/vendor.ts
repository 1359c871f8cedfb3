// DingTalk, whole: POST /attendance/list?access_token=… for up to 50 users and 7 days, paged with offset +
// limit until hasMore is false, authorized by an access_token from GET /gettoken.
import type { DingTalkSourceConfig } from '../../config/source-config.js'
import { formatWorkDate } from '../../platform/time/work-date.js'
import { VendorError } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'
import type { VendorDefinition } from '../vendor-definition.js'
import { normalizeDingTalkRecords } from './normalize.js'
import type { DingTalkRecord } from './types.js'
import { dingTalkVerdict } from './verdict.js'

const PAGE_SIZE = 50
/**
 * A generous bound on the rows one user has on one work day: one per scheduled check point, and DingTalk
 * groups allow at most three shifts (six points) a day; twice that leaves room for corrections. A vendor
 * whose hasMore never turns false stops at users × days × this, as an error, never as a truncation.
 */
export const MAX_ROWS_PER_USER_DAY = 12

interface Page {
  rows: DingTalkRecord[]
  hasMore: boolean
}

export const dingTalkVendor: VendorDefinition<DingTalkSourceConfig> = {
  vendor: 'dingtalk',
  // workDateFrom and workDateTo "at most 7 days apart": read strictly as 7 days inclusive.
  limits: { maxUsersPerCall: 50, maxDaysPerCall: 7, rowsPerPage: PAGE_SIZE },
  appIdentity: (config) => config.appKey,
  vendorCodeOf: (body) => (body as { errcode?: unknown }).errcode,

  tokenRequest: (config) => ({
    endpoint: 'gettoken',
    method: 'GET',
    path: '/gettoken',
    searchParams: { appkey: config.appKey, appsecret: config.appSecret },
  }),

  /** Bad credentials come back as HTTP 200 with a non-zero errcode. */
  readToken(response) {
    const body = dingTalkVerdict(response, 'gettoken')
    const { access_token: token, expires_in: expiresIn } = body as {
      access_token?: unknown
      expires_in?: unknown
    }
    if (typeof token !== 'string' || typeof expiresIn !== 'number') {
      throw new VendorError('VENDOR_BAD_RESPONSE', 'DingTalk answered gettoken without a token', {
        vendorCode: 0,
        retryable: true,
      })
    }
    return { token, expiresInSeconds: expiresIn }
  },

  async fetchBlock(block, options, { config, call, log }) {
    const rows: DingTalkRecord[] = []
    const askedAt = Date.now()
    const days = block.to - block.from + 1
    const maxPages = Math.ceil((block.userIds.length * days * MAX_ROWS_PER_USER_DAY) / PAGE_SIZE) + 1
    // Each page is its own call with its own retries: a page that fails is asked again from its own
    // offset, and the pages before it are never fetched twice.
    for (let page = 0; ; page++) {
      if (page >= maxPages) {
        throw new VendorError(
          'VENDOR_BAD_RESPONSE',
          `DingTalk kept saying hasMore after ${maxPages} pages (${rows.length} rows for ${block.userIds.length} users × ${days} days, more than ${MAX_ROWS_PER_USER_DAY} a user-day)`,
        )
      }
      const offset = page * PAGE_SIZE
      const { rows: pageRows, hasMore } = await call(
        (token) => ({
          endpoint: 'attendance/list',
          method: 'POST',
          path: '/attendance/list',
          searchParams: { access_token: token },
          json: {
            // The whole day is returned whatever the time part.
            workDateFrom: `${formatWorkDate(block.from)} 00:00:00`,
            workDateTo: `${formatWorkDate(block.to)} 00:00:00`,
            userIdList: block.userIds,
            offset,
            limit: PAGE_SIZE,
            ...(config.isI18n ? { isI18n: 'true' } : {}),
          },
        }),
        readPage,
      )
      for (const row of pageRows) rows.push(row)
      if (!hasMore) break
    }
    const outcome = normalizeDingTalkRecords(rows, {
      source: config.id,
      timezone: config.timezone,
      includeRaw: options.includeRaw,
      // A check point due after the first page was asked for is pending on every page, never missing.
      answeredAt: askedAt,
    })
    if (outcome.skippedRows > 0) {
      log.warn({ source: config.id, skippedRows: outcome.skippedRows }, 'DingTalk rows without user or date')
    }
    return {
      days: outcome.days,
      // DingTalk does not report unknown users: they simply have no rows.
      invalidUserIds: [],
      unauthorizedUserIds: [],
      rows: rows.length,
      warnings:
        outcome.daysOffMidnight > 0 ? [{ code: 'TIMEZONE_MISMATCH', count: outcome.daysOffMidnight }] : [],
    }
  },
}

function readPage(response: VendorResponse): Page {
  const body = dingTalkVerdict(response, 'attendance/list')
  const rows = body.recordresult ?? []
  if (!Array.isArray(rows)) {
    throw new VendorError(
      'VENDOR_BAD_RESPONSE',
      'DingTalk attendance/list answered a recordresult that is not a list',
      { vendorCode: 0, retryable: true },
    )
  }
  // Anything but a boolean would otherwise end the block silently after this page, or loop.
  if (typeof body.hasMore !== 'boolean') {
    throw new VendorError(
      'VENDOR_BAD_RESPONSE',
      `DingTalk attendance/list answered hasMore ${JSON.stringify(body.hasMore) ?? 'undefined'}, not true or false`,
      { vendorCode: 0, retryable: true },
    )
  }
  return { rows: rows as DingTalkRecord[], hasMore: body.hasMore }
}
