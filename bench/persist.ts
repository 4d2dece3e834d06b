import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentHash, type Plan, type PlannedApplication, type Planner, prepareObjects, ResourceScopes } from '#plans';
import type { KubeObject } from '#sources';
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
 * commit): the steady state. The baseline writes a fifth of the clusters' next revisions one
 * row at a time (an INSERT and an UPDATE per cluster, a PUBLISH per cluster), with the same
 * client and the same 2 in flight.
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
    const { hub } = await startFreshHub(suite, {
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
    const service = new PlanService(prisma, notifier, hub.app.get(MetricsService), planner as unknown as Planner);

    const names = Array.from({ length: CLUSTERS }, (_, i) => `c${i}`);
    const clusters = await prisma.$queryRaw<Array<{ id: string; name: string; server: string }>>`
      INSERT INTO "Cluster" (id, name, server, labels, "updatedAt")
      SELECT gen_random_uuid(), n, 'https://' || n || '.bench.example.com', '{"fleet":"bench"}'::jsonb, now() FROM unnest(${names}::text[]) AS n
      RETURNING id, name, server`;
    clusters.sort((a, b) => (a.id < b.id ? -1 : 1));

    /** One round: every cluster's generation bumped, its new plan stored by plan jobs, a waiter of each woken. */
    const planAll = (commit: string) => new Map(clusters.map((c) => [c.name, planFor(c, commit)]));
    const round = async (generation: number, next: Map<string, Plan>) => {
      plans = next;
      const bytes = [...plans.values()].reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0);
      await prisma.$executeRaw`UPDATE "Cluster" SET "desiredPlanGeneration" = ${generation}`;
      const abort = new AbortController();
      const woken = Promise.all(clusters.map((c) => notifier.wait(c.id, 600_000, abort.signal)));
      const jobs = [];
      for (let i = 0; i < clusters.length; i += PLAN_BATCH_SIZE)
        jobs.push({ clusters: clusters.slice(i, i + PLAN_BATCH_SIZE).map((c) => ({ clusterId: c.id, generation })) });
      publishMs = 0;
      const postgresBefore = cpuMsByName('postgres');
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      let revisions = 0;
      await pool(jobs, CONCURRENCY, async (job) => {
        const done = await service.run(job);
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

    // Baseline: the same writes one row at a time (a fifth of the clusters, their next revision).
    const sample = clusters.slice(0, BASELINE);
    plans = new Map(sample.map((c) => [c.name, planFor(c, 'c'.repeat(40))]));
    const abort = new AbortController();
    const woken = Promise.all(sample.map((c) => notifier.wait(c.id, 600_000, abort.signal)));
    const channel = redis.channel('plan-revisions');
    const postgresBefore = cpuMsByName('postgres');
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await pool(sample, CONCURRENCY, async (cluster) => {
      const plan = plans.get(cluster.name) as Plan;
      await prisma.$executeRaw`
        INSERT INTO "PlanRevision" (id, "clusterId", revision, hash, plan)
        VALUES (gen_random_uuid(), ${cluster.id}::uuid, 3, ${plan.hash}, ${JSON.stringify(plan)}::jsonb)`;
      await prisma.$executeRaw`UPDATE "Cluster" SET "plannedGeneration" = 3 WHERE id = ${cluster.id}::uuid`;
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
