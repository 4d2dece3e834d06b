import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';

/**
 * Redis connections of this process: one for commands and queues, one subscriber.
 * Redis only carries jobs and wake-ups; Postgres is the source of truth.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger('redis');
  readonly client: Redis;
  /** Only for `listen`: it resubscribes after a reconnection and tells when it is subscribed. */
  private readonly subscriber: Redis;
  /** Prefix of every key and channel this hub uses. */
  readonly prefix: string;
  private readonly handlers = new Map<string, Array<(message: string) => void>>();
  private readonly resubscribedListeners: Array<() => void> = [];
  private subscribed = false;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.prefix = config.FLOTILLA_REDIS_PREFIX;
    // Named, so `CLIENT LIST` tells which hub (prefix) and which role each connection has.
    // BullMQ needs maxRetriesPerRequest null on connections it blocks on.
    const options = (role: string) => ({ maxRetriesPerRequest: null, connectionName: `flotilla:${this.prefix}:${role}` });
    this.client = new Redis(config.REDIS_URL, options('commands'));
    // Resubscribed here rather than by ioredis (autoResubscribe), whose resubscription's
    // failure (the connection dropping again meanwhile) would be an unhandled rejection.
    this.subscriber = new Redis(config.REDIS_URL, { ...options('subscriber'), autoResubscribe: false });
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
    });
    this.subscriber.on('ready', () => void this.resubscribe());
  }

  channel(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** Calls `handler` with every message published on this hub's channel `name`. */
  async listen(name: string, handler: (message: string) => void): Promise<void> {
    const channel = this.channel(name);
    const handlers = this.handlers.get(channel) ?? [];
    handlers.push(handler);
    this.handlers.set(channel, handlers);
    await this.subscriber.subscribe(channel);
  }

  /**
   * True while the subscriber is connected and subscribed to every channel listened on:
   * nothing published meanwhile was missed. Messages published while it was not are lost.
   */
  get listening(): boolean {
    return this.subscribed && this.subscriber.status === 'ready';
  }

  /** Calls `listener` each time the subscriber is subscribed again after a (re)connection. */
  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  private async resubscribe(): Promise<void> {
    try {
      const channels = [...this.handlers.keys()];
      if (channels.length > 0) await this.subscriber.subscribe(...channels);
      this.subscribed = true;
      for (const listener of this.resubscribedListeners) listener();
    } catch (error) {
      // Dropped again before it was subscribed: the next 'ready' tries again.
      this.logger.warn(`could not subscribe again after reconnecting: ${(error as Error).message}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }
}
