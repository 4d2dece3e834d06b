import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type FileTree, freePort, TestRepository } from '../test/support/index.js';
import type { Agent, AgentClient } from './agent-client.js';
import { onStopped, quiet, rssMiB } from './common.js';
import { type GitRemote, startGitRemote } from './git-remote.js';

export { type Agent, AgentClient, type Received } from './agent-client.js';

/**
 * A hub as deployed, for the fleet scenarios (delivery, convergence, footprints): an API
 * process (holding the agents' polls) and a worker process on a fresh database and Redis
 * prefix, a git server on loopback holding one plain-YAML application (in a small process of its
 * own: git-remote.ts), registered clusters and simulated agents on raw sockets (agent-client.ts:
 * cheap, as they share the hub's two cores).
 *
 * Clusters are registered in bulk: one through the API (create, bootstrap token, register),
 * which also tells the hub the fleet changed, and the rest inserted into Postgres with their
 * credential hashes as registration stores them. Registering 10,000 agents through the API
 * one by one would take minutes of the run and is not what these scenarios measure.
 */

const POSTGRES = process.env.FLOTILLA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface LiveMemory {
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
}

export interface Fleet {
  base: string;
  api: ChildProcess;
  worker: ChildProcess;
  /** A connection to the hub's database, for the bench's own reads. */
  db: pg.Client;
  /** Commits `files` to the application repository (in the git remote's process); resolves to the SHA. */
  commit(files: FileTree): Promise<string>;
  git: GitRemote;
  webhookSecret: string;
  agents: Agent[];
  /** Admin API call. */
  call(method: string, path: string, body?: unknown, type?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Registers `count` more clusters (labels fleet=bench) and their agents' credentials. */
  addClusters(count: number): Promise<Agent[]>;
  /** PUTs the bench ApplicationSet (cluster generator over the fleet) with this version marker. */
  putAppSet(version: string): Promise<void>;
  /** Waits until every agent's newest revision contains `marker`; returns each agent's revision. */
  waitForPlans(agents: readonly Agent[], marker: string, timeoutMs?: number): Promise<Map<string, number>>;
  /** Sends a signed git push webhook for the application repository. */
  pushed(): Promise<void>;
  /**
   * Waits until the API holds `count` agents' long-polls (its `flotilla_agents_waiting` gauge),
   * so a scenario's clock starts with every agent waiting, not with connections still queued
   * in the kernel.
   */
  awaitWaiting(count: number, timeoutMs?: number): Promise<void>;
  /**
   * The API process's RSS right after a full garbage collection (through its inspector): what
   * it holds, without the garbage a burst of requests leaves until the next major GC.
   */
  collectedRssMiB(): Promise<number>;
  /**
   * Listens to the hub's plan announcements (the Redis message a plan job publishes after
   * storing its batch's revisions): `announcedAt` maps each agent's name to when (performance.now())
   * its cluster's first announcement since the call arrived. Delivery's own leg is the time
   * from there to the agent's receipt.
   */
  announcements(): Promise<{ announcedAt: Map<string, number>; close(): void }>;
  /**
   * With BENCH_HUB_PROFILE=<dir>: V8 CPU profiles of the API and worker processes while `work`
   * runs, written to <dir>/<name>-api.cpuprofile and -worker.cpuprofile (see bench/profile.ts).
   */
  profile<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * With BENCH_HUB_PROFILE: the API process's live memory after a full GC (through its
   * inspector) before and after `work`, and a sampling heap profile of what `work` allocated
   * that is still alive (<dir>/<name>-api.heapprofile); absent without it.
   */
  liveHeap?<T>(name: string, work: () => Promise<T>): Promise<{ result: T; before: LiveMemory; after: LiveMemory }>;
  /** Error lines the hub processes logged (their stderr), and the first of them. */
  hubErrors(): { count: number; first?: string };
  close(): Promise<void>;
}

/** Text logs carry ANSI colour codes (ESC [ … m). */
const stripColours = (line: string): string => line.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const CONFIGMAP = (version: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: "${version}"}\n`;

export async function startFleet(options: { env?: Record<string, string>; log?: boolean } = {}): Promise<Fleet> {
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-fleet-'));
  const db = `flotilla_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `flotilla-bench-${randomBytes(4).toString('hex')}`;
  const admin = randomBytes(24).toString('hex');
  const webhookSecret = randomBytes(16).toString('hex');
  const root = new pg.Client({ connectionString: POSTGRES });
  await root.connect();
  await root.query(`CREATE DATABASE ${db}`);
  const repo = TestRepository.init(join(work, 'git', 'apps.git'));
  repo.commit({ 'web/cm.yaml': CONFIGMAP('0') });
  const git = await startGitRemote(join(work, 'git'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dbUrl = new URL(POSTGRES);
  dbUrl.pathname = `/${db}`;
  const hubEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: REDIS,
    FLOTILLA_ADMIN_TOKEN: admin,
    HOST: '127.0.0.1',
    FLOTILLA_REDIS_PREFIX: prefix,
    FLOTILLA_CACHE_DIR: join(work, 'cache'),
    FLOTILLA_LONG_POLL_SECONDS: '300',
    FLOTILLA_GIT_POLL_SECONDS: '0',
    FLOTILLA_WEBHOOK_SECRET: webhookSecret,
    ...options.env,
    // BENCH_HUB_ENV='FLOTILLA_PLAN_CONCURRENCY=4,…': hub settings to compare, without a rebuild.
    ...Object.fromEntries(
      (process.env.BENCH_HUB_ENV ?? '')
        .split(',')
        .filter((pair) => pair.includes('='))
        .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]),
    ),
  };
  const main = new URL('../apps/hub/src/main.js', import.meta.url).pathname;
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  const printLog = Boolean(options.log || process.env.BENCH_HUB_LOG);
  // BENCH_HUB_NODE_OPTIONS: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile both hub processes.
  const nodeArgs = (process.env.BENCH_HUB_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const profileDir = process.env.BENCH_HUB_PROFILE;
  // The API always listens for the inspector on loopback (`collectedRssMiB` collects its garbage
  // through it); the worker only when profiling.
  const inspectPorts = [await freePort(), ...(profileDir ? [await freePort()] : [])];
  const inspect = (i: number) => (inspectPorts[i] === undefined ? [] : [`--inspect=127.0.0.1:${inspectPorts[i]}`]);
  const api = spawn(process.execPath, [...nodeArgs, ...inspect(0), main], {
    env: { ...hubEnv, PORT: String(port), FLOTILLA_ROLES: 'api' },
    stdio,
  });
  // The hubs' stderr (warnings and errors: thousands of lines when requests fail) is counted, not printed.
  const errors = { count: 0, first: undefined as string | undefined };
  // The last lines of each, for the report of a scenario stopped for taking too long.
  const recentHubLines: string[] = [];
  const remember = (line: string) => {
    if (/RouterExplorer|RoutesResolver|InstanceLoader/.test(line)) return; // start-up noise
    recentHubLines.push(line.slice(0, 300));
    if (recentHubLines.length > 40) recentHubLines.shift();
  };
  const watch = (child: ChildProcess, role: string) => {
    // Their log (stdout): kept for that report, printed (to stderr: stdout holds the result) with BENCH_HUB_LOG.
    let restOut = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (restOut + chunk.toString('utf8')).split('\n');
      restOut = lines.pop() ?? '';
      for (const line of lines) {
        remember(`${role}: ${stripColours(line)}`);
        if (printLog) process.stderr.write(`${line}\n`);
      }
    });
    let rest = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        remember(`${role} (stderr): ${stripColours(line)}`);
        if (printLog) process.stderr.write(`${line}\n`);
        if (!line.includes('"level":"error"') && !line.includes('"level":"fatal"')) continue;
        errors.count++;
        errors.first ??= line.slice(0, 400);
      }
    });
  };
  watch(api, 'api');
  let worker: ChildProcess | undefined;
  const bench = new pg.Client({ connectionString: dbUrl.toString() });
  const call: Fleet['call'] = async (method, path, body, type = 'application/json') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const agents: Agent[] = [];
  const close = async (): Promise<void> => {
    for (const child of [api, worker]) {
      if (!child || child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await bench.end().catch(() => undefined);
    await git.close();
    await root.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await root.end();
    const redis = new Redis(REDIS);
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }))
      if ((keys as string[]).length) await redis.del(...(keys as string[]));
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok) break;
      if (api.exitCode !== null) throw new Error(`the hub API process exited (${api.exitCode})`);
      if (i > 240) throw new Error('hub did not become ready');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The API process applied the migrations; now the worker can start.
    worker = spawn(process.execPath, [...nodeArgs, ...inspect(1), main], {
      env: { ...hubEnv, PORT: String(await freePort()), FLOTILLA_ROLES: 'worker', FLOTILLA_SKIP_MIGRATIONS: 'true' },
      stdio,
    });
    watch(worker, 'worker');
    await bench.connect();
  } catch (error) {
    await close();
    throw error;
  }

  // Stopped for taking too long: what the hub had done, then the hub is stopped with the scenario.
  onStopped(async () => {
    const lines = ['hub state:'];
    const query = async (title: string, sql: string) => {
      const { rows } = await bench.query(sql);
      lines.push(`  ${title}: ${JSON.stringify(rows)}`);
    };
    try {
      await query('application sets', `SELECT name, generation, "renderedGeneration", conditions FROM "ApplicationSet"`);
      await query(
        'clusters by plan generation',
        `SELECT "desiredPlanGeneration" AS desired, "plannedGeneration" AS planned, count(*)::int AS clusters
           FROM "Cluster" GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10`,
      );
      await query(
        'newest revisions',
        `SELECT revision, count(*)::int AS clusters FROM (SELECT DISTINCT ON ("clusterId") revision FROM "PlanRevision"
          ORDER BY "clusterId", revision DESC) r GROUP BY 1 ORDER BY 1`,
      );
      await query(
        'one cluster',
        `SELECT c.name, c."desiredPlanGeneration", c."plannedGeneration", r.revision, left(r.plan::text, 400) AS plan
           FROM "Cluster" c LEFT JOIN LATERAL (SELECT revision, plan FROM "PlanRevision" p WHERE p."clusterId" = c.id
          ORDER BY revision DESC LIMIT 1) r ON true ORDER BY c.name LIMIT 1`,
      );
      const redis = new Redis(REDIS);
      const keys = await redis.keys(`${prefix}:bull:*`);
      const counts: Record<string, number> = {};
      for (const key of keys.filter((k) => /:(wait|active|delayed|failed|paused|prioritized)$/.test(k))) {
        const type = await redis.type(key);
        counts[key.slice(prefix.length + 6)] = type === 'list' ? await redis.llen(key) : type === 'zset' ? await redis.zcard(key) : -1;
      }
      lines.push(`  queues: ${JSON.stringify(counts)}`);
      redis.disconnect();
    } catch (error) {
      lines.push(`  (reading the hub's state failed: ${(error as Error).message})`);
    }
    lines.push(`hub processes: api ${api.exitCode ?? 'running'}, worker ${worker?.exitCode ?? 'running'}; last log lines:`);
    lines.push(...recentHubLines.map((l) => `  ${l}`));
    for (const child of [api, worker]) child?.kill('SIGKILL');
    return lines.join('\n');
  });

  const addClusters = async (count: number): Promise<Agent[]> => {
    const first = agents.length;
    const added: Agent[] = [];
    // All but one straight into Postgres, with a credential hash as registration stores it...
    const names = Array.from({ length: count - 1 }, (_, i) => `c${first + i}`);
    const credentials = names.map(() => `flta_${randomBytes(32).toString('base64url')}`);
    for (let i = 0; i < names.length; i += 5_000) {
      const slice = names.slice(i, i + 5_000);
      await bench.query(
        `INSERT INTO "Cluster" (id, name, server, labels, "agentCredentialHash", "credentialIssuedAt", "updatedAt")
         SELECT gen_random_uuid(), t.name, 'https://' || t.name || '.bench.example.com', '{"fleet":"bench"}'::jsonb, t.hash, now(), now()
           FROM unnest($1::text[], $2::text[]) AS t(name, hash)`,
        [slice, credentials.slice(i, i + 5_000).map(sha256)],
      );
    }
    names.forEach((name, i) => void added.push({ name, credential: credentials[i] as string }));
    // ...and the last through the API, which tells the hub its fleet changed (cluster generators re-render).
    const name = `c${first + count - 1}`;
    const created = await call('POST', '/api/v1/clusters', {
      name,
      server: `https://${name}.bench.example.com`,
      labels: { fleet: 'bench' },
    });
    if (created.status !== 201) throw new Error(`creating cluster ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    const bootstrap = await call('POST', `/api/v1/clusters/${name}/bootstrap-tokens`, {});
    const registered = await call('POST', '/agent/v1/register', { bootstrapToken: bootstrap.body.token });
    if (registered.status !== 201 && registered.status !== 200) throw new Error(`registering ${name}: ${registered.status}`);
    added.push({ name, credential: registered.body.credential as string });
    agents.push(...added);
    return added;
  };

  const putAppSet = async (version: string): Promise<void> => {
    const document = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: bench}
spec:
  generators: [{clusters: {selector: {matchLabels: {fleet: bench}}}}]
  template:
    metadata: {name: 'web-{{name}}', labels: {version: '${version}'}}
    spec:
      project: default
      source: {repoURL: '${git.url('apps.git')}', targetRevision: main, path: web}
      destination: {server: '{{server}}', namespace: web}
      syncPolicy: {syncOptions: ['Version=${version}']}
`;
    const put = await call('PUT', '/api/v1/applicationsets', document, 'application/yaml');
    if (put.status !== 200 && put.status !== 201) throw new Error(`PUT ApplicationSet: ${put.status} ${JSON.stringify(put.body)}`);
  };

  const waitForPlans = async (wanted: readonly Agent[], marker: string, timeoutMs = 300_000): Promise<Map<string, number>> => {
    const names = wanted.map((a) => a.name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await bench.query<{ name: string; revision: number }>(
        `SELECT c.name, r.revision
           FROM "Cluster" c
           JOIN LATERAL (SELECT revision, plan FROM "PlanRevision" p WHERE p."clusterId" = c.id ORDER BY revision DESC LIMIT 1) r ON true
          WHERE c.name = ANY($1::text[]) AND strpos(r.plan::text, $2) > 0`,
        [names, marker],
      );
      if (rows.length === names.length) return new Map(rows.map((r) => [r.name, r.revision]));
      if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${names.length} clusters got plans with ${marker}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const awaitWaiting = async (count: number, timeoutMs = 120_000): Promise<void> => {
    const until = performance.now() + timeoutMs;
    let waiting = -1;
    while (performance.now() < until) {
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.text());
      waiting = Number(/^flotilla_agents_waiting (\d+)/m.exec(metrics)?.[1] ?? -1);
      if (waiting >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`only ${waiting} of ${count} agents hold a poll after ${timeoutMs} ms`);
  };
  const announcements: Fleet['announcements'] = async () => {
    const { rows } = await bench.query<{ id: string; name: string }>('SELECT id, name FROM "Cluster"');
    const names = new Map(rows.map((row) => [row.id, row.name]));
    const announcedAt = new Map<string, number>();
    const subscriber = new Redis(REDIS);
    subscriber.on('message', (_channel: string, clusterIds: string) => {
      const at = performance.now();
      for (const id of clusterIds.split(',')) {
        const name = names.get(id);
        if (name !== undefined && !announcedAt.has(name)) announcedAt.set(name, at);
      }
    });
    await subscriber.subscribe(`${prefix}:plan-revisions`);
    return { announcedAt, close: () => subscriber.disconnect() };
  };
  const pushed = async (): Promise<void> => {
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: git.url('apps.git') } });
    const response = await fetch(`${base}/hooks/git`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
      },
      body,
    });
    if (response.status !== 202) throw new Error(`git webhook answered ${response.status}: ${await response.text()}`);
  };

  const profile = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (!profileDir) return work();
    const sessions = await Promise.all(inspectPorts.map((p) => Inspector.connect(p)));
    for (const session of sessions) {
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: 500 });
      await session.send('Profiler.start');
    }
    try {
      return await work();
    } finally {
      mkdirSync(profileDir, { recursive: true });
      for (const [i, session] of sessions.entries()) {
        const { profile } = (await session.send('Profiler.stop')) as { profile: unknown };
        writeFileSync(join(profileDir, `${name}-${i === 0 ? 'api' : 'worker'}.cpuprofile`), JSON.stringify(profile));
        session.close();
      }
    }
  };

  /** A full collection of the API's heap; twice, as what the first one's finalizers release goes in the second. */
  const collectApiGarbage = async (session: Inspector): Promise<void> => {
    for (let i = 0; i < 2; i++) await session.send('HeapProfiler.collectGarbage');
  };

  const collectedRssMiB = async (): Promise<number> => {
    const session = await Inspector.connect(inspectPorts[0] as number);
    try {
      await collectApiGarbage(session);
    } finally {
      session.close();
    }
    return rssMiB(api.pid as number);
  };

  const liveHeap = async <T>(name: string, work: () => Promise<T>) => {
    const session = await Inspector.connect(inspectPorts[0] as number);
    const memory = async (): Promise<LiveMemory> => {
      await collectApiGarbage(session);
      const { result } = (await session.send('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      })) as { result: { value: string } };
      const m = JSON.parse(result.value) as Record<string, number>;
      const mb = (k: string) => (m[k] ?? 0) / 2 ** 20;
      return { rssMiB: mb('rss'), heapUsedMiB: mb('heapUsed'), externalMiB: mb('external'), arrayBuffersMiB: mb('arrayBuffers') };
    };
    try {
      await session.send('HeapProfiler.enable');
      const before = await memory();
      await session.send('HeapProfiler.startSampling', { samplingInterval: 4096 });
      const result = await work();
      const after = await memory();
      const { profile } = (await session.send('HeapProfiler.stopSampling')) as { profile: unknown };
      mkdirSync(profileDir as string, { recursive: true });
      writeFileSync(join(profileDir as string, `${name}-api.heapprofile`), JSON.stringify(profile));
      return { result, before, after };
    } finally {
      session.close();
    }
  };

  return {
    base,
    api,
    worker: worker as ChildProcess,
    db: bench,
    commit: (files) => git.commit('apps.git', files),
    git,
    webhookSecret,
    agents,
    call,
    addClusters,
    putAppSet,
    waitForPlans,
    pushed,
    awaitWaiting,
    collectedRssMiB,
    announcements,
    profile,
    ...(profileDir ? { liveHeap } : {}),
    hubErrors: () => ({ ...errors }),
    close,
  };
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket (Node's global WebSocket). */
class Inspector {
  private next = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
    const socket = new WebSocket(target?.webSocketDebuggerUrl as string);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Inspector(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Registers `count` clusters and plans the bench ApplicationSet (Version=1) for all of them,
 * then waits for the hub to be quiet: where delivery and convergence start measuring.
 * Returns the agents and each one's current revision.
 */
export async function plannedClusters(
  fleet: Fleet,
  count: number,
  log: (message: string) => void,
): Promise<{ agents: Agent[]; current: Map<string, number> }> {
  log('hub started');
  const agents = await fleet.addClusters(count);
  await fleet.putAppSet('1');
  log('clusters registered, ApplicationSet applied');
  const current = await fleet.waitForPlans(agents, 'Version=1');
  log(`${agents.length} clusters planned`);
  await quiet([fleet.api.pid as number, fleet.worker.pid as number]);
  return { agents, current };
}

/** Milliseconds since `since` (performance.now()). */
export const since = (since: number, at = performance.now()): number => Math.round((at - since) * 10) / 10;

/** The figures every fleet scenario reports at its end: hub errors, retries, peak RSS, CPU used. */
export function fleetFigures(
  fleet: Fleet,
  client: AgentClient,
  pids: { api: number; worker: number },
  cpuBefore: Record<string, number>,
  cpuAfter: Record<string, number>,
): Record<string, unknown> {
  return {
    hubErrors: fleet.hubErrors(),
    /** Requests the simulated agents sent again after a network error (connection refused, reset, timed out). */
    networkRetries: client.retries,
    apiPeakRssMiB: rssMiB(pids.api, 'VmHWM'),
    workerPeakRssMiB: rssMiB(pids.worker, 'VmHWM'),
    // CPU ms each part used in the measured window (Postgres: every backend on the machine).
    cpuMs: Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, v - (cpuBefore[k] ?? 0)])),
  };
}

/**
 * Stops a fleet scenario. The hub closes its connections first, so their TIME_WAIT entries sit
 * on its port and not on thousands of ephemeral ports a later scenario's servers may pick.
 */
export async function closeFleet(fleet: Fleet, client: AgentClient): Promise<void> {
  client.closing = true;
  await fleet.close();
  client.destroy();
}
