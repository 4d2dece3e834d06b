import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { type HEALTH_STATES, TRACKING_ID_ANNOTATION } from '#contracts';
import type { PlannedApplication } from '#plans';
// Only the ordering module: the agent does not load the planner and its renderers.
import { apiGroup, compareForApply, SYNC_WAVE_ANNOTATION } from '#plans/object-order';
import type { KubeObject } from '#sources';
import { describeRef, type KubeApi, KubeError, type ObjectRef } from './client.js';
import { confirmedDrift, differingFields } from './drift.js';
import { assessHealth, type HealthAssessment } from './health.js';
import { type InventoryStore, refKey, refOf } from './inventory.js';

export type SyncState = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthState = (typeof HEALTH_STATES)[number];

/** One object's state, as reported to the hub. */
export interface ObjectResult {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sync: SyncState;
  health: HealthState;
  message: string;
  /** Fields that differ from the plan (drift), when OutOfSync. */
  diff?: string[];
}

/** One Application's state, as reported to the hub. */
export interface ApplicationResult {
  name: string;
  sync: SyncState;
  health: HealthState;
  message: string;
  objects: ObjectResult[];
}

export interface SyncerOptions {
  /** Requests in flight at once against the API server. */
  concurrency?: number;
  /** Attempts for throttled (429) or failing (5xx, connection) requests. */
  attempts?: number;
  /** First backoff pause; it doubles with each attempt. */
  backoffMs?: number;
  /** The longest `Retry-After` honoured; a throttled request waits what the server asks, up to this. */
  maxRetryAfterMs?: number;
  /** How long to wait for a CustomResourceDefinition to become Established. */
  establishTimeoutMs?: number;
  /** Called for each drifted object applied again under selfHeal (metrics). */
  onSelfHeal?: (ref: ObjectRef) => void;
}

/** Argo CD's annotation, and ours, that keep an object when it leaves the plan. */
const ARGO_SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
const PRUNE_ANNOTATION = 'flotilla.dev/prune';

/** Argo CD's order of health, best first: an Application is as healthy as its worst object. */
const HEALTH_RANK: Record<HealthState, number> = { Healthy: 0, Suspended: 1, Progressing: 2, Missing: 3, Degraded: 4, Unknown: 5 };

/**
 * Makes a cluster match planned Applications: server-side apply in a safe order, prune
 * through the inventory, health and drift. Every API call goes through one concurrency
 * limit and retries throttling and server errors with backoff; per-object failures
 * (conflicts, forbidden, invalid) are reported, never thrown.
 */
export class Syncer {
  private readonly limit: LimitFunction;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly establishTimeoutMs: number;
  private readonly onSelfHeal: (ref: ObjectRef) => void;

  constructor(
    private readonly api: KubeApi,
    private readonly inventory: InventoryStore,
    options: SyncerOptions = {},
  ) {
    this.limit = pLimit(options.concurrency ?? 16);
    this.attempts = options.attempts ?? 6;
    this.backoffMs = options.backoffMs ?? 200;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.establishTimeoutMs = options.establishTimeoutMs ?? 60_000;
    this.onSelfHeal = options.onSelfHeal ?? (() => undefined);
  }

  /** Applies the Application's objects, prunes what left it, and reports the outcome. */
  async apply(app: PlannedApplication): Promise<ApplicationResult> {
    if (app.error) return { name: app.name, sync: 'Unknown', health: 'Unknown', message: `not planned: ${app.error}`, objects: [] };
    const options = new Set(app.syncPolicy.syncOptions ?? []);
    const previous = await this.call(() => this.inventory.read(app.name));
    const planned = app.objects ?? [];
    if (planned.length === 0 && previous.length > 0 && !app.syncPolicy.automated?.allowEmpty)
      return {
        name: app.name,
        sync: 'OutOfSync',
        health: 'Unknown',
        message: 'the plan has no objects for this Application: nothing applied or pruned (set syncPolicy.automated.allowEmpty to allow)',
        objects: [],
      };

    const { objects, failures } = await this.placeInScope(planned, app.namespace);
    // Listed before applying: an agent killed half-way still knows what it may have created.
    await this.call(() => this.inventory.write(app.name, [...previous, ...objects.map(refOf)]));
    if (options.has('CreateNamespace=true') && app.namespace) await this.ensureNamespace(app.namespace, failures);
    const force = options.has('ForceConflicts=true');
    const results = [...failures, ...(await this.applyInOrder(objects, force))];

    const wanted = new Set(objects.map((o) => refKey(refOf(o))));
    const leaving = previous.filter((ref) => !wanted.has(refKey(ref)));
    const pruneResults = await this.prune(app.name, leaving, app.syncPolicy.automated?.prune === true);
    await this.call(() => this.inventory.write(app.name, [...objects.map(refOf), ...pruneResults.kept]));
    return summarise(app.name, [...results, ...pruneResults.results]);
  }

  /**
   * Reads the Application's objects back: health, and drift from the plan (fields that
   * differ, objects gone). With selfHeal, drifted objects are applied again, taking back
   * the fields someone changed.
   */
  async refresh(app: PlannedApplication): Promise<ApplicationResult> {
    if (app.error) return { name: app.name, sync: 'Unknown', health: 'Unknown', message: `not planned: ${app.error}`, objects: [] };
    const { objects, failures } = await this.placeInScope(app.objects ?? [], app.namespace);
    const selfHeal = app.syncPolicy.automated?.selfHeal === true;
    const results = await Promise.all(
      objects.map(async (desired): Promise<ObjectResult> => {
        const ref = refOf(desired);
        try {
          const live = await this.call(() => this.api.get(ref));
          const drift = live ? await this.drift(desired, live) : ['(object is missing)'];
          if (drift.length > 0 && selfHeal) {
            const healed = await this.call(() => this.api.apply(desired, { force: true }));
            this.onSelfHeal(ref);
            return objectResult(ref, 'Synced', assessHealth(healed), `self-healed: ${drift.slice(0, 10).join(', ')}`);
          }
          const health = assessHealth(live);
          if (drift.length > 0)
            return {
              ...objectResult(ref, 'OutOfSync', health, `differs from the plan: ${drift.slice(0, 10).join(', ')}`),
              diff: drift.slice(0, 50),
            };
          return objectResult(ref, 'Synced', health, health.message);
        } catch (error) {
          return objectResult(ref, 'Unknown', { status: 'Unknown', message: '' }, messageOf(error));
        }
      }),
    );
    return summarise(app.name, [...failures, ...results]);
  }

  /** An Application left the plan: deletes the objects it owns and forgets its inventory. */
  async remove(application: string, refs: readonly ObjectRef[]): Promise<ApplicationResult> {
    const { results, kept } = await this.prune(application, refs, true);
    if (kept.length === 0) await this.call(() => this.inventory.remove(application));
    else await this.call(() => this.inventory.write(application, kept));
    return summarise(application, results);
  }

  private async drift(desired: KubeObject, live: KubeObject): Promise<string[]> {
    if (differingFields(desired, live).length === 0) return [];
    // The quick look saw a difference: ask the server what applying would change (defaults,
    // normalised quantities and list merges included) before calling it drift.
    const after = await this.call(() => this.api.apply(desired, { force: true, dryRun: true }));
    return confirmedDrift(live, after);
  }

  /**
   * Namespaced objects without a namespace go to the destination; cluster-scoped ones
   * lose theirs. Discovery decides (the hub only guessed); kinds whose CRD is in the
   * same plan are decided after it is Established.
   */
  private async placeInScope(
    objects: readonly KubeObject[],
    namespace: string,
  ): Promise<{ objects: KubeObject[]; failures: ObjectResult[] }> {
    const placed: KubeObject[] = [];
    const failures: ObjectResult[] = [];
    const definedHere = new Set(objects.filter((o) => o.kind === 'CustomResourceDefinition').flatMap(crdKinds));
    for (const object of objects) {
      let namespaced: boolean | undefined;
      try {
        namespaced = await this.call(() => this.api.isNamespaced(object.apiVersion, object.kind));
      } catch (error) {
        failures.push(objectResult(refOf(object), 'OutOfSync', { status: 'Unknown', message: '' }, messageOf(error)));
        continue;
      }
      if (namespaced === undefined && definedHere.has(`${apiGroup(object.apiVersion)}/${object.kind}`))
        namespaced = Boolean(object.metadata.namespace);
      if (namespaced === undefined) {
        failures.push(
          objectResult(
            refOf(object),
            'OutOfSync',
            { status: 'Missing', message: '' },
            `${describeRef(object)}: the server does not serve ${object.apiVersion} ${object.kind}`,
          ),
        );
        continue;
      }
      const { namespace: own, ...metadata } = object.metadata;
      const target = namespaced ? own || namespace || 'default' : undefined;
      placed.push({ ...object, metadata: target ? { ...metadata, namespace: target } : metadata });
    }
    return { objects: placed.sort(compareForApply), failures };
  }

  /** Stages of the same sync wave and kind run concurrently; stages run one after another. */
  private async applyInOrder(objects: readonly KubeObject[], force: boolean): Promise<ObjectResult[]> {
    const results: ObjectResult[] = [];
    for (const stage of stages(objects)) {
      const applied = await Promise.all(stage.map((object) => this.applyOne(object, force)));
      results.push(...applied.map((a) => a.result));
      const crds = applied.filter((a) => a.live?.kind === 'CustomResourceDefinition').map((a) => a.live as KubeObject);
      if (crds.length > 0) {
        await Promise.all(crds.map((crd) => this.waitEstablished(crd)));
        this.api.forgetDiscovery();
      }
    }
    return results;
  }

  private async applyOne(object: KubeObject, force: boolean): Promise<{ result: ObjectResult; live?: KubeObject }> {
    const ref = refOf(object);
    try {
      const live = await this.call(() => this.api.apply(object, { force }));
      const health = assessHealth(live);
      return { result: objectResult(ref, 'Synced', health, health.message), live };
    } catch (error) {
      const conflict = error instanceof KubeError && error.reason === 'Conflict';
      const message = conflict
        ? `${messageOf(error)} (another field manager owns these fields; set syncOptions ForceConflicts=true to take them over)`
        : messageOf(error);
      return { result: objectResult(ref, 'OutOfSync', { status: 'Unknown', message: '' }, message) };
    }
  }

  private async waitEstablished(crd: KubeObject): Promise<void> {
    const deadline = Date.now() + this.establishTimeoutMs;
    let live: KubeObject | undefined = crd;
    while (Date.now() < deadline) {
      if (assessHealth(live).status === 'Healthy') return;
      await sleep(100);
      live = await this.call(() => this.api.get(refOf(crd)));
    }
    // Its custom resources will fail to apply and say why; nothing else to do here.
  }

  private async ensureNamespace(name: string, failures: ObjectResult[]): Promise<void> {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject;
    try {
      await this.call(() => this.api.apply(namespace));
    } catch (error) {
      failures.push(objectResult(refOf(namespace), 'OutOfSync', { status: 'Unknown', message: '' }, messageOf(error)));
    }
  }

  /**
   * Deletes objects that left the Application, if it owns them: the live object must
   * carry this Application's tracking annotation and not ask to be kept. Without `allowed`
   * (syncPolicy.automated.prune off) they stay, reported OutOfSync, and stay listed.
   */
  private async prune(
    application: string,
    refs: readonly ObjectRef[],
    allowed: boolean,
  ): Promise<{ results: ObjectResult[]; kept: ObjectRef[] }> {
    const results: ObjectResult[] = [];
    const kept: ObjectRef[] = [];
    await Promise.all(
      refs.map(async (ref) => {
        try {
          const live = await this.call(() => this.api.get(ref));
          if (!live) return;
          const tracking = live.metadata.annotations?.[TRACKING_ID_ANNOTATION] ?? '';
          if (!tracking.startsWith(`${application}:`)) return; // someone else's object now: not ours to delete
          if (keepOnPrune(live)) return;
          if (!allowed) {
            kept.push(ref);
            results.push(
              objectResult(
                ref,
                'OutOfSync',
                assessHealth(live),
                'no longer in the plan; requires pruning (syncPolicy.automated.prune is off)',
              ),
            );
            return;
          }
          await this.call(() => this.api.delete(ref));
        } catch (error) {
          kept.push(ref);
          results.push(objectResult(ref, 'OutOfSync', { status: 'Unknown', message: '' }, `prune failed: ${messageOf(error)}`));
        }
      }),
    );
    return { results, kept };
  }

  /**
   * Runs an API call under the concurrency limit, retrying throttling and server errors:
   * after the server's `Retry-After` when it sent one (API Priority and Fairness does with
   * its 429s), else after a doubling pause with jitter.
   */
  private call<T>(request: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await request();
        } catch (error) {
          if (!(error instanceof KubeError && error.retryable) || attempt >= this.attempts) throw error;
          if (error.retryAfterMs !== undefined) {
            await sleep(Math.min(error.retryAfterMs, this.maxRetryAfterMs));
            continue;
          }
          const pause = this.backoffMs * 2 ** (attempt - 1);
          await sleep(pause / 2 + Math.random() * (pause / 2));
        }
      }
    });
  }
}

/** Consecutive objects (already in apply order) of the same sync wave and kind. */
function stages(objects: readonly KubeObject[]): KubeObject[][] {
  const out: KubeObject[][] = [];
  let key: string | undefined;
  for (const object of objects) {
    const next = `${object.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? '0'}/${object.kind}`;
    if (next !== key) out.push([]);
    key = next;
    out.at(-1)?.push(object);
  }
  return out;
}

function crdKinds(crd: KubeObject): string[] {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return spec?.group && spec.names?.kind ? [`${spec.group}/${spec.names.kind}`] : [];
}

function keepOnPrune(live: KubeObject): boolean {
  const annotations = live.metadata.annotations ?? {};
  return (
    annotations[PRUNE_ANNOTATION] === 'false' ||
    (annotations[ARGO_SYNC_OPTIONS_ANNOTATION] ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('Prune=false')
  );
}

function objectResult(ref: ObjectRef, sync: SyncState, health: HealthAssessment, message: string): ObjectResult {
  return {
    group: apiGroup(ref.apiVersion),
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    sync,
    health: health.status,
    message: message.slice(0, 2000),
  };
}

function summarise(name: string, objects: ObjectResult[]): ApplicationResult {
  const sync: SyncState = objects.some((o) => o.sync === 'Unknown')
    ? 'Unknown'
    : objects.some((o) => o.sync === 'OutOfSync')
      ? 'OutOfSync'
      : 'Synced';
  const health = objects.reduce<HealthState>((worst, o) => (HEALTH_RANK[o.health] > HEALTH_RANK[worst] ? o.health : worst), 'Healthy');
  const problems = objects.filter((o) => o.sync !== 'Synced' || o.health !== 'Healthy');
  const message = problems
    .slice(0, 5)
    .map((o) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${o.message || o.health}`)
    .join('; ');
  return { name, sync, health, message: message.slice(0, 4000), objects };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
