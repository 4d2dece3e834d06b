import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from '#contracts';
import { type ApplicationResult, InventoryStore, type KubeApi, KubeError, Syncer } from '#kube';
import type { KubeObject } from '#sources';
import type { AgentConfig } from './config.js';
import { type HubClient, HubError, type PlanRevision } from './hub-client.js';
import { log } from './log.js';
import { AgentMetrics } from './metrics.js';
import { StateStore } from './state-store.js';
import { Wakeup } from './wakeup.js';

export const AGENT_VERSION = '0.1.0';

/** Doubling pauses between failed attempts, capped, reset after a success. */
class Backoff {
  private next: number;
  constructor(
    private readonly firstMs = 500,
    private readonly maxMs = 10_000,
  ) {
    this.next = firstMs;
  }
  take(): number {
    const pause = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return pause / 2 + Math.random() * (pause / 2);
  }
  reset(): void {
    this.next = this.firstMs;
  }
}

/**
 * The spoke agent: gets its cluster's newest plan from the hub (long-poll), keeps it in
 * the cluster, applies it, reads it back for health and drift, and reports. Each of those
 * runs on its own loop, so an unreachable hub stops neither enforcing nor healing, and
 * reports wait (newest only) until the hub is back.
 */
export class Agent {
  private readonly state: StateStore;
  private readonly inventory: InventoryStore;
  private readonly syncer: Syncer;
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  /** The newest plan known (from the hub, or stored in the cluster). */
  private desired: PlanRevision | undefined;
  /** The plan last applied in full: what refreshes check the cluster against. */
  private applied: PlanRevision | undefined;
  private applyRequested = false;
  private applyRunning: Promise<void> | undefined;
  private pendingReport: StatusReport | undefined;
  private lastReport = '';
  /** Wakes the report loop when a report is queued: it sends at once and never polls for work. */
  private readonly reportQueued = new Wakeup(this.stopping.signal);

  constructor(
    private readonly config: AgentConfig,
    private readonly api: KubeApi,
    private readonly hub: HubClient,
    readonly metrics = new AgentMetrics(),
  ) {
    this.state = new StateStore(api, config.namespace);
    this.inventory = new InventoryStore(api, config.namespace);
    this.syncer = new Syncer(api, this.inventory, { concurrency: config.concurrency, onSelfHeal: () => metrics.selfHeals.inc() });
  }

  /** Ready once a plan is enforced (the kubelet's readiness probe). */
  get ready(): boolean {
    return this.applied !== undefined;
  }

  /** The revision last applied in full (for tests and logs). */
  get appliedRevision(): number | undefined {
    return this.applied?.revision;
  }

  async start(): Promise<void> {
    await this.ensureOwnNamespace();
    const stored = await this.retry('read the stored plan', () => this.state.lastPlan());
    if (stored) {
      log('info', 'enforcing the stored plan', { revision: stored.revision });
      this.desired = stored;
      this.requestApply();
    }
    this.loops.push(this.pollLoop(), this.refreshLoop(), this.heartbeatLoop(), this.reportLoop());
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.loops, this.applyRunning]);
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async pollLoop(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        await this.ensureCredential();
        const next = await this.hub.nextPlan(this.desired?.revision ?? 0, this.config.pollSeconds);
        this.metrics.hubUp.set(1);
        backoff.reset();
        if (!next || next.revision <= (this.desired?.revision ?? 0)) continue;
        log('info', 'new plan revision', { revision: next.revision, applications: next.plan.applications.length });
        this.desired = next;
        await this.retry('store the plan', () => this.state.savePlan(next));
        this.requestApply();
      } catch (error) {
        if (this.stopped) return;
        this.metrics.hubUp.set(0);
        log('warn', 'hub unreachable; enforcing the last plan meanwhile', { error: messageOf(error) });
        await this.pause(backoff.take());
      }
    }
  }

  /** Applies the newest plan; requests made while one runs collapse into one more run. */
  private requestApply(): void {
    this.applyRequested = true;
    this.applyRunning ??= (async () => {
      while (this.applyRequested && !this.stopped) {
        this.applyRequested = false;
        const target = this.desired;
        if (target) await this.applyPlan(target);
      }
      this.applyRunning = undefined;
    })();
  }

  private async applyPlan(target: PlanRevision): Promise<void> {
    const started = Date.now();
    try {
      const results: ApplicationResult[] = [];
      for (const app of target.plan.applications) results.push(await this.syncer.apply(app));
      // Applications that left the plan: the hub removes them only after a successful render.
      const planned = new Set(target.plan.applications.map((a) => a.name));
      for (const [name, refs] of await this.inventory.all()) {
        if (planned.has(name)) continue;
        const removed = await this.syncer.remove(name, refs);
        if (removed.sync !== 'Synced') results.push(removed);
      }
      this.applied = target;
      this.queueReport({ revision: target.revision, applications: results });
      this.metrics.applies.inc({ result: results.every((r) => r.sync === 'Synced') ? 'applied' : 'degraded' });
      this.metrics.applyDuration.observe((Date.now() - started) / 1000);
      this.metrics.appliedRevision.set(target.revision);
      log('info', 'plan applied', {
        revision: target.revision,
        ms: Date.now() - started,
        objects: results.reduce((n, r) => n + r.objects.length, 0),
        outOfSync: results.filter((r) => r.sync !== 'Synced').map((r) => r.name),
      });
    } catch (error) {
      // The API server is away or refuses the inventory: try the whole plan again shortly.
      this.metrics.applies.inc({ result: 'failed' });
      log('error', 'applying the plan failed; retrying', { revision: target.revision, error: messageOf(error) });
      await this.pause(2_000);
      if (!this.stopped) this.applyRequested = true;
    }
  }

  /** Reads applied objects back: health changes and drift (healed where selfHeal is on). */
  private async refreshLoop(): Promise<void> {
    while (!this.stopped) {
      await this.pause(this.config.refreshSeconds * 1000);
      const target = this.applied;
      if (!target || this.applyRunning || this.stopped) continue;
      try {
        const results: ApplicationResult[] = [];
        for (const app of target.plan.applications) results.push(await this.syncer.refresh(app));
        if (this.applied === target) this.queueReport({ revision: target.revision, applications: results });
      } catch (error) {
        log('warn', 'refresh failed', { error: messageOf(error) });
      }
    }
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.hub.credential) {
          const kubeVersion = await this.api.serverVersion().catch(() => undefined);
          await this.hub.heartbeat({ agentVersion: AGENT_VERSION, ...(kubeVersion ? { kubeVersion } : {}) });
        }
      } catch (error) {
        if (!(error instanceof HubError && error.status === 401)) log('warn', 'heartbeat failed', { error: messageOf(error) });
      }
      await this.pause(this.config.heartbeatSeconds * 1000);
    }
  }

  /** Sends the newest report, retrying until the hub takes it; identical reports are sent once. */
  private queueReport(report: StatusReport): void {
    this.metrics.observe(report.applications as ApplicationResult[]);
    const text = JSON.stringify(report);
    if (text === this.lastReport) return;
    this.pendingReport = report;
    this.reportQueued.wake();
  }

  private async reportLoop(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      const report = this.pendingReport;
      if (!report) {
        await this.reportQueued.wait();
        continue;
      }
      // Registration (the poll loop's) has not finished yet: the report waits for the credential.
      if (!this.hub.credential) {
        await this.pause(100);
        continue;
      }
      try {
        await this.hub.report(report);
        this.lastReport = JSON.stringify(report);
        if (this.pendingReport === report) this.pendingReport = undefined;
        backoff.reset();
      } catch (error) {
        log('warn', 'status report not delivered; will retry', { error: messageOf(error) });
        await this.pause(backoff.take());
      }
    }
  }

  /** The stored credential, or a new one for the bootstrap token (stored before it is used). */
  private async ensureCredential(): Promise<void> {
    if (this.hub.credential) return;
    const stored = await this.state.credential();
    if (stored) {
      this.hub.credential = stored;
      return;
    }
    if (!this.config.bootstrapToken) throw new Error('no stored credential and no FLOTILLA_BOOTSTRAP_TOKEN to register with');
    const registered = await this.hub.register(this.config.bootstrapToken);
    // The bootstrap token is spent now: keep trying to store the credential rather than lose it.
    await this.retry('store the credential', () => this.state.saveCredential(registered.credential));
    this.hub.credential = registered.credential;
    log('info', 'registered with the hub', { cluster: registered.cluster });
  }

  /** The agent's namespace holds its state; created when the agent may, otherwise it must exist. */
  private async ensureOwnNamespace(): Promise<void> {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.config.namespace } } as KubeObject;
    if (await this.api.get({ apiVersion: 'v1', kind: 'Namespace', name: this.config.namespace }).catch(() => undefined)) return;
    await this.api
      .apply(namespace)
      .catch((error: unknown) => log('warn', 'cannot create the agent namespace', { error: messageOf(error) }));
  }

  private async retry<T>(what: string, work: () => Promise<T>): Promise<T> {
    const backoff = new Backoff();
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (this.stopped) throw error;
        log('warn', `could not ${what}; retrying`, { error: messageOf(error) });
        // A throttled API server says how long to wait.
        await this.pause(Math.max(backoff.take(), error instanceof KubeError ? (error.retryAfterMs ?? 0) : 0));
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
