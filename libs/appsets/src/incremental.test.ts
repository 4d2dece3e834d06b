import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterInfo } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { IncrementalRenderer, isClusterSeparable } from './incremental.js';
import { parseApplicationSets } from './parse.js';
import { renderApplicationSet } from './render.js';
import type { ApplicationSet } from './schema.js';

const registry = createDefaultRegistry();
const parse = (yaml: string): ApplicationSet => parseApplicationSets(yaml, registry)[0] as ApplicationSet;

const cluster = (i: number, labels: Record<string, string> = {}): ClusterInfo => ({
  name: `c${i}`,
  server: `https://c${i}.example`,
  labels: { fleet: 'yes', region: i % 2 ? 'eu' : 'us', ...labels },
  annotations: {},
});

const MATRIX = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {fleet: 'yes'}}}
      - list: {elements: [{app: a}, {app: b}, {app: c}]}
  - list: {elements: [{app: global, region: none, server: https://elsewhere, nameNormalized: x}]}
  template:
    metadata: {name: '{{app}}-{{nameNormalized}}', labels: {region: '{{metadata.labels.region}}'}}
    spec:
      project: default
      source: {repoURL: https://git.example/x.git, targetRevision: main, path: '{{app}}'}
      destination: {server: '{{server}}', namespace: '{{app}}'}
`;

/** The incremental output must always equal a full render of the same clusters. */
async function fullRender(appSet: ApplicationSet, clusters: ClusterInfo[]) {
  const result = await renderApplicationSet(appSet, { registry, sources: { clusters: { listClusters: async () => clusters } } });
  return result.applications.map((a) => JSON.stringify(a)).sort();
}
const sorted = (renderer: IncrementalRenderer) =>
  renderer
    .applications()
    .map((a) => JSON.stringify(a))
    .sort();

describe('IncrementalRenderer', () => {
  it('re-renders exactly the Applications of a relabelled cluster, and matches a full render', async () => {
    const appSet = parse(MATRIX);
    assert.equal(isClusterSeparable(appSet), true);
    let clusters = Array.from({ length: 20 }, (_, i) => cluster(i));
    const renderer = new IncrementalRenderer(appSet, {}, registry);
    assert.equal(await renderer.renderAll(clusters), 61);
    const relabelled = cluster(3, { region: 'ap' });
    const change = await renderer.clustersChanged([relabelled]);
    assert.equal(change.incremental, true);
    assert.equal(change.rendered, 3, 'the three Applications of c3 and nothing else');
    assert.deepEqual(change.upserted.map((a) => a.metadata.name).sort(), ['a-c3', 'b-c3', 'c-c3']);
    assert.equal(change.upserted[0]?.metadata.labels?.region, 'ap');
    clusters = clusters.map((c) => (c.server === relabelled.server ? relabelled : c));
    assert.deepEqual(sorted(renderer), await fullRender(appSet, clusters));
  });

  it('drops the Applications of a cluster that no longer matches or is removed, and adds a new one', async () => {
    const appSet = parse(MATRIX);
    let clusters = Array.from({ length: 5 }, (_, i) => cluster(i));
    const renderer = new IncrementalRenderer(appSet, {}, registry);
    await renderer.renderAll(clusters);
    const leaving = cluster(1, { fleet: 'no' });
    const left = await renderer.clustersChanged([leaving]);
    assert.deepEqual(left.removed.sort(), ['a-c1', 'b-c1', 'c-c1']);
    assert.equal(left.rendered, 0);
    const removed = await renderer.clustersChanged([], [cluster(2).server]);
    assert.equal(removed.removed.length, 3);
    const added = await renderer.clustersChanged([cluster(9)]);
    assert.equal(added.rendered, 3);
    clusters = [cluster(0), leaving, cluster(3), cluster(4), cluster(9)];
    assert.deepEqual(sorted(renderer), await fullRender(appSet, clusters));
    const unchanged = await renderer.clustersChanged([cluster(9)]);
    assert.deepEqual(unchanged.upserted, [], 'the same labels again change nothing');
    // syncClusters finds what differs by itself: here, c4 relabelled and c0 gone.
    const synced = await renderer.syncClusters([leaving, cluster(3), cluster(4, { region: 'ap' }), cluster(9)]);
    assert.equal(synced.rendered, 3);
    assert.deepEqual(synced.removed.sort(), ['a-c0', 'b-c0', 'c-c0']);
    assert.deepEqual(
      synced.params.map((p) => p.server),
      Array(3).fill('https://c4.example'),
    );
    assert.deepEqual(sorted(renderer), await fullRender(appSet, [leaving, cluster(3), cluster(4, { region: 'ap' }), cluster(9)]));
  });

  it('refuses a change that would duplicate a name, and keeps its state', async () => {
    const appSet = parse(MATRIX.replace("'{{app}}-{{nameNormalized}}'", "'{{app}}-{{metadata.labels.region}}'"));
    const renderer = new IncrementalRenderer(appSet, {}, registry);
    await assert.rejects(renderer.renderAll([cluster(0), cluster(2)]), /more than one Application named "a-us"/);
    await renderer.renderAll([cluster(0), cluster(1)]);
    const before = sorted(renderer);
    await assert.rejects(renderer.clustersChanged([cluster(1, { region: 'us' })]), /more than one Application named "a-us"/);
    assert.deepEqual(sorted(renderer), before);
  });

  it('renders in full what is not cluster-separable, and the local cluster when it moves', async () => {
    const merged = parse(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: m, namespace: argocd}
spec:
  generators:
  - merge:
      mergeKeys: [name]
      generators:
      - list: {elements: [{name: c1, extra: x}]}
      - clusters: {}
  template:
    metadata: {name: 'm-{{name}}'}
    spec: {project: default, destination: {server: '{{server}}', namespace: m}, source: {repoURL: x, path: app}}
`);
    assert.equal(isClusterSeparable(merged), false);
    const renderer = new IncrementalRenderer(merged, {}, registry);
    await renderer.renderAll([cluster(1)]);
    const change = await renderer.clustersChanged([cluster(2)]);
    assert.equal(change.incremental, false);
    assert.deepEqual(sorted(renderer), await fullRender(merged, [cluster(1), cluster(2)]));

    const all = parse(MATRIX.replace("{selector: {matchLabels: {fleet: 'yes'}}}", '{}'));
    const withLocal = new IncrementalRenderer(all, {}, registry);
    await withLocal.renderAll([cluster(1)]);
    assert.ok(withLocal.applications().some((a) => a.metadata.name === 'a-in-cluster'));
    const local = { ...cluster(7), server: 'https://kubernetes.default.svc' };
    const moved = await withLocal.clustersChanged([local]);
    assert.equal(moved.incremental, false);
    assert.deepEqual(sorted(withLocal), await fullRender(all, [cluster(1), local]));
  });
});
