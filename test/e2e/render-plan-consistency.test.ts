import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  eventually,
  type GitHttpServer,
  hubClient,
  type RunningHub,
  startFreshHub,
  startGitHttpServer,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * A render stores its Applications and marks their clusters' plans outdated in one
 * transaction. Before, the marking ran after the commit: when it failed (a deadlock with a
 * plan job, seen under load in CI), the retried render found itself up to date and the
 * clusters were never planned. Here a connection holds one cluster's row as a plan job does
 * (FOR NO KEY UPDATE, which foreign-key checks pass), so the marking waits: the render must
 * not be visible as done until its clusters are marked, and once the row is free every
 * cluster gets its plan.
 */

const ADMIN_TOKEN = 'e2e-consistency-admin-token-0123456789abcdefgh';

const appSet = (version: string, repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators: [{clusters: {selector: {matchLabels: {fleet: 'yes'}}}}]
  template:
    metadata: {name: 'web-{{name}}'}
    spec:
      project: default
      source: {repoURL: '${repoURL}', targetRevision: main, path: web}
      destination: {server: '{{server}}', namespace: 'web-v${version}'}
`;

interface Generations {
  generation: number;
  renderedGeneration: number;
}

describe('render and plan trigger are one transaction', { timeout: 120_000 }, () => {
  const suite = suiteScope();
  let hub: RunningHub;
  let env: Record<string, string>;
  let admin: ReturnType<typeof hubClient>;
  let db: pg.Client;
  let git: GitHttpServer;
  let repoURL: string;

  const appSetGenerations = async (): Promise<Generations> =>
    (await db.query<Generations>(`SELECT generation, "renderedGeneration" FROM "ApplicationSet" WHERE name = 'web'`))
      .rows[0] as Generations;
  const clusters = async () =>
    (
      await db.query<{ name: string; desired: number; planned: number; namespace: string | null }>(
        `SELECT c.name, c."desiredPlanGeneration" AS desired, c."plannedGeneration" AS planned,
                (SELECT plan->'applications'->0->>'namespace' FROM "PlanRevision" p WHERE p."clusterId" = c.id
                  ORDER BY revision DESC LIMIT 1) AS namespace
           FROM "Cluster" c ORDER BY c.name`,
      )
    ).rows;

  before(async () => {
    const work = tempDir(suite, 'flotilla-consistency-');
    const repo = TestRepository.init(join(work, 'git', 'apps.git'));
    repo.commit({ 'web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: "1"}\n' });
    git = await startGitHttpServer(join(work, 'git'));
    suite.after(() => git.close());
    repoURL = git.url('apps.git');
    ({ hub, env } = await startFreshHub(suite, { adminToken: ADMIN_TOKEN, workDir: work }));
    admin = hubClient(hub.url, ADMIN_TOKEN);
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    for (const name of ['c0', 'c1', 'c2'])
      assert.equal(
        (await admin.post('/api/v1/clusters', { name, server: `https://${name}.example`, labels: { fleet: 'yes' } })).status,
        201,
      );
    assert.equal((await admin.put('/api/v1/applicationsets', appSet('1', repoURL), 'application/yaml')).status, 201);
    await eventually(
      async () => ((await clusters()).every((c) => c.planned === c.desired && c.namespace === 'web-v1') ? true : undefined),
      30_000,
      'every cluster planned',
    );
  });

  after(async () => {
    await db?.end();
    await suite.close();
  });

  it('is not seen as rendered before its clusters are marked, and every cluster is planned after', async () => {
    const before = await clusters();
    const c1Before = before.find((c) => c.name === 'c1')?.desired as number;
    const holder = new pg.Client({ connectionString: env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM "Cluster" WHERE name = 'c1' FOR NO KEY UPDATE`);
      assert.equal((await admin.put('/api/v1/applicationsets', appSet('2', repoURL), 'application/yaml')).status, 200);
      const wanted = (await appSetGenerations()).generation;
      // While c1 is held, the render may wait but must never appear done with c1 unmarked.
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        const { renderedGeneration } = await appSetGenerations();
        const c1 = (await clusters()).find((c) => c.name === 'c1');
        assert.ok(
          renderedGeneration < wanted || (c1?.desired ?? 0) > c1Before,
          `generation ${wanted} is rendered but c1's plan was not marked outdated (desired ${c1?.desired})`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await holder.query('ROLLBACK');
      await eventually(async () => ((await appSetGenerations()).renderedGeneration === wanted ? true : undefined), 30_000, 'the render');
      await eventually(
        async () => ((await clusters()).every((c) => c.planned === c.desired && c.namespace === 'web-v2') ? true : undefined),
        30_000,
        'every cluster planned with the new render',
      );
      for (const c of await clusters()) assert.ok(c.desired > (before.find((b) => b.name === c.name)?.desired ?? 0), c.name);
    } finally {
      await holder.end();
    }
  });
});
