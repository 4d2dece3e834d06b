import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GiteaProvider } from './gitea.js';
import { type RecordedRequest, secretsFrom, sendJson, startServer, type TestServer } from './test-server.js';

const TOKEN = 'gitea-s3cr3t';

const pull = (n: number) => ({
  number: n,
  title: `PR ${n}`,
  head: { ref: `feature-${n}`, sha: `sha${n}` },
  base: { ref: 'main' },
  labels: [{ name: 'preview' }],
  user: { login: `user${n}` },
});

function gitea(req: RecordedRequest, res: ServerResponse) {
  if (req.url.pathname !== '/api/v1/repos/acme/app/pulls') return sendJson(res, 404, { message: 'not found' });
  const page = Number(req.url.searchParams.get('page') ?? '1');
  const headers: Record<string, string> = {};
  if (page < 2) headers.link = `</api/v1/repos/acme/app/pulls?state=open&limit=50&page=${page + 1}>; rel="next"`;
  sendJson(res, 200, page === 1 ? [pull(1), pull(2)] : [pull(3)], headers);
}

describe('GiteaProvider', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(gitea);
  });
  after(() => server.close());

  it('lists open pull requests across pages with the token', async () => {
    const provider = new GiteaProvider({ secrets: secretsFrom({ 'gt/token': TOKEN }) });
    const pulls = await provider.listPullRequests({
      owner: 'acme',
      repo: 'app',
      api: server.origin,
      tokenRef: { secretName: 'gt', key: 'token' },
    });
    assert.deepEqual(
      pulls.map((p) => p.number),
      [1, 2, 3],
    );
    assert.deepEqual(pulls[2], {
      number: 3,
      title: 'PR 3',
      branch: 'feature-3',
      target_branch: 'main',
      head_sha: 'sha3',
      labels: ['preview'],
      author: 'user3',
    });
    assert.equal(server.requests[0]?.url.searchParams.get('state'), 'open');
    for (const request of server.requests) assert.equal(request.headers.authorization, `token ${TOKEN}`);
  });

  it('names the repository on 404', async () => {
    const provider = new GiteaProvider({ secrets: secretsFrom({}) });
    await assert.rejects(
      provider.listPullRequests({ owner: 'acme', repo: 'gone', api: server.origin }),
      /^SourceError: gitea: cannot list pull requests of acme\/gone: HTTP 404/,
    );
  });
});
