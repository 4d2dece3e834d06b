import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParamSet, type PullRequestInfo, SourceError, SpecError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import type { GeneratorContext } from './generator.js';
import { pullRequestGenerator } from './pull-request.js';
import type { PullRequestSource } from './sources.js';

const LONG_BRANCH = 'feat/areally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature';
const LONG_TARGET = 'feat/anotherreally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature';

const pr = (number: number, branch: string, extra: Partial<PullRequestInfo> = {}): PullRequestInfo => ({
  number,
  title: `title${number}`,
  branch,
  target_branch: 'master',
  head_sha: '089d92cbf9ff857a39e6feccd32798ca700fb958',
  labels: [],
  author: 'testName',
  ...extra,
});

// Pull requests of Argo CD's pull_request_test.go and the filter tests of services/pull_request/utils_test.go.
const PULLS: PullRequestInfo[] = [
  pr(1, 'branch1', { labels: ['preview'] }),
  pr(2, LONG_BRANCH, { target_branch: LONG_TARGET, head_sha: '9b34ff5bd418e57d58891eb0aa0728043ca1e8be' }),
  pr(3, 'feat-a', { title: 'feat: add a', target_branch: 'main', labels: ['preview', 'team-a'] }),
  pr(4, 'feat-b', { title: 'WIP: add b', target_branch: 'release-1.0', labels: ['team-a'] }),
  pr(5, 'fix-c', { title: 'fix c', target_branch: 'main', head_sha: 'abcd' }),
];

class FakePullRequests implements PullRequestSource {
  readonly calls: Array<[string, Readonly<Record<string, unknown>>]> = [];
  constructor(private readonly pulls: PullRequestInfo[] = PULLS) {}
  async listPullRequests(provider: string, settings: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    this.calls.push([provider, settings]);
    return this.pulls;
  }
}

const PATH = 'spec.generators[0].pullRequest';

function context(mode: 'flat' | 'nested', source: PullRequestSource | undefined = new FakePullRequests()): GeneratorContext {
  return {
    mode,
    engine: mode === 'flat' ? fastTemplateEngine : createHandlebarsEngine(),
    sources: source ? { pullRequests: source } : {},
    path: PATH,
  };
}

async function generate(spec: unknown, ctx: GeneratorContext): Promise<ParamSet[]> {
  return pullRequestGenerator.generate(pullRequestGenerator.schema.parse(spec), ctx);
}

const GITHUB = { github: { owner: 'argoproj', repo: 'argo-cd' } };

describe('pullRequestGenerator', () => {
  it('answers to the pullRequest key', () => {
    assert.equal(pullRequestGenerator.key, 'pullRequest');
  });

  describe('params', () => {
    it('gives every Argo CD param, number as a string (conformance cases 110, 111)', async () => {
      const params = await generate(GITHUB, context('flat'));
      assert.deepEqual(params[0], {
        number: '1',
        title: 'title1',
        branch: 'branch1',
        branch_slug: 'branch1',
        target_branch: 'master',
        target_branch_slug: 'master',
        head_sha: '089d92cbf9ff857a39e6feccd32798ca700fb958',
        head_short_sha: '089d92cb',
        head_short_sha_7: '089d92c',
        author: 'testName',
      });
      assert.deepEqual(params[1], {
        number: '2',
        title: 'title2',
        branch: LONG_BRANCH,
        branch_slug: 'feat-areally-long-pull-request-name-to-test-argo',
        target_branch: LONG_TARGET,
        target_branch_slug: 'feat-anotherreally-long-pull-request-name-to-test',
        head_sha: '9b34ff5bd418e57d58891eb0aa0728043ca1e8be',
        head_short_sha: '9b34ff5b',
        head_short_sha_7: '9b34ff5',
        author: 'testName',
      });
    });

    it('keeps a head SHA shorter than 8 or 7 characters whole', async () => {
      const params = await generate(GITHUB, context('flat'));
      const short = params.find((p) => p.number === '5');
      assert.equal(short?.head_short_sha, 'abcd');
      assert.equal(short?.head_short_sha_7, 'abcd');
    });

    it('gives labels to nested params only (Argo CD: Go templates only)', async () => {
      const [flatParams] = await generate(GITHUB, context('flat'));
      assert.equal(Object.hasOwn(flatParams ?? {}, 'labels'), false);
      const nestedParams = await generate(GITHUB, context('nested'));
      assert.deepEqual(nestedParams[0]?.labels, ['preview']);
      assert.deepEqual(nestedParams[2]?.labels, ['preview', 'team-a']);
      assert.equal(nestedParams[0]?.number, '1');
    });

    it('adds values templated against the pull request params', async () => {
      const flatParams = await generate(
        { ...GITHUB, values: { ns: 'pr-{{number}}-{{branch_slug}}', raw: '{{values.ns}}' } },
        context('flat'),
      );
      assert.equal(flatParams[0]?.['values.ns'], 'pr-1-branch1');
      assert.equal(flatParams[0]?.['values.raw'], '{{values.ns}}');
      const nestedParams = await generate(
        { ...GITHUB, values: { ns: 'pr-{{number}}', label: '{{#each labels}}{{this}},{{/each}}' } },
        context('nested'),
      );
      assert.deepEqual(nestedParams[2]?.values, { ns: 'pr-3', label: 'preview,team-a,' });
    });
  });

  describe('filters', () => {
    const rows: Array<{ name: string; filters: unknown[]; expected: string[] }> = [
      { name: 'no filters', filters: [], expected: ['1', '2', '3', '4', '5'] },
      { name: 'an empty filter matches everything', filters: [{}], expected: ['1', '2', '3', '4', '5'] },
      { name: 'branchMatch', filters: [{ branchMatch: '^feat-' }], expected: ['3', '4'] },
      { name: 'branchMatch is unanchored', filters: [{ branchMatch: 'eat-' }], expected: ['3', '4'] },
      { name: 'targetBranchMatch', filters: [{ targetBranchMatch: '^main$' }], expected: ['3', '5'] },
      { name: 'titleMatch', filters: [{ titleMatch: '^WIP' }], expected: ['4'] },
      { name: 'titleMatch with an inline flag', filters: [{ titleMatch: '(?i)^wip' }], expected: ['4'] },
      { name: 'conditions of one filter are ANDed', filters: [{ branchMatch: '^feat-', targetBranchMatch: '^main$' }], expected: ['3'] },
      {
        name: 'all three conditions of one filter',
        filters: [{ branchMatch: 'feat', targetBranchMatch: 'release', titleMatch: 'add' }],
        expected: ['4'],
      },
      { name: 'filters are ORed', filters: [{ branchMatch: '^fix-' }, { titleMatch: '^WIP' }], expected: ['4', '5'] },
      {
        name: 'OR of ANDs',
        filters: [
          { branchMatch: '^feat-', targetBranchMatch: '^release-' },
          { branchMatch: '^branch', targetBranchMatch: '^master$' },
        ],
        expected: ['1', '4'],
      },
      { name: 'nothing matching', filters: [{ branchMatch: '^nope$' }], expected: [] },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const params = await generate({ ...GITHUB, filters: row.filters }, context('flat'));
        assert.deepEqual(
          params.map((p) => p.number),
          row.expected,
        );
      });
    }

    const labelRows: Array<{ labels: string[]; expected: string[] }> = [
      { labels: [], expected: ['1', '2', '3', '4', '5'] },
      { labels: ['preview'], expected: ['1', '3'] },
      { labels: ['preview', 'team-a'], expected: ['3'] },
      { labels: ['team-a', 'missing'], expected: [] },
    ];
    for (const row of labelRows) {
      it(`provider labels ${JSON.stringify(row.labels)} require every label`, async () => {
        const params = await generate({ github: { owner: 'o', repo: 'r', labels: row.labels } }, context('flat'));
        assert.deepEqual(
          params.map((p) => p.number),
          row.expected,
        );
      });
    }

    it('applies provider labels and filters together', async () => {
      const params = await generate(
        { github: { owner: 'o', repo: 'r', labels: ['team-a'] }, filters: [{ targetBranchMatch: '^main$' }] },
        context('flat'),
      );
      assert.deepEqual(
        params.map((p) => p.number),
        ['3'],
      );
    });

    for (const field of ['branchMatch', 'targetBranchMatch', 'titleMatch']) {
      it(`names an invalid ${field} regular expression by its field path`, async () => {
        const source = new FakePullRequests();
        await assert.rejects(
          generate({ ...GITHUB, filters: [{ branchMatch: 'ok' }, { [field]: 'feat-(' }] }, context('flat', source)),
          (error: unknown) =>
            error instanceof SpecError &&
            error.path === `spec.generators[0].pullRequest.filters[1].${field}` &&
            /^invalid regular expression: /.test(error.reason),
        );
        assert.equal(source.calls.length, 0, 'filters are compiled before the provider is asked');
      });
    }
  });

  describe('providers and sources', () => {
    it('passes the provider name and its settings to the source', async () => {
      const source = new FakePullRequests([]);
      await generate({ gitlab: { project: '123', api: 'https://gitlab.example.com', labels: ['x'] } }, context('flat', source));
      await generate({ bitbucketServer: { project: 'P', repo: 'r', api: 'https://bb' } }, context('flat', source));
      assert.deepEqual(source.calls, [
        ['gitlab', { project: '123', api: 'https://gitlab.example.com', labels: ['x'] }],
        ['bitbucketServer', { project: 'P', repo: 'r', api: 'https://bb' }],
      ]);
    });

    it('fails with a SourceError naming the provider when no source is configured', async () => {
      await assert.rejects(
        pullRequestGenerator.generate(pullRequestGenerator.schema.parse(GITHUB), { ...context('flat'), sources: {} }),
        (error: unknown) =>
          error instanceof SourceError && error.message === 'spec.generators[0].pullRequest.github: no pull request source is configured',
      );
    });

    it('prefixes source errors with the provider field', async () => {
      const source: PullRequestSource = {
        listPullRequests: async () => {
          throw new SourceError('GitHub answered 401');
        },
      };
      await assert.rejects(
        generate(GITHUB, context('flat', source)),
        (error: unknown) => error instanceof SourceError && error.message === 'spec.generators[0].pullRequest.github: GitHub answered 401',
      );
    });

    it('passes other errors through unchanged', async () => {
      const boom = new RangeError('boom');
      const source: PullRequestSource = {
        listPullRequests: async () => {
          throw boom;
        },
      };
      await assert.rejects(generate(GITHUB, context('flat', source)), (error: unknown) => error === boom);
    });
  });

  describe('schema', () => {
    const rows: Array<{ name: string; spec: unknown; path: PropertyKey[]; message?: RegExp }> = [
      { name: 'no provider', spec: { filters: [] }, path: [], message: /name exactly one provider .*found 0/ },
      { name: 'two providers', spec: { github: {}, gitlab: {} }, path: [], message: /found 2/ },
      { name: 'an unknown provider', spec: { githubEnterprise: {} }, path: [] },
      { name: 'an unknown filter field', spec: { ...GITHUB, filters: [{ labelMatch: 'x' }] }, path: ['filters', 0] },
      { name: 'a non-string filter', spec: { ...GITHUB, filters: [{ branchMatch: 1 }] }, path: ['filters', 0, 'branchMatch'] },
      { name: 'a non-string value', spec: { ...GITHUB, values: { a: true } }, path: ['values', 'a'] },
      { name: 'a fractional requeueAfterSeconds', spec: { ...GITHUB, requeueAfterSeconds: 1.5 }, path: ['requeueAfterSeconds'] },
    ];
    for (const row of rows) {
      it(`rejects ${row.name}`, () => {
        const result = pullRequestGenerator.schema.safeParse(row.spec);
        assert.equal(result.success, false);
        const issue = result.error?.issues[0];
        assert.deepEqual(issue?.path, row.path);
        if (row.message) assert.match(issue?.message ?? '', row.message);
      });
    }

    it('accepts each provider', () => {
      for (const provider of ['github', 'gitlab', 'gitea', 'bitbucketServer', 'bitbucket', 'azuredevops', 'awsCodeCommit']) {
        assert.equal(pullRequestGenerator.schema.safeParse({ [provider]: {} }).success, true, provider);
      }
    });
  });
});
