import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PlanNotifier } from '../pipeline/plan-notifier.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { PlanPoll } from './plan-poll.js';
import type { RevisionLoader, SerialisedRevision } from './revision-loader.js';

// The poll's bookkeeping in-process: the notifier's Redis subscriber and the revision reads are
// stand-ins here, so each step can be held and released; test/e2e/hub.test.ts and
// hub-lifecycle.test.ts run the same polls over HTTP against real Postgres and Redis.

/** Revision reads that wait until the test answers them, in order. */
class HeldReads {
  readonly pending: Array<{ clusterId: string; answer: (revision: SerialisedRevision | undefined) => void; fail: (e: unknown) => void }> =
    [];
  newestAfter(clusterId: string): Promise<SerialisedRevision | undefined> {
    return new Promise((answer, fail) => this.pending.push({ clusterId, answer, fail }));
  }
  async next(): Promise<HeldReads['pending'][number]> {
    for (let i = 0; i < 100 && this.pending.length === 0; i++) await sleep(5);
    const read = this.pending.shift();
    assert.ok(read, 'a read of the newest revision');
    return read;
  }
}

async function setUp() {
  const handlers = new Map<string, (message: string) => void>();
  const redis = { listen: async (name: string, handler: (message: string) => void) => void handlers.set(name, handler) };
  const notifier = new PlanNotifier(redis as unknown as RedisService);
  await notifier.onModuleInit();
  const reads = new HeldReads();
  const sources = { revisions: reads as unknown as RevisionLoader, notifier, draining: false };
  const answers: Array<{ clusterId: string; revision: SerialisedRevision | undefined; error?: unknown; at: number }> = [];
  const poll = (clusterId: string, waitMs = 30_000) => {
    const response = new EventEmitter() as unknown as ServerResponse;
    const held = new PlanPoll(sources, clusterId, 1, Date.now() + waitMs, response, (p, revision, error) =>
      answers.push({ clusterId: p.clusterId, revision, error, at: Date.now() }),
    );
    held.start();
    return response;
  };
  const announce = (...clusterIds: string[]) => handlers.get('plan-revisions')?.(clusterIds.join(','));
  return { notifier, reads, answers, poll, announce };
}

const revision = (n: number): SerialisedRevision => ({ revision: n, body: `{"revision":${n}}` });

describe('plan poll', () => {
  it('answers at once with a newer revision, and holds nothing after', async () => {
    const { notifier, reads, answers, poll } = await setUp();
    poll('a');
    (await reads.next()).answer(revision(2));
    await sleep(0);
    assert.deepEqual(
      answers.map((a) => [a.clusterId, a.revision?.revision]),
      [['a', 2]],
    );
    assert.equal(notifier.waiting, 0);
  });

  it('holds until its cluster is announced, then reads again', async () => {
    const { notifier, reads, answers, poll, announce } = await setUp();
    poll('a');
    poll('b');
    (await reads.next()).answer(undefined);
    (await reads.next()).answer(undefined);
    await sleep(0);
    assert.equal(notifier.waiting, 2);
    announce('a');
    const again = await reads.next();
    assert.equal(again.clusterId, 'a', 'only the announced cluster reads again');
    again.answer(revision(2));
    await sleep(0);
    assert.deepEqual(
      answers.map((a) => a.clusterId),
      ['a'],
    );
    assert.equal(notifier.waiting, 1, "b's poll is still held");
    assert.equal(reads.pending.length, 0);
  });

  it('reads again when its cluster is announced while it reads (a revision stored meanwhile is not missed)', async () => {
    const { reads, answers, poll, announce } = await setUp();
    poll('a');
    const first = await reads.next();
    announce('a');
    first.answer(undefined);
    (await reads.next()).answer(revision(3));
    await sleep(0);
    assert.deepEqual(
      answers.map((a) => a.revision?.revision),
      [3],
    );
  });

  it('answers with nothing once its deadline passes, without a timer of its own', async () => {
    const { notifier, reads, answers, poll } = await setUp();
    const started = Date.now();
    poll('a', 150);
    (await reads.next()).answer(undefined);
    const last = await reads.next();
    assert.ok(Date.now() - started >= 150, 'read again at its deadline, not before');
    last.answer(undefined);
    await sleep(0);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.revision, undefined);
    assert.ok((answers[0]?.at ?? 0) - started < 1_000, `answered ${(answers[0]?.at ?? 0) - started} ms after it began`);
    assert.equal(notifier.waiting, 0);
  });

  it('lets go of a poll whose agent hung up, and never answers it', async () => {
    const { notifier, reads, answers, poll, announce } = await setUp();
    const response = poll('a');
    (await reads.next()).answer(undefined);
    await sleep(0);
    response.emit('close');
    assert.equal(notifier.waiting, 0);
    announce('a');
    await sleep(20);
    assert.equal(reads.pending.length, 0, 'nothing read for a poll nobody waits for');
    assert.equal(answers.length, 0);
  });

  it('answers every held poll when the hub shuts down', async () => {
    const { notifier, reads, answers, poll } = await setUp();
    poll('a');
    poll('a');
    (await reads.next()).answer(undefined);
    (await reads.next()).answer(undefined);
    await sleep(0);
    assert.equal(notifier.waiting, 2);
    await notifier.onModuleDestroy();
    (await reads.next()).answer(undefined);
    (await reads.next()).answer(undefined);
    await sleep(0);
    assert.deepEqual(
      answers.map((a) => a.revision),
      [undefined, undefined],
    );
    assert.equal(notifier.waiting, 0);
  });

  it('answers with the error when the read fails', async () => {
    const { notifier, reads, answers, poll } = await setUp();
    poll('a');
    (await reads.next()).fail(new Error('database is down'));
    await sleep(0);
    assert.equal((answers[0]?.error as Error | undefined)?.message, 'database is down');
    assert.equal(notifier.waiting, 0);
  });
});
