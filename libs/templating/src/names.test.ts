import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PULL_REQUEST_SLUG_MAX_LENGTH, sanitizeName, slugify } from './names.js';

describe('sanitizeName', () => {
  // Argo CD's utils.SanitizeName: lower case, [^-a-z0-9.] -> '-', cut at 253, trim '-' and '.'.
  const rows: Array<[input: string, expected: string]> = [
    ['production_01/west', 'production-01-west'], // cluster_test.go: nameNormalized of a cluster secret
    ['staging-01', 'staging-01'],
    ['in-cluster', 'in-cluster'],
    ['app_3', 'app-3'], // git directory basenameNormalized
    ['config.json', 'config.json'], // git file filenameNormalized keeps the dot
    ['Some_Cluster.Name', 'some-cluster.name'],
    ['UPPER', 'upper'],
    ['a b\tc', 'a-b-c'],
    ['--leading-and-trailing--', 'leading-and-trailing'],
    ['.dotted.', 'dotted'],
    ['-.-x-.-', 'x'],
    ['a__b', 'a--b'], // runs are not collapsed
    ['über', 'ber'], // one non-ASCII letter becomes one dash, then trimmed
    ['café-bar', 'caf--bar'],
    ['.', ''],
    ['', ''],
    ['___', ''],
    ['a'.repeat(300), 'a'.repeat(253)],
    [`${'a'.repeat(252)}-b`, 'a'.repeat(252)], // cut at 253 leaves a trailing '-', which is trimmed
    [`${'a'.repeat(252)}.b`, 'a'.repeat(252)],
    [`-${'b'.repeat(260)}`, 'b'.repeat(252)], // cut happens before trimming
  ];
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…(${input.length})` : input)} -> ${JSON.stringify(expected.length > 40 ? `(${expected.length} chars)` : expected)}`, () => {
      assert.equal(sanitizeName(input), expected);
    });
  }

  const anyText = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom('a', 'B', '-', '.', '_', '/', '9'), maxLength: 400 }),
  );

  it('property: only [a-z0-9.-], at most 253 characters, no leading or trailing "-" or "."', () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const out = sanitizeName(input);
        assert.match(out, /^[a-z0-9.-]*$/);
        assert.ok(out.length <= 253, `length ${out.length}`);
        assert.doesNotMatch(out, /^[-.]|[-.]$/);
      }),
      { numRuns: 500 },
    );
  });

  it('property: idempotent', () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const once = sanitizeName(input);
        assert.equal(sanitizeName(once), once);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a valid DNS subdomain-ish name is kept as it is', () => {
    const label = fc.string({ unit: fc.constantFrom(...'abcxyz0129'), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 5 }), fc.constantFrom('-', '.'), (labels, sep) => {
        const name = labels.join(sep);
        assert.equal(sanitizeName(name), name);
      }),
    );
  });
});

describe('slugify', () => {
  it('defaults to the pull request generator limit of 50', () => {
    assert.equal(PULL_REQUEST_SLUG_MAX_LENGTH, 50);
  });

  // Branch rows from Argo CD's pull_request_test.go; the rest is gosimple/slug behaviour
  // with Argo CD's settings (MaxLength 50, smart truncation, '_' -> '-').
  const rows: Array<{ input: string; expected: string; maxLength?: number }> = [
    {
      input: 'feat/areally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature',
      expected: 'feat-areally-long-pull-request-name-to-test-argo',
    },
    {
      input: 'feat/anotherreally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature',
      expected: 'feat-anotherreally-long-pull-request-name-to-test',
    },
    { input: 'a-very-short-sha', expected: 'a-very-short-sha' },
    { input: 'branch1', expected: 'branch1' },
    { input: 'master', expected: 'master' },
    { input: 'feature/JIRA-123_Add_Thing', expected: 'feature-jira-123-add-thing' },
    { input: '  Hello World  ', expected: 'hello-world' },
    { input: 'a//b..c', expected: 'a-b-c' },
    { input: '__leading_and_trailing__', expected: 'leading-and-trailing' },
    { input: '--x--', expected: 'x' },
    { input: 'Tom & Jerry', expected: 'tom-and-jerry' },
    { input: 'user@host', expected: 'userathost' },
    { input: 'it\'s "quoted"', expected: 'its-quoted' },
    { input: 'em—dash–en', expected: 'em-dash-en' },
    { input: 'Ünïcödé Brânch', expected: 'unicode-branch' },
    { input: 'Straße', expected: 'strasse' },
    { input: '', expected: '' },
    { input: '///', expected: '' },
    // one word longer than the limit is cut hard
    { input: 'x'.repeat(60), expected: 'x'.repeat(50) },
    // exactly at the limit: kept
    { input: `${'a'.repeat(24)}-${'b'.repeat(25)}`, expected: `${'a'.repeat(24)}-${'b'.repeat(25)}` },
    // one over: cut at the last dash at or before the limit
    { input: `${'a'.repeat(24)}-${'b'.repeat(26)}`, expected: 'a'.repeat(24) },
    // a dash exactly at index 50 counts
    { input: `${'a'.repeat(50)}-b`, expected: 'a'.repeat(50) },
    // custom limits
    { input: 'hello-big-world', maxLength: 10, expected: 'hello-big' },
    { input: 'hello-big-world', maxLength: 9, expected: 'hello-big' },
    { input: 'hello-big-world', maxLength: 8, expected: 'hello' },
    { input: 'helloworld', maxLength: 4, expected: 'hell' },
    // 0 turns truncation off
    { input: 'y'.repeat(80), maxLength: 0, expected: 'y'.repeat(80) },
  ];
  for (const row of rows) {
    it(`${JSON.stringify(row.input.length > 40 ? `${row.input.slice(0, 30)}…` : row.input)}${row.maxLength === undefined ? '' : ` (max ${row.maxLength})`}`, () => {
      assert.equal(row.maxLength === undefined ? slugify(row.input) : slugify(row.input, row.maxLength), row.expected);
    });
  }

  // Branch-name-like input: what git allows in a ref plus a bit of Unicode.
  const branchChars = fc.constantFrom(...'abcXYZ019-_/.+ @&\'"#~:é—ü'.split(''));
  const branch = fc.oneof(fc.string({ unit: branchChars, maxLength: 120 }), fc.string({ maxLength: 120 }));

  it('property: at most 50 characters of [a-z0-9_-], without leading or trailing "-" or "_"', () => {
    fc.assert(
      fc.property(branch, (input) => {
        const out = slugify(input);
        assert.ok(out.length <= 50, `length ${out.length}`);
        assert.match(out, /^[a-z0-9_-]*$/);
        assert.doesNotMatch(out, /^[-_]|[-_]$/);
        assert.doesNotMatch(out, /--/);
      }),
      { numRuns: 500 },
    );
  });

  it('property: idempotent', () => {
    fc.assert(
      fc.property(branch, (input) => {
        const once = slugify(input);
        assert.equal(slugify(once), once);
      }),
      { numRuns: 500 },
    );
  });

  it('property: respects any positive limit', () => {
    fc.assert(
      fc.property(branch, fc.integer({ min: 1, max: 60 }), (input, max) => {
        assert.ok(slugify(input, max).length <= max);
      }),
    );
  });
});
