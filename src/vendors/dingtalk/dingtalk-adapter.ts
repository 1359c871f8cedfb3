// DingTalk: POST /attendance/list?access_token=…, paged with offset + limit until hasMore is false.
import type { FastifyBaseLogger as Logger } from 'fastify'
import type {
  Block,
  BlockResult,
  FetchOptions,
  SourceAdapter,
  VendorLimits,
} from '../../attendance/source.js'
import type { DingTalkSourceConfig } from '../../config/source-config.js'
import type { SecretRedactor } from '../../logging/secret-redactor.js'
import { formatWorkDate } from '../../time/work-date.js'
import type { VendorCaller } from '../common/vendor-caller.js'
import { VendorError } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'
import { dingTalkVerdict } from './dingtalk-verdict.js'
import { normalizeDingTalkRecords } from './normalize.js'
import type { DingTalkRecord } from './types.js'

/** workDateFrom and workDateTo "at most 7 days apart": read strictly as 7 days inclusive. */
export const DINGTALK_LIMITS: VendorLimits = { maxUsersPerCall: 50, maxDaysPerCall: 7 }
const PAGE_SIZE = 50
// A vendor whose hasMore never turns false must not loop forever: 50 users × 7 days × a few checks a day
// is far below this many rows.
const MAX_PAGES = 200

interface Page {
  rows: DingTalkRecord[]
  hasMore: boolean
}

export class DingTalkAdapter implements SourceAdapter {
  readonly limits = DINGTALK_LIMITS

  constructor(
    readonly config: DingTalkSourceConfig,
    private readonly caller: VendorCaller,
    private readonly log: Logger,
    private readonly onClose: () => void,
  ) {}

  async fetchBlock(block: Block, options: FetchOptions): Promise<BlockResult> {
    const rows: DingTalkRecord[] = []
    for (let offset = 0, page = 0; ; offset += PAGE_SIZE, page++) {
      if (page >= MAX_PAGES) {
        throw new VendorError('VENDOR_BAD_RESPONSE', `DingTalk kept saying hasMore after ${MAX_PAGES} pages`)
      }
      const { rows: pageRows, hasMore } = await this.caller.callWithToken(
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
            ...(this.config.isI18n ? { isI18n: 'true' } : {}),
          },
        }),
        readPage,
        {
          signal: options.signal,
          deadline: options.deadline,
          countCall: options.countCall,
          log: options.log,
        },
      )
      rows.push(...pageRows)
      if (!hasMore) break
    }
    const outcome = normalizeDingTalkRecords(rows, {
      source: this.config.id,
      timezone: this.config.timezone,
      includeRaw: options.includeRaw,
    })
    if (outcome.skippedRows > 0) {
      this.log.warn(
        { source: this.config.id, skippedRows: outcome.skippedRows },
        'DingTalk rows without user or date',
      )
    }
    // DingTalk does not report unknown users: they simply have no rows.
    return { days: outcome.days, invalidUserIds: [], unauthorizedUserIds: [] }
  }

  async close(): Promise<void> {
    this.onClose()
  }
}

function readPage(response: VendorResponse): Page {
  const body = dingTalkVerdict(response, 'attendance/list')
  const rows = body.recordresult ?? []
  if (!Array.isArray(rows)) {
    throw new VendorError(
      'VENDOR_BAD_RESPONSE',
      'DingTalk attendance/list answered a recordresult that is not a list',
      {
        vendorCode: 0,
        retryable: true,
      },
    )
  }
  return { rows: rows as DingTalkRecord[], hasMore: body.hasMore === true }
}

/** Reads the gettoken answer; bad credentials come back as HTTP 200 with a non-zero errcode. */
export function readDingTalkToken(response: VendorResponse, redactor: SecretRedactor) {
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
  redactor.add(token)
  return { token, expiresInSeconds: expiresIn }
}
