import { z } from 'zod';

/** Fields under a source's tool blocks (helm, kustomize, ...) are checked when the source renders. */
const toolBlock = z.record(z.string(), z.unknown());

export const applicationSourceSchema = z.strictObject({
  repoURL: z.string().optional(),
  path: z.string().optional(),
  targetRevision: z.string().optional(),
  chart: z.string().optional(),
  ref: z.string().optional(),
  name: z.string().optional(),
  helm: toolBlock.optional(),
  kustomize: toolBlock.optional(),
  directory: toolBlock.optional(),
  plugin: toolBlock.optional(),
});

export const applicationSpecSchema = z.strictObject({
  project: z.string().optional(),
  source: applicationSourceSchema.optional(),
  sources: z.array(applicationSourceSchema).optional(),
  destination: z
    .strictObject({
      server: z.string().optional(),
      name: z.string().optional(),
      namespace: z.string().optional(),
    })
    .optional(),
  syncPolicy: toolBlock.optional(),
  ignoreDifferences: z.array(toolBlock).optional(),
  info: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
  revisionHistoryLimit: z.number().int().optional(),
  sourceHydrator: toolBlock.optional(),
});

const stringMap = z.record(z.string(), z.string());

export const templateMetadataSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  finalizers: z.array(z.string()).optional(),
});

/** `spec.template` of an ApplicationSet, and a generator's own `template` override. */
export const applicationTemplateSchema = z.strictObject({
  metadata: templateMetadataSchema.optional(),
  spec: applicationSpecSchema.optional(),
});

export type ApplicationTemplate = z.infer<typeof applicationTemplateSchema>;

/**
 * A generator's `template` over the ApplicationSet's, as Argo CD merges them (mergo):
 * every field the generator template leaves empty is taken from the ApplicationSet's;
 * objects merge key by key; a non-empty list or scalar of the generator template wins.
 */
export function mergeTemplates(generatorTemplate: unknown, appSetTemplate: unknown): unknown {
  if (isEmptyValue(generatorTemplate)) return appSetTemplate;
  if (isPlainObject(generatorTemplate) && isPlainObject(appSetTemplate)) {
    const out: Record<string, unknown> = { ...appSetTemplate };
    for (const [key, value] of Object.entries(generatorTemplate)) {
      out[key] = mergeTemplates(value, appSetTemplate[key]);
    }
    return out;
  }
  return generatorTemplate;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Go's zero values, which mergo treats as "not set". */
function isEmptyValue(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0)
  );
}
