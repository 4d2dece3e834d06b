import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HEALTH_STATES } from '#contracts';
import { assessHealth, type HealthStatus, type KubeObjectLike, MAX_MESSAGE_LENGTH } from './health.js';

interface Parts {
  generation?: number;
  metadata?: Record<string, unknown>;
  spec?: unknown;
  status?: unknown;
}

/** A live object as read from the API server; `unknown` so rows can hold malformed ones. */
function live(apiVersion: string, kind: string, parts: Parts = {}): unknown {
  const metadata: Record<string, unknown> = { name: 'web', namespace: 'shop', ...parts.metadata };
  if (parts.generation !== undefined) metadata.generation = parts.generation;
  const object: Record<string, unknown> = { apiVersion, kind, metadata };
  if ('spec' in parts) object.spec = parts.spec;
  if ('status' in parts) object.status = parts.status;
  return object;
}

const deployment = (spec: object, status: object, generation = 2): unknown =>
  live('apps/v1', 'Deployment', { generation, spec: { replicas: 3, ...spec }, status: { observedGeneration: 2, ...status } });
const statefulSet = (spec: object, status: object, generation = 1): unknown =>
  live('apps/v1', 'StatefulSet', { generation, spec: { replicas: 3, ...spec }, status: { observedGeneration: 1, ...status } });
const rollingUpdate = (partition?: number): object => ({
  updateStrategy: { type: 'RollingUpdate', rollingUpdate: partition === undefined ? {} : { partition } },
});
const daemonSet = (spec: object, status: object, generation = 1): unknown =>
  live('apps/v1', 'DaemonSet', { generation, spec, status: { observedGeneration: 1, ...status } });
const replicaSet = (status: object, generation = 1): unknown =>
  live('apps/v1', 'ReplicaSet', { generation, spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });
const job = (status: object, spec: object = {}): unknown => live('batch/v1', 'Job', { spec, status });
const pod = (status: object, restartPolicy: string | undefined = 'Always'): unknown =>
  live('v1', 'Pod', { spec: restartPolicy === undefined ? {} : { restartPolicy }, status });
const container = (name: string, extra: object): object => ({ name, ready: false, ...extra });
const waiting = (name: string, reason: string, message?: string): object => container(name, { state: { waiting: { reason, message } } });
const condition = (type: string, status: string, reason?: string, message?: string, observedGeneration?: number): object => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
});
const crd = (...conditions: object[]): unknown => live('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions } });
const custom = (parts: Parts): unknown => live('example.com/v1', 'Widget', parts);

interface Row {
  name: string;
  live: unknown;
  status: HealthStatus;
  /** A substring of the message, or a pattern it must match. */
  message: string | RegExp;
}

const rows: Row[] = [
  // Presence and deletion
  { name: 'absent object', live: undefined, status: 'Missing', message: 'does not exist' },
  {
    name: 'pending deletion wins over any kind check',
    live: live('apps/v1', 'Deployment', { generation: 9, metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { paused: true } }),
    status: 'Progressing',
    message: 'Pending deletion',
  },
  {
    name: 'pending deletion of a ConfigMap',
    live: live('v1', 'ConfigMap', { metadata: { deletionTimestamp: 'x' } }),
    status: 'Progressing',
    message: 'Pending deletion',
  },

  // Deployment
  {
    name: 'deployment: generation not observed',
    live: deployment({}, { observedGeneration: 1 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
  },
  {
    name: 'deployment: no status yet',
    live: live('apps/v1', 'Deployment', { generation: 1, spec: { replicas: 1 } }),
    status: 'Progressing',
    message: 'observed deployment generation',
  },
  {
    name: 'deployment: paused',
    live: deployment({ paused: true }, { updatedReplicas: 0 }),
    status: 'Suspended',
    message: 'Deployment is paused',
  },
  {
    name: 'deployment: paused with unobserved generation (paused first, as Argo CD)',
    live: deployment({ paused: true }, { observedGeneration: 1 }),
    status: 'Suspended',
    message: 'paused',
  },
  {
    name: 'deployment: progress deadline exceeded',
    live: deployment(
      {},
      {
        conditions: [condition('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-1" has timed out')],
        updatedReplicas: 1,
      },
    ),
    status: 'Degraded',
    message: 'Deployment "web" exceeded its progress deadline',
  },
  {
    name: 'deployment: progressing condition with another reason is ignored',
    live: deployment(
      {},
      { conditions: [condition('Progressing', 'True', 'NewReplicaSetAvailable')], replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    ),
    status: 'Healthy',
    message: '3 of 3 replicas',
  },
  {
    name: 'deployment: new replicas not all updated',
    live: deployment({}, { replicas: 3, updatedReplicas: 1, availableReplicas: 1 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 1 out of 3 new replicas have been updated...',
  },
  {
    name: 'deployment: old replicas pending termination',
    live: deployment({}, { replicas: 5, updatedReplicas: 3, availableReplicas: 3 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 2 old replicas are pending termination...',
  },
  {
    name: 'deployment: updated replicas not yet available',
    live: deployment({}, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 2 of 3 updated replicas are available...',
  },
  {
    name: 'deployment: rolled out',
    live: deployment({}, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
    status: 'Healthy',
    message: '3 of 3 replicas updated and available',
  },
  { name: 'deployment: scaled to zero', live: deployment({ replicas: 0 }, {}), status: 'Healthy', message: '0 of 0' },
  {
    name: 'deployment: extensions/v1beta1 uses the same rules',
    live: live('extensions/v1beta1', 'Deployment', {
      generation: 1,
      spec: { replicas: 2 },
      status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
    }),
    status: 'Progressing',
    message: '1 of 2 updated replicas are available',
  },
  {
    name: 'deployment: a custom resource named Deployment is assessed generically',
    live: live('example.com/v1', 'Deployment', { status: { conditions: [condition('Ready', 'True')] } }),
    status: 'Healthy',
    message: 'Ready=True',
  },

  // StatefulSet
  {
    name: 'statefulset: never observed',
    live: statefulSet({}, { observedGeneration: 0 }),
    status: 'Progressing',
    message: 'Waiting for statefulset spec update to be observed',
  },
  {
    name: 'statefulset: generation not observed',
    live: statefulSet({}, {}, 2),
    status: 'Progressing',
    message: 'spec update to be observed',
  },
  {
    name: 'statefulset: pods not ready',
    live: statefulSet({}, { readyReplicas: 1 }),
    status: 'Progressing',
    message: 'Waiting for 2 pods to be ready...',
  },
  {
    name: 'statefulset: rolling update in progress (partition 0)',
    live: statefulSet(rollingUpdate(0), { readyReplicas: 3, updatedReplicas: 1 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 1 out of 3 new pods have been updated...',
  },
  {
    name: 'statefulset: rolling update done (partition 0)',
    live: statefulSet(rollingUpdate(0), { readyReplicas: 3, updatedReplicas: 3 }),
    status: 'Healthy',
    message: 'Rollout complete: 3 new pods',
  },
  {
    name: 'statefulset: partitioned rollout in progress',
    live: statefulSet(rollingUpdate(1), { readyReplicas: 3, updatedReplicas: 1 }),
    status: 'Progressing',
    message: 'Waiting for partitioned rollout to finish: 1 out of 2 new pods have been updated...',
  },
  {
    name: 'statefulset: partitioned rollout done',
    live: statefulSet(rollingUpdate(1), { readyReplicas: 3, updatedReplicas: 2 }),
    status: 'Healthy',
    message: 'Partitioned rollout complete: 2 new pods',
  },
  {
    name: 'statefulset: partition above replicas',
    live: statefulSet(rollingUpdate(5), { readyReplicas: 3, updatedReplicas: 0 }),
    status: 'Healthy',
    message: 'Partitioned rollout complete',
  },
  {
    name: 'statefulset: rollingUpdate without partition',
    live: statefulSet(rollingUpdate(), { readyReplicas: 3, updatedReplicas: 0 }),
    status: 'Healthy',
    message: 'Rollout complete',
  },
  {
    name: 'statefulset: OnDelete is healthy once pods are ready, whatever their revision',
    live: statefulSet({ updateStrategy: { type: 'OnDelete' } }, { readyReplicas: 3, updateRevision: 'b', currentRevision: 'a' }),
    status: 'Healthy',
    message: 'statefulset has 3 ready pods',
  },
  {
    name: 'statefulset: no rollingUpdate block, revisions differ',
    live: statefulSet(
      { updateStrategy: { type: 'RollingUpdate' } },
      { readyReplicas: 3, updatedReplicas: 1, updateRevision: 'web-2', currentRevision: 'web-1' },
    ),
    status: 'Progressing',
    message: 'rolling update to complete: 1 pods at revision web-2',
  },
  {
    name: 'statefulset: no rollingUpdate block, revisions equal',
    live: statefulSet({}, { readyReplicas: 3, currentReplicas: 3, updateRevision: 'web-1', currentRevision: 'web-1' }),
    status: 'Healthy',
    message: 'rolling update complete: 3 pods at revision web-1',
  },

  // DaemonSet
  {
    name: 'daemonset: generation not observed',
    live: daemonSet({}, {}, 2),
    status: 'Progressing',
    message: 'observed daemon set generation less than desired generation',
  },
  {
    name: 'daemonset: OnDelete is healthy while pods are outdated',
    live: daemonSet({ updateStrategy: { type: 'OnDelete' } }, { desiredNumberScheduled: 4, updatedNumberScheduled: 1, numberAvailable: 4 }),
    status: 'Healthy',
    message: 'daemon set 1 out of 4 new pods have been updated',
  },
  {
    name: 'daemonset: pods not all updated',
    live: daemonSet(
      { updateStrategy: { type: 'RollingUpdate' } },
      { desiredNumberScheduled: 4, updatedNumberScheduled: 2, numberAvailable: 4 },
    ),
    status: 'Progressing',
    message: 'Waiting for daemon set "web" rollout to finish: 2 out of 4 new pods have been updated...',
  },
  {
    name: 'daemonset: pods not all available',
    live: daemonSet({}, { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 3 }),
    status: 'Progressing',
    message: 'Waiting for daemon set "web" rollout to finish: 3 of 4 updated pods are available...',
  },
  {
    name: 'daemonset: rolled out',
    live: daemonSet({}, { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 4 }),
    status: 'Healthy',
    message: '4 of 4 daemon pods',
  },

  // ReplicaSet
  {
    name: 'replicaset: generation not observed',
    live: replicaSet({}, 2),
    status: 'Progressing',
    message: 'observed replica set generation less than desired generation',
  },
  {
    name: 'replicaset: replica failure',
    live: replicaSet({ conditions: [condition('ReplicaFailure', 'True', 'FailedCreate', 'pods "web-x" is forbidden: exceeded quota')] }),
    status: 'Degraded',
    message: 'FailedCreate: pods "web-x" is forbidden: exceeded quota',
  },
  {
    name: 'replicaset: resolved replica failure is ignored',
    live: replicaSet({ conditions: [condition('ReplicaFailure', 'False')], availableReplicas: 2 }),
    status: 'Healthy',
    message: '2 of 2',
  },
  {
    name: 'replicaset: replicas not available',
    live: replicaSet({ availableReplicas: 1 }),
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 1 out of 2 new replicas are available...',
  },
  { name: 'replicaset: available', live: replicaSet({ availableReplicas: 2 }), status: 'Healthy', message: '2 of 2 replicas available' },

  // Job
  {
    name: 'job: failed',
    live: job({ conditions: [condition('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }),
    status: 'Degraded',
    message: 'backoff limit',
  },
  {
    name: 'job: failed without message',
    live: job({ conditions: [condition('Failed', 'True', 'DeadlineExceeded')] }),
    status: 'Degraded',
    message: 'DeadlineExceeded',
  },
  {
    name: 'job: complete',
    live: job({ conditions: [condition('Complete', 'True')], succeeded: 1 }),
    status: 'Healthy',
    message: 'Job completed',
  },
  {
    name: 'job: failed wins over complete',
    live: job({ conditions: [condition('Complete', 'True'), condition('Failed', 'True', undefined, 'boom')] }),
    status: 'Degraded',
    message: 'boom',
  },
  {
    name: 'job: suspended by condition',
    live: job({ conditions: [condition('Suspended', 'True', 'JobSuspended')] }),
    status: 'Suspended',
    message: 'Job is suspended',
  },
  {
    name: 'job: suspended by spec before the condition appears',
    live: job({}, { suspend: true }),
    status: 'Suspended',
    message: 'suspended',
  },
  {
    name: 'job: resumed (Suspended=False) is running',
    live: job({ conditions: [condition('Suspended', 'False', 'JobResumed')], active: 1 }),
    status: 'Progressing',
    message: '1 active',
  },
  { name: 'job: running', live: job({ active: 2, succeeded: 1 }), status: 'Progressing', message: 'Job is running: 2 active, 1 succeeded' },
  { name: 'job: no status yet', live: live('batch/v1', 'Job', { spec: {} }), status: 'Progressing', message: 'Job is running' },

  // Pod
  { name: 'pod: pending', live: pod({ phase: 'Pending' }), status: 'Progressing', message: 'Pod is pending' },
  {
    name: 'pod: pending with scheduler message',
    live: pod({ phase: 'Pending', message: '0/3 nodes are available' }),
    status: 'Progressing',
    message: '0/3 nodes',
  },
  {
    name: 'pod: ImagePullBackOff',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff', 'Back-off pulling image "nginx:nope"')] }),
    status: 'Degraded',
    message: 'container "app" ImagePullBackOff: Back-off pulling image "nginx:nope"',
  },
  {
    name: 'pod: ErrImagePull',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ErrImagePull')] }),
    status: 'Degraded',
    message: 'container "app" ErrImagePull',
  },
  {
    name: 'pod: CrashLoopBackOff while running',
    live: pod({
      phase: 'Running',
      containerStatuses: [waiting('app', 'CrashLoopBackOff', 'back-off 5m0s'), waiting('sidecar', 'CrashLoopBackOff')],
    }),
    status: 'Degraded',
    message: 'container "app" CrashLoopBackOff: back-off 5m0s; container "sidecar" CrashLoopBackOff',
  },
  {
    name: 'pod: CreateContainerConfigError',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'CreateContainerConfigError', 'secret "db" not found')] }),
    status: 'Degraded',
    message: 'secret "db" not found',
  },
  {
    name: 'pod: init container crash-looping',
    live: pod({ phase: 'Pending', initContainerStatuses: [waiting('migrate', 'CrashLoopBackOff')] }),
    status: 'Degraded',
    message: 'container "migrate" CrashLoopBackOff',
  },
  {
    name: 'pod: ContainerCreating is not stuck',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ContainerCreating')] }),
    status: 'Progressing',
    message: 'pending',
  },
  {
    name: 'pod: restartPolicy Never ignores pull back-off',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff')] }, 'Never'),
    status: 'Progressing',
    message: 'pending',
  },
  {
    name: 'pod: restartPolicy defaults to Always',
    live: pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ErrImagePull')] }, undefined),
    status: 'Degraded',
    message: 'ErrImagePull',
  },
  { name: 'pod: succeeded', live: pod({ phase: 'Succeeded' }, 'Never'), status: 'Healthy', message: 'completed successfully' },
  {
    name: 'pod: failed with pod message',
    live: pod({ phase: 'Failed', message: 'Pod was evicted: low memory' }),
    status: 'Degraded',
    message: 'evicted',
  },
  {
    name: 'pod: failed with container message',
    live: pod(
      { phase: 'Failed', containerStatuses: [container('app', { state: { terminated: { exitCode: 1, message: 'panic: nil map' } } })] },
      'Never',
    ),
    status: 'Degraded',
    message: 'panic: nil map',
  },
  {
    name: 'pod: failed, OOMKilled',
    live: pod(
      { phase: 'Failed', containerStatuses: [container('app', { state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } })] },
      'Never',
    ),
    status: 'Degraded',
    message: 'container "app" was OOMKilled',
  },
  {
    name: 'pod: failed in an init container with exit code',
    live: pod(
      {
        phase: 'Failed',
        initContainerStatuses: [container('init', { state: { terminated: { exitCode: 2, reason: 'Error' } } })],
        containerStatuses: [container('app', {})],
      },
      'Never',
    ),
    status: 'Degraded',
    message: 'container "init" failed with exit code 2',
  },
  { name: 'pod: failed without details', live: pod({ phase: 'Failed' }, 'OnFailure'), status: 'Degraded', message: 'Pod failed' },
  {
    name: 'pod: running and ready (Ready condition)',
    live: pod({ phase: 'Running', conditions: [condition('Ready', 'True')], containerStatuses: [container('app', { ready: true })] }),
    status: 'Healthy',
    message: 'running and ready',
  },
  {
    name: 'pod: running, all containers ready, no conditions',
    live: pod({ phase: 'Running', containerStatuses: [container('a', { ready: true }), container('b', { ready: true })] }),
    status: 'Healthy',
    message: 'ready',
  },
  {
    name: 'pod: running, one container not ready',
    live: pod({ phase: 'Running', containerStatuses: [container('a', { ready: true }), container('b', {})] }),
    status: 'Progressing',
    message: 'Waiting for containers to become ready',
  },
  {
    name: 'pod: running, not ready after a restart',
    live: pod({
      phase: 'Running',
      conditions: [condition('Ready', 'False', 'ContainersNotReady')],
      containerStatuses: [container('app', { lastState: { terminated: { exitCode: 1, reason: 'Error' } } })],
    }),
    status: 'Degraded',
    message: 'container "app" is not ready and last terminated: Error',
  },
  {
    name: 'pod: running with restartPolicy OnFailure',
    live: pod({ phase: 'Running', containerStatuses: [container('a', { ready: true })] }, 'OnFailure'),
    status: 'Progressing',
    message: 'Pod is running',
  },
  { name: 'pod: unknown phase', live: pod({ phase: 'Unknown' }), status: 'Unknown', message: 'Pod phase is "Unknown"' },
  { name: 'pod: no phase', live: pod({}), status: 'Unknown', message: 'no phase' },

  // PersistentVolumeClaim
  { name: 'pvc: bound', live: live('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), status: 'Healthy', message: 'bound' },
  { name: 'pvc: lost', live: live('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }), status: 'Degraded', message: 'lost' },
  {
    name: 'pvc: pending',
    live: live('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }),
    status: 'Progressing',
    message: 'Waiting for the claim to be bound',
  },
  { name: 'pvc: no phase', live: live('v1', 'PersistentVolumeClaim', {}), status: 'Unknown', message: 'no phase' },

  // Service
  {
    name: 'service: ClusterIP',
    live: live('v1', 'Service', { spec: { type: 'ClusterIP' }, status: { loadBalancer: {} } }),
    status: 'Healthy',
    message: 'ClusterIP service',
  },
  { name: 'service: no type (ClusterIP)', live: live('v1', 'Service', { spec: {} }), status: 'Healthy', message: 'ClusterIP' },
  { name: 'service: NodePort', live: live('v1', 'Service', { spec: { type: 'NodePort' } }), status: 'Healthy', message: 'NodePort' },
  {
    name: 'service: LoadBalancer without address',
    live: live('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }),
    status: 'Progressing',
    message: 'Waiting for the load balancer',
  },
  {
    name: 'service: LoadBalancer with empty ingress',
    live: live('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [] } } }),
    status: 'Progressing',
    message: 'address',
  },
  {
    name: 'service: LoadBalancer with an address',
    live: live('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } }),
    status: 'Healthy',
    message: 'Load balancer has an address',
  },

  // Ingress
  {
    name: 'ingress: no address',
    live: live('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: {} } }),
    status: 'Progressing',
    message: 'publish an address',
  },
  { name: 'ingress: no status', live: live('networking.k8s.io/v1', 'Ingress', {}), status: 'Progressing', message: 'publish an address' },
  {
    name: 'ingress: address published',
    live: live('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } } }),
    status: 'Healthy',
    message: 'Ingress has an address',
  },
  {
    name: 'ingress: extensions/v1beta1',
    live: live('extensions/v1beta1', 'Ingress', { status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } }),
    status: 'Healthy',
    message: 'address',
  },

  // CustomResourceDefinition
  {
    name: 'crd: established',
    live: crd(condition('NamesAccepted', 'True'), condition('Established', 'True')),
    status: 'Healthy',
    message: 'CRD is established',
  },
  {
    name: 'crd: names not accepted',
    live: crd(
      condition('NamesAccepted', 'False', 'MultipleNamesConflict', '"widgets" is already in use'),
      condition('Established', 'False'),
    ),
    status: 'Degraded',
    message: 'CRD names have not been accepted: MultipleNamesConflict: "widgets" is already in use',
  },
  {
    name: 'crd: not yet established',
    live: crd(condition('NamesAccepted', 'True'), condition('Established', 'False', 'Installing', 'the initial names have been accepted')),
    status: 'Progressing',
    message: 'Waiting for the CRD to be established: Installing',
  },
  {
    name: 'crd: no Established condition',
    live: crd(condition('NamesAccepted', 'True')),
    status: 'Progressing',
    message: 'Waiting for the CRD to be established',
  },
  { name: 'crd: no conditions', live: crd(), status: 'Progressing', message: 'Waiting for the CRD status conditions' },
  {
    name: 'crd: terminating',
    live: crd(condition('Established', 'True'), condition('Terminating', 'True', 'InstanceDeletionInProgress')),
    status: 'Progressing',
    message: 'CRD is being terminated',
  },
  {
    name: 'crd: non-structural schema',
    live: crd(condition('Established', 'True'), condition('NonStructuralSchema', 'True', 'Violations', 'spec.x: type missing')),
    status: 'Degraded',
    message: 'not structural',
  },

  // APIService
  {
    name: 'apiservice: available',
    live: live('apiregistration.k8s.io/v1', 'APIService', {
      status: { conditions: [condition('Available', 'True', 'Passed', 'all checks passed')] },
    }),
    status: 'Healthy',
    message: 'Passed: all checks passed',
  },
  {
    name: 'apiservice: not available',
    live: live('apiregistration.k8s.io/v1', 'APIService', {
      status: {
        conditions: [condition('Available', 'False', 'MissingEndpoints', 'endpoints for service/metrics-server have no addresses')],
      },
    }),
    status: 'Progressing',
    message: 'MissingEndpoints: endpoints for service/metrics-server',
  },
  {
    name: 'apiservice: no conditions',
    live: live('apiregistration.k8s.io/v1', 'APIService', { status: {} }),
    status: 'Progressing',
    message: 'Waiting to be processed',
  },

  // Anything else
  {
    name: 'generic: ConfigMap',
    live: live('v1', 'ConfigMap', { metadata: { name: 'settings' } }),
    status: 'Healthy',
    message: 'ConfigMap exists',
  },
  { name: 'generic: Secret', live: live('v1', 'Secret', {}), status: 'Healthy', message: 'Secret exists' },
  { name: 'generic: Role', live: live('rbac.authorization.k8s.io/v1', 'Role', {}), status: 'Healthy', message: 'Role exists' },
  {
    name: 'generic: status without conditions',
    live: custom({ status: { phase: 'Whatever' } }),
    status: 'Healthy',
    message: 'Widget exists',
  },
  {
    name: 'generic: unrelated conditions only',
    live: custom({ status: { conditions: [condition('Synced', 'True')] } }),
    status: 'Healthy',
    message: 'no health conditions',
  },
  {
    name: 'generic: observedGeneration behind',
    live: custom({ generation: 3, status: { observedGeneration: 2, conditions: [condition('Ready', 'True')] } }),
    status: 'Progressing',
    message: 'observe generation 3 (observed 2)',
  },
  {
    name: 'generic: no observedGeneration is not waited for',
    live: custom({ generation: 3, status: {} }),
    status: 'Healthy',
    message: 'Widget exists',
  },
  {
    name: 'generic: no status at all, with a generation',
    live: custom({ generation: 1, spec: { size: 2 } }),
    status: 'Healthy',
    message: 'Widget exists',
  },
  {
    name: 'generic: Stalled=True',
    live: custom({ status: { conditions: [condition('Stalled', 'True', 'InvalidSpec', 'bad url'), condition('Ready', 'True')] } }),
    status: 'Degraded',
    message: 'Stalled: InvalidSpec: bad url',
  },
  {
    name: 'generic: Reconciling=True',
    live: custom({ status: { conditions: [condition('Reconciling', 'True', 'Progressing', 'fetching artifact')] } }),
    status: 'Progressing',
    message: 'Reconciling: Progressing: fetching artifact',
  },
  {
    name: 'generic: Stalled=False and Reconciling=False are ignored',
    live: custom({
      status: { conditions: [condition('Stalled', 'False'), condition('Reconciling', 'False'), condition('Ready', 'True')] },
    }),
    status: 'Healthy',
    message: 'Ready=True',
  },
  {
    name: 'generic: Ready=True',
    live: custom({ status: { conditions: [condition('Ready', 'True', 'Succeeded', 'applied revision main@sha1:abc')] } }),
    status: 'Healthy',
    message: 'Ready=True: Succeeded: applied revision',
  },
  {
    name: 'generic: Ready=False',
    live: custom({ status: { conditions: [condition('Ready', 'False', 'InstallFailed', 'chart not found')] } }),
    status: 'Degraded',
    message: 'Ready=False: InstallFailed: chart not found',
  },
  {
    name: 'generic: Ready=False, reason Progressing',
    live: custom({ status: { conditions: [condition('Ready', 'False', 'Progressing', 'building')] } }),
    status: 'Progressing',
    message: 'Ready=False: Progressing',
  },
  {
    name: 'generic: Ready=False, reason Creating',
    live: custom({ status: { conditions: [condition('Ready', 'False', 'Creating')] } }),
    status: 'Progressing',
    message: 'Creating',
  },
  {
    name: 'generic: Ready=Unknown',
    live: custom({ status: { conditions: [condition('Ready', 'Unknown', 'Pending')] } }),
    status: 'Progressing',
    message: 'Ready=Unknown',
  },
  {
    name: 'generic: condition without status',
    live: custom({ status: { conditions: [{ type: 'Ready' }] } }),
    status: 'Progressing',
    message: 'Ready=Unknown',
  },
  {
    name: 'generic: Ready=True but stale',
    live: custom({ generation: 4, status: { observedGeneration: 4, conditions: [condition('Ready', 'True', undefined, undefined, 3)] } }),
    status: 'Progressing',
    message: 'condition is for generation 3',
  },
  {
    name: 'generic: Ready wins over Available',
    live: custom({ status: { conditions: [condition('Available', 'False', 'Broken'), condition('Ready', 'True')] } }),
    status: 'Healthy',
    message: 'Ready=True',
  },
  {
    name: 'generic: Available=False',
    live: custom({ status: { conditions: [condition('Available', 'False', 'MinimumReplicasUnavailable')] } }),
    status: 'Degraded',
    message: 'Available=False: MinimumReplicasUnavailable',
  },
  {
    name: 'generic: Healthy=True',
    live: custom({ status: { conditions: [condition('Healthy', 'True')] } }),
    status: 'Healthy',
    message: 'Healthy=True',
  },
  {
    name: 'generic: Healthy=False',
    live: custom({ status: { conditions: [condition('Healthy', 'False', 'ProbeFailed')] } }),
    status: 'Degraded',
    message: 'Healthy=False: ProbeFailed',
  },

  // Malformed input: Unknown, with the field's path, never a throw
  { name: 'malformed: not an object', live: 'Deployment', status: 'Unknown', message: 'object must be an object, got string' },
  { name: 'malformed: null', live: null, status: 'Missing', message: 'does not exist' },
  {
    name: 'malformed: no kind',
    live: { apiVersion: 'v1', metadata: { name: 'x' } },
    status: 'Unknown',
    message: 'apiVersion and kind are required',
  },
  {
    name: 'malformed: metadata is a string',
    live: { apiVersion: 'v1', kind: 'ConfigMap', metadata: 'x' },
    status: 'Unknown',
    message: 'metadata must be an object, got string',
  },
  {
    name: 'malformed: generation is a string',
    live: live('v1', 'ConfigMap', { metadata: { generation: '2' } }),
    status: 'Unknown',
    message: 'metadata.generation must be a number, got string',
  },
  {
    name: 'malformed: status is an array',
    live: live('apps/v1', 'Deployment', { status: [] }),
    status: 'Unknown',
    message: 'status must be an object, got array',
  },
  {
    name: 'malformed: replicas is a string',
    live: deployment({}, { updatedReplicas: '3' }),
    status: 'Unknown',
    message: 'status.updatedReplicas must be a number, got string',
  },
  {
    name: 'malformed: replicas is NaN-like',
    live: deployment({ replicas: Number.NaN }, {}),
    status: 'Unknown',
    message: 'spec.replicas must be a number',
  },
  {
    name: 'malformed: paused is a string',
    live: deployment({ paused: 'yes' }, {}),
    status: 'Unknown',
    message: 'spec.paused must be a boolean, got string',
  },
  {
    name: 'malformed: conditions is an object',
    live: deployment({}, { conditions: { type: 'Progressing' } }),
    status: 'Unknown',
    message: 'status.conditions must be an array, got object',
  },
  {
    name: 'malformed: a condition is a string',
    live: job({ conditions: ['Complete'] }),
    status: 'Unknown',
    message: 'status.conditions[0] must be an object, got string',
  },
  {
    name: 'malformed: condition type is a number',
    live: crd({ type: 7, status: 'True' }),
    status: 'Unknown',
    message: 'status.conditions[0].type must be a string, got number',
  },
  {
    name: 'tolerated: a null container status reads as empty',
    live: pod({ phase: 'Running', containerStatuses: [null] }),
    status: 'Progressing',
    message: 'Waiting for containers',
  },
  {
    name: 'malformed: waiting is a number',
    live: pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: { waiting: 1 } }] }),
    status: 'Unknown',
    message: 'status.containerStatuses[0].state.waiting must be an object, got number',
  },
  {
    name: 'malformed: phase is a number',
    live: live('v1', 'PersistentVolumeClaim', { status: { phase: 1 } }),
    status: 'Unknown',
    message: 'status.phase must be a string, got number',
  },
  {
    name: 'malformed: loadBalancer.ingress is an object',
    live: live('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: {} } } }),
    status: 'Unknown',
    message: 'status.loadBalancer.ingress must be an array',
  },
  {
    name: 'malformed: partition is a string',
    live: statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: '1' } } }, { readyReplicas: 3 }),
    status: 'Unknown',
    message: 'spec.updateStrategy.rollingUpdate.partition must be a number',
  },
];

describe('assessHealth', () => {
  for (const row of rows) {
    it(row.name, () => {
      const result = assessHealth(row.live as KubeObjectLike | undefined);
      assert.equal(result.status, row.status, `message: ${result.message}`);
      if (typeof row.message === 'string')
        assert.ok(result.message.includes(row.message), `"${result.message}" should contain "${row.message}"`);
      else assert.match(result.message, row.message);
    });
  }

  it('clips long messages to the status report limit', () => {
    const long = 'x'.repeat(5000);
    const result = assessHealth(pod({ phase: 'Failed', message: long }) as KubeObjectLike);
    assert.equal(result.status, 'Degraded');
    assert.equal(result.message.length, MAX_MESSAGE_LENGTH);
    assert.ok(result.message.endsWith('...'));
  });

  const kinds: [string, string][] = [
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['apps/v1', 'DaemonSet'],
    ['apps/v1', 'ReplicaSet'],
    ['batch/v1', 'Job'],
    ['v1', 'Pod'],
    ['v1', 'PersistentVolumeClaim'],
    ['v1', 'Service'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
    ['apiregistration.k8s.io/v1', 'APIService'],
    ['example.com/v1', 'Widget'],
  ];

  it('property: never throws; always a known state and a message within the limit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.jsonValue(),
        fc.jsonValue(),
        fc.jsonValue(),
        ([apiVersion, kind], metadata, spec, status) => {
          const result = assessHealth({ apiVersion, kind, metadata, spec, status } as KubeObjectLike);
          assert.ok((HEALTH_STATES as readonly string[]).includes(result.status), result.status);
          assert.equal(typeof result.message, 'string');
          assert.ok(result.message.length <= MAX_MESSAGE_LENGTH);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
