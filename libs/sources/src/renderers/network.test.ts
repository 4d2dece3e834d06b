import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository } from '#testing';
import { BEFORE_TIMEOUT, type TestBinaries, testBinaries, testToolsConfig } from '../test-support/tools.js';
import { KustomizeRenderer } from './kustomize.js';
import type { RenderSourceInput } from './types.js';

const REPO_URL = 'https://git.example.com/platform/apps.git';
// A remote base on a host that is not loopback: with network off, kustomize must not even try DNS.
const REMOTE_BASE = { 'app/kustomization.yaml': 'resources:\n- https://remote-base.example.invalid/manifests/deploy.yaml\n' };

describe('network access of renders', () => {
  let bin: TestBinaries;
  before(async () => {
    bin = await testBinaries();
  }, BEFORE_TIMEOUT);

  const input = (checkout: string): RenderSourceInput => ({
    appName: 'app',
    source: { repoURL: REPO_URL, targetRevision: 'main', path: 'app' },
    checkout,
    refs: new Map(),
  });

  it('refuses a kustomize remote base by default, naming the reason', async (t) => {
    const repo = createRepository(t, REMOTE_BASE);
    const renderer = new KustomizeRenderer(testToolsConfig(t, bin));
    await assert.rejects(renderer.render(input(repo.path)), (error) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^kustomize tried to reach the network .* renders of this repository may not/);
      return true;
    });
  });

  it('lets the repositories the policy allows reach the network (here: the lookup itself fails)', async (t) => {
    const repo = createRepository(t, REMOTE_BASE);
    const allowed: string[] = [];
    const renderer = new KustomizeRenderer(
      testToolsConfig(t, bin, {
        allowNetwork: (url) => {
          allowed.push(url);
          return url === REPO_URL;
        },
      }),
    );
    await assert.rejects(renderer.render(input(repo.path)), (error) => {
      assert.ok(error instanceof SourceError);
      assert.doesNotMatch(error.message, /tried to reach the network/);
      assert.match(error.message, /remote-base\.example\.invalid/);
      return true;
    });
    assert.deepEqual(allowed, [REPO_URL]);
  });
});
