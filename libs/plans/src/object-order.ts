import type { KubeObject } from '#sources';

/** Kinds in the order they must be applied (Helm's install order), so dependencies come first. */
const INSTALL_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];
const KIND_RANK = new Map(INSTALL_ORDER.map((kind, i) => [kind, i]));

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

function syncWave(object: KubeObject): number {
  const wave = Number.parseInt(object.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? '0', 10);
  return Number.isFinite(wave) ? wave : 0;
}

/** Splits `apps/v1` into its group (`apps`); the core group is ''. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `group/Kind/namespace/name`: identifies an object within a cluster across API versions. */
export function objectKey(object: KubeObject): string {
  return `${apiGroup(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/**
 * Apply order: Argo CD sync wave, then kind (Helm's install order, unknown kinds last),
 * then group, namespace and name, so the same objects always come out in the same order.
 */
export function compareForApply(a: KubeObject, b: KubeObject): number {
  return (
    syncWave(a) - syncWave(b) ||
    (KIND_RANK.get(a.kind) ?? INSTALL_ORDER.length) - (KIND_RANK.get(b.kind) ?? INSTALL_ORDER.length) ||
    compareText(a.kind, b.kind) ||
    compareText(objectKey(a), objectKey(b))
  );
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
