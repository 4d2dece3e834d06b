import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterInfo, IN_CLUSTER_SERVER, type ParamSet, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import { clustersGenerator, IN_CLUSTER } from './clusters.js';
import type { GeneratorContext } from './generator.js';
import type { ClusterSource } from './sources.js';

const SECRET_TYPE = { 'argocd.argoproj.io/secret-type': 'cluster' };

// The cluster secrets of Argo CD's cluster_test.go TestGenerateParams.
const STAGING: ClusterInfo = {
  name: 'staging-01',
  server: 'https://staging-01.example.com',
  labels: { ...SECRET_TYPE, environment: 'staging', org: 'foo' },
  annotations: { 'foo.argoproj.io': 'staging' },
};
const PRODUCTION: ClusterInfo = {
  name: 'production_01/west',
  server: 'https://production-01.example.com',
  project: 'prod-project',
  labels: { ...SECRET_TYPE, environment: 'production', org: 'bar' },
  annotations: { 'foo.argoproj.io': 'production' },
};
const CLUSTERS = [STAGING, PRODUCTION];

class FakeClusters implements ClusterSource {
  calls = 0;
  constructor(private readonly clusters: ClusterInfo[]) {}
  async listClusters(): Promise<ClusterInfo[]> {
    this.calls++;
    return structuredClone(this.clusters);
  }
}

const PATH = 'spec.generators[0].clusters';
const flat = (clusters: ClusterInfo[] = CLUSTERS): GeneratorContext => ({
  mode: 'flat',
  engine: fastTemplateEngine,
  sources: { clusters: new FakeClusters(clusters) },
  path: PATH,
});
const nested = (clusters: ClusterInfo[] = CLUSTERS): GeneratorContext => ({
  mode: 'nested',
  engine: createHandlebarsEngine(),
  sources: { clusters: new FakeClusters(clusters) },
  path: PATH,
});

async function generate(spec: unknown, context: GeneratorContext): Promise<ParamSet[]> {
  return clustersGenerator.generate(clustersGenerator.schema.parse(spec), context);
}

const IN_CLUSTER_PARAMS = { name: 'in-cluster', nameNormalized: 'in-cluster', server: IN_CLUSTER_SERVER, project: '' };
const STAGING_FLAT = {
  name: 'staging-01',
  nameNormalized: 'staging-01',
  server: 'https://staging-01.example.com',
  project: '',
  'metadata.labels.argocd.argoproj.io/secret-type': 'cluster',
  'metadata.labels.environment': 'staging',
  'metadata.labels.org': 'foo',
  'metadata.annotations.foo.argoproj.io': 'staging',
};
const PRODUCTION_FLAT = {
  name: 'production_01/west',
  nameNormalized: 'production-01-west',
  server: 'https://production-01.example.com',
  project: 'prod-project',
  'metadata.labels.argocd.argoproj.io/secret-type': 'cluster',
  'metadata.labels.environment': 'production',
  'metadata.labels.org': 'bar',
  'metadata.annotations.foo.argoproj.io': 'production',
};

describe('clustersGenerator', () => {
  it('answers to the clusters key and describes the local cluster as Argo CD does', () => {
    assert.equal(clustersGenerator.key, 'clusters');
    assert.deepEqual(IN_CLUSTER, { name: 'in-cluster', server: 'https://kubernetes.default.svc', labels: {}, annotations: {} });
  });

  describe('the implicit in-cluster cluster', () => {
    const local: ClusterInfo = { name: 'local', server: IN_CLUSTER_SERVER, labels: { ...SECRET_TYPE, env: 'local' }, annotations: {} };
    const rows: Array<{ name: string; clusters: ClusterInfo[]; spec: unknown; expected: string[] }> = [
      { name: 'no secrets at all, no selector', clusters: [], spec: {}, expected: ['in-cluster'] },
      { name: 'secrets and no selector', clusters: CLUSTERS, spec: {}, expected: ['in-cluster', 'staging-01', 'production_01/west'] },
      {
        name: 'an empty selector counts as none',
        clusters: CLUSTERS,
        spec: { selector: {} },
        expected: ['in-cluster', 'staging-01', 'production_01/west'],
      },
      {
        name: 'empty matchLabels and matchExpressions count as none',
        clusters: CLUSTERS,
        spec: { selector: { matchLabels: {}, matchExpressions: [] } },
        expected: ['in-cluster', 'staging-01', 'production_01/west'],
      },
      {
        name: 'a secret already pointing at the local API server',
        clusters: [local, STAGING],
        spec: {},
        expected: ['local', 'staging-01'],
      },
      {
        name: 'a label selector',
        clusters: CLUSTERS,
        spec: { selector: { matchLabels: SECRET_TYPE } },
        expected: ['staging-01', 'production_01/west'],
      },
      {
        name: 'a label selector matching nothing',
        clusters: CLUSTERS,
        spec: { selector: { matchLabels: { environment: 'qa' } } },
        expected: [],
      },
      { name: 'a label selector and no secrets', clusters: [], spec: { selector: { matchLabels: SECRET_TYPE } }, expected: [] },
      {
        name: 'a match expression selector',
        clusters: CLUSTERS,
        spec: { selector: { matchExpressions: [{ key: 'environment', operator: 'Exists' }] } },
        expected: ['staging-01', 'production_01/west'],
      },
      {
        name: 'a DoesNotExist selector, which in-cluster would match, still leaves it out',
        clusters: CLUSTERS,
        spec: { selector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } },
        expected: ['staging-01', 'production_01/west'],
      },
      {
        name: 'the local secret selected by its labels',
        clusters: [local, STAGING],
        spec: { selector: { matchLabels: { env: 'local' } } },
        expected: ['local'],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const params = await generate(row.spec, flat(row.clusters));
        assert.deepEqual(
          params.map((p) => p.name),
          row.expected,
        );
      });
    }

    it('is generated without a cluster source', async () => {
      const params = await generate({}, { mode: 'flat', engine: fastTemplateEngine, sources: {}, path: PATH });
      assert.deepEqual(params, [IN_CLUSTER_PARAMS]);
    });
  });

  describe('flat params', () => {
    it('gives name, nameNormalized, server, project and flattened labels and annotations (Argo CD cluster_test.go)', async () => {
      assert.deepEqual(await generate({}, flat()), [IN_CLUSTER_PARAMS, STAGING_FLAT, PRODUCTION_FLAT]);
    });

    it('gives in-cluster no metadata params and keeps its name as nameNormalized', async () => {
      const [local] = await generate({}, flat([]));
      assert.deepEqual(local, IN_CLUSTER_PARAMS);
    });

    it('normalizes a local secret name like any other', async () => {
      const params = await generate({}, flat([{ name: 'In_Cluster', server: IN_CLUSTER_SERVER, labels: {}, annotations: {} }]));
      assert.deepEqual(params, [{ name: 'In_Cluster', nameNormalized: 'in-cluster', server: IN_CLUSTER_SERVER, project: '' }]);
    });

    it('adds values templated in one pass against the cluster params (conformance case 030)', async () => {
      const values = {
        lol1: 'lol',
        lol2: '{{values.lol1}}{{values.lol1}}',
        lol3: '{{values.lol2}}{{values.lol2}}{{values.lol2}}',
        foo: 'bar',
        bar: '{{ metadata.annotations.foo.argoproj.io }}',
        bat: '{{ metadata.labels.environment }}',
        aaa: '{{ server }}',
        'no-op': '{{ this-does-not-exist }}',
      };
      const [local, staging, production] = await generate({ values }, flat());
      const unrendered = {
        'values.lol1': 'lol',
        'values.lol2': '{{values.lol1}}{{values.lol1}}',
        'values.lol3': '{{values.lol2}}{{values.lol2}}{{values.lol2}}',
      };
      assert.deepEqual(local, {
        ...IN_CLUSTER_PARAMS,
        ...unrendered,
        'values.foo': 'bar',
        'values.bar': '{{ metadata.annotations.foo.argoproj.io }}',
        'values.bat': '{{ metadata.labels.environment }}',
        'values.aaa': IN_CLUSTER_SERVER,
        'values.no-op': '{{ this-does-not-exist }}',
      });
      assert.deepEqual(staging, {
        ...STAGING_FLAT,
        ...unrendered,
        'values.foo': 'bar',
        'values.bar': 'staging',
        'values.bat': 'staging',
        'values.aaa': 'https://staging-01.example.com',
        'values.no-op': '{{ this-does-not-exist }}',
      });
      assert.equal(production?.['values.bar'], 'production');
    });

    it('rejects flatList, which needs nested params', async () => {
      await assert.rejects(
        generate({ flatList: true }, flat()),
        (error: unknown) => error instanceof SpecError && error.path === 'spec.generators[0].clusters.flatList',
      );
    });
  });

  describe('nested params', () => {
    it('gives metadata.labels and metadata.annotations as maps', async () => {
      const params = await generate({ selector: { matchLabels: { environment: 'staging' } } }, nested());
      assert.deepEqual(params, [
        {
          name: 'staging-01',
          nameNormalized: 'staging-01',
          server: 'https://staging-01.example.com',
          project: '',
          metadata: { labels: STAGING.labels, annotations: STAGING.annotations },
        },
      ]);
    });

    it('gives an empty metadata map to a cluster without labels or annotations, and none to in-cluster', async () => {
      const bare: ClusterInfo = { name: 'bare', server: 'https://bare.example.com', labels: {}, annotations: {} };
      assert.deepEqual(await generate({}, nested([bare])), [
        IN_CLUSTER_PARAMS,
        { name: 'bare', nameNormalized: 'bare', server: 'https://bare.example.com', project: '', metadata: {} },
      ]);
    });

    it('nests values under `values`, templated with Handlebars in one pass', async () => {
      const params = await generate(
        {
          selector: { matchLabels: { org: 'bar' } },
          values: { env: '{{metadata.labels.environment}}', name: '{{upper nameNormalized}}', other: '{{values.env}}' },
        },
        nested(),
      );
      assert.deepEqual(params[0]?.values, { env: 'production', name: 'PRODUCTION-01-WEST', other: '' });
    });

    it('gathers every cluster into one parameter set with flatList', async () => {
      const params = await generate({ flatList: true, selector: { matchLabels: { org: 'foo' } }, values: { x: '{{name}}' } }, nested());
      assert.deepEqual(params, [
        {
          clusters: [
            {
              name: 'staging-01',
              nameNormalized: 'staging-01',
              server: 'https://staging-01.example.com',
              project: '',
              metadata: { labels: STAGING.labels, annotations: STAGING.annotations },
              values: { x: 'staging-01' },
            },
          ],
        },
      ]);
    });

    it('gives flatList an empty cluster list when nothing matches', async () => {
      assert.deepEqual(await generate({ flatList: true, selector: { matchLabels: { org: 'none' } } }, nested()), [{ clusters: [] }]);
    });
  });

  describe('selectors', () => {
    const labelled = (name: string, labels: Record<string, string>): ClusterInfo => ({
      name,
      server: `https://${name}.example.com`,
      labels,
      annotations: {},
    });
    const clusters = [
      labelled('a', { env: 'prod', region: 'eu' }),
      labelled('b', { env: 'dev' }),
      labelled('c', { env: 'staging', region: 'us' }),
    ];
    const rows: Array<{ name: string; selector: unknown; expected: string[] }> = [
      { name: 'matchLabels', selector: { matchLabels: { env: 'prod' } }, expected: ['a'] },
      { name: 'In', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, expected: ['a', 'b'] },
      {
        name: 'NotIn (missing labels match)',
        selector: { matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] },
        expected: ['b', 'c'],
      },
      { name: 'Exists', selector: { matchExpressions: [{ key: 'region', operator: 'Exists' }] }, expected: ['a', 'c'] },
      { name: 'DoesNotExist', selector: { matchExpressions: [{ key: 'region', operator: 'DoesNotExist' }] }, expected: ['b'] },
      {
        name: 'matchLabels AND matchExpressions',
        selector: { matchLabels: { region: 'us' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
        expected: ['c'],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const params = await generate({ selector: row.selector }, flat(clusters));
        assert.deepEqual(
          params.map((p) => p.name),
          row.expected,
        );
      });
    }
  });

  describe('schema', () => {
    const rows: Array<{ name: string; spec: unknown; path: PropertyKey[] }> = [
      {
        name: 'In without values',
        spec: { selector: { matchExpressions: [{ key: 'env', operator: 'In' }] } },
        path: ['selector', 'matchExpressions', 0, 'values'],
      },
      { name: 'a non-string value', spec: { values: { a: 1 } }, path: ['values', 'a'] },
      { name: 'flatList not a boolean', spec: { flatList: 'yes' }, path: ['flatList'] },
      { name: 'an unknown field', spec: { selectors: {} }, path: [] },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        const result = clustersGenerator.schema.safeParse(row.spec);
        assert.equal(result.success, false);
        assert.deepEqual(result.error?.issues[0]?.path, row.path);
      });
    }
  });

  it('asks the cluster source once per generation', async () => {
    const source = new FakeClusters(CLUSTERS);
    await generate({ values: { a: '{{name}}' } }, { mode: 'flat', engine: fastTemplateEngine, sources: { clusters: source }, path: PATH });
    assert.equal(source.calls, 1);
  });
});
