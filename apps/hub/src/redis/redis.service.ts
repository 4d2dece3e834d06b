import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';

/**
 * Redis connections of this process: one for commands and queues, one subscriber.
 * Redis only carries jobs and wake-ups; Postgres is the source of truth.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  readonly subscriber: Redis;
  /** Prefix of every key and channel this hub uses. */
  readonly prefix: string;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.prefix = config.FLOTILLA_REDIS_PREFIX;
    // Named, so `CLIENT LIST` tells which hub (prefix) and which role each connection has.
    // BullMQ needs maxRetriesPerRequest null on connections it blocks on.
    const options = (role: string) => ({ maxRetriesPerRequest: null, connectionName: `flotilla:${this.prefix}:${role}` });
    this.client = new Redis(config.REDIS_URL, options('commands'));
    this.subscriber = new Redis(config.REDIS_URL, options('subscriber'));
  }

  channel(name: string): string {
    return `${this.prefix}:${name}`;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }
}
