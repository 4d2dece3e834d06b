import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParamSet, RenderError } from '#contracts';
import { fastTemplateEngine } from './fasttemplate.js';
import { createHandlebarsEngine } from './handlebars.js';
import { compileTree } from './template-tree.js';

const TEMPLATE_PATH = 'spec.template';

function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('compileTree', () => {
  const rows: Array<{ name: string; tree: unknown; params: ParamSet; expected: unknown }> = [
    { name: 'a string', tree: '{{a}}', params: { a: 'A' }, expected: 'A' },
    {
      name: 'strings in objects',
      tree: { metadata: { name: '{{name}}-app' }, spec: { project: 'default' } },
      params: { name: 'web' },
      expected: { metadata: { name: 'web-app' }, spec: { project: 'default' } },
    },
    {
      name: 'keys as well as values (an annotation named by a param)',
      tree: { annotations: { 'team.example.com/{{team}}': '{{owner}}', static: 'x' } },
      params: { team: 'blue', owner: 'alice' },
      expected: { annotations: { 'team.example.com/blue': 'alice', static: 'x' } },
    },
    {
      name: 'arrays of strings and objects',
      tree: { finalizers: ['{{f}}', 'fixed'], sources: [{ path: '{{p}}' }, { path: 'static' }] },
      params: { f: 'a/b', p: 'apps/web' },
      expected: { finalizers: ['a/b', 'fixed'], sources: [{ path: 'apps/web' }, { path: 'static' }] },
    },
    {
      name: 'non-string scalars untouched',
      tree: { n: 3, b: false, z: null, s: '{{x}}' },
      params: { x: 'X' },
      expected: { n: 3, b: false, z: null, s: 'X' },
    },
    { name: 'unknown tags verbatim (fasttemplate)', tree: { a: '{{ nope }}' }, params: {}, expected: { a: '{{ nope }}' } },
    { name: 'an empty object', tree: {}, params: {}, expected: {} },
    { name: 'an empty array', tree: [], params: {}, expected: [] },
  ];
  for (const row of rows) {
    it(`renders ${row.name}`, () => {
      assert.deepEqual(compileTree(row.tree, fastTemplateEngine, TEMPLATE_PATH).render(row.params), row.expected);
    });
  }

  it('renders nested params with Handlebars', () => {
    const tree = { metadata: { name: '{{path.basename}}', labels: { env: '{{metadata.labels.env}}' } } };
    const params = { path: { basename: 'web' }, metadata: { labels: { env: 'prod' } } };
    assert.deepEqual(compileTree(tree, createHandlebarsEngine(), TEMPLATE_PATH).render(params), {
      metadata: { name: 'web', labels: { env: 'prod' } },
    });
  });

  it('returns a static tree itself, deeply frozen, and says it is not dynamic', () => {
    const tree = { spec: { project: 'default', sources: [{ repoURL: 'https://example.com/r.git' }] }, n: 1 };
    const compiled = compileTree(tree, fastTemplateEngine);
    assert.equal(compiled.dynamic, false);
    assert.equal(compiled.render({ a: 'x' }), tree);
    assert.equal(compiled.render({}), tree);
    assert.ok(isDeepFrozen(tree));
  });

  it('treats scalars other than strings as static', () => {
    for (const value of [1, true, null]) {
      const compiled = compileTree(value, fastTemplateEngine);
      assert.equal(compiled.dynamic, false);
      assert.equal(compiled.render({}), value);
    }
  });

  it('shares frozen static subtrees between renders and builds new dynamic parents', () => {
    const staticPart = { server: 'https://kubernetes.default.svc', namespace: 'guestbook' };
    const staticList = ['a', 'b'];
    const tree = { metadata: { name: '{{name}}' }, spec: { destination: staticPart, list: staticList, mixed: [staticPart, '{{name}}'] } };
    const compiled = compileTree(tree, fastTemplateEngine);
    assert.equal(compiled.dynamic, true);
    const first = compiled.render({ name: 'a' }) as typeof tree;
    const second = compiled.render({ name: 'b' }) as typeof tree;
    assert.equal(first.spec.destination, staticPart);
    assert.equal(second.spec.destination, staticPart);
    assert.equal(first.spec.list, staticList);
    assert.equal(first.spec.mixed[0], staticPart);
    assert.ok(isDeepFrozen(staticPart));
    assert.ok(isDeepFrozen(staticList));
    assert.notEqual(first, second);
    assert.notEqual(first.spec, second.spec);
    assert.equal(first.metadata.name, 'a');
    assert.equal(second.metadata.name, 'b');
  });

  it('does not change the templated strings of the source tree', () => {
    const tree = { metadata: { name: '{{name}}' }, list: ['{{name}}'] };
    compileTree(tree, fastTemplateEngine).render({ name: 'x' });
    assert.deepEqual(tree, { metadata: { name: '{{name}}' }, list: ['{{name}}'] });
  });

  it('marks a tree dynamic when only a key is templated', () => {
    const compiled = compileTree({ labels: { '{{k}}': 'v' } }, fastTemplateEngine);
    assert.equal(compiled.dynamic, true);
    assert.deepEqual(compiled.render({ k: 'env' }), { labels: { env: 'v' } });
  });

  describe('colliding keys', () => {
    const collisions: Array<{ name: string; tree: Record<string, unknown>; params: ParamSet; path: string }> = [
      {
        name: 'two templated keys rendering to the same key',
        tree: { '{{a}}': '1', '{{b}}': '2' },
        params: { a: 'k', b: 'k' },
        path: 'spec.template.metadata.labels["{{b}}"]',
      },
      {
        name: 'a templated key rendering to a static key set before it',
        tree: { env: '1', '{{a}}': '2' },
        params: { a: 'env' },
        path: 'spec.template.metadata.labels["{{a}}"]',
      },
      {
        name: 'a templated key rendering to a static key set after it',
        tree: { '{{a}}': '1', env: '2' },
        params: { a: 'env' },
        path: 'spec.template.metadata.labels["{{a}}"]',
      },
    ];
    for (const row of collisions) {
      it(`rejects ${row.name}, naming the templated key`, () => {
        const compiled = compileTree({ metadata: { labels: row.tree } }, fastTemplateEngine, TEMPLATE_PATH);
        assert.throws(
          () => compiled.render(row.params),
          (error: unknown) => {
            assert.ok(error instanceof RenderError);
            assert.equal(error.path, row.path);
            assert.match(error.message, /renders to "env"|renders to "k"/);
            return true;
          },
        );
      });
    }

    it('accepts templated keys that render to different keys', () => {
      const compiled = compileTree({ '{{a}}': '1', '{{b}}': '2', c: '3' }, fastTemplateEngine);
      assert.deepEqual(compiled.render({ a: 'x', b: 'y' }), { x: '1', y: '2', c: '3' });
    });
  });

  describe('errors carry the field path', () => {
    const broken: Array<{ name: string; tree: unknown; path: string }> = [
      { name: 'a value', tree: { spec: { source: { path: '{{unclosed' } } }, path: 'spec.template.spec.source.path' },
      {
        name: 'an array element',
        tree: { spec: { sources: [{ path: 'ok' }, { path: 'x {{' }] } },
        path: 'spec.template.spec.sources[1].path',
      },
      { name: 'a key', tree: { metadata: { annotations: { '{{bad': 'v' } } }, path: 'spec.template.metadata.annotations["{{bad"]' },
      {
        name: 'an odd key with a dot',
        tree: { metadata: { labels: { 'app.kubernetes.io/name': '{{x' } } },
        path: 'spec.template.metadata.labels["app.kubernetes.io/name"]',
      },
    ];
    for (const row of broken) {
      it(`names ${row.name} when compiling`, () => {
        assert.throws(
          () => compileTree(row.tree, fastTemplateEngine, TEMPLATE_PATH),
          (error: unknown) => error instanceof RenderError && error.path === row.path,
        );
      });
    }

    it('names the field when a Handlebars render fails', () => {
      const compiled = compileTree({ spec: { project: '{{missing}}' } }, createHandlebarsEngine({ strict: true }), TEMPLATE_PATH);
      assert.throws(
        () => compiled.render({}),
        (error: unknown) => error instanceof RenderError && error.path === 'spec.template.spec.project',
      );
    });

    it('starts paths at the root when no path is given', () => {
      assert.throws(
        () => compileTree({ a: ['{{'] }, fastTemplateEngine),
        (error: unknown) => error instanceof RenderError && error.path === 'a[0]',
      );
    });
  });
});
