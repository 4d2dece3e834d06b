import { apiGroup, type Plan } from '#plans';

/** Which object to trace: kind (case-insensitive), name, and optionally group and namespace. */
export interface TraceQuery {
  kind: string;
  name: string;
  namespace?: string;
  group?: string;
}

export interface TracedObject {
  application: string;
  applicationSet: string;
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The planned objects matching the query, with the Application that holds each. Pure. */
export function findInPlan(plan: Plan, query: TraceQuery): TracedObject[] {
  const found: TracedObject[] = [];
  for (const app of plan.applications) {
    for (const object of app.objects ?? []) {
      const group = apiGroup(object.apiVersion);
      if (object.kind.toLowerCase() !== query.kind.toLowerCase() || object.metadata.name !== query.name) continue;
      if (query.group !== undefined && group !== query.group) continue;
      const namespace = object.metadata.namespace;
      if (query.namespace !== undefined && namespace !== query.namespace) continue;
      found.push({
        application: app.name,
        applicationSet: app.applicationSet,
        group,
        kind: object.kind,
        ...(namespace ? { namespace } : {}),
        name: object.metadata.name,
      });
    }
  }
  return found;
}
