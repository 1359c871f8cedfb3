// The TypeScript types of the OpenAPI document, as openapi-typescript generates them for a client (the
// typed client in test/client/ is openapi-fetch over them). One function, so that `npm run openapi`
// writes the file and test/client/generated-types.test.ts checks it with the same generator and options:
// a committed file that is not what the committed document gives fails the test.
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'

/** Where the generated types are committed. */
export const CLIENT_TYPES_FILE = new URL('../test/client/openapi.ts', import.meta.url)

const REGENERATE = ' * Regenerated from openapi/openapi.json by `npm run openapi`.\n'

/** The generated file's text for the document's JSON text (as openapi/openapi.json holds it). */
export async function clientTypesSource(documentJson: string): Promise<string> {
  // The default options: what a new user of the document gets from `npx openapi-typescript`. `silent`:
  // the checks openapi-typescript runs print nothing (npm test runs Redocly's own lint apart).
  const ast = await openapiTS(documentJson, { silent: true })
  return `${COMMENT_HEADER.replace(' */', `${REGENERATE} */`)}${astToString(ast)}`
}
