// How a vendor with a connection mode (Feishu long connection, DingTalk stream) hands out one delivery of
// an event: to one of the app's connected clients, chosen at random (Feishu: "each event goes to one random
// connected client"), then it waits for that client's ack. It is the `deliver` of an EventOutbox
// (event-delivery.ts), which owns the faults, the retry, the counters and the ack timeout (its signal).
// A refusal, a dropped connection or the signal fails the attempt. Every attempt has a message id of its
// own, so a late ack of an attempt given up on changes nothing.
import { DeliveryError } from './event-delivery.js'
import type { Random } from './prng.js'

export type DeliveryOutcome = 'pending' | 'acked' | 'refused' | 'timeout' | 'disconnected'

/** One delivery as the simulator saw it, for tests: which client got it and what came of it. */
export interface ConnectionAttempt {
  eventId: string
  messageId: string
  connectionId: string
  outcome: DeliveryOutcome
}

interface InFlight {
  record: ConnectionAttempt
  settle: (outcome: DeliveryOutcome) => void
}

export class ConnectionPool<Message> {
  readonly #connections = new Set<string>()
  readonly #inFlight = new Map<string, InFlight>()
  readonly #attempts: ConnectionAttempt[] = []
  #nextMessage = 1

  /** `send` puts one attempt on one connection (it throws when that connection is gone). */
  constructor(
    private readonly random: Random,
    private readonly send: (connectionId: string, message: Message) => void,
  ) {}

  get connectionIds(): string[] {
    return [...this.#connections]
  }

  /** Every attempt so far, oldest first (copies). */
  attempts(): ConnectionAttempt[] {
    return this.#attempts.map((attempt) => ({ ...attempt }))
  }

  connected(connectionId: string): void {
    this.#connections.add(connectionId)
  }

  /** A connection is gone: what it had not acked has failed (the outbox may send it again). */
  disconnected(connectionId: string): void {
    this.#connections.delete(connectionId)
    for (const flight of [...this.#inFlight.values()]) {
      if (flight.record.connectionId === connectionId) flight.settle('disconnected')
    }
  }

  /** One attempt; `build` makes its message from its message id. Resolves on the ack, throws otherwise. */
  deliver(eventId: string, build: (messageId: string) => Message, signal: AbortSignal): Promise<void> {
    const ids = [...this.#connections]
    if (ids.length === 0) return Promise.reject(new DeliveryError('no client is connected'))
    const connectionId = ids[Math.floor(this.random() * ids.length)] as string
    const messageId = `msg-${this.#nextMessage++}`
    const record: ConnectionAttempt = { eventId, messageId, connectionId, outcome: 'pending' }
    this.#attempts.push(record)
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => settle('timeout')
      const settle = (outcome: DeliveryOutcome) => {
        if (!this.#inFlight.delete(messageId)) return
        signal.removeEventListener('abort', onAbort)
        record.outcome = outcome
        if (outcome === 'acked') resolve()
        else reject(new DeliveryError(`${connectionId}: ${outcome}`))
      }
      this.#inFlight.set(messageId, { record, settle })
      if (signal.aborted) return settle('timeout')
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        this.send(connectionId, build(messageId))
      } catch {
        settle('disconnected')
      }
    })
  }

  /** The client's answer to one attempt; an unknown or settled message id changes nothing. */
  answered(messageId: string, ok: boolean): void {
    this.#inFlight.get(messageId)?.settle(ok ? 'acked' : 'refused')
  }
}
