// The connection modes of vendor change events as `fastify.eventConnections`: a Feishu long connection or
// a DingTalk stream per source that asks for one, started once the app is ready (a replica that cannot
// serve never takes events off the vendor) and closed with the app.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { EventConnection } from '../../../domain/events/event-connection.js'
import { startDingTalkStream } from '../../../vendors/dingtalk/stream.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventConnections: {
      /** For a source in a connection mode, whether this replica is connected now; null otherwise. */
      connected(sourceId: string): boolean | null
    }
  }
}

async function eventConnectionsPlugin(fastify: FastifyInstance) {
  const connections = new Map<string, EventConnection>()
  const deps = { effects: fastify.events.effects, log: fastify.log }
  const wanted = fastify.config.sources.filter(
    (source) => source.events.mode === 'long-connection' || source.events.mode === 'stream',
  )

  fastify.addHook('onReady', async () => {
    for (const source of wanted) {
      const connection =
        source.vendor === 'feishu'
          ? (await feishuLongConnection()).startFeishuLongConnection(source, deps)
          : startDingTalkStream(source, deps)
      connections.set(source.id, connection)
    }
  })
  fastify.addHook('onClose', async () => {
    await Promise.all([...connections.values()].map((connection) => connection.close()))
    connections.clear()
  })

  fastify.decorate('eventConnections', {
    connected: (sourceId: string) => {
      if (!wanted.some((source) => source.id === sourceId)) return null
      return connections.get(sourceId)?.connected() ?? false
    },
  })
}

export default fp(eventConnectionsPlugin, { name: 'event-connections', dependencies: ['events'] })

/** Feishu's SDK takes ~60 MiB once loaded: only a replica with a long-connection source loads it. */
function feishuLongConnection() {
  return import('../../../vendors/feishu/long-connection.js')
}
