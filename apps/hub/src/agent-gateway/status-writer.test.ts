import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batches } from './status-writer.js';

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
