import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, startGitHttpServer, TestRepository } from '../test/support/index.js';

/**
 * Delivery: BENCH_AGENTS simulated agents (default 2,000) long-poll one hub on loopback
 * (an API process holding the polls and a worker process, as deployed); one ApplicationSet
 * change must reach all of them. Reports the latency from the change to each agent's
 * receipt (p50/p99/max), errors, and the API process's RSS while every poll is held.
 */

const AGENTS = Number(process.env.BENCH_AGENTS ?? 2_000);
const ADMIN = `bench-${randomBytes(24).toString('hex')}`;
const POSTGRES = process.env.FLOTILLA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** CPU time (user + system) a process has used, in ms; /proc counts in clock ticks of 10 ms on Linux. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** CPU time of every process with this command name (Postgres runs one backend per connection). */
function cpuMsByName(command: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let name = '';
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // ended meanwhile
    }
    if (name === command) total += cpuMs(Number(pid));
  }
  return total;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-delivery-'));
  const db = `flotilla_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `flotilla-bench-${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const repo = TestRepository.init(join(work, 'git', 'apps.git'));
  repo.commit({ 'web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: "1"}\n' });
  const git = await startGitHttpServer(join(work, 'git'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dbUrl = new URL(POSTGRES);
  dbUrl.pathname = `/${db}`;
  const hubEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: dbUrl.toString(),
    FLOTILLA_ADMIN_TOKEN: ADMIN,
    HOST: '127.0.0.1',
    FLOTILLA_REDIS_PREFIX: prefix,
    FLOTILLA_CACHE_DIR: join(work, 'cache'),
    FLOTILLA_LONG_POLL_SECONDS: '120',
    FLOTILLA_GIT_POLL_SECONDS: '0',
  };
  const main = new URL('../apps/hub/src/main.js', import.meta.url).pathname;
  const stdio: ['ignore', 'inherit' | 'ignore', 'inherit'] = ['ignore', process.env.BENCH_HUB_LOG ? 'inherit' : 'ignore', 'inherit'];
  // The API role (which holds the agents' polls) and the worker role in their own processes, as deployed.
  const hub = spawn(process.execPath, [main], { env: { ...hubEnv, PORT: String(port), FLOTILLA_ROLES: 'api' }, stdio });
  let worker: ReturnType<typeof spawn> | undefined;
  const call = async (method: string, path: string, token: string, body?: unknown, type = 'application/json') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok) break;
      if (i > 120) throw new Error('hub did not become ready');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The API process applied the migrations; now the worker can start.
    worker = spawn(process.execPath, [main], {
      env: { ...hubEnv, PORT: String(await freePort()), FLOTILLA_ROLES: 'worker', FLOTILLA_SKIP_MIGRATIONS: 'true' },
      stdio,
    });
    const names = Array.from({ length: AGENTS }, (_, i) => `c${i}`);
    const credentials = new Map<string, string>();
    await pool(names, 16, async (name) => {
      await call('POST', '/api/v1/clusters', ADMIN, { name, server: `https://${name}.bench.example.com`, labels: { fleet: 'bench' } });
      const bootstrap = await call('POST', `/api/v1/clusters/${name}/bootstrap-tokens`, ADMIN, {});
      const registered = await call('POST', '/agent/v1/register', '', { bootstrapToken: bootstrap.body.token });
      credentials.set(name, registered.body.credential as string);
    });
    const appSet = (version: string): string => `
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
    await call('PUT', '/api/v1/applicationsets', ADMIN, appSet('1'), 'application/yaml');
    // Wait until every agent sees the first version, and note its revision.
    const current = new Map<string, number>();
    await pool(names, 64, async (name) => {
      for (;;) {
        const r = await fetch(`${base}/agent/v1/plan?after=0&waitSeconds=0`, {
          headers: { authorization: `Bearer ${credentials.get(name)}` },
        });
        if (r.status === 200) {
          const body = (await r.json()) as { revision: number; plan: { applications: unknown[] } };
          if (body.plan.applications.length === 1) {
            current.set(name, body.revision);
            return;
          }
        } else await r.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    // Every agent holds a long-poll for anything newer...
    let errors = 0;
    const receipts: number[] = [];
    const stored: number[] = [];
    let changedAt = 0;
    // node:http rather than fetch: the simulated agents share the hub's two cores, so they are kept cheap.
    const connections = new http.Agent({ keepAlive: true, maxSockets: AGENTS });
    const polls = names.map(
      (name) =>
        new Promise<void>((resolve) => {
          const request = http.get(
            `${base}/agent/v1/plan?after=${current.get(name)}&waitSeconds=110`,
            { agent: connections, headers: { authorization: `Bearer ${credentials.get(name)}` } },
            (response) => {
              const at = Date.now();
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () => {
                if (response.statusCode === 200) {
                  receipts.push(at - changedAt);
                  stored.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { revision: number }).revision);
                } else errors++;
                resolve();
              });
            },
          );
          request.on('error', () => {
            errors++;
            resolve();
          });
        }),
    );
    // Let the initial poll storm settle: every agent is then waiting on the hub.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const heldRss = rssMiB(hub.pid as number, 'VmRSS');
    // ...and one change must reach them all.
    const cpu = () => ({
      api: cpuMs(hub.pid as number),
      worker: cpuMs(worker?.pid as number),
      postgres: cpuMsByName('postgres'),
      agents: cpuMs(process.pid),
    });
    const cpuBefore = cpu();
    changedAt = Date.now();
    await call('PUT', '/api/v1/applicationsets', ADMIN, appSet('2'), 'application/yaml');
    await Promise.all(polls);
    const cpuAfter = cpu();
    const cpuDuring = Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, v - cpuBefore[k as keyof typeof cpuBefore]]));
    connections.destroy();
    const sorted = [...receipts].sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        scenario: 'delivery',
        agents: AGENTS,
        delivered: receipts.length,
        errors,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted.at(-1),
        hubRssHeldMiB: heldRss,
        hubPeakRssMiB: rssMiB(hub.pid as number, 'VmHWM'),
        workerPeakRssMiB: rssMiB(worker?.pid as number, 'VmHWM'),
        // CPU ms each part used from the change until the last agent had it.
        cpuMs: cpuDuring,
      })}\n`,
    );
  } finally {
    for (const child of [hub, worker]) {
      if (!child) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await git.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }))
      if ((keys as string[]).length) await redis.del(...(keys as string[]));
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
