import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fieldPath } from '#contracts';
import { createDefaultRegistry, SOURCE_GENERATORS } from './default-registry.js';
import type { Generator } from './generator.js';
import { createRegistry, entryKey, type GeneratorEntry } from './registry.js';

const registry = createDefaultRegistry();

/** Validation problems as `path: message`, paths printed as the CLI prints them. */
function problems(input: unknown, schema = registry.entrySchema, prefix = 'spec.generators[0]'): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, key) => fieldPath(acc, typeof key === 'number' ? key : String(key)), prefix);
    return issue.code === 'unrecognized_keys' ? `${path}: unknown field ${issue.keys.join(', ')}` : `${path}: ${issue.message}`;
  });
}

const list = { list: { elements: [{ a: 'b' }] } };

describe('createDefaultRegistry', () => {
  it('knows every source generator plus matrix and merge', () => {
    assert.deepEqual(registry.keys, ['list', 'clusters', 'git', 'pullRequest', 'matrix', 'merge']);
    assert.deepEqual(
      SOURCE_GENERATORS.map((g) => g.key),
      ['list', 'clusters', 'git', 'pullRequest'],
    );
    for (const key of registry.keys) assert.equal(registry.get(key)?.key, key);
    assert.equal(registry.get('scmProvider'), undefined);
  });

  describe('entrySchema', () => {
    const rows: Array<{ name: string; entry: unknown; expected: string[] }> = [
      { name: 'one list generator', entry: list, expected: [] },
      { name: 'a generator with a selector', entry: { ...list, selector: { matchLabels: { a: 'b' } } }, expected: [] },
      { name: 'a generator with a null selector', entry: { ...list, selector: null }, expected: [] },
      {
        name: 'no generator',
        entry: {},
        expected: ['spec.generators[0]: set one generator (list, clusters, git, pullRequest, matrix, merge)'],
      },
      {
        name: 'only a selector',
        entry: { selector: { matchLabels: { a: 'b' } } },
        expected: ['spec.generators[0]: set one generator (list, clusters, git, pullRequest, matrix, merge)'],
      },
      {
        name: 'two generators',
        entry: { ...list, clusters: {} },
        expected: ['spec.generators[0]: set exactly one generator per entry, found list and clusters'],
      },
      { name: 'an unknown generator', entry: { ...list, lists: {} }, expected: ['spec.generators[0]: unknown field lists'] },
      {
        name: 'scmProvider',
        entry: { scmProvider: { github: {} } },
        expected: ['spec.generators[0].scmProvider: the scmProvider generator is not supported yet'],
      },
      {
        name: 'plugin',
        entry: { plugin: { configMapRef: { name: 'x' } } },
        expected: ['spec.generators[0].plugin: the plugin generator is not supported yet'],
      },
      {
        name: 'clusterDecisionResource',
        entry: { clusterDecisionResource: { configMapRef: 'x' } },
        expected: ['spec.generators[0].clusterDecisionResource: the clusterDecisionResource generator is not supported yet'],
      },
      {
        name: 'a bad block of a known generator',
        entry: { list: { elements: 'nope' } },
        expected: ['spec.generators[0].list.elements: Invalid input: expected array, received string'],
      },
      {
        name: 'a bad selector',
        entry: { ...list, selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
        expected: ['spec.generators[0].selector.matchExpressions[0].values: must be non-empty for operator In'],
      },
    ];
    for (const row of rows) {
      it(`validates ${row.name}`, () => {
        assert.deepEqual(problems(row.entry), row.expected);
      });
    }
  });

  describe('nesting depth', () => {
    const rows: Array<{ name: string; entry: unknown; expected: string[] | RegExp }> = [
      { name: 'matrix of source generators', entry: { matrix: { generators: [list, list] } }, expected: [] },
      { name: 'merge of source generators', entry: { merge: { mergeKeys: ['a'], generators: [list, list] } }, expected: [] },
      { name: 'matrix in matrix', entry: { matrix: { generators: [{ matrix: { generators: [list, list] } }, list] } }, expected: [] },
      {
        name: 'merge in matrix',
        entry: { matrix: { generators: [list, { merge: { mergeKeys: ['a'], generators: [list, list] } }] } },
        expected: [],
      },
      {
        name: 'matrix in merge',
        entry: { merge: { mergeKeys: ['a'], generators: [{ matrix: { generators: [list, list] } }, list] } },
        expected: [],
      },
      {
        name: 'a third matrix level',
        entry: { matrix: { generators: [{ matrix: { generators: [{ matrix: { generators: [list, list] } }, list] } }, list] } },
        expected: [
          'spec.generators[0].matrix.generators[0].matrix.generators[0].matrix: a matrix generator cannot be nested this deep (matrix and merge nest two levels: a nested matrix or merge may only hold list, clusters, git, pullRequest)',
        ],
      },
      {
        name: 'a third level merge in matrix in merge',
        entry: {
          merge: {
            mergeKeys: ['a'],
            generators: [list, { matrix: { generators: [list, { merge: { mergeKeys: ['a'], generators: [list, list] } }] } }],
          },
        },
        expected:
          /^spec\.generators\[0\]\.merge\.generators\[1\]\.matrix\.generators\[1\]\.merge: a merge generator cannot be nested this deep/,
      },
      {
        name: 'an unsupported generator nested in a matrix',
        entry: { matrix: { generators: [list, { plugin: {} }] } },
        expected: ['spec.generators[0].matrix.generators[1].plugin: the plugin generator is not supported yet'],
      },
      {
        name: 'two generators in one nested entry',
        entry: { matrix: { generators: [{ ...list, clusters: {} }, list] } },
        expected: ['spec.generators[0].matrix.generators[0]: set exactly one generator per entry, found list and clusters'],
      },
    ];
    for (const row of rows) {
      it(`validates ${row.name}`, () => {
        const found = problems(row.entry);
        if (row.expected instanceof RegExp) {
          assert.equal(found.length, 1, found.join('\n'));
          assert.match(found[0] as string, row.expected);
        } else assert.deepEqual(found, row.expected);
      });
    }
  });
});

describe('createRegistry', () => {
  const echo: Generator<{ value: string; template?: unknown }> = {
    key: 'echo',
    schema: z.strictObject({ value: z.string() }),
    generate: async (spec) => [{ value: spec.value }],
  };
  const custom = createRegistry([echo], ['other']);

  it('registers a custom generator and validates its block', () => {
    assert.deepEqual(custom.keys, ['echo']);
    assert.deepEqual(problems({ echo: { value: 'x' } }, custom.entrySchema), []);
    assert.deepEqual(problems({ echo: { value: 1 } }, custom.entrySchema), [
      'spec.generators[0].echo.value: Invalid input: expected string, received number',
    ]);
  });

  it('names known but unavailable generators', () => {
    assert.match(
      problems({ other: {} }, custom.entrySchema).join('\n'),
      /^spec\.generators\[0\]\.other: a other generator cannot be nested this deep/,
    );
  });

  it('entryKey finds the generator an entry sets', () => {
    assert.equal(entryKey({ echo: { value: 'x' }, selector: {} } as GeneratorEntry, custom), 'echo');
    assert.equal(entryKey({ selector: {}, git: { repoURL: 'x' } } as GeneratorEntry, registry), 'git');
    assert.throws(() => entryKey({ selector: {} } as GeneratorEntry, custom), /not validated/);
  });
});
