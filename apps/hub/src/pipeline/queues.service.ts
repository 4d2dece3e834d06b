import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { QUEUE } from './jobs.js';

/** The pipeline's BullMQ queues (producers only; workers live in the worker role). */
@Injectable()
export class QueuesService implements OnModuleDestroy {
  readonly render: Queue;
  readonly plan: Queue;
  readonly feedback: Queue;
  readonly notify: Queue;
  private readonly connection: Redis;

  constructor(@Inject(HUB_CONFIG) readonly config: HubConfig) {
    this.connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    const options = { connection: this.connection, prefix: `${config.FLOTILLA_REDIS_PREFIX}:bull` };
    this.render = new Queue(QUEUE.render, options);
    this.plan = new Queue(QUEUE.plan, options);
    this.feedback = new Queue(QUEUE.feedback, options);
    this.notify = new Queue(QUEUE.notify, options);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.render.close(), this.plan.close(), this.feedback.close(), this.notify.close()]);
    await this.connection.quit().catch(() => undefined);
  }
}
