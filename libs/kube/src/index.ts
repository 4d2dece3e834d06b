// Kubernetes access for the agent: discovery, server-side apply, prune, health, drift.
export {
  type ApplyOptions,
  describeRef,
  type KubeApi,
  KubeClient,
  type KubeClientOptions,
  KubeError,
  type KubeErrorReason,
  type ObjectRef,
} from './client.js';
export { confirmedDrift, differingFields } from './drift.js';
export { assessHealth, type HealthAssessment } from './health.js';
export { INVENTORY_APPLICATION_ANNOTATION, INVENTORY_LABEL, InventoryStore, refKey, refOf } from './inventory.js';
export { loadKubeConfig } from './kubeconfig.js';
export { type ApplicationResult, type HealthState, type ObjectResult, Syncer, type SyncerOptions, type SyncState } from './sync.js';
