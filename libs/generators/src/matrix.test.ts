import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterInfo, fieldPath, type ParamSet, RenderError, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import { createDefaultRegistry } from './default-registry.js';
import type { GeneratorContext } from './generator.js';
import type { ClusterSource, GeneratorSources, GitSource, GitTreeEntry } from './sources.js';

const registry = createDefaultRegistry();
const matrix = registry.get('matrix');
const PATH = 'spec.generators[0].matrix';

class CountingClusters implements ClusterSource {
  calls = 0;
  constructor(private readonly clusters: ClusterInfo[]) {}
  async listClusters(): Promise<ClusterInfo[]> {
    this.calls++;
    return this.clusters;
  }
}

/** Repositories in memory: repoURL -> directories (each listed with its parents). */
class DirectoryGit implements GitSource {
  readonly resolved: string[] = [];
  constructor(private readonly repos: Record<string, string[]>) {}
  async resolveRevision(repoURL: string): Promise<string> {
    this.resolved.push(repoURL);
    if (!this.repos[repoURL]) throw new Error(`unknown repository ${repoURL}`);
    return 'c0ffee';
  }
  async listTree(repoURL: string): Promise<GitTreeEntry[]> {
    return (this.repos[repoURL] ?? []).map((path) => ({ path, type: 'directory' as const }));
  }
  async readFile(): Promise<string> {
    throw new Error('no files here');
  }
}

const CLUSTERS: ClusterInfo[] = [
  { name: 'prod', server: 'https://prod.example.com', labels: { env: 'prod' }, annotations: {} },
  { name: 'dev', server: 'https://dev.example.com', labels: { env: 'dev' }, annotations: {} },
];

function context(mode: 'flat' | 'nested', sources: GeneratorSources = {}): GeneratorContext {
  return { mode, engine: mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine(), sources, path: PATH };
}

async function generate(spec: unknown, ctx: GeneratorContext): Promise<ParamSet[]> {
  assert.ok(matrix);
  return matrix.generate(matrix.schema.parse(spec), ctx);
}

const list = (...elements: Record<string, unknown>[]) => ({ list: { elements } });

describe('matrix generator', () => {
  it('is registered under matrix', () => {
    assert.equal(matrix?.key, 'matrix');
  });

  describe('flat params', () => {
    const rows: Array<{ name: string; spec: unknown; expected: ParamSet[] }> = [
      {
        name: 'the cartesian product, first child outermost',
        spec: { generators: [list({ a: '1' }, { a: '2' }), list({ b: 'x' }, { b: 'y' })] },
        expected: [
          { a: '1', b: 'x' },
          { a: '1', b: 'y' },
          { a: '2', b: 'x' },
          { a: '2', b: 'y' },
        ],
      },
      {
        name: 'the second child interpolated from each of the first child params',
        spec: { generators: [list({ env: 'dev' }, { env: 'prod' }), list({ app: 'web-{{env}}', url: 'https://{{env}}.example.com' })] },
        expected: [
          { env: 'dev', app: 'web-dev', url: 'https://dev.example.com' },
          { env: 'prod', app: 'web-prod', url: 'https://prod.example.com' },
        ],
      },
      {
        name: 'keys shared with the same value are fine',
        spec: { generators: [list({ env: 'dev', a: '1' }), list({ env: 'dev', b: '2' })] },
        expected: [{ env: 'dev', a: '1', b: '2' }],
      },
      {
        name: 'keys interpolated to the same value are fine',
        spec: { generators: [list({ env: 'dev' }), list({ env: '{{env}}' })] },
        expected: [{ env: 'dev' }],
      },
      {
        name: 'unknown tags stay verbatim in the second child',
        spec: { generators: [list({ env: 'dev' }), list({ x: '{{ nope }}' })] },
        expected: [{ env: 'dev', x: '{{ nope }}' }],
      },
      { name: 'an empty first child', spec: { generators: [list(), list({ b: 'x' })] }, expected: [] },
      { name: 'an empty second child', spec: { generators: [list({ a: '1' }), list()] }, expected: [] },
      {
        name: 'a selector on a child filters its params before combining',
        spec: { generators: [list({ a: '1' }, { a: '2' }), { ...list({ b: 'x' }, { b: 'y' }), selector: { matchLabels: { b: 'y' } } }] },
        expected: [
          { a: '1', b: 'y' },
          { a: '2', b: 'y' },
        ],
      },
      {
        name: 'a matrix nested in a matrix',
        spec: {
          generators: [{ matrix: { generators: [list({ a: '1' }, { a: '2' }), list({ b: '{{a}}x' })] } }, list({ c: '{{a}}-{{b}}' })],
        },
        expected: [
          { a: '1', b: '1x', c: '1-1x' },
          { a: '2', b: '2x', c: '2-2x' },
        ],
      },
      {
        name: 'a merge nested in a matrix',
        spec: {
          generators: [
            list({ env: 'dev' }),
            {
              merge: {
                mergeKeys: ['app'],
                generators: [list({ app: 'web', tier: 'front' }, { app: 'db', tier: 'back' }), list({ app: 'db', tier: '{{env}}-data' })],
              },
            },
          ],
        },
        expected: [
          { env: 'dev', app: 'web', tier: 'front' },
          { env: 'dev', app: 'db', tier: 'dev-data' },
        ],
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        assert.deepEqual(await generate(row.spec, context('flat')), row.expected);
      });
    }

    it('combines a git directory child with an interpolated list (conformance case 070)', async () => {
      const git = new DirectoryGit({ 'https://git.example.com/org/apps.git': ['app1', 'app2'] });
      const params = await generate(
        {
          generators: [
            { git: { repoURL: 'https://git.example.com/org/apps.git', revision: 'HEAD', directories: [{ path: '*' }] } },
            list({ cluster: 'Cluster', url: 'Url', templated: 'test-{{path.basenameNormalized}}' }),
          ],
        },
        context('flat', { git }),
      );
      assert.deepEqual(params, [
        {
          path: 'app1',
          'path.basename': 'app1',
          'path.basenameNormalized': 'app1',
          'path[0]': 'app1',
          cluster: 'Cluster',
          url: 'Url',
          templated: 'test-app1',
        },
        {
          path: 'app2',
          'path.basename': 'app2',
          'path.basenameNormalized': 'app2',
          'path[0]': 'app2',
          cluster: 'Cluster',
          url: 'Url',
          templated: 'test-app2',
        },
      ]);
    });

    it('interpolates a git repoURL from the first child', async () => {
      const git = new DirectoryGit({ 'https://git.example.com/team-a.git': ['svc'], 'https://git.example.com/team-b.git': ['api', 'ui'] });
      const params = await generate(
        {
          generators: [
            list({ team: 'team-a' }, { team: 'team-b' }),
            { git: { repoURL: 'https://git.example.com/{{team}}.git', directories: [{ path: '*' }] } },
          ],
        },
        context('flat', { git }),
      );
      assert.deepEqual(
        params.map((p) => `${p.team}:${p.path}`),
        ['team-a:svc', 'team-b:api', 'team-b:ui'],
      );
      assert.deepEqual(git.resolved, ['https://git.example.com/team-a.git', 'https://git.example.com/team-b.git']);
    });

    it('rejects a key both children set to different values, naming the matrix', async () => {
      await assert.rejects(
        generate({ generators: [list({ cluster: 'a', x: '1' }), list({ cluster: 'b' })] }, context('flat')),
        (error: unknown) =>
          error instanceof RenderError &&
          error.path === PATH &&
          /both child generators set param "cluster", to "a" and "b"/.test(error.message),
      );
    });

    it('names the second child field when its interpolated template is broken', async () => {
      await assert.rejects(
        generate({ generators: [list({ a: '1' }), list({ b: 'x {{a' })] }, context('flat')),
        (error: unknown) => error instanceof RenderError && error.path === 'spec.generators[0].matrix.generators[1].list.elements[0].b',
      );
    });

    it('names the child field when a child generator fails', async () => {
      await assert.rejects(
        generate({ generators: [list({ a: '1' }), list({ b: 2 })] }, context('flat')),
        (error: unknown) => error instanceof SpecError && error.path === 'spec.generators[0].matrix.generators[1].list.elements[0].b',
      );
    });
  });

  describe('how often the second child runs', () => {
    it('generates a second child without templates only once', async () => {
      const clusters = new CountingClusters(CLUSTERS);
      const params = await generate(
        { generators: [list({ app: 'a' }, { app: 'b' }, { app: 'c' }), { clusters: { selector: { matchLabels: { env: 'prod' } } } }] },
        context('flat', { clusters }),
      );
      assert.equal(clusters.calls, 1);
      assert.deepEqual(
        params.map((p) => `${p.app}@${p.name}`),
        ['a@prod', 'b@prod', 'c@prod'],
      );
    });

    it('generates a templated second child once per first-child parameter set', async () => {
      const clusters = new CountingClusters(CLUSTERS);
      const params = await generate(
        {
          generators: [
            list({ app: 'a' }, { app: 'b' }, { app: 'c' }),
            { clusters: { selector: { matchLabels: { env: 'dev' } }, values: { release: '{{app}}-{{name}}' } } },
          ],
        },
        context('flat', { clusters }),
      );
      assert.equal(clusters.calls, 3);
      // `{{app}}` is interpolated from the first child; `{{name}}` is left for the cluster generator's own values pass.
      assert.deepEqual(
        params.map((p) => p['values.release']),
        ['a-dev', 'b-dev', 'c-dev'],
      );
    });

    it('never runs the second child when the first gives nothing', async () => {
      const clusters = new CountingClusters(CLUSTERS);
      assert.deepEqual(await generate({ generators: [list(), { clusters: {} }] }, context('flat', { clusters })), []);
      assert.deepEqual(
        await generate({ generators: [list(), { clusters: { values: { a: '{{x}}' } } }] }, context('flat', { clusters })),
        [],
      );
      assert.equal(clusters.calls, 0);
    });
  });

  describe('nested params', () => {
    it('interpolates with Handlebars and merges deeply, the first child winning', async () => {
      const params = await generate(
        {
          generators: [
            list({ env: { name: 'dev', region: 'eu' }, shared: 'first' }),
            list({ app: '{{upper env.name}}-{{env.region}}', env: { tier: 'web', name: 'ignored' }, shared: 'second' }),
          ],
        },
        context('nested'),
      );
      assert.deepEqual(params, [{ env: { name: 'dev', region: 'eu', tier: 'web' }, shared: 'first', app: 'DEV-eu' }]);
    });

    it('keeps JSON types from both children', async () => {
      const params = await generate({ generators: [list({ replicas: 2 }), list({ enabled: true, ports: [80] })] }, context('nested'));
      assert.deepEqual(params, [{ replicas: 2, enabled: true, ports: [80] }]);
    });

    it('combines nested cluster params with git path params', async () => {
      const git = new DirectoryGit({ 'https://git.example.com/apps.git': ['apps', 'apps/web'] });
      const clusters = new CountingClusters(CLUSTERS);
      const params = await generate(
        {
          generators: [
            { clusters: { selector: { matchLabels: { env: 'prod' } } } },
            // Interpolation renders the whole block with the cluster params first; Handlebars renders the
            // unknown `path.basename` as empty there (as Go templates print "<no value>" in Argo CD).
            {
              git: {
                repoURL: 'https://git.example.com/apps.git',
                directories: [{ path: 'apps/*' }],
                values: { target: '{{name}}/{{path.basename}}' },
              },
            },
          ],
        },
        context('nested', { git, clusters }),
      );
      assert.deepEqual(params, [
        {
          name: 'prod',
          nameNormalized: 'prod',
          server: 'https://prod.example.com',
          project: '',
          metadata: { labels: { env: 'prod' } },
          path: { path: 'apps/web', basename: 'web', basenameNormalized: 'web', segments: ['apps', 'web'] },
          values: { target: 'prod/' },
        },
      ]);
    });
  });

  describe('schema', () => {
    function problems(spec: unknown): string[] {
      assert.ok(matrix);
      const result = matrix.schema.safeParse(spec);
      if (result.success) return [];
      return result.error.issues.map((issue) => {
        const path = issue.path.reduce<string>((acc, key) => fieldPath(acc, typeof key === 'number' ? key : String(key)), PATH);
        return `${path}: ${issue.message}`;
      });
    }

    const rows: Array<{ name: string; spec: unknown; expected: string[] | RegExp }> = [
      { name: 'one child', spec: { generators: [list()] }, expected: [`${PATH}.generators: a matrix combines exactly two generators`] },
      {
        name: 'three children',
        spec: { generators: [list(), list(), list()] },
        expected: [`${PATH}.generators: a matrix combines exactly two generators`],
      },
      { name: 'no children', spec: { generators: [] }, expected: [`${PATH}.generators: a matrix combines exactly two generators`] },
      { name: 'generators missing', spec: {}, expected: [`${PATH}.generators: Invalid input: expected array, received undefined`] },
      {
        name: 'a third nesting level',
        spec: { generators: [{ matrix: { generators: [{ matrix: { generators: [list(), list()] } }, list()] } }, list()] },
        expected:
          /^spec\.generators\[0\]\.matrix\.generators\[0\]\.matrix\.generators\[0\]\.matrix: a matrix generator cannot be nested this deep/,
      },
      {
        name: 'a nested matrix with one child',
        spec: { generators: [{ matrix: { generators: [list()] } }, list()] },
        expected: [`${PATH}.generators[0].matrix.generators: a matrix combines exactly two generators`],
      },
      { name: 'an unknown field', spec: { generators: [list(), list()], mode: 'x' }, expected: [`${PATH}: Unrecognized key: "mode"`] },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        const found = problems(row.spec);
        if (row.expected instanceof RegExp) {
          assert.equal(found.length, 1, found.join('\n'));
          assert.match(found[0] as string, row.expected);
        } else assert.deepEqual(found, row.expected);
      });
    }

    it('accepts a template override', () => {
      assert.deepEqual(problems({ generators: [list(), list()], template: { metadata: { name: 'x' } } }), []);
    });
  });
});
