import { Inject, Injectable, Logger } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { TriggersService } from './triggers.service.js';

/**
 * Postgres is the source of truth: whatever Redis lost (a flush, a restart), every
 * ApplicationSet or cluster whose generation is ahead of what was rendered or planned
 * gets its job again. Also marks clusters unreachable when their agent falls silent.
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
    const appSets = await this.prisma.$queryRaw<Array<{ id: string; generation: number }>>`
      SELECT id, generation FROM "ApplicationSet" WHERE "renderedGeneration" < generation`;
    await this.triggers.enqueueRenders(appSets.map((a) => ({ appSetId: a.id, generation: a.generation })));
    const clusters = await this.prisma.$queryRaw<Array<{ id: string; generation: number }>>`
      SELECT id, "desiredPlanGeneration" AS generation FROM "Cluster" WHERE "plannedGeneration" < "desiredPlanGeneration"`;
    await this.triggers.enqueuePlans(clusters.map((c) => ({ clusterId: c.id, generation: c.generation })));
    await this.markSilentClusters();
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
