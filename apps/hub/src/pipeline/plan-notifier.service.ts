import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RedisService } from '../redis/redis.service.js';

/**
 * Something held until its cluster may have a new plan revision or its deadline passes: a
 * held long-poll (agent-gateway/plan-poll.ts). `wake` is called once, after the waiter was
 * released.
 */
export interface PlanWaiter {
  readonly clusterId: string;
  /** `Date.now()` after which the waiter is woken whatever happened. */
  readonly deadline: number;
  wake(): void;
}

/** One wait for a cluster's next revision, as a promise (for callers that hold few). */
export interface PlanWait {
  woken: Promise<void>;
  cancel(): void;
}

/**
 * Deadlines are kept in buckets of this many milliseconds, swept by one timer: a held poll
 * costs no timer of its own (see docs/benchmarks.md, delivery: memory per held agent), and
 * wakes at most this much after its deadline.
 */
const TICK_MS = 100;
/** Redis channel of clusters with new plan revisions. */
const CHANNEL = 'plan-revisions';

/**
 * Wakes agents' long-polls when their cluster gets a new plan revision, across hub
 * replicas: the worker that stores a revision publishes on Redis, every API replica
 * subscribes and wakes its own waiters. A lost message only delays an agent until its
 * poll times out and it asks again.
 */
@Injectable()
export class PlanNotifier implements OnModuleInit, OnModuleDestroy {
  /** By cluster: its one waiter (the usual case) or several. */
  private readonly byCluster = new Map<string, PlanWaiter | Set<PlanWaiter>>();
  /** By deadline tick (`Math.ceil(deadline / TICK_MS)`). */
  private readonly byTick = new Map<number, Set<PlanWaiter>>();
  private held = 0;
  private sweeper: NodeJS.Timeout | undefined;
  /** Shutting down: waits end at once. */
  private closed = false;

  constructor(private readonly redis: RedisService) {}

  async onModuleInit(): Promise<void> {
    // A message names one or more clusters (comma-separated): one message per plan batch.
    await this.redis.listen(CHANNEL, (clusterIds) => {
      for (const id of clusterIds.split(',')) this.wake(id);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const bucket of [...this.byTick.values()]) for (const waiter of bucket) this.wakeOne(waiter);
  }

  async publish(clusterIds: readonly string[]): Promise<void> {
    if (clusterIds.length === 0) return;
    await this.redis.client.publish(this.redis.channel(CHANNEL), clusterIds.join(','));
  }

  /**
   * Holds `waiter` until its cluster is announced, its deadline passes, or the hub shuts down.
   * False, and not held, when its deadline already passed or the hub is shutting down.
   */
  hold(waiter: PlanWaiter): boolean {
    if (this.closed || waiter.deadline <= Date.now()) return false;
    const same = this.byCluster.get(waiter.clusterId);
    if (same === undefined) this.byCluster.set(waiter.clusterId, waiter);
    else if (same instanceof Set) same.add(waiter);
    else this.byCluster.set(waiter.clusterId, new Set([same, waiter]));
    const tick = Math.ceil(waiter.deadline / TICK_MS);
    const bucket = this.byTick.get(tick);
    if (bucket) bucket.add(waiter);
    else this.byTick.set(tick, new Set([waiter]));
    this.held += 1;
    if (!this.sweeper) this.sweeper = setInterval(() => this.sweep(), TICK_MS).unref();
    return true;
  }

  /** Stops holding `waiter` without waking it (its agent hung up); false if it was not held. */
  release(waiter: PlanWaiter): boolean {
    const same = this.byCluster.get(waiter.clusterId);
    if (same === waiter) this.byCluster.delete(waiter.clusterId);
    else if (same instanceof Set && same.delete(waiter)) {
      if (same.size === 1) this.byCluster.set(waiter.clusterId, same.values().next().value as PlanWaiter);
    } else return false;
    const tick = Math.ceil(waiter.deadline / TICK_MS);
    const bucket = this.byTick.get(tick);
    bucket?.delete(waiter);
    if (bucket?.size === 0) this.byTick.delete(tick);
    this.held -= 1;
    if (this.held === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return true;
  }

  /**
   * Resolves `woken` when the cluster may have a new revision or after `timeoutMs`; `cancel`
   * resolves it at once. For a few waits (benchmarks, tools); held polls use `hold`.
   */
  wait(clusterId: string, timeoutMs: number): PlanWait {
    let resolve: () => void = () => undefined;
    const woken = new Promise<void>((r) => {
      resolve = r;
    });
    const waiter: PlanWaiter = { clusterId, deadline: Date.now() + timeoutMs, wake: resolve };
    if (!this.hold(waiter)) resolve();
    return {
      woken,
      cancel: () => {
        if (this.release(waiter)) resolve();
      },
    };
  }

  /** Agents currently holding a long-poll, for metrics. */
  get waiting(): number {
    return this.held;
  }

  private wake(clusterId: string): void {
    const same = this.byCluster.get(clusterId);
    if (same === undefined) return;
    for (const waiter of same instanceof Set ? [...same] : [same]) this.wakeOne(waiter);
  }

  private wakeOne(waiter: PlanWaiter): void {
    if (this.release(waiter)) waiter.wake();
  }

  /** Wakes the waiters whose deadline passed. */
  private sweep(): void {
    const now = Math.floor(Date.now() / TICK_MS);
    for (const [tick, bucket] of this.byTick) if (tick <= now) for (const waiter of [...bucket]) this.wakeOne(waiter);
  }
}
