import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileArgoGlob, GlobError } from './glob.js';

const matches = (pattern: string, path: string): boolean => compileArgoGlob(pattern).test(path);

describe('compileArgoGlob (gobwas/glob without separators)', () => {
  it('lets * and ? cross directory separators, as Argo CD compiles include/exclude', () => {
    assert.ok(matches('*.yaml', 'deploy.yaml'));
    assert.ok(matches('*.yaml', 'sub/dir/deploy.yaml'));
    assert.ok(matches('sub?deploy.yaml', 'sub/deploy.yaml'));
    assert.ok(!matches('*.yaml', 'deploy.json'));
    assert.ok(matches('**/x.json', 'a/b/x.json'));
  });

  it('supports {a,b} alternatives (nested), ranges, negated ranges and escapes', () => {
    assert.ok(matches('{config.json,deployment.yaml}', 'config.json'));
    assert.ok(matches('{config.json,deployment.yaml}', 'deployment.yaml'));
    assert.ok(!matches('{config.json,deployment.yaml}', 'service.yaml'));
    assert.ok(matches('{a,b{1,2}}.yaml', 'b2.yaml'));
    assert.ok(matches('v[0-9].yaml', 'v7.yaml'));
    assert.ok(!matches('v[!0-9].yaml', 'v7.yaml'));
    assert.ok(matches('v[!0-9].yaml', 'vx.yaml'));
    assert.ok(matches('[ab].yaml', 'b.yaml'));
    assert.ok(matches('\\*.yaml', '*.yaml'));
    assert.ok(!matches('\\*.yaml', 'a.yaml'));
    assert.ok(matches('a+(b).yaml', 'a+(b).yaml'));
    assert.ok(matches('},x,', '},x,'));
  });

  it('reports malformed patterns', () => {
    assert.throws(() => compileArgoGlob('{a,b'), GlobError);
    assert.throws(() => compileArgoGlob('[a'), GlobError);
    assert.throws(() => compileArgoGlob('a\\'), GlobError);
    assert.throws(() => compileArgoGlob('[z-a]'), GlobError);
  });
});
