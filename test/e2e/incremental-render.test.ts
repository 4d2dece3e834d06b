import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  eventually,
  hubClient,
  type RunningHub,
  scrapeHubMetrics,
  startFreshHub,
  startGitHttpServer,
  startHub,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * A cluster change to a cluster-separable ApplicationSet re-renders and re-writes only that
 * cluster's Applications: the other rows are not touched (same row versions), and the result
 * equals what a full render gives. Also: a document change, and a hub without the held output
 * (a restart), fall back to a full render, which writes only the Applications that changed.
 */

const ADMIN_TOKEN = 'e2e-incremental-admin-token-0123456789abcdefgh';
const CLUSTERS = 12;
const WEBHOOK_SECRET = 'e2e-incremental-webhook-secret-0123456789';

const appSet = (apps: string[]) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {fleet: 'yes'}}}
      - list: {elements: [${apps.map((app) => `{app: ${app}}`).join(', ')}]}
  template:
    metadata: {name: '{{app}}-{{name}}', labels: {tier: '{{metadata.labels.tier}}'}}
    spec:
      project: default
      source: {repoURL: 'https://git.example/apps.git', targetRevision: main, path: '{{app}}'}
      destination: {server: '{{server}}', namespace: '{{app}}'}
`;

interface Row {
  /** The row version's transaction: a write of the row, even with the same id, changes it. */
  version: string;
  name: string;
  tier: string;
}

describe('incremental render after a cluster change', { timeout: 120_000 }, () => {
  const suite = suiteScope();
  let hub: RunningHub;
  let env: Record<string, string>;
  let admin: ReturnType<typeof hubClient>;
  let db: pg.Client;

  const rows = async (): Promise<Map<string, Row>> => {
    const result = await db.query<Row>(
      `SELECT xmin::text AS version, name, application->'metadata'->'labels'->>'tier' AS tier FROM "GeneratedApplication" ORDER BY name`,
    );
    return new Map(result.rows.map((row) => [row.name, row]));
  };
  const renderedGeneration = async (): Promise<number> =>
    ((await admin.get('/api/v1/applicationsets/argocd/fleet')).body as unknown as { renderedGeneration: number }).renderedGeneration;
  const untilRendered = async (previous: number): Promise<number> =>
    eventually(async () => {
      const body = (await admin.get('/api/v1/applicationsets/argocd/fleet')).body as unknown as {
        generation: number;
        renderedGeneration: number;
      };
      return body.renderedGeneration > previous && body.renderedGeneration === body.generation ? body.renderedGeneration : undefined;
    }, 30_000);

  before(async () => {
    ({ hub, env } = await startFreshHub(suite, {
      adminToken: ADMIN_TOKEN,
      workDir: tempDir(suite, 'flotilla-incremental-'),
      env: { FLOTILLA_WEBHOOK_SECRET: WEBHOOK_SECRET },
    }));
    admin = hubClient(hub.url, ADMIN_TOKEN);
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    for (let i = 0; i < CLUSTERS; i++) {
      await admin.post('/api/v1/clusters', { name: `c${i}`, server: `https://c${i}.example`, labels: { fleet: 'yes', tier: 'gold' } });
    }
    assert.equal((await admin.put('/api/v1/applicationsets', appSet(['web', 'api']), 'application/yaml')).status, 201);
    await untilRendered(0);
    assert.equal((await rows()).size, CLUSTERS * 2);
  });

  after(async () => {
    await db?.end();
    await suite.close();
  });

  it('relabelling one cluster rewrites only its Applications', async () => {
    const before = await rows();
    const generation = await renderedGeneration();
    assert.equal((await admin.patch('/api/v1/clusters/c3', { labels: { fleet: 'yes', tier: 'silver' } })).status, 200);
    await untilRendered(generation);
    const now = await rows();
    assert.equal(now.size, CLUSTERS * 2);
    for (const [name, row] of now) {
      if (name.endsWith('-c3')) {
        assert.equal(row.tier, 'silver');
        assert.notEqual(row.version, before.get(name)?.version, `${name} was rewritten`);
      } else {
        assert.equal(row.version, before.get(name)?.version, `${name} was not touched`);
      }
    }
  });

  it('a cluster leaving the selector, and a deleted one, lose exactly their Applications', async () => {
    const before = await rows();
    let generation = await renderedGeneration();
    assert.equal((await admin.patch('/api/v1/clusters/c5', { labels: { fleet: 'no' } })).status, 200);
    generation = await untilRendered(generation);
    assert.equal((await admin.delete('/api/v1/clusters/c7')).status, 204);
    await untilRendered(generation);
    const now = await rows();
    assert.deepEqual([...before.keys()].filter((name) => !now.has(name)).sort(), ['api-c5', 'api-c7', 'web-c5', 'web-c7']);
    for (const [name, row] of now) assert.equal(row.version, before.get(name)?.version, `${name} was not touched`);
  });

  it('a document change and a restarted hub render in full, with the same result', async () => {
    let generation = await renderedGeneration();
    const before = await rows();
    assert.equal((await admin.put('/api/v1/applicationsets', appSet(['web', 'api', 'jobs']), 'application/yaml')).status, 200);
    generation = await untilRendered(generation);
    const full = await rows();
    assert.equal(full.size, (CLUSTERS - 2) * 3);
    for (const [name, row] of full) {
      if (name.startsWith('jobs-')) assert.equal(before.has(name), false);
      else assert.equal(row.version, before.get(name)?.version, `${name} is unchanged: not written by the full render`);
    }

    // A new hub process holds nothing: its first cluster change renders everything again.
    await hub.close();
    hub = await startHub(suite, env);
    admin = hubClient(hub.url, ADMIN_TOKEN);
    assert.equal((await admin.patch('/api/v1/clusters/c0', { labels: { fleet: 'yes', tier: 'bronze' } })).status, 200);
    await untilRendered(generation);
    const now = await rows();
    assert.equal(now.size, full.size);
    assert.equal(now.get('jobs-c0')?.tier, 'bronze');
    assert.equal(now.get('jobs-c1')?.tier, 'gold');
    for (const [name, row] of now) {
      if (!name.endsWith('-c0')) assert.equal(row.version, full.get(name)?.version, `${name} was not written`);
    }
  });

  // Agents' status reports join GeneratedApplication; a plan made from an empty table's
  // statistics would scan all of its rows for every report (docs/benchmarks.md, session 6).
  it('refreshes the table statistics after a render that writes many Applications', async () => {
    const analyzed = async (): Promise<number> =>
      Number(
        (await db.query<{ n: string }>(`SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = 'GeneratedApplication'`)).rows[0]
          ?.n ?? 0,
      );
    const before = await analyzed();
    const elements = Array.from({ length: 1_000 }, (_, i) => `{index: '${i}'}`).join(', ');
    const many = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: many, namespace: argocd}
spec:
  generators:
  - list: {elements: [${elements}]}
  template:
    metadata: {name: 'many-{{index}}'}
    spec:
      project: default
      source: {repoURL: 'https://git.example/apps.git', targetRevision: main, path: many}
      destination: {server: 'https://c0.example', namespace: 'many-{{index}}'}
`;
    assert.equal((await admin.put('/api/v1/applicationsets', many, 'application/yaml')).status, 201);
    await eventually(async () => ((await analyzed()) > before ? true : undefined), 30_000, 'an ANALYZE of GeneratedApplication');
  });

  const renders = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await scrapeHubMetrics(hub.url, ADMIN_TOKEN)).samples('flotilla_renders_total').map((m) => [m.labels?.result, Number(m.value)]),
    );
  /** Waits until `count` more render jobs than in `before` ended as rendered or (inputs_)unchanged; returns those counts. */
  const rendersAfter = async (before: Record<string, number>, count: number): Promise<Record<string, number>> => {
    const delta = (now: Record<string, number>): Record<string, number> =>
      Object.fromEntries(
        ['rendered', 'unchanged', 'inputs_unchanged'].map((result) => [result, (now[result] ?? 0) - (before[result] ?? 0)]),
      );
    // The metric follows the stored result by a moment.
    return eventually(async () => {
      const counts = delta(await renders());
      return Object.values(counts).reduce((a, b) => a + b, 0) >= count ? counts : undefined;
    }, 30_000);
  };
  const desired = async (): Promise<Map<string, number>> =>
    new Map(
      (await db.query<{ name: string; g: number }>(`SELECT name, "desiredPlanGeneration" AS g FROM "Cluster"`)).rows.map((r) => [
        r.name,
        r.g,
      ]),
    );
  const push = async (cloneURL: string): Promise<number> => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: cloneURL } });
    const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex')}`;
    const accepted = await fetch(`${hub.url}/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body: payload,
    });
    assert.equal(accepted.status, 202);
    return ((await accepted.json()) as { applicationSets: number }).applicationSets;
  };

  // A commit moves the plans, seldom the Applications. A set whose generators read only its document
  // and the clusters is not rendered again while both are as its last render read them
  // (ApplicationSet.renderedInputDigest): its clusters are only re-planned.
  it('a git push re-plans the clusters of sets that read only the fleet, without rendering them', async () => {
    // A cluster change first: fleet's partial render also records what it read.
    let generation = await renderedGeneration();
    assert.equal((await admin.patch('/api/v1/clusters/c5', { labels: { fleet: 'yes', tier: 'silver' } })).status, 200);
    generation = await untilRendered(generation);
    assert.equal((await rows()).get('web-c5')?.tier, 'silver');
    const before = await rows();
    let counted = await renders();
    const planned = await desired();

    assert.equal(await push('https://git.example/apps.git'), 2, 'fleet and many read the repository');
    generation = await untilRendered(generation);
    assert.deepEqual(await rendersAfter(counted, 2), { rendered: 0, unchanged: 0, inputs_unchanged: 2 });
    for (const [name, row] of await rows()) assert.equal(row.version, before.get(name)?.version, `${name} was not written`);
    // Every cluster with Applications was marked for planning (c0 holds many's too).
    const after = await desired();
    for (const name of ['c0', 'c3', 'c5', 'c11']) {
      assert.ok((after.get(name) ?? 0) > (planned.get(name) ?? 0), `${name} re-planned: ${planned.get(name)} -> ${after.get(name)}`);
    }

    // A cluster the sets read changed: they render again (fleet in part), then skip the next push again.
    counted = await renders();
    assert.equal((await admin.patch('/api/v1/clusters/c5', { labels: { fleet: 'yes', tier: 'gold' } })).status, 200);
    generation = await untilRendered(generation);
    assert.equal((await rendersAfter(counted, 1)).rendered, 1);
    assert.equal((await rows()).get('web-c5')?.tier, 'gold');
    counted = await renders();
    await push('https://git.example/apps.git');
    await untilRendered(generation);
    assert.deepEqual(await rendersAfter(counted, 2), { rendered: 0, unchanged: 0, inputs_unchanged: 2 });
  });

  // A set that reads git renders on every push; Applications that hash as its last full render
  // stored them are neither compared nor rewritten (ApplicationSet.renderedDigest).
  it('a git push renders a set that reads the repository, and rewrites none of its unchanged Applications', async () => {
    const root = tempDir(suite, 'flotilla-incremental-git-');
    const repo = TestRepository.init(join(root, 'dirs.git'));
    repo.commit({ 'apps/web/cm.yaml': 'kind: ConfigMap\n', 'apps/api/cm.yaml': 'kind: ConfigMap\n' });
    const git = await startGitHttpServer(root);
    suite.after(() => git.close());
    const fromGit = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: from-git, namespace: argocd}
spec:
  generators:
  - git: {repoURL: '${git.url('dirs.git')}', revision: main, directories: [{path: 'apps/*'}]}
  template:
    metadata: {name: 'git-{{path.basename}}'}
    spec:
      project: default
      source: {repoURL: '${git.url('dirs.git')}', targetRevision: main, path: '{{path}}'}
      destination: {server: 'https://c1.example', namespace: '{{path.basename}}'}
`;
    let counted = await renders();
    assert.equal((await admin.put('/api/v1/applicationsets', fromGit, 'application/yaml')).status, 201);
    await rendersAfter(counted, 1);
    const stored = async () =>
      new Map(
        (
          await db.query<{ name: string; version: string }>(
            `SELECT g.name, g.xmin::text AS version FROM "GeneratedApplication" g JOIN "ApplicationSet" s ON s.id = g."appSetId" WHERE s.name = 'from-git'`,
          )
        ).rows.map((r) => [r.name, r.version]),
      );
    const before = await stored();
    assert.deepEqual([...before.keys()].sort(), ['git-api', 'git-web']);

    repo.commit({ 'apps/web/cm.yaml': 'kind: ConfigMap\nmetadata: {name: web}\n' });
    counted = await renders();
    assert.equal(await push(git.url('dirs.git')), 1);
    assert.deepEqual(await rendersAfter(counted, 1), { rendered: 0, unchanged: 1, inputs_unchanged: 0 });
    assert.deepEqual(await stored(), before, 'no Application rewritten');
  });

  // Every cluster's plan is written on every change: stored as the JSON text it arrives as, never
  // parsed into jsonb, with its outline (Application names) next to it (migration 20261203000000),
  // and lz4 compresses it faster than pglz (20261202010000).
  it('stores plans as JSON text, compressed with lz4, each with the outline of its Applications', async () => {
    const { rows } = await db.query<{ type: string; compression: string }>(
      `SELECT atttypid::regtype::text AS type, attcompression AS compression
         FROM pg_attribute WHERE attrelid = '"PlanRevision"'::regclass AND attname = 'plan'`,
    );
    assert.deepEqual(rows[0], { type: 'json', compression: 'l' });
    const { rows: revisions } = await db.query<{ outline: Record<string, unknown>; names: string[] }>(
      `SELECT outline, ARRAY(SELECT a->>'name' FROM json_array_elements(plan->'applications') a) AS names FROM "PlanRevision"`,
    );
    assert.ok(revisions.length > 0);
    for (const revision of revisions) assert.deepEqual(Object.keys(revision.outline).sort(), [...revision.names].sort());
  });
});
