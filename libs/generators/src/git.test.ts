import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParamSet, RenderError, SourceError, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import type { GeneratorContext } from './generator.js';
import { gitGenerator } from './git.js';
import type { GitSource, GitTreeEntry } from './sources.js';

const REPO = 'https://git.example.com/org/apps.git';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

type FileSpec = string | { symlink: string } | { submodule: true };

/** A git repository in memory: one commit on `main`, directories derived from the file paths. */
class InMemoryGit implements GitSource {
  readonly calls: string[] = [];
  constructor(private readonly files: Record<string, FileSpec>) {}

  async resolveRevision(repoURL: string, revision: string): Promise<string> {
    this.calls.push(`resolveRevision ${repoURL} ${revision}`);
    if (repoURL !== REPO) throw new SourceError(`repository ${repoURL} is not known`);
    if (!['', 'HEAD', 'main', COMMIT].includes(revision)) throw new SourceError(`revision ${revision} not found`);
    return COMMIT;
  }

  async listTree(repoURL: string, commit: string): Promise<GitTreeEntry[]> {
    this.calls.push(`listTree ${repoURL} ${commit}`);
    assert.equal(commit, COMMIT);
    const entries = new Map<string, GitTreeEntry>();
    for (const [path, spec] of Object.entries(this.files)) {
      const segments = path.split('/');
      for (let i = 1; i < segments.length; i++) {
        const dir = segments.slice(0, i).join('/');
        entries.set(dir, { path: dir, type: 'directory' });
      }
      const type = typeof spec === 'string' ? 'file' : 'symlink' in spec ? 'symlink' : 'submodule';
      entries.set(path, { path, type });
    }
    // Listing order must not matter: hand the entries out in reverse.
    return [...entries.values()].reverse();
  }

  async readFile(repoURL: string, commit: string, path: string): Promise<string> {
    this.calls.push(`readFile ${path}`);
    assert.equal(repoURL, REPO);
    assert.equal(commit, COMMIT);
    const spec = this.files[path];
    if (typeof spec === 'string') return spec;
    if (spec && 'symlink' in spec) return this.readFile(repoURL, commit, spec.symlink);
    throw new SourceError(`no such file ${path}`);
  }
}

const PATH = 'spec.generators[0].git';

function context(mode: 'flat' | 'nested', git: GitSource | undefined): GeneratorContext {
  const engine = mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine();
  return { mode, engine, sources: git ? { git } : {}, path: PATH };
}

async function generate(spec: Record<string, unknown>, mode: 'flat' | 'nested', git: GitSource | undefined): Promise<ParamSet[]> {
  return gitGenerator.generate(gitGenerator.schema.parse({ repoURL: REPO, ...spec }), context(mode, git));
}

async function failure(spec: Record<string, unknown>, mode: 'flat' | 'nested', git: GitSource | undefined): Promise<Error> {
  try {
    await generate(spec, mode, git);
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected the git generator to fail');
}

const DIRECTORY_TREE = new InMemoryGit({
  'apps/a/kustomization.yaml': '',
  'apps/b/kustomization.yaml': '',
  'apps/b/sub/values.yaml': '',
  'apps/app_3/kustomization.yaml': '',
  'apps/.hidden/kustomization.yaml': '',
  '.github/workflows/ci.yaml': '',
  'other/c/d/file.txt': '',
  'p1/app2/x': '',
  'p1/app3/x': '',
  'p2/app3/x': '',
  'README.md': '',
  vendor: { submodule: true },
  'link-to-dir': { symlink: 'apps/a' },
});

describe('gitGenerator', () => {
  it('answers to the git key', () => {
    assert.equal(gitGenerator.key, 'git');
  });

  describe('directories: which paths match (Go path.Match)', () => {
    const rows: Array<{ name: string; directories: Array<{ path: string; exclude?: boolean }>; expected: string[] }> = [
      {
        name: '* matches top-level directories only, hidden ones skipped',
        directories: [{ path: '*' }],
        expected: ['apps', 'other', 'p1', 'p2'],
      },
      { name: '* does not cross /', directories: [{ path: 'apps/*' }], expected: ['apps/a', 'apps/app_3', 'apps/b'] },
      { name: 'two levels', directories: [{ path: 'apps/*/*' }], expected: ['apps/b/sub'] },
      {
        name: '*/* spans two levels exactly',
        directories: [{ path: '*/*' }],
        expected: ['apps/a', 'apps/app_3', 'apps/b', 'other/c', 'p1/app2', 'p1/app3', 'p2/app3'],
      },
      { name: '** is just * for path.Match', directories: [{ path: '**' }], expected: ['apps', 'other', 'p1', 'p2'] },
      { name: 'a literal path', directories: [{ path: 'apps' }], expected: ['apps'] },
      { name: 'a deep literal path (parents are listed too)', directories: [{ path: 'other/c/d' }], expected: ['other/c/d'] },
      { name: '? matches one character', directories: [{ path: 'apps/?' }], expected: ['apps/a', 'apps/b'] },
      { name: 'a character class', directories: [{ path: 'apps/[ab]' }], expected: ['apps/a', 'apps/b'] },
      { name: 'a negated character class', directories: [{ path: 'apps/[^a]' }], expected: ['apps/b'] },
      { name: 'a pattern matching nothing', directories: [{ path: 'nope/*' }], expected: [] },
      {
        name: 'exclude wins over include (Argo CD git_test.go "with Exclude")',
        directories: [{ path: '*' }, { path: '*/*' }, { path: 'p1/*', exclude: true }],
        expected: ['apps', 'apps/a', 'apps/app_3', 'apps/b', 'other', 'other/c', 'p1', 'p2', 'p2/app3'],
      },
      {
        name: 'exclude wins whatever the order',
        directories: [{ path: 'p1/*', exclude: true }, { path: '*' }, { path: '*/*' }],
        expected: ['apps', 'apps/a', 'apps/app_3', 'apps/b', 'other', 'other/c', 'p1', 'p2', 'p2/app3'],
      },
      {
        name: 'a literal exclude',
        directories: [{ path: 'apps/*' }, { path: 'apps/b', exclude: true }],
        expected: ['apps/a', 'apps/app_3'],
      },
      { name: 'only excludes', directories: [{ path: 'apps/*', exclude: true }], expected: [] },
      {
        name: 'the same include twice gives each directory once',
        directories: [{ path: 'apps/a' }, { path: 'apps/?' }],
        expected: ['apps/a', 'apps/b'],
      },
      {
        name: 'hidden directories are never listed',
        directories: [{ path: 'apps/.hidden' }, { path: '.github' }, { path: '.github/*' }],
        expected: [],
      },
      { name: 'submodules and symlinks are not directories', directories: [{ path: 'vendor' }, { path: 'link-to-dir' }], expected: [] },
      { name: 'an escaped wildcard is literal', directories: [{ path: 'apps/\\*' }], expected: [] },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const params = await generate({ directories: row.directories }, 'flat', DIRECTORY_TREE);
        assert.deepEqual(
          params.map((p) => p.path),
          row.expected,
        );
      });
    }
  });

  describe('directories: params', () => {
    it('flat: path, basename, basenameNormalized and one path[n] per segment (Argo CD git_test.go)', async () => {
      const params = await generate({ directories: [{ path: 'apps/*' }, { path: 'apps/b/*' }] }, 'flat', DIRECTORY_TREE);
      assert.deepEqual(params, [
        { path: 'apps/a', 'path.basename': 'a', 'path.basenameNormalized': 'a', 'path[0]': 'apps', 'path[1]': 'a' },
        { path: 'apps/app_3', 'path.basename': 'app_3', 'path.basenameNormalized': 'app-3', 'path[0]': 'apps', 'path[1]': 'app_3' },
        { path: 'apps/b', 'path.basename': 'b', 'path.basenameNormalized': 'b', 'path[0]': 'apps', 'path[1]': 'b' },
        {
          path: 'apps/b/sub',
          'path.basename': 'sub',
          'path.basenameNormalized': 'sub',
          'path[0]': 'apps',
          'path[1]': 'b',
          'path[2]': 'sub',
        },
      ]);
    });

    it('flat: pathParamPrefix prefixes every path param', async () => {
      const params = await generate({ directories: [{ path: 'apps/a' }], pathParamPrefix: 'myRepo' }, 'flat', DIRECTORY_TREE);
      assert.deepEqual(params, [
        {
          'myRepo.path': 'apps/a',
          'myRepo.path.basename': 'a',
          'myRepo.path.basenameNormalized': 'a',
          'myRepo.path[0]': 'apps',
          'myRepo.path[1]': 'a',
        },
      ]);
    });

    it('nested: a path object with segments', async () => {
      const params = await generate({ directories: [{ path: 'apps/app_3' }, { path: 'other' }] }, 'nested', DIRECTORY_TREE);
      assert.deepEqual(params, [
        { path: { path: 'apps/app_3', basename: 'app_3', basenameNormalized: 'app-3', segments: ['apps', 'app_3'] } },
        { path: { path: 'other', basename: 'other', basenameNormalized: 'other', segments: ['other'] } },
      ]);
    });

    it('nested: pathParamPrefix nests the path object under the prefix', async () => {
      const params = await generate({ directories: [{ path: 'apps/a' }], pathParamPrefix: 'myRepo' }, 'nested', DIRECTORY_TREE);
      assert.deepEqual(params, [{ myRepo: { path: { path: 'apps/a', basename: 'a', basenameNormalized: 'a', segments: ['apps', 'a'] } } }]);
    });

    it('flat: values templated in one pass from the path params', async () => {
      const params = await generate(
        { directories: [{ path: 'apps/b' }], values: { app: '{{path.basename}}', both: '{{path}}-{{values.app}}', seg: '{{path[0]}}' } },
        'flat',
        DIRECTORY_TREE,
      );
      assert.deepEqual(params[0], {
        path: 'apps/b',
        'path.basename': 'b',
        'path.basenameNormalized': 'b',
        'path[0]': 'apps',
        'path[1]': 'b',
        'values.app': 'b',
        'values.both': 'apps/b-{{values.app}}',
        'values.seg': 'apps',
      });
    });

    it('nested: values templated with Handlebars', async () => {
      const params = await generate(
        {
          directories: [{ path: 'apps/b' }],
          pathParamPrefix: 'r',
          values: { app: '{{upper r.path.basename}}', first: '{{r.path.segments.[0]}}' },
        },
        'nested',
        DIRECTORY_TREE,
      );
      assert.deepEqual(params[0]?.values, { app: 'B', first: 'apps' });
    });

    it('names an invalid pattern by its field path', async () => {
      const error = await failure({ directories: [{ path: 'apps/*' }, { path: 'apps/[' }] }, 'flat', DIRECTORY_TREE);
      assert.ok(error instanceof SpecError);
      assert.equal(error.path, 'spec.generators[0].git.directories[1].path');
      assert.match(error.reason, /^invalid pattern: /);
    });
  });

  describe('files', () => {
    // The config files of Argo CD's TestGitGenerateParamsFromFiles.
    const PRODUCTION = `{
      "cluster": {"owner": "john.doe@example.com", "name": "production", "address": "https://kubernetes.default.svc"},
      "key1": "val1",
      "key2": {"key2_1": "val2_1", "key2_2": {"key2_2_1": "val2_2_1"}},
      "key3": 123
    }`;
    const STAGING = `{"cluster": {"owner": "foo.bar@example.com", "name": "staging", "address": "https://kubernetes.default.svc"}}`;
    const FILES = new InMemoryGit({
      'cluster-config/production/config.json': PRODUCTION,
      'cluster-config/staging/config.json': STAGING,
      'cluster-config/types/config.json':
        '{"big": 1000000, "port": 8080, "ratio": 0.5, "on": true, "off": false, "nothing": null, "list": [1, "a", {"b": 2}], "empty": {}, "none": []}',
      'cluster-config/list/config.yaml': '- name: one\n  replicas: 1\n- name: two\n  nested: {deep: yes}\n',
      'cluster-config/empty/config.yaml': '',
      'cluster-config/comment/config.yaml': '# nothing here\n',
      'cluster-config/emptylist/config.yaml': '[]',
      'cluster-config/My_Env/My_Config.JSON': '{"a": "b"}',
      'cluster-config/shadow/config.json': '{"path": "from-file", "x": "y"}',
      'config.json': '{"root": "yes"}',
      'p1/config.json': '{"p": 1}',
      'p1/p2/config.json': '',
      'links/config.json': { symlink: 'cluster-config/staging/config.json' },
      'bad/broken.yaml': 'a: [1, 2\nb: 3',
      'bad/scalar.yaml': 'just a string',
      'bad/list-of-scalars.yaml': '- a\n- b',
    });
    const filesOf = async (files: Array<{ path: string; exclude?: boolean }>, mode: 'flat' | 'nested' = 'flat', extra = {}) =>
      generate({ files, ...extra }, mode, FILES);

    it('flattens JSON objects and adds the path params (Argo CD git_test.go "happy flow")', async () => {
      const params = await filesOf([{ path: 'cluster-config/production/config.json' }, { path: 'cluster-config/staging/config.json' }]);
      assert.deepEqual(params, [
        {
          'cluster.owner': 'john.doe@example.com',
          'cluster.name': 'production',
          'cluster.address': 'https://kubernetes.default.svc',
          key1: 'val1',
          'key2.key2_1': 'val2_1',
          'key2.key2_2.key2_2_1': 'val2_2_1',
          key3: '123',
          path: 'cluster-config/production',
          'path.basename': 'production',
          'path[0]': 'cluster-config',
          'path[1]': 'production',
          'path.basenameNormalized': 'production',
          'path.filename': 'config.json',
          'path.filenameNormalized': 'config.json',
        },
        {
          'cluster.owner': 'foo.bar@example.com',
          'cluster.name': 'staging',
          'cluster.address': 'https://kubernetes.default.svc',
          path: 'cluster-config/staging',
          'path.basename': 'staging',
          'path[0]': 'cluster-config',
          'path[1]': 'staging',
          'path.basenameNormalized': 'staging',
          'path.filename': 'config.json',
          'path.filenameNormalized': 'config.json',
        },
      ]);
    });

    it('formats values like Go %v and indexes arrays (numbers are float64)', async () => {
      const [params] = await filesOf([{ path: 'cluster-config/types/config.json' }]);
      const values = Object.fromEntries(Object.entries(params ?? {}).filter(([key]) => key !== 'path' && !key.startsWith('path.')));
      assert.deepEqual(values, {
        big: '1e+06',
        port: '8080',
        ratio: '0.5',
        on: 'true',
        off: 'false',
        nothing: '<nil>',
        'list.0': '1',
        'list.1': 'a',
        'list.2.b': '2',
        'path[0]': 'cluster-config',
        'path[1]': 'types',
      });
    });

    it('gives one parameter set per object of a YAML list', async () => {
      const params = await filesOf([{ path: 'cluster-config/list/config.yaml' }]);
      assert.equal(params.length, 2);
      assert.deepEqual(
        params.map((p) => [p.name, p.replicas, p['nested.deep'], p.path, p['path.filename']]),
        [
          ['one', '1', undefined, 'cluster-config/list', 'config.yaml'],
          ['two', undefined, 'true', 'cluster-config/list', 'config.yaml'],
        ],
      );
    });

    const emptyPathParams = (dir: string, file: string) => ({
      path: `cluster-config/${dir}`,
      'path.basename': dir,
      'path.basenameNormalized': dir,
      'path.filename': file,
      'path.filenameNormalized': file,
      'path[0]': 'cluster-config',
      'path[1]': dir,
    });

    it('gives an empty file one parameter set with only the path params', async () => {
      assert.deepEqual(await filesOf([{ path: 'cluster-config/empty/config.yaml' }]), [emptyPathParams('empty', 'config.yaml')]);
      assert.deepEqual(await filesOf([{ path: 'cluster-config/comment/config.yaml' }]), [emptyPathParams('comment', 'config.yaml')]);
    });

    it('gives an empty YAML list no parameter set (Argo CD git_test.go "test empty YAML array")', async () => {
      assert.deepEqual(await filesOf([{ path: 'cluster-config/emptylist/config.yaml' }]), []);
    });

    it('normalizes basename and filename', async () => {
      const [params] = await filesOf([{ path: 'cluster-config/My_Env/*' }]);
      assert.equal(params?.['path.basenameNormalized'], 'my-env');
      assert.equal(params?.['path.filename'], 'My_Config.JSON');
      assert.equal(params?.['path.filenameNormalized'], 'my-config.json');
    });

    it('gives a file at the repository root the path "."', async () => {
      assert.deepEqual(await filesOf([{ path: 'config.json' }]), [
        {
          root: 'yes',
          path: '.',
          'path.basename': '.',
          'path.basenameNormalized': '',
          'path.filename': 'config.json',
          'path.filenameNormalized': 'config.json',
          'path[0]': '.',
        },
      ]);
    });

    it('lets the path params win over file keys of the same name', async () => {
      const [flatParams] = await filesOf([{ path: 'cluster-config/shadow/config.json' }]);
      assert.equal(flatParams?.path, 'cluster-config/shadow');
      assert.equal(flatParams?.x, 'y');
      const [nestedParams] = await filesOf([{ path: 'cluster-config/shadow/config.json' }], 'nested');
      assert.deepEqual(nestedParams?.path, {
        path: 'cluster-config/shadow',
        basename: 'shadow',
        filename: 'config.json',
        basenameNormalized: 'shadow',
        filenameNormalized: 'config.json',
        segments: ['cluster-config', 'shadow'],
      });
      assert.equal(nestedParams?.x, 'y');
    });

    it('uses git pathspecs: * crosses /, files are sorted and listed once, excludes win', async () => {
      const rows: Array<{ files: Array<{ path: string; exclude?: boolean }>; expected: string[] }> = [
        {
          files: [{ path: '**/config.json' }],
          expected: [
            'cluster-config/production',
            'cluster-config/shadow',
            'cluster-config/staging',
            'cluster-config/types',
            'links',
            'p1',
            'p1/p2',
          ],
        },
        {
          files: [{ path: '*/config.json' }],
          expected: [
            'cluster-config/production',
            'cluster-config/shadow',
            'cluster-config/staging',
            'cluster-config/types',
            'links',
            'p1',
            'p1/p2',
          ],
        },
        {
          files: [{ path: '**/config.json' }, { path: 'p1/**/config.json', exclude: true }],
          expected: ['cluster-config/production', 'cluster-config/shadow', 'cluster-config/staging', 'cluster-config/types', 'links', 'p1'],
        },
        {
          files: [{ path: 'cluster-config/*/config.json' }, { path: 'cluster-config/production/config.json' }],
          expected: ['cluster-config/production', 'cluster-config/shadow', 'cluster-config/staging', 'cluster-config/types'],
        },
        { files: [{ path: 'p1' }], expected: ['p1', 'p1/p2'] },
        { files: [{ path: 'p1' }, { path: 'p1/p2', exclude: true }], expected: ['p1'] },
        { files: [{ path: 'nothing/*.json' }], expected: [] },
      ];
      for (const row of rows) {
        const params = await filesOf(row.files);
        assert.deepEqual(
          params.map((p) => p.path),
          row.expected,
          JSON.stringify(row.files),
        );
      }
    });

    it('reads symbolic links as files', async () => {
      const [params] = await filesOf([{ path: 'links/config.json' }]);
      assert.equal(params?.['cluster.name'], 'staging');
    });

    it('nested: keeps the file values as they are and adds a path object', async () => {
      const params = await filesOf([{ path: 'cluster-config/list/config.yaml' }, { path: 'cluster-config/types/config.json' }], 'nested');
      const path = {
        path: 'cluster-config/list',
        basename: 'list',
        filename: 'config.yaml',
        basenameNormalized: 'list',
        filenameNormalized: 'config.yaml',
        segments: ['cluster-config', 'list'],
      };
      assert.deepEqual(params[0], { name: 'one', replicas: 1, path });
      assert.deepEqual(params[1], { name: 'two', nested: { deep: true }, path });
      assert.deepEqual(params[2], {
        big: 1000000,
        port: 8080,
        ratio: 0.5,
        on: true,
        off: false,
        nothing: null,
        list: [1, 'a', { b: 2 }],
        empty: {},
        none: [],
        path: {
          path: 'cluster-config/types',
          basename: 'types',
          filename: 'config.json',
          basenameNormalized: 'types',
          filenameNormalized: 'config.json',
          segments: ['cluster-config', 'types'],
        },
      });
    });

    it('nested: pathParamPrefix nests the path object', async () => {
      const [params] = await filesOf([{ path: 'p1/config.json' }], 'nested', { pathParamPrefix: 'cfg' });
      assert.deepEqual(params, {
        p: 1,
        cfg: {
          path: {
            path: 'p1',
            basename: 'p1',
            filename: 'config.json',
            basenameNormalized: 'p1',
            filenameNormalized: 'config.json',
            segments: ['p1'],
          },
        },
      });
    });

    it('flat: pathParamPrefix prefixes the path params, not the file values', async () => {
      const [params] = await filesOf([{ path: 'p1/config.json' }], 'flat', { pathParamPrefix: 'cfg' });
      assert.deepEqual(params, {
        p: '1',
        'cfg.path': 'p1',
        'cfg.path.basename': 'p1',
        'cfg.path.basenameNormalized': 'p1',
        'cfg.path.filename': 'config.json',
        'cfg.path.filenameNormalized': 'config.json',
        'cfg.path[0]': 'p1',
      });
    });

    it('adds templated values (conformance case 060)', async () => {
      const params = await filesOf(
        [{ path: '**/config.json' }, { path: 'p1/**', exclude: true }, { path: 'links/**', exclude: true }],
        'flat',
        {
          values: { aaa: '{{ cluster.owner }}', 'no-op': '{{ this-does-not-exist }}' },
        },
      );
      const production = params.find((p) => p.path === 'cluster-config/production');
      assert.equal(production?.['values.aaa'], 'john.doe@example.com');
      assert.equal(production?.['values.no-op'], '{{ this-does-not-exist }}');
      const types = params.find((p) => p.path === 'cluster-config/types');
      assert.equal(types?.['values.aaa'], '{{ cluster.owner }}');
    });

    const broken: Array<{ file: string; reason: RegExp }> = [
      { file: 'bad/broken.yaml', reason: /^bad\/broken\.yaml: not valid JSON or YAML: .*line/ },
      { file: 'bad/scalar.yaml', reason: /^bad\/scalar\.yaml: must hold a map or a list of maps$/ },
      { file: 'bad/list-of-scalars.yaml', reason: /^bad\/list-of-scalars\.yaml: must hold a map or a list of maps$/ },
    ];
    for (const row of broken) {
      it(`names the file and the field when ${row.file} cannot be read as params`, async () => {
        const error = await failure({ files: [{ path: row.file }] }, 'flat', FILES);
        assert.ok(error instanceof RenderError);
        assert.equal(error.path, 'spec.generators[0].git.files');
        assert.match(error.reason, row.reason);
      });
    }

    it('names an invalid pattern by its field path', async () => {
      const error = await failure({ files: [{ path: 'ok/*' }, { path: 'trailing\\' }] }, 'flat', FILES);
      assert.ok(error instanceof SpecError);
      assert.equal(error.path, 'spec.generators[0].git.files[1].path');
    });
  });

  describe('sources', () => {
    it('resolves HEAD by default, then the given revision, once per generation', async () => {
      const git = new InMemoryGit({ 'a/x': '' });
      await generate({ directories: [{ path: '*' }] }, 'flat', git);
      await generate({ directories: [{ path: '*' }], revision: 'main' }, 'flat', git);
      assert.deepEqual(git.calls, [
        `resolveRevision ${REPO} HEAD`,
        `listTree ${REPO} ${COMMIT}`,
        `resolveRevision ${REPO} main`,
        `listTree ${REPO} ${COMMIT}`,
      ]);
    });

    it('reads only the files that match', async () => {
      const git = new InMemoryGit({ 'a/config.json': '{}', 'b/other.json': '{}' });
      await generate({ files: [{ path: '*/config.json' }] }, 'flat', git);
      assert.deepEqual(
        git.calls.filter((c) => c.startsWith('readFile')),
        ['readFile a/config.json'],
      );
    });

    it('fails with a SourceError naming repoURL when no git source is configured', async () => {
      const error = await failure({ directories: [{ path: '*' }] }, 'flat', undefined);
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^spec\.generators\[0\]\.git\.repoURL: no git source is configured to read https:\/\/git\.example\.com/);
    });

    it('prefixes source errors with the repoURL field', async () => {
      const error = await failure({ directories: [{ path: '*' }], revision: 'v9.9.9' }, 'flat', new InMemoryGit({}));
      assert.ok(error instanceof SourceError);
      assert.equal(error.message, 'spec.generators[0].git.repoURL: revision v9.9.9 not found');
      assert.ok(error.cause instanceof SourceError);
    });

    it('passes other errors through unchanged', async () => {
      const boom = new TypeError('boom');
      const git: GitSource = {
        resolveRevision: async () => COMMIT,
        listTree: async () => [{ path: 'a.json', type: 'file' }],
        readFile: async () => {
          throw boom;
        },
      };
      await assert.rejects(generate({ files: [{ path: '*.json' }] }, 'flat', git), (error: unknown) => error === boom);
    });
  });

  describe('schema', () => {
    const rows: Array<{ name: string; spec: unknown; path: PropertyKey[]; message?: RegExp }> = [
      {
        name: 'both directories and files',
        spec: { repoURL: REPO, directories: [{ path: '*' }], files: [{ path: '*' }] },
        path: [],
        message: /exactly one of directories or files/,
      },
      { name: 'neither directories nor files', spec: { repoURL: REPO }, path: [], message: /exactly one of directories or files/ },
      { name: 'empty directories and files lists', spec: { repoURL: REPO, directories: [], files: [] }, path: [], message: /exactly one/ },
      { name: 'a missing repoURL', spec: { directories: [{ path: '*' }] }, path: ['repoURL'] },
      { name: 'an empty repoURL', spec: { repoURL: '', directories: [{ path: '*' }] }, path: ['repoURL'], message: /must not be empty/ },
      {
        name: 'an empty path',
        spec: { repoURL: REPO, directories: [{ path: '*' }, { path: '' }] },
        path: ['directories', 1, 'path'],
        message: /must not be empty/,
      },
      { name: 'exclude not a boolean', spec: { repoURL: REPO, files: [{ path: '*', exclude: 'yes' }] }, path: ['files', 0, 'exclude'] },
      { name: 'a non-string value', spec: { repoURL: REPO, files: [{ path: '*' }], values: { a: 1 } }, path: ['values', 'a'] },
      {
        name: 'a negative requeueAfterSeconds',
        spec: { repoURL: REPO, files: [{ path: '*' }], requeueAfterSeconds: -1 },
        path: ['requeueAfterSeconds'],
      },
      { name: 'an unknown field', spec: { repoURL: REPO, files: [{ path: '*' }], revison: 'main' }, path: [] },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        const result = gitGenerator.schema.safeParse(row.spec);
        assert.equal(result.success, false);
        const issue = result.error?.issues[0];
        assert.deepEqual(issue?.path, row.path);
        if (row.message) assert.match(issue?.message ?? '', row.message);
      });
    }
  });
});
