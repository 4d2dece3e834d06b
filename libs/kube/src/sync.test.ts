import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { TRACKING_ID_ANNOTATION, trackingId } from '#contracts';
import type { PlannedApplication } from '#plans';
import type { KubeObject } from '#sources';
import { type KubeApiServer, startKubeApiServer } from '#testing';
import { KubeClient } from './client.js';
import { InventoryStore } from './inventory.js';
import { Syncer } from './sync.js';

/** The Syncer against a real kube-apiserver: what apply, prune and refresh do to a cluster. */

const AGENT_NAMESPACE = 'flotilla-system';

const configMap = (
  app: string,
  name: string,
  data: Record<string, string>,
  namespace = 'apps',
  annotations: Record<string, string> = {},
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { 'flotilla.dev/managed': 'true' },
      annotations: { [TRACKING_ID_ANNOTATION]: trackingId(app, '', 'ConfigMap', namespace, name), ...annotations },
    },
    data,
  }) as KubeObject;

const application = (name: string, objects: KubeObject[], syncPolicy: PlannedApplication['syncPolicy'] = {}): PlannedApplication => ({
  name,
  applicationSet: 'test',
  project: 'default',
  namespace: 'apps',
  commit: 'c0ffee',
  sources: [],
  syncPolicy,
  objects,
});

describe('Syncer on a real API server', { timeout: 300_000 }, () => {
  let cluster: KubeApiServer;
  let syncer: Syncer;
  const cleanups: Array<() => unknown> = [];

  before(async () => {
    cluster = await startKubeApiServer({ after: (fn) => void (fn && cleanups.push(fn as () => unknown)) });
    cluster.kubectl('create', 'namespace', AGENT_NAMESPACE);
    cluster.kubectl('create', 'namespace', 'apps');
    const api = new KubeClient(cluster.kubeConfig);
    syncer = new Syncer(api, new InventoryStore(api, AGENT_NAMESPACE), { concurrency: 8, backoffMs: 50 });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const get = (...args: string[]): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(cluster.kubectl('get', ...args, '-o', 'json')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  it('applies with its field manager, and reports a conflict with another manager instead of taking the field', async () => {
    cluster.kubectl('create', 'configmap', 'shared', '-n', 'apps', '--from-literal=owner=kubectl');
    const result = await syncer.apply(
      application('a1', [configMap('a1', 'mine', { x: '1' }), configMap('a1', 'shared', { owner: 'flotilla' })]),
    );
    assert.equal(result.sync, 'OutOfSync');
    const shared = result.objects.find((o) => o.name === 'shared');
    assert.equal(shared?.sync, 'OutOfSync');
    assert.match(shared?.message ?? '', /conflict/i);
    assert.match(shared?.message ?? '', /ForceConflicts=true/);
    assert.equal((get('configmap', 'shared', '-n', 'apps') as { data: { owner: string } }).data.owner, 'kubectl');
    assert.equal(result.objects.find((o) => o.name === 'mine')?.sync, 'Synced');

    const forced = await syncer.apply(
      application('a1', [configMap('a1', 'mine', { x: '1' }), configMap('a1', 'shared', { owner: 'flotilla' })], {
        syncOptions: ['ForceConflicts=true'],
      }),
    );
    assert.equal(forced.sync, 'Synced');
    assert.equal((get('configmap', 'shared', '-n', 'apps') as { data: { owner: string } }).data.owner, 'flotilla');
  });

  it('prunes only with automated.prune, keeps objects marked Prune=false, and never deletes what another Application owns', async () => {
    const objects = [
      configMap('a2', 'keep', { v: '1' }),
      configMap('a2', 'drop', { v: '1' }),
      configMap('a2', 'stay', { v: '1' }, 'apps', { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
      configMap('a2', 'taken', { v: '1' }),
    ];
    assert.equal((await syncer.apply(application('a2', objects))).sync, 'Synced');
    // Another Application took `taken` over since (its tracking annotation now names a3).
    cluster.kubectl('annotate', '--overwrite', 'configmap', 'taken', '-n', 'apps', `${TRACKING_ID_ANNOTATION}=a3:/ConfigMap:apps/taken`);

    const withoutPrune = await syncer.apply(application('a2', [objects[0] as KubeObject]));
    assert.equal(withoutPrune.sync, 'OutOfSync');
    assert.match(withoutPrune.objects.find((o) => o.name === 'drop')?.message ?? '', /requires pruning/);
    assert.ok(get('configmap', 'drop', '-n', 'apps'));

    const withPrune = await syncer.apply(application('a2', [objects[0] as KubeObject], { automated: { prune: true } }));
    assert.equal(withPrune.sync, 'Synced');
    assert.equal(get('configmap', 'drop', '-n', 'apps'), undefined);
    assert.ok(get('configmap', 'stay', '-n', 'apps'), 'Prune=false kept');
    assert.ok(get('configmap', 'taken', '-n', 'apps'), 'owned by another Application: kept');
    assert.ok(get('configmap', 'keep', '-n', 'apps'));
  });

  it('does not prune everything when a plan comes back empty, unless the Application allows empty', async () => {
    await syncer.apply(application('a4', [configMap('a4', 'solo', { v: '1' })]));
    const empty = await syncer.apply(application('a4', [], { automated: { prune: true } }));
    assert.equal(empty.sync, 'OutOfSync');
    assert.match(empty.message, /allowEmpty/);
    assert.ok(get('configmap', 'solo', '-n', 'apps'));
    const allowed = await syncer.apply(application('a4', [], { automated: { prune: true, allowEmpty: true } }));
    assert.equal(allowed.sync, 'Synced');
    assert.equal(get('configmap', 'solo', '-n', 'apps'), undefined);
  });

  it('puts namespaced objects without a namespace in the destination and creates it with CreateNamespace=true', async () => {
    const loose = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loose' }, data: { v: '1' } } as KubeObject;
    const app = { ...application('a5', [loose], { syncOptions: ['CreateNamespace=true'] }), namespace: 'fresh' };
    assert.equal((await syncer.apply(app)).sync, 'Synced');
    assert.ok(get('configmap', 'loose', '-n', 'fresh'));
  });

  it('reports objects its RBAC does not allow as errors, and applies the rest', async () => {
    cluster.kubectl('create', 'namespace', 'limited');
    cluster.kubectl('create', 'role', 'agent', '-n', 'limited', '--verb=get,list,create,update,patch,delete', '--resource=configmaps');
    cluster.kubectl('create', 'rolebinding', 'agent', '-n', 'limited', '--role=agent', '--user=flotilla-user');
    cluster.kubectl(
      'create',
      'role',
      'agent',
      '-n',
      AGENT_NAMESPACE,
      '--verb=get,list,create,update,patch,delete',
      '--resource=configmaps,secrets',
    );
    cluster.kubectl('create', 'rolebinding', 'agent', '-n', AGENT_NAMESPACE, '--role=agent', '--user=flotilla-user');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfigPath);
    kubeConfig.setCurrentContext('flotilla-envtest-user');
    const api = new KubeClient(kubeConfig);
    const limited = new Syncer(api, new InventoryStore(api, AGENT_NAMESPACE), { backoffMs: 10 });
    const result = await limited.apply(
      application('a6', [configMap('a6', 'allowed', { v: '1' }, 'limited'), configMap('a6', 'denied', { v: '1' }, 'apps')]),
    );
    assert.equal(result.sync, 'OutOfSync');
    assert.equal(result.objects.find((o) => o.name === 'allowed')?.sync, 'Synced');
    assert.match(result.objects.find((o) => o.name === 'denied')?.message ?? '', /forbidden/i);
    assert.ok(get('configmap', 'allowed', '-n', 'limited'));
  });

  it('keeps one connection pool per cluster instead of one per request', async (t) => {
    // Every TCP connection to the API server through a counting proxy.
    let connections = 0;
    const proxy = createServer((socket) => {
      connections++;
      const upstream = connect(Number(new URL(cluster.server).port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    t.after(() => proxy.close());
    const kubeConfig = new KubeConfig();
    const through = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    kubeConfig.loadFromString(readFileSync(cluster.kubeconfigPath, 'utf8').replaceAll(cluster.server, through));
    const api = new KubeClient(kubeConfig);
    t.after(() => api.close());
    const get = () => api.get({ apiVersion: 'v1', kind: 'Namespace', name: 'apps' });
    for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 10 }, get));
    for (let i = 0; i < 10; i++) await get();
    // 41 requests (discovery included): at most one connection per request in flight at once.
    assert.ok(connections >= 1 && connections <= 10, `${connections} connections`);
  });

  it('refresh reports drift with the differing fields and heals it under selfHeal', async () => {
    const app = application('a7', [configMap('a7', 'watched', { color: 'blue' })]);
    await syncer.apply(app);
    assert.equal((await syncer.refresh(app)).sync, 'Synced');
    cluster.kubectl('patch', 'configmap', 'watched', '-n', 'apps', '--type=merge', '-p', '{"data":{"color":"red"}}');
    const drifted = await syncer.refresh(app);
    assert.equal(drifted.sync, 'OutOfSync');
    assert.deepEqual(drifted.objects[0]?.diff, ['data.color']);
    const healed = await syncer.refresh({ ...app, syncPolicy: { automated: { selfHeal: true } } });
    assert.equal(healed.sync, 'Synced');
    assert.equal((get('configmap', 'watched', '-n', 'apps') as { data: { color: string } }).data.color, 'blue');
    cluster.kubectl('delete', 'configmap', 'watched', '-n', 'apps');
    const missing = await syncer.refresh(app);
    assert.equal(missing.objects[0]?.health, 'Missing');
    assert.equal(missing.sync, 'OutOfSync');
  });
});
