// npm run openapi: regenerates openapi.yaml from the route schemas. test/openapi.test.ts fails
// when the committed file and the routes disagree, so run this after changing a route.
import { writeFileSync } from 'node:fs'
import { generateSpec } from './spec.js'
import { SPEC_FILE } from '../plugins/docs.js'

writeFileSync(SPEC_FILE, await generateSpec())
console.log(`wrote ${SPEC_FILE}`)
