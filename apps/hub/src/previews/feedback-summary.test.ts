import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PreviewApplication, summarisePreview } from './feedback-summary.js';

const base = { appSet: 'previews', number: 7, headSha: 'abcdef0123456789', state: 'live' as const, reason: '' };
const app = (cluster: string, health: string, sync = 'Synced', extra: Partial<PreviewApplication> = {}): PreviewApplication => ({
  name: `shop-pr-7-${cluster}`,
  cluster,
  planned: true,
  status: { sync, health, message: health === 'Degraded' ? 'Deployment shop: 0/1 ready\nmore' : '' },
  ...extra,
});

describe('summarisePreview', () => {
  it('is pending until every Application reports Synced and Healthy on the newest plan', () => {
    assert.equal(summarisePreview({ ...base, applications: [] }).status?.state, 'pending');
    const waiting = summarisePreview({ ...base, applications: [app('dev', 'Healthy'), app('prod', 'Progressing')] });
    assert.equal(waiting.status?.state, 'pending');
    assert.equal(waiting.status?.description, 'Deploying: 1 of 2 applications ready');
    const stale = summarisePreview({ ...base, applications: [app('dev', 'Healthy', 'Synced', { planned: false })] });
    assert.equal(stale.status?.state, 'pending', 'a report for an older plan does not count');
    assert.match(stale.comment, /\| dev \| shop-pr-7-dev \| Pending \| Pending \|/);
  });

  it('is success with the URL when everything is ready, failure when one is degraded', () => {
    const ready = summarisePreview({
      ...base,
      applications: [app('dev', 'Healthy', 'Synced', { url: 'https://pr-7.preview.example' }), app('qa', 'Healthy')],
    });
    assert.deepEqual(ready.status, {
      state: 'success',
      context: 'flotilla/previews',
      description: 'Preview ready on 2 clusters',
      targetUrl: 'https://pr-7.preview.example',
    });
    assert.equal(ready.url, 'https://pr-7.preview.example');
    assert.match(ready.comment, /^<!-- flotilla-preview previews -->\n### Flotilla preview: ready\n\nRevision `abcdef01` · https:\/\/pr-7/);
    const degraded = summarisePreview({ ...base, applications: [app('dev', 'Degraded'), app('qa', 'Healthy')] });
    assert.equal(degraded.status?.state, 'failure');
    assert.match(degraded.comment, /> shop-pr-7-dev on dev: Deployment shop: 0\/1 ready\n$/);
  });

  it('says why a preview was removed and leaves the commit status alone', () => {
    const gone = summarisePreview({ ...base, state: 'closed', reason: 'the pull request was closed or merged', applications: [] });
    assert.equal(gone.status, undefined);
    assert.match(gone.comment, /removed\n\nThe pull request was closed or merged\. Revision `abcdef01`\./);
  });

  it('renders the same comment for the same state (no churn on repeated reports)', () => {
    const input = { ...base, applications: [app('b', 'Healthy'), app('a', 'Healthy')] };
    assert.equal(summarisePreview(input).comment, summarisePreview({ ...input, applications: [...input.applications].reverse() }).comment);
  });
});
