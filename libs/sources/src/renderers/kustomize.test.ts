import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository, type FileTree } from '#testing';
import { BEFORE_TIMEOUT, type TestBinaries, testBinaries, testToolsConfig } from '../test-support/tools.js';
import { KustomizeRenderer } from './kustomize.js';
import type { KubeObject, RenderSourceInput } from './types.js';

const BASE: FileTree = {
  'base/kustomization.yaml': 'resources: [deploy.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [mode=base]\n',
  'base/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        envFrom: [{configMapRef: {name: cfg}}]
      - name: sidecar
        image: registry.example.com/tools/sidecar:0.1
`,
  'overlays/prod/kustomization.yml': 'resources: [../../base]\npatches:\n- path: replicas.yaml\n',
  'overlays/prod/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n',
  'patches/extra-label.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {patched: "yes"}}\n',
  'components/monitoring/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [monitor.yaml]\n',
  'components/monitoring/monitor.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: monitor}\n',
};

function input(checkout: string, path: string, kustomize?: Record<string, unknown>): RenderSourceInput {
  return {
    appName: 'shop',
    namespace: 'dest',
    source: { repoURL: 'https://git.example.com/deploy.git', path, kustomize },
    checkout,
    refs: new Map(),
  };
}

const find = (objects: KubeObject[], kind: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind);
  assert.ok(found, `no ${kind} in ${objects.map((o) => o.kind).join(',')}`);
  return found;
};
const containers = (deployment: KubeObject): Array<{ name: string; image: string }> =>
  (deployment.spec as { template: { spec: { containers: Array<{ name: string; image: string }> } } }).template.spec.containers;

describe('KustomizeRenderer', () => {
  let bin: TestBinaries;
  before(async () => {
    bin = await testBinaries();
  }, BEFORE_TIMEOUT);

  it('builds a kustomization with the kustomize binary, objects in kustomize output order', async (t) => {
    const repo = createRepository(t, BASE);
    const objects = await new KustomizeRenderer(testToolsConfig(t, bin)).render(input(repo.path, 'overlays/prod'));
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['ConfigMap', 'Deployment'],
    );
    assert.match(objects[0]?.metadata.name ?? '', /^cfg-[a-z0-9]{10}$/);
    assert.equal((find(objects, 'Deployment').spec as { replicas: number }).replicas, 3);
    // The destination namespace is not kustomize's business (Argo CD applies it later).
    assert.equal(find(objects, 'Deployment').metadata.namespace, undefined);
  });

  it("applies the Application's kustomize options through a wrapper, leaving the checkout untouched", async (t) => {
    const repo = createRepository(t, BASE);
    const before = readFileSync(join(repo.path, 'overlays/prod/kustomization.yml'), 'utf8');
    const objects = await new KustomizeRenderer(testToolsConfig(t, bin)).render(
      input(repo.path, 'overlays/prod', {
        namePrefix: 'pre-',
        nameSuffix: '-suf',
        namespace: 'shop-prod',
        commonLabels: { team: 'payments', app: '$ARGOCD_APP_NAME' },
        commonAnnotations: { owner: 'sre', note: '$ARGOCD_APP_NAME' },
        images: ['nginx:1.27', `registry.example.com/tools/sidecar=mirror.example.com/sidecar@sha256:${'a'.repeat(64)}`],
        replicas: [{ name: 'web', count: 5 }],
        patches: [
          { path: '../../patches/extra-label.yaml' },
          { patch: '- op: add\n  path: /metadata/annotations/inline\n  value: "1"', target: { kind: 'Deployment' } },
        ],
        components: ['../../components/monitoring'],
      }),
    );
    const deployment = find(objects, 'Deployment');
    assert.equal(deployment.metadata.name, 'pre-web-suf');
    assert.equal(deployment.metadata.namespace, 'shop-prod');
    assert.equal(deployment.metadata.labels?.team, 'payments');
    assert.equal(deployment.metadata.labels?.app, 'shop');
    assert.equal(deployment.metadata.labels?.patched, 'yes');
    assert.equal(deployment.metadata.annotations?.owner, 'sre');
    assert.equal(
      deployment.metadata.annotations?.note,
      '$ARGOCD_APP_NAME',
      'annotations are substituted only with commonAnnotationsEnvsubst',
    );
    assert.equal(deployment.metadata.annotations?.inline, '1');
    assert.deepEqual((deployment.spec as { selector: unknown }).selector, { matchLabels: { app: 'shop', team: 'payments' } });
    assert.equal((deployment.spec as { replicas: number }).replicas, 5);
    assert.deepEqual(
      containers(deployment).map((c) => c.image),
      ['nginx:1.27', `mirror.example.com/sidecar@sha256:${'a'.repeat(64)}`],
    );
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('pre-cfg-'));
    assert.ok(config, 'generated ConfigMap renamed');
    assert.equal(find(objects, 'Deployment').metadata.name, 'pre-web-suf');
    assert.ok(
      objects.some((o) => o.metadata.name === 'pre-monitor-suf'),
      'component added',
    );
    // The checkout is shared: nothing in it changed and no file was added.
    assert.equal(readFileSync(join(repo.path, 'overlays/prod/kustomization.yml'), 'utf8'), before);
    assert.equal(repo.git('status', '--porcelain', '--ignored'), '');
  });

  it('keeps labels out of selectors with labelWithoutSelector, and substitutes annotations with commonAnnotationsEnvsubst', async (t) => {
    const repo = createRepository(t, BASE);
    const objects = await new KustomizeRenderer(testToolsConfig(t, bin)).render(
      input(repo.path, 'base', {
        commonLabels: { team: 'payments' },
        labelWithoutSelector: true,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Argo CD's envsubst syntax, not a template literal
        commonAnnotations: { app: '${ARGOCD_APP_NAME}-$ARGOCD_APP_NAMESPACE' },
        commonAnnotationsEnvsubst: true,
      }),
    );
    const deployment = find(objects, 'Deployment');
    assert.equal(deployment.metadata.labels?.team, 'payments');
    assert.deepEqual((deployment.spec as { selector: unknown }).selector, { matchLabels: { app: 'web' } });
    assert.equal(deployment.metadata.annotations?.app, 'shop-dest');
  });

  it('falls back to kubectl kustomize when there is no kustomize binary', async (t) => {
    const repo = createRepository(t, BASE);
    for (const kustomize of [undefined, '/nonexistent/kustomize']) {
      const renderer = new KustomizeRenderer(testToolsConfig(t, bin, { kustomize }));
      const objects = await renderer.render(input(repo.path, 'overlays/prod', { namePrefix: 'k-' }));
      assert.equal(find(objects, 'Deployment').metadata.name, 'k-web');
    }
    await assert.rejects(
      new KustomizeRenderer(testToolsConfig(t, bin, { kustomize: '/nonexistent/kustomize', kubectl: undefined })).render(
        input(repo.path, 'base'),
      ),
      /cannot run \/nonexistent\/kustomize/,
    );
  });

  it("reports kustomize's error, keeps the load restrictor, and enforces the timeout", async (t) => {
    const repo = createRepository(t, {
      ...BASE,
      'broken/kustomization.yaml': 'resources: [missing.yaml]\n',
      'escape/kustomization.yaml': 'resources: [../base/deploy.yaml]\n',
    });
    const config = testToolsConfig(t, bin);
    const renderer = new KustomizeRenderer(config);
    await assert.rejects(renderer.render(input(repo.path, 'broken')), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^kustomize build failed \(exit code 1\): .*missing\.yaml/s);
      assert.ok(!error.message.includes(repo.path), 'the checkout path is not shown');
      return true;
    });
    await assert.rejects(renderer.render(input(repo.path, 'escape')), /security; file .*deploy\.yaml' is not in or below/);
    await assert.rejects(
      new KustomizeRenderer(testToolsConfig(t, bin, { timeoutMs: 1 })).render(input(repo.path, 'base')),
      /kustomize build timed out after 1 ms/,
    );
    await assert.rejects(renderer.render(input(repo.path, 'base', { images: ['=x'] })), /kustomize\.images\[0\] "=x" is not an image/);
    await assert.rejects(
      renderer.render(input(repo.path, 'base', { patches: [{ path: '../../../etc/passwd' }] })),
      /outside the repository/,
    );
    // Temporary wrappers are removed.
    await renderer.render(input(repo.path, 'base', { namePrefix: 'x-' }));
    assert.deepEqual(readdirSync(join(config.cacheDir, 'tmp')), []);
  });
});
