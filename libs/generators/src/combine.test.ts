import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParamSet, RenderError } from '#contracts';
import { combineForMatrix, overrideForMerge } from './combine.js';

const PATH = 'spec.generators[0].matrix';

describe('combineForMatrix', () => {
  const flatRows: Array<{ name: string; a: ParamSet; b: ParamSet; expected: ParamSet }> = [
    { name: 'disjoint keys', a: { x: '1' }, b: { y: '2' }, expected: { x: '1', y: '2' } },
    { name: 'shared keys with equal values', a: { x: '1', y: '2' }, b: { x: '1', z: '3' }, expected: { x: '1', y: '2', z: '3' } },
    { name: 'empty sets', a: {}, b: {}, expected: {} },
  ];
  for (const row of flatRows) {
    it(`flat: ${row.name}`, () => {
      assert.deepEqual(combineForMatrix(row.a, row.b, false, PATH), row.expected);
    });
  }

  it('flat: rejects a shared key with different values, naming the matrix and the key', () => {
    assert.throws(
      () => combineForMatrix({ cluster: 'a' }, { cluster: 'b' }, false, PATH),
      (error: unknown) => error instanceof RenderError && error.path === PATH && /param "cluster", to "a" and "b"/.test(error.message),
    );
  });

  it('nested: merges maps deeply, the first set winning on conflicts', () => {
    const a = { path: { path: 'apps/web', basename: 'web' }, env: 'first', list: [1] };
    const b = { path: { segments: ['x'], basename: 'other' }, env: 'second', list: [2, 3], extra: { k: 'v' } };
    assert.deepEqual(combineForMatrix(a, b, true, PATH), {
      path: { path: 'apps/web', basename: 'web', segments: ['x'] },
      env: 'first',
      list: [1],
      extra: { k: 'v' },
    });
  });

  it('nested: does not mutate its inputs', () => {
    const a = { m: { x: 1 } };
    const b = { m: { y: 2 } };
    const out = combineForMatrix(a, b, true, PATH);
    (out.m as Record<string, unknown>).z = 3;
    assert.deepEqual(a, { m: { x: 1 } });
    assert.deepEqual(b, { m: { y: 2 } });
  });
});

describe('overrideForMerge', () => {
  it('flat: the override wins key by key', () => {
    assert.deepEqual(overrideForMerge({ a: '1', b: '2' }, { b: '3', c: '4' }, false), { a: '1', b: '3', c: '4' });
  });

  it('nested: merges maps deeply, the override winning', () => {
    const base = { cluster: { name: 'a', labels: { x: '1' } }, list: [1, 2] };
    const override = { cluster: { labels: { y: '2' } }, list: [3] };
    assert.deepEqual(overrideForMerge(base, override, true), { cluster: { name: 'a', labels: { x: '1', y: '2' } }, list: [3] });
    assert.deepEqual(base, { cluster: { name: 'a', labels: { x: '1' } }, list: [1, 2] });
  });
});
