import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { flattenParams, goFormat, selectorLabels } from './params.js';

describe('goFormat', () => {
  // What Go's fmt.Sprintf("%v", v) prints for a value encoding/json decoded into `any`
  // (every number is a float64), which is how Argo CD formats git file values.
  const rows: Array<[value: unknown, expected: string]> = [
    ['text', 'text'],
    ['', ''],
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1, '-1'],
    [8080, '8080'],
    [123, '123'],
    [1.5, '1.5'],
    [-2.25, '-2.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [100000, '100000'],
    [999999, '999999'],
    [999999.5, '999999.5'],
    [1000000, '1e+06'],
    [-1000000, '-1e+06'],
    [1500000, '1.5e+06'],
    [123456789, '1.23456789e+08'],
    [2 ** 53, '9.007199254740992e+15'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [5e-324, '5e-324'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [true, 'true'],
    [false, 'false'],
    [null, '<nil>'],
    [undefined, '<nil>'],
  ];
  for (const [value, expected] of rows) {
    it(`${Object.is(value, -0) ? '-0' : String(value)} -> ${expected}`, () => {
      assert.equal(goFormat(value), expected);
    });
  }

  it('property: integers below 1e6 print as plain integers, from 1e6 on in exponent form', () => {
    fc.assert(
      fc.property(fc.integer({ min: -999999, max: 999999 }), (n) => {
        assert.equal(goFormat(n), String(n));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000, max: Number.MAX_SAFE_INTEGER }), (n) => {
        assert.match(goFormat(n), /^\d(\.\d+)?e\+(0[6-9]|1[0-5])$/);
        assert.equal(Number(goFormat(n)), n);
      }),
    );
  });

  it('property: every finite double round-trips', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        assert.ok(Object.is(Number(goFormat(n)), n) || (n === 0 && Number(goFormat(n)) === 0));
      }),
    );
  });
});

describe('flattenParams', () => {
  const rows: Array<{ name: string; input: Record<string, unknown>; expected: Record<string, string> }> = [
    { name: 'flat strings', input: { a: 'x', b: 'y' }, expected: { a: 'x', b: 'y' } },
    {
      name: 'nested maps joined with dots',
      input: { cluster: { name: 'prod', owner: 'a@b' }, key2: { key2_2: { key2_2_1: 'v' } } },
      expected: { 'cluster.name': 'prod', 'cluster.owner': 'a@b', 'key2.key2_2.key2_2_1': 'v' },
    },
    { name: 'arrays by index', input: { a: ['x', ['y'], { z: 1 }] }, expected: { 'a.0': 'x', 'a.1.0': 'y', 'a.2.z': '1' } },
    {
      name: 'scalars formatted like Go %v',
      input: { n: 1000000, p: 8080, t: true, f: false, z: null },
      expected: { n: '1e+06', p: '8080', t: 'true', f: 'false', z: '<nil>' },
    },
    { name: 'empty maps and lists disappear', input: { a: {}, b: [], c: { d: {} }, e: 'x' }, expected: { e: 'x' } },
    { name: 'keys that already hold dots', input: { 'a.b': { c: 'x' } }, expected: { 'a.b.c': 'x' } },
    { name: 'an empty object', input: {}, expected: {} },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(flattenParams(row.input), row.expected);
    });
  }

  it('is the identity on maps of strings', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((key) => key !== '__proto__'),
          fc.string(),
        ),
        (params) => {
          assert.deepEqual(flattenParams(params), { ...params });
        },
      ),
    );
  });
});

describe('selectorLabels', () => {
  it('keeps flat params as they are, formatting any non-string', () => {
    assert.deepEqual(selectorLabels({ 'values.foo': 'bar', n: 3, path: 'a/b' }), { 'values.foo': 'bar', n: '3', path: 'a/b' });
  });

  it('flattens maps among flat params too (elementsYaml elements stay unflattened in fasttemplate mode)', () => {
    // Argo CD's Transform flattens every param set (flattenParameters) before matching, whatever the template language.
    assert.deepEqual(selectorLabels({ name: 'a', extra: { tier: 'web', ports: [80] } }), {
      name: 'a',
      'extra.tier': 'web',
      'extra.ports.0': '80',
    });
  });

  it('flattens nested params into dotted labels', () => {
    assert.deepEqual(selectorLabels({ metadata: { labels: { env: 'prod' } }, path: { segments: ['a', 'b'] }, replicas: 2 }), {
      'metadata.labels.env': 'prod',
      'path.segments.0': 'a',
      'path.segments.1': 'b',
      replicas: '2',
    });
  });
});
