import { z } from 'zod';

/** The query the source sends: one run of one project, with what the catalog needs. */
export const runQuery = `query CairnRun($entity: String!, $project: String!, $run: String!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) {
      id name displayName state config summaryMetrics tags group jobType commit createdAt heartbeatAt
    }
  }
}`;

const optionalText = z.string().nullish();

/** A run as the GraphQL API returns it; `config` and `summaryMetrics` are JSON strings. */
export const wandbRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  displayName: optionalText,
  state: optionalText,
  config: optionalText,
  summaryMetrics: optionalText,
  tags: z.array(z.string()).nullish(),
  group: optionalText,
  jobType: optionalText,
  commit: optionalText,
  createdAt: optionalText,
  heartbeatAt: optionalText,
});
/** See {@link wandbRunSchema}. */
export type WandbRun = z.infer<typeof wandbRunSchema>;

/** The whole response: `data.project.run`, where a null project or run means "not found". */
export const runResponseSchema = z.object({
  data: z
    .object({
      project: z.object({ run: wandbRunSchema.nullable() }).nullable(),
    })
    .nullish(),
  errors: z.array(z.object({ message: z.string() }).loose()).optional(),
});
