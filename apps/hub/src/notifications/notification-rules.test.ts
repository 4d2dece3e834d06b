import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { payloadFor, wants } from './notification-rules.js';

const event = {
  type: 'HealthDegraded',
  subject: 'application/prod/web',
  message: 'Deployment web: 0/3 ready',
  actor: 'agent:prod',
  at: '2026-12-01T00:00:00.000Z',
};

describe('notification rules', () => {
  it('selects by event type, `*`, and subject prefix', () => {
    assert.equal(wants({ name: 'a', type: 'webhook', events: ['HealthDegraded'] }, event), true);
    assert.equal(wants({ name: 'a', type: 'webhook', events: ['SyncFailed'] }, event), false);
    assert.equal(wants({ name: 'a', type: 'webhook', events: ['*'] }, event), true);
    assert.equal(wants({ name: 'a', type: 'webhook', events: ['*'], subjectPrefix: 'application/prod/' }, event), true);
    assert.equal(wants({ name: 'a', type: 'webhook', events: ['*'], subjectPrefix: 'application/dev/' }, event), false);
  });

  it('sends the event as JSON to webhooks and one mrkdwn line to Slack', () => {
    assert.deepEqual(payloadFor('webhook', event), { source: 'flotilla', ...event });
    assert.deepEqual(payloadFor('slack', event), {
      text: ':red_circle: *HealthDegraded* `application/prod/web`\nDeployment web: 0/3 ready',
    });
    assert.match(String(payloadFor('slack', { ...event, type: 'Other' }).text), /^:information_source: \*Other\*/);
  });
});
