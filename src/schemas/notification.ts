import { type Static, Type } from '@sinclair/typebox'

/** What the Jenkins Notification plugin posts (Gson, lower_case_with_underscores, nulls omitted). */
export const NotificationSchema = Type.Object({
  name: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  build: Type.Object({
    phase: Type.String({ minLength: 1, description: 'QUEUED, STARTED, COMPLETED or FINALIZED' }),
    number: Type.Optional(Type.Integer({ minimum: 1 })),
    queue_id: Type.Optional(Type.Integer({ minimum: 1 })),
    full_url: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    timestamp: Type.Optional(Type.Integer({ minimum: 0 })),
    duration: Type.Optional(Type.Integer({ minimum: 0 })),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
  })
}, {
  examples: [{
    name: 'Test',
    url: 'job/Test/',
    build: {
      full_url: 'http://jenkins:8080/job/Test/7/',
      number: 7,
      queue_id: 123,
      phase: 'COMPLETED',
      timestamp: 1714380066135,
      duration: 60012,
      status: 'SUCCESS',
      url: 'job/Test/7/',
      parameters: { Branch: 'main', BuildIndex: '7', DevOpsPlanID: '1' }
    }
  }]
})
export type Notification = Static<typeof NotificationSchema>
