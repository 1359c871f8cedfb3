// The DingTalk simulator's change events (`events` in its options and in PATCH /__sim/config), as the
// app's HTTP push subscription in the developer console: the URL, the token and the EncodingAESKey, and
// the owner key the plaintext ends with (the appKey for console subscriptions). Without a webhookUrl no
// webhook delivery happens.
import { eventChecks } from '../shared/event-delivery.js'
import { checks } from '../shared/options.js'

export interface DingTalkEventOptions {
  /** The HTTP push URL: every event is POSTed here with ?signature&timestamp&nonce. */
  webhookUrl?: string
  /** The console's token (3–32 letters and digits); required with webhookUrl. */
  token?: string
  /** The console's EncodingAESKey (43 base64 characters); required with webhookUrl. */
  aesKey?: string
  /** The owner key of the plaintext; default the simulator's appKey. */
  appKey?: string
}

const TOKEN = /^[A-Za-z0-9]{3,32}$/
const AES_KEY = /^[A-Za-z0-9+/]{43}$/

export const dingTalkEventsCheck = eventChecks.object(
  {
    webhookUrl: eventChecks.url,
    token: (value) =>
      typeof value === 'string' && TOKEN.test(value) ? null : 'must be 3 to 32 letters and digits',
    aesKey: (value) =>
      typeof value === 'string' && AES_KEY.test(value) ? null : 'must be 43 base64 characters',
    appKey: checks.nonEmptyString,
  },
  (events) =>
    events.webhookUrl !== undefined && (events.token === undefined || events.aesKey === undefined)
      ? 'needs token and aesKey with webhookUrl (every DingTalk push is signed and encrypted)'
      : null,
)
