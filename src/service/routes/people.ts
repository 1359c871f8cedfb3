// GET /people: the people of PEOPLE_FILE with their accounts, as far as the caller's key may see them (an
// account at a source the key may not read is left out, and a person with no account left is not listed).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { mayReadSource } from '../../config/api-keys.js'
import { accessErrorResponses, apiKeySecurity } from '../../schemas/access.js'
import { headersTooLarge, serviceUnavailable } from '../../schemas/responses.js'

const Person = Type.Object(
  {
    id: Type.String({ description: "The person's id: the caller's own key, e.g. an employee number." }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'The name PEOPLE_FILE gives, or null.' }),
    accounts: Type.Array(Type.String(), {
      description:
        'The accounts (`source:userId`) at sources this key may read; `users=person:<id>` asks for them all.',
    }),
  },
  { title: 'Person' },
)

const peopleRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/people',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        operationId: 'listPeople',
        tags: ['people'],
        summary: 'The people of PEOPLE_FILE and their accounts',
        description:
          'People who have accounts at one or more sources (a transfer from the subsidiary to head office, say). Query them with `users=person:<id>`; summaries group them with `groupBy=person`. Empty without PEOPLE_FILE.',
        security: apiKeySecurity,
        response: {
          200: Type.Object(
            { people: Type.Array(Person, { description: 'By person id; empty without PEOPLE_FILE.' }) },
            { title: 'PeopleList' },
          ),
          ...accessErrorResponses,
          ...serviceUnavailable(),
          ...headersTooLarge,
        },
      },
    },
    async (request) => ({
      people: fastify.people.list().flatMap((person) => {
        const accounts = person.accounts
          .filter((account) => mayReadSource(request.apiKey, account.source))
          .map((account) => `${account.source}:${account.userId}`)
        return accounts.length > 0 ? [{ id: person.id, name: person.name, accounts }] : []
      }),
    }),
  )
}

export default peopleRoutes
