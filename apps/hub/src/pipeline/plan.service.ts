import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Application } from '#contracts';
import { contentHash, type Plan, type PlanInput, type Planner } from '#plans';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PLANNER } from './fleet.providers.js';
import { clusterInfo } from './hub-sources.js';
import type { PlanJob } from './jobs.js';
import { PlanNotifier } from './plan-notifier.service.js';

/**
 * The plan job: a cluster's Applications from every ApplicationSet → its plan; a new
 * revision is stored only when the plan's hash changed, and the cluster's agent is woken.
 * Revisions are numbered under a row lock, so concurrent workers never duplicate one.
 */
@Injectable()
export class PlanService {
  private readonly logger = new Logger('plan');

  constructor(
    private readonly prisma: PrismaService,
    private readonly notifier: PlanNotifier,
    @Inject(PLANNER) private readonly planner: Planner,
  ) {}

  async run(job: PlanJob): Promise<'new-revision' | 'unchanged' | 'stale'> {
    const cluster = await this.prisma.cluster.findUnique({ where: { id: job.clusterId } });
    if (!cluster || cluster.plannedGeneration >= job.generation) return 'stale';
    const generation = cluster.desiredPlanGeneration;
    const rows = await this.prisma.generatedApplication.findMany({
      where: { clusterId: cluster.id },
      include: { appSet: { select: { name: true } } },
    });
    const inputs: PlanInput[] = rows.map((row) => ({
      application: row.application as unknown as Application,
      applicationSet: row.appSet.name,
    }));
    const info = clusterInfo(cluster);
    const [computed] = await this.planner.plan(inputs, [info]);
    const planCluster = { name: cluster.name, server: cluster.server };
    const plan: Plan = computed ?? {
      cluster: planCluster,
      hash: contentHash({ cluster: planCluster, applications: [] }),
      applications: [],
    };

    const revision = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ plannedGeneration: number }>>`
        SELECT "plannedGeneration" FROM "Cluster" WHERE id = ${cluster.id}::uuid FOR UPDATE`;
      if (!locked[0] || locked[0].plannedGeneration >= generation) return undefined;
      const latest = await tx.planRevision.findFirst({
        where: { clusterId: cluster.id },
        orderBy: { revision: 'desc' },
        select: { revision: true, hash: true },
      });
      let created: number | null = null;
      if (latest?.hash !== plan.hash) {
        created = (latest?.revision ?? 0) + 1;
        await tx.planRevision.create({
          data: { clusterId: cluster.id, revision: created, hash: plan.hash, plan: plan as unknown as Prisma.InputJsonValue },
        });
      }
      await tx.cluster.update({ where: { id: cluster.id }, data: { plannedGeneration: generation } });
      return created;
    });
    if (revision === undefined) return 'stale';
    if (revision === null) return 'unchanged';
    await this.notifier.publish(cluster.id);
    this.logger.log(`cluster ${cluster.name}: revision ${revision} (${plan.applications.length} applications)`);
    return 'new-revision';
  }
}
