import diff from 'microdiff';
import type { KubeObject } from '#sources';

/** Metadata the API server owns: never drift. */
const SERVER_METADATA = new Set(['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink']);

/**
 * Fields of `desired` whose value in `live` differs (`spec.replicas`, `data.color`,
 * `spec.template.spec.containers[0].image`). Only what the plan sets counts: fields the
 * server defaults or other managers add are not drift. A cheap first look; `confirmDrift`
 * settles what it finds against the server's own merge.
 */
export function differingFields(desired: KubeObject, live: KubeObject): string[] {
  const out: string[] = [];
  const { metadata, status: _status, ...rest } = desired as KubeObject & { status?: unknown };
  if (desired.kind === 'Secret' && (rest as { stringData?: Record<string, string> }).stringData) {
    const { stringData, ...withoutStringData } = rest as unknown as { stringData: Record<string, string> };
    const data = (live as { data?: Record<string, string> }).data ?? {};
    for (const [key, value] of Object.entries(stringData))
      if (data[key] !== Buffer.from(value, 'utf8').toString('base64')) out.push(`stringData.${key}`);
    compareSubset(withoutStringData, live, '', out);
  } else compareSubset(rest, live, '', out);
  for (const key of ['labels', 'annotations'] as const)
    if (metadata[key]) compareSubset(metadata[key], live.metadata[key] ?? {}, `metadata.${key}`, out);
  return out;
}

function compareSubset(desired: unknown, live: unknown, path: string, out: string[]): void {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) {
      out.push(path);
      return;
    }
    desired.forEach((item, i) => {
      compareSubset(item, live[i], `${path}[${i}]`, out);
    });
    return;
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) {
      out.push(path);
      return;
    }
    for (const [key, value] of Object.entries(desired)) {
      if (path === '' && (key === 'apiVersion' || key === 'kind')) continue;
      compareSubset(value, (live as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  // Scalars: the API server may turn a number into a string (or back) in some fields.
  if (desired !== live && !(desired !== undefined && live !== undefined && String(desired) === String(live))) out.push(path);
}

/**
 * Fields that differ between the live object and what applying the plan would make of it
 * (a server-side dry run): exact, including defaults and normalised quantities.
 */
export function confirmedDrift(live: KubeObject, afterApply: KubeObject): string[] {
  const strip = (object: KubeObject): Record<string, unknown> => {
    const { status: _status, metadata, ...rest } = object as KubeObject & { status?: unknown };
    const kept = Object.fromEntries(Object.entries(metadata).filter(([key]) => !SERVER_METADATA.has(key)));
    return { ...rest, metadata: kept };
  };
  const paths = new Set<string>();
  for (const change of diff(strip(live), strip(afterApply))) paths.add(formatPath(change.path));
  return [...paths].sort();
}

function formatPath(path: Array<string | number>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}
