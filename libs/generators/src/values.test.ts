import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RenderError } from '#contracts';
import { createHandlebarsEngine, fastTemplateEngine } from '#templating';
import type { GeneratorContext } from './generator.js';
import { valuesSchema, withTemplatedValues } from './values.js';

const PATH = 'spec.generators[0].clusters';
const flat: GeneratorContext = { mode: 'flat', engine: fastTemplateEngine, sources: {}, path: PATH };
const nested: GeneratorContext = { mode: 'nested', engine: createHandlebarsEngine(), sources: {}, path: PATH };

describe('withTemplatedValues', () => {
  it('returns the params unchanged when there are no values', () => {
    const params = { name: 'a' };
    assert.equal(withTemplatedValues(params, undefined, flat), params);
  });

  it('adds flat values as values.<key>, templated against the params, without mutating them', () => {
    const params = { name: 'prod', 'metadata.labels.env': 'production' };
    const out = withTemplatedValues(params, { app: '{{name}}-web', env: '{{ metadata.labels.env }}', fixed: 'x' }, flat);
    assert.deepEqual(out, { ...params, 'values.app': 'prod-web', 'values.env': 'production', 'values.fixed': 'x' });
    assert.deepEqual(params, { name: 'prod', 'metadata.labels.env': 'production' });
  });

  it('renders every value in one pass: a value never sees another value', () => {
    const out = withTemplatedValues({ name: 'c' }, { a: 'lol', b: '{{values.a}}{{values.a}}', c: '{{ nope }}' }, flat);
    assert.deepEqual(out, { name: 'c', 'values.a': 'lol', 'values.b': '{{values.a}}{{values.a}}', 'values.c': '{{ nope }}' });
  });

  it('does not see values of an earlier pass either (a param named values.x is looked up as is)', () => {
    const out = withTemplatedValues({ 'values.a': 'old' }, { a: 'new', b: '{{values.a}}' }, flat);
    assert.deepEqual(out, { 'values.a': 'new', 'values.b': 'old' });
  });

  it('nests values under `values` for Handlebars', () => {
    const out = withTemplatedValues(
      { name: 'prod', metadata: { labels: { env: 'p' } } },
      { app: '{{upper name}}', env: '{{metadata.labels.env}}', b: '{{values.app}}' },
      nested,
    );
    assert.deepEqual(out, { name: 'prod', metadata: { labels: { env: 'p' } }, values: { app: 'PROD', env: 'p', b: '' } });
  });

  it('names the value in template errors', () => {
    assert.throws(
      () => withTemplatedValues({}, { 'no-op': 'x {{' }, flat),
      (error: unknown) => error instanceof RenderError && error.path === 'spec.generators[0].clusters.values.no-op',
    );
    assert.throws(
      () => withTemplatedValues({}, { 'a.b': '{{#if}}' }, nested),
      (error: unknown) => error instanceof RenderError && error.path === 'spec.generators[0].clusters.values["a.b"]',
    );
  });
});

describe('valuesSchema', () => {
  it('accepts a map of strings and rejects anything else', () => {
    assert.equal(valuesSchema.safeParse({ a: 'b' }).success, true);
    const bad = valuesSchema.safeParse({ a: 1 });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['a']);
    assert.equal(valuesSchema.safeParse(['a']).success, false);
  });
});
