import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applicationTemplateSchema, mergeTemplates } from './template.js';

const APPSET_TEMPLATE = {
  metadata: { name: '{{cluster}}-app', labels: { team: 'a' }, annotations: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    project: 'default',
    source: { repoURL: 'https://example.com/r.git', path: 'guestbook', targetRevision: 'HEAD' },
    destination: { server: '{{url}}', namespace: 'guestbook' },
  },
};

describe('mergeTemplates', () => {
  // Argo CD: mergo.Merge(generatorTemplate, appSetTemplate) without override.
  const rows: Array<{ name: string; generator: unknown; expected: unknown }> = [
    { name: 'no generator template', generator: undefined, expected: APPSET_TEMPLATE },
    { name: 'a null generator template', generator: null, expected: APPSET_TEMPLATE },
    { name: 'an empty generator template', generator: {}, expected: APPSET_TEMPLATE },
    {
      name: 'a generator name overriding the ApplicationSet name',
      generator: { metadata: { name: 'override-{{cluster}}' } },
      expected: { ...APPSET_TEMPLATE, metadata: { ...APPSET_TEMPLATE.metadata, name: 'override-{{cluster}}' } },
    },
    {
      name: 'maps merged key by key, the generator winning',
      generator: { metadata: { annotations: { b: 'gen', c: '3' } } },
      expected: { ...APPSET_TEMPLATE, metadata: { ...APPSET_TEMPLATE.metadata, annotations: { a: '1', b: 'gen', c: '3' } } },
    },
    {
      name: 'an empty string in the generator template taken from the ApplicationSet',
      generator: { spec: { project: '', source: { path: 'other' } } },
      expected: { ...APPSET_TEMPLATE, spec: { ...APPSET_TEMPLATE.spec, source: { ...APPSET_TEMPLATE.spec.source, path: 'other' } } },
    },
    {
      name: 'a non-empty list replacing the ApplicationSet list',
      generator: { metadata: { finalizers: ['y', 'z'] } },
      expected: { ...APPSET_TEMPLATE, metadata: { ...APPSET_TEMPLATE.metadata, finalizers: ['y', 'z'] } },
    },
    { name: 'an empty list taken from the ApplicationSet', generator: { metadata: { finalizers: [] } }, expected: APPSET_TEMPLATE },
    {
      name: 'fields only the generator template has',
      generator: { spec: { syncPolicy: { automated: { prune: true } } } },
      expected: { ...APPSET_TEMPLATE, spec: { ...APPSET_TEMPLATE.spec, syncPolicy: { automated: { prune: true } } } },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(mergeTemplates(row.generator, APPSET_TEMPLATE), row.expected);
    });
  }

  it('uses the generator template when the ApplicationSet has none', () => {
    assert.deepEqual(mergeTemplates({ metadata: { name: 'x' } }, {}), { metadata: { name: 'x' } });
    assert.deepEqual(mergeTemplates({ metadata: { name: 'x' } }, undefined), { metadata: { name: 'x' } });
  });

  it('does not mutate either template', () => {
    const generator = { metadata: { annotations: { c: '3' } } };
    const snapshot = structuredClone(APPSET_TEMPLATE);
    mergeTemplates(generator, APPSET_TEMPLATE);
    assert.deepEqual(APPSET_TEMPLATE, snapshot);
    assert.deepEqual(generator, { metadata: { annotations: { c: '3' } } });
  });
});

describe('applicationTemplateSchema', () => {
  it('accepts an Application template', () => {
    assert.equal(applicationTemplateSchema.safeParse(APPSET_TEMPLATE).success, true);
  });

  const rows: Array<{ name: string; input: unknown; path: PropertyKey[] }> = [
    { name: 'unknown metadata field', input: { metadata: { nam: 'x' } }, path: ['metadata'] },
    { name: 'non-string label', input: { metadata: { labels: { a: 1 } } }, path: ['metadata', 'labels', 'a'] },
    { name: 'unknown source field', input: { spec: { source: { repo: 'x' } } }, path: ['spec', 'source'] },
    { name: 'bad sources entry', input: { spec: { sources: [{}, { path: 3 }] } }, path: ['spec', 'sources', 1, 'path'] },
    { name: 'non-integer revisionHistoryLimit', input: { spec: { revisionHistoryLimit: 1.5 } }, path: ['spec', 'revisionHistoryLimit'] },
  ];
  for (const row of rows) {
    it(`rejects ${row.name}, naming the field`, () => {
      const result = applicationTemplateSchema.safeParse(row.input);
      assert.equal(result.success, false);
      assert.deepEqual(result.error?.issues[0]?.path, row.path);
    });
  }
});
