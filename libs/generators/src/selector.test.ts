import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath } from '#contracts';
import { isEmptySelector, type LabelSelector, labelSelectorSchema, matchesSelector } from './selector.js';

const LABELS = { env: 'prod', region: 'eu', 'argocd.argoproj.io/secret-type': 'cluster', server: 'https://1.2.3.4' };

describe('matchesSelector', () => {
  const rows: Array<{ name: string; selector: NonNullable<LabelSelector>; expected: boolean }> = [
    { name: 'empty selector', selector: {}, expected: true },
    { name: 'empty matchLabels and matchExpressions', selector: { matchLabels: {}, matchExpressions: [] }, expected: true },
    { name: 'matchLabels equal', selector: { matchLabels: { env: 'prod' } }, expected: true },
    { name: 'matchLabels all must hold', selector: { matchLabels: { env: 'prod', region: 'us' } }, expected: false },
    { name: 'matchLabels on a missing label', selector: { matchLabels: { tier: 'web' } }, expected: false },
    { name: 'matchLabels value is not restricted (URL)', selector: { matchLabels: { server: 'https://1.2.3.4' } }, expected: true },
    { name: 'matchLabels with a prefixed key', selector: { matchLabels: { 'argocd.argoproj.io/secret-type': 'cluster' } }, expected: true },
    { name: 'In, value listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, expected: true },
    { name: 'In, value not listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, expected: false },
    { name: 'In, label missing', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, expected: false },
    { name: 'NotIn, value listed', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, expected: false },
    {
      name: 'NotIn, value not listed',
      selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      expected: true,
    },
    { name: 'NotIn, label missing', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, expected: true },
    { name: 'Exists, present', selector: { matchExpressions: [{ key: 'region', operator: 'Exists' }] }, expected: true },
    { name: 'Exists, missing', selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, expected: false },
    { name: 'DoesNotExist, missing', selector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, expected: true },
    { name: 'DoesNotExist, present', selector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, expected: false },
    {
      name: 'labels and expressions together (AND)',
      selector: { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] },
      expected: false,
    },
    {
      name: 'several expressions, all holding',
      selector: {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'tier', operator: 'DoesNotExist' },
          { key: 'region', operator: 'Exists' },
        ],
      },
      expected: true,
    },
    {
      name: 'Object.prototype names are not labels',
      selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      expected: false,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(matchesSelector(row.selector, LABELS), row.expected);
    });
  }

  it('matches an empty value against an empty label value', () => {
    assert.equal(matchesSelector({ matchLabels: { empty: '' } }, { empty: '' }), true);
    assert.equal(matchesSelector({ matchLabels: { empty: '' } }, {}), false);
  });
});

describe('isEmptySelector', () => {
  const rows: Array<[LabelSelector | undefined, boolean]> = [
    [undefined, true],
    [null, true],
    [{}, true],
    [{ matchLabels: {} }, true],
    [{ matchExpressions: [] }, true],
    [{ matchLabels: { a: 'b' } }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, false],
  ];
  for (const [selector, expected] of rows) {
    it(`${JSON.stringify(selector)} -> ${expected}`, () => {
      assert.equal(isEmptySelector(selector), expected);
    });
  }
});

describe('labelSelectorSchema', () => {
  function issues(input: unknown): string[] {
    const result = labelSelectorSchema.safeParse(input);
    if (result.success) return [];
    return result.error.issues.map((issue) => {
      const path = issue.path.reduce<string>((acc, key) => fieldPath(acc, typeof key === 'number' ? key : String(key)), '');
      return `${path}: ${issue.message}`;
    });
  }

  const rows: Array<{ name: string; input: unknown; expected: string[] }> = [
    {
      name: 'a valid selector',
      input: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] },
      expected: [],
    },
    { name: 'null', input: null, expected: [] },
    {
      name: 'In without values',
      input: { matchExpressions: [{ key: 'a', operator: 'In' }] },
      expected: ['matchExpressions[0].values: must be non-empty for operator In'],
    },
    {
      name: 'NotIn with an empty list',
      input: {
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['x'] },
          { key: 'b', operator: 'NotIn', values: [] },
        ],
      },
      expected: ['matchExpressions[1].values: must be non-empty for operator NotIn'],
    },
    {
      name: 'Exists with values',
      input: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      expected: ['matchExpressions[0].values: must be empty for operator Exists'],
    },
    {
      name: 'DoesNotExist with values',
      input: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] },
      expected: ['matchExpressions[0].values: must be empty for operator DoesNotExist'],
    },
    {
      name: 'empty key',
      input: { matchExpressions: [{ key: '', operator: 'Exists' }] },
      expected: ['matchExpressions[0].key: must not be empty'],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(issues(row.input), row.expected);
    });
  }

  it('rejects unknown operators, non-string label values and unknown fields, naming the field', () => {
    assert.match(
      issues({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }).join('\n'),
      /^matchExpressions\[0\]\.operator: /,
    );
    assert.match(issues({ matchLabels: { a: 1 } }).join('\n'), /^matchLabels\.a: /);
    const unknown = labelSelectorSchema.safeParse({ matchLabel: { a: 'b' } });
    assert.equal(unknown.success, false);
    assert.equal(unknown.error?.issues[0]?.code, 'unrecognized_keys');
  });
});
