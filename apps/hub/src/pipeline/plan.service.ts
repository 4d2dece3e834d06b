import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Application } from '#contracts';
import { hashedPlan, type Plan, type PlanInput, type PlannedApplication, type Planner, planJson, planOutline } from '#plans';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PLANNER } from './fleet.providers.js';
import { clusterInfo, readClusters } from './hub-sources.js';
import type { PlanJob } from './jobs.js';
import { PlanNotifier } from './plan-notifier.service.js';
import { nextRetrySql, type RetryPolicy, retryPolicy } from './retry.js';

/**
 * The plan job: for a batch of clusters, their Applications from every ApplicationSet →
 * one plan each; a new revision is stored only when a plan's hash changed, and the
 * clusters' agents are woken. Reads and writes are batched (a few round trips per job,
 * not per cluster); revisions are numbered under row locks, so concurrent workers never
 * store one twice, and a job older than what was already planned changes nothing. A cluster
 * whose plan has a failed Application is planned again later, with backoff (retry.ts).
 */
@Injectable()
export class PlanService {
  private readonly logger = new Logger('plan');
  private readonly retry: RetryPolicy;

  constructor(
    @Inject(HUB_CONFIG) config: HubConfig,
    private readonly prisma: PrismaService,
    private readonly notifier: PlanNotifier,
    private readonly metrics: MetricsService,
    @Inject(PLANNER) private readonly planner: Planner,
  ) {
    this.retry = retryPolicy(config);
  }

  async run(job: PlanJob): Promise<{ revisions: number; unchanged: number; stale: number }> {
    const stop = this.metrics.planJobDuration.startTimer();
    const result = await this.plan(job);
    stop();
    this.metrics.planRevisions.inc(result.revisions);
    return result;
  }

  private async plan(job: PlanJob): Promise<{ revisions: number; unchanged: number; stale: number }> {
    const wanted = new Map(job.clusters.map((c) => [c.clusterId, c.generation]));
    const clusters = (await readClusters(this.prisma, [...wanted.keys()])).filter((c) => c.plannedGeneration < (wanted.get(c.id) ?? 0));
    const stale = job.clusters.length - clusters.length;
    if (clusters.length === 0) return { revisions: 0, unchanged: 0, stale };
    const generations = new Map(clusters.map((c) => [c.id, c.desiredPlanGeneration]));

    // One joined query (Prisma's include would be a second round trip for the set names), prepared
    // on the pg pool: Prisma's raw-query path costs more than the read for 250 clusters' Applications.
    const rows = await this.prisma.hotQuery<{ application: Application; applicationSet: string }>(
      'plan-applications',
      `SELECT g.application, s.name AS "applicationSet"
         FROM "GeneratedApplication" g JOIN "ApplicationSet" s ON s.id = g."appSetId"
        WHERE g."clusterId" = ANY($1::uuid[])`,
      [clusters.map((c) => c.id)],
    );
    const inputs: PlanInput[] = rows.map((row) => ({ application: row.application, applicationSet: row.applicationSet }));
    const computed = new Map((await this.planner.plan(inputs, clusters.map(clusterInfo))).map((p) => [p.cluster.name, p]));
    const plans = new Map(
      clusters.map((c): [string, Plan] => {
        return [c.id, computed.get(c.name) ?? hashedPlan({ name: c.name, server: c.server }, [])];
      }),
    );
    await this.applyPins(plans);

    const created = await this.prisma.bulkTransaction(async (client) => {
      const ids = [...plans.keys()];
      const { rows: locked } = await client.query<{ id: string; plannedGeneration: number }>(
        `SELECT id, "plannedGeneration" FROM "Cluster" WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
        [ids],
      );
      const behind = locked.filter((c) => c.plannedGeneration < (generations.get(c.id) ?? 0)).map((c) => c.id);
      if (behind.length === 0) return [];
      const { rows: latest } = await client.query<{ clusterId: string; revision: number; hash: string }>(
        // Per cluster its newest row through the (clusterId, revision) index, whatever the table's statistics.
        `SELECT k.id AS "clusterId", r.revision, r.hash
           FROM unnest($1::uuid[]) AS k(id)
           CROSS JOIN LATERAL (SELECT revision, hash FROM "PlanRevision"
                                WHERE "clusterId" = k.id ORDER BY revision DESC LIMIT 1) AS r`,
        [behind],
      );
      const previous = new Map(latest.map((r) => [r.clusterId, r]));
      const revisions = behind
        .filter((id) => previous.get(id)?.hash !== plans.get(id)?.hash)
        .map((id) => ({ clusterId: id, revision: (previous.get(id)?.revision ?? 0) + 1, plan: plans.get(id) as Plan }));
      if (revisions.length > 0) {
        // One INSERT, the revisions as one JSON parameter (a recordset): large plans cost far
        // less to pass as one string than as arrays escaped element by element. Each plan's text
        // is the one made when it was hashed, stored as json (Postgres only checks it: parsing it
        // into jsonb cost 2.3 times as much); its outline is the small jsonb that queries read.
        const payload = `[${revisions
          .map(
            (r) =>
              `{"clusterId":${JSON.stringify(r.clusterId)},"revision":${r.revision},"hash":${JSON.stringify(r.plan.hash)},"outline":${JSON.stringify(planOutline(r.plan))},"plan":${planJson(r.plan)}}`,
          )
          .join(',')}]`;
        await client.query(
          `INSERT INTO "PlanRevision" (id, "clusterId", revision, hash, outline, plan)
           SELECT gen_random_uuid(), r."clusterId", r.revision, r.hash, r.outline, r.plan
             FROM json_to_recordset($1::json) AS r("clusterId" uuid, revision int, hash text, outline jsonb, plan json)`,
          [payload],
        );
      }
      // A failed Application may have met a passing fault (a git server down, a timeout): its
      // cluster is planned again when the backoff is due; a plan without failures clears it.
      await client.query(
        `UPDATE "Cluster" AS c
            SET "plannedGeneration" = v.generation,
                "planRetries" = CASE WHEN v.failed THEN c."planRetries" + 1 ELSE 0 END,
                "planRetryAt" = CASE WHEN v.failed THEN ${nextRetrySql('c."planRetries"', '$4', '$5')} END
           FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::int[]) AS generation, unnest($3::bool[]) AS failed) AS v
          WHERE c.id = v.id`,
        [
          behind,
          behind.map((id) => generations.get(id) as number),
          behind.map((id) => plans.get(id)?.applications.some((app) => app.error !== undefined) ?? false),
          this.retry.baseSeconds,
          this.retry.maxSeconds,
        ],
      );
      return revisions.map((r) => r.clusterId);
    });
    await this.notifier.publish(created);
    if (created.length > 0) this.logger.log(`${created.length} new plan revisions (${clusters.length} clusters planned)`);
    return { revisions: created.length, unchanged: clusters.length - created.length, stale };
  }

  /**
   * Rollbacks: a pinned Application runs as it was planned in the pinned revision, whatever
   * its ApplicationSet renders now (and even if it left it), until the pin is removed.
   */
  private async applyPins(plans: Map<string, Plan>): Promise<void> {
    const pins = await this.prisma.hotQuery<{ clusterId: string; application: string; planned: PlannedApplication | null }>(
      'plan-pins',
      `SELECT p."clusterId", p.application,
              jsonb_path_query_first(r.plan::jsonb, '$.applications[*] ? (@.name == $name)', jsonb_build_object('name', p.application)) AS planned
         FROM "Pin" p JOIN "PlanRevision" r ON r."clusterId" = p."clusterId" AND r.revision = p.revision
        WHERE p."clusterId" = ANY($1::uuid[])`,
      [[...plans.keys()]],
    );
    for (const pin of pins) {
      const plan = plans.get(pin.clusterId);
      if (!plan || !pin.planned) continue;
      const applications = [...plan.applications.filter((app) => app.name !== pin.application), pin.planned].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      plans.set(pin.clusterId, hashedPlan(plan.cluster, applications));
    }
  }
}
