import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  type FakeScm,
  hubClient,
  type RunningHub,
  runFlotillaAsync,
  startFakeScm,
  startFreshHub,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * The preview lifecycle in the hub alone (no agent): limits and TTL visible in status,
 * polling, provider failures and the secrets API. The agent side is in previews.test.ts.
 */

const ADMIN_TOKEN = 'e2e-previews-hub-admin-token-0123456789abcdef';
const WEBHOOK_SECRET = 'previews-hub-webhook-secret';
const SCM_TOKEN = 'previews-hub-scm-token';

const appSet = (name: string, scm: string, repo: string, options: { annotations?: string; requeue?: number; secret?: string } = {}) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: ${name}
  namespace: argocd
  annotations: {${options.annotations ?? ''}}
spec:
  generators:
  - pullRequest:
      github: {owner: acme, repo: ${repo}, api: ${scm}, tokenRef: {secretName: ${options.secret ?? 'scm'}, key: token}, labels: [preview]}
      ${options.requeue === undefined ? '' : `requeueAfterSeconds: ${options.requeue}`}
  template:
    metadata: {name: '${name}-{{number}}'}
    spec:
      project: default
      source: {repoURL: https://git.example/app.git, targetRevision: '{{head_sha}}', path: app}
      destination: {server: https://cluster.example, namespace: '${name}-{{number}}'}
`;

interface Preview {
  number: number;
  state: string;
  reason: string;
}

interface Condition {
  type: string;
  status: string;
  message: string;
}

describe('pull request previews in the hub', { timeout: 300_000 }, () => {
  const suite = suiteScope();
  let scm: FakeScm;
  let hub: RunningHub;
  let admin: ReturnType<typeof hubClient>;

  const pull = (number: number, labels = ['preview']) => ({
    number,
    title: `PR ${number}`,
    branch: `b-${number}`,
    sha: String(number).repeat(40).slice(0, 40),
    labels,
  });
  const previews = async (name: string): Promise<Preview[]> =>
    (await admin.get(`/api/v1/applicationsets/argocd/${name}/previews`)).body as unknown as Preview[];
  const conditions = async (name: string): Promise<Condition[]> =>
    (await admin.get(`/api/v1/applicationsets/argocd/${name}`)).body.conditions as unknown as Condition[];
  const condition = async (name: string, type: string) => (await conditions(name)).find((c) => c.type === type);
  const deliver = async (repo: string, options: { form?: boolean; event?: string } = {}) => {
    const json = JSON.stringify({ action: 'synchronize', repository: { full_name: `acme/${repo}` } });
    const body = options.form ? `payload=${encodeURIComponent(json)}` : json;
    const response = await fetch(`${hub.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
        'x-github-event': options.event ?? 'pull_request',
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    assert.equal(response.status, 202);
    return (await response.json()) as { applicationSets: number };
  };
  const put = async (document: string) =>
    assert.equal((await admin.put('/api/v1/applicationsets', document, 'application/yaml')).status, 201);

  before(async () => {
    const work = tempDir(suite, 'flotilla-previews-hub-');
    TestRepository.init(join(work, 'unused')).commit({ 'README.md': 'x' });
    scm = await startFakeScm({ token: SCM_TOKEN });
    ({ hub } = await startFreshHub(suite, {
      adminToken: ADMIN_TOKEN,
      workDir: work,
      env: { FLOTILLA_WEBHOOK_SECRET: WEBHOOK_SECRET, FLOTILLA_SECRET_KEY: 'cd'.repeat(32), FLOTILLA_PULL_REQUEST_POLL_SECONDS: '0' },
    }));
    admin = hubClient(hub.url, ADMIN_TOKEN);
    assert.equal((await admin.put('/api/v1/secrets/scm', { data: { token: SCM_TOKEN } })).status, 200);
  });

  after(async () => {
    await suite.close();
    await scm?.close();
  });

  it('keeps at most max-live previews, evicting the one idle longest, and shows why', async () => {
    scm.pulls.set('acme/limited', [pull(1), pull(2)]);
    await put(appSet('limited', scm.origin, 'limited', { annotations: '"previews.flotilla.dev/max-live": "2"' }));
    await eventually(async () => ((await previews('limited')).length === 2 ? true : undefined), 30_000, 'two previews');
    scm.pulls.set('acme/limited', [pull(1), pull(2), pull(3)]);
    assert.equal((await deliver('limited')).applicationSets, 1);
    const states = await eventually(
      async () => {
        const list = await previews('limited');
        return list.length === 3 ? Object.fromEntries(list.map((p) => [p.number, p])) : undefined;
      },
      30_000,
      'three previews',
    );
    assert.equal(states[3]?.state, 'live');
    assert.deepEqual(
      [states[1]?.state, states[2]?.state].sort(),
      ['evicted', 'live'],
      'one of the two older, equally idle previews is evicted',
    );
    const evicted = Object.values(states).find((p) => p.state === 'evicted');
    assert.match(evicted?.reason ?? '', /more than 2 live previews/);
    const apps = (await admin.get('/api/v1/applicationsets/argocd/limited/applications')).body as unknown as Array<{ name: string }>;
    assert.equal(apps.length, 2);
    assert.ok(!apps.some((a) => a.name === `limited-${evicted?.number}`), 'the evicted preview has no Application');
    assert.match((await condition('limited', 'Previews'))?.message ?? '', /^2 live, 1 evicted$/);
  });

  it('expires previews without a new commit for the TTL, and a push brings one back', async () => {
    scm.pulls.set('acme/ttl', [pull(1)]);
    await put(appSet('ttl', scm.origin, 'ttl', { annotations: '"previews.flotilla.dev/ttl": "2s"' }));
    await eventually(async () => ((await previews('ttl'))[0]?.state === 'live' ? true : undefined), 30_000, 'a live preview');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await deliver('ttl');
    const expired = await eventually(async () => (await previews('ttl')).find((p) => p.state === 'expired'), 30_000, 'expired');
    assert.match(expired.reason, /no new commit for 2s \(TTL\)/);
    assert.equal(((await admin.get('/api/v1/applicationsets/argocd/ttl/applications')).body as unknown[]).length, 0);
    scm.pulls.set('acme/ttl', [{ ...pull(1), sha: 'f'.repeat(40) }]);
    await deliver('ttl', { form: true });
    await eventually(async () => ((await previews('ttl'))[0]?.state === 'live' ? true : undefined), 30_000, 'live again after a push');
  });

  it('polls pull requests every requeueAfterSeconds without any webhook', async () => {
    scm.pulls.set('acme/polled', []);
    await put(appSet('polled', scm.origin, 'polled', { requeue: 1 }));
    await eventually(async () => ((await condition('polled', 'Rendered'))?.status === 'True' ? true : undefined), 30_000, 'rendered');
    scm.pulls.set('acme/polled', [pull(5)]);
    await eventually(async () => ((await previews('polled')).length === 1 ? true : undefined), 30_000, 'the poll found PR 5');
  });

  it('reports rate limits, missing secrets and bad policy annotations as render conditions, keeping the last good previews', async () => {
    scm.failWith = 403;
    scm.failHeaders = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 600) };
    try {
      await deliver('limited');
      const failed = await eventually(
        async () => {
          const c = await condition('limited', 'Rendered');
          return c?.status === 'False' ? c : undefined;
        },
        30_000,
        'a failed render',
      );
      assert.match(failed.message, /github: cannot list pull requests of acme\/limited: rate limit exceeded; resets at .* \(in \d+s\)/);
      assert.equal(((await admin.get('/api/v1/applicationsets/argocd/limited/applications')).body as unknown[]).length, 2);
      // Until the reset, renders of sets using that credential fail without asking GitHub.
      const listings = scm.requests.length;
      await deliver('limited');
      await eventually(
        async () => ((await condition('limited', 'Rendered'))?.message.includes('not calling the API until then') ? true : undefined),
        30_000,
        'held back by the rate limit',
      );
      assert.equal(scm.requests.length, listings);
    } finally {
      scm.failWith = undefined;
      scm.failHeaders = {};
    }
    await put(appSet('nosecret', scm.origin, 'other', { secret: 'missing' }));
    const missing = await eventually(
      async () => {
        const c = await condition('nosecret', 'Rendered');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
      'missing secret',
    );
    assert.match(missing.message, /github: secret missing has no key token/);
    await put(appSet('badttl', scm.origin, 'limited', { annotations: '"previews.flotilla.dev/ttl": "soon"' }));
    const bad = await eventually(
      async () => {
        const c = await condition('badttl', 'Rendered');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
      'bad TTL',
    );
    assert.match(bad.message, /metadata\.annotations\["previews\.flotilla\.dev\/ttl"\]: "soon" is not a duration/);
  });

  it('ignores events that cannot change previews, and answers other providers with their own checks', async () => {
    assert.deepEqual(await deliver('limited', { event: 'ping' }), { event: 'ping', applicationSets: 0 });
    const gitea = await fetch(`${hub.url}/hooks/gitea`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitea-event': 'pull_request', 'x-gitea-signature': 'deadbeef' },
      body: '{}',
    });
    assert.equal(gitea.status, 401);
    const notJson = 'not json';
    const response = await fetch(`${hub.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(notJson).digest('hex')}`,
      },
      body: notJson,
    });
    assert.equal(response.status, 400);
  });

  it('flotilla previews and flotilla secrets: tables for people, values never printed', async () => {
    const env = { ...process.env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: ADMIN_TOKEN, FLOTILLA_CONFIG: '/nonexistent/flotilla.yaml' };
    const flotilla = (...args: string[]) => runFlotillaAsync(args, { env });
    const listed = await flotilla('previews', 'argocd/limited');
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^PR\s+STATE\s+HEAD\s+STATUS\s+APPS\s+URL\s+IDLE\s+REASON$/);
    assert.equal(lines.length, 4);
    assert.ok(lines.some((line) => /^#\d\s+evicted\s+.*more than 2 live previews/.test(line)));
    assert.equal(JSON.parse((await flotilla('previews', 'limited', '-o', 'json')).stdout).length, 3);
    assert.equal((await flotilla('previews', 'argocd/none')).code, 5, 'not found');

    const set = await flotilla('secrets', 'set', 'cli-secret', '--from-literal', 'token=cli-value-123', '--from-literal', 'user=bot');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'secret/cli-secret saved (keys: token, user)\n');
    const list = await flotilla('secrets', 'list');
    assert.match(list.stdout, /cli-secret\s+token,user/);
    assert.equal(list.stdout.includes('cli-value-123'), false);
    const bad = await flotilla('secrets', 'set', 'cli-secret', '--from-literal', 'novalue');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from-literal: expected KEY=VALUE/);
    assert.equal((await flotilla('secrets', 'set', 'cli-secret', '--from-file', 'token=/nonexistent/file')).code, 2);
    assert.equal((await flotilla('secrets', 'delete', 'cli-secret')).code, 0);
    assert.equal((await flotilla('secrets', 'delete', 'cli-secret')).code, 5);
  });

  it('secrets: admin only, values never returned, names and keys validated', async () => {
    const viewer = (await admin.post('/api/v1/tokens', { name: 'viewer', role: 'viewer' })).body.token as string;
    const editor = (await admin.post('/api/v1/tokens', { name: 'editor', role: 'editor' })).body.token as string;
    assert.equal((await hubClient(hub.url, viewer).get('/api/v1/secrets')).status, 403);
    assert.equal((await hubClient(hub.url, editor).put('/api/v1/secrets/x', { data: { token: 'v' } })).status, 403);
    assert.equal((await hubClient(hub.url).get('/api/v1/secrets')).status, 401);
    const list = await admin.get('/api/v1/secrets');
    assert.deepEqual(
      (list.body as unknown as Array<{ name: string; keys: string[] }>).map((s) => [s.name, s.keys]),
      [['scm', ['token']]],
    );
    assert.equal(JSON.stringify(list.body).includes(SCM_TOKEN), false);
    const badName = await admin.put('/api/v1/secrets/Not_Valid', { data: { token: 'v' } });
    assert.equal(badName.status, 400);
    assert.match(String(badName.body.message), /name: "Not_Valid" is not a valid secret name/);
    const empty = await admin.put('/api/v1/secrets/empty', { data: {} });
    assert.equal(empty.status, 400);
    assert.match(JSON.stringify(empty.body), /data: needs at least one key/);
    assert.equal((await admin.delete('/api/v1/secrets/nope')).status, 404);
  });
});
