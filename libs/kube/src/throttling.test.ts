import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { TRACKING_ID_ANNOTATION, trackingId } from '#contracts';
import type { PlannedApplication } from '#plans';
import type { KubeObject } from '#sources';
import { type KubeApiServer, startKubeApiServer } from '#testing';
import { KubeClient, KubeError } from './client.js';
import { InventoryStore } from './inventory.js';
import { Syncer } from './sync.js';

/**
 * Throttling (429 with Retry-After, as API Priority and Fairness answers) between the
 * agent and a real API server: a proxy that answers some requests itself with a 429 and
 * passes the others on.
 */

const AGENT_NAMESPACE = 'flotilla-system';

interface Seen {
  method: string;
  path: string;
  at: number;
  /** The Retry-After (seconds) the proxy answered with, when it throttled the request. */
  throttled?: string;
}

/** Decides per request: a Retry-After value (seconds, as a string) to answer 429, or undefined to pass it on. */
type Throttle = (request: IncomingMessage, seen: readonly Seen[]) => string | undefined;

async function startThrottlingProxy(
  upstream: KubeApiServer,
): Promise<{ server: Server; url: string; seen: Seen[]; throttle: { fn: Throttle } }> {
  const tls: https.RequestOptions = {};
  await upstream.kubeConfig.applyToHTTPSOptions(tls);
  const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
  const seen: Seen[] = [];
  const throttle: { fn: Throttle } = { fn: () => undefined };
  const server = createServer((request, response) => {
    const entry: Seen = { method: request.method ?? '', path: request.url ?? '', at: performance.now() };
    const retryAfter = throttle.fn(request, seen);
    seen.push(entry);
    if (retryAfter !== undefined) {
      entry.throttled = retryAfter;
      request.resume();
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'Too many requests, please try again later.',
        reason: 'TooManyRequests',
        code: 429,
      };
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter }).end(JSON.stringify(status));
      return;
    }
    const forward = https.request(
      `${upstream.server}${request.url}`,
      { method: request.method, headers: { ...request.headers, host: new URL(upstream.server).host, ...tls.headers }, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', (error) => response.writeHead(502).end(error.message));
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => agent.destroy());
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, throttle };
}

const configMap = (app: string, name: string, data: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'apps',
      labels: { 'flotilla.dev/managed': 'true' },
      annotations: { [TRACKING_ID_ANNOTATION]: trackingId(app, '', 'ConfigMap', 'apps', name) },
    },
    data,
  }) as KubeObject;

const application = (name: string, objects: KubeObject[]): PlannedApplication => ({
  name,
  applicationSet: 'test',
  project: 'default',
  namespace: 'apps',
  commit: 'c0ffee',
  sources: [],
  syncPolicy: {},
  objects,
});

describe('throttled by the API server (429 with Retry-After)', { timeout: 300_000 }, () => {
  let cluster: KubeApiServer;
  let proxy: Awaited<ReturnType<typeof startThrottlingProxy>>;
  let api: KubeClient;
  const cleanups: Array<() => unknown> = [];

  before(async () => {
    cluster = await startKubeApiServer({ after: (fn) => void (fn && cleanups.push(fn as () => unknown)) });
    cluster.kubectl('create', 'namespace', AGENT_NAMESPACE);
    cluster.kubectl('create', 'namespace', 'apps');
    proxy = await startThrottlingProxy(cluster);
    cleanups.push(() => new Promise((resolve) => proxy.server.close(resolve)));
    // The agent talks to the proxy: plain HTTP on loopback (client-node allows that only with skipTLSVerify).
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'proxy', server: proxy.url, skipTLSVerify: true }],
      users: [{ name: 'agent' }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'agent' }],
      currentContext: 'proxy',
    });
    api = new KubeClient(kubeConfig);
    cleanups.push(() => api.close());
  });
  after(async () => {
    proxy?.server.closeAllConnections();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('classifies a 429 as Throttled and retryable, with the Retry-After', async () => {
    proxy.throttle.fn = (request) => (request.method === 'PATCH' ? '7' : undefined);
    const error = await api.apply(configMap('t0', 'once', { v: '1' })).catch((e: unknown) => e);
    assert.ok(error instanceof KubeError);
    assert.equal(error.reason, 'Throttled');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.retryable, true);
    assert.match(error.message, /^ConfigMap apps\/once: Too many requests/);
  });

  it('waits as long as Retry-After says, then applies: every object lands', async () => {
    // The first three applies (PATCH) are throttled with Retry-After: 1; the Syncer's own
    // backoff (10 ms) would retry far sooner.
    const start = proxy.seen.length;
    proxy.throttle.fn = (request, seen) =>
      request.method === 'PATCH' && seen.slice(start).filter((s) => s.throttled && s.method === 'PATCH').length < 3 ? '1' : undefined;
    const syncer = new Syncer(api, new InventoryStore(api, AGENT_NAMESPACE), { concurrency: 4, backoffMs: 10 });
    const started = performance.now();
    const result = await syncer.apply(application('t1', [configMap('t1', 'first', { v: '1' }), configMap('t1', 'second', { v: '2' })]));
    const seconds = (performance.now() - started) / 1000;

    assert.equal(result.sync, 'Synced', JSON.stringify(result));
    assert.deepEqual(
      result.objects.map((o) => [o.name, o.sync]),
      [
        ['first', 'Synced'],
        ['second', 'Synced'],
      ],
    );
    for (const name of ['first', 'second']) assert.ok(await api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name }));

    const patches = proxy.seen.slice(start).filter((s) => s.method === 'PATCH');
    assert.equal(patches.filter((s) => s.throttled).length, 3);
    // Inventory, two objects, inventory again: 4 applies that went through, 3 that were throttled.
    assert.equal(patches.filter((s) => !s.throttled).length, 4);
    // Each throttled apply was tried again no sooner than 1 s later (the same object: same path).
    for (const [i, throttled] of patches.entries()) {
      if (!throttled.throttled) continue;
      const retry = patches.slice(i + 1).find((s) => s.path.split('?')[0] === throttled.path.split('?')[0]);
      assert.ok(retry, `no retry of ${throttled.path}`);
      assert.ok(retry.at - throttled.at >= 990, `retried after ${(retry.at - throttled.at).toFixed(0)} ms`);
    }
    assert.ok(seconds >= 1, `applied in ${seconds.toFixed(2)} s`);
  });

  it('gives up on an object after its attempts, waiting at most maxRetryAfterMs, and applies the rest', async () => {
    // One object is throttled for good, with a Retry-After of an hour.
    proxy.throttle.fn = (request) => (request.method === 'PATCH' && request.url?.includes('/configmaps/stuck?') ? '3600' : undefined);
    const start = proxy.seen.length;
    const syncer = new Syncer(api, new InventoryStore(api, AGENT_NAMESPACE), { attempts: 4, maxRetryAfterMs: 100 });
    const started = performance.now();
    const result = await syncer.apply(application('t2', [configMap('t2', 'stuck', { v: '1' }), configMap('t2', 'fine', { v: '1' })]));
    const seconds = (performance.now() - started) / 1000;

    assert.equal(result.sync, 'OutOfSync');
    const stuck = result.objects.find((o) => o.name === 'stuck');
    assert.equal(stuck?.sync, 'OutOfSync');
    assert.match(stuck?.message ?? '', /Too many requests/);
    assert.equal(result.objects.find((o) => o.name === 'fine')?.sync, 'Synced');
    const tries = proxy.seen.slice(start).filter((s) => s.method === 'PATCH' && s.path.includes('/configmaps/stuck?'));
    assert.equal(tries.length, 4);
    for (let i = 1; i < tries.length; i++) {
      const gap = (tries[i] as Seen).at - (tries[i - 1] as Seen).at;
      assert.ok(gap >= 95 && gap < 2000, `gap ${gap.toFixed(0)} ms`);
    }
    assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
  });
});
