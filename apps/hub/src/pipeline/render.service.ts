import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type ApplicationSet,
  applicationWarnings,
  IncrementalRenderer,
  isClusterSeparable,
  parseApplicationSets,
  renderApplicationSet,
} from '#appsets';
import { type Application, type ClusterInfo, FlotillaError, type ParamSet } from '#contracts';
import { createDefaultRegistry, type PullRequestSource } from '#generators';
import { destinationResolver } from '#plans';
import type { RemoteGitRepositories } from '#sources';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PreviewFeedbackQueue } from '../previews/feedback-queue.service.js';
import { decidePreviews, type PreviewDecision, type PreviewRecord, previewPolicyOf } from '../previews/preview-policy.js';
import { storePreviews } from '../previews/preview-store.js';
import { RecordingPullRequestSource } from '../previews/recording-source.js';
import { pullRequestGenerators } from './appset-facts.js';
import { type Condition, setCondition } from './conditions.js';
import { GIT, PULL_REQUESTS } from './fleet.providers.js';
import { clusterInfo, hubGeneratorSources, type PipelineCluster, readClusters } from './hub-sources.js';
import type { PlanJob, RenderJob } from './jobs.js';
import { RendererCache } from './renderer-cache.js';
import { markPlansOutdated, TriggersService } from './triggers.service.js';

const registry = createDefaultRegistry();

/**
 * Prisma's defaults (5 s to run, 2 s to start) fail the store of a large fleet on a loaded
 * machine, and the render is then done again from the start; a stuck one still ends.
 */
const STORE_TRANSACTION = { maxWait: 30_000, timeout: 120_000 };

/**
 * The render job: an ApplicationSet's newest document → its Applications, stored, and the
 * clusters whose Applications changed queued for planning. A failed render keeps the last
 * good Applications (deletion guard) and reports the error as a condition.
 */
@Injectable()
export class RenderService {
  private readonly logger = new Logger('render');

  constructor(
    private readonly prisma: PrismaService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
    private readonly metrics: MetricsService,
    @Inject(GIT) private readonly git: RemoteGitRepositories,
    @Inject(PULL_REQUESTS) private readonly pullRequests: PullRequestSource,
    private readonly feedback: PreviewFeedbackQueue,
    private readonly renderers: RendererCache,
  ) {}

  async run(job: RenderJob): Promise<'rendered' | 'failed' | 'stale'> {
    const stop = this.metrics.renderDuration.startTimer();
    const result = await this.render(job);
    if (result !== 'stale') stop();
    this.metrics.renders.inc({ result });
    return result;
  }

  private render(job: RenderJob): Promise<'rendered' | 'failed' | 'stale'> {
    return this.renderers.exclusive(job.appSetId, () => this.renderNow(job));
  }

  private async renderNow(job: RenderJob): Promise<'rendered' | 'failed' | 'stale'> {
    const appSet = await this.prisma.applicationSet.findUnique({ where: { id: job.appSetId } });
    if (!appSet || appSet.renderedGeneration >= job.generation) return 'stale';
    const generation = appSet.generation;
    const clusters = await readClusters(this.prisma);
    const infos = clusters.map(clusterInfo);
    if (appSet.planAllClusters) for (const url of appSet.repositories as string[]) this.git.invalidate(url);

    let applications: Application[];
    let params: ParamSet[];
    let warnings: string[];
    const pullRequests = new RecordingPullRequestSource(this.pullRequests);
    const hasPreviews = pullRequestGenerators(appSet.document).length > 0;
    let previews: { decision: PreviewDecision; previous: PreviewRecord[]; keys: Array<string | undefined> } | undefined;
    const documentHash = createHash('sha256').update(JSON.stringify(appSet.document)).digest('hex');
    let renderer: IncrementalRenderer | undefined;
    try {
      const [parsed] = parseApplicationSets(JSON.stringify(appSet.document), registry, `${appSet.namespace}/${appSet.name}`);
      const document = parsed as ApplicationSet;
      // A cluster change to a cluster-separable set: only the changed clusters' Applications.
      const separable = !hasPreviews && isClusterSeparable(document);
      const held =
        separable && !appSet.planAllClusters ? this.renderers.get(appSet.id, documentHash, appSet.renderedGeneration) : undefined;
      if (held) return await this.renderClusterChanges(appSet, generation, held, documentHash, clusters);
      // Checked before any provider is called: a bad annotation costs no API request.
      const policy = hasPreviews ? previewPolicyOf(document.metadata.annotations as Record<string, string> | undefined) : {};
      if (separable) {
        renderer = new IncrementalRenderer(document, { git: this.git }, registry);
        await renderer.renderAll(infos);
        const rows = renderer.rows();
        applications = rows.map((row) => row.application);
        params = rows.map((row) => row.params);
        warnings = renderer.warnings;
      } else {
        const sources = { ...hubGeneratorSources(infos, this.git), pullRequests };
        const result = await renderApplicationSet(document, { registry, sources });
        applications = result.applications;
        params = result.params;
        warnings = result.warnings;
      }
      if (hasPreviews) {
        const previous = await this.previousPreviews(appSet.id);
        const keys = params.map((p) => pullRequests.previewOf(p));
        const generating = new Set(keys.filter((k): k is string => k !== undefined));
        const decision = decidePreviews({ policy, now: new Date(), listed: pullRequests.listed, generating, previous });
        // Applications of expired or evicted previews are left out, so their objects are pruned.
        const kept = keys.map((key) => key === undefined || decision.live.has(key));
        applications = applications.filter((_, i) => kept[i]);
        params = params.filter((_, i) => kept[i]);
        previews = { decision, previous, keys: keys.filter((_, i) => kept[i]) };
      }
    } catch (error) {
      const message = error instanceof FlotillaError ? error.message : previewPolicyMessage(error);
      if (message === undefined) throw error;
      await this.recordFailure(appSet, generation, appSet.conditions as unknown as Condition[], message);
      return 'failed';
    }

    const place = placement(clusters, infos);
    const rows = applications.map((application, i) => ({
      name: application.metadata.name,
      clusterId: place(application),
      application,
      params: params[i] ?? {},
      previewKey: previews?.keys[i],
    }));
    const unplaced = rows.filter((r) => r.clusterId === null).map((r) => r.name);
    const affected = await this.store(
      appSet.id,
      generation,
      appSet.planAllClusters,
      rows,
      warnings,
      unplaced,
      appSet.conditions as unknown as Condition[],
      previews,
    );
    if (affected === undefined) return 'stale';
    if (renderer) this.renderers.set(appSet.id, documentHash, generation, renderer);
    else this.renderers.delete(appSet.id);
    await this.triggers.enqueuePlans(affected.plans);
    await this.feedback.enqueue(affected.changedPreviews);
    this.logger.log(
      `${appSet.namespace}/${appSet.name} generation ${generation}: ${rows.length} applications, ${affected.plans.length} clusters to plan`,
    );
    return 'rendered';
  }

  /**
   * The incremental path: the held output follows the fleet's clusters (only those that differ
   * are re-rendered), and only the Applications that changed are written.
   */
  private async renderClusterChanges(
    appSet: { id: string; namespace: string; name: string; conditions: unknown; repositories: unknown },
    generation: number,
    renderer: IncrementalRenderer,
    documentHash: string,
    clusters: PipelineCluster[],
  ): Promise<'rendered' | 'failed' | 'stale'> {
    const infos = clusters.map(clusterInfo);
    let change: Awaited<ReturnType<IncrementalRenderer['syncClusters']>>;
    try {
      change = await renderer.syncClusters(infos);
    } catch (error) {
      if (!(error instanceof FlotillaError)) throw error;
      this.renderers.delete(appSet.id);
      await this.recordFailure(appSet, generation, appSet.conditions as unknown as Condition[], error.message);
      return 'failed';
    }
    const place = placement(clusters, infos);
    const rows = change.upserted.map((application, i) => ({
      name: application.metadata.name,
      clusterId: place(application),
      application,
      params: change.params[i] ?? {},
      previewKey: undefined,
    }));
    const problems = [
      ...applicationWarnings(rows.map((r) => r.application)),
      ...rows.filter((r) => r.clusterId === null).map((r) => `Application "${r.name}": destination is not a registered cluster`),
    ];
    const affected = await this.store(
      appSet.id,
      generation,
      false,
      rows,
      problems,
      [],
      appSet.conditions as unknown as Condition[],
      undefined,
      {
        names: [...rows.map((r) => r.name), ...change.removed],
        total: renderer.size(),
        repositories: appSet.repositories as string[],
      },
    );
    if (affected === undefined) {
      this.renderers.delete(appSet.id);
      return 'stale';
    }
    this.renderers.set(appSet.id, documentHash, generation, renderer);
    await this.triggers.enqueuePlans(affected.plans);
    this.logger.log(
      `${appSet.namespace}/${appSet.name} generation ${generation}: ${change.rendered} applications re-rendered for changed clusters (${rows.length} changed, ${change.removed.length} removed), ${affected.plans.length} clusters to plan`,
    );
    return 'rendered';
  }

  /** Replaces the stored Applications unless a newer render already did; marks and returns the clusters to re-plan. */
  private async store(
    appSetId: string,
    generation: number,
    planAll: boolean,
    rows: Array<{ name: string; clusterId: string | null; application: Application; params: ParamSet; previewKey: string | undefined }>,
    warnings: string[],
    unplaced: string[],
    conditions: Condition[],
    previews: { decision: PreviewDecision; previous: PreviewRecord[] } | undefined,
    /** Only these names changed (the rows given, and names removed); the rest stay as stored. */
    partial?: { names: string[]; total: number; repositories: string[] },
  ): Promise<{ plans: PlanJob['clusters']; changedPreviews: string[] } | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ renderedGeneration: number }>>`
        SELECT "renderedGeneration" FROM "ApplicationSet" WHERE id = ${appSetId}::uuid FOR UPDATE`;
      if (!locked[0] || locked[0].renderedGeneration >= generation) return undefined;
      const previous = partial
        ? await tx.$queryRaw<Array<{ name: string; clusterId: string | null; application: Prisma.JsonValue }>>`
            SELECT name, "clusterId", application FROM "GeneratedApplication"
             WHERE "appSetId" = ${appSetId}::uuid AND name = ANY(${partial.names}::text[])`
        : await tx.$queryRaw<Array<{ name: string; clusterId: string | null; application: Prisma.JsonValue }>>`
            SELECT name, "clusterId", application FROM "GeneratedApplication" WHERE "appSetId" = ${appSetId}::uuid`;
      if (partial) await tx.generatedApplication.deleteMany({ where: { appSetId, name: { in: partial.names } } });
      else await tx.generatedApplication.deleteMany({ where: { appSetId } });
      const stored = previews
        ? await storePreviews(tx, appSetId, previews.decision.records, previews.previous)
        : { idByKey: new Map<string, string>(), changed: [] };
      if (rows.length > 0) {
        // One INSERT of arrays: far cheaper than Prisma's row-by-row JSON for thousands of Applications.
        await tx.$executeRaw`
          INSERT INTO "GeneratedApplication" (id, "appSetId", name, "clusterId", application, params, "previewId")
          SELECT gen_random_uuid(), ${appSetId}::uuid, r.name, r."clusterId", r.application, r.params, r."previewId"
            FROM unnest(
                   ${rows.map((r) => r.name)}::text[],
                   ${rows.map((r) => r.clusterId)}::uuid[],
                   ${rows.map((r) => JSON.stringify(r.application))}::jsonb[],
                   ${rows.map((r) => JSON.stringify(r.params))}::jsonb[],
                   ${rows.map((r) => (r.previewKey ? (stored.idByKey.get(r.previewKey) ?? null) : null))}::uuid[])
              AS r(name, "clusterId", application, params, "previewId")`;
      }
      const now = new Date();
      let next = setCondition(
        conditions,
        { type: 'Rendered', status: 'True', reason: 'RenderSucceeded', message: `${partial?.total ?? rows.length} applications` },
        now,
      );
      if (previews) next = setCondition(next, previewsCondition(previews.decision.records), now);
      const problems = [...warnings, ...unplaced.map((name) => `Application "${name}": destination is not a registered cluster`)];
      // A partial store knows only the changed Applications' problems: it adds, never clears.
      if (problems.length > 0 || !partial) {
        next = setCondition(
          next,
          problems.length
            ? { type: 'Warnings', status: 'True', reason: 'RenderWarnings', message: problems.slice(0, 20).join('\n') }
            : { type: 'Warnings', status: 'False', reason: 'None', message: '' },
          now,
        );
      }
      await tx.applicationSet.update({
        where: { id: appSetId },
        data: {
          renderedGeneration: generation,
          renderedAt: now,
          planAllClusters: false,
          conditions: next as unknown as Prisma.InputJsonValue,
          repositories: (partial
            ? [...new Set([...partial.repositories, ...repositoriesOf(rows.map((r) => r.application))])].sort()
            : repositoriesOf(rows.map((r) => r.application))) as Prisma.InputJsonValue,
        },
      });
      // Marked in this transaction: a failure after the commit cannot lose these plans.
      const plans = await markPlansOutdated(tx, affectedClusters(previous, rows, planAll));
      return { plans, changedPreviews: stored.changed };
    }, STORE_TRANSACTION);
  }

  private async previousPreviews(appSetId: string): Promise<PreviewRecord[]> {
    const rows = await this.prisma.preview.findMany({ where: { appSetId } });
    return rows.map((row) => ({ ...row, settings: row.settings as Record<string, unknown> }));
  }

  private async recordFailure(
    appSet: { id: string; namespace: string; name: string },
    generation: number,
    conditions: Condition[],
    message: string,
  ): Promise<void> {
    const appSetId = appSet.id;
    const now = new Date();
    const next = setCondition(conditions, { type: 'Rendered', status: 'False', reason: 'RenderFailed', message }, now);
    // The generation counts as handled so a broken spec does not loop; the next change or git poll retries.
    await this.prisma.applicationSet.updateMany({
      where: { id: appSetId, renderedGeneration: { lt: generation } },
      data: { renderedGeneration: generation, conditions: next as unknown as Prisma.InputJsonValue },
    });
    await this.events.record({
      actor: 'pipeline',
      type: 'RenderFailed',
      subject: `applicationset/${appSet.namespace}/${appSet.name}`,
      message,
    });
  }
}

/** The registered cluster an Application's destination names, by server or name (null: none). */
function placement(clusters: readonly PipelineCluster[], infos: readonly ClusterInfo[]): (app: Application) => string | null {
  const idByName = new Map(clusters.map((c) => [c.name, c.id]));
  const resolve = destinationResolver(infos);
  return (app) => {
    const match = resolve(app.spec.destination as never);
    return 'error' in match ? null : (idByName.get(match.cluster.name) ?? null);
  };
}

/** The policy annotations are read here, not by the schema: their errors are render failures too. */
function previewPolicyMessage(error: unknown): string | undefined {
  return error instanceof Error && error.message.startsWith('metadata.annotations[') ? error.message : undefined;
}

/** `Previews` condition: counts by state, so `describe appset` shows the lifecycle at a glance. */
function previewsCondition(records: readonly PreviewRecord[]): Omit<Condition, 'lastTransitionTime'> {
  const count = (state: PreviewRecord['state']): number => records.filter((r) => r.state === state).length;
  const live = count('live');
  const parts = [`${live} live`];
  for (const state of ['expired', 'evicted'] as const) if (count(state) > 0) parts.push(`${count(state)} ${state}`);
  return {
    type: 'Previews',
    status: live > 0 ? 'True' : 'False',
    reason: live > 0 ? 'PreviewsLive' : 'NoLivePreviews',
    message: parts.join(', '),
  };
}

function repositoriesOf(applications: Application[]): string[] {
  const urls = new Set<string>();
  for (const app of applications) {
    const spec = app.spec as { source?: { repoURL?: string }; sources?: Array<{ repoURL?: string }> };
    for (const source of spec.sources ?? (spec.source ? [spec.source] : [])) if (source.repoURL) urls.add(source.repoURL);
  }
  return [...urls].sort();
}

/** Clusters whose set of Applications from this ApplicationSet changed (all of them after a git change). */
function affectedClusters(
  previous: Array<{ name: string; clusterId: string | null; application: Prisma.JsonValue }>,
  next: Array<{ name: string; clusterId: string | null; application: Application }>,
  planAll: boolean,
): string[] {
  const fingerprint = (list: Array<{ name: string; clusterId: string | null; application: unknown }>): Map<string, string> => {
    const out = new Map<string, string[]>();
    for (const row of list) {
      if (!row.clusterId) continue;
      const entries = out.get(row.clusterId) ?? [];
      entries.push(JSON.stringify(row.application));
      out.set(row.clusterId, entries);
    }
    return new Map([...out].map(([id, entries]) => [id, entries.sort().join('\n')]));
  };
  const before = fingerprint(previous);
  const after = fingerprint(next);
  const clusters = new Set([...before.keys(), ...after.keys()]);
  return [...clusters].filter((id) => planAll || before.get(id) !== after.get(id));
}
