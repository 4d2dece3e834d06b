import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGoRegExp } from './regexp.js';

describe('compileGoRegExp', () => {
  const rows: Array<{ pattern: string; input: string; expected: boolean }> = [
    { pattern: 'feat', input: 'my-feat-branch', expected: true }, // unanchored, as Go's MatchString
    { pattern: '^feat', input: 'my-feat-branch', expected: false },
    { pattern: '^feat/.*$', input: 'feat/x', expected: true },
    { pattern: '(?i)^FEAT', input: 'feat-x', expected: true },
    { pattern: '^FEAT', input: 'feat-x', expected: false },
    { pattern: '(?s)a.b', input: 'a\nb', expected: true },
    { pattern: 'a.b', input: 'a\nb', expected: false },
    { pattern: '(?m)^b$', input: 'a\nb', expected: true },
    { pattern: '(?is)^A.B$', input: 'a\nb', expected: true },
    { pattern: '(?P<ticket>[A-Z]+-\\d+)', input: 'fix/ABC-12', expected: true },
    { pattern: '^release-\\d+\\.\\d+$', input: 'release-1.2', expected: true },
    { pattern: '^release-\\d+\\.\\d+$', input: 'release-1.2.3', expected: false },
    { pattern: '', input: 'anything', expected: true },
  ];
  for (const row of rows) {
    it(`${row.pattern} ${row.expected ? 'matches' : 'does not match'} ${JSON.stringify(row.input)}`, () => {
      assert.equal(compileGoRegExp(row.pattern).test(row.input), row.expected);
    });
  }

  it('turns named groups into JavaScript named groups', () => {
    assert.equal(compileGoRegExp('(?P<n>\\d+)').exec('pr-42')?.groups?.n, '42');
  });

  it('is not stateful between calls (no global flag)', () => {
    const regExp = compileGoRegExp('a');
    assert.equal(regExp.test('a'), true);
    assert.equal(regExp.test('a'), true);
  });

  for (const pattern of ['(', '[a-', 'a{2,1}', '(?U)a+']) {
    it(`throws for ${JSON.stringify(pattern)}`, () => {
      assert.throws(() => compileGoRegExp(pattern), SyntaxError);
    });
  }
});
