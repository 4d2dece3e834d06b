import { z } from 'zod';
import { ARGO_API_VERSION, FLOTILLA_API_VERSION } from '#contracts';
import { applicationTemplateSchema, type GeneratorEntry, type GeneratorRegistry } from '#generators';

const stringMap = z.record(z.string(), z.string());

/** Builds the ApplicationSet schema for the generators a registry offers. */
export function applicationSetSchema(registry: GeneratorRegistry) {
  return z.strictObject({
    apiVersion: z.enum([ARGO_API_VERSION, FLOTILLA_API_VERSION], {
      error: `must be ${ARGO_API_VERSION} (Argo CD fasttemplate) or ${FLOTILLA_API_VERSION} (Handlebars)`,
    }),
    kind: z.literal('ApplicationSet', { error: 'must be ApplicationSet' }),
    // Objects exported from a cluster carry uid, resourceVersion, managedFields...: keep them.
    metadata: z.looseObject({
      name: z.string({ error: 'is required' }).min(1, 'must not be empty'),
      namespace: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    }),
    spec: z.strictObject({
      generators: z.array(registry.entrySchema).min(1, 'list at least one generator'),
      template: applicationTemplateSchema,
      templatePatch: z.string().optional(),
      goTemplate: z.boolean().optional(),
      goTemplateOptions: z.array(z.string()).optional(),
      syncPolicy: z
        .strictObject({
          preserveResourcesOnDeletion: z.boolean().optional(),
          applicationsSync: z.enum(['create-only', 'create-update', 'create-delete', 'sync']).optional(),
        })
        .optional(),
      strategy: z.record(z.string(), z.unknown()).optional(),
      preservedFields: z.record(z.string(), z.unknown()).optional(),
      ignoreApplicationDifferences: z.array(z.record(z.string(), z.unknown())).optional(),
      applyNestedSelectors: z.boolean().optional(),
    }),
    status: z.unknown().optional(),
  });
}

export type ApplicationSet = z.infer<ReturnType<typeof applicationSetSchema>> & {
  spec: { generators: GeneratorEntry[] };
};
