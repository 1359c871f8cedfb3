// The Feishu simulator's change events (`events` in its options and in PATCH /__sim/config), as the app's
// event subscription in the developer console: the request URL, the Verification Token and the optional
// Encrypt Key. Without a webhookUrl no webhook delivery happens.
import { eventChecks } from '../shared/event-delivery.js'
import { checks } from '../shared/options.js'

export interface FeishuEventOptions {
  /** The request URL: every event is POSTed here (webhook mode). */
  webhookUrl?: string
  /** The app's Verification Token, sent as `header.token`; required with webhookUrl. */
  verificationToken?: string
  /** The app's Encrypt Key: bodies are `{encrypt}` and signed (X-Lark-Signature); without it plain, unsigned. */
  encryptKey?: string
  /** Also send `attendance.user_flow.created_v1` for each check a change made (default false: one event a change). */
  flowEvents?: boolean
}

export const feishuEventsCheck = eventChecks.object(
  {
    webhookUrl: eventChecks.url,
    verificationToken: checks.nonEmptyString,
    encryptKey: checks.nonEmptyString,
    flowEvents: checks.boolean,
  },
  (events) =>
    events.webhookUrl !== undefined && events.verificationToken === undefined
      ? 'needs verificationToken with webhookUrl (every Feishu event carries the token)'
      : null,
)
