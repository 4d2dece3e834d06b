import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createRepository, type TestRepository } from '#testing';
import { compileGitPathspec, compileGoPathPattern, GlobSyntaxError } from './glob.js';

describe('compileGoPathPattern', () => {
  // Go's path.Match test table (src/path/match_test.go), plus rows for behaviour Argo CD's
  // directory generator depends on. 'bad' is path.ErrBadPattern.
  const rows: Array<[pattern: string, name: string, expected: boolean | 'bad']> = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['[]a]', ']', 'bad'],
    ['[-]', '-', 'bad'],
    ['[x-]', 'x', 'bad'],
    ['[x-]', '-', 'bad'],
    ['[x-]', 'z', 'bad'],
    ['[-x]', 'x', 'bad'],
    ['[-x]', '-', 'bad'],
    ['[-x]', 'a', 'bad'],
    ['\\', 'a', 'bad'],
    ['[a-b-c]', 'a', 'bad'],
    ['[', 'a', 'bad'],
    ['[^', 'a', 'bad'],
    ['[^bc', 'a', 'bad'],
    ['a[', 'a', 'bad'],
    ['a[', 'ab', 'bad'],
    ['a[', 'x', 'bad'],
    ['a/b[', 'x', 'bad'],
    ['*x', 'xxx', true],
    // More rows for the directory generator.
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['*', 'a/b', false],
    ['*/*', 'apps/web', true],
    ['*/*', 'apps/web/sub', false],
    ['**', 'apps/web', false], // ** is two stars, not doublestar
    ['apps/**', 'apps/web', true],
    ['apps/**', 'apps/web/sub', false],
    ['a/*', 'a/', true],
    ['\\a', 'a', true],
    ['a.b', 'axb', false], // regular expression characters are literal
    ['a+b', 'a+b', true],
    ['(a)|b', '(a)|b', true],
    ['^a$', '^a$', true],
    ['{a,b}', 'a', false], // no brace expansion
    ['[αβγ]', 'β', true],
    ['[^a]', '/', true], // a class may match '/', '?' and '*' may not
    ['a[/]b', 'a/b', true],
    ['[z-a]', 'b', false], // a reversed range is not an error in Go: it matches nothing
    ['[z-a]', 'z', false],
    ['[^z-a]', 'b', true],
    ['[z-ax]', 'x', true],
    ['app[0-9]', 'app7', true],
    ['app[0-9]', 'app', false],
    ['app[!0-9]', 'app!', true], // '!' does not negate in Go: it is one more character of the class
    ['app[!0-9]', 'app5', true],
    ['app[!0-9]', 'appx', false],
    ['App', 'app', false], // case-sensitive
  ];

  for (const [pattern, name, expected] of rows) {
    if (expected === 'bad') {
      it(`rejects ${JSON.stringify(pattern)} as a bad pattern`, () => {
        assert.throws(() => compileGoPathPattern(pattern), GlobSyntaxError);
      });
    } else {
      it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
        assert.equal(compileGoPathPattern(pattern).test(name), expected);
      });
    }
  }

  it('property: a pattern without wildcards matches only itself', () => {
    const literal = fc.string({ unit: fc.constantFrom(...'ab/.-_+()$^|{}'.split('')), maxLength: 12 });
    fc.assert(
      fc.property(literal, literal, (pattern, name) => {
        assert.equal(compileGoPathPattern(pattern).test(name), pattern === name);
      }),
    );
  });

  it('property: * never crosses a slash', () => {
    const segment = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-'), minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const path = segments.join('/');
        const stars = segments.map(() => '*').join('/');
        assert.equal(compileGoPathPattern(stars).test(path), true);
        assert.equal(compileGoPathPattern('*').test(path), segments.length === 1);
      }),
    );
  });
});

const REPO_FILES = [
  'config.json',
  'a/config.json',
  'a/b/config.json',
  'a/x.yaml',
  'b/x.yaml',
  'bx/x.yaml',
  'c/x.yaml',
  'abc/one.json',
  'axc/two.json',
  'abc/deep/three.json',
  'a.c/four.json',
  'apps/x.yaml',
  'apps/sub/y.yaml',
  'apps/sub/deeper/z.yaml',
  'apps-extra/z.yaml',
  'appsx',
  'dir/file',
  'dir/sub/file2',
  'dirx/file',
  'docs/README.md',
  'README.md',
  'x.yaml',
  '.hidden/config.json',
  'space dir/f.json',
  'weird[ab]/f.json',
  'unclosed[x/f.json',
  'unclosed[x*',
  ']/y.json',
  'star*name/f.json',
  'q?mark/f.json',
  'Upper/X.YAML',
  'cluster-charts/cluster1/mychart/values.yaml',
  'cluster-charts/cluster1/mychart/charts/mysubchart/values.yaml',
  'cluster-charts/cluster2/values.yaml',
  '1digit/values.yaml',
];

describe('compileGitPathspec against real git ls-files', () => {
  let repo: TestRepository | undefined;
  let allFiles: string[] = [];
  const cleanups: Array<() => void> = [];

  const gitLsFiles = (pattern: string): string[] =>
    (repo as TestRepository)
      .git('ls-files', '-z', '--', pattern)
      .split('\0')
      .filter((p) => p.length > 0)
      .sort();
  const ours = (pattern: string): string[] => allFiles.filter(compileGitPathspec(pattern)).sort();

  before(() => {
    repo = createRepository(
      { after: (fn) => void cleanups.push(fn as () => void) },
      Object.fromEntries(REPO_FILES.map((file) => [file, `${file}\n`])),
    );
    allFiles = gitLsFiles('.');
    assert.equal(allFiles.length, REPO_FILES.length);
  });

  after(() => {
    for (const cleanup of cleanups) cleanup();
  });

  const patterns = [
    '*',
    '**',
    '**/config.json',
    '*/config.json',
    'config.json',
    'a/**/config.json',
    'apps/*',
    'apps/**',
    'apps/*.yaml',
    'apps/sub/',
    'apps',
    'a?c/*.json',
    '[ab]*/x.yaml',
    '[!a]*/x.yaml',
    '[^a]*/x.yaml',
    '[a-c]/x.yaml',
    '[[:digit:]]*',
    '*[[:upper:]]*',
    'dir',
    'dir/',
    'dir/sub',
    '*.yaml',
    '*.json',
    '*.md',
    '.hidden',
    '.hidden/*',
    '**/deep/*',
    'ap*/sub',
    '?',
    '??',
    '?/x.yaml',
    'weird[ab]/f.json',
    'weird[ab]',
    'unclosed[*', // an unclosed class makes wildmatch give up: only literal matches remain
    'unclosed[x/*',
    'unclosed[x*',
    '[[:foo:]]*', // so does an unknown [:class:]
    '[[:alpha:]-]*',
    '[]]*', // ']' first in a class is literal
    '[!]]*',
    'star*name/f.json',
    'star\\*name/f.json',
    'q?mark/*',
    'space dir/*',
    './apps/*',
    'Upper',
    'nomatch',
    'nomatch*',
    'cluster-charts/*/*/values.yaml',
    'cluster-charts/*/values.yaml',
    'cluster-charts/**/values.yaml',
  ];

  for (const pattern of patterns) {
    it(`matches what git ls-files -- ${JSON.stringify(pattern)} lists`, () => {
      assert.deepEqual(ours(pattern), gitLsFiles(pattern));
    });
  }

  it('property: random patterns select the same files as git', () => {
    const token = fc.constantFrom(
      ...['*', '**', '?', 'a', 'b', 'c', 'x', '/', '.', '-', 'json', 'yaml', 'config', 'apps', 'dir', 'sub', 'values'],
      ...['[ab]', '[!a]', '[^a]', '[a-c]', '[[:alpha:]]', '[', ']', '!', '[:foo:]', '\\'],
    );
    // Leading ':' is pathspec magic, which git reads and we do not support; a trailing backslash is an error for us.
    const pattern = fc
      .array(token, { minLength: 1, maxLength: 7 })
      .map((tokens) => tokens.join(''))
      .filter(
        (p) =>
          !p.startsWith('/') &&
          !p.startsWith(':') &&
          !p.endsWith('\\') &&
          !p.includes('//') &&
          !p.split('/').some((segment) => segment === '.' || segment === '..'),
      );
    fc.assert(
      fc.property(pattern, (p) => {
        assert.deepEqual(ours(p), gitLsFiles(p), `pattern ${JSON.stringify(p)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a pattern ending with an unfinished escape', () => {
    assert.throws(() => compileGitPathspec('apps/\\'), GlobSyntaxError);
  });

  it('treats "", "." and "./" as the whole repository', () => {
    for (const pattern of ['', '.', './']) assert.deepEqual(ours(pattern), [...allFiles].sort());
  });
});
