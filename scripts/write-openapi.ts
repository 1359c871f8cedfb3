// npm run openapi: writes the OpenAPI document the app serves to openapi/openapi.json. A test fails when
// the committed file and the served document differ.
import { writeFile } from 'node:fs/promises'
import { openApiDocument } from '../src/openapi-document.js'

const document = await openApiDocument()
await writeFile(new URL('../openapi/openapi.json', import.meta.url), `${JSON.stringify(document, null, 2)}\n`)
console.log('wrote openapi/openapi.json')
