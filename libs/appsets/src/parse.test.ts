import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregateSpecError, FlotillaError } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { parseApplicationSets } from './parse.js';

const registry = createDefaultRegistry();

const appSet = (spec: string): string => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: demo, namespace: argocd}
spec:
${spec}
`;

const TEMPLATE = `
  template:
    metadata: {name: '{{cluster}}'}
    spec:
      project: default
      source: {repoURL: 'https://example.com/r.git', path: app, targetRevision: HEAD}
      destination: {server: '{{url}}', namespace: demo}`;

/** All messages of a failed parse, one per problem. */
function problems(source: string): string[] {
  try {
    parseApplicationSets(source, registry, 'appset.yaml');
  } catch (error) {
    if (error instanceof AggregateSpecError) return error.errors.map((e) => e.message);
    if (error instanceof FlotillaError) return [error.message];
    throw error;
  }
  assert.fail('expected the ApplicationSet to be rejected');
}

describe('parseApplicationSets', () => {
  it('accepts a valid Argo CD ApplicationSet, exported cluster metadata included', () => {
    const [parsed] = parseApplicationSets(
      `${appSet(`  generators:\n  - list: {elements: [{cluster: a, url: 'https://a'}]}${TEMPLATE}`)}`.replace(
        'metadata: {name: demo, namespace: argocd}',
        'metadata: {name: demo, namespace: argocd, uid: 1b2c, resourceVersion: "42"}',
      ),
      registry,
    );
    assert.equal(parsed?.metadata.name, 'demo');
  });

  const cases: Array<{ name: string; source: string; expected: RegExp[] }> = [
    { name: 'invalid YAML', source: 'apiVersion: [unclosed', expected: [/^appset\.yaml: not valid YAML: /] },
    { name: 'an empty file', source: '# nothing\n', expected: [/holds no ApplicationSet/] },
    {
      name: 'a wrong kind and apiVersion',
      source: appSet(`  generators: [{list: {elements: []}}]${TEMPLATE}`)
        .replace('kind: ApplicationSet', 'kind: Application')
        .replace('argoproj.io/v1alpha1', 'v1'),
      expected: [/^apiVersion: must be argoproj\.io\/v1alpha1/, /^kind: must be ApplicationSet/],
    },
    {
      name: 'an unknown field deep in a generator',
      source: appSet(`  generators:\n  - list: {elements: []}\n  - git: {repoURL: r, directories: [{path: '*', exlude: true}]}${TEMPLATE}`),
      expected: [/^spec\.generators\[1\]\.git\.directories\[0\]\.exlude: unknown field$/],
    },
    {
      name: 'a generator entry with two generators',
      source: appSet(`  generators:\n  - list: {elements: []}\n    clusters: {}${TEMPLATE}`),
      expected: [/^spec\.generators\[0\]: set exactly one generator per entry, found list and clusters/],
    },
    {
      name: 'an empty generator entry',
      source: appSet(`  generators:\n  - selector: {}${TEMPLATE}`),
      expected: [/^spec\.generators\[0\]: set one generator/],
    },
    {
      name: 'a generator that is not supported yet',
      source: appSet(`  generators:\n  - plugin: {configMapRef: {name: x}}${TEMPLATE}`),
      expected: [/^spec\.generators\[0\]\.plugin: the plugin generator is not supported yet/],
    },
    {
      name: 'a matrix with three children',
      source: appSet(
        `  generators:\n  - matrix:\n      generators: [{list: {elements: []}}, {list: {elements: []}}, {list: {elements: []}}]${TEMPLATE}`,
      ),
      expected: [/^spec\.generators\[0\]\.matrix\.generators: a matrix combines exactly two generators/],
    },
    {
      name: 'nesting three levels deep',
      source: appSet(`  generators:
  - matrix:
      generators:
      - list: {elements: []}
      - matrix:
          generators:
          - list: {elements: []}
          - merge: {mergeKeys: [a], generators: [{list: {elements: []}}]}${TEMPLATE}`),
      expected: [
        /^spec\.generators\[0\]\.matrix\.generators\[1\]\.matrix\.generators\[1\]\.merge: a merge generator cannot be nested this deep/,
      ],
    },
    {
      name: 'a git generator with both directories and files',
      source: appSet(`  generators:\n  - git: {repoURL: r, directories: [{path: a}], files: [{path: b}]}${TEMPLATE}`),
      expected: [/^spec\.generators\[0\]\.git: set exactly one of directories or files/],
    },
    {
      name: 'a missing template and generators',
      source: appSet('  goTemplate: false'),
      expected: [/^spec\.generators: is required/, /^spec\.template: is required/],
    },
    {
      name: 'a selector expression without values',
      source: appSet(`  generators:\n  - clusters: {selector: {matchExpressions: [{key: env, operator: In}]}}${TEMPLATE}`),
      expected: [/^spec\.generators\[0\]\.clusters\.selector\.matchExpressions\[0\]\.values: must be non-empty for operator In/],
    },
    {
      name: 'a typo in the template spec',
      source: appSet(`  generators: [{list: {elements: []}}]${TEMPLATE}`).replace('project: default', 'projcet: default'),
      expected: [/^spec\.template\.spec\.projcet: unknown field/],
    },
  ];

  for (const { name, source, expected } of cases) {
    it(`rejects ${name} with the field path`, () => {
      const messages = problems(source);
      for (const pattern of expected) {
        assert.ok(
          messages.some((m) => pattern.test(m)),
          `expected a problem matching ${pattern}, got:\n${messages.join('\n')}`,
        );
      }
    });
  }

  it('names the document of a multi-document stream', () => {
    const good = appSet(`  generators: [{list: {elements: []}}]${TEMPLATE}`);
    const messages = problems(`${good}\n---\n${good.replace('name: demo', 'name: ""')}`);
    assert.deepEqual(messages, ['appset.yaml document 2: metadata.name: must not be empty']);
  });
});
