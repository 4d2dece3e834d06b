import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { kubeApiServerAssets } from '#testing';
import { testBinaries } from '../../libs/sources/src/test-support/tools.js';

/**
 * `npm run demo`: the compiled demo as a process, as the npm script runs it after building.
 * It must converge the example fleet, print every Application Synced, and leave nothing
 * behind (database, Redis keys, work directory).
 */

const DEMO = fileURLToPath(new URL('../../apps/demo/src/main.js', import.meta.url));
const POSTGRES_URL = process.env.FLOTILLA_DEMO_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLOTILLA_DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTERS = ['dev', 'staging', 'prod'];
const APPS = ['guestbook', 'podinfo', 'status-page'];

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; `onStdout` sees its standard output as it comes (to interrupt it at the right time). */
function runDemo(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void,
): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (process.env.FLOTILLA_TEST_LOGS) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 10 * 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Rows of the `flotilla get apps` table the demo prints. */
function appRows(stdout: string): Array<Record<'name' | 'cluster' | 'sync' | 'health' | 'revision', string>> {
  const [header, ...lines] = stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^NAME\s+CLUSTER\s+SYNC\s+HEALTH\s+REVISION$/);
  return lines.map((line) => {
    const [name = '', cluster = '', sync = '', health = '', revision = ''] = line.trim().split(/\s+/);
    return { name, cluster, sync, health, revision };
  });
}

/** What the demo said it created, and that it is gone. */
async function assertCleanedUp(stderr: string): Promise<void> {
  const database = /database (flotilla_demo_[0-9a-f]+), Redis prefix (flotilla-demo-[0-9a-f]+)/.exec(stderr);
  const work = /work directory (\S+)/.exec(stderr);
  assert.ok(database && work, 'the demo names its database, Redis prefix and work directory');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database[1]]);
  await client.end();
  assert.equal(rowCount, 0, `database ${database[1]} dropped`);
  const redis = new Redis(REDIS_URL);
  const [, keys] = await redis.scan('0', 'MATCH', `${database[2]}*`, 'COUNT', 10_000);
  redis.disconnect();
  assert.deepEqual(keys, [], 'Redis keys removed');
  assert.equal(existsSync(work[1] ?? ''), false, 'work directory removed');
}

describe('npm run demo', { timeout: 45 * 60_000 }, () => {
  /** helm, kustomize, kube-apiserver and etcd, resolved (or built) once; the demo reuses them. */
  const tools = (async (): Promise<NodeJS.ProcessEnv | string> => {
    try {
      const { helm, kustomize } = await testBinaries();
      return { ...process.env, HELM_BIN: helm, KUSTOMIZE_BIN: kustomize, KUBEBUILDER_ASSETS: await kubeApiServerAssets() };
    } catch (error) {
      return `helm/kustomize or kube-apiserver unavailable (set HELM_BIN, KUSTOMIZE_BIN and KUBEBUILDER_ASSETS): ${(error as Error).message}`;
    }
  })();

  it('converges the example fleet with --once, prints every Application Synced, and removes what it created', async (t) => {
    const env = await tools;
    if (typeof env === 'string') return t.skip(env);
    const started = Date.now();
    const result = await runDemo(['--once'], env);
    assert.equal(result.code, 0, `exit code\n${result.stderr}`);
    const rows = appRows(result.stdout);
    assert.deepEqual(rows.map((r) => r.name).sort(), CLUSTERS.flatMap((c) => APPS.map((a) => `${a}-${c}`)).sort());
    for (const row of rows) {
      assert.equal(row.sync, 'Synced', row.name);
      assert.equal(row.health, 'Healthy', row.name);
      assert.equal(row.cluster, row.name.split('-').at(-1));
      assert.match(row.revision, /^\d+$/);
    }
    assert.match(result.stderr, /the fleet converged: 9 Applications Synced and Healthy/);
    await assertCleanedUp(result.stderr);
    t.diagnostic(`demo --once took ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  it('keeps running after converging until interrupted, then tears everything down', async (t) => {
    const env = await tools;
    if (typeof env === 'string') return t.skip(env);
    let interrupted = false;
    const result = await runDemo([], env, (stdout, child) => {
      // The table is printed once the fleet has converged: then Ctrl-C, as a user would.
      if (!interrupted && stdout.split('\n').filter((l) => /\sSynced\s/.test(l)).length === CLUSTERS.length * APPS.length) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 1000);
      }
    });
    assert.ok(interrupted, `the demo printed the table\n${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /The demo fleet is running/);
    assert.match(result.stderr, /SIGINT: tearing down/);
    await assertCleanedUp(result.stderr);
  });
});
