import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Application, type ClusterInfo, SourceError } from '#contracts';
import type { GitSource } from '#generators';
import type { GitCheckouts, KubeObject, RenderSourceInput, SourceKind, SourceRenderService } from '#sources';
import { LocalGitRepositories } from '#sources';
import { createRepository } from '#testing';
import { diffPlans } from './diff.js';
import { type PlanInput, Planner } from './planner.js';
import { nextRevision } from './revision.js';

const CLUSTERS: ClusterInfo[] = [
  { name: 'prod', server: 'https://prod.example.com', labels: {}, annotations: {}, kubeVersion: 'v1.34.0' },
  { name: 'dev', server: 'https://dev.example.com', labels: {}, annotations: {} },
];

/** A renderer that returns a fixed manifest per path and counts its calls; the real ones are tested in libs/sources. */
class RecordingRenderer implements SourceRenderService {
  readonly calls: RenderSourceInput[] = [];
  constructor(private readonly manifests: Record<string, KubeObject[] | Error>) {}
  async detectKind(input: RenderSourceInput): Promise<SourceKind> {
    return input.source.chart || input.source.helm ? 'helm' : 'directory';
  }
  async render(input: RenderSourceInput): Promise<{ kind: SourceKind; objects: KubeObject[] }> {
    this.calls.push(input);
    const manifest = this.manifests[input.source.path ?? input.source.chart ?? ''];
    if (manifest instanceof Error) throw manifest;
    if (!manifest) throw new SourceError(`nothing at ${input.source.path}`);
    return { kind: await this.detectKind(input), objects: manifest };
  }
}

const fixedGit: GitSource = {
  resolveRevision: async (_url, revision) => (revision === 'HEAD' ? 'a'.repeat(40) : `${revision.padEnd(40, '0')}`),
  listTree: async () => [],
  readFile: async () => '',
};
const checkouts: GitCheckouts = { checkout: async (url, commit) => `/checkouts/${encodeURIComponent(url)}/${commit}` };

const deployment = (name: string, image = 'nginx:1'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
});
const namespaceObject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', namespace: 'ignored' } };
const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'explicit' } };

function app(
  name: string,
  destination: Record<string, string>,
  source: Record<string, unknown> = { path: 'web' },
  extra: Record<string, unknown> = {},
): PlanInput {
  const application: Application = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/apps.git', targetRevision: 'HEAD', ...source },
      destination,
      ...extra,
    } as never,
  };
  return { application, applicationSet: 'web-set' };
}

describe('Planner', () => {
  it('groups Applications into one plan per destination cluster with prepared objects in apply order', async () => {
    const renderer = new RecordingRenderer({ web: [deployment('web'), configMap, namespaceObject] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const plans = await planner.plan(
      [
        app(
          'web-prod',
          { server: 'https://prod.example.com', namespace: 'web' },
          { path: 'web' },
          { syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] } },
        ),
        app('web-dev', { name: 'dev', namespace: 'web' }),
      ],
      CLUSTERS,
    );
    assert.deepEqual(
      plans.map((p) => p.cluster),
      [
        { name: 'dev', server: 'https://dev.example.com' },
        { name: 'prod', server: 'https://prod.example.com' },
      ],
    );
    const prod = plans[1]?.applications[0];
    assert.equal(prod?.name, 'web-prod');
    assert.equal(prod?.commit, 'a'.repeat(40));
    assert.deepEqual(prod?.syncPolicy, { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] });
    assert.deepEqual(
      prod?.objects?.map((o) => [o.kind, o.metadata.namespace]),
      [
        ['Namespace', undefined],
        ['ConfigMap', 'explicit'],
        ['Deployment', 'web'],
      ],
    );
    assert.deepEqual(prod?.objects?.[2]?.metadata.annotations, {
      'flotilla.dev/tracking-id': 'web-prod:apps/Deployment:web/web',
      'flotilla.dev/applicationset': 'web-set',
    });
    assert.equal(prod?.objects?.[2]?.metadata.labels?.['flotilla.dev/managed'], 'true');
    // The cached render is shared, never modified.
    assert.equal(deployment('web').metadata.annotations, undefined);
    assert.equal(configMap.metadata.labels, undefined);
  });

  it('renders identical inputs once, however many Applications share them', async () => {
    const renderer = new RecordingRenderer({ web: [deployment('web')] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const clusters = Array.from({ length: 50 }, (_, i) => ({
      name: `c${i}`,
      server: `https://c${i}.example.com`,
      labels: {},
      annotations: {},
    }));
    const plans = await planner.plan(
      clusters.map((c) => app(`web-${c.name}`, { server: c.server, namespace: 'web' })),
      clusters,
    );
    assert.equal(plans.length, 50);
    assert.equal(renderer.calls.length, 1);
    assert.deepEqual(planner.stats, { sourcesRequested: 50, rendersExecuted: 1 });
  });

  it('renders Helm sources per release name, namespace and cluster version', async () => {
    const renderer = new RecordingRenderer({ chart: [deployment('web')] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const helm = { path: 'chart', helm: { releaseName: 'web' } };
    await planner
      .plan(
        [
          app('a', { name: 'prod', namespace: 'web' }, helm),
          app('b', { name: 'dev', namespace: 'web' }, helm), // other kube version: new render
          app('c', { name: 'dev', namespace: 'other' }, helm), // other namespace: new render
          app('d', { name: 'dev', namespace: 'other' }, { path: 'chart', helm: { releaseName: 'web' } }), // same as c
        ],
        CLUSTERS.map((c) => ({ ...c, labels: { x: c.name } })),
      )
      .catch(() => assert.fail('planning must not throw'));
    assert.equal(renderer.calls.length, 3);
    assert.equal(renderer.calls[0]?.kubeVersion, 'v1.34.0');
  });

  it("renders per Application when a source uses Argo CD's build variables, and passes revision and project", async () => {
    const renderer = new RecordingRenderer({ web: [deployment('web')] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const withVariable = { path: 'web', kustomize: { commonLabels: { app: '$ARGOCD_APP_NAME' } } };
    const plans = await planner.plan(
      [app('a', { name: 'prod', namespace: 'a' }, withVariable), app('b', { name: 'dev', namespace: 'b' }, withVariable)],
      CLUSTERS,
    );
    assert.equal(plans.length, 2);
    assert.equal(renderer.calls.length, 2, 'the output depends on the Application name');
    assert.equal(renderer.calls[0]?.revision, 'a'.repeat(40));
    assert.equal(renderer.calls[0]?.project, 'default');
  });

  it('isolates failures: a broken source, an unknown destination and a shared object fail only their Application', async () => {
    const renderer = new RecordingRenderer({
      web: [deployment('web')],
      broken: new SourceError('helm template failed: parse error'),
      dup: [deployment('web')],
    });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const plans = await planner.plan(
      [
        app('a-web', { name: 'prod', namespace: 'web' }),
        app('b-broken', { name: 'prod', namespace: 'web' }, { path: 'broken' }),
        app('c-dup', { name: 'prod', namespace: 'web' }, { path: 'dup' }),
        app('d-lost', { server: 'https://gone.example.com' }),
        app('e-both', { server: 'https://prod.example.com', name: 'prod' }),
      ],
      CLUSTERS,
    );
    const all = plans.flatMap((p) =>
      p.applications.map((a) => [p.cluster.name || p.cluster.server, a.name, a.error ?? `${a.objects?.length} objects`]),
    );
    assert.deepEqual(all, [
      ['https://gone.example.com', 'd-lost', 'destination server https://gone.example.com is not a registered cluster'],
      ['prod', 'a-web', '1 objects'],
      ['prod', 'b-broken', 'helm template failed: parse error'],
      ['prod', 'c-dup', 'object apps/Deployment/web/web is already managed by Application a-web'],
      ['prod', 'e-both', 'spec.destination sets both server and name; set one'],
    ]);
  });

  it('passes ref sources to the renderer without rendering them', async () => {
    const renderer = new RecordingRenderer({ chart: [deployment('web')] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const input = app('web', { name: 'prod', namespace: 'web' });
    (input.application.spec as Record<string, unknown>).sources = [
      { repoURL: 'https://charts.example.com', chart: 'chart', targetRevision: '1.2.3', helm: { valueFiles: ['$values/web/values.yaml'] } },
      { repoURL: 'https://git.example.com/values.git', targetRevision: 'main', ref: 'values' },
    ];
    const [plan] = await planner.plan([input], CLUSTERS);
    assert.equal(renderer.calls.length, 1);
    assert.deepEqual(
      [...(renderer.calls[0]?.refs ?? [])],
      [['values', `/checkouts/${encodeURIComponent('https://git.example.com/values.git')}/${'main'.padEnd(40, '0')}`]],
    );
    assert.equal(renderer.calls[0]?.checkout, undefined);
    assert.deepEqual(
      plan?.applications[0]?.sources.map((s) => [s.kind, s.commit]),
      [
        ['helm', '1.2.3'],
        [undefined, 'main'.padEnd(40, '0')],
      ],
    );
    assert.equal(plan?.applications[0]?.commit, '1.2.3');
  });

  it('gives the same hash for the same content whatever the input order, and a new revision only on change', async () => {
    const renderer = new RecordingRenderer({ web: [deployment('web')], api: [deployment('api')] });
    const planner = new Planner({ git: fixedGit, checkouts, renderer });
    const inputs = [app('web', { name: 'prod', namespace: 'web' }), app('api', { name: 'prod', namespace: 'api' }, { path: 'api' })];
    const [first] = await planner.plan(inputs, CLUSTERS);
    const [second] = await planner.plan([...inputs].reverse(), CLUSTERS);
    assert.ok(first && second);
    assert.match(first.hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(second.hash, first.hash);
    const r1 = nextRevision(undefined, first);
    assert.deepEqual(r1, { revision: { revision: 1, hash: first.hash }, changed: true });
    assert.deepEqual(nextRevision(r1.revision, second), { revision: r1.revision, changed: false });

    const changed = new RecordingRenderer({ web: [deployment('web', 'nginx:2')], api: [deployment('api')] });
    const [third] = await new Planner({ git: fixedGit, checkouts, renderer: changed }).plan(inputs, CLUSTERS);
    assert.ok(third);
    assert.notEqual(third.hash, first.hash);
    assert.equal(nextRevision(r1.revision, third).revision.revision, 2);

    assert.deepEqual(diffPlans([first], [third]), [
      {
        cluster: { name: 'prod', server: 'https://prod.example.com' },
        added: [],
        removed: [],
        changed: [
          {
            application: 'web',
            object: 'apps/Deployment/web/web',
            fields: [{ path: 'spec.template.spec.containers[0].image', type: 'changed', old: 'nginx:1', new: 'nginx:2' }],
          },
        ],
        errors: [],
      },
    ]);
    assert.deepEqual(diffPlans([first], [second]), []);
  });

  it('resolves revisions in a real repository afresh on every planning run', async (t) => {
    const repo = createRepository(t, { 'web/deploy.yaml': 'x' });
    const url = 'https://git.example.com/apps.git';
    const git = new LocalGitRepositories(new Map([[url, repo.path]]));
    const renderer = new RecordingRenderer({ web: [deployment('web')] });
    const planner = new Planner({ git, checkouts, renderer });
    const input = app('web', { name: 'prod', namespace: 'web' }, { path: 'web', targetRevision: 'main' });
    const [before] = await planner.plan([input], CLUSTERS);
    const moved = repo.commit({ 'web/deploy.yaml': 'y' });
    const [after] = await planner.plan([input], CLUSTERS);
    assert.equal(after?.applications[0]?.commit, moved);
    assert.notEqual(before?.applications[0]?.commit, moved);
    assert.notEqual(after?.hash, before?.hash);
    assert.equal(renderer.calls.length, 2);
  });
});
