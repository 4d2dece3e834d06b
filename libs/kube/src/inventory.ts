import { createHash } from 'node:crypto';
import { MANAGED_LABEL } from '#contracts';
import type { KubeObject } from '#sources';
import type { KubeApi, ObjectRef } from './client.js';

/** Label on inventory ConfigMaps, so the agent finds them all in one list. */
export const INVENTORY_LABEL = 'flotilla.dev/inventory';
/** The Application an inventory belongs to (names can exceed a label value's 63 characters). */
export const INVENTORY_APPLICATION_ANNOTATION = 'flotilla.dev/application';

/**
 * The objects the agent applied for each Application, kept in the cluster (one ConfigMap
 * per Application in the agent's namespace). Prune deletes only what an inventory lists,
 * so objects the agent never applied are never candidates, whatever their labels say.
 */
export class InventoryStore {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
  ) {}

  /** Every Application with an inventory, and its objects. */
  async all(): Promise<Map<string, ObjectRef[]>> {
    const maps = await this.api.list('v1', 'ConfigMap', this.namespace, `${INVENTORY_LABEL}=true`);
    const out = new Map<string, ObjectRef[]>();
    for (const map of maps) {
      const application = map.metadata.annotations?.[INVENTORY_APPLICATION_ANNOTATION];
      if (application) out.set(application, parseRefs((map as { data?: Record<string, string> }).data?.objects));
    }
    return out;
  }

  async read(application: string): Promise<ObjectRef[]> {
    const map = await this.api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: inventoryName(application) });
    return parseRefs((map as { data?: Record<string, string> } | undefined)?.data?.objects);
  }

  async write(application: string, refs: readonly ObjectRef[]): Promise<void> {
    const sorted = dedupe(refs).sort((a, b) => (refKey(a) < refKey(b) ? -1 : 1));
    const map: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: inventoryName(application),
        namespace: this.namespace,
        labels: { [INVENTORY_LABEL]: 'true', [MANAGED_LABEL]: 'true' },
        annotations: { [INVENTORY_APPLICATION_ANNOTATION]: application },
      },
      data: { objects: JSON.stringify(sorted) },
    } as KubeObject;
    await this.api.apply(map, { force: true });
  }

  async remove(application: string): Promise<void> {
    await this.api.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: inventoryName(application) });
  }
}

/** `group/Kind/namespace/name`: the same object whatever API version names it. */
export function refKey(ref: ObjectRef): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
  };
}

function inventoryName(application: string): string {
  return `flotilla-inventory-${createHash('sha256').update(application).digest('hex').slice(0, 16)}`;
}

function dedupe(refs: readonly ObjectRef[]): ObjectRef[] {
  return [...new Map(refs.map((ref) => [refKey(ref), ref])).values()];
}

function parseRefs(text: string | undefined): ObjectRef[] {
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed)
      ? parsed.filter(
          (r): r is ObjectRef =>
            typeof r === 'object' &&
            r !== null &&
            typeof r.apiVersion === 'string' &&
            typeof r.kind === 'string' &&
            typeof r.name === 'string',
        )
      : [];
  } catch {
    return []; // an inventory someone corrupted prunes nothing
  }
}
