import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, hubClient, type RunningHub, startFreshHub, suiteScope, tempDir } from '#testing';

/**
 * Notifications: events from agent reports (HealthDegraded, SyncFailed) reach a webhook and a
 * Slack-style receiver through BullMQ, selected by type and subject, retried when the receiver
 * fails. Reports come through the real agent gateway (the agent itself is tested elsewhere).
 */

const ADMIN_TOKEN = 'e2e-notifications-admin-token-0123456789abcdef';

interface Delivery {
  path: string;
  body: Record<string, unknown>;
}

describe('notifications', { timeout: 120_000 }, () => {
  const suite = suiteScope();
  let hub: RunningHub;
  let admin: ReturnType<typeof hubClient>;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  let failuresLeft = 0;
  let attempts = 0;
  const credentials = new Map<string, string>();

  const report = async (cluster: string, app: Record<string, unknown>, revision = 1) => {
    const response = await fetch(`${hub.url}/agent/v1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credentials.get(cluster)}` },
      body: JSON.stringify({
        revision,
        applications: [{ name: 'web', sync: 'Synced', health: 'Healthy', message: '', objects: [], ...app }],
      }),
    });
    assert.equal(response.status, 204);
  };
  const of = (path: string, type?: string) =>
    deliveries.filter((d) => d.path === path && (!type || d.body.type === type || String(d.body.text).includes(type)));

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        attempts++;
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(503).end();
          return;
        }
        deliveries.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end('ok');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    ({ hub } = await startFreshHub(suite, {
      adminToken: ADMIN_TOKEN,
      workDir: tempDir(suite, 'flotilla-notifications-'),
      env: { FLOTILLA_SECRET_KEY: 'ef'.repeat(32) },
    }));
    admin = hubClient(hub.url, ADMIN_TOKEN);
    for (const name of ['prod', 'dev']) {
      await admin.post('/api/v1/clusters', { name, server: `https://${name}.example.com`, labels: {} });
      const bootstrap = (await admin.post(`/api/v1/clusters/${name}/bootstrap-tokens`, {})).body.token as string;
      const registered = await fetch(`${hub.url}/agent/v1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bootstrapToken: bootstrap }),
      });
      credentials.set(name, ((await registered.json()) as { credential: string }).credential);
    }
    assert.equal((await admin.put('/api/v1/secrets/slack', { data: { url: `${receiverUrl}/slack/T000/B000/secret` } })).status, 200);
    const ops = await admin.put('/api/v1/notifications/ops', {
      type: 'webhook',
      url: `${receiverUrl}/hook`,
      events: ['HealthDegraded', 'SyncFailed'],
    });
    assert.equal(ops.status, 200, JSON.stringify(ops.body));
    const chat = await admin.put('/api/v1/notifications/chat', {
      type: 'slack',
      urlFrom: { secretName: 'slack', key: 'url' },
      events: ['HealthDegraded'],
      subjectPrefix: 'application/prod/',
    });
    assert.equal(chat.status, 200, JSON.stringify(chat.body));
  });

  after(async () => {
    await suite.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('sends HealthDegraded to the webhook as JSON and to Slack as text, once per transition', async () => {
    await report('prod', { health: 'Healthy' });
    await report('prod', { health: 'Degraded', message: 'Deployment web: 0/3 replicas available' });
    await eventually(
      async () => (of('/hook', 'HealthDegraded').length && of('/slack/T000/B000/secret').length ? true : undefined),
      20_000,
      'both',
    );
    const [hook] = of('/hook', 'HealthDegraded');
    assert.equal(hook?.body.source, 'flotilla');
    assert.equal(hook?.body.subject, 'application/prod/web');
    assert.equal(hook?.body.message, 'Deployment web: 0/3 replicas available');
    assert.deepEqual(hook?.body.data, { cluster: 'prod', application: 'web', revision: 1 });
    assert.equal(
      of('/slack/T000/B000/secret')[0]?.body.text,
      ':red_circle: *HealthDegraded* `application/prod/web`\nDeployment web: 0/3 replicas available',
    );
    await report('prod', { health: 'Degraded', message: 'Deployment web: 0/3 replicas available' });
    await sleep(2000);
    assert.equal(of('/hook', 'HealthDegraded').length, 1, 'still Degraded: no new notification');
  });

  it('selects by subject: a dev Application does not reach the prod-only Slack channel', async () => {
    const slackBefore = of('/slack/T000/B000/secret').length;
    await report('dev', { health: 'Degraded', message: 'broken' });
    await eventually(async () => (of('/hook').some((d) => d.body.subject === 'application/dev/web') ? true : undefined), 20_000);
    await sleep(1000);
    assert.equal(of('/slack/T000/B000/secret').length, slackBefore);
  });

  it('sends SyncFailed for apply errors (not for drift), and retries a failing receiver', async () => {
    failuresLeft = 2;
    const attemptsBefore = attempts;
    const object = { group: '', kind: 'ConfigMap', namespace: 'web', name: 'settings', health: 'Healthy' };
    await report(
      'prod',
      { sync: 'OutOfSync', objects: [{ ...object, sync: 'OutOfSync', message: 'data.color: drifted', diff: ['data.color'] }] },
      2,
    );
    await sleep(1500);
    assert.equal(of('/hook', 'SyncFailed').length, 0, 'drift is not a failed sync');
    await report(
      'prod',
      { sync: 'OutOfSync', objects: [{ ...object, sync: 'OutOfSync', message: 'configmaps "settings" is forbidden' }] },
      3,
    );
    const failed = await eventually(async () => of('/hook', 'SyncFailed')[0], 30_000, 'SyncFailed after retries');
    assert.match(String(failed.body.message), /ConfigMap web\/settings: configmaps "settings" is forbidden/);
    assert.ok(attempts - attemptsBefore >= 3, 'two failed attempts, then delivered');
    assert.equal(of('/hook', 'SyncFailed').length, 1);
  });

  it('validates notifications, keeps secret URLs out of responses, and is admin-only', async () => {
    const both = await admin.put('/api/v1/notifications/x', {
      type: 'webhook',
      url: `${receiverUrl}/x`,
      urlFrom: { secretName: 's', key: 'k' },
      events: ['*'],
    });
    assert.equal(both.status, 400);
    assert.match(JSON.stringify(both.body), /url: give exactly one of url and urlFrom/);
    const badEvent = await admin.put('/api/v1/notifications/x', { type: 'webhook', url: `${receiverUrl}/x`, events: ['health degraded'] });
    assert.equal(badEvent.status, 400);
    assert.match(JSON.stringify(badEvent.body), /events\[0\]/);
    const badType = await admin.put('/api/v1/notifications/x', { type: 'email', url: `${receiverUrl}/x`, events: ['*'] });
    assert.equal(badType.status, 400);
    const list = await admin.get('/api/v1/notifications');
    assert.deepEqual(
      (list.body as unknown as Array<{ name: string }>).map((n) => n.name),
      ['chat', 'ops'],
    );
    assert.equal(JSON.stringify(list.body).includes('/slack/T000'), false, 'the Slack URL stays in its secret');
    const viewer = (await admin.post('/api/v1/tokens', { name: 'v', role: 'viewer' })).body.token as string;
    assert.equal((await hubClient(hub.url, viewer).get('/api/v1/notifications')).status, 403);
    assert.equal((await admin.delete('/api/v1/notifications/chat')).status, 204);
    assert.equal((await admin.delete('/api/v1/notifications/chat')).status, 404);
  });
});
