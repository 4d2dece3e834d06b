import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterInfo, type ParamSet, RenderError, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import { createDefaultRegistry } from './default-registry.js';
import type { GeneratorContext } from './generator.js';
import type { GeneratorEntry } from './registry.js';
import type { GeneratorSources } from './sources.js';
import { entryIsInterpolated, runGeneratorEntry } from './transform.js';

const registry = createDefaultRegistry();
const ENTRY_PATH = 'spec.generators[2]';

function context(mode: 'flat' | 'nested', sources: GeneratorSources = {}): GeneratorContext {
  return { mode, engine: mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine(), sources, path: ENTRY_PATH };
}

/** Validates the entry as the ApplicationSet parser would, then runs it. */
async function run(entry: unknown, ctx: GeneratorContext, options = {}) {
  const parsed = registry.entrySchema.parse(entry);
  return runGeneratorEntry(parsed, registry, ctx, options);
}

async function names(entry: unknown, ctx: GeneratorContext, key = 'appName'): Promise<unknown[]> {
  return (await run(entry, ctx)).params.map((p) => p[key]);
}

describe('runGeneratorEntry', () => {
  describe('selector on flat params', () => {
    // Argo CD's generator_spec_processor_test.go TestMatchValues, and conformance case 044.
    const element = (appName: string, extra: Record<string, unknown> = {}) => ({ appName, cluster: 'cluster', url: 'url', ...extra });
    const rows: Array<{ name: string; entry: Record<string, unknown>; expected: string[] }> = [
      { name: 'no selector', entry: { list: { elements: [element('a'), element('b')] } }, expected: ['a', 'b'] },
      {
        name: 'an empty selector matches everything',
        entry: { list: { elements: [element('a'), element('b')] }, selector: {} },
        expected: ['a', 'b'],
      },
      { name: 'a null selector matches everything', entry: { list: { elements: [element('a')] }, selector: null }, expected: ['a'] },
      {
        name: 'values.foo should be foo but is bar',
        entry: { list: { elements: [element('ignored', { values: { foo: 'bar' } })] }, selector: { matchLabels: { 'values.foo': 'foo' } } },
        expected: [],
      },
      {
        name: 'values.foo should be bar',
        entry: {
          list: { elements: [element('selected', { values: { foo: 'bar' } })] },
          selector: { matchLabels: { 'values.foo': 'bar' } },
        },
        expected: ['selected'],
      },
      {
        name: 'matchLabels on a param, per element',
        entry: {
          list: { elements: [element('a', { env: 'prod' }), element('b', { env: 'dev' })] },
          selector: { matchLabels: { env: 'prod' } },
        },
        expected: ['a'],
      },
      {
        name: 'matchExpressions NotIn and DoesNotExist',
        entry: {
          list: { elements: [element('a', { env: 'prod' }), element('b', { env: 'dev' }), element('c')] },
          selector: {
            matchExpressions: [
              { key: 'env', operator: 'NotIn', values: ['prod'] },
              { key: 'tier', operator: 'DoesNotExist' },
            ],
          },
        },
        expected: ['b', 'c'],
      },
      {
        name: 'label values are not restricted (a URL)',
        entry: {
          list: { elements: [element('a', { url: 'https://1.2.3.4' }), element('b')] },
          selector: { matchLabels: { url: 'https://1.2.3.4' } },
        },
        expected: ['a'],
      },
      {
        name: 'elementsYaml maps are flattened before matching',
        entry: {
          list: { elementsYaml: '- appName: a\n  extra: {tier: web}\n- appName: b\n  extra: {tier: db}' },
          selector: { matchLabels: { 'extra.tier': 'db' } },
        },
        expected: ['b'],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        assert.deepEqual(await names(row.entry, context('flat')), row.expected);
      });
    }

    it('matches cluster params by their flattened metadata labels', async () => {
      const clusters: ClusterInfo[] = [
        { name: 'a', server: 'https://a.example.com', labels: { env: 'prod' }, annotations: {} },
        { name: 'b', server: 'https://b.example.com', labels: { env: 'dev' }, annotations: {} },
      ];
      const ctx = context('flat', { clusters: { listClusters: async () => clusters } });
      // The generator-level selector runs after generation, so it sees the implicit in-cluster too.
      assert.deepEqual(await names({ clusters: {}, selector: { matchLabels: { 'metadata.labels.env': 'prod' } } }, ctx, 'name'), ['a']);
      assert.deepEqual(
        await names({ clusters: {}, selector: { matchLabels: { server: 'https://kubernetes.default.svc' } } }, ctx, 'name'),
        ['in-cluster'],
      );
    });
  });

  describe('selector on nested params', () => {
    it('matches nested params flattened with dots, formatted like Go %v', async () => {
      const entry = {
        list: {
          elements: [
            { appName: 'a', cluster: { env: 'prod', replicas: 3 } },
            { appName: 'b', cluster: { env: 'prod', replicas: 1 } },
            { appName: 'c', cluster: { env: 'dev' } },
          ],
        },
        selector: { matchLabels: { 'cluster.env': 'prod', 'cluster.replicas': '3' } },
      };
      assert.deepEqual(await names(entry, context('nested')), ['a']);
    });

    it('matches list elements by index', async () => {
      const entry = {
        list: {
          elements: [
            { appName: 'a', tags: ['x', 'y'] },
            { appName: 'b', tags: ['y'] },
          ],
        },
        selector: { matchLabels: { 'tags.0': 'y' } },
      };
      assert.deepEqual(await names(entry, context('nested')), ['b']);
    });

    it('matches an empty selector to everything', async () => {
      assert.deepEqual(await names({ list: { elements: [{ appName: 'a' }, { appName: 'b' }] }, selector: {} }, context('nested')), [
        'a',
        'b',
      ]);
    });
  });

  describe('template', () => {
    const base = { metadata: { name: '{{appName}}', labels: { a: '1' } }, spec: { project: 'default' } };
    const rows: Array<{ name: string; entry: Record<string, unknown>; baseTemplate?: unknown; expected: unknown }> = [
      { name: 'no override gives the base template', entry: { list: { elements: [] } }, baseTemplate: base, expected: base },
      {
        name: 'the generator template is merged over the base (mergeTemplates)',
        entry: { list: { elements: [], template: { metadata: { name: 'override-{{appName}}', labels: { b: '2' } } } } },
        baseTemplate: base,
        expected: { metadata: { name: 'override-{{appName}}', labels: { a: '1', b: '2' } }, spec: { project: 'default' } },
      },
      {
        name: 'an override without a base',
        entry: { list: { elements: [], template: { metadata: { name: 'x' } } } },
        expected: { metadata: { name: 'x' } },
      },
      { name: 'neither gives an empty template', entry: { list: { elements: [] } }, expected: {} },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const options = row.baseTemplate === undefined ? {} : { baseTemplate: row.baseTemplate };
        assert.deepEqual((await run(row.entry, context('flat'), options)).template, row.expected);
      });
    }
  });

  describe('paths and interpolation', () => {
    it('gives the generator its block path for error messages', async () => {
      await assert.rejects(
        run({ list: { elements: [{ a: 'x' }, { a: 1 }] } }, context('flat')),
        (error: unknown) => error instanceof SpecError && error.path === 'spec.generators[2].list.elements[1].a',
      );
    });

    it('renders the block with outer params before generating when asked to interpolate', async () => {
      const { params } = await run({ list: { elements: [{ app: '{{name}}-web', '{{key}}': 'v' }] } }, context('flat'), {
        interpolate: { name: 'prod', key: 'k' },
      });
      assert.deepEqual(params, [{ app: 'prod-web', k: 'v' }]);
    });

    it('does not render the block without outer params', async () => {
      const { params } = await run({ list: { elements: [{ app: '{{name}}-web' }] } }, context('flat'));
      assert.deepEqual(params, [{ app: '{{name}}-web' }]);
    });

    it('names the field of a broken template in an interpolated block', async () => {
      await assert.rejects(
        run({ list: { elements: [{ app: '{{name' }] } }, context('flat'), { interpolate: { name: 'x' } }),
        (error: unknown) => error instanceof RenderError && error.path === 'spec.generators[2].list.elements[0].app',
      );
    });

    it('throws for an entry with a generator the registry does not hold', async () => {
      await assert.rejects(runGeneratorEntry({ nope: {} } as GeneratorEntry, registry, context('flat')), /not validated/);
    });
  });
});

describe('entryIsInterpolated', () => {
  const rows: Array<{ name: string; entry: GeneratorEntry; mode: 'flat' | 'nested'; expected: boolean }> = [
    { name: 'a static list', entry: { list: { elements: [{ a: 'b' }] } }, mode: 'flat', expected: false },
    { name: 'a templated value', entry: { list: { elements: [{ a: '{{b}}' }] } }, mode: 'flat', expected: true },
    { name: 'a templated key', entry: { list: { elements: [{ '{{k}}': 'b' }] } }, mode: 'flat', expected: true },
    {
      name: 'templated git values',
      entry: { git: { repoURL: 'r', files: [{ path: 'x' }], values: { a: '{{path}}' } } },
      mode: 'flat',
      expected: true,
    },
    { name: 'a Handlebars template', entry: { clusters: { values: { a: '{{upper name}}' } } }, mode: 'nested', expected: true },
    {
      name: 'a selector does not count',
      entry: { clusters: {}, selector: { matchLabels: { a: '{{b}}' } } },
      mode: 'flat',
      expected: false,
    },
  ];
  for (const row of rows) {
    it(`${row.name} -> ${row.expected}`, () => {
      const engine = row.mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine();
      assert.equal(entryIsInterpolated(row.entry, registry, engine, 'spec.generators[0].matrix.generators[1]'), row.expected);
    });
  }

  it('compiles a block once per engine and reuses it', async () => {
    const entry: GeneratorEntry = { list: { elements: [{ a: '{{x}}' }] } };
    const ctx = context('flat');
    const first = await runGeneratorEntry(entry, registry, ctx, { interpolate: { x: '1' } });
    const second = await runGeneratorEntry(entry, registry, ctx, { interpolate: { x: '2' } });
    assert.deepEqual(
      [...first.params, ...second.params].map((p: ParamSet) => p.a),
      ['1', '2'],
    );
  });
});
