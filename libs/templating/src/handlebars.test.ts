import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Handlebars from 'handlebars';
import { type ParamSet, RenderError } from '#contracts';
import { createHandlebarsEngine } from './handlebars.js';

const PATH = 'spec.template.metadata.annotations.note';
const engine = createHandlebarsEngine();

function render(source: string, params: ParamSet = {}, strict = false): string {
  const compiled = (strict ? createHandlebarsEngine({ strict: true }) : engine).compile(source, PATH);
  assert.ok(compiled, `${source} should compile to a renderer`);
  return compiled(params);
}

const LONG_BRANCH = 'feat/areally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature';

describe('createHandlebarsEngine', () => {
  it('is named handlebars and returns null for strings without "{{"', () => {
    assert.equal(engine.name, 'handlebars');
    assert.equal(engine.compile('plain text', PATH), null);
    assert.equal(engine.compile('', PATH), null);
    assert.equal(engine.compile('a } b }}', PATH), null);
  });

  const substitutions: Array<{ name: string; source: string; params: ParamSet; expected: string }> = [
    { name: 'a top-level param', source: '{{name}}', params: { name: 'web' }, expected: 'web' },
    { name: 'whitespace inside the tag', source: '{{ name }}', params: { name: 'web' }, expected: 'web' },
    { name: 'a nested param by dotted path', source: '{{path.basename}}', params: { path: { basename: 'app1' } }, expected: 'app1' },
    {
      name: 'a deeply nested param',
      source: '{{metadata.labels.env}}/{{path.segments.[1]}}',
      params: { metadata: { labels: { env: 'prod' } }, path: { segments: ['apps', 'web'] } },
      expected: 'prod/web',
    },
    { name: 'numbers keep their JSON value', source: '{{replicas}}', params: { replicas: 3 }, expected: '3' },
    { name: 'booleans print as true/false', source: '{{on}}', params: { on: true }, expected: 'true' },
    { name: 'a missing param renders empty when not strict', source: '[{{missing}}]', params: {}, expected: '[]' },
    { name: 'no HTML escaping', source: '{{v}}', params: { v: `<a href="x?y=1&z='2'">` }, expected: `<a href="x?y=1&z='2'">` },
    { name: 'triple-stash also unescaped', source: '{{{v}}}', params: { v: '&<>' }, expected: '&<>' },
    { name: 'one pass: a value holding a template is not rendered', source: '{{a}}', params: { a: '{{b}}', b: 'B' }, expected: '{{b}}' },
    {
      name: 'each over a list (pull request labels)',
      source: '{{#each labels}}{{this}};{{/each}}',
      params: { labels: ['a', 'b'] },
      expected: 'a;b;',
    },
    { name: 'if/else block', source: '{{#if on}}yes{{else}}no{{/if}}', params: { on: false }, expected: 'no' },
  ];
  for (const row of substitutions) {
    it(`renders ${row.name}`, () => {
      assert.equal(render(row.source, row.params), row.expected);
    });
  }

  describe('helpers', () => {
    const helperRows: Array<{ helper: string; source: string; params?: ParamSet; expected: string }> = [
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: 'set' }, expected: 'set' },
      { helper: 'default', source: '{{default v "fallback"}}', params: {}, expected: 'fallback' },
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: '' }, expected: 'fallback' },
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: null }, expected: 'fallback' },
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: false }, expected: 'fallback' },
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: [] }, expected: 'fallback' },
      { helper: 'default', source: '{{default v "fallback"}}', params: { v: {} }, expected: 'fallback' },
      { helper: 'default', source: '{{default v.x "fallback"}}', params: { v: { x: 'deep' } }, expected: 'deep' },
      { helper: 'lower', source: '{{lower v}}', params: { v: 'MiXeD-Case' }, expected: 'mixed-case' },
      { helper: 'lower', source: '[{{lower v}}]', params: {}, expected: '[]' },
      { helper: 'upper', source: '{{upper v}}', params: { v: 'MiXeD-Case' }, expected: 'MIXED-CASE' },
      { helper: 'upper', source: '{{upper n}}', params: { n: 42 }, expected: '42' },
      { helper: 'trunc', source: '{{trunc v 5}}', params: { v: 'hello world' }, expected: 'hello' },
      { helper: 'trunc', source: '{{trunc v 0}}', params: { v: 'hello' }, expected: '' },
      { helper: 'trunc', source: '{{trunc v 50}}', params: { v: 'hello' }, expected: 'hello' },
      { helper: 'trunc', source: '{{trunc v -5}}', params: { v: 'hello world' }, expected: 'world' },
      { helper: 'trunc', source: '{{trunc v -50}}', params: { v: 'hello' }, expected: 'hello' },
      { helper: 'trunc', source: '{{trunc v n}}', params: { v: 'hello', n: 2 }, expected: 'he' },
      { helper: 'trunc', source: '{{trunc v "x"}}', params: { v: 'hello' }, expected: 'hello' },
      { helper: 'replace', source: '{{replace v "/" "-"}}', params: { v: 'feat/a/b' }, expected: 'feat-a-b' },
      { helper: 'replace', source: '{{replace v "." ""}}', params: { v: '1.2.3' }, expected: '123' },
      { helper: 'replace', source: '{{replace v "x" "y"}}', params: { v: 'none' }, expected: 'none' },
      { helper: 'slug', source: '{{slug v}}', params: { v: LONG_BRANCH }, expected: 'feat-areally-long-pull-request-name-to-test-argo' },
      { helper: 'slug', source: '{{slug v}}', params: { v: 'Feature/My_Branch' }, expected: 'feature-my-branch' },
      { helper: 'slug', source: '{{slug v 10}}', params: { v: 'hello-big-world' }, expected: 'hello-big' },
      { helper: 'sanitize', source: '{{sanitize v}}', params: { v: 'production_01/west' }, expected: 'production-01-west' },
      { helper: 'sanitize', source: '{{sanitize v}}', params: { v: '-My.Cluster-' }, expected: 'my.cluster' },
      { helper: 'json', source: '{{json v}}', params: { v: { a: [1, 'x', true, null] } }, expected: '{"a":[1,"x",true,null]}' },
      { helper: 'json', source: '{{json v}}', params: { v: 'q"uote' }, expected: '"q\\"uote"' },
      { helper: 'json', source: '{{json v}}', params: {}, expected: 'null' },
      { helper: 'yaml', source: '{{yaml v}}', params: { v: { a: 1, b: ['x', 'y'] } }, expected: 'a: 1\nb:\n  - x\n  - y' },
      { helper: 'yaml', source: '{{yaml v}}', params: { v: 'text' }, expected: 'text' },
      { helper: 'yaml', source: '{{yaml v}}', params: {}, expected: 'null' },
      { helper: 'eq', source: '{{#if (eq a "x")}}T{{else}}F{{/if}}', params: { a: 'x' }, expected: 'T' },
      { helper: 'eq', source: '{{#if (eq a "x")}}T{{else}}F{{/if}}', params: { a: 'y' }, expected: 'F' },
      { helper: 'eq', source: '{{#if (eq a 1)}}T{{else}}F{{/if}}', params: { a: '1' }, expected: 'F' },
      { helper: 'eq', source: '{{eq a b}}', params: { a: 2, b: 2 }, expected: 'true' },
      { helper: 'ne', source: '{{#if (ne a "x")}}T{{else}}F{{/if}}', params: { a: 'y' }, expected: 'T' },
      { helper: 'ne', source: '{{ne a "x"}}', params: { a: 'x' }, expected: 'false' },
      { helper: 'and', source: '{{and a b}}', params: { a: 'x', b: 'y' }, expected: 'true' },
      { helper: 'and', source: '{{and a b}}', params: { a: 'x', b: '' }, expected: 'false' },
      { helper: 'and', source: '{{and a b c}}', params: { a: 'x', b: 'y' }, expected: 'false' },
      { helper: 'and', source: '{{#if (and a (eq b "prod"))}}T{{else}}F{{/if}}', params: { a: true, b: 'prod' }, expected: 'T' },
      { helper: 'or', source: '{{or a b}}', params: { a: '', b: 'second' }, expected: 'second' },
      { helper: 'or', source: '{{or a b}}', params: { a: 'first', b: 'second' }, expected: 'first' },
      { helper: 'or', source: '{{or a b}}', params: {}, expected: 'false' },
      { helper: 'or', source: '{{or a b "literal"}}', params: { a: [], b: {} }, expected: 'literal' },
      { helper: 'not', source: '{{not a}}', params: { a: '' }, expected: 'true' },
      { helper: 'not', source: '{{not a}}', params: { a: 'x' }, expected: 'false' },
      { helper: 'not', source: '{{#if (not labels)}}none{{/if}}', params: { labels: [] }, expected: 'none' },
      { helper: 'nested calls', source: '{{upper (trunc (slug v) 4)}}', params: { v: 'My Branch' }, expected: 'MY-B' },
    ];
    for (const row of helperRows) {
      it(`${row.helper}: ${row.source} with ${JSON.stringify(row.params ?? {})}`, () => {
        assert.equal(render(row.source, row.params ?? {}), row.expected);
      });
    }

    it('registers every documented helper', () => {
      const documented = [
        'default',
        'lower',
        'upper',
        'trunc',
        'replace',
        'slug',
        'sanitize',
        'json',
        'yaml',
        'eq',
        'ne',
        'and',
        'or',
        'not',
      ];
      const covered = new Set(helperRows.map((row) => row.helper));
      for (const helper of documented) assert.ok(covered.has(helper), `no test row for helper ${helper}`);
    });

    it('keeps its helpers out of the global Handlebars instance', () => {
      createHandlebarsEngine();
      assert.equal(Handlebars.helpers.slug, undefined);
      assert.equal(Handlebars.helpers.sanitize, undefined);
    });
  });

  describe('strict mode', () => {
    it('renders params that exist', () => {
      assert.equal(render('{{a.b}}', { a: { b: 'ok' } }, true), 'ok');
    });

    it('throws a RenderError naming the field path for a missing key', () => {
      const compiled = createHandlebarsEngine({ strict: true }).compile('x-{{missing}}', PATH);
      assert.ok(compiled);
      assert.throws(
        () => compiled({ present: 'y' }),
        (error: unknown) => {
          assert.ok(error instanceof RenderError);
          assert.equal(error.path, PATH);
          assert.match(error.message, /^spec\.template\.metadata\.annotations\.note: template "x-\{\{missing\}\}" failed: /);
          assert.match(error.message, /"missing" not defined/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });

    it('throws for a missing nested key', () => {
      assert.throws(() => render('{{path.nope}}', { path: { basename: 'x' } }, true), RenderError);
    });

    it('leaves non-strict engines alone', () => {
      assert.equal(render('[{{missing}}]', {}), '[]');
    });
  });

  describe('syntax errors', () => {
    const broken = ['{{#if x}}open', '{{foo}', '{{#each}}{{/if}}', '{{a b c}', '{{/close}}'];
    for (const source of broken) {
      it(`rejects ${JSON.stringify(source)} when compiling, naming the path`, () => {
        assert.throws(
          () => engine.compile(source, 'spec.template.spec.source.path'),
          (error: unknown) => {
            assert.ok(error instanceof RenderError);
            assert.equal(error.path, 'spec.template.spec.source.path');
            assert.match(error.message, /^spec\.template\.spec\.source\.path: invalid template /);
            assert.doesNotMatch(error.message, /\n/);
            return true;
          },
        );
      });
    }

    it('turns helper failures at render time into RenderErrors', () => {
      const compiled = engine.compile('{{#each}}x{{/each}}', PATH);
      assert.ok(compiled);
      assert.throws(
        () => compiled({}),
        (error: unknown) => error instanceof RenderError && error.path === PATH,
      );
    });
  });
});
