import { Inject, Injectable, Logger } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UTC_NOW_SQL } from './retry.js';
import { TriggersService } from './triggers.service.js';

/**
 * Postgres is the source of truth: whatever Redis lost (a flush, a restart), every
 * ApplicationSet or cluster whose generation is ahead of what was rendered or planned
 * gets its job again. Failed renders and plans whose backoff is due are tried again (retry.ts).
 * Also marks clusters unreachable when their agent falls silent.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger('reconciler');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly prisma: PrismaService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
    private readonly metrics: MetricsService,
  ) {}

  async start(): Promise<void> {
    await this.reconcileOnce();
    this.timer = setInterval(() => {
      this.running ??= this.reconcileOnce()
        .catch((error: Error) => this.logger.warn(`reconcile failed: ${error.message}`))
        .finally(() => {
          this.running = undefined;
        });
    }, this.config.FLOTILLA_RECONCILE_SECONDS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reconcileOnce(): Promise<void> {
    await this.retryDueWork();
    const appSets = await this.prisma.$queryRaw<Array<{ id: string; generation: number }>>`
      SELECT id, generation FROM "ApplicationSet" WHERE "renderedGeneration" < generation`;
    await this.triggers.enqueueRenders(appSets.map((a) => ({ appSetId: a.id, generation: a.generation })));
    const clusters = await this.prisma.$queryRaw<Array<{ id: string; generation: number }>>`
      SELECT id, "desiredPlanGeneration" AS generation FROM "Cluster" WHERE "plannedGeneration" < "desiredPlanGeneration"`;
    await this.triggers.enqueuePlans(clusters.map((c) => ({ clusterId: c.id, generation: c.generation })));
    await this.markSilentClusters();
  }

  /**
   * Claims the failed work whose backoff is due by bumping its generation (so the regular
   * catch-up below, or a lost job, cannot drop it) in one statement per table; rows another
   * replica or a running job holds are skipped and claimed on a later pass.
   */
  private async retryDueWork(): Promise<void> {
    const renders = await this.prisma.$queryRawUnsafe<Array<{ id: string; generation: number }>>(
      `UPDATE "ApplicationSet" AS a SET generation = a.generation + 1, "renderRetryAt" = NULL
         FROM (SELECT id FROM "ApplicationSet" WHERE "renderRetryAt" <= ${UTC_NOW_SQL} ORDER BY id FOR UPDATE SKIP LOCKED) AS due
        WHERE a.id = due.id
    RETURNING a.id, a.generation`,
    );
    const plans = await this.prisma.$queryRawUnsafe<Array<{ id: string; generation: number }>>(
      `UPDATE "Cluster" AS c SET "desiredPlanGeneration" = c."desiredPlanGeneration" + 1, "planRetryAt" = NULL
         FROM (SELECT id FROM "Cluster" WHERE "planRetryAt" <= ${UTC_NOW_SQL} ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) AS due
        WHERE c.id = due.id
    RETURNING c.id, c."desiredPlanGeneration" AS generation`,
    );
    this.metrics.retries.inc({ work: 'render' }, renders.length);
    this.metrics.retries.inc({ work: 'plan' }, plans.length);
    if (renders.length + plans.length > 0) {
      this.logger.log(`retrying ${renders.length} failed renders and ${plans.length} plans with failed Applications`);
    }
    await this.triggers.enqueueRenders(renders.map((a) => ({ appSetId: a.id, generation: a.generation })));
    await this.triggers.enqueuePlans(plans.map((c) => ({ clusterId: c.id, generation: c.generation })));
  }

  private async markSilentClusters(): Promise<void> {
    const cutoff = new Date(Date.now() - this.config.FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS * 1000);
    const silent = await this.prisma.cluster.findMany({
      where: { state: 'connected', lastHeartbeatAt: { lt: cutoff } },
      select: { id: true, name: true },
    });
    for (const cluster of silent) {
      const { count } = await this.prisma.cluster.updateMany({
        where: { id: cluster.id, state: 'connected', lastHeartbeatAt: { lt: cutoff } },
        data: { state: 'unreachable' },
      });
      if (count > 0) {
        await this.events.record({
          actor: 'hub',
          type: 'ClusterUnreachable',
          subject: `cluster/${cluster.name}`,
          message: 'agent heartbeats stopped',
        });
      }
    }
  }
}
