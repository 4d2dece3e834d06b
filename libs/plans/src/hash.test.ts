import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { contentHash, hashedPlan, planJson } from './hash.js';
import type { PlannedApplication } from './plan.js';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('contentHash', () => {
  it('hashes the RFC 8785 canonical form (the RFC’s own example, section 3.2.2)', () => {
    const value = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    const canonical =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    assert.equal(contentHash(value), sha256(canonical));
  });

  it('ignores key order at every depth, and sees every value', () => {
    const a = {
      cluster: { name: 'c1', server: 'https://c1' },
      applications: [{ name: 'web', objects: [{ kind: 'ConfigMap', data: { a: '1' } }] }],
    };
    const b = {
      applications: [{ objects: [{ data: { a: '1' }, kind: 'ConfigMap' }], name: 'web' }],
      cluster: { server: 'https://c1', name: 'c1' },
    };
    assert.equal(contentHash(a), contentHash(b));
    assert.notEqual(
      contentHash(a),
      contentHash({ ...a, applications: [{ name: 'web', objects: [{ kind: 'ConfigMap', data: { a: '2' } }] }] }),
    );
    assert.notEqual(contentHash([1, 2]), contentHash([2, 1]), 'array order counts');
  });

  it('refuses what is not JSON', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => contentHash(loop));
    assert.throws(() => contentHash(undefined), /cannot be hashed/);
  });
});

describe('hashedPlan and planJson', () => {
  const cluster = { server: 'https://c1', name: 'c1' };
  const applications = [
    { name: 'web', objects: [{ kind: 'ConfigMap', metadata: { name: 'web' }, data: { b: '2', a: '1' } }] },
  ] as unknown as PlannedApplication[];

  it('hashes as contentHash does, so stored revisions keep their hashes', () => {
    assert.equal(hashedPlan(cluster, applications).hash, contentHash({ cluster, applications }));
  });

  it('gives the plan’s text as hashed (keys sorted), the hash last, and the same plan once parsed', () => {
    const plan = hashedPlan(cluster, applications);
    const text = planJson(plan);
    assert.deepEqual(JSON.parse(text), plan);
    assert.equal(
      text,
      '{"applications":[{"name":"web","objects":[{"data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"name":"web"}}]}],' +
        `"cluster":{"name":"c1","server":"https://c1"},"hash":"${plan.hash}"}`,
    );
  });

  it('serialises a plan made elsewhere', () => {
    const plan = { cluster, hash: 'sha256:x', applications: [] };
    assert.deepEqual(JSON.parse(planJson(plan)), plan);
  });
});
