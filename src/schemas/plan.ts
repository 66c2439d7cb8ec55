import { type Static, Type } from '@sinclair/typebox'

export const PlanSchema = Type.Object({
  DevOpsPlanID: Type.Integer(),
  PlanName: Type.String(),
  JobName: Type.Union([Type.String(), Type.Null()], { description: 'default Jenkins job of the plan, if any' }),
  JenkinsName: Type.Union([Type.String(), Type.Null()], { description: 'the Jenkins instance it runs on; null = the default (JENKINS_URL)' })
})
export type Plan = Static<typeof PlanSchema>
