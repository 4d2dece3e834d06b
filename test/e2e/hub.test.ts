import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createRedisPrefix,
  createTestDatabase,
  eventually,
  type GitHttpServer,
  hubClient,
  type RunningHub,
  startGitHttpServer,
  startHub,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * The hub end to end: real Postgres and Redis, a real git server on loopback, driven only
 * through HTTP as an administrator and as simulated agents speaking the gateway protocol.
 */

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
const GIT_PASSWORD = 'e2e-git-token-0123456789';
const MANIFESTS = `apiVersion: v1
kind: ConfigMap
metadata: {name: guestbook-settings}
data: {color: blue}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: guestbook}
spec:
  selector: {matchLabels: {app: guestbook}}
  template:
    metadata: {labels: {app: guestbook}}
    spec: {containers: [{name: web, image: 'nginx:1.27'}]}
`;

const appSet = (repoURL: string, selector = 'env: prod') => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {matchLabels: {${selector}}}}
  template:
    metadata: {name: 'guestbook-{{nameNormalized}}'}
    spec:
      project: default
      source: {repoURL: '${repoURL}', targetRevision: main, path: guestbook}
      destination: {server: '{{server}}', namespace: guestbook}
`;

interface PlanBody {
  revision: number;
  hash: string;
  plan: {
    applications: Array<{
      name: string;
      error?: string;
      objects?: Array<{ kind: string; metadata: { name: string; namespace?: string } }>;
    }>;
  };
}

describe('hub', () => {
  // Suite-wide resources, released in reverse order once every test has run.
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  let hub: RunningHub;
  let git: GitHttpServer;
  let repoURL: string;
  let repo: TestRepository;
  let redis: ReturnType<typeof createRedisPrefix>;
  let env: Record<string, string>;
  let admin: ReturnType<typeof hubClient>;
  let secondWorker: RunningHub | undefined;

  before(async () => {
    const root = tempDir(t);
    repo = TestRepository.init(join(root, 'apps.git'));
    repo.commit({ 'guestbook/manifests.yaml': MANIFESTS });
    // The repository needs credentials: the hub must send the ones it is configured with.
    git = await startGitHttpServer(root, { username: 'flotilla', password: GIT_PASSWORD });
    t.after(() => git.close());
    repoURL = git.url('apps.git');
    redis = createRedisPrefix(t);
    env = {
      DATABASE_URL: await createTestDatabase(t),
      REDIS_URL: redis.url,
      FLOTILLA_REDIS_PREFIX: redis.prefix,
      FLOTILLA_ADMIN_TOKEN: ADMIN_TOKEN,
      FLOTILLA_RECONCILE_SECONDS: '1',
      FLOTILLA_GIT_POLL_SECONDS: '1',
      FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS: '5',
      FLOTILLA_WEBHOOK_SECRET: WEBHOOK_SECRET,
      FLOTILLA_GIT_CREDENTIALS: JSON.stringify([{ urlPrefix: 'http://127.0.0.1:', username: 'flotilla', password: GIT_PASSWORD }]),
      FLOTILLA_CACHE_DIR: tempDir(t),
    };
    hub = await startHub(t, env);
    admin = hubClient(hub.url, ADMIN_TOKEN);
    for (const [name, envLabel] of [
      ['prod-eu', 'prod'],
      ['prod-us', 'prod'],
      ['dev', 'dev'],
    ]) {
      const created = await admin.post('/api/v1/clusters', { name, server: `https://${name}.example.com`, labels: { env: envLabel } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });

  const latest = async (cluster: string): Promise<PlanBody | undefined> => {
    const response = await admin.get(`/api/v1/clusters/${cluster}/plans/latest`);
    return response.status === 200 ? (response.body as unknown as PlanBody) : undefined;
  };
  const appNames = (plan: PlanBody | undefined): string[] => (plan?.plan.applications ?? []).map((a) => a.name);

  it('serves readiness and the OpenAPI document without a token', async () => {
    const anonymous = hubClient(hub.url);
    assert.deepEqual((await anonymous.get('/readyz')).body, { status: 'ok', postgres: 'ok', redis: 'ok' });
    const openapi = await anonymous.get('/docs-json');
    assert.equal(openapi.status, 200);
    assert.ok((openapi.body as unknown as { paths: Record<string, unknown> }).paths['/api/v1/applicationsets']);
  });

  it('authenticates every admin call and checks roles', async () => {
    assert.equal((await hubClient(hub.url).get('/api/v1/clusters')).status, 401);
    assert.equal((await hubClient(hub.url, 'flt_not-a-real-token').get('/api/v1/clusters')).status, 401);
    const viewer = await admin.post('/api/v1/tokens', { name: 'ci-viewer', role: 'viewer' });
    assert.equal(viewer.status, 201);
    const viewerClient = hubClient(hub.url, viewer.body.token as string);
    assert.equal((await viewerClient.get('/api/v1/clusters')).status, 200);
    const write = await viewerClient.post('/api/v1/clusters', { name: 'x', server: 'https://x.example.com' });
    assert.equal(write.status, 403);
    assert.match(String(write.body.message), /requires role editor/);
    assert.equal((await viewerClient.post('/api/v1/tokens', { name: 'escalate', role: 'admin' })).status, 403);

    const revoke = await admin.delete(`/api/v1/tokens/${viewer.body.id}`);
    assert.equal(revoke.status, 204);
    assert.equal((await viewerClient.get('/api/v1/clusters')).status, 401);
    const listed = (await admin.get('/api/v1/tokens')).body as Array<Record<string, unknown>>;
    assert.ok(
      listed.every((token) => !('token' in token) && !('tokenHash' in token)),
      'tokens are never shown again',
    );
  });

  it('answers bad input with 400 and the field path, duplicates with 409, missing with 404', async () => {
    const bad = await admin.put('/api/v1/applicationsets', appSet(repoURL).replace('clusters:', 'clusterz:'), 'application/yaml');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.problems, [
      { path: 'spec.generators[0].clusterz', reason: 'unknown field' },
      { path: 'spec.generators[0]', reason: 'set one generator (list, clusters, git, pullRequest, matrix, merge)' },
    ]);
    const invalidYaml = await admin.put('/api/v1/applicationsets', 'spec: [', 'application/yaml');
    assert.equal(invalidYaml.status, 400);
    const duplicate = await admin.post('/api/v1/clusters', { name: 'dev', server: 'https://other.example.com' });
    assert.equal(duplicate.status, 409);
    assert.equal((await admin.get('/api/v1/clusters/nope')).status, 404);
  });

  it('renders an ApplicationSet into plans for the selected clusters only', async () => {
    const created = await admin.put('/api/v1/applicationsets', appSet(repoURL), 'application/yaml');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const eu = await eventually(
      async () => {
        const plan = await latest('prod-eu');
        return appNames(plan).includes('guestbook-prod-eu') ? plan : undefined;
      },
      30_000,
      'the prod-eu plan',
    );
    const app = eu.plan.applications[0];
    assert.equal(app?.error, undefined);
    assert.deepEqual(
      app?.objects?.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
      ['ConfigMap/guestbook/guestbook-settings', 'Deployment/guestbook/guestbook'],
    );
    await eventually(
      async () => (appNames(await latest('prod-us')).includes('guestbook-prod-us') ? true : undefined),
      30_000,
      'the prod-us plan',
    );
    assert.deepEqual(appNames(await latest('dev')), []);
    const status = await admin.get('/api/v1/applicationsets/argocd/guestbook');
    assert.deepEqual(
      (status.body.conditions as Array<{ type: string; status: string }>).map((c) => [c.type, c.status]),
      [
        ['Rendered', 'True'],
        ['Warnings', 'False'],
      ],
    );
  });

  it('gives an agent its own plan, wakes its long-poll within a second, and refuses it anything else', async () => {
    const agentFor = async (cluster: string) => {
      const bootstrap = await admin.post(`/api/v1/clusters/${cluster}/bootstrap-tokens`, {});
      assert.equal(bootstrap.status, 201);
      const registered = await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap.body.token });
      assert.equal(registered.status, 201);
      const reused = await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap.body.token });
      assert.equal(reused.status, 401, 'a bootstrap token works once');
      return hubClient(hub.url, registered.body.credential as string);
    };
    const euAgent = await agentFor('prod-eu');
    const devAgent = await agentFor('dev');

    const own = await euAgent.get('/agent/v1/plan?after=0&waitSeconds=0');
    assert.equal(own.status, 200);
    assert.deepEqual(appNames(own.body as unknown as PlanBody), ['guestbook-prod-eu']);
    assert.equal((await euAgent.get('/api/v1/clusters/prod-us/plans/latest')).status, 403, 'agent credentials do not open the admin API');
    assert.equal((await hubClient(hub.url, ADMIN_TOKEN).get('/agent/v1/plan')).status, 401, 'API tokens do not open the gateway');

    const devCurrent = (await devAgent.get('/agent/v1/plan?after=0&waitSeconds=0')).body as unknown as PlanBody;
    const euRevision = (own.body as unknown as PlanBody).revision;
    const devPoll = devAgent.get(`/agent/v1/plan?after=${devCurrent.revision}&waitSeconds=25`).then((r) => ({ ...r, at: Date.now() }));
    const euPoll = euAgent.get(`/agent/v1/plan?after=${euRevision}&waitSeconds=3`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Relabel dev into prod: only dev's plan changes.
    assert.equal((await admin.patch('/api/v1/clusters/dev', { labels: { env: 'prod' } })).status, 200);
    const woken = await devPoll;
    assert.equal(woken.status, 200);
    const revision = woken.body as unknown as PlanBody;
    assert.deepEqual(appNames(revision), ['guestbook-dev']);
    const stored = (await admin.get(`/api/v1/clusters/dev/plans`)).body as Array<{ revision: number; createdAt: string }>;
    const createdAt = Date.parse(stored.find((r) => r.revision === revision.revision)?.createdAt ?? '');
    assert.ok(woken.at - createdAt < 1000, `delivered ${woken.at - createdAt} ms after the revision was stored`);
    assert.equal((await euPoll).status, 204, 'prod-eu got no new revision from the relabel');

    const report = await euAgent.post('/agent/v1/status', {
      revision: euRevision,
      applications: [{ name: 'guestbook-prod-eu', sync: 'Synced', health: 'Healthy', message: '', objects: [] }],
    });
    assert.equal(report.status, 204);
    const statuses = (await admin.get('/api/v1/clusters/prod-eu/applications')).body as Array<{ application: string; health: string }>;
    assert.deepEqual(
      statuses.map((s) => [s.application, s.health]),
      [['guestbook-prod-eu', 'Healthy']],
    );
    assert.equal((await admin.get('/api/v1/clusters/prod-eu')).body.state, 'connected');
    const fleet = (await admin.get('/api/v1/applications?applicationSet=guestbook')).body as Array<Record<string, unknown>>;
    assert.deepEqual(
      fleet.map((a) => [a.name, a.cluster, a.health]),
      [
        ['guestbook-dev', 'dev', 'Unknown'],
        ['guestbook-prod-eu', 'prod-eu', 'Healthy'],
        ['guestbook-prod-us', 'prod-us', 'Unknown'],
      ],
    );
    const badReport = await euAgent.post('/agent/v1/status', { revision: -1, applications: [] });
    assert.equal(badReport.status, 400);

    const rotated = await euAgent.post('/agent/v1/credential');
    assert.equal(rotated.status, 201);
    assert.equal((await euAgent.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 401, 'the old credential stops working');
    const renewed = hubClient(hub.url, rotated.body.credential as string);
    assert.equal((await renewed.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
  });

  it('re-renders on a signed git push webhook and on new commits found by polling', async () => {
    const color = async (cluster: string): Promise<string | undefined> => {
      const plan = await latest(cluster);
      const configMap = plan?.plan.applications[0]?.objects?.find((o) => o.kind === 'ConfigMap') as
        | { data?: { color?: string } }
        | undefined;
      return configMap?.data?.color;
    };
    assert.equal(await color('prod-eu'), 'blue');
    repo.commit({ 'guestbook/manifests.yaml': MANIFESTS.replace('color: blue', 'color: green') });
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: repoURL } });
    const sign = (body: string, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const post = (body: string, signature: string) =>
      fetch(`${hub.url}/hooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      });
    assert.equal((await post(payload, sign(payload, 'wrong-secret-0123456789'))).status, 401);
    assert.equal((await post(payload, 'sha256=')).status, 401);
    const accepted = await post(payload, sign(payload, WEBHOOK_SECRET));
    assert.equal(accepted.status, 202);
    assert.deepEqual(await accepted.json(), { applicationSets: 1 });
    await eventually(async () => ((await color('prod-eu')) === 'green' ? true : undefined), 30_000, 'the pushed commit in prod-eu');

    // No webhook this time: the poller notices the new head.
    repo.commit({ 'guestbook/manifests.yaml': MANIFESTS.replace('color: blue', 'color: red') });
    await eventually(async () => ((await color('prod-us')) === 'red' ? true : undefined), 30_000, 'the polled commit in prod-us');
  });

  it('keeps the last good Applications when a render fails (deletion guard)', async () => {
    const before = await latest('prod-eu');
    const broken = appSet(repoURL).replace('path: guestbook}', "path: 'guestbook/{{name'}");
    assert.equal((await admin.put('/api/v1/applicationsets', broken, 'application/yaml')).status, 200);
    const failed = await eventually(
      async () => {
        const status = await admin.get('/api/v1/applicationsets/argocd/guestbook');
        const rendered = (status.body.conditions as Array<{ type: string; status: string; message: string }>).find(
          (c) => c.type === 'Rendered',
        );
        return rendered?.status === 'False' ? rendered : undefined;
      },
      20_000,
      'the RenderFailed condition',
    );
    assert.match(failed.message, /spec\.template\.spec\.source\.path: .*unclosed tag/);
    const apps = (await admin.get('/api/v1/applicationsets/argocd/guestbook/applications')).body as Array<{ name: string }>;
    assert.deepEqual(apps.map((a) => a.name).sort(), ['guestbook-dev', 'guestbook-prod-eu', 'guestbook-prod-us']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await latest('prod-eu'))?.revision, before?.revision, 'no plan shrank or changed');
    assert.equal((await admin.put('/api/v1/applicationsets', appSet(repoURL), 'application/yaml')).status, 200);
  });

  it('marks a cluster unreachable when its agent stops beating', async () => {
    await eventually(
      async () => ((await admin.get('/api/v1/clusters/prod-eu')).body.state === 'unreachable' ? true : undefined),
      20_000,
      'prod-eu unreachable',
    );
    const events = (await admin.get('/api/v1/events?subject=cluster/prod-eu')).body as Array<{ type: string }>;
    assert.ok(events.some((e) => e.type === 'ClusterUnreachable'));
  });

  it('serves older revisions and forgets a deleted cluster with its agent', async () => {
    const revisions = (await admin.get('/api/v1/clusters/dev/plans')).body as Array<{ revision: number; hash: string }>;
    const oldest = revisions.at(-1) as { revision: number; hash: string };
    const old = await admin.get(`/api/v1/clusters/dev/plans/${oldest.revision}`);
    assert.equal(old.status, 200);
    assert.equal(old.body.hash, oldest.hash);
    assert.equal((await admin.get('/api/v1/clusters/dev/plans/9999')).status, 404);

    const bootstrap = await admin.post('/api/v1/clusters/dev/bootstrap-tokens', {});
    const agent = hubClient(
      hub.url,
      (await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap.body.token })).body.credential as string,
    );
    assert.equal((await agent.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    assert.equal((await admin.delete('/api/v1/clusters/dev')).status, 204);
    assert.equal((await admin.get('/api/v1/clusters/dev')).status, 404);
    assert.equal((await agent.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 401, 'the deleted cluster credential stops working');
    await eventually(
      async () => {
        const apps = (await admin.get('/api/v1/applicationsets/argocd/guestbook/applications')).body as Array<{ name: string }>;
        return apps.some((a) => a.name === 'guestbook-dev') ? undefined : true;
      },
      20_000,
      'guestbook-dev to leave the ApplicationSet',
    );
    // Put it back for the tests that follow.
    assert.equal(
      (await admin.post('/api/v1/clusters', { name: 'dev', server: 'https://dev.example.com', labels: { env: 'prod' } })).status,
      201,
    );
  });

  it('removes the Applications of a deleted ApplicationSet from the plans', async () => {
    assert.equal((await admin.delete('/api/v1/applicationsets/argocd/guestbook')).status, 204);
    for (const cluster of ['prod-eu', 'prod-us', 'dev']) {
      await eventually(
        async () => (appNames(await latest(cluster)).length === 0 ? true : undefined),
        30_000,
        `an empty plan for ${cluster}`,
      );
    }
    const events = (await admin.get('/api/v1/events?subject=applicationset/argocd/guestbook')).body as Array<{
      type: string;
      actor: string;
    }>;
    // The audit trail of what users did, newest first; the broken update earlier in this suite
    // also left RenderFailed events (one per failed render: a git poll may add another).
    assert.deepEqual(
      events.map((e) => e.type).filter((type) => type !== 'RenderFailed'),
      ['ApplicationSetDeleted', 'ApplicationSetUpdated', 'ApplicationSetUpdated', 'ApplicationSetCreated'],
    );
    assert.ok(events.some((e) => e.type === 'RenderFailed'));
    assert.equal(events[0]?.actor, 'token:bootstrap-admin');
  });

  it('never duplicates a revision with two worker replicas', async () => {
    secondWorker = await startHub(t, {
      ...env,
      FLOTILLA_ROLES: 'worker',
      FLOTILLA_SKIP_MIGRATIONS: 'true',
      FLOTILLA_CACHE_DIR: tempDir(t),
    });
    assert.equal((await admin.put('/api/v1/applicationsets', appSet(repoURL), 'application/yaml')).status, 201);
    for (let i = 0; i < 6; i++) {
      await admin.patch('/api/v1/clusters/prod-us', { labels: { env: i % 2 === 0 ? 'dev' : 'prod' } });
    }
    // Six relabels end where they started (env: prod): the last revision has the app again.
    await eventually(async () => (appNames(await latest('prod-us')).length === 1 ? true : undefined), 30_000, 'prod-us to settle');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const revisions = (await admin.get('/api/v1/clusters/prod-us/plans')).body as Array<{ revision: number; hash: string }>;
    const numbers = revisions.map((r) => r.revision);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(new Set(numbers).size, numbers.length, 'no revision number twice');
    for (let i = 1; i < revisions.length; i++) {
      assert.notEqual(revisions[i]?.hash, revisions[i - 1]?.hash, 'a new revision only when the plan changed');
      assert.equal(revisions[i - 1]?.revision, (revisions[i]?.revision ?? 0) + 1, 'revisions are consecutive');
    }
  });

  it('converges from Postgres after a restart that lost every queued job in Redis', async () => {
    // Only an API replica runs while the change is made, so its jobs wait in Redis...
    const api = await startHub(t, { ...env, FLOTILLA_ROLES: 'api', FLOTILLA_SKIP_MIGRATIONS: 'true' });
    await hub.close();
    await secondWorker?.close();
    const apiAdmin = hubClient(api.url, ADMIN_TOKEN);
    assert.equal((await apiAdmin.patch('/api/v1/clusters/prod-us', { labels: { env: 'dev' } })).status, 200);
    assert.equal((await apiAdmin.put('/api/v1/applicationsets', appSet(repoURL, 'env: dev'), 'application/yaml')).status, 200);
    // ...and are lost with everything else in Redis.
    assert.ok((await redis.flush()) > 0, 'the change had queued jobs');
    const before = await apiAdmin.get('/api/v1/clusters/prod-eu/plans/latest');
    assert.deepEqual(appNames(before.body as unknown as PlanBody), ['guestbook-prod-eu']);
    // A worker starting afterwards finds the unrendered generation in Postgres and converges.
    await startHub(t, { ...env, FLOTILLA_ROLES: 'worker', FLOTILLA_SKIP_MIGRATIONS: 'true', FLOTILLA_CACHE_DIR: tempDir(t) });
    const planOf = async (cluster: string) =>
      appNames((await apiAdmin.get(`/api/v1/clusters/${cluster}/plans/latest`)).body as unknown as PlanBody);
    await eventually(async () => ((await planOf('prod-eu')).length === 0 ? true : undefined), 30_000, 'prod-eu to lose the app');
    await eventually(
      async () => ((await planOf('prod-us')).join() === 'guestbook-prod-us' ? true : undefined),
      30_000,
      'prod-us (relabelled to dev) to keep it',
    );
  });
});
