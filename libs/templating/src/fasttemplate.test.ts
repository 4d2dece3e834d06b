import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ParamSet, RenderError } from '#contracts';
import { fastTemplateEngine } from './fasttemplate.js';

const PATH = 'spec.template.metadata.name';

function render(source: string, params: ParamSet): string {
  const compiled = fastTemplateEngine.compile(source, PATH);
  return compiled === null ? source : compiled(params);
}

describe('fastTemplateEngine', () => {
  it('is named fasttemplate', () => {
    assert.equal(fastTemplateEngine.name, 'fasttemplate');
  });

  it('returns null for strings without a start tag, so callers keep them as constants', () => {
    for (const source of ['', 'plain', 'a } b }} c', 'single { brace', '}}{']) {
      assert.equal(fastTemplateEngine.compile(source, PATH), null, source);
    }
  });

  // Rows transcribed from Argo CD's TestRenderTemplateParams (applicationset/utils/utils_test.go)
  // and from valyala/fasttemplate's behaviour, plus the rules Argo CD's Replace adds on top.
  const rows: Array<{ name: string; source: string; params: ParamSet; expected: string }> = [
    { name: 'simple substitution', source: '{{one}}', params: { one: 'two' }, expected: 'two' },
    { name: 'tag name is trimmed before lookup', source: '{{ one }}', params: { one: 'two' }, expected: 'two' },
    { name: 'tabs and newlines are trimmed too', source: '{{\t one\n}}', params: { one: 'two' }, expected: 'two' },
    { name: 'multiple on a line', source: '{{one}}{{one}}', params: { one: 'two' }, expected: 'twotwo' },
    { name: 'multiple different on a line', source: '{{one}}{{three}}', params: { one: 'two', three: 'four' }, expected: 'twofour' },
    {
      name: 'multiple different on a line with quote',
      source: '{{one}} {{three}}',
      params: { one: '"hello" world', three: 'four' },
      expected: '"hello" world four',
    },
    { name: 'text around tags is kept', source: 'pre-{{a}}-mid-{{b}}-post', params: { a: 'A', b: 'B' }, expected: 'pre-A-mid-B-post' },
    { name: 'an unknown key stays verbatim', source: '{{missing}}', params: {}, expected: '{{missing}}' },
    { name: 'an unknown key keeps its spaces', source: '{{ this-does-not-exist }}', params: {}, expected: '{{ this-does-not-exist }}' },
    { name: 'a dotted key is one flat key', source: '{{path.basename}}', params: { 'path.basename': 'app' }, expected: 'app' },
    {
      name: 'nested objects are not walked',
      source: '{{path.basename}}',
      params: { path: { basename: 'app' } },
      expected: '{{path.basename}}',
    },
    { name: 'a number is left verbatim', source: '{{n}}', params: { n: 1 }, expected: '{{n}}' },
    { name: 'a boolean is left verbatim', source: '{{b}}', params: { b: true }, expected: '{{b}}' },
    { name: 'null is left verbatim', source: '{{x}}', params: { x: null }, expected: '{{x}}' },
    { name: 'a list is left verbatim', source: '{{ l }}', params: { l: ['a'] }, expected: '{{ l }}' },
    { name: 'a map is left verbatim', source: '{{m}}', params: { m: { a: 'b' } }, expected: '{{m}}' },
    { name: 'an empty string value substitutes', source: 'a{{e}}b', params: { e: '' }, expected: 'ab' },
    { name: 'the empty tag stays verbatim', source: 'x{{}}y', params: { '': 'nope' }, expected: 'x{{}}y' },
    { name: 'a blank tag stays verbatim with its spaces', source: '{{   }}', params: { '': 'nope' }, expected: '{{   }}' },
    { name: 'a lone end tag is plain text', source: 'a}}b {{a}}', params: { a: 'A' }, expected: 'a}}b A' },
    { name: 'an end tag before any start is plain text', source: '}}{{a}}}}', params: { a: 'A' }, expected: '}}A}}' },
    { name: 'the tag runs to the first end tag', source: '{{a{{b}}', params: { a: 'A', b: 'B' }, expected: '{{a{{b}}' },
    { name: 'a third brace belongs to the tag', source: '{{{a}}}', params: { a: 'A' }, expected: '{{{a}}}' },
    {
      name: 'a key holding the third brace is found',
      source: '{{{a}}}',
      params: { '{a': 'A' },
      expected: 'A}',
    },
    {
      name: 'keys with slashes and dashes (cluster labels)',
      source: '{{metadata.labels.argocd.argoproj.io/secret-type}}',
      params: { 'metadata.labels.argocd.argoproj.io/secret-type': 'cluster' },
      expected: 'cluster',
    },
    {
      name: 'Object.prototype members are not params',
      source: '{{constructor}}{{toString}}{{__proto__}}',
      params: {},
      expected: '{{constructor}}{{toString}}{{__proto__}}',
    },
    { name: 'one pass: a value holding a tag is not rendered again', source: '{{a}}', params: { a: '{{b}}', b: 'B' }, expected: '{{b}}' },
    { name: 'one pass: a value holding its own tag', source: '{{one}}', params: { one: '{{one}}' }, expected: '{{one}}' },
    {
      name: 'one pass: a value holding an unclosed tag is not an error',
      source: '{{a}}-{{b}}',
      params: { a: '{{', b: 'x}}' },
      expected: '{{-x}}',
    },
  ];

  for (const row of rows) {
    it(`renders: ${row.name}`, () => {
      assert.equal(render(row.source, row.params), row.expected);
    });
  }

  it('renders many tags', () => {
    const params: ParamSet = {};
    const parts: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      params[`k${i}`] = `v${i}`;
      parts.push(i % 3 === 0 ? `{{ k${i} }}` : i % 3 === 1 ? `{{k${i}}}` : `{{missing${i}}}`);
      expected.push(i % 3 === 2 ? `{{missing${i}}}` : `v${i}`);
    }
    assert.equal(render(parts.join('/'), params), expected.join('/'));
  });

  it('compiles once and renders for many parameter sets', () => {
    const compiled = fastTemplateEngine.compile('{{name}}-{{env}}', PATH);
    assert.ok(compiled);
    assert.equal(compiled({ name: 'a', env: 'dev' }), 'a-dev');
    assert.equal(compiled({ name: 'b' }), 'b-{{env}}');
    assert.equal(compiled({}), '{{name}}-{{env}}');
  });

  const unclosed = ['{{', 'a {{b', '{{properly.closed}} {{improperly.closed}', '{{a}} {{', 'x}} {{ y }'];
  for (const source of unclosed) {
    it(`rejects the unclosed tag in ${JSON.stringify(source)} with a RenderError naming the path`, () => {
      assert.throws(
        () => fastTemplateEngine.compile(source, PATH),
        (error: unknown) => {
          assert.ok(error instanceof RenderError);
          assert.equal(error.path, PATH);
          assert.equal(error.code, 'RENDER_FAILED');
          assert.match(error.message, /^spec\.template\.metadata\.name: /);
          assert.match(error.message, /unclosed tag/);
          return true;
        },
      );
    });
  }

  it('reports the unclosed tag even when no params would be looked up', () => {
    // The error is a syntax error of the template, found when compiling, not when rendering.
    assert.throws(
      () => fastTemplateEngine.compile('{{improperly.closed}', 'spec.template.spec.source.path'),
      /spec\.template\.spec\.source\.path/,
    );
  });

  it('property: any substituted string value appears exactly as given (one pass, no escaping)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        assert.equal(render('<{{a}}>', { a: value }), `<${value}>`);
      }),
    );
  });

  it('property: a string without "{{" is never compiled', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('{{')),
        (source) => fastTemplateEngine.compile(source, PATH) === null,
      ),
    );
  });

  it('property: with no params, a well-formed template renders to itself', () => {
    const tag = fc.string({ maxLength: 8 }).filter((s) => !s.includes('}}') && !s.includes('{{') && !s.endsWith('}') && !s.startsWith('{'));
    const text = fc.string({ maxLength: 8 }).filter((s) => !s.includes('{{') && !s.endsWith('{') && !s.startsWith('}'));
    fc.assert(
      fc.property(fc.array(fc.tuple(text, tag), { maxLength: 6 }), text, (pieces, tail) => {
        const source = pieces.map(([t, k]) => `${t}{{${k}}}`).join('') + tail;
        assert.equal(render(source, {}), source);
      }),
    );
  });
});
