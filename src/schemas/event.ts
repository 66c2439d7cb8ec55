import { type Static, Type } from '@sinclair/typebox'

const SOURCES = ['api', 'callback', 'poller', 'webhook', 'cancel', 'otlp']
export const EventSourceSchema = Type.Union(SOURCES.map((s) => Type.Literal(s)), {
  description: 'who reported the change: api (Build/add), callback (Build/update), poller, webhook, cancel, ' +
    'otlp (Jenkins\' OpenTelemetry spans)'
})

/** One accepted change of a build or of one of its stages (GET /Build/events). */
export const BuildEventSchema = Type.Object({
  EventID: Type.Integer({ description: 'increasing across all builds; resume after it with AfterEventID' }),
  Time: Type.Integer({ description: 'when the change was recorded (Unix seconds)' }),
  Source: EventSourceSchema,
  StageName: Type.String({ description: '"" for the build itself' }),
  Status: Type.String({ description: 'the status after the change' }),
  Detail: Type.Record(Type.String(), Type.Unknown(), { description: 'the Detail keys this change set' })
})
export type BuildEvent = Static<typeof BuildEventSchema>

/** The `data:` of one Server-Sent Event of GET /events. */
export const StreamEventSchema = Type.Object({
  EventID: Type.Integer(),
  ProductID: Type.Integer(),
  DevOpsPlanID: Type.Integer(),
  BuildIndex: Type.Integer(),
  StageName: Type.String(),
  Status: Type.String(),
  Source: Type.String(),
  Time: Type.Integer()
})
export type StreamEvent = Static<typeof StreamEventSchema>
