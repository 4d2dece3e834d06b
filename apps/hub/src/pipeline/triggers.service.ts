import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../database/prisma.service.js';
import { pullRequestGenerators, referencedRepositories, usesClusterGenerator } from './appset-facts.js';
import { JOB_OPTIONS, PLAN_BATCH_SIZE, type PlanJob, planJobId, type RenderJob, renderJobId } from './jobs.js';
import { QueuesService } from './queues.service.js';

/**
 * Turns changes into work: bumps the generation of what must be redone in Postgres (the
 * source of truth), then enqueues a job for it. A lost job is harmless: the reconciler
 * finds generations not caught up and enqueues them again.
 */
@Injectable()
export class TriggersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: QueuesService,
  ) {}

  async renderAppSets(appSetIds: readonly string[], options: { planAllClusters?: boolean } = {}): Promise<void> {
    if (appSetIds.length === 0) return;
    const rows = await this.prisma.$queryRaw<Array<{ id: string; generation: number }>>`
      UPDATE "ApplicationSet"
         SET generation = generation + 1,
             "planAllClusters" = "planAllClusters" OR ${options.planAllClusters ?? false}
       WHERE id = ANY(${[...appSetIds]}::uuid[])
   RETURNING id, generation`;
    await this.enqueueRenders(rows.map((r) => ({ appSetId: r.id, generation: r.generation })));
  }

  async planClusters(clusterIds: readonly string[]): Promise<void> {
    if (clusterIds.length === 0) return;
    await this.enqueuePlans(await this.prisma.bulkTransaction((client) => markPlansOutdated(client, clusterIds)));
  }

  /** A cluster was registered, relabelled or removed: re-render only the sets that select clusters. */
  async clustersChanged(): Promise<void> {
    const appSets = await this.prisma.applicationSet.findMany({ select: { id: true, document: true } });
    await this.renderAppSets(appSets.filter((a) => usesClusterGenerator(a.document)).map((a) => a.id));
  }

  /** New commits in these repositories: re-render the sets that read them and re-plan all their clusters. */
  async repositoriesChanged(urls: readonly string[]): Promise<string[]> {
    const wanted = new Set(urls.map(normaliseRepoURL));
    const appSets = await this.prisma.applicationSet.findMany({ select: { id: true, document: true, repositories: true } });
    const affected = appSets
      .filter((a) =>
        [...(a.repositories as string[]), ...referencedRepositories(a.document)].some((url) => wanted.has(normaliseRepoURL(url))),
      )
      .map((a) => a.id);
    await this.renderAppSets(affected, { planAllClusters: true });
    return affected;
  }

  /**
   * A pull request of this repository opened, moved, closed or was relabelled: re-render the
   * sets whose pull request generators of that provider read it (`owner`/`repo`, or GitLab's
   * `project` as id or path; case-insensitive).
   */
  async pullRequestsChanged(provider: string, names: readonly string[]): Promise<string[]> {
    const wanted = new Set(names.map((name) => name.toLowerCase()));
    const appSets = await this.prisma.$queryRaw<Array<{ id: string; document: unknown }>>`
      SELECT id, document FROM "ApplicationSet" WHERE document::text LIKE '%"pullRequest"%'`;
    const affected = appSets
      .filter((a) =>
        pullRequestGenerators(a.document).some((g) => {
          if (g.provider !== provider) return false;
          const { owner, repo, project } = g.settings;
          const name = project !== undefined ? String(project) : `${String(owner)}/${String(repo)}`;
          return wanted.has(name.toLowerCase());
        }),
      )
      .map((a) => a.id);
    await this.renderAppSets(affected);
    return affected;
  }

  async enqueueRenders(jobs: readonly RenderJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queues.render.addBulk(jobs.map((data) => ({ name: 'render', data, opts: { ...JOB_OPTIONS, jobId: renderJobId(data) } })));
  }

  async enqueuePlans(clusters: readonly PlanJob['clusters'][number][]): Promise<void> {
    if (clusters.length === 0) return;
    const sorted = [...clusters].sort((a, b) => (a.clusterId < b.clusterId ? -1 : 1));
    const jobs: PlanJob[] = [];
    for (let i = 0; i < sorted.length; i += PLAN_BATCH_SIZE) jobs.push({ clusters: sorted.slice(i, i + PLAN_BATCH_SIZE) });
    await this.queues.plan.addBulk(jobs.map((data) => ({ name: 'plan', data, opts: { ...JOB_OPTIONS, jobId: planJobId(data) } })));
  }
}

/**
 * Bumps these clusters' desired plan generation, in the caller's transaction when given one:
 * a render stores its Applications and marks their clusters outdated atomically, so a plan is
 * never lost between the two (the reconciler enqueues what is outdated). Rows are locked in
 * id order, as plan jobs lock them, and without blocking foreign-key checks (NO KEY UPDATE):
 * concurrent renders and plan jobs wait for each other instead of deadlocking.
 */
export async function markPlansOutdated(client: pg.ClientBase, clusterIds: readonly string[]): Promise<PlanJob['clusters']> {
  if (clusterIds.length === 0) return [];
  const { rows } = await client.query<{ id: string; generation: number }>(
    `UPDATE "Cluster" AS c SET "desiredPlanGeneration" = c."desiredPlanGeneration" + 1
       FROM (SELECT id FROM "Cluster" WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE) AS l
      WHERE c.id = l.id
  RETURNING c.id, c."desiredPlanGeneration" AS generation`,
    [[...new Set(clusterIds)]],
  );
  return rows.map((r) => ({ clusterId: r.id, generation: r.generation }));
}

/** `https://host/org/repo.git`, `https://host/org/repo` and `…/repo/` are the same repository. */
export function normaliseRepoURL(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase();
}
