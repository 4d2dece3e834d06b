import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  freePort,
  hubClient,
  type KubeApiServer,
  type RunningAgent,
  runFlotillaAsync,
  startAgent,
  startGitHttpServer,
  startKubeApiServers,
  TestRepository,
} from '#testing';

/**
 * `npm run demo`: a whole fleet on this machine. A hub (its own database and Redis key
 * prefix), three kube-apiservers labelled env=dev/staging/prod with an agent each, and the
 * ApplicationSet in examples/ reading examples/apps from a local git repository. Waits until
 * every Application is Synced and Healthy, prints them, then runs until Ctrl-C (or exits at
 * once with --once) and removes everything it started.
 */

/** dist/apps/demo/src → the repository root. */
const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
const HUB_MAIN = join(REPO_ROOT, 'dist/apps/hub/src/main.js');
const EXAMPLES = join(REPO_ROOT, 'examples');
/** The repoURL examples/applicationset.yaml names; the demo points it at its own git server. */
const EXAMPLE_REPO_URL = 'https://github.com/flotilla-dev/flotilla.git';
const CLUSTERS = ['dev', 'staging', 'prod'] as const;
const POSTGRES_URL = process.env.FLOTILLA_DEMO_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLOTILLA_DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HUB_READY_TIMEOUT_MS = 180_000;
/** A first build of kube-apiserver, etcd, helm and kustomize takes a while on a small machine. */
const TOOLS_TIMEOUT_MS = 60 * 60_000;

const USAGE = `usage: npm run demo [-- --once] [--timeout SECONDS]

Starts a hub, three local Kubernetes API servers (env=dev, staging, prod) with an agent
each, and the example ApplicationSet (examples/); prints the Applications once the fleet
has converged and keeps running until Ctrl-C.

  --once             exit (removing everything) as soon as the fleet has converged
  --timeout SECONDS  how long to wait for convergence once everything runs (default 300)

Needs PostgreSQL and Redis on the machine: FLOTILLA_DEMO_POSTGRES_URL (default
${POSTGRES_URL}) and FLOTILLA_DEMO_REDIS_URL (default ${REDIS_URL}).
`;

const started = Date.now();

function progress(message: string): void {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
}

/** Cleanups run in reverse order on teardown; one registered after teardown began runs at once. */
class Resources {
  private readonly cleanups: Array<() => unknown> = [];
  private closed = false;

  after = (fn?: unknown): void => {
    if (typeof fn !== 'function') return;
    if (this.closed) void Promise.resolve(fn()).catch(() => undefined);
    else this.cleanups.push(fn as () => unknown);
  };

  async close(): Promise<void> {
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        progress(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

interface Options {
  once: boolean;
  timeoutMs: number;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: { once: { type: 'boolean', default: false }, timeout: { type: 'string', default: '300' }, help: { type: 'boolean' } },
  });
  if (values.help) return undefined;
  const seconds = Number(values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--timeout must be a positive number of seconds (got ${values.timeout})`);
  return { once: values.once, timeoutMs: seconds * 1000 };
}

/** Runs a scripts/*.sh tool script, its progress on our stderr; returns the last line it prints. */
function runScript(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', name)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), TOOLS_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1)?.trim();
      if (code === 0 && last) resolve(last);
      else reject(new Error(`scripts/${name} failed (exit ${code})`));
    });
  });
}

/** helm, kustomize, kube-apiserver and etcd: given, cached, or built now from Go modules. */
async function installTools(): Promise<{ helm: string; kustomize: string }> {
  let { HELM_BIN: helm, KUSTOMIZE_BIN: kustomize } = process.env;
  if (!helm || !kustomize) {
    progress('helm and kustomize: scripts/tools.sh (the first run builds them from Go modules)');
    const dir = await runScript('tools.sh');
    helm ||= join(dir, 'helm');
    kustomize ||= join(dir, 'kustomize');
  }
  progress('kube-apiserver and etcd: scripts/envtest.sh (the first run builds them from Go modules)');
  // Later calls (the kube-apiserver helper's) answer at once from KUBEBUILDER_ASSETS.
  process.env.KUBEBUILDER_ASSETS = await runScript('envtest.sh');
  return { helm, kustomize };
}

/** A new database, dropped on teardown (after the hub has stopped). */
async function createDatabase(resources: Resources): Promise<string> {
  const name = `flotilla_demo_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${POSTGRES_URL} (set FLOTILLA_DEMO_POSTGRES_URL): ${(error as Error).message}`);
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  resources.after(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
    progress(`dropped database ${name}`);
  });
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis key prefix of its own; its keys are deleted on teardown. */
async function createRedisPrefix(resources: Resources): Promise<string> {
  const prefix = `flotilla-demo-${randomBytes(6).toString('hex')}`;
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(`cannot reach Redis at ${REDIS_URL} (set FLOTILLA_DEMO_REDIS_URL): ${(error as Error).message}`);
  } finally {
    probe.disconnect();
  }
  resources.after(async () => {
    const redis = new Redis(REDIS_URL);
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
    } finally {
      redis.disconnect();
    }
  });
  return prefix;
}

interface HubProcess {
  url: string;
  process: ChildProcess;
  logFile: string;
}

/** The hub as its own process (`npm run hub`): migrations at boot, then API and workers. */
async function startHubProcess(resources: Resources, env: Record<string, string>, logFile: string): Promise<HubProcess> {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [HUB_MAIN], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  process.once('exit', () => running() && child.kill('SIGKILL'));
  resources.after(async () => {
    if (running()) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + HUB_READY_TIMEOUT_MS;
  for (;;) {
    if (!running()) throw new Error(`the hub exited during start (exit ${child.exitCode ?? child.signalCode})`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, process: child, logFile };
    if (Date.now() > deadline) throw new Error(`the hub was not ready after ${HUB_READY_TIMEOUT_MS / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A git repository holding examples/apps at the same path as this repository, served over HTTP. */
async function startExampleRepository(resources: Resources, work: string): Promise<{ url: string; path: string }> {
  const root = join(work, 'git');
  const repo = TestRepository.init(join(root, 'flotilla.git'));
  cpSync(join(EXAMPLES, 'apps'), join(repo.path, 'examples', 'apps'), { recursive: true });
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'examples/apps from the Flotilla repository');
  const server = await startGitHttpServer(root);
  resources.after(() => server.close());
  return { url: server.url('flotilla.git'), path: repo.path };
}

type AppRow = { name: string; cluster: string | null; sync: string; health: string };

/** Polls the hub until every expected Application is Synced and Healthy; logs changes. */
async function waitForConvergence(
  admin: ReturnType<typeof hubClient>,
  expected: readonly string[],
  timeoutMs: number,
  hubAlive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (!hubAlive()) throw new Error('the hub exited');
    const response = await admin.get('/api/v1/applications').catch(() => undefined);
    const rows = response?.status === 200 ? (response.body as unknown as AppRow[]) : [];
    const byName = new Map(rows.map((row) => [row.name, row]));
    const done = expected.filter((name) => byName.get(name)?.sync === 'Synced' && byName.get(name)?.health === 'Healthy');
    const summary = `${rows.length}/${expected.length} Applications generated, ${done.length} Synced and Healthy`;
    if (summary !== last) progress(summary);
    last = summary;
    if (done.length === expected.length) return;
    if (Date.now() > deadline) {
      const pending = expected
        .filter((name) => !done.includes(name))
        .map((name) => {
          const row = byName.get(name);
          return `${name} (${row ? `${row.sync}/${row.health}` : 'not generated'})`;
        });
      throw new Error(`the fleet did not converge in ${timeoutMs / 1000}s; waiting for ${pending.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Everything up to the printed table; returns what the hints need. */
async function bringUp(resources: Resources, options: Options) {
  const tools = await installTools();
  const work = mkdtempSync(join(tmpdir(), 'flotilla-demo-'));
  resources.after(() => {
    rmSync(work, { recursive: true, force: true });
    progress(`removed ${work}`);
  });
  progress(`work directory ${work}`);
  const databaseUrl = await createDatabase(resources);
  const redisPrefix = await createRedisPrefix(resources);
  progress(`database ${new URL(databaseUrl).pathname.slice(1)}, Redis prefix ${redisPrefix}`);
  const git = await startExampleRepository(resources, work);
  progress(`git repository ${git.path}, served at ${git.url}`);

  const adminToken = randomBytes(32).toString('hex');
  const hubEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    FLOTILLA_REDIS_PREFIX: redisPrefix,
    FLOTILLA_ADMIN_TOKEN: adminToken,
    FLOTILLA_CACHE_DIR: join(work, 'hub-cache'),
    FLOTILLA_GIT_POLL_SECONDS: '5',
    FLOTILLA_RECONCILE_SECONDS: '2',
    FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS: '30',
    HELM_BIN: tools.helm,
    KUSTOMIZE_BIN: tools.kustomize,
  };
  progress(`starting the hub (it applies the migrations) and ${CLUSTERS.length} kube-apiservers`);
  const [hub, servers] = await Promise.all([
    startHubProcess(resources, hubEnv, join(work, 'hub.log')),
    startKubeApiServers(resources, CLUSTERS.length),
  ]);
  progress(`hub ready at ${hub.url}`);
  const admin = hubClient(hub.url, adminToken);

  const agents: RunningAgent[] = [];
  const clusters = CLUSTERS.map((name, i) => ({ name, server: servers[i] as KubeApiServer }));
  for (const { name, server } of clusters) {
    const created = await admin.post('/api/v1/clusters', { name, server: server.server, labels: { env: name } });
    if (created.status !== 201) throw new Error(`registering cluster ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    const token = (await admin.post(`/api/v1/clusters/${name}/bootstrap-tokens`, {})).body.token as string;
    const agent = startAgent(resources, {
      hubUrl: hub.url,
      kubeconfig: server.kubeconfigPath,
      bootstrapToken: token,
      env: { FLOTILLA_REFRESH_SECONDS: '2', FLOTILLA_HEARTBEAT_SECONDS: '5', FLOTILLA_POLL_SECONDS: '20' },
    });
    // Should the demo exit without its teardown (a third Ctrl-C), no agent outlives it.
    process.once('exit', () => agent.process.exitCode === null && agent.process.kill('SIGKILL'));
    agents.push(agent);
    progress(`cluster ${name} (env=${name}) at ${server.server}, agent started`);
  }

  const appSet = readFileSync(join(EXAMPLES, 'applicationset.yaml'), 'utf8').replaceAll(EXAMPLE_REPO_URL, git.url);
  const put = await admin.put('/api/v1/applicationsets', appSet, 'application/yaml');
  if (put.status !== 201 && put.status !== 200)
    throw new Error(`registering the ApplicationSet: ${put.status} ${JSON.stringify(put.body)}`);
  progress('ApplicationSet argocd/examples registered (examples/applicationset.yaml)');

  const apps = readdirSync(join(EXAMPLES, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const expected = CLUSTERS.flatMap((cluster) => apps.map((app) => `${app}-${cluster}`)).sort();
  try {
    await waitForConvergence(admin, expected, options.timeoutMs, () => hub.process.exitCode === null && hub.process.signalCode === null);
  } catch (error) {
    process.stderr.write(`--- hub log (last lines, ${hub.logFile}) ---\n${tail(readFileSync(hub.logFile, 'utf8'))}\n`);
    for (const [i, agent] of agents.entries()) process.stderr.write(`--- agent ${CLUSTERS[i]} (last lines) ---\n${tail(agent.output())}\n`);
    throw error;
  }
  const cliEnv = { PATH: process.env.PATH, HOME: work, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: adminToken };
  const table = await runFlotillaAsync(['get', 'apps'], { env: cliEnv });
  if (table.code !== 0) throw new Error(`flotilla get apps failed (exit ${table.code}): ${table.stderr.trim()}`);
  progress(`the fleet converged: ${expected.length} Applications Synced and Healthy`);
  process.stdout.write(table.stdout);
  return { hub, adminToken, clusters, git };
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const resources = new Resources();
  let signals = 0;
  let converged = false;
  let teardown: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    teardown ??= (async () => {
      progress('stopping: agents, hub, kube-apiservers, git server, database, Redis keys, work directory');
      await resources.close();
      progress('done');
    })();
    return teardown;
  };
  // Ctrl-C reaches npm and the whole process group; npm forwards it too, so one press can
  // arrive twice. A third gives up on cleaning up.
  const interrupted = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) {
        progress(`${signal}: tearing down`);
        void stop().then(() => resolve(converged ? 0 : 130));
      } else if (signals >= 3) {
        process.stderr.write('giving up on the cleanup\n');
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  const run = (async (): Promise<number> => {
    const up = await bringUp(resources, options);
    converged = true;
    if (options.once) return 0;
    const [dev] = up.clusters;
    process.stderr.write(`
The demo fleet is running. In another shell:
  export FLOTILLA_HUB_URL=${up.hub.url} FLOTILLA_TOKEN=${up.adminToken}
  npx flotilla get clusters
  npx flotilla tree appset argocd/examples
  kubectl --kubeconfig ${dev?.server.kubeconfigPath} get configmaps,services -A -l flotilla.dev/managed
Change an app and watch it roll out (the hub polls git every 5 s):
  cd ${up.git.path} && $EDITOR examples/apps/guestbook/configmap.yaml && git commit -qam change
Ctrl-C stops everything and removes what the demo created.
`);
    const hubExit = await new Promise<number | null>((resolve) => up.hub.process.once('exit', (code) => resolve(code)));
    if (signals > 0) return 0;
    progress(`the hub exited unexpectedly (exit ${hubExit}); see ${up.hub.logFile}`);
    return 1;
  })().catch((error: unknown) => {
    if (signals > 0) return 130;
    progress(`failed: ${(error as Error).message}`);
    return 1;
  });

  const code = await Promise.race([run, interrupted]);
  await stop();
  return code;
}

process.exit(await main());
