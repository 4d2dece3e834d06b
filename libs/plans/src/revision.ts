import type { Plan } from './plan.js';

export interface PlanRevision {
  revision: number;
  hash: string;
}

/** A plan becomes a new revision only when its content hash changed. */
export function nextRevision(previous: PlanRevision | undefined, plan: Plan): { revision: PlanRevision; changed: boolean } {
  if (previous && previous.hash === plan.hash) return { revision: previous, changed: false };
  return { revision: { revision: (previous?.revision ?? 0) + 1, hash: plan.hash }, changed: true };
}
