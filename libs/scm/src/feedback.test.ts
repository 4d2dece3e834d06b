import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { type FakeScm, startFakeScm } from '#testing';
import { createPullRequestFeedback, type PullRequestFeedback } from './feedback.js';
import { closedOrigin, secretsFrom } from './test-server.js';

const TOKEN = 'feedback-token-never-shown';
const SHA = 'a'.repeat(40);
const secrets = secretsFrom({ 'scm/token': TOKEN });
const tokenRef = { secretName: 'scm', key: 'token' };

describe('pull request feedback', () => {
  let scm: FakeScm;
  let clients: ReadonlyMap<string, PullRequestFeedback>;
  const github = () => clients.get('github') as PullRequestFeedback;
  const gitlab = () => clients.get('gitlab') as PullRequestFeedback;

  before(async () => {
    scm = await startFakeScm({ token: TOKEN });
    clients = createPullRequestFeedback({ secrets, timeoutMs: 2000 });
  });
  after(() => scm.close());
  beforeEach(() => {
    scm.statuses.length = 0;
    scm.comments.length = 0;
    scm.failWith = undefined;
  });

  it('GitHub: posts a commit status with context, description and target URL', async () => {
    const target = { settings: { owner: 'acme', repo: 'shop', api: scm.origin, tokenRef }, number: 4 };
    await github().setCommitStatus(target, SHA, {
      state: 'success',
      context: 'flotilla/previews',
      description: 'x'.repeat(200),
      targetUrl: 'https://pr-4.example',
    });
    assert.equal(scm.statuses.length, 1);
    assert.deepEqual(
      { ...scm.statuses[0], description: scm.statuses[0]?.description.length },
      {
        repository: 'acme/shop',
        sha: SHA,
        state: 'success',
        context: 'flotilla/previews',
        description: 140,
        targetUrl: 'https://pr-4.example',
      },
    );
  });

  it('GitHub: creates one comment, edits it after, and recreates it if someone deleted it', async () => {
    const target = { settings: { owner: 'acme', repo: 'shop', api: scm.origin, tokenRef }, number: 4 };
    const id = await github().upsertComment(target, 'first');
    assert.equal(await github().upsertComment(target, 'second', id), id);
    assert.deepEqual(
      scm.comments.map((c) => [c.number, c.body, c.edits]),
      [[4, 'second', 1]],
    );
    scm.comments.length = 0;
    const recreated = await github().upsertComment(target, 'third', id);
    assert.notEqual(recreated, id);
    assert.deepEqual(
      scm.comments.map((c) => c.body),
      ['third'],
    );
  });

  it('GitLab: maps states to GitLab names and keeps one merge request note', async () => {
    const target = { settings: { project: 'group/shop', api: scm.origin, tokenRef }, number: 9 };
    await gitlab().setCommitStatus(target, SHA, { state: 'failure', context: 'flotilla/previews', description: 'degraded' });
    assert.deepEqual(
      scm.statuses.map((s) => [s.repository, s.state, s.context]),
      [['group/shop', 'failed', 'flotilla/previews']],
    );
    const id = await gitlab().upsertComment(target, 'one');
    assert.equal(await gitlab().upsertComment(target, 'two', id), id);
    assert.deepEqual(
      scm.comments.map((c) => [c.number, c.body, c.edits]),
      [[9, 'two', 1]],
    );
  });

  it('Gitea: posts statuses and keeps one comment on GitHub-shaped paths under /api/v1', async () => {
    const gitea = clients.get('gitea') as PullRequestFeedback;
    const target = { settings: { owner: 'acme', repo: 'shop', api: scm.origin, tokenRef }, number: 5 };
    await gitea.setCommitStatus(target, SHA, { state: 'pending', context: 'flotilla/previews', description: 'deploying' });
    assert.deepEqual(
      scm.statuses.map((s) => [s.repository, s.state]),
      [['acme/shop', 'pending']],
    );
    const id = await gitea.upsertComment(target, 'one');
    assert.equal(await gitea.upsertComment(target, 'two', id), id);
    assert.deepEqual(
      scm.comments.map((c) => [c.number, c.body, c.edits]),
      [[5, 'two', 1]],
    );
    assert.ok(scm.requests.includes(`PATCH /api/v1/repos/acme/shop/issues/comments/${id}`));
  });

  it('provider errors name the provider and the pull request, never the token', async () => {
    const target = { settings: { owner: 'acme', repo: 'shop', api: scm.origin, tokenRef }, number: 4 };
    scm.failWith = 503;
    await assert.rejects(github().upsertComment(target, 'x'), (error: Error) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^github: cannot comment on acme\/shop#4: HTTP 503 server error/);
      assert.equal(error.message.includes(TOKEN), false);
      return true;
    });
    await assert.rejects(
      gitlab().setCommitStatus({ settings: { project: 'group/shop', api: scm.origin, tokenRef }, number: 9 }, SHA, {
        state: 'pending',
        context: 'c',
        description: 'd',
      }),
      /gitlab: cannot set the commit status of group\/shop@aaaaaaaa: HTTP 503/,
    );
    scm.failWith = undefined;
    const wrongToken = { settings: { owner: 'acme', repo: 'shop', api: scm.origin }, number: 4 };
    await assert.rejects(github().upsertComment(wrongToken, 'x'), /HTTP 401 unauthorized/);
    const down = { settings: { owner: 'acme', repo: 'shop', api: await closedOrigin(), tokenRef }, number: 4 };
    await assert.rejects(github().setCommitStatus(down, SHA, { state: 'pending', context: 'c', description: 'd' }), /API unreachable/);
    await assert.rejects(
      github().upsertComment({ settings: { owner: 'acme', api: scm.origin }, number: 1 }, 'x'),
      /github\.repo: /,
      'bad settings name the field',
    );
  });
});
