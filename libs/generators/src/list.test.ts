import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParamSet, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import type { GeneratorContext } from './generator.js';
import { listGenerator } from './list.js';

const PATH = 'spec.generators[0].list';
const flat: GeneratorContext = { mode: 'flat', engine: fastTemplateEngine, sources: {}, path: PATH };
const nested: GeneratorContext = { mode: 'nested', engine: createHandlebarsEngine(), sources: {}, path: PATH };

async function generate(spec: unknown, context: GeneratorContext): Promise<ParamSet[]> {
  return listGenerator.generate(listGenerator.schema.parse(spec), context);
}

async function specError(spec: unknown, context: GeneratorContext): Promise<SpecError> {
  try {
    await generate(spec, context);
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected a SpecError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the list generator to fail');
}

describe('listGenerator', () => {
  it('answers to the list key', () => {
    assert.equal(listGenerator.key, 'list');
  });

  describe('flat params (fasttemplate)', () => {
    const rows: Array<{ name: string; spec: unknown; expected: ParamSet[] }> = [
      {
        name: 'one parameter set per element (Argo CD list_test.go)',
        spec: { elements: [{ cluster: 'cluster', url: 'url' }] },
        expected: [{ cluster: 'cluster', url: 'url' }],
      },
      {
        name: 'several elements in order',
        spec: {
          elements: [
            { cluster: 'engineering-dev', url: 'https://1.2.3.4' },
            { cluster: 'engineering-prod', url: 'https://2.4.6.8' },
          ],
        },
        expected: [
          { cluster: 'engineering-dev', url: 'https://1.2.3.4' },
          { cluster: 'engineering-prod', url: 'https://2.4.6.8' },
        ],
      },
      {
        name: 'values flattened to values.<key> (Argo CD list_test.go "values")',
        spec: { elements: [{ cluster: 'cluster', url: 'url', values: { foo: 'bar', 'a.b': 'c' } }] },
        expected: [{ cluster: 'cluster', url: 'url', 'values.foo': 'bar', 'values.a.b': 'c' }],
      },
      { name: 'an empty values map adds nothing', spec: { elements: [{ a: 'b', values: {} }] }, expected: [{ a: 'b' }] },
      { name: 'an empty element', spec: { elements: [{}] }, expected: [{}] },
      { name: 'no elements', spec: { elements: [] }, expected: [] },
      { name: 'nothing at all', spec: {}, expected: [] },
      { name: 'template strings in elements are kept as they are', spec: { elements: [{ a: '{{b}}' }] }, expected: [{ a: '{{b}}' }] },
      {
        name: 'elementsYaml appended after elements, unflattened and with their types',
        spec: { elements: [{ a: 'first' }], elementsYaml: '- a: second\n  count: 3\n  values: {foo: bar}\n- a: third' },
        expected: [{ a: 'first' }, { a: 'second', count: 3, values: { foo: 'bar' } }, { a: 'third' }],
      },
      { name: 'elementsYaml in JSON form', spec: { elementsYaml: '[{"a": "x"}]' }, expected: [{ a: 'x' }] },
      { name: 'an empty elementsYaml', spec: { elementsYaml: '  \n' }, expected: [] },
      { name: 'a null elementsYaml document', spec: { elementsYaml: '~' }, expected: [] },
      { name: 'an elementsYaml holding only a comment', spec: { elementsYaml: '# none yet' }, expected: [] },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        assert.deepEqual(await generate(row.spec, flat), row.expected);
      });
    }

    const errors: Array<{ name: string; spec: unknown; path: string; reason: RegExp }> = [
      {
        name: 'a number',
        spec: { elements: [{ cluster: 'a' }, { cluster: 'b', replicas: 3 }] },
        path: 'spec.generators[0].list.elements[1].replicas',
        reason: /must be a string .*got number 3/,
      },
      {
        name: 'a boolean',
        spec: { elements: [{ enabled: true }] },
        path: 'spec.generators[0].list.elements[0].enabled',
        reason: /got boolean true/,
      },
      { name: 'null', spec: { elements: [{ a: null }] }, path: 'spec.generators[0].list.elements[0].a', reason: /got null/ },
      { name: 'a list', spec: { elements: [{ a: ['x'] }] }, path: 'spec.generators[0].list.elements[0].a', reason: /got a list/ },
      { name: 'a map', spec: { elements: [{ a: { b: 'c' } }] }, path: 'spec.generators[0].list.elements[0].a', reason: /got a map/ },
      {
        name: 'a key needing quotes in the path',
        spec: { elements: [{ 'app.kubernetes.io/name': 1 }] },
        path: 'spec.generators[0].list.elements[0]["app.kubernetes.io/name"]',
        reason: /got number 1/,
      },
      {
        name: 'values not a map',
        spec: { elements: [{ values: 'x' }] },
        path: 'spec.generators[0].list.elements[0].values',
        reason: /must be a map of strings/,
      },
      {
        name: 'values a list',
        spec: { elements: [{ values: ['x'] }] },
        path: 'spec.generators[0].list.elements[0].values',
        reason: /must be a map of strings/,
      },
      {
        name: 'values null',
        spec: { elements: [{ values: null }] },
        path: 'spec.generators[0].list.elements[0].values',
        reason: /must be a map of strings/,
      },
      {
        name: 'a value not a string',
        spec: { elements: [{ a: 'b' }, { a: 'c', values: { ok: 'x', port: 8080 } }] },
        path: 'spec.generators[0].list.elements[1].values.port',
        reason: /must be a string .*got number 8080/,
      },
    ];
    for (const row of errors) {
      it(`rejects an element value that is ${row.name}, naming the field`, async () => {
        const error = await specError(row.spec, flat);
        assert.equal(error.path, row.path);
        assert.match(error.reason, row.reason);
        assert.equal(error.code, 'SPEC_INVALID');
      });
    }
  });

  describe('nested params (Handlebars)', () => {
    const rows: Array<{ name: string; spec: unknown; expected: ParamSet[] }> = [
      {
        name: 'elements keep their JSON types',
        spec: { elements: [{ cluster: 'a', replicas: 3, enabled: true, nothing: null, tags: ['x'], values: { foo: 'bar', n: 1 } }] },
        expected: [{ cluster: 'a', replicas: 3, enabled: true, nothing: null, tags: ['x'], values: { foo: 'bar', n: 1 } }],
      },
      {
        name: 'nested maps stay nested',
        spec: { elements: [{ cluster: { name: 'a', labels: { env: 'prod' } } }] },
        expected: [{ cluster: { name: 'a', labels: { env: 'prod' } } }],
      },
      {
        name: 'elementsYaml appended',
        spec: { elements: [{ a: 1 }], elementsYaml: '- a: 2\n  b: {c: true}' },
        expected: [{ a: 1 }, { a: 2, b: { c: true } }],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        assert.deepEqual(await generate(row.spec, nested), row.expected);
      });
    }
  });

  describe('elementsYaml errors', () => {
    const rows: Array<{ name: string; yaml: string; reason: RegExp }> = [
      { name: 'invalid YAML', yaml: '- a: [1, 2\n- b', reason: /^invalid YAML: .*line/ },
      { name: 'duplicate keys', yaml: '- a: 1\n  a: 2', reason: /^invalid YAML: / },
      { name: 'a map instead of a list', yaml: 'a: 1', reason: /must be a YAML list of maps/ },
      { name: 'a list of scalars', yaml: '- a\n- b', reason: /must be a YAML list of maps/ },
      { name: 'a list with a null', yaml: '- a: 1\n- ~', reason: /must be a YAML list of maps/ },
      { name: 'a list of lists', yaml: '- [a]', reason: /must be a YAML list of maps/ },
    ];
    for (const row of rows) {
      for (const context of [flat, nested]) {
        it(`rejects ${row.name} (${context.mode}), naming spec.generators[0].list.elementsYaml`, async () => {
          const error = await specError({ elementsYaml: row.yaml }, context);
          assert.equal(error.path, 'spec.generators[0].list.elementsYaml');
          assert.match(error.reason, row.reason);
        });
      }
    }
  });

  describe('schema', () => {
    const rows: Array<{ name: string; spec: unknown; path: PropertyKey[] }> = [
      { name: 'elements not a list', spec: { elements: { a: 'b' } }, path: ['elements'] },
      { name: 'an element not a map', spec: { elements: [{ a: 'b' }, 'x'] }, path: ['elements', 1] },
      { name: 'elementsYaml not a string', spec: { elementsYaml: [] }, path: ['elementsYaml'] },
      { name: 'an unknown field', spec: { element: [] }, path: [] },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        const result = listGenerator.schema.safeParse(row.spec);
        assert.equal(result.success, false);
        assert.deepEqual(result.error?.issues[0]?.path, row.path);
      });
    }

    it('accepts a generator template override', () => {
      assert.equal(listGenerator.schema.safeParse({ elements: [], template: { metadata: { name: 'x' } } }).success, true);
    });
  });
});
