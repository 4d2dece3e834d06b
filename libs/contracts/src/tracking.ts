/**
 * How Flotilla marks the objects it manages, so the agent can find, own and prune them.
 * The annotation is authoritative (labels cannot hold long names); the label lets the
 * agent list managed objects cheaply.
 */

/** `<application>:<group>/<Kind>:<namespace>/<name>`, Argo CD's annotation tracking format. */
export const TRACKING_ID_ANNOTATION = 'flotilla.dev/tracking-id';
export const APPLICATION_SET_ANNOTATION = 'flotilla.dev/applicationset';
export const MANAGED_LABEL = 'flotilla.dev/managed';
/** The field manager of every server-side apply the agent makes. */
export const FIELD_MANAGER = 'flotilla';

export function trackingId(application: string, group: string, kind: string, namespace: string | undefined, name: string): string {
  return `${application}:${group}/${kind}:${namespace ?? ''}/${name}`;
}
