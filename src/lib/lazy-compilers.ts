import type { FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown, schemaEnv?: unknown }

/**
 * Fastify's own compilers (ajv for validation, fast-json-stringify for answers), each route's code
 * built when the route first needs it instead of all at start: compiling the routes' schemas was
 * ~150 ms of a ~800 ms start and ~15 MB. A schema error then shows on the first request to that
 * route, which the test suite makes for every route.
 */
export function lazyCompilers (): CompilersFactory {
  // loaded on the first compile too: ajv and fast-json-stringify are ~100 modules
  const require = createRequire(import.meta.url)
  type BuildValidator = NonNullable<CompilersFactory['buildValidator']>
  type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>
  let validators: BuildValidator | undefined
  let serializers: BuildSerializer | undefined
  return {
    buildValidator: (externalSchemas, options) => {
      let compile: ReturnType<BuildValidator> | undefined
      return (route) => {
        let validate: Validate | undefined
        const lazy: Validate = (data, context) => {
          validators ??= (require('@fastify/ajv-compiler') as () => BuildValidator)()
          compile ??= validators(externalSchemas, options)
          validate ??= compile(route) as Validate
          const valid = validate(data, context)
          lazy.errors = validate.errors // Fastify reads the errors off the function it was given
          return valid
        }
        // as on Ajv's functions: Fastify then passes the parent, so Ajv may replace a root value
        lazy.schemaEnv = true
        return lazy as ReturnType<ReturnType<BuildValidator>>
      }
    },
    buildSerializer: (externalSchemas, options) => {
      let compile: ReturnType<BuildSerializer> | undefined
      return (route) => {
        let serialize: ((data: unknown) => string) | undefined
        return (data: unknown) => {
          serializers ??= (require('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)()
          compile ??= serializers(externalSchemas, options)
          serialize ??= compile(route)
          return serialize(data)
        }
      }
    }
  }
}
