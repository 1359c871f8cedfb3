// The process's temporary files (synchronous CSV/XLSX answers, export files before they are stored) as
// `fastify.tempFiles`; the directory is removed when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { TempFiles } from '../../../domain/formats/temp-files.js'

declare module 'fastify' {
  interface FastifyInstance {
    tempFiles: TempFiles
  }
}

async function tempFilesPlugin(fastify: FastifyInstance) {
  const files = new TempFiles()
  fastify.decorate('tempFiles', files)
  fastify.addHook('onClose', async () => files.removeAll())
}

export default fp(tempFilesPlugin, { name: 'temp-files' })
