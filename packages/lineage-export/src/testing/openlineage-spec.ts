import { z } from 'zod';

// The checks of the OpenLineage 2-0-2 RunEvent schema, written from the spec (the schema file
// itself could not be fetched on this machine): what is required, the event types, and the
// formats (uuid, date-time, uri) of the fields this exporter writes, plus the two facets it
// uses (DatasetVersionDatasetFacet, ErrorMessageRunFacet).

const uri = z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'a URI');
const dateTime = z.iso.datetime({ offset: true });

/** Every facet: `_producer` and `_schemaURL` (URIs) are required. */
const baseFacet = z.looseObject({ _producer: uri, _schemaURL: uri });

const datasetFacets = z.record(z.string(), baseFacet.extend({ _deleted: z.boolean().optional() }));

const dataset = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  facets: datasetFacets.optional(),
});

/** A RunEvent of spec 2-0-2. */
export const runEventSchema = z.looseObject({
  eventTime: dateTime,
  producer: uri,
  schemaURL: uri,
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']).optional(),
  run: z.looseObject({
    runId: z.uuid(),
    facets: z.record(z.string(), baseFacet).optional(),
  }),
  job: z.looseObject({
    namespace: z.string(),
    name: z.string(),
    facets: z.record(z.string(), baseFacet).optional(),
  }),
  inputs: z
    .array(dataset.extend({ inputFacets: z.record(z.string(), baseFacet).optional() }))
    .optional(),
  outputs: z
    .array(dataset.extend({ outputFacets: z.record(z.string(), baseFacet).optional() }))
    .optional(),
});

/** The `version` dataset facet (DatasetVersionDatasetFacet 1-0-1). */
export const versionFacetSchema = baseFacet.extend({ datasetVersion: z.string() });

/** The `errorMessage` run facet (ErrorMessageRunFacet 1-0-1). */
export const errorMessageFacetSchema = baseFacet.extend({
  message: z.string(),
  programmingLanguage: z.string(),
  stackTrace: z.string().optional(),
});
