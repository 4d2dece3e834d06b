import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readsOnlyHubState } from './appset-facts.js';

const withGenerators = (generators: unknown[]) => ({ spec: { generators, template: {} } });

describe('readsOnlyHubState', () => {
  it('holds for lists, clusters, and matrices and merges of them, at any depth', () => {
    assert.equal(readsOnlyHubState(withGenerators([{ list: { elements: [] } }])), true);
    assert.equal(readsOnlyHubState(withGenerators([{ clusters: { selector: { matchLabels: { a: 'b' } } } }])), true);
    const nested = {
      matrix: {
        generators: [{ clusters: {} }, { merge: { mergeKeys: ['x'], generators: [{ list: { elements: [] } }, { clusters: {} }] } }],
      },
    };
    assert.equal(readsOnlyHubState(withGenerators([nested, { list: { elements: [] }, selector: { matchLabels: { x: 'y' } } }])), true);
  });

  it('fails for any generator that reads git, pull requests or another outside source, however deep', () => {
    assert.equal(readsOnlyHubState(withGenerators([{ git: { repoURL: 'https://x', revision: 'main', directories: [] } }])), false);
    assert.equal(readsOnlyHubState(withGenerators([{ pullRequest: { github: { owner: 'o', repo: 'r' } } }])), false);
    const deep = { matrix: { generators: [{ clusters: {} }, { merge: { generators: [{ list: {} }, { scmProvider: {} }] } }] } };
    assert.equal(readsOnlyHubState(withGenerators([deep])), false);
    assert.equal(readsOnlyHubState(withGenerators([{ plugin: { configMapRef: { name: 'p' } } }])), false);
  });

  it('fails for a document without generators (nothing is known about it)', () => {
    assert.equal(readsOnlyHubState({ spec: {} }), false);
    assert.equal(readsOnlyHubState(null), false);
  });
});
