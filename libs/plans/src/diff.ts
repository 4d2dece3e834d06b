import diff from 'microdiff';
import type { KubeObject } from '#sources';
import { objectKey } from './object-order.js';
import type { Plan, PlanCluster } from './plan.js';

export interface FieldChange {
  /** `spec.template.spec.containers[0].image` */
  path: string;
  type: 'added' | 'removed' | 'changed';
  old?: unknown;
  new?: unknown;
}

export interface ObjectChange {
  application: string;
  /** `group/Kind/namespace/name` */
  object: string;
  fields: FieldChange[];
}

export interface ClusterDiff {
  cluster: PlanCluster;
  added: Array<{ application: string; object: string }>;
  removed: Array<{ application: string; object: string }>;
  changed: ObjectChange[];
  /** Applications whose error appeared, changed or went away. */
  errors: Array<{ application: string; old?: string; new?: string }>;
}

type Indexed = Map<string, { application: string; object: KubeObject }>;

function index(plan: Plan | undefined): Indexed {
  const out: Indexed = new Map();
  for (const app of plan?.applications ?? []) {
    for (const object of app.objects ?? []) out.set(`${app.name}\0${objectKey(object)}`, { application: app.name, object });
  }
  return out;
}

const clusterKey = (c: PlanCluster): string => `${c.name}\0${c.server}`;

function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '');
}

/**
 * What would change per cluster between two sets of plans: objects added, removed and
 * changed (field by field), and Application errors that changed. Clusters without any
 * difference are left out.
 */
export function diffPlans(oldPlans: readonly Plan[], newPlans: readonly Plan[]): ClusterDiff[] {
  const clusters = new Map<string, PlanCluster>();
  for (const plan of [...oldPlans, ...newPlans]) clusters.set(clusterKey(plan.cluster), plan.cluster);
  const out: ClusterDiff[] = [];
  for (const [key, cluster] of clusters) {
    const before = oldPlans.find((p) => clusterKey(p.cluster) === key);
    const after = newPlans.find((p) => clusterKey(p.cluster) === key);
    if (before && after && before.hash === after.hash) continue;
    const result = diffCluster(cluster, before, after);
    if (result.added.length || result.removed.length || result.changed.length || result.errors.length) out.push(result);
  }
  return out;
}

function diffCluster(cluster: PlanCluster, before: Plan | undefined, after: Plan | undefined): ClusterDiff {
  const oldObjects = index(before);
  const newObjects = index(after);
  const result: ClusterDiff = { cluster, added: [], removed: [], changed: [], errors: [] };
  for (const [key, { application, object }] of newObjects) {
    const previous = oldObjects.get(key);
    if (!previous) {
      result.added.push({ application, object: objectKey(object) });
      continue;
    }
    const fields = diff(previous.object as Record<string, unknown>, object as Record<string, unknown>).map(
      (d): FieldChange => ({
        path: formatPath(d.path),
        type: d.type === 'CREATE' ? 'added' : d.type === 'REMOVE' ? 'removed' : 'changed',
        ...('oldValue' in d ? { old: d.oldValue } : {}),
        ...('value' in d ? { new: d.value } : {}),
      }),
    );
    if (fields.length > 0) result.changed.push({ application, object: objectKey(object), fields });
  }
  for (const [key, { application, object }] of oldObjects) {
    if (!newObjects.has(key)) result.removed.push({ application, object: objectKey(object) });
  }
  const oldErrors = new Map((before?.applications ?? []).map((a) => [a.name, a.error]));
  const newErrors = new Map((after?.applications ?? []).map((a) => [a.name, a.error]));
  for (const name of new Set([...oldErrors.keys(), ...newErrors.keys()])) {
    const o = oldErrors.get(name);
    const n = newErrors.get(name);
    if (o !== n && (o || n)) result.errors.push({ application: name, ...(o ? { old: o } : {}), ...(n ? { new: n } : {}) });
  }
  return result;
}
