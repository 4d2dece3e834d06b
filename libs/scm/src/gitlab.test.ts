import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { GitlabProvider } from './gitlab.js';
import { type RecordedRequest, secretsFrom, sendJson, startServer, type TestServer } from './test-server.js';

const TOKEN = 'glpat-s3cr3t-value';

const mr = (iid: number) => ({
  iid,
  title: `MR ${iid}`,
  source_branch: `feature-${iid}`,
  target_branch: 'main',
  sha: `sha${iid}`.padEnd(40, '0'),
  labels: iid === 1 ? ['preview'] : [],
  author: { username: `user${iid}` },
});

/** GitLab's project merge requests endpoint with `x-next-page` pagination. */
function gitlab(state: { mode: string; total: number }) {
  return (req: RecordedRequest, res: ServerResponse) => {
    if (req.url.pathname !== '/api/v4/projects/group%2Fapp/merge_requests') return sendJson(res, 404, { message: '404 Project Not Found' });
    if (state.mode === '500') return sendJson(res, 502, { message: 'bad gateway' });
    if (state.mode === 'ratelimit')
      return sendJson(res, 429, { message: 'Retry later' }, { 'ratelimit-remaining': '0', 'ratelimit-reset': '1900000000' });
    const perPage = Number(req.url.searchParams.get('per_page'));
    const page = Number(req.url.searchParams.get('page') ?? '1');
    const pages = Math.ceil(state.total / perPage);
    const items = Array.from({ length: state.total }, (_, i) => mr(i + 1)).slice((page - 1) * perPage, page * perPage);
    sendJson(res, 200, items, { 'x-page': String(page), 'x-next-page': page < pages ? String(page + 1) : '' });
  };
}

describe('GitlabProvider', () => {
  const state = { mode: 'ok', total: 230 };
  let server: TestServer;
  let provider: GitlabProvider;
  let settings: Record<string, unknown>;

  before(async () => {
    server = await startServer(gitlab(state));
  });
  after(() => server.close());
  beforeEach(() => {
    state.mode = 'ok';
    state.total = 230;
    server.requests.length = 0;
    provider = new GitlabProvider({ secrets: secretsFrom({ 'gl/token': TOKEN }), now: () => 1_899_999_000_000 });
    settings = { project: 'group/app', api: server.origin, tokenRef: { secretName: 'gl', key: 'token' } };
  });

  it('maps merge requests across three pages', async () => {
    const pulls = await provider.listPullRequests(settings);
    assert.equal(pulls.length, 230);
    assert.deepEqual(pulls[0], {
      number: 1,
      title: 'MR 1',
      branch: 'feature-1',
      target_branch: 'main',
      head_sha: 'sha1'.padEnd(40, '0'),
      labels: ['preview'],
      author: 'user1',
    });
    assert.deepEqual(
      server.requests.map((r) => r.url.searchParams.get('page')),
      [null, '2', '3'],
    );
    assert.equal(server.requests[0]?.url.searchParams.get('per_page'), '100');
  });

  it('sends the token as PRIVATE-TOKEN', async () => {
    await provider.listPullRequests(settings);
    for (const request of server.requests) assert.equal(request.headers['private-token'], TOKEN);
  });

  it('sends no state unless pullRequestState is set, like Argo CD', async () => {
    await provider.listPullRequests(settings);
    assert.equal(server.requests[0]?.url.searchParams.get('state'), null);
    server.requests.length = 0;
    await provider.listPullRequests({ ...settings, pullRequestState: 'opened' });
    assert.equal(server.requests[0]?.url.searchParams.get('state'), 'opened');
  });

  it('passes labels to the API', async () => {
    await provider.listPullRequests({ ...settings, labels: ['preview', 'team-a'] });
    assert.equal(server.requests[0]?.url.searchParams.get('labels'), 'preview,team-a');
  });

  it('accepts a numeric project id and appends /api/v4 once', async () => {
    await assert.rejects(
      provider.listPullRequests({ ...settings, project: 42, api: `${server.origin}/api/v4/` }),
      /gitlab: cannot list pull requests of 42: HTTP 404/,
    );
    assert.equal(server.requests[0]?.url.pathname, '/api/v4/projects/42/merge_requests');
  });

  it('turns 5xx into a SourceError without the token', async () => {
    state.mode = '500';
    await assert.rejects(provider.listPullRequests(settings), (error: Error) => {
      assert.ok(error instanceof SourceError);
      assert.equal(error.message, 'gitlab: cannot list pull requests of group/app: HTTP 502 server error from the provider');
      assert.ok(!error.message.includes(TOKEN));
      return true;
    });
  });

  it('reports the rate limit reset', async () => {
    state.mode = 'ratelimit';
    await assert.rejects(
      provider.listPullRequests(settings),
      /group\/app: rate limit exceeded; resets at 2030-03-17T17:46:40\.000Z \(in 1000s\)/,
    );
  });

  it('backs off until the reset without calling GitLab', async () => {
    let now = 1_899_999_000_000;
    provider = new GitlabProvider({ secrets: secretsFrom({ 'gl/token': TOKEN }), now: () => now });
    state.mode = 'ratelimit';
    await assert.rejects(provider.listPullRequests(settings), /rate limit exceeded/);
    state.mode = 'ok';
    await assert.rejects(provider.listPullRequests(settings), /not calling the API until then/);
    assert.equal(server.requests.length, 1);
    now = 1_900_000_000_000;
    assert.equal((await provider.listPullRequests(settings)).length, 230);
  });

  it('refuses insecure: true instead of silently verifying TLS', async () => {
    await assert.rejects(provider.listPullRequests({ ...settings, insecure: true }), /insecure: true .* is not supported/);
  });
});
