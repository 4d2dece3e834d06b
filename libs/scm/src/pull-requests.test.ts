import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createPullRequestSource, ScmPullRequestSource } from './pull-requests.js';
import { secretsFrom } from './test-server.js';

describe('ScmPullRequestSource', () => {
  it('dispatches to the provider registered under the key', async () => {
    const calls: unknown[] = [];
    const source = new ScmPullRequestSource([
      {
        key: 'github',
        listPullRequests: async (settings) => {
          calls.push(settings);
          return [];
        },
      },
    ]);
    assert.deepEqual(await source.listPullRequests('github', { owner: 'a', repo: 'b' }), []);
    assert.deepEqual(calls, [{ owner: 'a', repo: 'b' }]);
  });

  it('refuses an unknown provider with a SourceError', async () => {
    const source = createPullRequestSource({ secrets: secretsFrom({}) });
    await assert.rejects(source.listPullRequests('bitbucketServer', {}), (error: Error) => {
      assert.ok(error instanceof SourceError);
      assert.equal(error.message, 'pull request provider bitbucketServer is not supported (supported: github, gitlab, gitea)');
      return true;
    });
  });
});

describe('with the pull request generator', () => {
  it('feeds the generator, which applies the label filter and prefixes errors with the field path', async () => {
    const { SOURCE_GENERATORS } = await import('#generators');
    const pullRequestGenerator = SOURCE_GENERATORS.find((g) => g.key === 'pullRequest');
    assert.ok(pullRequestGenerator);
    const { fastTemplateEngine } = await import('#templating');
    const { startServer, sendJson } = await import('./test-server.js');
    const server = await startServer((req, res) => {
      if (req.url.pathname !== '/api/v3/repos/acme/app/pulls') return sendJson(res, 500, {});
      sendJson(res, 200, [
        {
          number: 7,
          title: 'seven',
          head: { ref: 'feat/x', sha: '0123456789abcdef' },
          base: { ref: 'main' },
          labels: [{ name: 'preview' }],
          user: { login: 'ann' },
        },
        {
          number: 8,
          title: 'eight',
          head: { ref: 'feat/y', sha: 'fedcba9876543210' },
          base: { ref: 'main' },
          labels: [],
          user: { login: 'bob' },
        },
      ]);
    });
    try {
      const context = {
        mode: 'flat' as const,
        engine: fastTemplateEngine,
        sources: { pullRequests: createPullRequestSource({ secrets: secretsFrom({}) }) },
        path: 'spec.generators[0].pullRequest',
      };
      const spec = (github: Record<string, unknown>) => pullRequestGenerator.schema.parse({ github });
      const params = await pullRequestGenerator.generate(
        spec({ owner: 'acme', repo: 'app', api: server.origin, labels: ['preview'] }),
        context,
      );
      assert.deepEqual(
        params.map((p: Record<string, unknown>) => [p.number, p.branch_slug, p.head_short_sha]),
        [['7', 'feat-x', '01234567']],
      );
      await assert.rejects(
        pullRequestGenerator.generate(spec({ owner: 'acme', repo: 'other', api: server.origin }), context),
        /^SourceError: spec\.generators\[0\]\.pullRequest\.github: github: cannot list pull requests of acme\/other: HTTP 500/,
      );
    } finally {
      await server.close();
    }
  });
});
