import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { GithubProvider, githubBaseUrl } from './github.js';
import { closedOrigin, type RecordedRequest, secretsFrom, sendJson, startServer, type TestServer } from './test-server.js';

const TOKEN = 'ghp_s3cr3t-token-value';
const PER_PAGE = 100;

const pull = (n: number) => ({
  number: n,
  title: `PR ${n}`,
  draft: n === 2,
  head: { ref: `feature-${n}`, sha: `sha${n}`.padEnd(40, '0') },
  base: { ref: 'main' },
  labels: n % 2 === 0 ? [{ name: 'preview' }, { name: 'team-a' }] : [],
  user: { login: `user${n}` },
});

/** GitHub's pulls endpoint under GHE's `/api/v3`: Link pagination, per-page ETags, failure modes. */
function github(state: { pulls: ReturnType<typeof pull>[]; version: number; mode: string }) {
  return (req: RecordedRequest, res: ServerResponse, origin: string) => {
    if (req.url.pathname !== '/api/v3/repos/acme/app/pulls') return sendJson(res, 404, { message: 'Not Found' });
    if (state.mode === 'ratelimit') {
      return sendJson(
        res,
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1900000000' },
      );
    }
    if (state.mode === 'secondary') return sendJson(res, 429, { message: 'slow down' }, { 'retry-after': '60' });
    if (state.mode === '500') return sendJson(res, 500, { message: 'boom' });
    if (state.mode === '401') return sendJson(res, 401, { message: 'Bad credentials' });
    const page = Number(req.url.searchParams.get('page') ?? '1');
    const etag = `"v${state.version}-p${page}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      return void res.end();
    }
    const items = state.pulls.slice((page - 1) * PER_PAGE, page * PER_PAGE);
    const last = Math.max(1, Math.ceil(state.pulls.length / PER_PAGE));
    const headers: Record<string, string> = { etag };
    if (page < last) {
      const next = new URL(req.url.pathname, origin);
      next.search = `state=open&per_page=${PER_PAGE}&page=${page + 1}`;
      const lastUrl = new URL(next);
      lastUrl.searchParams.set('page', String(last));
      headers.link = `<${next}>; rel="next", <${lastUrl}>; rel="last"`;
    }
    sendJson(res, 200, items, headers);
  };
}

describe('GithubProvider', () => {
  const state = { pulls: [] as ReturnType<typeof pull>[], version: 1, mode: 'ok' };
  let server: TestServer;
  let provider: GithubProvider;
  let settings: Record<string, unknown>;

  before(async () => {
    server = await startServer(github(state));
  });
  after(() => server.close());
  beforeEach(() => {
    state.pulls = Array.from({ length: 250 }, (_, i) => pull(i + 1));
    state.version = 1;
    state.mode = 'ok';
    server.requests.length = 0;
    provider = new GithubProvider({ secrets: secretsFrom({ 'gh/token': TOKEN }), now: () => 1_899_999_000_000 });
    settings = { owner: 'acme', repo: 'app', api: server.origin, tokenRef: { secretName: 'gh', key: 'token' }, labels: ['preview'] };
  });

  it('maps every open pull request across three pages, drafts and unlabelled ones included', async () => {
    const pulls = await provider.listPullRequests(settings);
    assert.equal(pulls.length, 250);
    assert.deepEqual(pulls[1], {
      number: 2,
      title: 'PR 2',
      branch: 'feature-2',
      target_branch: 'main',
      head_sha: 'sha2'.padEnd(40, '0'),
      labels: ['preview', 'team-a'],
      author: 'user2',
    });
    assert.deepEqual(pulls[0]?.labels, []);
    assert.deepEqual(
      server.requests.map((r) => r.url.searchParams.get('page') ?? '1'),
      ['1', '2', '3'],
    );
    const first = server.requests[0];
    assert.equal(first?.url.searchParams.get('state'), 'open');
    assert.equal(first?.url.searchParams.get('per_page'), '100');
    assert.equal(first?.url.searchParams.get('labels'), null, 'GitHub has no label filter; the generator filters');
  });

  it('sends the resolved token', async () => {
    await provider.listPullRequests(settings);
    for (const request of server.requests) assert.equal(request.headers.authorization, `token ${TOKEN}`);
  });

  it('asks anonymously without a tokenRef', async () => {
    const { tokenRef: _, ...anonymous } = settings;
    await provider.listPullRequests(anonymous);
    assert.equal(server.requests[0]?.headers.authorization, undefined);
  });

  it('revalidates every page with its ETag and reuses the cached list on 304', async () => {
    const firstList = await provider.listPullRequests(settings);
    server.requests.length = 0;
    const second = await provider.listPullRequests(settings);
    assert.deepEqual(second, firstList);
    assert.deepEqual(
      server.requests.map((r) => r.headers['if-none-match']),
      ['"v1-p1"', '"v1-p2"', '"v1-p3"'],
    );
  });

  it('reads the pages again once the list changed', async () => {
    await provider.listPullRequests(settings);
    state.pulls = state.pulls.slice(0, 120);
    state.version = 2;
    const pulls = await provider.listPullRequests(settings);
    assert.equal(pulls.length, 120);
  });

  it('reports an exhausted rate limit with its reset time and does not wait', async () => {
    state.mode = 'ratelimit';
    await assert.rejects(provider.listPullRequests(settings), (error: Error) => {
      assert.ok(error instanceof SourceError);
      assert.match(
        error.message,
        /^github: cannot list pull requests of acme\/app: rate limit exceeded; resets at 2030-03-17T17:46:40\.000Z \(in 1000s\)$/,
      );
      return true;
    });
  });

  it('backs off until the reset: no request is made meanwhile, and calls resume after it', async () => {
    let now = 1_899_999_000_000;
    provider = new GithubProvider({ secrets: secretsFrom({ 'gh/token': TOKEN }), now: () => now });
    state.mode = 'ratelimit';
    await assert.rejects(provider.listPullRequests(settings), /rate limit exceeded/);
    assert.equal(server.requests.length, 1);
    state.mode = 'ok';
    now += 999_000;
    await assert.rejects(
      provider.listPullRequests(settings),
      /resets at 2030-03-17T17:46:40\.000Z \(in 1s\); not calling the API until then/,
    );
    assert.equal(server.requests.length, 1, 'held back without a request');
    const { tokenRef: _, ...anonymous } = settings;
    assert.equal((await provider.listPullRequests(anonymous)).length, 250, 'another credential is not held back');
    now += 1000;
    server.requests.length = 0;
    assert.equal((await provider.listPullRequests(settings)).length, 250);
    assert.equal(server.requests.length, 3);
  });

  it('reports a secondary rate limit from retry-after', async () => {
    state.mode = 'secondary';
    await assert.rejects(provider.listPullRequests(settings), /rate limit exceeded; resets at .* \(in 60s\)/);
  });

  for (const [mode, reason] of [
    ['500', /acme\/app: HTTP 500 server error/],
    ['401', /acme\/app: HTTP 401 unauthorized/],
  ] as const) {
    it(`turns HTTP ${mode} into a SourceError without the token`, async () => {
      state.mode = mode;
      await assert.rejects(provider.listPullRequests(settings), (error: Error) => {
        assert.ok(error instanceof SourceError);
        assert.match(error.message, reason);
        assert.ok(!error.message.includes(TOKEN));
        assert.ok(!JSON.stringify(error, Object.getOwnPropertyNames(error)).includes(TOKEN));
        return true;
      });
    });
  }

  it('turns a missing repository into a SourceError', async () => {
    await assert.rejects(
      provider.listPullRequests({ ...settings, repo: 'gone' }),
      /github: cannot list pull requests of acme\/gone: HTTP 404 not found/,
    );
  });

  it('turns an unreachable API into a SourceError', async () => {
    await assert.rejects(provider.listPullRequests({ ...settings, api: await closedOrigin() }), /acme\/app: API unreachable: ECONNREFUSED/);
  });

  it('fails when the token secret is missing, naming the secret but no value', async () => {
    await assert.rejects(
      provider.listPullRequests({ ...settings, tokenRef: { secretName: 'gh', key: 'other' } }),
      /github: secret gh has no key other/,
    );
  });

  it('rejects settings without owner and GitHub App credentials', async () => {
    await assert.rejects(provider.listPullRequests({ repo: 'app' }), /^SourceError: github\.owner: /);
    await assert.rejects(provider.listPullRequests({ ...settings, appSecretName: 'app' }), /appSecretName\) is not supported/);
  });
});

describe('githubBaseUrl', () => {
  for (const [api, expected] of [
    [undefined, 'https://api.github.com'],
    ['https://git.example.com/', 'https://git.example.com/api/v3'],
    ['https://git.example.com/api/v3', 'https://git.example.com/api/v3'],
    ['https://git.example.com/prefix', 'https://git.example.com/prefix/api/v3'],
    ['https://api.acme.ghe.com', 'https://api.acme.ghe.com'],
  ] as const) {
    it(`${api} → ${expected}`, () => assert.equal(githubBaseUrl(api), expected));
  }
});
