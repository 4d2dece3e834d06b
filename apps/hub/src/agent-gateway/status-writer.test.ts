import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batches, StatusWriter } from './status-writer.js';

const report = (clusterId: string, applications = 1, tag = '') => ({
  clusterId,
  applications: Array.from({ length: applications }, () => tag),
});
const shape = (out: ReturnType<typeof batches<ReturnType<typeof report>>>) =>
  out.map((batch) => batch.map((r) => `${r.clusterId}${r.applications[0] ?? ''}`));

describe('status report batches', () => {
  it('puts the reports of one moment in one statement', () => {
    assert.deepEqual(shape(batches([report('a'), report('b'), report('c')])), [['a', 'b', 'c']]);
  });

  it('writes a cluster’s second report in a later statement than its first', () => {
    const out = batches([report('a', 1, '1'), report('b'), report('a', 1, '2'), report('c'), report('a', 1, '3')]);
    assert.deepEqual(shape(out), [['a1', 'b', 'c'], ['a2'], ['a3']]);
  });

  it('bounds a statement by reports and by Applications', () => {
    const many = Array.from({ length: 1_001 }, (_, i) => report(`c${i}`));
    assert.deepEqual(
      batches(many).map((b) => b.length),
      [500, 500, 1],
    );
    const big = [report('a', 3_000), report('b', 3_000), report('c', 1_000), report('d', 6_000)];
    assert.deepEqual(
      batches(big).map((b) => b.map((r) => r.clusterId)),
      [['a', 'c'], ['b'], ['d']],
    );
  });

  it('keeps nothing back: every report in exactly one statement', () => {
    const reports = Array.from({ length: 2_000 }, (_, i) => report(`c${i % 7}`, i % 13));
    const out = batches(reports);
    assert.equal(out.flat().length, reports.length);
    for (const batch of out) assert.equal(new Set(batch.map((r) => r.clusterId)).size, batch.length);
  });
});

/**
 * A stand-in for Postgres that holds every statement until the test releases it, and records
 * which clusters each statement carried: what is tested is when StatusWriter sends
 * statements (the statement itself runs on a real Postgres in test/e2e/status-reports.test.ts).
 */
function heldDatabase() {
  const statements: Array<{ clusters: string[]; release: () => void }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const plannedQuery = async <T>(_text: string, values: unknown[]): Promise<T[]> => {
    const clusters = values[0] as string[];
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await new Promise<void>((release) => statements.push({ clusters, release }));
    inFlight--;
    return clusters.map((clusterId) => ({ clusterId, cluster: clusterId, previous: null, previews: null })) as T[];
  };
  /** Two turns of the event loop: a finished statement's flush schedules the next one a turn later. */
  const nextTurn = async () => {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { statements, plannedQuery, nextTurn, mostInFlight: () => mostInFlight };
}

describe('status writer', () => {
  it('writes the reports that arrive while a statement runs together in the next one', async () => {
    const db = heldDatabase();
    const writer = new StatusWriter(db);
    const first = writer.write('a', 1, []);
    await db.nextTurn();
    assert.deepEqual(
      db.statements.map((s) => s.clusters),
      [['a']],
      'a lone report is written at once',
    );
    const meanwhile = ['b', 'c', 'd'].map((cluster) => writer.write(cluster, 1, []));
    await db.nextTurn();
    await db.nextTurn();
    assert.equal(db.statements.length, 1, 'no second statement while the first runs');
    db.statements[0]?.release();
    assert.deepEqual(await first, { cluster: 'a', previous: [], previews: {} });
    await db.nextTurn();
    assert.deepEqual(db.statements[1]?.clusters, ['b', 'c', 'd']);
    db.statements[1]?.release();
    assert.deepEqual(
      (await Promise.all(meanwhile)).map((stored) => stored.cluster),
      ['b', 'c', 'd'],
    );
    assert.equal(db.mostInFlight(), 1);
  });

  it('keeps a cluster’s reports in order across statements', async () => {
    const db = heldDatabase();
    const writer = new StatusWriter(db);
    const order: string[] = [];
    const first = writer.write('a', 1, []).then(() => order.push('a1'));
    await db.nextTurn();
    const second = writer.write('a', 2, []).then(() => order.push('a2'));
    const third = writer.write('a', 3, []).then(() => order.push('a3'));
    db.statements[0]?.release();
    await first;
    for (let i = 1; i <= 2; i++) {
      await db.nextTurn();
      assert.equal(db.statements.length, i + 1);
      db.statements[i]?.release();
    }
    await Promise.all([second, third]);
    assert.deepEqual(order, ['a1', 'a2', 'a3']);
    assert.equal(db.mostInFlight(), 1);
  });
});
