// The people of PEOPLE_FILE as `fastify.people`: checked against the configured sources when the app is
// built (a bad file stops the start-up, as a bad sources file does), and reloaded by server.ts on SIGHUP.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { PeopleDirectory } from '../../../domain/people/people-directory.js'

declare module 'fastify' {
  interface FastifyInstance {
    people: PeopleDirectory
  }
}

async function peoplePlugin(fastify: FastifyInstance) {
  const { config } = fastify
  const directory = new PeopleDirectory(
    config.people,
    config.sources.map((source) => source.id),
    config.peopleFile,
  )
  if (config.peopleFile) fastify.log.info({ people: directory.size }, 'people loaded from PEOPLE_FILE')
  fastify.decorate('people', directory)
}

export default fp(peoplePlugin, { name: 'people' })
