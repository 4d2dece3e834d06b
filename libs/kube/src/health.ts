/**
 * Health assessment of one live Kubernetes object, with Argo CD's semantics (gitops-engine
 * `pkg/health`) for the built-in kinds and kstatus conventions for everything else.
 *
 * A pure decision: the agent reads the object from the API server and reports what this returns.
 * The object is untrusted JSON, so every field is read through a typed accessor; a field of the
 * wrong type makes the result `Unknown` with the field's path, never an exception.
 */
import type { HEALTH_STATES } from '#contracts';

export type HealthStatus = (typeof HEALTH_STATES)[number];

export interface HealthAssessment {
  status: HealthStatus;
  /** Short and human; at most {@link MAX_MESSAGE_LENGTH} characters. */
  message: string;
}

/** The parts of a live object health is assessed from. */
export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

/** The status report's limit for one object's message. */
export const MAX_MESSAGE_LENGTH = 2000;

/** Decides the health of `live`; `undefined` (not found in the cluster) is `Missing`. Never throws. */
export function assessHealth(live: KubeObjectLike | undefined): HealthAssessment {
  if (live === undefined || live === null) return { status: 'Missing', message: 'Object does not exist in the cluster' };
  let result: HealthAssessment;
  try {
    result = assess(live);
  } catch (error) {
    const reason = error instanceof MalformedObjectError ? error.message : `unexpected error: ${String(error)}`;
    result = { status: 'Unknown', message: `Cannot assess health: ${reason}` };
  }
  return { status: result.status, message: clip(result.message) };
}

// ---------------------------------------------------------------------------------------------
// Reading untrusted JSON

class MalformedObjectError extends Error {}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A read-only view of a JSON object that names the path of any field of the wrong type. */
class View {
  private constructor(
    private readonly fields: Fields,
    private readonly path: string,
  ) {}

  /** `undefined` and `null` read as an empty object; anything else that is not an object is malformed. */
  static of(value: unknown, path: string): View {
    if (value === undefined || value === null) return new View({}, path);
    if (!isFields(value)) throw new MalformedObjectError(`${path || 'object'} must be an object, got ${typeName(value)}`);
    return new View(value, path);
  }

  has(key: string): boolean {
    const value = this.fields[key];
    return value !== undefined && value !== null;
  }

  child(key: string): View {
    return View.of(this.fields[key], this.at(key));
  }

  number(key: string): number | undefined {
    return this.read(key, 'a number', (value) => typeof value === 'number' && Number.isFinite(value)) as number | undefined;
  }

  string(key: string): string | undefined {
    return this.read(key, 'a string', (value) => typeof value === 'string') as string | undefined;
  }

  boolean(key: string): boolean | undefined {
    return this.read(key, 'a boolean', (value) => typeof value === 'boolean') as boolean | undefined;
  }

  array(key: string): unknown[] {
    return (this.read(key, 'an array', Array.isArray) as unknown[] | undefined) ?? [];
  }

  /** An array of objects, each as a view. */
  list(key: string): View[] {
    return this.array(key).map((item, index) => View.of(item, `${this.at(key)}[${index}]`));
  }

  private read(key: string, expected: string, ok: (value: unknown) => boolean): unknown {
    const value = this.fields[key];
    if (value === undefined || value === null) return undefined;
    if (!ok(value)) throw new MalformedObjectError(`${this.at(key)} must be ${expected}, got ${typeName(value)}`);
    return value;
  }

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration: number | undefined;
}

function conditions(status: View): Condition[] {
  return status.list('conditions').map((c) => ({
    type: c.string('type') ?? '',
    status: c.string('status') ?? '',
    reason: c.string('reason') ?? '',
    message: c.string('message') ?? '',
    observedGeneration: c.number('observedGeneration'),
  }));
}

function findCondition(list: Condition[], type: string): Condition | undefined {
  return list.find((c) => c.type === type);
}

function isTrue(list: Condition[], type: string): boolean {
  return findCondition(list, type)?.status === 'True';
}

/** `Reason: message`, whichever parts are present. */
function explain(condition: Condition): string {
  return [condition.reason, condition.message].filter((part) => part !== '').join(': ');
}

// ---------------------------------------------------------------------------------------------
// Dispatch

interface LiveObject {
  kind: string;
  name: string;
  generation: number | undefined;
  spec: View;
  status: View;
}

type HealthCheck = (object: LiveObject) => HealthAssessment;

const healthy = (message: string): HealthAssessment => ({ status: 'Healthy', message });
const progressing = (message: string): HealthAssessment => ({ status: 'Progressing', message });
const degraded = (message: string): HealthAssessment => ({ status: 'Degraded', message });
const suspended = (message: string): HealthAssessment => ({ status: 'Suspended', message });
const unknown = (message: string): HealthAssessment => ({ status: 'Unknown', message });

function assess(live: unknown): HealthAssessment {
  const root = View.of(live, '');
  const metadata = root.child('metadata');
  const apiVersion = root.string('apiVersion');
  const kind = root.string('kind');
  if (apiVersion === undefined || kind === undefined) throw new MalformedObjectError('apiVersion and kind are required');
  // Argo CD skips this for hooks held by its hook finalizer; Flotilla has no hooks.
  if (metadata.has('deletionTimestamp')) return progressing('Pending deletion');
  const object: LiveObject = {
    kind,
    name: metadata.string('name') ?? '',
    generation: metadata.number('generation'),
    spec: root.child('spec'),
    status: root.child('status'),
  };
  const check = CHECKS.get(groupKind(groupOf(apiVersion), kind)) ?? genericHealth;
  return check(object);
}

/** `apps/v1` → `apps`; the core group (`v1`) is the empty string. */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function groupKind(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** Built-in checks by API group and kind, as gitops-engine's `GetHealthCheckFunc` (plus CRDs). */
const CHECKS = new Map<string, HealthCheck>([
  [groupKind('apps', 'Deployment'), deploymentHealth],
  [groupKind('extensions', 'Deployment'), deploymentHealth],
  [groupKind('apps', 'StatefulSet'), statefulSetHealth],
  [groupKind('apps', 'DaemonSet'), daemonSetHealth],
  [groupKind('extensions', 'DaemonSet'), daemonSetHealth],
  [groupKind('apps', 'ReplicaSet'), replicaSetHealth],
  [groupKind('extensions', 'ReplicaSet'), replicaSetHealth],
  [groupKind('batch', 'Job'), jobHealth],
  [groupKind('', 'Pod'), podHealth],
  [groupKind('', 'PersistentVolumeClaim'), pvcHealth],
  [groupKind('', 'Service'), serviceHealth],
  [groupKind('networking.k8s.io', 'Ingress'), ingressHealth],
  [groupKind('extensions', 'Ingress'), ingressHealth],
  [groupKind('apiextensions.k8s.io', 'CustomResourceDefinition'), crdHealth],
  [groupKind('apiregistration.k8s.io', 'APIService'), apiServiceHealth],
]);

/** Whether the controller has not yet seen the latest spec (Go's zero value for absent fields). */
function generationNotObserved(object: LiveObject): boolean {
  return (object.generation ?? 0) > (object.status.number('observedGeneration') ?? 0);
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}

// ---------------------------------------------------------------------------------------------
// Workloads (messages as `kubectl rollout status` words them)

function deploymentHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  if (spec.boolean('paused') === true) return suspended('Deployment is paused');
  if (generationNotObserved(object)) {
    return progressing('Waiting for rollout to finish: observed deployment generation less than desired generation');
  }
  if (findCondition(conditions(status), 'Progressing')?.reason === 'ProgressDeadlineExceeded') {
    return degraded(`Deployment "${object.name}" exceeded its progress deadline`);
  }
  const desired = spec.number('replicas');
  const updated = status.number('updatedReplicas') ?? 0;
  const replicas = status.number('replicas') ?? 0;
  const available = status.number('availableReplicas') ?? 0;
  if (desired !== undefined && updated < desired) {
    return progressing(`Waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated...`);
  }
  if (replicas > updated) {
    return progressing(`Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`);
  }
  if (available < updated) {
    return progressing(`Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`);
  }
  return healthy(`${available} of ${desired ?? updated} replicas updated and available`);
}

function statefulSetHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  const observed = status.number('observedGeneration') ?? 0;
  if (observed === 0 || (object.generation ?? 0) > observed) {
    return progressing('Waiting for statefulset spec update to be observed...');
  }
  const desired = spec.number('replicas');
  const ready = status.number('readyReplicas') ?? 0;
  if (desired !== undefined && ready < desired) return progressing(`Waiting for ${desired - ready} pods to be ready...`);
  const strategy = spec.child('updateStrategy');
  const strategyType = strategy.string('type');
  if (strategyType === 'RollingUpdate' && strategy.has('rollingUpdate')) {
    return statefulSetRollingHealth(desired, strategy.child('rollingUpdate').number('partition'), status);
  }
  if (strategyType === 'OnDelete') return healthy(`statefulset has ${ready} ready pods (OnDelete: pods update when deleted)`);
  const updateRevision = status.string('updateRevision') ?? '';
  const currentRevision = status.string('currentRevision') ?? '';
  if (updateRevision !== currentRevision) {
    const updated = status.number('updatedReplicas') ?? 0;
    return progressing(`Waiting for statefulset rolling update to complete: ${updated} pods at revision ${updateRevision}...`);
  }
  const current = status.number('currentReplicas') ?? 0;
  return healthy(`statefulset rolling update complete: ${current} pods at revision ${currentRevision}`);
}

/** RollingUpdate with a `rollingUpdate` block: only the pods at or above the partition must be updated. */
function statefulSetRollingHealth(desired: number | undefined, partition: number | undefined, status: View): HealthAssessment {
  const updated = status.number('updatedReplicas') ?? 0;
  const partitioned = partition !== undefined && partition > 0;
  const rollout = partitioned ? 'partitioned rollout' : 'rollout';
  if (desired !== undefined && partition !== undefined) {
    const target = Math.max(desired - partition, 0);
    if (updated < target) {
      return progressing(`Waiting for ${rollout} to finish: ${updated} out of ${target} new pods have been updated...`);
    }
  }
  return healthy(`${partitioned ? 'Partitioned rollout' : 'Rollout'} complete: ${updated} new pods have been updated`);
}

function daemonSetHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  if (generationNotObserved(object)) {
    return progressing('Waiting for rollout to finish: observed daemon set generation less than desired generation');
  }
  const desired = status.number('desiredNumberScheduled') ?? 0;
  const updated = status.number('updatedNumberScheduled') ?? 0;
  const available = status.number('numberAvailable') ?? 0;
  if (spec.child('updateStrategy').string('type') === 'OnDelete') {
    return healthy(`daemon set ${updated} out of ${desired} new pods have been updated (OnDelete: pods update when deleted)`);
  }
  if (updated < desired) {
    return progressing(
      `Waiting for daemon set "${object.name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  }
  if (available < desired) {
    return progressing(
      `Waiting for daemon set "${object.name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    );
  }
  return healthy(`${available} of ${desired} daemon pods updated and available`);
}

function replicaSetHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  if (generationNotObserved(object)) {
    return progressing('Waiting for rollout to finish: observed replica set generation less than desired generation');
  }
  const failure = findCondition(conditions(status), 'ReplicaFailure');
  if (failure?.status === 'True') return degraded(explain(failure) || 'ReplicaSet failed to create pods');
  const desired = spec.number('replicas');
  const available = status.number('availableReplicas') ?? 0;
  if (desired !== undefined && available < desired) {
    return progressing(`Waiting for rollout to finish: ${available} out of ${desired} new replicas are available...`);
  }
  return healthy(`${available} of ${desired ?? available} replicas available`);
}

/**
 * Terminal conditions win (Failed, then Complete); a suspended Job, by condition or by
 * `spec.suspend` before the controller has added the condition, is Suspended; else it runs.
 * Unlike gitops-engine, only conditions whose status is True count (a resumed Job keeps a
 * `Suspended=False` condition and is running, not complete).
 */
function jobHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  const list = conditions(status);
  const failed = findCondition(list, 'Failed');
  if (failed?.status === 'True') return degraded(failed.message || failed.reason || 'Job failed');
  const complete = findCondition(list, 'Complete');
  if (complete?.status === 'True') return healthy(complete.message || 'Job completed');
  if (isTrue(list, 'Suspended') || spec.boolean('suspend') === true) return suspended('Job is suspended');
  const active = status.number('active') ?? 0;
  const succeeded = status.number('succeeded') ?? 0;
  return progressing(`Job is running: ${active} active, ${succeeded} succeeded`);
}

// ---------------------------------------------------------------------------------------------
// Pods

/** A waiting reason that will not resolve by itself (gitops-engine: `Err*`, `*Error`, `*BackOff`). */
function isStuckReason(reason: string): boolean {
  return reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff');
}

/**
 * Pods. `restartPolicy` defaults to Always as the API server does. Stuck containers only make
 * long-running (Always) pods Degraded: a run-to-completion pod may still be pulling its image.
 * Init containers count too: a crash-looping init container blocks the pod as surely.
 */
function podHealth(object: LiveObject): HealthAssessment {
  const { spec, status } = object;
  const restartPolicy = spec.string('restartPolicy') ?? 'Always';
  const containers = [...status.list('initContainerStatuses'), ...status.list('containerStatuses')];
  if (restartPolicy === 'Always') {
    const stuck = stuckContainers(containers);
    if (stuck.length > 0) return degraded(stuck.join('; '));
  }
  const podMessage = status.string('message') ?? '';
  const phase = status.string('phase');
  switch (phase) {
    case 'Pending':
      return progressing(podMessage || 'Pod is pending');
    case 'Succeeded':
      return healthy(podMessage || 'Pod completed successfully');
    case 'Failed':
      return degraded(podMessage || firstFailure(containers) || 'Pod failed');
    case 'Running':
      return restartPolicy === 'Always' ? runningPodHealth(status) : progressing(podMessage || 'Pod is running');
    default:
      return unknown(phase === undefined ? 'Pod has no phase yet' : `Pod phase is "${phase}"`);
  }
}

function stuckContainers(containers: View[]): string[] {
  const messages: string[] = [];
  for (const container of containers) {
    const waiting = container.child('state').child('waiting');
    const reason = waiting.string('reason') ?? '';
    if (isStuckReason(reason)) {
      const detail = waiting.string('message');
      messages.push(`container "${container.string('name') ?? ''}" ${reason}${detail ? `: ${detail}` : ''}`);
    }
  }
  return messages;
}

function firstFailure(containers: View[]): string {
  for (const container of containers) {
    const terminated = container.child('state').child('terminated');
    const message = terminated.string('message');
    if (message) return message;
    if (terminated.string('reason') === 'OOMKilled') return `container "${container.string('name') ?? ''}" was OOMKilled`;
    const exitCode = terminated.number('exitCode') ?? 0;
    if (exitCode !== 0) return `container "${container.string('name') ?? ''}" failed with exit code ${exitCode}`;
  }
  return '';
}

/** Ready by the pod's Ready condition, or (no condition yet) by every container being ready. */
function isPodReady(status: View): boolean {
  const ready = findCondition(conditions(status), 'Ready');
  if (ready !== undefined) return ready.status === 'True';
  const main = status.list('containerStatuses');
  return main.length > 0 && main.every((c) => c.boolean('ready') === true);
}

function runningPodHealth(status: View): HealthAssessment {
  const podMessage = status.string('message') ?? '';
  if (isPodReady(status)) return healthy(podMessage || 'Pod is running and ready');
  const restarted = status.list('containerStatuses').find((c) => c.child('lastState').has('terminated'));
  if (restarted !== undefined) {
    const last = restarted.child('lastState').child('terminated');
    const why = last.string('reason') ?? `exit code ${last.number('exitCode') ?? 0}`;
    return degraded(podMessage || `container "${restarted.string('name') ?? ''}" is not ready and last terminated: ${why}`);
  }
  return progressing(podMessage || 'Waiting for containers to become ready');
}

// ---------------------------------------------------------------------------------------------
// Core and networking objects

function pvcHealth(object: LiveObject): HealthAssessment {
  const phase = object.status.string('phase');
  switch (phase) {
    case 'Bound':
      return healthy('Claim is bound');
    case 'Lost':
      return degraded('Claim lost its volume');
    case 'Pending':
      return progressing('Waiting for the claim to be bound');
    default:
      return unknown(phase === undefined ? 'Claim has no phase yet' : `Claim phase is "${phase}"`);
  }
}

function hasLoadBalancerAddress(status: View): boolean {
  return status.child('loadBalancer').array('ingress').length > 0;
}

function serviceHealth(object: LiveObject): HealthAssessment {
  const type = object.spec.string('type') ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return healthy(`${type} service`);
  return hasLoadBalancerAddress(object.status)
    ? healthy('Load balancer has an address')
    : progressing('Waiting for the load balancer to get an address');
}

/** Argo CD's rule: an Ingress is Healthy once its controller publishes an address. */
function ingressHealth(object: LiveObject): HealthAssessment {
  return hasLoadBalancerAddress(object.status)
    ? healthy('Ingress has an address')
    : progressing('Waiting for the ingress controller to publish an address');
}

// ---------------------------------------------------------------------------------------------
// API extensions

/**
 * CRDs. Not yet Established is Progressing (gitops-engine says Degraded): the agent reads the
 * CRD right after applying it, when the API server has not yet served it.
 */
function crdHealth(object: LiveObject): HealthAssessment {
  const list = conditions(object.status);
  if (list.length === 0) return progressing('Waiting for the CRD status conditions');
  const terminating = findCondition(list, 'Terminating');
  if (terminating?.status === 'True') return progressing(`CRD is being terminated: ${explain(terminating)}`);
  const names = findCondition(list, 'NamesAccepted');
  if (names?.status === 'False') return degraded(`CRD names have not been accepted: ${explain(names)}`);
  const nonStructural = findCondition(list, 'NonStructuralSchema');
  if (nonStructural?.status === 'True') return degraded(`CRD schema is not structural: ${explain(nonStructural)}`);
  const established = findCondition(list, 'Established');
  if (established?.status === 'True') return healthy('CRD is established');
  return progressing(`Waiting for the CRD to be established${established ? `: ${explain(established)}` : ''}`);
}

function apiServiceHealth(object: LiveObject): HealthAssessment {
  const available = findCondition(conditions(object.status), 'Available');
  if (available === undefined) return progressing('Waiting to be processed');
  const detail = explain(available);
  return available.status === 'True' ? healthy(detail || 'APIService is available') : progressing(detail || 'APIService is not available');
}

// ---------------------------------------------------------------------------------------------
// Any other kind: kstatus conventions

/** A False Ready/Available/Healthy condition whose reason says work is under way. */
const IN_PROGRESS_REASON = /progress|pending|reconcil|waiting|creating|updating|deploying|installing|upgrading|provisioning|initiali[sz]/i;

/** The condition types that summarise an object's health, most specific first. */
const SUMMARY_CONDITIONS = ['Ready', 'Available', 'Healthy'] as const;

/**
 * Objects without a built-in check (custom resources, and kinds like ConfigMap with no status):
 * 1. `status.observedGeneration` below `metadata.generation` → Progressing (spec not yet seen);
 *    an absent `observedGeneration` is not waited for, since many controllers never set it;
 * 2. `Stalled=True` → Degraded; `Reconciling=True` → Progressing (kstatus);
 * 3. the first of Ready/Available/Healthy: True → Healthy (Progressing when the condition's own
 *    `observedGeneration` is stale); Unknown → Progressing; False → Degraded, or Progressing when
 *    its reason matches {@link IN_PROGRESS_REASON} (e.g. Flux's `Progressing`, Crossplane's `Creating`);
 * 4. anything else (no status, no such conditions) → Healthy, as Argo CD treats kinds it cannot assess.
 */
function genericHealth(object: LiveObject): HealthAssessment {
  const { status } = object;
  const observed = status.number('observedGeneration');
  if (observed !== undefined && (object.generation ?? 0) > observed) {
    return progressing(`Waiting for the controller to observe generation ${object.generation} (observed ${observed})`);
  }
  const list = conditions(status);
  const stalled = findCondition(list, 'Stalled');
  if (stalled?.status === 'True') return degraded(`Stalled: ${explain(stalled) || 'the controller cannot make progress'}`);
  const reconciling = findCondition(list, 'Reconciling');
  if (reconciling?.status === 'True') return progressing(`Reconciling: ${explain(reconciling) || 'the controller is working'}`);
  for (const type of SUMMARY_CONDITIONS) {
    const condition = findCondition(list, type);
    if (condition !== undefined) return summaryHealth(object, condition);
  }
  return healthy(status.has('conditions') ? `${object.kind} has no health conditions` : `${object.kind} exists`);
}

function summaryHealth(object: LiveObject, condition: Condition): HealthAssessment {
  const label = `${condition.type}=${condition.status || 'Unknown'}`;
  const text = explain(condition);
  const message = text ? `${label}: ${text}` : label;
  const stale = condition.observedGeneration !== undefined && (object.generation ?? 0) > condition.observedGeneration;
  if (condition.status === 'True') {
    return stale ? progressing(`${message} (condition is for generation ${condition.observedGeneration})`) : healthy(message);
  }
  if (condition.status === 'False' && !IN_PROGRESS_REASON.test(condition.reason)) return degraded(message);
  return progressing(message);
}
