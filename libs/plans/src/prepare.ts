import { APPLICATION_SET_ANNOTATION, MANAGED_LABEL, TRACKING_ID_ANNOTATION, trackingId } from '#contracts';
import type { KubeObject } from '#sources';
import { apiGroup, compareForApply, objectKey } from './object-order.js';
import type { ResourceScopes } from './scope.js';

export interface PrepareContext {
  application: string;
  applicationSet: string;
  /** Destination namespace for namespaced objects that name none. */
  namespace: string;
  scopes: ResourceScopes;
}

/**
 * Makes rendered objects ready to apply: namespaced objects without a namespace go to the
 * destination namespace, cluster-scoped ones lose any namespace, every object carries the
 * tracking annotation and label, and the list is in apply order. Rendered objects may be
 * shared between Applications (render cache), so they are copied, never modified.
 * Throws when two objects of the Application are the same object.
 */
export function prepareObjects(objects: readonly KubeObject[], context: PrepareContext): KubeObject[] {
  const seen = new Set<string>();
  const prepared = objects.map((object) => {
    const namespaced = context.scopes.isNamespaced(object);
    const { namespace, ...metadataRest } = object.metadata;
    const targetNamespace = namespaced ? namespace || context.namespace || undefined : undefined;
    const metadata: KubeObject['metadata'] = {
      ...metadataRest,
      ...(targetNamespace ? { namespace: targetNamespace } : {}),
      labels: { ...object.metadata.labels, [MANAGED_LABEL]: 'true' },
      annotations: {
        ...object.metadata.annotations,
        [TRACKING_ID_ANNOTATION]: trackingId(
          context.application,
          apiGroup(object.apiVersion),
          object.kind,
          targetNamespace,
          object.metadata.name,
        ),
        [APPLICATION_SET_ANNOTATION]: context.applicationSet,
      },
    };
    const copy: KubeObject = { ...object, metadata };
    const key = objectKey(copy);
    if (seen.has(key)) throw new DuplicateObjectError(key);
    seen.add(key);
    return copy;
  });
  return prepared.sort(compareForApply);
}

export class DuplicateObjectError extends Error {
  constructor(readonly key: string) {
    super(`renders object ${key} more than once`);
  }
}
