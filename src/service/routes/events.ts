// The vendors' webhooks: POST /events/feishu/{sourceId} and POST /events/dingtalk/{sourceId}. No API key:
// the vendor's crypto authenticates each request (Verification Token, and with an Encrypt Key the
// signature over the raw body; DingTalk's signature and AES envelope with the appKey as owner). Forged,
// unsigned, wrongly encrypted, stale and replayed requests are refused with a 4xx and change nothing, and
// are counted against their client address, never against the source (event-admission.ts). An
// accepted event is applied before it is answered (deduplicated on its event id across replicas): success
// only once its effects are in the shared store, else 503 with Retry-After, which the vendor retries on,
// as Stripe's and GitHub's webhook consumers do.
import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { DingTalkSourceConfig, FeishuSourceConfig } from '../../config/source-config.js'
import type { SourceEvent } from '../../domain/events/event-effects.js'
import {
  EventMalformedError,
  EventNotAppliedError,
  EventRefusedError,
  EventReplayedError,
  EventsFailuresLimitedError,
  EventsNotEnabledError,
  EventsRateLimitedError,
} from '../../errors/errors.js'
import { ErrorResponse } from '../../schemas/error.js'
import { bodyRefusals, headersTooLarge, retryAfter, serviceUnavailable } from '../../schemas/responses.js'
import { BREAKER_DEFAULTS } from '../../store/resilient-store.js'
import { StoreUnavailableError } from '../../store/shared-store.js'
import { EventCryptoError, sameSignature } from '../../vendors/common/event-crypto-error.js'
import { decryptDingtalk, dingtalkReply, verifyDingtalkSignature } from '../../vendors/dingtalk/crypto.js'
import { dingtalkApprovalIds, dingtalkEventDays } from '../../vendors/dingtalk/events.js'
import { decryptFeishu, verifyFeishuSignature } from '../../vendors/feishu/crypto.js'
import { type FeishuEnvelope, feishuEventDays, isForApp } from '../../vendors/feishu/events.js'

/** Event bodies are small; a vendor never sends more. */
const EVENT_BODY_LIMIT = 256 * 1024
/** A request timestamp further than this from now is stale (the vendors sign each push afresh). */
const MAX_SKEW_MS = 5 * 60 * 1000
/** A signed request seen again within this long is a replay. */
const REPLAY_WINDOW_MS = 2 * MAX_SKEW_MS
/** A vendor told to retry should not come back before the store's circuit breaker probes Redis again. */
const STORE_RETRY_AFTER_SECONDS = Math.ceil(BREAKER_DEFAULTS.openMs / 1000)

const Params = Type.Object({
  sourceId: Type.String({
    maxLength: 32,
    description: 'The source id, as configured; its `events.mode` is `webhook`.',
  }),
})

const refusals = {
  400: { ...ErrorResponse, description: 'Not an event this service can read (`ATT_EVENT_MALFORMED`).' },
  401: {
    ...ErrorResponse,
    description:
      'Not from the vendor: a wrong token or signature, or a stale timestamp (`ATT_EVENT_REFUSED`).',
  },
  404: {
    ...ErrorResponse,
    description: 'The source does not take webhook events (`ATT_EVENTS_NOT_ENABLED`).',
  },
  409: { ...ErrorResponse, description: 'A replay of a request already received (`ATT_EVENT_REPLAYED`).' },
  429: {
    ...ErrorResponse,
    description:
      'More events a minute for the source than EVENTS_RATE_LIMIT_PER_MINUTE (counted once they passed the check), or more refused requests a minute from this client address than EVENTS_FAILURES_PER_MINUTE (`ATT_EVENTS_RATE_LIMITED`, with `Retry-After`).',
    headers: retryAfter(),
  },
  ...serviceUnavailable(
    '`ATT_STORE_UNAVAILABLE`: the event was not applied, the shared store (Redis) is not answering. The vendor delivers it again; nothing of it was acknowledged.',
  ),
  ...bodyRefusals(`${EVENT_BODY_LIMIT / 1024} KiB`),
  ...headersTooLarge,
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

function parseJson(bytes: Buffer | string): Record<string, unknown> {
  try {
    const value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8')) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {}
  throw new EventMalformedError('the body is not a JSON object')
}

const replayKey = (sourceId: string, signature: string) => `event-request:{${sourceId}}:${signature}`

/** A request that passed the vendor's check: what to answer, and the event to apply first, if any. */
interface Checked<Answer> {
  answer: Answer
  event?: SourceEvent
  /** The request's signature, remembered against replays (none for an unsigned Feishu request). */
  signature?: string
}

/** The refusals a forger earns: counted against the client address. */
const isRefusal = (error: unknown) =>
  error instanceof EventRefusedError ||
  error instanceof EventMalformedError ||
  error instanceof EventReplayedError

/** The one answer to a request that is not a readable event of this source, whatever the reason. */
const notForThisSource = () => new EventRefusedError('not a signed event of this source')

function isFresh(timestampMs: number): boolean {
  return Number.isFinite(timestampMs) && Math.abs(Date.now() - timestampMs) <= MAX_SKEW_MS
}

const eventRoutes: FastifyPluginAsync = async (fastify) => {
  const { admission } = fastify.events
  // The raw bytes: Feishu signs the body as sent, and a re-serialised body would not verify.
  fastify.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'buffer', bodyLimit: EVENT_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  )

  const sourceOf = <V extends 'feishu' | 'dingtalk'>(vendor: V, id: string) => {
    const source = fastify.queryService.adapterOf(id)?.config
    if (!source || source.vendor !== vendor || source.events.mode !== 'webhook') {
      throw new EventsNotEnabledError(id, `${vendor} webhook`)
    }
    return source as V extends 'feishu' ? FeishuSourceConfig : DingTalkSourceConfig
  }

  /** A signed request is used once: its signature (over timestamp and nonce) is remembered a while. */
  const firstSight = async (sourceId: string, signature: string) => {
    const fresh = await fastify.store.setIfAbsent(replayKey(sourceId, signature), '1', REPLAY_WINDOW_MS)
    if (!fresh) throw new EventReplayedError()
  }
  const forget = (sourceId: string, signature: string) =>
    fastify.store.delete(replayKey(sourceId, signature)).catch(() => {})

  /**
   * Applies the event before the answer: the vendor is told success only once the effects are in the
   * shared store (well within its 1.5 s or 3 s: the store's breaker bounds a hung Redis to one command
   * timeout). Otherwise 503 and the vendor delivers it again; the request's replay mark is dropped so that
   * a redelivery of the very same request is taken too.
   */
  const applyNow = async (event: SourceEvent, reply: FastifyReply, signature: string | undefined) => {
    try {
      await fastify.events.effects.apply(event)
    } catch (error) {
      fastify.metrics.event(event.source, event.type, 'failed')
      if (signature) await forget(event.source, signature)
      if (!(error instanceof StoreUnavailableError)) throw error
      fastify.log.warn(
        { source: event.source, eventId: event.eventId, eventType: event.type },
        'vendor event not applied: the shared store is not answering; the vendor is told to retry',
      )
      reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
      throw new EventNotAppliedError(STORE_RETRY_AFTER_SECONDS)
    }
  }

  /**
   * The vendor's check, with its failures counted against the client address: an address past its
   * failures of the minute is refused before any check, and only what passed is counted for the source.
   */
  const checkedRequest = async <Answer>(
    request: FastifyRequest,
    reply: FastifyReply,
    sourceId: string,
    check: () => Checked<Answer>,
  ): Promise<Checked<Answer>> => {
    const address = request.ip
    if (!(await admission.addressAllowed(address))) {
      reply.header('retry-after', String(admission.secondsLeft()))
      throw new EventsFailuresLimitedError(admission.secondsLeft())
    }
    try {
      const checked = check()
      if (checked.signature) await firstSight(sourceId, checked.signature)
      return checked
    } catch (error) {
      if (isRefusal(error)) await admission.countFailure(address)
      throw error
    }
  }

  /** Checks the request, then counts and applies its event (if any) before the answer. */
  const take = async <Answer>(
    request: FastifyRequest,
    reply: FastifyReply,
    sourceId: string,
    check: () => Checked<Answer>,
  ): Promise<Answer> => {
    const { answer, event, signature } = await checkedRequest(request, reply, sourceId, check)
    if (!event) return answer
    if (!(await admission.admitEvent(sourceId))) {
      if (signature) await forget(sourceId, signature)
      reply.header('retry-after', String(admission.secondsLeft()))
      throw new EventsRateLimitedError(sourceId)
    }
    await applyNow(event, reply, signature)
    return answer
  }

  const refused = (source: string, type: string, error: Error): never => {
    fastify.metrics.event(source, type, 'refused')
    throw error
  }

  /** Feishu's checks: the signature over the raw body (with an Encrypt Key), then the Verification Token. */
  const checkFeishu = (request: FastifyRequest, source: FeishuSourceConfig): Checked<object> => {
    const raw = request.body as Buffer
    const { encryptKey, verificationToken = '' } = source.events
    let payload = parseJson(raw)
    let signature: string | undefined
    if (encryptKey) {
      // The signature is checked before anything is decrypted, and every failure up to a readable event
      // gets the same answer: CBC has no integrity of its own, and telling a bad padding from a bad
      // signature would let a captured body be decrypted by trial.
      const timestamp = header(request, 'x-lark-request-timestamp')
      const nonce = header(request, 'x-lark-request-nonce')
      signature = header(request, 'x-lark-signature')
      if (typeof payload.encrypt !== 'string') return refused(source.id, 'unknown', notForThisSource())
      if (signature !== undefined) {
        if (!verifyFeishuSignature(timestamp, nonce, encryptKey, raw, signature)) {
          return refused(source.id, 'unknown', notForThisSource())
        }
        if (!isFresh(Number(timestamp) * 1000)) {
          return refused(source.id, 'unknown', new EventRefusedError('X-Lark-Request-Timestamp is stale'))
        }
      }
      try {
        payload = parseJson(decryptFeishu(payload.encrypt, encryptKey))
      } catch (error) {
        if (!(error instanceof EventCryptoError) && !(error instanceof EventMalformedError)) throw error
        return refused(source.id, 'unknown', notForThisSource())
      }
      // Only the URL verification may come unsigned (some deployments sign it, others not): its
      // Verification Token decides below.
      if (signature === undefined && payload.type !== 'url_verification') {
        return refused(source.id, 'unknown', notForThisSource())
      }
    } else if (typeof payload.encrypt === 'string') {
      return refused(
        source.id,
        'unknown',
        new EventRefusedError('the body is encrypted but no events.encryptKey is set'),
      )
    }

    if (payload.type === 'url_verification') {
      if (!sameSignature(verificationToken, typeof payload.token === 'string' ? payload.token : undefined)) {
        return refused(
          source.id,
          'url_verification',
          new EventRefusedError('the Verification Token does not match'),
        )
      }
      return { answer: { challenge: String(payload.challenge ?? '') }, signature }
    }
    const envelope = payload as FeishuEnvelope
    const type = typeof envelope.header?.event_type === 'string' ? envelope.header.event_type : 'unknown'
    if (envelope.schema !== '2.0' || !envelope.header) {
      return refused(source.id, type, new EventMalformedError('not a schema 2.0 event'))
    }
    const token = typeof envelope.header.token === 'string' ? envelope.header.token : undefined
    if (!sameSignature(verificationToken, token)) {
      return refused(source.id, type, new EventRefusedError('the Verification Token does not match'))
    }
    if (!isForApp(envelope, source)) return refused(source.id, type, notForThisSource())
    const eventId = envelope.header.event_id
    if (typeof eventId !== 'string' || eventId === '') {
      return refused(source.id, type, new EventMalformedError('header.event_id is missing'))
    }
    const event = { source: source.id, eventId, type, days: feishuEventDays(envelope, source) }
    return { answer: {}, event, signature }
  }

  type DingTalkSuccess = ReturnType<typeof dingtalkReply>

  /** DingTalk's checks: the signature over the query and body, then the AES envelope for the appKey. */
  const checkDingtalk = (request: FastifyRequest, source: DingTalkSourceConfig): Checked<DingTalkSuccess> => {
    const query = request.query as Record<string, string | undefined>
    const signature = query.signature ?? query.msg_signature
    const timestamp = query.timestamp ?? query.timeStamp
    const nonce = query.nonce
    const body = parseJson(request.body as Buffer)
    const encrypt = typeof body.encrypt === 'string' ? body.encrypt : undefined
    const { token = '', aesKey = '' } = source.events
    if (!verifyDingtalkSignature(token, timestamp, nonce, encrypt, signature)) {
      return refused(source.id, 'unknown', new EventRefusedError('the signature does not match'))
    }
    if (!isFresh(Number(timestamp))) {
      return refused(source.id, 'unknown', new EventRefusedError('the timestamp is stale'))
    }
    let payload: Record<string, unknown>
    try {
      payload = parseJson(decryptDingtalk(encrypt as string, aesKey, source.appKey))
    } catch (error) {
      if (!(error instanceof EventCryptoError)) throw error
      return refused(source.id, 'unknown', new EventRefusedError('the body does not decrypt for this app'))
    }
    const success = dingtalkReply(
      'success',
      token,
      aesKey,
      source.appKey,
      String(Date.now()),
      randomBytes(8).toString('hex'),
    )
    const type = typeof payload.EventType === 'string' ? payload.EventType : 'unknown'
    if (type === 'check_url') return { answer: success, signature }
    const eventId = payload.eventId ?? payload.EventId
    if (typeof eventId !== 'string' || eventId === '') {
      return refused(source.id, type, new EventMalformedError('eventId is missing'))
    }
    const event = {
      source: source.id,
      eventId,
      type,
      days: dingtalkEventDays(type, payload, source),
      approvalIds: dingtalkApprovalIds(type, payload),
    }
    return { answer: success, event, signature }
  }

  fastify.post(
    '/events/feishu/:sourceId',
    {
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        operationId: 'receiveFeishuEvent',
        tags: ['events'],
        summary: 'Feishu / Lark event subscription (request URL)',
        description:
          "The request URL of the app's event subscription: answers the URL verification, checks the Verification Token, and with an Encrypt Key decrypts the body and checks `X-Lark-Signature`. No API key.",
        security: [],
        params: Params,
        response: {
          200: Type.Object(
            {
              challenge: Type.Optional(
                Type.String({
                  description: "The URL verification's challenge, echoed; absent for an event.",
                }),
              ),
            },
            { title: 'FeishuEventAnswer' },
          ),
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const { sourceId } = request.params as { sourceId: string }
      const source = sourceOf('feishu', sourceId)
      return take(request, reply, source.id, () => checkFeishu(request, source))
    },
  )

  fastify.post(
    '/events/dingtalk/:sourceId',
    {
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        operationId: 'receiveDingtalkEvent',
        tags: ['events'],
        summary: 'DingTalk event subscription (HTTP push)',
        description:
          "The HTTP push URL of the app's event subscription: checks the signature of the query's timestamp and nonce, decrypts the body with the EncodingAESKey (owner: the appKey), and answers `check_url` and every event with the encrypted `success`. No API key.",
        security: [],
        params: Params,
        querystring: Type.Object({
          signature: Type.Optional(Type.String({ maxLength: 128 })),
          msg_signature: Type.Optional(Type.String({ maxLength: 128 })),
          timestamp: Type.Optional(Type.String({ maxLength: 32 })),
          timeStamp: Type.Optional(Type.String({ maxLength: 32 })),
          nonce: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          200: Type.Object(
            {
              msg_signature: Type.String({ description: 'The signature of the encrypted `success`.' }),
              timeStamp: Type.String({ description: 'Milliseconds since the epoch, as a string.' }),
              nonce: Type.String({ description: 'A random string, part of the signature.' }),
              encrypt: Type.String({ description: '`success`, encrypted with the EncodingAESKey.' }),
            },
            { title: 'DingTalkEventAnswer' },
          ),
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const { sourceId } = request.params as { sourceId: string }
      const source = sourceOf('dingtalk', sourceId)
      return take(request, reply, source.id, () => checkDingtalk(request, source))
    },
  )
}

export default eventRoutes
