import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decidePreviews,
  type ListedPullRequest,
  type PreviewRecord,
  previewKey,
  previewPolicyOf,
  repositoryKey,
} from './preview-policy.js';

const REPO = repositoryKey('github', { owner: 'acme', repo: 'shop' });
const HOUR = 3_600_000;
const t0 = new Date('2026-12-01T00:00:00Z');
const at = (hours: number): Date => new Date(t0.getTime() + hours * HOUR);

function listed(number: number, sha = `sha${number}`): ListedPullRequest {
  return {
    provider: 'github',
    settings: { owner: 'acme', repo: 'shop' },
    repository: REPO,
    pull: { number, title: `PR ${number}`, branch: `b${number}`, target_branch: 'main', head_sha: sha, labels: ['preview'], author: 'dev' },
  };
}

const keys = (...numbers: number[]): Set<string> => new Set(numbers.map((n) => previewKey(REPO, n)));
const byNumber = (records: PreviewRecord[]): Record<number, PreviewRecord> => Object.fromEntries(records.map((r) => [r.number, r]));

describe('previewPolicyOf', () => {
  it('reads the TTL and the maximum from annotations', () => {
    assert.deepEqual(previewPolicyOf(undefined), {});
    assert.deepEqual(previewPolicyOf({ 'previews.flotilla.dev/ttl': '36h', 'previews.flotilla.dev/max-live': '5' }), {
      ttlMs: 36 * HOUR,
      maxLive: 5,
    });
    assert.equal(previewPolicyOf({ 'previews.flotilla.dev/ttl': '90s' }).ttlMs, 90_000);
    assert.equal(previewPolicyOf({ 'previews.flotilla.dev/ttl': '7d' }).ttlMs, 7 * 24 * HOUR);
  });

  it('names the annotation and the accepted form for bad values', () => {
    for (const bad of ['', '3', '1w', '-1h', '0h', 'soon']) {
      assert.throws(
        () => previewPolicyOf({ 'previews.flotilla.dev/ttl': bad }),
        /annotations\["previews.flotilla.dev\/ttl"\]: .* duration/,
      );
    }
    for (const bad of ['0', '-2', '1.5', 'many']) {
      assert.throws(() => previewPolicyOf({ 'previews.flotilla.dev/max-live': bad }), /max-live"\]: .* at least 1/);
    }
  });
});

describe('decidePreviews', () => {
  it('creates a live preview for each generating pull request and ignores listed ones that do not generate', () => {
    const decision = decidePreviews({ policy: {}, now: t0, listed: [listed(1), listed(2)], generating: keys(1), previous: [] });
    assert.deepEqual([...decision.live], [previewKey(REPO, 1)]);
    assert.equal(decision.records.length, 1);
    assert.equal(decision.records[0]?.state, 'live');
    assert.deepEqual(decision.records[0]?.firstSeenAt, t0);
  });

  it('moves lastActivityAt only when the head commit changes', () => {
    const first = decidePreviews({ policy: {}, now: t0, listed: [listed(1)], generating: keys(1), previous: [] }).records;
    const same = decidePreviews({ policy: {}, now: at(1), listed: [listed(1)], generating: keys(1), previous: first }).records;
    assert.deepEqual(same[0]?.lastActivityAt, t0);
    const pushed = decidePreviews({ policy: {}, now: at(2), listed: [listed(1, 'new')], generating: keys(1), previous: same }).records;
    assert.deepEqual(pushed[0]?.lastActivityAt, at(2));
    assert.deepEqual(pushed[0]?.firstSeenAt, t0);
    assert.equal(pushed[0]?.headSha, 'new');
  });

  it('expires previews idle for the TTL and revives them on a push', () => {
    const policy = { ttlMs: 24 * HOUR };
    const first = decidePreviews({ policy, now: t0, listed: [listed(1)], generating: keys(1), previous: [] }).records;
    const idle = decidePreviews({ policy, now: at(23), listed: [listed(1)], generating: keys(1), previous: first });
    assert.equal(idle.live.size, 1);
    const expired = decidePreviews({ policy, now: at(24), listed: [listed(1)], generating: keys(1), previous: idle.records });
    assert.equal(expired.live.size, 0);
    assert.equal(expired.records[0]?.state, 'expired');
    assert.match(expired.records[0]?.reason ?? '', /no new commit for 1d \(TTL\)/);
    const revived = decidePreviews({ policy, now: at(30), listed: [listed(1, 'next')], generating: keys(1), previous: expired.records });
    assert.equal(revived.records[0]?.state, 'live');
  });

  it('keeps at most maxLive previews, evicting the ones idle longest', () => {
    const policy = { maxLive: 2 };
    let records: PreviewRecord[] = [];
    records = decidePreviews({ policy, now: t0, listed: [listed(1)], generating: keys(1), previous: records }).records;
    records = decidePreviews({ policy, now: at(1), listed: [listed(1), listed(2)], generating: keys(1, 2), previous: records }).records;
    const third = decidePreviews({
      policy,
      now: at(2),
      listed: [listed(1), listed(2), listed(3)],
      generating: keys(1, 2, 3),
      previous: records,
    });
    assert.deepEqual([...third.live].sort(), [previewKey(REPO, 2), previewKey(REPO, 3)]);
    assert.equal(byNumber(third.records)[1]?.state, 'evicted');
    assert.match(byNumber(third.records)[1]?.reason ?? '', /more than 2 live previews/);
    // A push to the evicted one makes it the most recent: the next idle one goes.
    const pushed = decidePreviews({
      policy,
      now: at(3),
      listed: [listed(1, 'pushed'), listed(2), listed(3)],
      generating: keys(1, 2, 3),
      previous: third.records,
    });
    assert.deepEqual([...pushed.live].sort(), [previewKey(REPO, 1), previewKey(REPO, 3)]);
    assert.equal(byNumber(pushed.records)[2]?.state, 'evicted');
  });

  it('closes previews whose pull request is gone or no longer matches, once', () => {
    const first = decidePreviews({ policy: {}, now: t0, listed: [listed(1), listed(2)], generating: keys(1, 2), previous: [] }).records;
    const next = decidePreviews({ policy: {}, now: at(1), listed: [listed(2)], generating: new Set(), previous: first });
    const records = byNumber(next.records);
    assert.equal(records[1]?.state, 'closed');
    assert.match(records[1]?.reason ?? '', /closed or merged/);
    assert.equal(records[2]?.state, 'closed');
    assert.match(records[2]?.reason ?? '', /no longer matches/);
    assert.deepEqual(records[1]?.closedAt, at(1));
    const again = decidePreviews({ policy: {}, now: at(2), listed: [], generating: new Set(), previous: next.records });
    assert.equal(again.records.length, 0, 'closed records are not rewritten');
  });

  it('keys repositories by provider, API and path, case-insensitively', () => {
    assert.equal(repositoryKey('github', { owner: 'Acme', repo: 'Shop' }), 'github:acme/shop');
    assert.equal(repositoryKey('github', { owner: 'a', repo: 'b', api: 'https://ghe.local/' }), 'github:https://ghe.local|a/b');
    assert.equal(repositoryKey('gitlab', { project: 'group/app', api: 'https://gitlab.local' }), 'gitlab:https://gitlab.local|group/app');
  });
});
