import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RedisService } from '../redis/redis.service.js';

type Waiter = () => void;

/** One long-poll's wait for its cluster's next revision. */
export interface PlanWait {
  woken: Promise<void>;
  cancel(): void;
}

/**
 * Wakes agents' long-polls when their cluster gets a new plan revision, across hub
 * replicas: the worker that stores a revision publishes on Redis, every API replica
 * subscribes and wakes its own waiters. A lost message only delays an agent until its
 * poll times out and it asks again.
 */
@Injectable()
export class PlanNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly channel: string;
  /** Shutting down: waits end at once. */
  private closed = false;

  constructor(private readonly redis: RedisService) {
    this.channel = redis.channel('plan-revisions');
  }

  async onModuleInit(): Promise<void> {
    // A message names one or more clusters (comma-separated): one message per plan batch.
    this.redis.subscriber.on('message', (channel: string, clusterIds: string) => {
      if (channel === this.channel) for (const id of clusterIds.split(',')) this.wake(id);
    });
    await this.redis.subscriber.subscribe(this.channel);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }

  async publish(clusterIds: readonly string[]): Promise<void> {
    if (clusterIds.length === 0) return;
    await this.redis.client.publish(this.channel, clusterIds.join(','));
  }

  /**
   * Resolves `woken` when the cluster may have a new revision or after `timeoutMs`; `cancel`
   * resolves it at once. Plain callbacks, no AbortSignal per wait: ten thousand polls woken
   * together would otherwise build as many abort events and DOMExceptions.
   */
  wait(clusterId: string, timeoutMs: number): PlanWait {
    if (this.closed) return { woken: Promise.resolve(), cancel: () => undefined };
    let set = this.waiters.get(clusterId);
    if (!set) {
      set = new Set();
      this.waiters.set(clusterId, set);
    }
    const waiters = set;
    let done: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(clusterId) === waiters) this.waiters.delete(clusterId);
        resolve();
      };
    });
    const timer = setTimeout(done, timeoutMs);
    waiters.add(done);
    return { woken, cancel: done };
  }

  /** Agents currently holding a long-poll, for metrics. */
  get waiting(): number {
    let total = 0;
    for (const set of this.waiters.values()) total += set.size;
    return total;
  }

  private wake(clusterId: string): void {
    for (const wake of [...(this.waiters.get(clusterId) ?? [])]) wake();
  }
}
