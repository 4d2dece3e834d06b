import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { contentHash, type Plan, type PlannedApplication, type Planner, planOutline, prepareObjects, ResourceScopes } from '#plans';
import type { KubeObject } from '#sources';
import { HUB_CONFIG, type HubConfig } from '../apps/hub/src/config/hub-config.js';
import { PrismaService } from '../apps/hub/src/database/prisma.service.js';
import { MetricsService } from '../apps/hub/src/metrics/metrics.service.js';
import { PLAN_BATCH_SIZE } from '../apps/hub/src/pipeline/jobs.js';
import { PlanService } from '../apps/hub/src/pipeline/plan.service.js';
import { PlanNotifier } from '../apps/hub/src/pipeline/plan-notifier.service.js';
import { RedisService } from '../apps/hub/src/redis/redis.service.js';
import { startFreshHub, suiteScope } from '../test/support/index.js';
import { cpuMsByName, emit, pool, profiled, progress, sized } from './common.js';

/**
 * Persist and fan-out: new plan revisions for BENCH_PERSIST_CLUSTERS clusters (10,000) stored
 * in Postgres and announced on Redis, through the hub's own code: a hub (API role, migrated by
 * `prisma migrate deploy` at boot, as deployed) in this process on a fresh database, and its
 * `PlanService.run` for plan jobs of PLAN_BATCH_SIZE clusters, 2 at a time as a worker runs
 * them (FLOTILLA_PLAN_CONCURRENCY). The planner is replaced by one that hands back plans
 * computed beforehand (BENCH_PERSIST_APPS Applications of 3 objects each per cluster, prepared
 * as the planner prepares them), so what is measured is the job's reads, the batched
 * `INSERT … unnest` of revisions, the generation UPDATE and the Redis publish; the time ends
 * when the hub's PlanNotifier has woken a waiter of every cluster (its Redis subscription).
 *
 * Round 1 stores every cluster's first revision, round 2 a new revision of every plan (a new
 * commit): the steady state. Round 3 is a prototype of the write path recommended for the
 * hub, not its code: the job's same statements through the pg pool, the revisions as one JSON
 * parameter. The baseline writes a fifth of the clusters' next revisions one row at a time (an
 * INSERT and an UPDATE per cluster, a PUBLISH per cluster), with the same Prisma client and the
 * same 2 in flight. BENCH_CPU_PROFILE=<dir> profiles rounds 2 and 3.
 */

const CLUSTERS = sized('BENCH_PERSIST_CLUSTERS', 10_000, 200);
const APPS = sized('BENCH_PERSIST_APPS', 5, 5);
const BASELINE = Math.max(1, Math.round(CLUSTERS / 5));
const CONCURRENCY = 2;
const log = progress('persist');

function plannedApp(cluster: string, app: number, commit: string): PlannedApplication {
  const name = `app-${app}-${cluster}`;
  const labels = { 'app.kubernetes.io/name': `app-${app}` };
  const objects: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `app-${app}`, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{ name: 'app', image: `registry.example.com/app-${app}:${commit.slice(0, 8)}`, ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `app-${app}`, labels },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `app-${app}-config`, labels },
      data: { cluster, 'log-level': 'info' },
    } as KubeObject,
  ];
  return {
    name,
    applicationSet: `set-${app}`,
    project: 'default',
    namespace: `app-${app}`,
    commit,
    sources: [{ repoURL: 'https://git.example.com/platform/apps.git', path: `apps/app-${app}`, targetRevision: 'main', commit }],
    syncPolicy: { automated: true, prune: true, selfHeal: false, syncOptions: [] },
    objects: prepareObjects(objects, {
      application: name,
      applicationSet: `set-${app}`,
      namespace: `app-${app}`,
      scopes: new ResourceScopes(),
    }),
  } as unknown as PlannedApplication;
}

function planFor(cluster: { name: string; server: string }, commit: string): Plan {
  const applications = Array.from({ length: APPS }, (_, i) => plannedApp(cluster.name, i, commit));
  const planCluster = { name: cluster.name, server: cluster.server };
  return { cluster: planCluster, applications, hash: contentHash({ cluster: planCluster, applications }) };
}

async function main(): Promise<void> {
  const suite = suiteScope();
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-persist-'));
  try {
    // API role only: no worker, reconciler or queues consuming plan jobs behind the bench's back.
    const { hub, env } = await startFreshHub(suite, {
      adminToken: randomBytes(24).toString('hex'),
      workDir: work,
      env: { FLOTILLA_ROLES: 'api' },
    });
    const prisma = hub.app.get(PrismaService);
    const notifier = hub.app.get(PlanNotifier);
    const redis = hub.app.get(RedisService);
    // The planner's results, computed before the clock starts: plans by cluster name.
    let plans = new Map<string, Plan>();
    let publishMs = 0;
    const publish = notifier.publish.bind(notifier);
    notifier.publish = async (ids) => {
      const started = performance.now();
      await publish(ids);
      publishMs += performance.now() - started;
    };
    const planner = { plan: async (_inputs: unknown, clusters: Array<{ name: string }>) => clusters.map((c) => plans.get(c.name) as Plan) };
    const service = new PlanService(
      hub.app.get<HubConfig>(HUB_CONFIG),
      prisma,
      notifier,
      hub.app.get(MetricsService),
      planner as unknown as Planner,
    );

    const names = Array.from({ length: CLUSTERS }, (_, i) => `c${i}`);
    const clusters = await prisma.$queryRaw<Array<{ id: string; name: string; server: string }>>`
      INSERT INTO "Cluster" (id, name, server, labels, "updatedAt")
      SELECT gen_random_uuid(), n, 'https://' || n || '.bench.example.com', '{"fleet":"bench"}'::jsonb, now() FROM unnest(${names}::text[]) AS n
      RETURNING id, name, server`;
    clusters.sort((a, b) => (a.id < b.id ? -1 : 1));

    /** One round: every cluster's generation bumped, its new plan stored by plan jobs, a waiter of each woken. */
    const planAll = (commit: string) => new Map(clusters.map((c) => [c.name, planFor(c, commit)]));
    type Job = { clusters: Array<{ clusterId: string; generation: number }> };
    const round = async (
      generation: number,
      next: Map<string, Plan>,
      run: (job: Job) => Promise<{ revisions: number }> = (job) => service.run(job),
    ) => {
      plans = next;
      const bytes = [...plans.values()].reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0);
      await prisma.$executeRaw`UPDATE "Cluster" SET "desiredPlanGeneration" = ${generation}`;
      const woken = Promise.all(clusters.map((c) => notifier.wait(c.id, 600_000).woken));
      const jobs: Job[] = [];
      for (let i = 0; i < clusters.length; i += PLAN_BATCH_SIZE)
        jobs.push({ clusters: clusters.slice(i, i + PLAN_BATCH_SIZE).map((c) => ({ clusterId: c.id, generation })) });
      publishMs = 0;
      const postgresBefore = cpuMsByName('postgres');
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      let revisions = 0;
      await pool(jobs, CONCURRENCY, async (job) => {
        const done = await run(job);
        revisions += done.revisions;
      });
      const storedSeconds = (performance.now() - started) / 1000;
      await woken;
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const result = {
        revisions,
        jobs: jobs.length,
        bytes,
        storedSeconds,
        seconds,
        rowsPerSecond: revisions / seconds,
        megabytesPerSecond: bytes / 2 ** 20 / seconds,
        publishSeconds: publishMs / 1000,
        cpuSeconds: { hub: (cpu.user + cpu.system) / 1e6, postgres: (cpuMsByName('postgres') - postgresBefore) / 1000 },
      };
      log(`round ${generation}: ${JSON.stringify(result)}`);
      return result;
    };
    const first = await round(1, planAll('a'.repeat(40)));
    const next = planAll('b'.repeat(40));
    const steady = await profiled('persist-steady', () => round(2, next));

    // Prototype of the write path recommended for PlanService (not the hub's code): the job's
    // same statements through the pg pool, the revisions as one JSON parameter
    // (jsonb_to_recordset) instead of four arrays through Prisma's raw-query path.
    const pgPool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
    const direct = async (job: { clusters: Array<{ clusterId: string; generation: number }> }) => {
      const wanted = new Map(job.clusters.map((c) => [c.clusterId, c.generation]));
      const { rows: read } = await pgPool.query<{
        id: string;
        name: string;
        server: string;
        desiredPlanGeneration: number;
        plannedGeneration: number;
      }>(
        `SELECT id, name, server, project, labels, annotations, "kubeVersion", "apiVersions", "desiredPlanGeneration", "plannedGeneration"
           FROM "Cluster" WHERE id = ANY($1::uuid[])`,
        [[...wanted.keys()]],
      );
      const due = read.filter((c) => c.plannedGeneration < (wanted.get(c.id) ?? 0));
      await pgPool.query(
        `SELECT g.application, s.name AS "applicationSet" FROM "GeneratedApplication" g JOIN "ApplicationSet" s ON s.id = g."appSetId"
          WHERE g."clusterId" = ANY($1::uuid[])`,
        [due.map((c) => c.id)],
      );
      await pgPool.query(`SELECT p."clusterId" FROM "Pin" p WHERE p."clusterId" = ANY($1::uuid[])`, [due.map((c) => c.id)]);
      const client = await pgPool.connect();
      let created: string[] = [];
      try {
        await client.query('BEGIN');
        const ids = due.map((c) => c.id);
        const { rows: locked } = await client.query<{ id: string; plannedGeneration: number }>(
          `SELECT id, "plannedGeneration" FROM "Cluster" WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
          [ids],
        );
        const generations = new Map(due.map((c) => [c.id, c.desiredPlanGeneration]));
        const behind = locked.filter((c) => c.plannedGeneration < (generations.get(c.id) ?? 0)).map((c) => c.id);
        const { rows: latest } = await client.query<{ clusterId: string; revision: number; hash: string }>(
          `SELECT DISTINCT ON ("clusterId") "clusterId", revision, hash FROM "PlanRevision"
            WHERE "clusterId" = ANY($1::uuid[]) ORDER BY "clusterId", revision DESC`,
          [behind],
        );
        const previous = new Map(latest.map((r) => [r.clusterId, r]));
        const names = new Map(due.map((c) => [c.id, c.name]));
        const revisions = behind
          .map((id) => ({ id, plan: plans.get(names.get(id) as string) as Plan }))
          .filter((r) => previous.get(r.id)?.hash !== r.plan.hash)
          .map((r) => ({
            clusterId: r.id,
            revision: (previous.get(r.id)?.revision ?? 0) + 1,
            hash: r.plan.hash,
            outline: planOutline(r.plan),
            plan: r.plan,
          }));
        await client.query(
          `INSERT INTO "PlanRevision" (id, "clusterId", revision, hash, outline, plan)
           SELECT gen_random_uuid(), r."clusterId", r.revision, r.hash, r.outline, r.plan
             FROM json_to_recordset($1::json) AS r("clusterId" uuid, revision int, hash text, outline jsonb, plan json)`,
          [JSON.stringify(revisions)],
        );
        await client.query(
          `UPDATE "Cluster" AS c SET "plannedGeneration" = v.generation
             FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::int[]) AS generation) AS v WHERE c.id = v.id`,
          [behind, behind.map((id) => generations.get(id))],
        );
        await client.query('COMMIT');
        created = revisions.map((r) => r.clusterId);
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      await notifier.publish(created);
      return { revisions: created.length };
    };
    const third = planAll('d'.repeat(40));
    const prototype = await profiled('persist-prototype', () => round(3, third, direct));
    await pgPool.end();

    // Baseline: the same writes one row at a time (a fifth of the clusters, their next revision).
    const sample = clusters.slice(0, BASELINE);
    plans = new Map(sample.map((c) => [c.name, planFor(c, 'c'.repeat(40))]));
    const woken = Promise.all(sample.map((c) => notifier.wait(c.id, 600_000).woken));
    const channel = redis.channel('plan-revisions');
    const postgresBefore = cpuMsByName('postgres');
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await pool(sample, CONCURRENCY, async (cluster) => {
      const plan = plans.get(cluster.name) as Plan;
      await prisma.$executeRaw`
        INSERT INTO "PlanRevision" (id, "clusterId", revision, hash, outline, plan)
        VALUES (gen_random_uuid(), ${cluster.id}::uuid, 4, ${plan.hash}, ${JSON.stringify(planOutline(plan))}::jsonb, ${JSON.stringify(plan)}::json)`;
      await prisma.$executeRaw`UPDATE "Cluster" SET "plannedGeneration" = 4 WHERE id = ${cluster.id}::uuid`;
      await redis.client.publish(channel, cluster.id);
    });
    await woken;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const baseline = {
      revisions: sample.length,
      seconds,
      rowsPerSecond: sample.length / seconds,
      cpuSeconds: { hub: (cpu.user + cpu.system) / 1e6, postgres: (cpuMsByName('postgres') - postgresBefore) / 1000 },
    };
    log(`baseline: ${JSON.stringify(baseline)}`);
    emit({
      scenario: 'persist',
      clusters: CLUSTERS,
      applicationsPerPlan: APPS,
      batchSize: PLAN_BATCH_SIZE,
      concurrency: CONCURRENCY,
      first,
      steady,
      prototype,
      baseline,
      ratio: steady.rowsPerSecond / baseline.rowsPerSecond,
    });
  } finally {
    await suite.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
