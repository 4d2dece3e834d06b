import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
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
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PreviewFeedbackQueue } from '../previews/feedback-queue.service.js';
import { decidePreviews, type PreviewDecision, type PreviewRecord, previewPolicyOf } from '../previews/preview-policy.js';
import { storePreviews } from '../previews/preview-store.js';
import { RecordingPullRequestSource } from '../previews/recording-source.js';
import { pullRequestGenerators, readsOnlyHubState, usesClusterGenerator } from './appset-facts.js';
import { type Condition, setCondition } from './conditions.js';
import { GIT, PULL_REQUESTS } from './fleet.providers.js';
import { clusterInfo, hubGeneratorSources, type PipelineCluster, readClusters } from './hub-sources.js';
import { PLAN_BATCH_SIZE, type PlanJob, type RenderJob } from './jobs.js';
import { RendererCache } from './renderer-cache.js';
import { nextRetrySql, type RetryPolicy, retryPolicy, UTC_NOW_SQL } from './retry.js';
import { markPlansOutdated, TriggersService } from './triggers.service.js';

const registry = createDefaultRegistry();
/**
 * How a render job ended. `unchanged`: rendered, and the Applications are those already stored;
 * `inputs_unchanged`: not rendered, as it reads only what its last full render read (render-inputs).
 */
export type RenderResult = 'rendered' | 'unchanged' | 'inputs_unchanged' | 'failed' | 'stale';
/** Part of every render input digest: bump it when rendering changes, so no digest of before is trusted. */
const RENDER_INPUTS_FORMAT = 1;
/** Rows a render writes (inserted, changed or deleted) from which it refreshes the table's statistics. */
const ANALYZE_AFTER_ROWS = 1_000;

/**
 * The render job: an ApplicationSet's newest document → its Applications, stored, and the
 * clusters whose Applications changed queued for planning. A failed render keeps the last
 * good Applications (deletion guard), reports the error as a condition and is tried again
 * with backoff (retry.ts).
 */
@Injectable()
export class RenderService {
  private readonly logger = new Logger('render');
  private readonly retry: RetryPolicy;

  constructor(
    @Inject(HUB_CONFIG) config: HubConfig,
    private readonly prisma: PrismaService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
    private readonly metrics: MetricsService,
    @Inject(GIT) private readonly git: RemoteGitRepositories,
    @Inject(PULL_REQUESTS) private readonly pullRequests: PullRequestSource,
    private readonly feedback: PreviewFeedbackQueue,
    private readonly renderers: RendererCache,
  ) {
    this.retry = retryPolicy(config);
  }

  async run(job: RenderJob): Promise<RenderResult> {
    const stop = this.metrics.renderDuration.startTimer();
    const result = await this.render(job);
    if (result !== 'stale') stop();
    this.metrics.renders.inc({ result });
    return result;
  }

  private render(job: RenderJob): Promise<RenderResult> {
    return this.renderers.exclusive(job.appSetId, () => this.renderNow(job));
  }

  private async renderNow(job: RenderJob): Promise<RenderResult> {
    const appSet = await this.prisma.applicationSet.findUnique({ where: { id: job.appSetId } });
    if (!appSet || appSet.renderedGeneration >= job.generation) return 'stale';
    const generation = appSet.generation;
    // A push: the plans that follow read the new commits. Their fetch starts first, and runs while
    // this set reads the clusters, renders and stores, instead of in the first plan job (a few
    // hundred ms on that path).
    if (appSet.planAllClusters) {
      for (const url of appSet.repositories as string[]) {
        this.git.invalidate(url);
        this.git.prefetch(url);
      }
    }
    // Phase timings go into the render's log line: where a slow fleet-wide change spends its time.
    const started = performance.now();
    const clusters = await readClusters(this.prisma);
    const read = performance.now();
    const infos = clusters.map(clusterInfo);

    let applications: Application[];
    let params: ParamSet[];
    let warnings: string[];
    const pullRequests = new RecordingPullRequestSource(this.pullRequests);
    const hasPreviews = pullRequestGenerators(appSet.document).length > 0;
    let previews: { decision: PreviewDecision; previous: PreviewRecord[]; keys: Array<string | undefined> } | undefined;
    const documentHash = createHash('sha256').update(JSON.stringify(appSet.document)).digest('hex');
    const inputDigest = readsOnlyHubState(appSet.document)
      ? renderInputDigest(documentHash, clusters, usesClusterGenerator(appSet.document))
      : null;
    if (inputDigest !== null && inputDigest === appSet.renderedInputDigest) {
      const kept = await this.keepRendered(appSet, generation, inputDigest, documentHash);
      if (kept !== undefined) {
        this.logger.log(
          `${appSet.namespace}/${appSet.name} generation ${generation}: not rendered (its document and clusters are as its last render read them), ${kept.clusters} clusters to plan` +
            ` (ms: clusters read ${ms(read - started)}, kept ${ms(performance.now() - read)})`,
        );
        return kept.result;
      }
    }
    let renderer: IncrementalRenderer | undefined;
    try {
      const [parsed] = parseApplicationSets(JSON.stringify(appSet.document), registry, `${appSet.namespace}/${appSet.name}`);
      const document = parsed as ApplicationSet;
      // A cluster change to a cluster-separable set: only the changed clusters' Applications.
      const separable = !hasPreviews && isClusterSeparable(document);
      const held =
        separable && !appSet.planAllClusters ? this.renderers.get(appSet.id, documentHash, appSet.renderedGeneration) : undefined;
      if (held) return await this.renderClusterChanges(appSet, generation, held, documentHash, clusters, inputDigest);
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

    const rendered = performance.now();
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
      inputDigest,
    );
    if (affected === undefined) return 'stale';
    const stored = performance.now();
    if (renderer) this.renderers.set(appSet.id, documentHash, generation, renderer);
    else this.renderers.delete(appSet.id);
    await this.triggers.enqueuePlans(affected.plans);
    await this.feedback.enqueue(affected.changedPreviews);
    // After a bulk write, fresh statistics: agents' status reports join these rows, and a plan
    // made from stale ones (an empty table's) scans all of them for every report. Autovacuum
    // would get there, but up to a minute later.
    if (affected.rowsWritten >= ANALYZE_AFTER_ROWS) await this.prisma.$executeRawUnsafe('ANALYZE "GeneratedApplication"');
    this.logger.log(
      `${appSet.namespace}/${appSet.name} generation ${generation}: ${rows.length} applications${affected.unchanged ? ' (unchanged)' : ''}, ${affected.plans.length} clusters to plan` +
        ` (ms: clusters read ${ms(read - started)}, rendered ${ms(rendered - read)}, stored ${ms(stored - rendered)}, queued ${ms(performance.now() - stored)})`,
    );
    return affected.unchanged ? 'unchanged' : 'rendered';
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
    inputDigest: string | null,
  ): Promise<RenderResult> {
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
      // The held output, updated for the changed clusters, is what a full render of these clusters gives.
      inputDigest,
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
    /** What this render read, when that is only its document and the clusters (render inputs); else null. */
    inputDigest: string | null,
    /** Only these names changed (the rows given, and names removed); the rest stay as stored. */
    partial?: { names: string[]; total: number; repositories: string[] },
  ): Promise<{ plans: PlanJob['clusters']; changedPreviews: string[]; rowsWritten: number; unchanged: boolean } | undefined> {
    // On the pg pool, not Prisma's raw-query path: the Applications go to Postgres as one JSON
    // parameter (Prisma copies and escapes large parameters element by element: ~3 s for 10,000).
    return this.prisma.bulkTransaction(async (client) => {
      const locked = await client.query<{ renderedGeneration: number; renderedDigest: string | null }>(
        `SELECT "renderedGeneration", "renderedDigest" FROM "ApplicationSet" WHERE id = $1::uuid FOR UPDATE`,
        [appSetId],
      );
      const current = locked.rows[0];
      if (!current || current.renderedGeneration >= generation) return undefined;
      const stored = previews
        ? await storePreviews(client, appSetId, previews.decision.records, previews.previous)
        : { idByKey: new Map<string, string>(), changed: [] };
      // In name order (unique within a set): the same Applications give the same text, and digest,
      // whatever order the clusters were read in.
      const incoming = JSON.stringify(
        [...rows].sort(byName).map((r) => ({
          name: r.name,
          clusterId: r.clusterId,
          application: r.application,
          params: r.params,
          previewId: r.previewKey ? (stored.idByKey.get(r.previewKey) ?? null) : null,
        })),
      );
      // The same Applications as the last full render stored (the usual git commit: it moves
      // only the plans): nothing to compare or write; with planAll, their clusters are re-planned.
      const digest = partial ? null : createHash('sha256').update(incoming).digest('hex');
      const unchanged = digest !== null && digest === current.renderedDigest;
      const { affected, rowsWritten } = unchanged
        ? { affected: planAll ? [...new Set(rows.map((r) => r.clusterId).filter((id): id is string => id !== null))] : [], rowsWritten: 0 }
        : await replaceApplications(client, appSetId, incoming, planAll, partial?.names);
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
      const repositories = partial
        ? [...new Set([...partial.repositories, ...repositoriesOf(rows.map((r) => r.application))])].sort()
        : repositoriesOf(rows.map((r) => r.application));
      // Timestamps as Prisma keeps them: UTC in timestamp(3) columns.
      await client.query(
        `UPDATE "ApplicationSet"
            SET "renderedGeneration" = $2, "renderedAt" = ($3::timestamptz AT TIME ZONE 'UTC'),
                "planAllClusters" = "planAllClusters" AND generation > $2,
                conditions = $4::jsonb, repositories = $5::jsonb, "updatedAt" = ($3::timestamptz AT TIME ZONE 'UTC'),
                "renderedDigest" = $6, "renderedInputDigest" = $7, "renderRetries" = 0, "renderRetryAt" = NULL
          WHERE id = $1::uuid`,
        [appSetId, generation, now.toISOString(), JSON.stringify(next), JSON.stringify(repositories), digest, inputDigest],
      );
      // Marked in this transaction: a failure after the commit cannot lose these plans.
      const plans = await markPlansOutdated(client, affected);
      return { plans, changedPreviews: stored.changed, rowsWritten, unchanged };
    });
  }

  /**
   * The set reads only its document and the clusters, and both are as its last full render read
   * them: the stored Applications are what rendering would give, so nothing is rendered or
   * compared. A push (planAllClusters) still re-plans the set's clusters, as their sources moved:
   * marked and queued a plan job's batch at a time, so the first plans start at once (marking
   * 10,000 clusters took 150 ms), and before the generation is recorded, so a failure meanwhile
   * leaves the render to be done again (the reconciler), never plans lost.
   * Undefined when another render changed the stored state meanwhile: render in full.
   */
  private async keepRendered(
    appSet: { id: string; renderedGeneration: number; planAllClusters: boolean },
    generation: number,
    inputDigest: string,
    documentHash: string,
  ): Promise<{ result: RenderResult; clusters: number } | undefined> {
    let marked = 0;
    if (appSet.planAllClusters) {
      const rows = await this.prisma.hotQuery<{ clusterId: string }>(
        'appset-clusters',
        `SELECT DISTINCT "clusterId" FROM "GeneratedApplication" WHERE "appSetId" = $1::uuid AND "clusterId" IS NOT NULL ORDER BY 1`,
        [appSet.id],
      );
      for (let i = 0; i < rows.length; i += PLAN_BATCH_SIZE) {
        const batch = rows.slice(i, i + PLAN_BATCH_SIZE).map((r) => r.clusterId);
        await this.triggers.enqueuePlans(await this.prisma.bulkTransaction((client) => markPlansOutdated(client, batch)));
      }
      marked = rows.length;
    }
    // A push that arrived meanwhile (a newer generation) keeps its planAllClusters for its own render.
    const updated = await this.prisma.$executeRawUnsafe(
      `UPDATE "ApplicationSet"
          SET "renderedGeneration" = $2, "renderedAt" = ${UTC_NOW_SQL}, "updatedAt" = ${UTC_NOW_SQL},
              "planAllClusters" = "planAllClusters" AND generation > $2, "renderRetries" = 0, "renderRetryAt" = NULL
        WHERE id = $1::uuid AND "renderedGeneration" < $2 AND "renderedInputDigest" = $3`,
      appSet.id,
      generation,
      inputDigest,
    );
    if (updated === 0) {
      const now = await this.prisma.applicationSet.findUnique({ where: { id: appSet.id }, select: { renderedGeneration: true } });
      return !now || now.renderedGeneration >= generation ? { result: 'stale', clusters: marked } : undefined;
    }
    // The held output stays valid: it is now the output of this generation.
    const held = this.renderers.get(appSet.id, documentHash, appSet.renderedGeneration);
    if (held) this.renderers.set(appSet.id, documentHash, generation, held);
    return { result: 'inputs_unchanged', clusters: marked };
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
    // The generation counts as handled so a broken spec does not loop at once; the next change,
    // or the retry when its backoff is due, renders it again.
    await this.prisma.$executeRawUnsafe(
      `UPDATE "ApplicationSet"
          SET "renderedGeneration" = $2, conditions = $3::jsonb, "updatedAt" = ${UTC_NOW_SQL}, "renderedInputDigest" = NULL,
              "renderRetries" = "renderRetries" + 1, "renderRetryAt" = ${nextRetrySql('"renderRetries"', '$4', '$5')}
        WHERE id = $1::uuid AND "renderedGeneration" < $2`,
      appSetId,
      generation,
      JSON.stringify(next),
      this.retry.baseSeconds,
      this.retry.maxSeconds,
    );
    await this.events.record({
      actor: 'pipeline',
      type: 'RenderFailed',
      subject: `applicationset/${appSet.namespace}/${appSet.name}`,
      message,
    });
  }
}

/**
 * Replaces a set's stored Applications with `incoming` (JSON rows), writing only the rows that
 * changed; all of the set's, or only `names` (a partial render). Returns the clusters whose
 * Applications changed, on both sides of one that moved (every cluster reached with planAll).
 */
async function replaceApplications(
  client: PoolClient,
  appSetId: string,
  incoming: string,
  planAll: boolean,
  names: string[] | undefined,
): Promise<{ affected: string[]; rowsWritten: number }> {
  // Read as json, not jsonb: each row's jsonb fields are then parsed once, where from a jsonb
  // document Postgres prints every one to text and parses it again.
  await client.query(
    `CREATE TEMP TABLE incoming_applications ON COMMIT DROP AS
       SELECT * FROM json_to_recordset($1::json)
         AS r(name text, "clusterId" uuid, application jsonb, params jsonb, "previewId" uuid)`,
    [incoming],
  );
  const replaced = (table: string) =>
    names ? `${table}."appSetId" = $1::uuid AND ${table}.name = ANY($2::text[])` : `${table}."appSetId" = $1::uuid`;
  const replacedParams = names ? [appSetId, names] : [appSetId];
  // Compared as jsonb: key order does not matter.
  const affected = await client.query<{ clusterId: string }>(
    `SELECT DISTINCT c."clusterId"
       FROM (SELECT name, "clusterId", application FROM "GeneratedApplication" g WHERE ${replaced('g')}) AS o
       FULL JOIN incoming_applications AS i USING (name)
       CROSS JOIN LATERAL (VALUES (o."clusterId"), (i."clusterId")) AS c("clusterId")
      WHERE c."clusterId" IS NOT NULL
        AND ($${replacedParams.length + 1}::boolean
             OR o."clusterId" IS DISTINCT FROM i."clusterId" OR o.application IS DISTINCT FROM i.application)`,
    [...replacedParams, planAll],
  );
  // Only what changed is written.
  const deleted = await client.query(
    `DELETE FROM "GeneratedApplication" g
      WHERE ${replaced('g')}
        AND NOT EXISTS (SELECT 1 FROM incoming_applications i WHERE i.name = g.name)`,
    replacedParams,
  );
  const written = await client.query(
    `INSERT INTO "GeneratedApplication" AS g (id, "appSetId", name, "clusterId", application, params, "previewId")
     SELECT gen_random_uuid(), $1::uuid, name, "clusterId", application, params, "previewId" FROM incoming_applications
     ON CONFLICT ("appSetId", name) DO UPDATE
        SET "clusterId" = EXCLUDED."clusterId", application = EXCLUDED.application, params = EXCLUDED.params,
            "previewId" = EXCLUDED."previewId"
      WHERE (g."clusterId", g.application, g.params, g."previewId")
            IS DISTINCT FROM (EXCLUDED."clusterId", EXCLUDED.application, EXCLUDED.params, EXCLUDED."previewId")`,
    [appSetId],
  );
  return { affected: affected.rows.map((r) => r.clusterId), rowsWritten: (deleted.rowCount ?? 0) + (written.rowCount ?? 0) };
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

const ms = (value: number): string => value.toFixed(0);

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * SHA-256 of what rendering a set that reads only hub state depends on: its document and every
 * registered cluster as its generators see it (with a cluster generator: labels, annotations,
 * versions) and as placement sees it (id, name, server; id included: a cluster registered again
 * under the same name is another destination). Clusters sorted by id: the read order is not
 * part of the input.
 */
function renderInputDigest(documentHash: string, clusters: readonly PipelineCluster[], generatorsReadClusters: boolean): string {
  const sorted = [...clusters].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash('sha256').update(`${RENDER_INPUTS_FORMAT}\n${documentHash}\n`);
  for (const cluster of sorted) {
    const seen = generatorsReadClusters ? clusterInfo(cluster) : { name: cluster.name, server: cluster.server };
    hash.update(`${cluster.id} ${JSON.stringify(seen)}\n`);
  }
  return hash.digest('hex');
}
