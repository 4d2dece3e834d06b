export { destinationResolver, resolveDestination } from './destinations.js';
export { type ClusterDiff, diffPlans, type FieldChange, type ObjectChange } from './diff.js';
export { contentHash, hashedPlan, planJson } from './hash.js';
export { apiGroup, compareForApply, objectKey, SYNC_WAVE_ANNOTATION } from './object-order.js';
export type { Plan, PlanCluster, PlannedApplication, PlannedSource, PlannedSyncPolicy } from './plan.js';
export { type PlanInput, Planner, type PlannerOptions, type PlannerPorts, type PlannerStats } from './planner.js';
export { DuplicateObjectError, prepareObjects } from './prepare.js';
export { nextRevision, type PlanRevision } from './revision.js';
export { ResourceScopes } from './scope.js';
