import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { PrismaService } from '../database/prisma.service.js';
import type { NotifyJob } from '../pipeline/jobs.js';
import { SecretsService } from '../secrets/secrets.service.js';
import { payloadFor } from './notification-rules.js';

const SEND_TIMEOUT_MS = 10_000;

/** The notify job: one POST; a failure throws so BullMQ retries it with backoff. */
@Injectable()
export class NotificationSender {
  private readonly logger = new Logger('notifications');

  constructor(
    private readonly prisma: PrismaService,
    private readonly secrets: SecretsService,
  ) {}

  async run(job: NotifyJob): Promise<'sent' | 'gone'> {
    const rule = await this.prisma.notification.findUnique({ where: { name: job.notification } });
    if (!rule) return 'gone';
    const url =
      rule.url ?? (rule.urlSecretName && rule.urlSecretKey ? await this.secrets.resolve(rule.urlSecretName, rule.urlSecretKey) : undefined);
    if (!url)
      throw new UnrecoverableError(`notification ${rule.name}: its URL secret ${rule.urlSecretName}/${rule.urlSecretKey} is missing`);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'flotilla' },
        body: JSON.stringify(payloadFor(rule.type as 'webhook' | 'slack', job.event)),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
    } catch (error) {
      // The URL may hold a token (Slack): name the notification, never the URL.
      throw new Error(
        `notification ${rule.name}: receiver unreachable (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`,
      );
    }
    await response.body?.cancel();
    if (!response.ok) throw new Error(`notification ${rule.name}: receiver answered HTTP ${response.status}`);
    this.logger.log(`notification ${rule.name}: ${job.event.type} ${job.event.subject} sent`);
    return 'sent';
  }
}
