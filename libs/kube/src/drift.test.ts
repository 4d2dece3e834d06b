import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '#sources';
import { confirmedDrift, differingFields } from './drift.js';

const object = (fields: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'n', ...metadata }, ...fields }) as KubeObject;

describe('differingFields', () => {
  const cases: Array<[string, KubeObject, KubeObject, string[]]> = [
    ['identical', object({ data: { a: '1' } }), object({ data: { a: '1' } }), []],
    ['a changed value', object({ data: { a: '1' } }), object({ data: { a: '2' } }), ['data.a']],
    ['a missing value', object({ data: { a: '1' } }), object({ data: {} }), ['data.a']],
    ['fields only live has are not drift', object({ data: { a: '1' } }), object({ data: { a: '1', b: '2' } }), []],
    ['server metadata is not drift', object({}), object({}, { uid: 'u', resourceVersion: '7', managedFields: [] }), []],
    ['a label removed by hand', object({}, { labels: { team: 'a' } }), object({}, { labels: {} }), ['metadata.labels.team']],
    ['a number the server keeps as a string', object({ spec: { port: 80 } }), object({ spec: { port: '80' } }), []],
    [
      'list items compared by position, defaults ignored',
      object({ spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }),
      object({ spec: { containers: [{ name: 'web', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' }] } }),
      ['spec.containers[0].image'],
    ],
    ['a list of another length', object({ spec: { args: ['a', 'b'] } }), object({ spec: { args: ['a'] } }), ['spec.args']],
    ['an object replaced by a scalar', object({ spec: { x: { y: 1 } } }), object({ spec: { x: 3 } }), ['spec.x']],
    ['status is never drift', object({ status: { phase: 'A' } }), object({ status: { phase: 'B' } }), []],
  ];
  for (const [name, desired, live, expected] of cases)
    it(name, () => {
      assert.deepEqual(differingFields(desired, live), expected);
    });

  it('compares a Secret’s stringData with the live data, base64-encoded', () => {
    const desired = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { token: 'abc' } } as KubeObject;
    const same = { ...desired, stringData: undefined, data: { token: Buffer.from('abc').toString('base64') } } as KubeObject;
    const other = { ...desired, stringData: undefined, data: { token: Buffer.from('xyz').toString('base64') } } as KubeObject;
    assert.deepEqual(differingFields(desired, same), []);
    assert.deepEqual(differingFields(desired, other), ['stringData.token']);
  });
});

describe('confirmedDrift', () => {
  it('lists the paths where the dry-run result differs from the live object, ignoring server bookkeeping', () => {
    const live = object({ data: { a: '1', b: '2' } }, { resourceVersion: '1', managedFields: [{ manager: 'kubectl' }] });
    const after = object({ data: { a: '9', b: '2' } }, { resourceVersion: '2', managedFields: [{ manager: 'flotilla' }] });
    assert.deepEqual(confirmedDrift(live, after), ['data.a']);
  });

  it('finds nothing when only bookkeeping differs', () => {
    const live = object({ data: { a: '1' } }, { generation: 1 });
    const after = object({ data: { a: '1' } }, { generation: 2 });
    assert.deepEqual(confirmedDrift(live, after), []);
  });
});
