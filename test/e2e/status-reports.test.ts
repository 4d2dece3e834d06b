import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { hubClient, type RunningHub, startFreshHub, suiteScope, tempDir } from '#testing';

/**
 * Status reports that arrive together are written by one statement (StatusWriter): each
 * cluster still gets exactly its own report, removals and heartbeat, a cluster reporting
 * twice at once keeps one consistent set, and a cluster deleted meanwhile fails alone.
 */

const ADMIN_TOKEN = 'e2e-status-admin-token-0123456789abcdefghijkl';
const CLUSTERS = 12;

const app = (name: string, health = 'Healthy') => ({ name, sync: 'Synced', health, message: '', objects: [] });

describe('status reports sent together', { timeout: 120_000 }, () => {
  const suite = suiteScope();
  let hub: RunningHub;
  let db: pg.Client;
  const agents = new Map<string, ReturnType<typeof hubClient>>();

  const statuses = async (cluster: string) =>
    (
      await db.query<{ application: string; health: string; revision: number }>(
        `SELECT s.application, s.health, s."appliedRevision" AS revision FROM "ApplicationStatus" s
           JOIN "Cluster" c ON c.id = s."clusterId" WHERE c.name = $1 ORDER BY s.application`,
        [cluster],
      )
    ).rows;

  before(async () => {
    const started = await startFreshHub(suite, { adminToken: ADMIN_TOKEN, workDir: tempDir(suite, 'flotilla-status-') });
    hub = started.hub;
    db = new pg.Client({ connectionString: started.env.DATABASE_URL });
    await db.connect();
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    for (let i = 0; i < CLUSTERS; i++) {
      const name = `s${i}`;
      assert.equal((await admin.post('/api/v1/clusters', { name, server: `https://${name}.example` })).status, 201);
      const bootstrap = await admin.post(`/api/v1/clusters/${name}/bootstrap-tokens`, {});
      const registered = await hubClient(hub.url).post('/agent/v1/register', { bootstrapToken: bootstrap.body.token });
      assert.equal(registered.status, 201);
      agents.set(name, hubClient(hub.url, registered.body.credential as string));
    }
  });

  after(async () => {
    await db?.end();
    await suite.close();
  });

  it('stores every cluster’s own report when all report at once', async () => {
    const answers = await Promise.all(
      [...agents].map(([name, agent], i) =>
        agent.post('/agent/v1/status', { revision: i + 1, applications: [app(`web-${name}`), app(`api-${name}`, 'Degraded')] }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 204),
    );
    for (const [i, name] of [...agents.keys()].entries()) {
      assert.deepEqual(await statuses(name), [
        { application: `api-${name}`, health: 'Degraded', revision: i + 1 },
        { application: `web-${name}`, health: 'Healthy', revision: i + 1 },
      ]);
    }
    const beats = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Cluster" WHERE state = 'connected' AND "lastHeartbeatAt" IS NOT NULL`,
    );
    assert.equal(beats.rows[0]?.n, CLUSTERS);
  });

  it('removes what a cluster no longer reports, and only there', async () => {
    const [first, second] = [...agents.entries()];
    const answers = await Promise.all([
      first?.[1].post('/agent/v1/status', { revision: 20, applications: [app(`web-${first[0]}`)] }),
      second?.[1].post('/agent/v1/status', { revision: 20, applications: [app(`web-${second[0]}`), app(`api-${second[0]}`)] }),
    ]);
    assert.deepEqual(
      answers.map((a) => a?.status),
      [204, 204],
    );
    assert.deepEqual(
      (await statuses(first?.[0] as string)).map((s) => s.application),
      [`web-${first?.[0]}`],
    );
    assert.deepEqual(
      (await statuses(second?.[0] as string)).map((s) => [s.application, s.health]),
      [
        [`api-${second?.[0]}`, 'Healthy'],
        [`web-${second?.[0]}`, 'Healthy'],
      ],
    );
  });

  it('takes two reports of one cluster sent together, ending with one of them whole', async () => {
    const [name, agent] = [...agents.entries()][2] as [string, ReturnType<typeof hubClient>];
    const answers = await Promise.all([
      agent.post('/agent/v1/status', { revision: 30, applications: [app('one')] }),
      agent.post('/agent/v1/status', { revision: 31, applications: [app('two'), app('three')] }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [204, 204],
    );
    const stored = await statuses(name);
    const revisions = new Set(stored.map((s) => s.revision));
    assert.equal(revisions.size, 1, `one report's statuses, not a mix: ${JSON.stringify(stored)}`);
    assert.deepEqual(
      stored.map((s) => s.application),
      revisions.has(30) ? ['one'] : ['three', 'two'],
    );
  });

  it('answers 401 to reports and heartbeats of a cluster deleted meanwhile, and stores the others', async () => {
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    const [gone, goneAgent] = [...agents.entries()][3] as [string, ReturnType<typeof hubClient>];
    const [kept, keptAgent] = [...agents.entries()][4] as [string, ReturnType<typeof hubClient>];
    assert.equal((await admin.delete(`/api/v1/clusters/${gone}`)).status, 204);
    const answers = await Promise.all([
      goneAgent.post('/agent/v1/status', { revision: 40, applications: [app('web')] }),
      keptAgent.post('/agent/v1/status', { revision: 40, applications: [app('web')] }),
      goneAgent.post('/agent/v1/heartbeat', {}),
      keptAgent.post('/agent/v1/heartbeat', {}),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 204, 401, 204],
    );
    assert.deepEqual(
      (await statuses(kept)).map((s) => [s.application, s.revision]),
      [['web', 40]],
    );
  });
});
