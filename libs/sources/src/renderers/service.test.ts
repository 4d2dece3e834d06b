import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository, type FileTree, tempDir } from '#testing';
import { LocalGitRepositories } from '../local-git.js';
import { BEFORE_TIMEOUT, type TestBinaries, testBinaries, testToolsConfig } from '../test-support/tools.js';
import { createSourceRenderService } from './service.js';
import type { ApplicationSource, RenderSourceInput, SourceRenderService } from './types.js';

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const CHART: FileTree = {
  'Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
  'values.yaml': 'color: red\n',
  'templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-chart\ndata:\n  color: {{ .Values.color }}\n',
};
const under = (dir: string, tree: FileTree): FileTree =>
  Object.fromEntries(Object.entries(tree).map(([path, content]) => [`${dir}/${path}`, content]));

const LAYOUT: FileTree = {
  'plain/cm.yaml': cm('plain'),
  ...under('chart', CHART),
  'kust-yaml/kustomization.yaml': 'resources: [cm.yaml]\n',
  'kust-yaml/cm.yaml': cm('kust'),
  'kust-yml/kustomization.yml': 'resources: [cm.yaml]\n',
  'kust-yml/cm.yaml': cm('kust'),
  'kust-bare/Kustomization': 'resources: [cm.yaml]\n',
  'kust-bare/cm.yaml': cm('kust'),
  ...under('both', CHART),
  'both/kustomization.yaml': 'resources: [templates/../plain.yaml]\n',
  'both/plain.yaml': cm('both'),
  'named/HelmChart.yaml': cm('named'),
  'nested/sub/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
  'nested/cm.yaml': cm('nested'),
};

function input(checkout: string | undefined, source: Partial<ApplicationSource>): RenderSourceInput {
  return {
    appName: 'shop',
    namespace: 'ns',
    source: { repoURL: 'https://git.example.com/deploy.git', ...source },
    checkout,
    refs: new Map(),
  };
}

describe('DefaultSourceRenderService', () => {
  let bin: TestBinaries;
  let service: SourceRenderService;
  before(async () => {
    bin = await testBinaries();
  }, BEFORE_TIMEOUT);

  it('detects the kind as Argo CD does: explicit block, then chart, then the files in source.path', async (t) => {
    service = createSourceRenderService(testToolsConfig(t, bin));
    const repo = createRepository(t, LAYOUT);
    const kind = (source: Partial<ApplicationSource>): Promise<string> => service.detectKind(input(repo.path, source));

    assert.equal(await kind({ path: 'plain' }), 'directory');
    assert.equal(await kind({ path: 'chart' }), 'helm');
    assert.equal(await kind({ path: 'kust-yaml' }), 'kustomize');
    assert.equal(await kind({ path: 'kust-yml' }), 'kustomize');
    assert.equal(await kind({ path: 'kust-bare' }), 'kustomize');
    assert.equal(await kind({ path: 'both' }), 'kustomize', 'a kustomization beats Chart.yaml');
    assert.equal(await kind({ path: 'named' }), 'helm', 'Argo CD matches any name ending in Chart.yaml');
    assert.equal(await kind({ path: 'nested' }), 'directory', 'only files directly in source.path count');
    assert.equal(await kind({ path: 'plain', helm: { releaseName: 'x' } }), 'helm');
    assert.equal(await kind({ path: 'chart', directory: { recurse: true } }), 'directory');
    assert.equal(await kind({ path: 'chart', kustomize: { namePrefix: 'x-' } }), 'kustomize');
    assert.equal(await kind({ path: 'chart', directory: { recurse: false, jsonnet: {} }, helm: {} }), 'helm', 'empty blocks do not count');
    assert.equal(
      await service.detectKind(input(undefined, { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.0.0' })),
      'helm',
    );
    await assert.rejects(
      kind({ path: 'plain', helm: { releaseName: 'x' }, kustomize: { namePrefix: 'y' } }),
      /multiple application sources defined: Kustomize,Helm/,
    );
    await assert.rejects(
      kind({ path: 'plain', plugin: {} }),
      (error: unknown) => error instanceof SourceError && /config management plugins are not supported/.test(error.message),
    );
    await assert.rejects(kind({ chart: 'web', directory: { recurse: true } }), /source\.chart is set/);
  });

  it('renders each kind through its renderer', async (t) => {
    service = createSourceRenderService(testToolsConfig(t, bin));
    const repo = createRepository(t, LAYOUT);
    const render = async (path: string): Promise<string> => {
      const { kind, objects } = await service.render(input(repo.path, { path }));
      return `${kind}:${objects.map((o) => o.metadata.name).join(',')}`;
    };
    assert.equal(await render('plain'), 'directory:plain');
    assert.equal(await render('chart'), 'helm:shop-chart');
    assert.equal(await render('kust-bare'), 'kustomize:kust');
  });

  it('keeps source.path inside the checkout', async (t) => {
    service = createSourceRenderService(testToolsConfig(t, bin));
    const outside = tempDir(t);
    const repo = createRepository(t, { 'plain/cm.yaml': cm('plain'), 'file.yaml': cm('f') });
    const escaping = createRepository(t, {
      'plain/cm.yaml': cm('plain'),
      out: { symlink: outside },
      'other/etc.yaml': { symlink: '/etc/hostname' },
    });
    const check = (checkout: string, path: string, message: RegExp): Promise<void> =>
      assert.rejects(
        service.render(input(checkout, { path })),
        (error: unknown) => error instanceof SourceError && message.test(error.message),
      );

    await check(repo.path, '../sibling/plain', /app path is outside the repository/);
    assert.equal((await service.render(input(repo.path, { path: '../repo/plain' }))).objects.length, 1, 'a .. that stays inside is fine');
    await check(repo.path, 'plain/../../..', /app path is outside the repository/);
    await check(repo.path, '/etc', /app path is absolute/);
    await check(repo.path, 'missing', /app path does not exist/);
    await check(repo.path, 'file.yaml', /app path is not a directory/);
    await check(escaping.path, 'out', /app path leads outside the repository through a symbolic link/);
    // A link out of the repository anywhere in it stops the render, as in Argo CD.
    await check(escaping.path, 'plain', /symbolic link leading outside it: (out|other\/etc\.yaml)/);
  });

  it('renders a multi-source Application from exact commits, with $ref value files', async (t) => {
    service = createSourceRenderService(testToolsConfig(t, bin));
    const charts = createRepository(t, under('charts/c', CHART));
    const values = createRepository(t, { 'prod/values.yaml': 'color: blue\n' });
    const blue = values.git('rev-parse', 'HEAD');
    values.commit({ 'prod/values.yaml': 'color: green\n' }, 'green');
    const git = new LocalGitRepositories(
      new Map([
        ['https://git.example.com/charts.git', charts.path],
        ['https://git.example.com/values.git', values.path],
      ]),
      { cacheDir: tempDir(t) },
    );
    const render = async (valuesRevision: string): Promise<unknown> => {
      const chartsCheckout = await git.checkout(
        'https://git.example.com/charts.git',
        await git.resolveRevision('https://git.example.com/charts.git', 'main'),
      );
      const valuesCheckout = await git.checkout(
        'https://git.example.com/values.git',
        await git.resolveRevision('https://git.example.com/values.git', valuesRevision),
      );
      const { kind, objects } = await service.render({
        appName: 'shop',
        namespace: 'ns',
        source: { repoURL: 'https://git.example.com/charts.git', path: 'charts/c', helm: { valueFiles: ['$values/prod/values.yaml'] } },
        checkout: chartsCheckout,
        refs: new Map([['values', valuesCheckout]]),
      });
      assert.equal(kind, 'helm');
      return objects[0]?.data;
    };
    assert.deepEqual(await render(blue), { color: 'blue' });
    assert.deepEqual(await render('main'), { color: 'green' });
  });

  it('merges .argocd-source.yaml and .argocd-source-<app>.yaml overrides into the source', async (t) => {
    service = createSourceRenderService(testToolsConfig(t, bin));
    const repo = createRepository(t, {
      ...under('chart', CHART),
      'chart/.argocd-source.yaml': 'helm:\n  parameters:\n  - name: color\n    value: yellow\n',
      'chart/.argocd-source-shop.yaml': 'path: elsewhere\nhelm:\n  releaseName: overridden\n',
      'kust/kustomization.yaml': 'resources: [cm.yaml]\n',
      'kust/cm.yaml': cm('kust'),
      'kust/.argocd-source-shop.yaml': 'kustomize:\n  namePrefix: img-\n',
    });
    const chart = await service.render(input(repo.path, { path: 'chart' }));
    assert.equal(chart.objects[0]?.metadata.name, 'overridden-chart');
    assert.deepEqual(chart.objects[0]?.data, { color: 'yellow' });
    const kust = await service.render(input(repo.path, { path: 'kust' }));
    assert.equal(kust.kind, 'kustomize');
    assert.equal(kust.objects[0]?.metadata.name, 'img-kust');
  });
});
