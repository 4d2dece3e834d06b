import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterInfo, fieldPath, type ParamSet, RenderError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import { createDefaultRegistry } from './default-registry.js';
import type { GeneratorContext } from './generator.js';
import type { GeneratorSources } from './sources.js';

const registry = createDefaultRegistry();
const merge = registry.get('merge');
const PATH = 'spec.generators[0].merge';

function context(mode: 'flat' | 'nested', sources: GeneratorSources = {}): GeneratorContext {
  return { mode, engine: mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine(), sources, path: PATH };
}

async function generate(spec: unknown, ctx: GeneratorContext): Promise<ParamSet[]> {
  assert.ok(merge);
  return merge.generate(merge.schema.parse(spec), ctx);
}

const list = (...elements: Record<string, unknown>[]) => ({ list: { elements } });

describe('merge generator', () => {
  it('is registered under merge', () => {
    assert.equal(merge?.key, 'merge');
  });

  describe('flat params', () => {
    // Rows from Argo CD's merge_test.go TestMergeGenerate, plus more.
    const rows: Array<{ name: string; generators: unknown[]; mergeKeys: string[]; expected: ParamSet[] }> = [
      {
        name: 'happy flow: the override wins, sets only in later generators are dropped (conformance case 090)',
        generators: [list({ a: '1_1', b: 'same', c: '1_3' }), list({ a: '2_1', b: 'same' }), list({ a: '3_1', b: 'different', c: '3_3' })],
        mergeKeys: ['b'],
        expected: [{ a: '2_1', b: 'same', c: '1_3' }],
      },
      {
        name: 'merge keys absent from both sides match as null',
        generators: [list({ a: 'a' }), list({ a: 'a', extra: 'x' })],
        mergeKeys: ['b'],
        expected: [{ a: 'a', extra: 'x' }],
      },
      {
        name: 'a merge key present in the base only does not match',
        generators: [list({ a: 'a', b: 'b' }), list({ a: 'other' })],
        mergeKeys: ['b'],
        expected: [{ a: 'a', b: 'b' }],
      },
      {
        name: 'several merge keys must all agree',
        generators: [
          list({ a: '1', b: '1', c: 'base' }, { a: '1', b: '2', c: 'base' }),
          list({ a: '1', b: '2', c: 'override' }, { a: '2', b: '1', c: 'nope' }),
        ],
        mergeKeys: ['a', 'b'],
        expected: [
          { a: '1', b: '1', c: 'base' },
          { a: '1', b: '2', c: 'override' },
        ],
      },
      {
        name: 'later generators override earlier overrides',
        generators: [list({ k: 'x', v: 'base', only: 'base' }), list({ k: 'x', v: 'second', two: '2' }), list({ k: 'x', v: 'third' })],
        mergeKeys: ['k'],
        expected: [{ k: 'x', v: 'third', only: 'base', two: '2' }],
      },
      {
        name: 'base order is kept',
        generators: [list({ k: 'c' }, { k: 'a' }, { k: 'b' }), list({ k: 'a', hit: 'yes' })],
        mergeKeys: ['k'],
        expected: [{ k: 'c' }, { k: 'a', hit: 'yes' }, { k: 'b' }],
      },
      {
        name: 'repeated merge keys are used once',
        generators: [list({ k: '1', v: 'a' }), list({ k: '1', v: 'b' })],
        mergeKeys: ['k', 'k'],
        expected: [{ k: '1', v: 'b' }],
      },
      { name: 'an empty base', generators: [list(), list({ k: '1' })], mergeKeys: ['k'], expected: [] },
      { name: 'an empty override', generators: [list({ k: '1' }), list()], mergeKeys: ['k'], expected: [{ k: '1' }] },
      {
        name: 'a matrix child (Argo CD "merge nested matrix with some lists")',
        generators: [
          { matrix: { generators: [list({ a: '1' }, { a: '2' }), list({ b: '1' }, { b: '2' })] } },
          list({ a: '1', b: '1', c: 'added' }),
        ],
        mergeKeys: ['a', 'b'],
        expected: [
          { a: '1', b: '1', c: 'added' },
          { a: '1', b: '2' },
          { a: '2', b: '1' },
          { a: '2', b: '2' },
        ],
      },
      {
        name: 'a merge child',
        generators: [
          { merge: { mergeKeys: ['a'], generators: [list({ a: '1', b: 'x' }), list({ a: '1', b: 'y' })] } },
          list({ a: '1', c: 'z' }),
        ],
        mergeKeys: ['a'],
        expected: [{ a: '1', b: 'y', c: 'z' }],
      },
      {
        name: 'a selector on a child applies before merging',
        generators: [
          list({ k: '1' }, { k: '2' }),
          { ...list({ k: '1', v: 'a' }, { k: '2', v: 'b' }), selector: { matchLabels: { v: 'b' } } },
        ],
        mergeKeys: ['k'],
        expected: [{ k: '1' }, { k: '2', v: 'b' }],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        assert.deepEqual(await generate({ generators: row.generators, mergeKeys: row.mergeKeys }, context('flat')), row.expected);
      });
    }

    it('merges cluster generators by server (Argo CD docs example)', async () => {
      const clusters: ClusterInfo[] = [
        { name: 'a', server: 'https://1.2.3.4', labels: { 'use-kafka': 'false' }, annotations: {} },
        { name: 'b', server: 'https://2.4.6.8', labels: {}, annotations: {} },
      ];
      const params = await generate(
        {
          mergeKeys: ['server'],
          generators: [
            { clusters: { values: { kafka: 'true', redis: 'false' } } },
            { clusters: { selector: { matchLabels: { 'use-kafka': 'false' } }, values: { kafka: 'false' } } },
            list({ server: 'https://2.4.6.8', 'values.redis': 'true' }),
          ],
        },
        context('flat', { clusters: { listClusters: async () => clusters } }),
      );
      assert.deepEqual(
        params.map((p) => [p.name, p['values.kafka'], p['values.redis']]),
        [
          ['in-cluster', 'true', 'false'],
          ['a', 'false', 'false'],
          ['b', 'true', 'true'],
        ],
      );
    });

    for (const [index, generators] of [
      [0, [list({ k: '1', n: 'a' }, { k: '1', n: 'b' }), list({ k: '1' })]],
      [1, [list({ k: '1' }), list({ k: '2', n: 'a' }, { k: '2', n: 'b' })]],
    ] as const) {
      it(`rejects parameter sets of generators[${index}] that are not unique by the merge keys`, async () => {
        await assert.rejects(
          generate({ mergeKeys: ['k'], generators }, context('flat')),
          (error: unknown) =>
            error instanceof RenderError &&
            error.path === `spec.generators[0].merge.generators[${index}]` &&
            /not unique by the merge keys: \{"k":"[12]"\} appears twice/.test(error.message),
        );
      });
    }

    it('names the child field when a child fails', async () => {
      await assert.rejects(
        generate({ mergeKeys: ['k'], generators: [list({ k: '1' }), list({ k: 2 })] }, context('flat')),
        (error: unknown) =>
          error instanceof Error && 'path' in error && error.path === 'spec.generators[0].merge.generators[1].list.elements[0].k',
      );
    });
  });

  describe('nested params', () => {
    it('merges deeply, the override winning, and keeps JSON types', async () => {
      const params = await generate(
        {
          mergeKeys: ['server'],
          generators: [
            list(
              { server: 's1', cluster: { name: 'a', labels: { x: '1' } }, replicas: 1, tags: ['a', 'b'] },
              { server: 's2', replicas: 1 },
            ),
            list({ server: 's1', cluster: { labels: { y: '2' } }, replicas: 3, tags: ['c'] }),
          ],
        },
        context('nested'),
      );
      assert.deepEqual(params, [
        { server: 's1', cluster: { name: 'a', labels: { x: '1', y: '2' } }, replicas: 3, tags: ['c'] },
        { server: 's2', replicas: 1 },
      ]);
    });

    it('looks merge keys up as dotted paths into nested params', async () => {
      const params = await generate(
        {
          mergeKeys: ['cluster.name'],
          generators: [
            list({ cluster: { name: 'a' }, v: 'base' }, { cluster: { name: 'b' }, v: 'base' }),
            list({ cluster: { name: 'b' }, v: 'override' }),
          ],
        },
        context('nested'),
      );
      assert.deepEqual(params, [
        { cluster: { name: 'a' }, v: 'base' },
        { cluster: { name: 'b' }, v: 'override' },
      ]);
    });

    it('does not mutate the base parameter sets', async () => {
      const shared = { labels: { x: '1' } };
      await generate(
        { mergeKeys: ['k'], generators: [list({ k: '1', m: shared }), list({ k: '1', m: { labels: { y: '2' } } })] },
        context('nested'),
      );
      assert.deepEqual(shared, { labels: { x: '1' } });
    });
  });

  describe('schema', () => {
    function problems(spec: unknown): string[] {
      assert.ok(merge);
      const result = merge.schema.safeParse(spec);
      if (result.success) return [];
      return result.error.issues.map((issue) => {
        const path = issue.path.reduce<string>((acc, key) => fieldPath(acc, typeof key === 'number' ? key : String(key)), PATH);
        return `${path}: ${issue.message}`;
      });
    }

    const rows: Array<{ name: string; spec: unknown; expected: string[] }> = [
      {
        name: 'missing mergeKeys',
        spec: { generators: [list(), list()] },
        expected: [`${PATH}.mergeKeys: Invalid input: expected array, received undefined`],
      },
      {
        name: 'empty mergeKeys',
        spec: { generators: [list(), list()], mergeKeys: [] },
        expected: [`${PATH}.mergeKeys: name at least one merge key`],
      },
      {
        name: 'a non-string merge key',
        spec: { generators: [list(), list()], mergeKeys: [1] },
        expected: [`${PATH}.mergeKeys[0]: Invalid input: expected string, received number`],
      },
      // Argo CD: ErrLessThanTwoGeneratorsInMerge, "found less than two generators, Merge requires two or more".
      {
        name: 'a single generator',
        spec: { generators: [list()], mergeKeys: ['a'] },
        expected: [`${PATH}.generators: a merge combines at least two generators`],
      },
      {
        name: 'no generators',
        spec: { generators: [], mergeKeys: ['a'] },
        expected: [`${PATH}.generators: a merge combines at least two generators`],
      },
      {
        name: 'a bad child',
        spec: { generators: [list(), { list: {}, clusters: {} }], mergeKeys: ['a'] },
        expected: [`${PATH}.generators[1]: set exactly one generator per entry, found list and clusters`],
      },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        assert.deepEqual(problems(row.spec), row.expected);
      });
    }

    it('accepts more than two generators and a template override', () => {
      assert.deepEqual(problems({ generators: [list(), list(), list()], mergeKeys: ['a'], template: { metadata: { name: 'x' } } }), []);
    });
  });
});
