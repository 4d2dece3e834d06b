import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ApiException, CoreV1Api, KubernetesObjectApi, PatchStrategy, type V1ConfigMap } from '@kubernetes/client-node';
import { kubeApiServerAssets, startKubeApiServers } from './kube-api-server.js';

/** Resolves to the connect error code, or 'connected'. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('two real API servers, started in parallel, are independent', async (t) => {
  // Resolved (built on first use) before timing, so the measurement is start-up only.
  const assets = await kubeApiServerAssets();
  t.diagnostic(`assets: ${assets}`);

  const started = performance.now();
  const [a, b] = await startKubeApiServers(t, 2);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`2 API servers (etcd + kube-apiserver each) ready in parallel in ${seconds.toFixed(1)} s`);
  assert.ok(a && b);
  assert.notEqual(a.server, b.server);
  assert.match(a.server, /^https:\/\/127\.0\.0\.1:\d+$/);

  // A ConfigMap created in A through client-node is absent in B.
  const coreA = a.kubeConfig.makeApiClient(CoreV1Api);
  const coreB = b.kubeConfig.makeApiClient(CoreV1Api);
  await coreA.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'only-in-a' }, data: { where: 'a' } },
  });
  const readBack = await coreA.readNamespacedConfigMap({ name: 'only-in-a', namespace: 'default' });
  assert.equal(readBack.data?.where, 'a');
  await assert.rejects(coreB.readNamespacedConfigMap({ name: 'only-in-a', namespace: 'default' }), (error: unknown) => {
    assert.ok(error instanceof ApiException);
    assert.equal(error.code, 404);
    return true;
  });

  // kubectl works against both, as cluster-admin.
  assert.equal(a.kubectl('get', 'configmap', 'only-in-a', '-n', 'default', '-o', 'jsonpath={.data.where}'), 'a');
  assert.throws(() => b.kubectl('get', 'configmap', 'only-in-a', '-n', 'default'), /NotFound|not found/);
  assert.equal(b.kubectl('auth', 'can-i', '*', '*', '--all-namespaces').trim(), 'yes');
  assert.match(b.kubectl('get', 'namespaces', '-o', 'name'), /namespace\/kube-system/);

  // Server-side apply through KubernetesObjectApi records the field manager.
  const objects = KubernetesObjectApi.makeApiClient(b.kubeConfig);
  const applied: V1ConfigMap = await objects.patch<V1ConfigMap>(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'default' }, data: { via: 'ssa' } },
    undefined,
    undefined,
    'flotilla',
    false,
    PatchStrategy.ServerSideApply,
  );
  assert.equal(applied.data?.via, 'ssa');
  assert.deepEqual(
    applied.metadata?.managedFields?.map((f) => [f.manager, f.operation]),
    [['flotilla', 'Apply']],
  );
  assert.equal(b.kubectl('get', 'configmap', 'applied', '-n', 'default', '-o', 'jsonpath={.data.via}'), 'ssa');
  assert.throws(() => a.kubectl('get', 'configmap', 'applied', '-n', 'default'), /NotFound|not found/);

  // After stop() the port refuses connections; the other server keeps running.
  const portA = Number(new URL(a.server).port);
  assert.equal(await probe(portA), 'connected');
  await a.stop();
  assert.equal(await probe(portA), 'ECONNREFUSED');
  await a.stop(); // idempotent
  assert.match(b.kubectl('get', 'configmap', 'applied', '-n', 'default', '-o', 'name'), /configmap\/applied/);
});
