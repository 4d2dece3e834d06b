import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import {
  createRedisPrefix,
  createTestDatabase,
  eventually,
  hubClient,
  type RunningHub,
  startFreshHub,
  startGitHttpServer,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/** The hub's /metrics, scraped and parsed as Prometheus does. */

const ADMIN_TOKEN = 'e2e-metrics-admin-token-0123456789abcdefghijkl';

describe('hub metrics', { timeout: 120_000 }, () => {
  let hub: RunningHub;
  let viewerToken: string;
  const suite = suiteScope();

  before(async () => {
    const work = tempDir(suite, 'flotilla-metrics-');
    const repo = TestRepository.init(join(work, 'git', 'apps.git'));
    repo.commit({ 'web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: "1"}\n' });
    const git = await startGitHttpServer(join(work, 'git'));
    suite.after(() => git.close());
    ({ hub } = await startFreshHub(suite, { adminToken: ADMIN_TOKEN, workDir: work }));
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    viewerToken = (await admin.post('/api/v1/tokens', { name: 'prometheus', role: 'viewer' })).body.token as string;
    await admin.post('/api/v1/clusters', { name: 'one', server: 'https://one.example.com', labels: { env: 'prod' } });
    const appSet = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators: [{clusters: {}}]
  template:
    metadata: {name: 'web-{{name}}'}
    spec:
      project: default
      source: {repoURL: '${git.url('apps.git')}', targetRevision: main, path: web}
      destination: {server: '{{server}}', namespace: web}
`;
    assert.equal((await admin.put('/api/v1/applicationsets', appSet, 'application/yaml')).status, 201);
    await eventually(
      async () => {
        // The cluster's first (empty) plan comes from its registration; wait for the rendered one.
        const latest = (await admin.get('/api/v1/clusters/one/plans/latest')).body as unknown as { plan?: { applications: unknown[] } };
        return latest.plan?.applications.length === 1 ? true : undefined;
      },
      30_000,
      'the plan with the Application',
    );
  });

  after(suite.close);

  const scrape = async (
    token?: string,
  ): Promise<{ status: number; type: string | null; text: string; families: Map<string, PrometheusFamily> }> => {
    const response = await fetch(`${hub.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    const families = response.status === 200 ? new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f])) : new Map();
    return { status: response.status, type: response.headers.get('content-type'), text, families };
  };

  it('needs a token', async () => {
    assert.equal((await scrape()).status, 401);
  });

  it('serves the Prometheus text format with the pipeline, fleet and HTTP series', async () => {
    const { status, type, text, families } = await scrape(viewerToken);
    assert.equal(status, 200);
    assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
    const value = (name: string, labels: Record<string, string> = {}): number => {
      const family = families.get(name);
      assert.ok(family, `${name} is exported`);
      const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      assert.ok(sample, `${name}${JSON.stringify(labels)} has a sample`);
      return Number(sample.value ?? sample.count);
    };
    assert.ok(value('flotilla_renders_total', { result: 'rendered' }) >= 1);
    assert.equal(families.get('flotilla_render_duration_seconds')?.type, 'HISTOGRAM');
    assert.ok(value('flotilla_render_duration_seconds') >= 1, 'render durations observed');
    assert.ok(value('flotilla_plan_revisions_total') >= 1);
    assert.ok(value('flotilla_plan_job_duration_seconds') >= 1);
    assert.equal(value('flotilla_clusters', { state: 'pending' }), 1);
    assert.equal(value('flotilla_queue_jobs', { queue: 'render', state: 'waiting' }), 0);
    // The parser drops the labels of labelled histograms, so their _count series are read from the text.
    const count = (name: string, labels: string): number =>
      Number(new RegExp(`^${name}_count\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    assert.equal(families.get('flotilla_job_wait_seconds')?.type, 'HISTOGRAM');
    assert.ok(count('flotilla_job_wait_seconds', 'queue="render"') >= 1);
    assert.ok(count('flotilla_http_request_duration_seconds', 'method="POST",route="/api/v1/clusters",code="201"') >= 1);
    assert.ok(count('flotilla_http_request_duration_seconds', 'method="GET",route="/api/v1/clusters/:name/plans/latest",code="200"') >= 1);
    assert.ok(value('flotilla_hub_process_resident_memory_bytes') > 0);
    assert.equal(value('flotilla_agents_waiting'), 0);
  });

  it('tags every response with a request id: the caller’s when sane, a new one otherwise', async () => {
    const given = await fetch(`${hub.url}/healthz`, { headers: { 'x-request-id': 'trace-42.a_b' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-42.a_b');
    const fresh = await fetch(`${hub.url}/healthz`);
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const hostile = await fetch(`${hub.url}/healthz`, { headers: { 'x-request-id': 'x\u0007; rm -rf /'.replace('\u0007', ' ') } });
    assert.match(hostile.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('logs one JSON object per line, without secrets', async (t) => {
    const work = tempDir(t, 'flotilla-hub-logs-');
    const redis = createRedisPrefix(t);
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../apps/hub/src/main.js', import.meta.url))], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: await createTestDatabase(t),
        REDIS_URL: redis.url,
        FLOTILLA_REDIS_PREFIX: redis.prefix,
        FLOTILLA_ADMIN_TOKEN: ADMIN_TOKEN,
        FLOTILLA_CACHE_DIR: join(work, 'cache'),
        FLOTILLA_GIT_POLL_SECONDS: '0',
        PORT: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    await eventually(async () => (output.includes('listening') ? true : undefined), 60_000, 'the hub to start');
    const nestLines = output.split('\n').filter((line) => line.startsWith('{'));
    assert.ok(nestLines.length >= 3, output);
    for (const line of nestLines) {
      const entry = JSON.parse(line) as { level?: string; message?: unknown; timestamp?: number };
      assert.ok(entry.level && entry.message !== undefined && entry.timestamp, line);
    }
    assert.ok(!output.includes(ADMIN_TOKEN), 'the admin token is never logged');
  });

  it('never puts a token in a label', async () => {
    const response = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${viewerToken}` } });
    const text = await response.text();
    assert.ok(!text.includes(viewerToken) && !text.includes(ADMIN_TOKEN));
  });
});
