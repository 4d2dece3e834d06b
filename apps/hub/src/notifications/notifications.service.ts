import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { NotifyJob } from '../pipeline/jobs.js';
import { QUEUE } from '../pipeline/jobs.js';
import { QueuesService } from '../pipeline/queues.service.js';
import { type NotificationRule, type NotifiedEvent, wants } from './notification-rules.js';

/** Rules are re-read at most this often per process (a changed rule takes effect within it). */
const RULES_TTL_MS = 5000;

const NOTIFY_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: 1000,
} as const;

/** Turns recorded events into delivery jobs for the notifications that select them. */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger('notifications');
  private rules: { at: number; list: NotificationRule[] } | undefined;

  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: QueuesService,
  ) {}

  invalidate(): void {
    this.rules = undefined;
  }

  /** Never throws: a notification problem must not fail what recorded the event. */
  async dispatch(event: NotifiedEvent): Promise<void> {
    try {
      const matching = (await this.currentRules()).filter((rule) => wants(rule, event));
      if (matching.length === 0) return;
      await this.queues.notify.addBulk(
        matching.map((rule) => ({
          name: QUEUE.notify,
          data: { notification: rule.name, event } satisfies NotifyJob,
          opts: NOTIFY_JOB_OPTIONS,
        })),
      );
    } catch (error) {
      this.logger.warn(`cannot queue notifications for ${event.type} ${event.subject}: ${(error as Error).message}`);
    }
  }

  private async currentRules(): Promise<NotificationRule[]> {
    if (this.rules && Date.now() - this.rules.at < RULES_TTL_MS) return this.rules.list;
    const rows = await this.prisma.notification.findMany();
    const list = rows.map((row) => ({
      name: row.name,
      type: row.type as NotificationRule['type'],
      events: row.events as string[],
      subjectPrefix: row.subjectPrefix,
    }));
    this.rules = { at: Date.now(), list };
    return list;
  }
}
