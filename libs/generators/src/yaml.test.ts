import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYaml, parseYamlStream, yamlErrorReason } from './yaml.js';

describe('parseYaml', () => {
  const rows: Array<{ name: string; source: string; expected: unknown }> = [
    { name: 'a map', source: 'a: 1\nb: text', expected: { a: 1, b: 'text' } },
    { name: 'JSON', source: '{"a": [1, 2.5, "x"], "b": null}', expected: { a: [1, 2.5, 'x'], b: null } },
    {
      name: 'YAML 1.1 booleans (go-yaml)',
      source: 'a: yes\nb: no\nc: on\nd: off\ne: True',
      expected: { a: true, b: false, c: true, d: false, e: true },
    },
    {
      name: 'timestamps stay strings',
      source: 'date: 2024-01-02\nts: 2024-01-02T03:04:05Z',
      expected: { date: '2024-01-02', ts: '2024-01-02T03:04:05Z' },
    },
    {
      name: 'merge keys',
      source: 'base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3',
      expected: { base: { a: 1, b: 2 }, derived: { a: 1, b: 3 } },
    },
    // go-yaml v2 (sigs.k8s.io/yaml, Kubernetes) resolves y/n as booleans, keys included, which JSON then prints as "true"/"false".
    { name: 'y and n as keys (YAML 1.1)', source: 'y: 1\nn: 2\nx: 3', expected: { true: 1, false: 2, x: 3 } },
    { name: 'quoted numbers stay strings', source: 'port: "8080"', expected: { port: '8080' } },
    // go-yaml has no base-60 numbers: times and port pairs stay strings; octal and underscores are numbers.
    {
      name: 'no base-60 numbers',
      source: 'at: 1:20\nports: 8080:80\nmode: 0755\nbig: 1_000',
      expected: { at: '1:20', ports: '8080:80', mode: 493, big: 1000 },
    },
    { name: 'an empty document', source: '', expected: null },
    { name: 'a comment only', source: '# nothing', expected: null },
    { name: 'a list', source: '- a: 1\n- a: 2', expected: [{ a: 1 }, { a: 2 }] },
  ];
  for (const row of rows) {
    it(`parses ${row.name}`, () => {
      assert.deepEqual(parseYaml(row.source), row.expected);
    });
  }

  it('rejects duplicate keys', () => {
    assert.throws(() => parseYaml('a: 1\na: 2'), /unique|duplicate/i);
  });

  it('rejects broken YAML with a position', () => {
    assert.throws(
      () => parseYaml('a: [1, 2\nb: 3'),
      (error: unknown) => /line \d+/.test(yamlErrorReason(error)),
    );
  });
});

describe('parseYamlStream', () => {
  it('returns every non-empty document in order', () => {
    assert.deepEqual(parseYamlStream('a: 1\n---\n---\n# empty\n---\nb: 2\n'), [{ a: 1 }, { b: 2 }]);
  });

  it('returns nothing for an empty stream', () => {
    assert.deepEqual(parseYamlStream(''), []);
  });

  it('throws on the first broken document', () => {
    assert.throws(() => parseYamlStream('a: 1\n---\nb: [\n'));
  });
});

describe('yamlErrorReason', () => {
  it('keeps the first line of an error message', () => {
    assert.equal(yamlErrorReason(new Error('bad thing at line 1\n  a: [\n     ^')), 'bad thing at line 1');
    assert.equal(yamlErrorReason('plain'), 'plain');
  });
});
