import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { eventually, hubClient, type RunningHub, runFlotillaAsync, startFreshHub, suiteScope, tempDir } from '#testing';

/** `flotilla login / context / get` as a subprocess against a real hub (Postgres, Redis). */

const ADMIN_TOKEN = 'e2e-cli-admin-token-0123456789abcdefghijklmnopq';

describe('flotilla client commands', { timeout: 180_000 }, () => {
  let hub: RunningHub;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let viewerToken: string;
  let viewerId: string;
  const suite = suiteScope();
  const flotilla = (...args: string[]) => runFlotillaAsync(args, { env });

  before(async () => {
    work = tempDir(suite, 'flotilla-cli-e2e-');
    ({ hub } = await startFreshHub(suite, { adminToken: ADMIN_TOKEN, workDir: work }));
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    const viewer = await admin.post('/api/v1/tokens', { name: 'cli', role: 'viewer' });
    viewerToken = viewer.body.token as string;
    viewerId = viewer.body.id as string;
    await admin.post('/api/v1/clusters', { name: 'prod-eu', server: 'https://prod-eu.example.com', labels: { env: 'prod', region: 'eu' } });
    await admin.post('/api/v1/clusters', { name: 'dev-us', server: 'https://dev-us.example.com', labels: { env: 'dev', region: 'us' } });
    const appSet = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators: [{clusters: {selector: {matchLabels: {env: prod}}}}]
  template:
    metadata: {name: 'web-{{name}}'}
    spec:
      project: default
      source: {repoURL: 'https://git.example.com/apps.git', targetRevision: main, path: web}
      destination: {server: '{{server}}', namespace: web}
`;
    await admin.put('/api/v1/applicationsets', appSet, 'application/yaml');
    await eventually(async () => {
      const apps = (await admin.get('/api/v1/applications')).body as unknown as unknown[];
      return apps.length === 1 ? true : undefined;
    });
    // prod-eu's agent registers and reports, as a real one would.
    const bootstrap = (await admin.post('/api/v1/clusters/prod-eu/bootstrap-tokens', {})).body.token as string;
    const credential = (await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap })).body.credential as string;
    const agent = hubClient(hub.url, credential);
    const revision = await eventually(async () => {
      const response = await agent.get('/agent/v1/plan?after=0&waitSeconds=0');
      const body = response.body as unknown as { revision: number; plan: { applications: unknown[] } };
      return response.status === 200 && body.plan.applications.length === 1 ? body.revision : undefined;
    });
    const reported = await agent.post('/agent/v1/status', {
      revision,
      applications: [
        {
          name: 'web-prod-eu',
          sync: 'Synced',
          health: 'Progressing',
          message: '',
          objects: [
            { group: '', kind: 'ConfigMap', namespace: 'web', name: 'web-settings', sync: 'Synced', health: 'Healthy' },
            { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web', sync: 'Synced', health: 'Progressing' },
          ],
        },
      ],
    });
    assert.equal(reported.status, 204);
    env = { PATH: process.env.PATH, HOME: work, FLOTILLA_CONFIG: join(work, 'config', 'flotilla.yaml') };
  });

  after(suite.close);

  it('refuses a bad token at login with exit code 4, and an unreachable hub with 3', async () => {
    const bad = await flotilla('login', '--hub', hub.url, '--token', 'not-a-token');
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /refused the token/);
    const away = await flotilla('login', '--hub', 'http://127.0.0.1:9', '--token', viewerToken);
    assert.equal(away.code, 3);
    assert.match(away.stderr, /cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
    const missing = await flotilla('get', 'clusters');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /run `flotilla login/);
  });

  it('logs in, keeping the token in a file only its owner can read', async () => {
    const result = await flotilla('login', '--hub', hub.url, '--token', viewerToken, '--context', 'test');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /logged in to .* as context "test"/);
    const path = join(work, 'config', 'flotilla.yaml');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const config = parse(readFileSync(path, 'utf8')) as { currentContext: string; contexts: Array<{ name: string; token: string }> };
    assert.equal(config.currentContext, 'test');
    assert.equal(config.contexts[0]?.token, viewerToken);
    assert.ok(!result.stdout.includes(viewerToken) && !result.stderr.includes(viewerToken), 'the token is never printed');
  });

  it('prints clusters as a kubectl-like table, filtered by a label selector, and as JSON', async () => {
    const table = await flotilla('get', 'clusters');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+STATE\s+AGENT\s+KUBE VERSION\s+LAST SEEN\s+AGE$/);
    assert.equal(lines.length, 3);
    assert.match(lines.find((l) => l.startsWith('dev-us')) ?? '', /^dev-us\s+pending\s+waiting\s+<none>\s+<none>\s+\d+s$/);
    assert.match(lines.find((l) => l.startsWith('prod-eu')) ?? '', /^prod-eu\s+connected\s+registered\s+<none>\s+\d+s\s+\d+s$/);

    const selected = await flotilla('get', 'clusters', '-l', 'env=prod', '-o', 'wide');
    assert.equal(selected.stdout.trimEnd().split('\n').length, 2);
    assert.match(selected.stdout, /prod-eu .*https:\/\/prod-eu\.example\.com\s+env=prod,region=eu/);

    const json = await flotilla('get', 'cluster', 'dev-us', '-o', 'json');
    assert.equal((JSON.parse(json.stdout) as { name: string; labels: unknown }).name, 'dev-us');
  });

  it('prints ApplicationSets, Applications and plans', async () => {
    const appSets = await flotilla('get', 'appsets');
    assert.match(appSets.stdout, /^NAMESPACE\s+NAME\s+RENDERED\s+GENERATION\s+AGE\n/);
    assert.match(appSets.stdout, /argocd\s+web\s+True\s+(\d+)\/\1\s/);
    const apps = await flotilla('get', 'apps', '--cluster', 'prod-eu');
    assert.match(apps.stdout, /^NAME\s+CLUSTER\s+SYNC\s+HEALTH\s+REVISION\n/);
    assert.match(apps.stdout, /web-prod-eu\s+prod-eu\s+Synced\s+Progressing\s+\d+\n/);
    const plans = await eventually(async () => {
      const result = await flotilla('get', 'plans', '--cluster', 'prod-eu');
      return result.code === 0 && result.stdout.includes('\n1 ') ? result : undefined;
    });
    assert.match(plans.stdout, /^REVISION\s+HASH\s+AGE\n/);
    const yaml = await flotilla('get', 'apps', 'web-prod-eu', '-o', 'yaml');
    assert.equal((parse(yaml.stdout) as { cluster: string }).cluster, 'prod-eu');
  });

  it('draws an ApplicationSet as a tree down to the objects on each cluster', async () => {
    const tree = await flotilla('tree', 'appset', 'argocd/web');
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(
      tree.stdout,
      /^ApplicationSet\/argocd\/web\n└── Application\/web-prod-eu \(cluster prod-eu\) Synced Progressing r\d+\n {4}├── ConfigMap\/web\/web-settings Synced Healthy\n {4}└── Deployment\.apps\/web\/web Synced Progressing\n$/,
    );
    const wrong = await flotilla('tree', 'cluster', 'prod-eu');
    assert.equal(wrong.code, 2);
    const missing = await flotilla('tree', 'appset', 'argocd/nope');
    assert.equal(missing.code, 5);
  });

  it('describes a cluster, an ApplicationSet and an Application', async () => {
    const cluster = await flotilla('describe', 'cluster', 'prod-eu');
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.match(
      cluster.stdout,
      /^Name:\s+prod-eu\nServer:\s+https:\/\/prod-eu\.example\.com\nLabels:\s+env=prod,region=eu\nState:\s+connected\n/,
    );
    assert.match(cluster.stdout, /Applications:\n {2}NAME\s+SYNC\s+HEALTH\s+REVISION\n {2}web-prod-eu\s+Synced\s+Progressing\s+\d+\n/);
    const appSet = await flotilla('describe', 'appset', 'argocd/web');
    assert.match(
      appSet.stdout,
      /Conditions:\n {2}TYPE\s+STATUS\s+REASON\s+MESSAGE\n {2}Rendered\s+True\s+RenderSucceeded\s+1 applications\n/,
    );
    assert.match(appSet.stdout, /Applications:\n {2}NAME\s+CLUSTER\n {2}web-prod-eu\s+prod-eu\n/);
    const app = await flotilla('describe', 'app', 'web-prod-eu', '--cluster', 'prod-eu');
    assert.match(app.stdout, /Sync:\s+Synced\nHealth:\s+Progressing\n/);
    assert.match(app.stdout, /Deployment\.apps\s+web\/web\s+Synced\s+Progressing/);
    const noCluster = await flotilla('describe', 'app', 'web-prod-eu');
    assert.equal(noCluster.code, 2);
    const wrongKind = await flotilla('describe', 'widget', 'x');
    assert.equal(wrongKind.code, 2);
  });

  it('syncs an ApplicationSet now and waits for the render', async () => {
    const adminEnv = { ...env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: ADMIN_TOKEN };
    const before = (await hubClient(hub.url, ADMIN_TOKEN).get('/api/v1/applicationsets/argocd/web')).body as unknown as {
      generation: number;
    };
    const synced = await runFlotillaAsync(['sync', 'appset', 'argocd/web', '--wait'], { env: adminEnv });
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stderr, new RegExp(`generation ${before.generation + 1}`));
    assert.match(synced.stdout, /^argocd\/web: rendered: 1 applications\n$/);
    const asViewer = await flotilla('sync', 'appset', 'argocd/web');
    assert.equal(asViewer.code, 4);
    const missing = await runFlotillaAsync(['sync', 'appset', 'argocd/nope'], { env: adminEnv });
    assert.equal(missing.code, 5);
  });

  it('counts clusters and Applications by status, and lists events', async () => {
    const stats = await flotilla('stats');
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^KIND\s+STATUS\s+COUNT\n/);
    assert.match(stats.stdout, /Cluster\s+connected\s+1\n/);
    assert.match(stats.stdout, /Cluster\s+pending\s+1\n/);
    assert.match(stats.stdout, /Application\s+Synced\/Progressing\s+1\n/);
    const events = await flotilla('events', '--for', 'cluster/prod-eu');
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^AGE\s+TYPE\s+SUBJECT\s+ACTOR\s+MESSAGE\n/);
    const types = events.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s{3,}/)[1]);
    assert.deepEqual(types, ['ClusterRegistered', 'BootstrapTokenIssued', 'AgentRegistered']);
    const bad = await flotilla('events', '--limit', 'lots');
    assert.equal(bad.code, 2);
  });

  it('answers bad arguments and missing objects with clear errors and exit codes', async () => {
    const kind = await flotilla('get', 'widgets');
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /unknown kind "widgets": use one of clusters, appsets, apps, plans/);
    const format = await flotilla('get', 'clusters', '-o', 'xml');
    assert.equal(format.code, 2);
    const gone = await flotilla('get', 'cluster', 'nowhere');
    assert.equal(gone.code, 5);
    assert.match(gone.stderr, /404/);
    const context = await flotilla('get', 'clusters', '--context', 'other');
    assert.equal(context.code, 2);
    assert.match(context.stderr, /context "other" is not in/);
  });

  it('creates, lists and revokes tokens and issues bootstrap tokens as an admin; a viewer may not', async () => {
    const adminEnv = { ...env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: ADMIN_TOKEN };
    const created = await runFlotillaAsync(['tokens', 'create', 'ci', '--role', 'editor', '--expires-in-days', '7'], { env: adminEnv });
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^\S{32,}$/, 'the token alone on stdout');
    assert.match(created.stderr, /\(editor\) created, expires .* shown this once/);
    const works = await runFlotillaAsync(['get', 'clusters'], { env: { ...env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: token } });
    assert.equal(works.code, 0, works.stderr);
    const list = await runFlotillaAsync(['tokens', 'list'], { env: adminEnv });
    assert.match(list.stdout, /^ID\s+NAME\s+ROLE\s+STATUS\s+LAST USED\s+AGE\n/);
    const row = list.stdout.split('\n').find((line) => /\sci\s+editor\s+active\s/.test(line));
    assert.ok(row, list.stdout);
    assert.ok(!list.stdout.includes(token), 'never the token itself');
    const id = row.split(/\s+/)[0] as string;
    assert.equal((await runFlotillaAsync(['tokens', 'revoke', id], { env: adminEnv })).code, 0);
    const refused = await runFlotillaAsync(['get', 'clusters'], { env: { ...env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: token } });
    assert.equal(refused.code, 4);

    const bootstrap = await runFlotillaAsync(['clusters', 'bootstrap-token', 'dev-us', '--ttl-hours', '2'], { env: adminEnv });
    assert.equal(bootstrap.code, 0, bootstrap.stderr);
    const registered = await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap.stdout.trim() });
    assert.equal(registered.status, 201);
    const badTtl = await runFlotillaAsync(['clusters', 'bootstrap-token', 'dev-us', '--ttl-hours', '1000'], { env: adminEnv });
    assert.equal(badTtl.code, 2);
    const asViewer = await flotilla('tokens', 'create', 'x', '--role', 'admin');
    assert.equal(asViewer.code, 4);
    assert.match(asViewer.stderr, /403/);
  });

  it('switches contexts, and says so when the token was revoked', async () => {
    const list = await flotilla('context');
    assert.match(list.stdout, /^\* test\s+http:\/\/127\.0\.0\.1:\d+\n$/);
    await hubClient(hub.url, ADMIN_TOKEN).delete(`/api/v1/tokens/${viewerId}`);
    const revoked = await flotilla('get', 'clusters');
    assert.equal(revoked.code, 4);
    assert.match(revoked.stderr, /refused the token of context "test" \(expired or revoked\?\)/);
  });
});
