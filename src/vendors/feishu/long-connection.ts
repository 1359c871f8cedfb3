// Feishu's long-connection mode: the official SDK's WSClient against the source's base URL, one connection
// per replica. The vendor gives each event to one connected client of the app, so the effect goes through
// the shared store (EventEffects): every replica's cache sees it. The SDK flattens the envelope's header
// and event into one object; it is rebuilt here so that feishuEventDays reads it as a webhook's.
import * as lark from '@larksuiteoapi/node-sdk'
import type { FastifyBaseLogger } from 'fastify'
import type { FeishuSourceConfig } from '../../config/source-config.js'
import type { EventConnection } from '../../domain/events/event-connection.js'
import type { EventEffects, SourceEvent } from '../../domain/events/event-effects.js'
import { FEISHU_FLOW_CREATED, FEISHU_TASK_UPDATED, feishuEventDays, isForApp } from './events.js'

/** The SDK's log lines as ours: its info lines are chatty (banners), so they go to debug. */
function sdkLogger(log: FastifyBaseLogger): lark.Logger {
  const text = (parts: unknown[]) =>
    parts
      .flat()
      .map((part) => (part instanceof Error ? part.message : String(part)))
      .join(' ')
  return {
    error: (...parts: unknown[]) => log.error(text(parts)),
    warn: (...parts: unknown[]) => log.warn(text(parts)),
    info: (...parts: unknown[]) => log.debug(text(parts)),
    debug: (...parts: unknown[]) => log.debug(text(parts)),
    trace: (...parts: unknown[]) => log.trace(text(parts)),
  }
}

/** The flattened event of the SDK back as a schema 2.0 envelope. */
function envelopeOf(data: Record<string, unknown>) {
  const {
    event_id,
    event_type,
    create_time,
    token: _token,
    app_id,
    tenant_key: _tenant,
    schema,
    ...event
  } = data
  return { schema: String(schema ?? '2.0'), header: { event_id, event_type, create_time, app_id }, event }
}

/**
 * The event an SDK delivery carries for the source, or why it is none: such a delivery is acknowledged
 * and changes nothing (there is nothing a redelivery could do better).
 */
export function connectionEvent(
  source: FeishuSourceConfig,
  type: string,
  data: Record<string, unknown>,
): SourceEvent | { ignored: string } {
  const envelope = envelopeOf({ ...data, event_type: type })
  const eventId = envelope.header.event_id
  if (typeof eventId !== 'string' || eventId === '') return { ignored: 'vendor event without an event_id' }
  if (!isForApp(envelope, source)) return { ignored: 'vendor event for another app' }
  return { source: source.id, eventId, type, days: feishuEventDays(envelope, source) }
}

export function startFeishuLongConnection(
  source: FeishuSourceConfig,
  deps: { effects: EventEffects; log: FastifyBaseLogger },
): EventConnection {
  const log = deps.log.child({ source: source.id, eventMode: 'long-connection' })
  const logger = sdkLogger(log)
  const handle = (type: string) => async (data: Record<string, unknown>) => {
    const event = connectionEvent(source, type, data)
    if ('ignored' in event) {
      log.warn({ eventType: type, appId: data.app_id }, `${event.ignored}: ignored`)
      return
    }
    // A throw (the shared store away included) makes the SDK ack with code 500, and the vendor delivers
    // the event again.
    await deps.effects.apply(event)
  }
  const dispatcher = new lark.EventDispatcher({ logger, loggerLevel: lark.LoggerLevel.info }).register({
    [FEISHU_TASK_UPDATED]: handle(FEISHU_TASK_UPDATED),
    [FEISHU_FLOW_CREATED]: handle(FEISHU_FLOW_CREATED),
  })
  const client = new lark.WSClient({
    appId: source.appId,
    appSecret: source.appSecret,
    domain: source.baseUrl,
    logger,
    loggerLevel: lark.LoggerLevel.info,
    autoReconnect: true,
    handshakeTimeoutMs: source.requestTimeoutMs,
    onReady: () => log.info('event connection up'),
    onReconnecting: () => log.warn('event connection lost: reconnecting'),
    onReconnected: () => log.info('event connection up again'),
    onError: (error) => log.error({ err: error }, 'event connection given up'),
  })
  void client.start({ eventDispatcher: dispatcher })
  return {
    sourceId: source.id,
    connected: () => client.getConnectionStatus().state === 'connected',
    close: async () => {
      client.close({ force: true })
    },
  }
}
