import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RedisService } from '../redis/redis.service.js';

type Waiter = () => void;

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

  /** Resolves when the cluster may have a new revision, after `timeoutMs`, or when `signal` aborts. */
  wait(clusterId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(clusterId);
      if (!set) {
        set = new Set();
        this.waiters.set(clusterId, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(clusterId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
    });
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
