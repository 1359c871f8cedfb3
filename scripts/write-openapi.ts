// npm run openapi: writes the OpenAPI document the app serves to openapi/openapi.json, and the types a
// generated client is built on (openapi-typescript) to test/client/openapi.ts. Tests fail when either
// committed file differs from what this would write.
import { writeFile } from 'node:fs/promises'
import { openApiDocument } from '../src/service/openapi-document.js'
import { CLIENT_TYPES_FILE, clientTypesSource } from './openapi-client-types.js'

const documentJson = `${JSON.stringify(await openApiDocument(), null, 2)}\n`
await writeFile(new URL('../openapi/openapi.json', import.meta.url), documentJson)
console.log('wrote openapi/openapi.json')
await writeFile(CLIENT_TYPES_FILE, await clientTypesSource(documentJson))
console.log('wrote test/client/openapi.ts')
