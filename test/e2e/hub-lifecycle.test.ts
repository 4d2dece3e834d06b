import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createRedisPrefix,
  createTestDatabase,
  eventually,
  type GitHttpServer,
  hubClient,
  type RunningHub,
  scrapeHubMetrics,
  startGitHttpServer,
  startHub,
  TestRepository,
  tempDir,
} from '#testing';
import { testBinaries } from '../../libs/sources/src/test-support/tools.js';

/**
 * Lifecycles the hub owns over time, end to end and through HTTP only: API tokens that
 * expire or are revoked, plans that follow the Kubernetes version an agent reports, and
 * agent credentials that are rotated. Each suite has its own database, Redis prefix and hub.
 */

const ADMIN_TOKEN = 'e2e-lifecycle-admin-token-0123456789abcdefghijklmn';
const DAY_MS = 24 * 3_600_000;

type Client = ReturnType<typeof hubClient>;
type Cleanups = { after: (fn: () => unknown) => void };

/** Suite-wide resources, released in reverse order once every test of the suite has run. */
function suiteResources(): Cleanups {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return { after: (fn) => void cleanups.push(fn) };
}

/** The environment of a fresh hub: its own database, Redis prefix and cache. */
async function hubEnv(t: Cleanups, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const redis = createRedisPrefix(t);
  return {
    DATABASE_URL: await createTestDatabase(t),
    REDIS_URL: redis.url,
    FLOTILLA_REDIS_PREFIX: redis.prefix,
    FLOTILLA_ADMIN_TOKEN: ADMIN_TOKEN,
    FLOTILLA_RECONCILE_SECONDS: '1',
    FLOTILLA_GIT_POLL_SECONDS: '1',
    FLOTILLA_CACHE_DIR: tempDir(t),
    ...extra,
  };
}

/** Registers an agent for `cluster` with a fresh bootstrap token; returns its credential. */
async function registerAgent(hubURL: string, admin: Client, cluster: string): Promise<string> {
  const bootstrap = await admin.post(`/api/v1/clusters/${cluster}/bootstrap-tokens`, {});
  assert.equal(bootstrap.status, 201, JSON.stringify(bootstrap.body));
  const registered = await hubClient(hubURL).post('/agent/v1/register', { bootstrapToken: bootstrap.body.token });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.cluster, cluster);
  return registered.body.credential as string;
}

/**
 * Runs `fn` with the process clock (`Date`, which the in-process hub reads to judge
 * expiry) set to `at`; timers stay real, so HTTP and the database work as usual.
 */
async function atTime<T>(at: number, fn: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['Date'], now: at });
  try {
    return await fn();
  } finally {
    mock.timers.reset();
  }
}

describe('hub lifecycle: API tokens', () => {
  const t = suiteResources();
  let hub: RunningHub;
  let admin: Client;

  before(async () => {
    hub = await startHub(t, await hubEnv(t));
    admin = hubClient(hub.url, ADMIN_TOKEN);
  });

  it('refuses an expiry the API does not accept, naming the field', async () => {
    // The request schema has `expiresInDays` (whole days, 1..3650), no `expiresAt`:
    // a timestamp (future or past) is refused as an unknown field, never stored.
    for (const expiresAt of [new Date(Date.now() + 2_000).toISOString(), new Date(Date.now() - 60_000).toISOString()]) {
      const refused = await admin.post('/api/v1/tokens', { name: 'stamped', role: 'viewer', expiresAt });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.problems, [{ path: 'expiresAt', reason: 'unknown field' }]);
    }
    for (const expiresInDays of [0, -1, 0.5, 3651, '1']) {
      const refused = await admin.post('/api/v1/tokens', { name: 'bad-expiry', role: 'viewer', expiresInDays });
      assert.equal(refused.status, 400, `expiresInDays ${JSON.stringify(expiresInDays)}: ${JSON.stringify(refused.body)}`);
      const problems = refused.body.problems as Array<{ path: string }>;
      assert.deepEqual(
        problems.map((p) => p.path),
        ['expiresInDays'],
      );
    }
    const listed = (await admin.get('/api/v1/tokens')).body as Array<{ name: string }>;
    assert.deepEqual(
      listed.map((token) => token.name),
      ['bootstrap-admin'],
      'no refused token was stored',
    );
  });

  it('accepts an expiring token until it expires, then answers 401', async () => {
    const createdAt = Date.now();
    const created = await admin.post('/api/v1/tokens', { name: 'short-lived', role: 'viewer', expiresInDays: 1 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const expiresAt = Date.parse(String(created.body.expiresAt));
    assert.ok(Math.abs(expiresAt - (createdAt + DAY_MS)) < 60_000, `expires ${created.body.expiresAt}, a day after ${createdAt}`);
    const listed = ((await admin.get('/api/v1/tokens')).body as Array<{ id: string; expiresAt: string | null }>).find(
      (token) => token.id === created.body.id,
    );
    assert.equal(listed?.expiresAt, created.body.expiresAt);

    const viewer = hubClient(hub.url, created.body.token as string);
    assert.equal((await viewer.get('/api/v1/clusters')).status, 200, 'works now');
    assert.equal(
      await atTime(expiresAt - 1_000, async () => (await viewer.get('/api/v1/clusters')).status),
      200,
      'works a second before it expires',
    );
    const expired = await atTime(expiresAt + 1_000, async () => ({
      viewer: await viewer.get('/api/v1/clusters'),
      admin: (await admin.get('/api/v1/clusters')).status,
    }));
    assert.equal(expired.viewer.status, 401, 'refused a second after it expired');
    assert.equal(expired.viewer.body.message, 'invalid, expired or revoked token');
    assert.equal(expired.admin, 200, 'a token without expiry still works at that time');
  });

  it('accepts a token that expires in a few seconds, then refuses it', async () => {
    const created = await admin.post('/api/v1/tokens', { name: 'expiring-soon', role: 'viewer', expiresInDays: 1 });
    assert.equal(created.status, 201);
    const viewer = hubClient(hub.url, created.body.token as string);
    // The clock runs on from two seconds before the expiry, in real time.
    const expiresAt = Date.parse(String(created.body.expiresAt));
    const start = Date.now();
    const clock = () => expiresAt - 2_000 + (Date.now() - start);
    const at = async (): Promise<number> => atTime(clock(), async () => (await viewer.get('/api/v1/clusters')).status);
    assert.equal(await at(), 200, 'works just before expiry');
    const refusedAfter = await eventually(async () => ((await at()) === 401 ? Date.now() - start : undefined), 10_000, 'expiry');
    assert.ok(refusedAfter >= 1_900, `refused ${refusedAfter} ms into a 2000 ms life`);
  });

  it('revokes a token at once and lets only admins manage tokens', async () => {
    const viewerToken = await admin.post('/api/v1/tokens', { name: 'ci-viewer', role: 'viewer' });
    const editorToken = await admin.post('/api/v1/tokens', { name: 'ci-editor', role: 'editor' });
    assert.equal(viewerToken.status, 201);
    assert.equal(editorToken.status, 201);
    assert.equal(viewerToken.body.expiresAt, null, 'no expiry unless asked');
    const viewer = hubClient(hub.url, viewerToken.body.token as string);
    const editor = hubClient(hub.url, editorToken.body.token as string);

    for (const [client, role] of [
      [viewer, 'viewer'],
      [editor, 'editor'],
    ] as const) {
      for (const newRole of ['viewer', 'admin']) {
        const create = await client.post('/api/v1/tokens', { name: `${role}-makes-${newRole}`, role: newRole });
        assert.equal(create.status, 403, `${role} creating a ${newRole} token`);
        assert.equal(create.body.message, `requires role admin; token has ${role}`);
      }
      assert.equal((await client.get('/api/v1/tokens')).status, 403, `${role} listing tokens`);
      assert.equal((await client.delete(`/api/v1/tokens/${viewerToken.body.id}`)).status, 403, `${role} revoking a token`);
    }
    // The editor is refused tokens only: it may register clusters.
    const registered = await editor.post('/api/v1/clusters', { name: 'made-by-editor', server: 'https://editor.example.com' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const names = ((await admin.get('/api/v1/tokens')).body as Array<{ name: string }>).map((token) => token.name);
    assert.ok(!names.some((name) => name.includes('-makes-')), `no token was created by a non-admin: ${names.join(', ')}`);

    assert.equal((await viewer.get('/api/v1/clusters')).status, 200);
    assert.equal((await admin.delete(`/api/v1/tokens/${viewerToken.body.id}`)).status, 204);
    const refused = await viewer.get('/api/v1/clusters');
    assert.equal(refused.status, 401, 'the very next call is refused');
    assert.equal(refused.body.message, 'invalid, expired or revoked token');
    assert.equal((await editor.get('/api/v1/clusters')).status, 200, 'other tokens are untouched');
    assert.equal((await admin.delete(`/api/v1/tokens/${viewerToken.body.id}`)).status, 404, 'revoked twice');
    // An id that is not a token id revokes nothing (it once revoked every token, this admin's too).
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      assert.equal((await admin.delete(`/api/v1/tokens/${id}`)).status, 404, `DELETE /api/v1/tokens/${id}`);
    }
    assert.equal((await admin.get('/api/v1/tokens')).status, 200, 'the admin token survived');
    assert.equal((await editor.get('/api/v1/clusters')).status, 200, 'the editor token survived');

    const listed = ((await admin.get('/api/v1/tokens')).body as Array<{ id: string; revokedAt: string | null }>).find(
      (token) => token.id === viewerToken.body.id,
    );
    assert.ok(listed?.revokedAt, 'the revoked token is listed with its revocation time');
    const events = (await admin.get(`/api/v1/events?subject=token/${viewerToken.body.id}`)).body as Array<{
      type: string;
      actor: string;
    }>;
    assert.deepEqual(
      events.map((e) => [e.type, e.actor]),
      [
        ['TokenRevoked', 'token:bootstrap-admin'],
        ['TokenCreated', 'token:bootstrap-admin'],
      ],
    );

    // An admin token can be revoked too, by another admin, and stops at once.
    const second = await admin.post('/api/v1/tokens', { name: 'second-admin', role: 'admin' });
    const secondAdmin = hubClient(hub.url, second.body.token as string);
    assert.equal((await secondAdmin.get('/api/v1/tokens')).status, 200);
    assert.equal((await admin.delete(`/api/v1/tokens/${second.body.id}`)).status, 204);
    assert.equal((await secondAdmin.post('/api/v1/tokens', { name: 'late', role: 'viewer' })).status, 401);
  });
});

const CHART = {
  'charts/kube-info/Chart.yaml': 'apiVersion: v2\nname: kube-info\nversion: 0.1.0\n',
  'charts/kube-info/templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-info
data:
  kube: "{{ .Capabilities.KubeVersion.Version }}"
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
  monitoring: "true"
{{- end }}
`,
};

const kubeInfoAppSet = (repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: kube-info, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {matchLabels: {tier: edge}}}
  template:
    metadata: {name: 'kube-info-{{nameNormalized}}'}
    spec:
      project: default
      source: {repoURL: '${repoURL}', targetRevision: main, path: charts/kube-info}
      destination: {server: '{{server}}', namespace: kube-info}
`;

interface PlanBody {
  revision: number;
  hash: string;
  plan: {
    applications: Array<{
      name: string;
      error?: string;
      objects?: Array<{ kind: string; metadata: { name: string }; data?: Record<string, string> }>;
    }>;
  };
}

/** The rendered ConfigMap's data in a plan, when the plan has it. */
const kubeInfo = (plan: PlanBody | undefined): Record<string, string> | undefined =>
  plan?.plan.applications[0]?.objects?.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-info')?.data;

describe('hub lifecycle: plans follow the Kubernetes version agents report', () => {
  const t = suiteResources();
  let hub: RunningHub;
  let git: GitHttpServer;
  let admin: Client;
  let agent: Client;
  let agentCredential: string;

  before(async () => {
    const { helm } = await testBinaries();
    const root = tempDir(t);
    TestRepository.init(join(root, 'charts.git')).commit(CHART);
    git = await startGitHttpServer(root);
    t.after(() => git.close());
    hub = await startHub(t, await hubEnv(t, { HELM_BIN: helm, FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS: '60' }));
    admin = hubClient(hub.url, ADMIN_TOKEN);
    for (const name of ['edge-1', 'edge-2']) {
      const created = await admin.post('/api/v1/clusters', { name, server: `https://${name}.example.com`, labels: { tier: 'edge' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const appSet = await admin.put('/api/v1/applicationsets', kubeInfoAppSet(git.url('charts.git')), 'application/yaml');
    assert.equal(appSet.status, 201, JSON.stringify(appSet.body));
    agentCredential = await registerAgent(hub.url, admin, 'edge-1');
    agent = hubClient(hub.url, agentCredential);
  });

  const latest = async (cluster: string): Promise<PlanBody | undefined> => {
    const response = await admin.get(`/api/v1/clusters/${cluster}/plans/latest`);
    return response.status === 200 ? (response.body as unknown as PlanBody) : undefined;
  };
  const revisions = async (cluster: string): Promise<number[]> =>
    ((await admin.get(`/api/v1/clusters/${cluster}/plans`)).body as Array<{ revision: number }>).map((r) => r.revision);
  const planWith = (cluster: string, kube: string, what: string): Promise<PlanBody> =>
    eventually(
      async () => {
        const plan = await latest(cluster);
        return kubeInfo(plan)?.kube === kube ? plan : undefined;
      },
      30_000,
      what,
    );

  it('renders the chart before any heartbeat with helm’s default version', async () => {
    const plan = await eventually(
      async () => {
        const current = await latest('edge-1');
        return kubeInfo(current) ? current : undefined;
      },
      30_000,
      'the first edge-1 plan',
    );
    assert.equal(plan.plan.applications[0]?.error, undefined);
    assert.equal(plan.plan.applications[0]?.name, 'kube-info-edge-1');
    const kube = kubeInfo(plan)?.kube;
    assert.match(kube ?? '', /^v1\.\d+\.\d+$/);
    assert.notEqual(kube, 'v1.30.1');
    assert.notEqual(kube, 'v1.31.0');
    assert.equal((await admin.get('/api/v1/clusters/edge-1')).body.kubeVersion, null);
  });

  it('re-plans a cluster for the version its agent reports', async () => {
    const beat = await agent.post('/agent/v1/heartbeat', { kubeVersion: 'v1.30.1', agentVersion: '0.1.0' });
    assert.equal(beat.status, 204, JSON.stringify(beat.body));
    const plan = await planWith('edge-1', 'v1.30.1', 'an edge-1 plan rendered for v1.30.1');
    assert.equal(plan.plan.applications[0]?.error, undefined);
    const cluster = (await admin.get('/api/v1/clusters/edge-1')).body;
    assert.equal(cluster.kubeVersion, 'v1.30.1');
    assert.equal(cluster.state, 'connected');
    // The agent sees the same revision through its own gateway.
    const own = await agent.get('/agent/v1/plan?after=0&waitSeconds=0');
    assert.equal(own.status, 200);
    assert.equal((own.body as unknown as PlanBody).revision, plan.revision);
    assert.equal(kubeInfo(own.body as unknown as PlanBody)?.kube, 'v1.30.1');
    // Another cluster of the same ApplicationSet is not re-planned for edge-1's version.
    assert.notEqual(kubeInfo(await latest('edge-2'))?.kube, 'v1.30.1');
  });

  it('wakes the agent with a new revision when the version changes', async () => {
    const before = await planWith('edge-1', 'v1.30.1', 'the v1.30.1 plan');
    const edge2 = await revisions('edge-2');
    const poll = agent.get(`/agent/v1/plan?after=${before.revision}&waitSeconds=25`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await agent.post('/agent/v1/heartbeat', { kubeVersion: 'v1.31.0' })).status, 204);
    const woken = await poll;
    assert.equal(woken.status, 200, 'the long-poll returned a revision');
    const upgraded = woken.body as unknown as PlanBody;
    assert.ok(upgraded.revision > before.revision, `revision ${upgraded.revision} after ${before.revision}`);
    assert.notEqual(upgraded.hash, before.hash);
    assert.equal(kubeInfo(upgraded)?.kube, 'v1.31.0');
    assert.equal((await latest('edge-1'))?.revision, upgraded.revision);
    assert.deepEqual(await revisions('edge-2'), edge2, 'edge-2 got no revision');
  });

  it('creates no revision for a heartbeat that repeats the version', async () => {
    const current = await planWith('edge-1', 'v1.31.0', 'the v1.31.0 plan');
    const stored = await revisions('edge-1');
    assert.equal(stored[0], current.revision);
    const poll = agent.get(`/agent/v1/plan?after=${current.revision}&waitSeconds=4`);
    for (const beat of [{ kubeVersion: 'v1.31.0' }, {}, { agentVersion: '0.2.0' }, { kubeVersion: 'v1.31.0', agentVersion: '0.2.0' }]) {
      assert.equal((await agent.post('/agent/v1/heartbeat', beat)).status, 204, JSON.stringify(beat));
    }
    assert.equal((await poll).status, 204, 'no new revision reached the agent');
    // Past several reconcile periods (1 s): nothing was re-planned behind the scenes either.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.deepEqual(await revisions('edge-1'), stored);
    assert.equal((await admin.get('/api/v1/clusters/edge-1')).body.kubeVersion, 'v1.31.0', 'an empty heartbeat keeps the version');
  });

  it('re-plans when the API versions change, and only then', async () => {
    const before = await planWith('edge-1', 'v1.31.0', 'the v1.31.0 plan');
    assert.equal(kubeInfo(before)?.monitoring, undefined);
    const apiVersions = ['monitoring.coreos.com/v1', 'apps/v1'];
    assert.equal((await agent.post('/agent/v1/heartbeat', { kubeVersion: 'v1.31.0', apiVersions })).status, 204);
    const withMonitoring = await eventually(
      async () => {
        const plan = await latest('edge-1');
        return kubeInfo(plan)?.monitoring === 'true' ? plan : undefined;
      },
      30_000,
      'a plan rendered with the monitoring API',
    );
    assert.ok(withMonitoring.revision > before.revision);
    assert.equal(kubeInfo(withMonitoring)?.kube, 'v1.31.0');
    const stored = await revisions('edge-1');
    assert.equal((await agent.post('/agent/v1/heartbeat', { kubeVersion: 'v1.31.0', apiVersions })).status, 204);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.deepEqual(await revisions('edge-1'), stored, 'the same API versions again: no revision');
  });

  it('numbers the revisions consecutively, newest first, each one different', async () => {
    const list = (await admin.get('/api/v1/clusters/edge-1/plans')).body as Array<{ revision: number; hash: string }>;
    assert.ok(list.length >= 4, `${list.length} revisions: default, v1.30.1, v1.31.0, API versions`);
    for (let i = 1; i < list.length; i++) {
      assert.equal(list[i - 1]?.revision, (list[i]?.revision ?? 0) + 1, 'consecutive');
      assert.notEqual(list[i - 1]?.hash, list[i]?.hash, 'a revision only when the plan changed');
    }
  });

  // The poll is served before Nest's router (agent-fast-path.ts): the same rules must hold there.
  it('lets go of a poll the agent hung up on, refuses bad queries, reports and heartbeats by field, and times each', async () => {
    const metrics = async (): Promise<string> =>
      (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const waiting = async (): Promise<number> => Number(/^flotilla_agents_waiting (\d+)$/m.exec(await metrics())?.[1] ?? Number.NaN);
    const hangUp = new AbortController();
    const newest = Math.max(...(await revisions('edge-1')));
    const poll = fetch(`${hub.url}/agent/v1/plan?after=${newest}&waitSeconds=120`, {
      headers: { authorization: `Bearer ${agentCredential}` },
      signal: hangUp.signal,
    }).catch(() => 'hung up');
    await eventually(async () => ((await waiting()) === 1 ? true : undefined), 10_000, 'the poll held');
    hangUp.abort();
    assert.equal(await poll, 'hung up');
    await eventually(async () => ((await waiting()) === 0 ? true : undefined), 5_000, 'the hub letting go of the poll');

    const bad = await agent.get('/agent/v1/plan?after=-1&waitSeconds=301');
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const problems = (bad.body as { problems?: Array<{ path: string }> }).problems ?? [];
    assert.deepEqual(problems.map((p) => p.path).sort(), ['after', 'waitSeconds']);
    const missing = await hubClient(hub.url).get('/agent/v1/plan');
    assert.deepEqual([missing.status, missing.body.message], [401, 'missing bearer token']);

    // Status reports take the same path: by field, invalid JSON, no credential, stored.
    const badReport = await agent.post('/agent/v1/status', { revision: -1, applications: 'none' });
    assert.equal(badReport.status, 400, JSON.stringify(badReport.body));
    const reportProblems = (badReport.body as { problems?: Array<{ path: string }> }).problems ?? [];
    assert.deepEqual(reportProblems.map((p) => p.path).sort(), ['applications', 'revision']);
    const notJson = await fetch(`${hub.url}/agent/v1/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentCredential}`, 'content-type': 'application/json' },
      body: '{"revision": 1,',
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { error?: string }).error, 'entity.parse.failed');
    assert.match(notJson.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'a request id on fast-path answers');
    // The caller's request id is echoed on the fast path, as on every other route.
    const traced = await fetch(`${hub.url}/agent/v1/plan?after=0&waitSeconds=0`, {
      headers: { authorization: `Bearer ${agentCredential}`, 'x-request-id': 'agent-trace.42' },
    });
    assert.equal(traced.status, 200);
    assert.equal(traced.headers.get('x-request-id'), 'agent-trace.42');
    // Other methods on the agent routes, and other paths, still go through express and Nest.
    const wrongMethod = await fetch(`${hub.url}/agent/v1/plan`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${agentCredential}` },
    });
    assert.equal(wrongMethod.status, 404);
    assert.ok(wrongMethod.headers.get('x-request-id'), 'express still sets the request id');
    const anonymous = await hubClient(hub.url).post('/agent/v1/status', { revision: 1, applications: [] });
    assert.deepEqual([anonymous.status, anonymous.body.message], [401, 'missing bearer token']);
    const stored = await agent.post('/agent/v1/status', {
      revision: newest,
      applications: [{ name: 'fast-path-app', sync: 'Synced', health: 'Healthy', message: '', objects: [] }],
    });
    assert.equal(stored.status, 204);
    const apps = (await hubClient(hub.url, ADMIN_TOKEN).get('/api/v1/clusters/edge-1/applications')).body as Array<{ application: string }>;
    assert.ok(
      apps.some((a) => a.application === 'fast-path-app'),
      JSON.stringify(apps),
    );

    // And heartbeats: an unknown field is named, nothing is stored for it.
    const badBeat = await agent.post('/agent/v1/heartbeat', { kubeVersion: 'v1.99.0', uptime: 5 });
    assert.equal(badBeat.status, 400, JSON.stringify(badBeat.body));
    assert.match(JSON.stringify(badBeat.body), /uptime/);
    assert.notEqual((await hubClient(hub.url, ADMIN_TOKEN).get('/api/v1/clusters/edge-1')).body.kubeVersion, 'v1.99.0');
    assert.equal((await hubClient(hub.url).post('/agent/v1/heartbeat', {})).status, 401);
    assert.equal((await agent.post('/agent/v1/heartbeat', {})).status, 204);

    const codesOf = async (method: string, route: string): Promise<Map<string, number>> => {
      const pattern = new RegExp(
        `^flotilla_http_request_duration_seconds_count\\{method="${method}",route="${route.replaceAll('/', '\\/')}",code="(\\d+)"\\} (\\d+)$`,
        'gm',
      );
      return new Map([...(await metrics()).matchAll(pattern)].map((m) => [m[1] ?? '', Number(m[2])]));
    };
    const polls = await codesOf('GET', '/agent/v1/plan');
    for (const code of ['200', '204', '400', '401'])
      assert.ok((polls.get(code) ?? 0) > 0, `polls answered ${code} are timed: ${[...polls]}`);
    const reports = await codesOf('POST', '/agent/v1/status');
    for (const code of ['204', '400', '401'])
      assert.ok((reports.get(code) ?? 0) > 0, `reports answered ${code} are timed: ${[...reports]}`);
    const beats = await codesOf('POST', '/agent/v1/heartbeat');
    for (const code of ['204', '400', '401']) assert.ok((beats.get(code) ?? 0) > 0, `heartbeats answered ${code} are timed: ${[...beats]}`);
  });
});

describe('hub lifecycle: agent credential rotation', () => {
  const t = suiteResources();
  let env: Record<string, string>;
  let hub: RunningHub;
  let admin: Client;
  /** A cluster's credential replaced behind the hub's back: no retirement is announced. */
  const changeCredentialInPostgresOnly = async (cluster: string): Promise<void> => {
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await db.query(`UPDATE "Cluster" SET "agentCredentialHash" = $1 WHERE name = $2`, [`changed-${Date.now()}`, cluster]);
    } finally {
      await db.end();
    }
  };

  before(async () => {
    env = await hubEnv(t, { FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS: '60' });
    hub = await startHub(t, env);
    admin = hubClient(hub.url, ADMIN_TOKEN);
    for (const name of ['rotor', 'other']) {
      const created = await admin.post('/api/v1/clusters', { name, server: `https://${name}.example.com` });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    // Plans exist (empty: there is no ApplicationSet) before agents poll for them.
    for (const name of ['rotor', 'other']) {
      await eventually(
        async () => ((await admin.get(`/api/v1/clusters/${name}/plans/latest`)).status === 200 ? true : undefined),
        30_000,
        `the first ${name} plan`,
      );
    }
  });

  it('issues a new credential that replaces the old one at once', async () => {
    const first = await registerAgent(hub.url, admin, 'rotor');
    const old = hubClient(hub.url, first);
    const plan = await old.get('/agent/v1/plan?after=0&waitSeconds=0');
    assert.equal(plan.status, 200);
    assert.equal((await old.post('/agent/v1/heartbeat', { kubeVersion: 'v1.30.1' })).status, 204);

    const rotated = await old.post('/agent/v1/credential');
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const second = rotated.body.credential as string;
    assert.match(second, /^flta_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(second, first);

    // The old credential was verified (and remembered) just before: it is still refused at once.
    assert.equal((await old.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 401, 'old credential: plan');
    assert.equal((await old.post('/agent/v1/heartbeat', {})).status, 401, 'old credential: heartbeat');
    assert.equal((await old.post('/agent/v1/status', { revision: 1, applications: [] })).status, 401, 'old credential: status');
    assert.equal((await old.post('/agent/v1/credential')).status, 401, 'old credential: another rotation');
    assert.equal((await old.get('/api/v1/clusters')).status, 401, 'old credential: admin API (unknown, not forbidden)');

    const renewed = hubClient(hub.url, second);
    const again = await renewed.get('/agent/v1/plan?after=0&waitSeconds=0');
    assert.equal(again.status, 200);
    assert.equal((again.body as unknown as PlanBody).revision, (plan.body as unknown as PlanBody).revision, 'the same cluster');
    assert.equal((await renewed.post('/agent/v1/heartbeat', { kubeVersion: 'v1.30.1' })).status, 204);
    assert.equal((await renewed.get('/api/v1/clusters')).status, 403, 'the new credential does not open the admin API either');

    // Rotating again retires the second credential the same way.
    const third = await renewed.post('/agent/v1/credential');
    assert.equal(third.status, 201);
    assert.equal((await renewed.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 401);
    assert.equal((await hubClient(hub.url, third.body.credential as string).get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);

    const cluster = (await admin.get('/api/v1/clusters/rotor')).body;
    assert.equal(cluster.agentRegistered, true);
    assert.equal(cluster.state, 'connected');
  });

  it('rotates one cluster without touching another', async () => {
    const rotor = hubClient(hub.url, await registerAgent(hub.url, admin, 'rotor'));
    const other = hubClient(hub.url, await registerAgent(hub.url, admin, 'other'));
    const rotated = await rotor.post('/agent/v1/credential');
    assert.equal(rotated.status, 201);
    assert.equal((await other.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    assert.equal((await other.post('/agent/v1/heartbeat', {})).status, 204);
  });

  it('retires the old credential on another replica at once (through Redis, not a cache expiry)', async () => {
    const replica = await startHub(t, { ...env, FLOTILLA_ROLES: 'api', FLOTILLA_SKIP_MIGRATIONS: 'true' });
    const credential = await registerAgent(hub.url, admin, 'rotor');
    // The other replica verifies (and remembers, for minutes) the credential...
    assert.equal((await hubClient(replica.url, credential).get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    // ...and the rotation happens on this one.
    const rotated = await hubClient(hub.url, credential).post('/agent/v1/credential');
    assert.equal(rotated.status, 201);
    const rotatedAt = Date.now();
    assert.equal((await hubClient(replica.url, rotated.body.credential as string).get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    const refusedAfter = await eventually(
      async () =>
        (await hubClient(replica.url, credential).get('/agent/v1/plan?after=0&waitSeconds=0')).status === 401
          ? Date.now() - rotatedAt
          : undefined,
      10_000,
      'the old credential to stop working on the other replica',
    );
    assert.ok(refusedAfter <= 1_000, `refused ${refusedAfter} ms after the rotation`);
  });

  it('trusts no remembered credential after its Redis subscriber reconnects (retirements sent meanwhile are lost)', async () => {
    const replica = await startHub(t, { ...env, FLOTILLA_ROLES: 'api', FLOTILLA_SKIP_MIGRATIONS: 'true' });
    const credential = await registerAgent(hub.url, admin, 'rotor');
    const onReplica = hubClient(replica.url, credential);
    assert.equal((await onReplica.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    // A retirement whose message never came: the credential changed in Postgres only.
    await changeCredentialInPostgresOnly('rotor');
    assert.equal((await onReplica.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200, 'remembered: no message came');
    // The hubs' subscriber connections drop (a Redis restart, a network blip) and come back.
    const redis = new Redis(env.REDIS_URL as string);
    t.after(() => redis.quit());
    const clients = (await redis.call('CLIENT', 'LIST')) as string;
    const subscribers = clients
      .split('\n')
      .filter((line) => line.includes(` name=flotilla:${env.FLOTILLA_REDIS_PREFIX}:subscriber `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1] as string);
    assert.ok(subscribers.length >= 2, `the hubs' subscriber connections are named: ${subscribers.length}`);
    for (const id of subscribers) await redis.call('CLIENT', 'KILL', 'ID', id);
    await eventually(
      async () => ((await onReplica.get('/agent/v1/plan?after=0&waitSeconds=0')).status === 401 ? true : undefined),
      10_000,
      'the replica to check the credential again after reconnecting',
    );
    // Every hub subscribed again to both of its channels.
    const channels = ['plan-revisions', 'agent-credentials-retired'].map((name) => `${env.FLOTILLA_REDIS_PREFIX}:${name}`);
    await eventually(
      async () => {
        const counts = (await redis.call('PUBSUB', 'NUMSUB', ...channels)) as Array<string | number>;
        return counts[1] === subscribers.length && counts[3] === subscribers.length ? true : undefined;
      },
      10_000,
      `${subscribers.length} subscribers on each channel again`,
    );
  });

  it('checks every request in Postgres with the credential cache off', async () => {
    const replica = await startHub(t, {
      ...env,
      FLOTILLA_ROLES: 'api',
      FLOTILLA_SKIP_MIGRATIONS: 'true',
      FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS: '0',
    });
    const credential = await registerAgent(hub.url, admin, 'rotor');
    const onReplica = hubClient(replica.url, credential);
    assert.equal((await onReplica.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    await changeCredentialInPostgresOnly('rotor');
    assert.equal((await onReplica.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 401, 'not remembered');
  });

  it('retires the previous credential when the agent registers again', async () => {
    const first = hubClient(hub.url, await registerAgent(hub.url, admin, 'rotor'));
    assert.equal((await first.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    const second = hubClient(hub.url, await registerAgent(hub.url, admin, 'rotor'));
    const registeredAt = Date.now();
    assert.equal((await second.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    const refusedAfter = await eventually(
      async () => ((await first.get('/agent/v1/plan?after=0&waitSeconds=0')).status === 401 ? Date.now() - registeredAt : undefined),
      10_000,
      'the superseded credential to stop working',
    );
    assert.ok(refusedAfter <= 1_000, `refused ${refusedAfter} ms after the new registration`);
  });

  it('retires the previous credential at once when the agent registers again, as a rotation does', async () => {
    const first = hubClient(hub.url, await registerAgent(hub.url, admin, 'rotor'));
    assert.equal((await first.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    const second = hubClient(hub.url, await registerAgent(hub.url, admin, 'rotor'));
    assert.equal((await second.get('/agent/v1/plan?after=0&waitSeconds=0')).status, 200);
    assert.equal((await first.post('/agent/v1/heartbeat', {})).status, 401, 'the superseded credential, on the same replica');
  });
});

describe('hub lifecycle: failed work is tried again', () => {
  const t = suiteResources();
  let hub: RunningHub;
  let git: GitHttpServer;
  let admin: Client;
  let root: string;

  before(async () => {
    root = tempDir(t);
    git = await startGitHttpServer(root);
    t.after(() => git.close());
    // No git polling: only the retry can notice that a repository became reachable.
    hub = await startHub(
      t,
      await hubEnv(t, {
        FLOTILLA_GIT_POLL_SECONDS: '0',
        FLOTILLA_RECONCILE_SECONDS: '0.5',
        FLOTILLA_RETRY_BASE_SECONDS: '1',
        FLOTILLA_RETRY_MAX_SECONDS: '2',
      }),
    );
    admin = hubClient(hub.url, ADMIN_TOKEN);
    const created = await admin.post('/api/v1/clusters', { name: 'retry-1', server: 'https://retry-1.example.com' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  const latestPlan = async (cluster: string): Promise<PlanBody | undefined> => {
    const response = await admin.get(`/api/v1/clusters/${cluster}/plans/latest`);
    return response.status === 200 ? (response.body as unknown as PlanBody) : undefined;
  };
  const retries = async (work: string): Promise<number> =>
    (await scrapeHubMetrics(hub.url, ADMIN_TOKEN)).value('flotilla_retries_total', { work });
  const putAppSet = async (yaml: string): Promise<void> => {
    const put = await admin.put('/api/v1/applicationsets', yaml, 'application/yaml');
    assert.equal(put.status, 201, JSON.stringify(put.body));
  };

  it('plans an Application again once the repository it failed to fetch is reachable', async () => {
    await putAppSet(
      `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: late-source, namespace: argocd}
spec:
  generators:
  - list: {elements: [{cluster: retry-1}]}
  template:
    metadata: {name: 'late-{{cluster}}'}
    spec:
      project: default
      source: {repoURL: '${git.url('late.git')}', targetRevision: main, path: manifests}
      destination: {name: '{{cluster}}', namespace: late}
`,
    );
    const failed = await eventually(
      async () => {
        const plan = await latestPlan('retry-1');
        return plan?.plan.applications.find((a) => a.name === 'late-retry-1')?.error ? plan : undefined;
      },
      30_000,
      'a plan whose Application failed to fetch its source',
    );
    assert.match(failed.plan.applications[0]?.error ?? '', /cannot fetch/);
    const cluster = (await admin.get('/api/v1/clusters/retry-1')).body;
    assert.ok(Date.parse(String(cluster.planRetryAt)) > 0, `planRetryAt: ${JSON.stringify(cluster.planRetryAt)}`);

    // The git server "comes back": the repository now exists. Nothing else changes.
    TestRepository.init(join(root, 'late.git')).commit({
      'manifests/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {ready: "yes"}\n',
    });
    const recovered = await eventually(
      async () => {
        const plan = await latestPlan('retry-1');
        const app = plan?.plan.applications.find((a) => a.name === 'late-retry-1');
        return plan && app && !app.error ? { plan, app } : undefined;
      },
      30_000,
      'the Application planned again without its error',
    );
    assert.ok(recovered.plan.revision > failed.revision);
    assert.deepEqual(
      recovered.app.objects?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/late'],
    );
    assert.ok((await retries('plan')) >= 1);
    // A plan without failures clears the retry: no more revisions, no more attempts.
    await eventually(
      async () => ((await admin.get('/api/v1/clusters/retry-1')).body.planRetryAt === null ? true : undefined),
      10_000,
      'planRetryAt cleared',
    );
    const attempts = await retries('plan');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(await retries('plan'), attempts, 'a good plan is not retried');
    assert.equal((await latestPlan('retry-1'))?.revision, recovered.plan.revision);
  });

  it('renders an ApplicationSet again once its generator’s repository is reachable', async () => {
    await putAppSet(
      `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: late-generator, namespace: argocd}
spec:
  generators:
  - git:
      repoURL: '${git.url('apps.git')}'
      revision: main
      directories: [{path: 'apps/*'}]
  template:
    metadata: {name: 'gen-{{path.basename}}'}
    spec:
      project: default
      source: {repoURL: '${git.url('apps.git')}', targetRevision: main, path: '{{path}}'}
      destination: {name: retry-1, namespace: '{{path.basename}}'}
`,
    );
    type Shown = { conditions: Array<{ type: string; status: string; reason: string; message: string }> };
    const rendered = (shown: Shown) => shown.conditions.find((c) => c.type === 'Rendered');
    const failed = await eventually(
      async () => {
        const shown = (await admin.get('/api/v1/applicationsets/argocd/late-generator')).body as unknown as Shown;
        return rendered(shown)?.status === 'False' ? rendered(shown) : undefined;
      },
      30_000,
      'a failed render',
    );
    assert.match(failed?.message ?? '', /apps\.git/);

    TestRepository.init(join(root, 'apps.git')).commit({
      'apps/web/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n',
    });
    await eventually(
      async () => {
        const shown = (await admin.get('/api/v1/applicationsets/argocd/late-generator')).body as unknown as Shown;
        return rendered(shown)?.status === 'True' ? true : undefined;
      },
      30_000,
      'the render to succeed without any change to the set',
    );
    const applications = (await admin.get('/api/v1/applicationsets/argocd/late-generator/applications')).body as unknown as Array<{
      metadata: { name: string };
    }>;
    assert.deepEqual(
      applications.map((a) => a.metadata?.name ?? (a as unknown as { name: string }).name),
      ['gen-web'],
    );
    const plan = await eventually(
      async () => {
        const current = await latestPlan('retry-1');
        const app = current?.plan.applications.find((a) => a.name === 'gen-web');
        return app && !app.error ? app : undefined;
      },
      30_000,
      'gen-web planned',
    );
    assert.deepEqual(
      plan.objects?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/web'],
    );
    assert.ok((await retries('render')) >= 1);
  });
});
