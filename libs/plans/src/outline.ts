import type { Plan } from './plan.js';

/** What queries need to know of one planned Application without reading its objects. */
export interface PlannedApplicationOutline {
  /** `spec.rules[0].host` of its first Ingress that has one (a preview's URL). */
  ingressHost?: string;
  /** Whether one of its Ingresses lists TLS hosts (the URL is then https). */
  ingressTls?: true;
}

/** A plan's Applications by name: a few bytes each, however large their objects are. */
export type PlanOutline = Record<string, PlannedApplicationOutline>;

/**
 * The outline stored next to a plan revision. Preview feedback asks, for one Application,
 * whether the newest plan holds it and where its Ingress points; answering that from the
 * whole plan parsed the cluster's every Application for each question.
 */
export function planOutline(plan: Plan): PlanOutline {
  const outline: PlanOutline = {};
  for (const app of plan.applications) {
    const entry: PlannedApplicationOutline = {};
    for (const object of app.objects ?? []) {
      if (object.kind !== 'Ingress') continue;
      const spec = object.spec as { rules?: Array<{ host?: unknown }>; tls?: unknown[] } | undefined;
      const host = Array.isArray(spec?.rules) ? spec.rules[0]?.host : undefined;
      if (entry.ingressHost === undefined && typeof host === 'string' && host !== '') entry.ingressHost = host;
      if (Array.isArray(spec?.tls) && spec.tls.length > 0) entry.ingressTls = true;
    }
    outline[app.name] = entry;
  }
  return outline;
}
