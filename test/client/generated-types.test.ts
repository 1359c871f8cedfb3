// The typed client's types (test/client/openapi.ts) are what openapi-typescript makes of the committed
// document, so the client cannot drift from it: test/routes/openapi.test.ts holds the committed document
// to the served one, this test holds the types to the committed document, and `npm run typecheck` holds
// the client's calls (typed-client.test.ts) to the types.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { CLIENT_TYPES_FILE, clientTypesSource } from '../../scripts/openapi-client-types.js'

t.test(
  'the committed test/client/openapi.ts is what openapi-typescript generates from openapi/openapi.json (run `npm run openapi` after a change)',
  async (t) => {
    const documentJson = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8')
    const generated = await clientTypesSource(documentJson)
    t.ok(generated.includes('export interface paths {'), 'the generator wrote the paths')
    t.equal(committed, generated)
  },
)
