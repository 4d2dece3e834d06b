import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository, type FileTree } from '#testing';
import { startHelmRepo } from '../test-support/helm-repo.js';
import { BEFORE_TIMEOUT, type TestBinaries, testBinaries, testToolsConfig } from '../test-support/tools.js';
import { HelmRenderer } from './helm.js';
import type { KubeObject, RenderSourceInput } from './types.js';

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
  namespace: {{ .Release.Namespace }}
data:
  replicas: {{ .Values.replicas | quote }}
  layer: {{ .Values.layer | quote }}
  color: {{ .Values.color | quote }}
  commas: {{ .Values.commas | quote }}
  strKind: {{ kindOf .Values.str | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  {{- with .Values.file }}
  file: {{ . | quote }}
  {{- end }}
{{- if .Values.fail }}
{{ fail "boom: the chart refuses" }}
{{- end }}
`;

const CHART: FileTree = {
  'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
  'values.yaml': 'replicas: 1\nlayer: chart\ncolor: default\ncommas: ""\nstr: ""\nfail: false\n',
  'values-prod.yaml': 'layer: valueFile\ncolor: blue\nreplicas: 2\n',
  'templates/cm.yaml': CONFIG_MAP,
  'crds/widget.yaml':
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: []\n',
};

const under = (dir: string, tree: FileTree): FileTree =>
  Object.fromEntries(Object.entries(tree).map(([path, content]) => [`${dir}/${path}`, content]));

function input(source: Partial<RenderSourceInput['source']>, extra: Partial<RenderSourceInput> = {}): RenderSourceInput {
  return {
    appName: 'shop',
    namespace: 'shop-ns',
    refs: new Map(),
    ...extra,
    source: { repoURL: 'https://git.example.com/charts.git', ...source },
  };
}

const data = (objects: KubeObject[]): Record<string, string> => {
  const cm = objects.find((o) => o.kind === 'ConfigMap');
  assert.ok(cm, 'ConfigMap rendered');
  return cm.data as Record<string, string>;
};

describe('HelmRenderer', () => {
  let bin: TestBinaries;
  before(async () => {
    bin = await testBinaries();
  }, BEFORE_TIMEOUT);

  it('renders a chart from a git path: release name, namespace, CRDs, kube version and API versions', async (t) => {
    const repo = createRepository(t, under('charts/web', CHART));
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    const checkout = repo.path;

    const objects = await helm.render(
      input({ path: 'charts/web' }, { checkout, kubeVersion: '1.31.2', apiVersions: ['monitoring.coreos.com/v1'] }),
    );
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['CustomResourceDefinition/widgets.example.com', 'ConfigMap/shop-cfg'],
    );
    assert.equal(objects[1]?.metadata.namespace, 'shop-ns');
    assert.equal(data(objects).kube, 'v1.31.2');
    assert.equal(data(objects).monitoring, 'true');

    const custom = await helm.render(
      input(
        {
          path: 'charts/web',
          helm: { releaseName: 'store', namespace: 'other', skipCrds: true, kubeVersion: '1.29.0', apiVersions: ['v1'] },
        },
        { checkout, kubeVersion: '1.31.2', apiVersions: ['monitoring.coreos.com/v1'] },
      ),
    );
    assert.deepEqual(
      custom.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/store-cfg'],
    );
    assert.equal(custom[0]?.metadata.namespace, 'other');
    assert.equal(data(custom).kube, 'v1.29.0');
    assert.equal(data(custom).monitoring, 'false');
  });

  it('ranks valueFiles below values/valuesObject below parameters, as Argo CD does', async (t) => {
    const repo = createRepository(t, { ...under('charts/web', CHART), 'envs/common.yaml': 'color: green\n' });
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    const render = async (options: Record<string, unknown>): Promise<Record<string, string>> =>
      data(await helm.render(input({ path: 'charts/web', helm: options }, { checkout: repo.path })));

    assert.deepEqual(await render({ valueFiles: ['values-prod.yaml', '../../envs/common.yaml'] }), {
      ...(await render({})),
      layer: 'valueFile',
      color: 'green',
      replicas: '2',
    });
    const withValues = await render({ valueFiles: ['values-prod.yaml'], values: 'layer: values\n' });
    assert.equal(withValues.layer, 'values');
    assert.equal(withValues.color, 'blue');
    // valuesObject replaces values entirely (Argo CD's ValuesYAML), it is not merged with it.
    const withObject = await render({
      valueFiles: ['values-prod.yaml'],
      values: 'layer: values\ncolor: red\n',
      valuesObject: { layer: 'object' },
    });
    assert.equal(withObject.layer, 'object');
    assert.equal(withObject.color, 'blue');
    const withParameters = await render({
      valueFiles: ['values-prod.yaml'],
      valuesObject: { layer: 'object', replicas: 7 },
      parameters: [
        { name: 'layer', value: 'parameter' },
        { name: 'commas', value: 'a,b,c' },
        { name: 'str', value: '123', forceString: true },
        { name: 'color', value: '$ARGOCD_APP_NAME-$ARGOCD_APP_NAMESPACE' },
      ],
    });
    assert.equal(withParameters.layer, 'parameter');
    assert.equal(withParameters.replicas, '7');
    assert.equal(withParameters.commas, 'a,b,c');
    assert.equal(withParameters.strKind, 'string');
    assert.equal(withParameters.color, 'shop-shop-ns');
    assert.equal((await render({ parameters: [{ name: 'str', value: '123' }] })).strKind, 'int64');
    await assert.rejects(
      render({ parameters: [{ name: 'x', value: '$ARGOCD_APP_REVISION' }] }),
      /\$ARGOCD_APP_REVISION is not known for this render/,
    );
  });

  it('reads $ref value files and file parameters from another source checkout', async (t) => {
    const charts = createRepository(t, under('charts/web', CHART));
    const config = createRepository(t, { 'envs/prod/values.yaml': 'layer: ref\ncolor: purple\n', 'files/motd.txt': 'hello' });
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    const refs = new Map([['values', config.path]]);
    const objects = await helm.render(
      input(
        {
          path: 'charts/web',
          helm: {
            valueFiles: ['values-prod.yaml', '$values/envs/prod/values.yaml', '$values/envs/missing.yaml'],
            ignoreMissingValueFiles: true,
            fileParameters: [{ name: 'file', path: '$values/files/motd.txt' }],
          },
        },
        { checkout: charts.path, refs },
      ),
    );
    assert.deepEqual(
      { layer: data(objects).layer, color: data(objects).color, replicas: data(objects).replicas, file: data(objects).file },
      {
        layer: 'ref',
        color: 'purple',
        replicas: '2',
        file: 'hello',
      },
    );
    await assert.rejects(
      helm.render(input({ path: 'charts/web', helm: { valueFiles: ['$other/values.yaml'] } }, { checkout: charts.path, refs })),
      /helm\.valueFiles\[0\]: "\$other\/values\.yaml" names no source with ref "other"/,
    );
    await assert.rejects(
      helm.render(input({ path: 'charts/web', helm: { valueFiles: ['$values/envs/missing.yaml'] } }, { checkout: charts.path, refs })),
      /helm\.valueFiles\[0\]: "\$values\/envs\/missing\.yaml" does not exist/,
    );
  });

  it('keeps every value file inside its checkout', async (t) => {
    const charts = createRepository(t, under('charts/web', CHART));
    const outside = createRepository(t, { 'secret.yaml': 'layer: stolen\n' });
    const config = createRepository(t, { 'leak.yaml': { symlink: join(outside.path, 'secret.yaml') }, 'dir/ok.yaml': 'layer: ok\n' });
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    const refs = new Map([['values', config.path]]);
    const render = (valueFiles: string[]): Promise<KubeObject[]> =>
      helm.render(input({ path: 'charts/web', helm: { valueFiles } }, { checkout: charts.path, refs }));

    await assert.rejects(
      render(['../../../secret.yaml']),
      (error: unknown) => error instanceof SourceError && /is outside the repository/.test(error.message),
    );
    await assert.rejects(render([join(outside.path, 'secret.yaml')]), /does not exist/, 'an absolute path is relative to the checkout');
    await assert.rejects(render(['$values/../secret.yaml']), /is outside the repository/);
    await assert.rejects(render(['$values/leak.yaml']), /leads outside the repository through a symbolic link/);
    await assert.rejects(render(['file:///etc/passwd']), /the URL scheme 'file' is not allowed/);
    assert.equal(data(await render(['$values/dir/../dir/ok.yaml'])).layer, 'ok');
  });

  it("reports the chart's own failure with helm's message, and enforces the timeout", async (t) => {
    const repo = createRepository(t, { ...under('charts/web', CHART), 'charts/broken/Chart.yaml': 'apiVersion: v2\nname: broken\n' });
    const config = testToolsConfig(t, bin);
    const helm = new HelmRenderer(config);
    await assert.rejects(
      helm.render(input({ path: 'charts/web', helm: { parameters: [{ name: 'fail', value: 'true' }] } }, { checkout: repo.path })),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.match(error.message, /^helm template failed \(exit code 1\): .*boom: the chart refuses/s);
        assert.ok(!error.message.includes(repo.path), 'no absolute checkout path in the message');
        return true;
      },
    );
    await assert.rejects(
      helm.render(input({ path: 'charts/broken' }, { checkout: repo.path })),
      /helm template failed.*version is required/is,
    );
    await assert.rejects(
      new HelmRenderer(testToolsConfig(t, bin, { timeoutMs: 1 })).render(input({ path: 'charts/web' }, { checkout: repo.path })),
      /helm template timed out after 1 ms/,
    );
    assert.deepEqual(readdirSync(join(config.cacheDir, 'tmp')), [], 'temporary values files are removed');
  });

  it('builds missing dependencies (file:// and from a Helm repository) in a copy, leaving the checkout untouched', async (t) => {
    const server = await startHelmRepo(t, bin.helm, [{ files: { ...CHART, 'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 2.0.0\n' } }]);
    const repo = createRepository(t, {
      'charts/app/Chart.yaml': `apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../lib\n- name: web\n  version: 2.0.0\n  repository: ${server.url}\n`,
      'charts/app/values.yaml': 'web:\n  layer: parent\n',
      'charts/app/templates/app.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-svc\n',
      'charts/lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 0.1.0\n',
      'charts/lib/templates/lib.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-lib\n',
    });
    const objects = await new HelmRenderer(testToolsConfig(t, bin)).render(input({ path: 'charts/app' }, { checkout: repo.path }));
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ConfigMap/shop-cfg',
      'CustomResourceDefinition/widgets.example.com',
      'Secret/shop-lib',
      'Service/shop-svc',
    ]);
    assert.equal(data(objects).layer, 'parent');
    assert.equal(repo.git('status', '--porcelain', '--ignored'), '');
  });
});

describe('HelmRenderer with a Helm repository', () => {
  let bin: TestBinaries;
  before(async () => {
    bin = await testBinaries();
  }, BEFORE_TIMEOUT);

  const versions = (): Array<{ files: FileTree }> => [
    { files: CHART },
    { files: { ...CHART, 'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.1.0\n', 'values.yaml': 'replicas: 11\nlayer: chart-1.1\n' } },
  ];

  it('pulls the chart version named by targetRevision, and resolves version ranges', async (t) => {
    const server = await startHelmRepo(t, bin.helm, versions());
    const config = createRepository(t, { 'prod.yaml': 'color: from-ref\n' });
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    const exact = await helm.render(
      input(
        { repoURL: server.url, chart: 'web', targetRevision: '1.0.0', helm: { valueFiles: ['values-prod.yaml', '$cfg/prod.yaml'] } },
        { refs: new Map([['cfg', config.path]]) },
      ),
    );
    assert.deepEqual({ layer: data(exact).layer, color: data(exact).color }, { layer: 'valueFile', color: 'from-ref' });
    assert.equal(data(await helm.render(input({ repoURL: `${server.url}/`, chart: 'web', targetRevision: '~1.0' }))).replicas, '1');
    assert.equal(data(await helm.render(input({ repoURL: server.url, chart: 'web', targetRevision: '^1.0.0' }))).replicas, '11');
    await assert.rejects(
      helm.render(input({ repoURL: server.url, chart: 'web', targetRevision: '1.0.0', helm: { valueFiles: ['../../etc/passwd'] } })),
      /outside the repository/,
    );
  });

  it('fails clearly for a missing chart version, a missing chart and an unsupported repository', async (t) => {
    const server = await startHelmRepo(t, bin.helm, versions());
    const helm = new HelmRenderer(testToolsConfig(t, bin));
    await assert.rejects(helm.render(input({ repoURL: server.url, chart: 'web', targetRevision: '9.9.9' })), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^helm pull failed \(exit code 1\): .*web.*9\.9\.9.*not found/s);
      return true;
    });
    await assert.rejects(helm.render(input({ repoURL: server.url, chart: 'nope', targetRevision: '1.0.0' })), /helm pull failed.*nope/s);
    await assert.rejects(
      helm.render(input({ repoURL: 'git@github.com:org/charts.git', chart: 'web', targetRevision: '1.0.0' })),
      /needs an http\(s\) or oci:\/\/ repository/,
    );
  });

  it('shares one pull between concurrent renders of the same chart version, and keeps it', async (t) => {
    const server = await startHelmRepo(t, bin.helm, versions());
    const config = testToolsConfig(t, bin);
    const helm = new HelmRenderer(config);
    const source = { repoURL: server.url, chart: 'web', targetRevision: '1.1.0' };

    const results = await Promise.all([...Array(6)].map((_, i) => helm.render(input(source, { appName: `app-${i}` }))));
    assert.deepEqual(
      results.map((objects) => objects.find((o) => o.kind === 'ConfigMap')?.metadata.name),
      [...Array(6)].map((_, i) => `app-${i}-cfg`),
    );
    assert.equal(server.requests.get('/web-1.1.0.tgz'), 1);

    await helm.render(input(source));
    await new HelmRenderer(config).render(input(source));
    assert.equal(server.requests.get('/web-1.1.0.tgz'), 1, 'later renders, also from a new renderer, use the kept chart');
  });
});
