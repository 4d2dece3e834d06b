import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';

/** dist/test/support → the repository root (scripts/ is not compiled). */
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const ENVTEST_SH = join(REPO_ROOT, 'scripts/envtest.sh');
const ENVTEST_RUN_SH = join(REPO_ROOT, 'scripts/envtest-run.sh');
const KUBECTL = '/usr/bin/kubectl';

/** A cold build of kube-apiserver takes ~13 min; envtest.sh may also wait on another build's lock. */
const ASSETS_TIMEOUT_MS = 45 * 60_000;
/** envtest-run.sh waits up to FLOTILLA_ENVTEST_START_TIMEOUT (120 s) per process; allow one retry on top. */
const START_TIMEOUT_MS = 240_000;
/** envtest-run.sh stop: TERM, then KILL after 15 s, for each of the two processes. */
const STOP_TIMEOUT_MS = 60_000;
const KUBECTL_TIMEOUT_MS = 30_000;

type After = Pick<TestContext, 'after'>;

/** One etcd + kube-apiserver pair on loopback, started by scripts/envtest-run.sh. */
export interface KubeApiServer {
  name: string;
  /** The pair's private directory: kubeconfig, env, pki/, etcd-data/, *.log, *.pid. */
  workDir: string;
  /** Kubeconfig whose current context is a `system:masters` (cluster-admin) bearer token. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  kubeConfig: KubeConfig;
  /** Runs kubectl against this server and returns its stdout; throws with stderr when it fails. */
  kubectl(...args: string[]): string;
  /** Stops etcd and kube-apiserver (the directory stays until the test ends). Idempotent. */
  stop(): Promise<void>;
}

let assets: Promise<string> | undefined;

/**
 * The directory with kube-apiserver and etcd, resolved once per process through scripts/envtest.sh:
 * KUBEBUILDER_ASSETS when it holds both binaries, else the build cache (building on first use).
 */
export function kubeApiServerAssets(): Promise<string> {
  assets ??= run(ENVTEST_SH, [], process.env, ASSETS_TIMEOUT_MS).then((stdout) => {
    const dir = stdout.trim().split('\n').at(-1)?.trim();
    if (!dir) throw new Error('scripts/envtest.sh printed no assets directory');
    return dir;
  });
  // A failure is not cached, so a later suite can try again.
  assets.catch(() => {
    assets = undefined;
  });
  return assets;
}

/** Starts one API server; see startKubeApiServers. */
export async function startKubeApiServer(t: After): Promise<KubeApiServer> {
  const [server] = await startKubeApiServers(t, 1);
  if (!server) throw new Error('no API server started');
  return server;
}

/**
 * Starts `count` independent API servers in parallel, each with its own etcd and work directory.
 * All are stopped and their directories removed when the test (or suite) ends; if any fails to
 * start, the others are stopped at once and the error is thrown.
 */
export async function startKubeApiServers(t: After, count: number): Promise<KubeApiServer[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer (got ${count})`);
  const assetsDir = await kubeApiServerAssets();
  const env = { ...process.env, KUBEBUILDER_ASSETS: assetsDir };
  const pairs = Array.from({ length: count }, (_, i) => new Pair(`kube-${i + 1}`, env));
  // Registered before anything starts, so a half-started pair is always stopped.
  t.after(async () => {
    await Promise.all(pairs.map((pair) => pair.stop()));
    for (const pair of pairs) pair.remove();
  });
  const results = await Promise.allSettled(pairs.map((pair) => pair.start()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  if (failures.length > 0) {
    await Promise.all(pairs.map((pair) => pair.stop()));
    if (failures.length === 1) throw failures[0];
    const details = failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n---\n');
    throw new AggregateError(failures, `${failures.length} of ${count} API servers failed to start:\n${details}`);
  }
  return results.map((r) => (r as PromiseFulfilledResult<KubeApiServer>).value);
}

/** Work dirs of pairs that may have live processes, for the last-resort cleanup on process exit. */
const live = new Set<string>();
process.on('exit', () => {
  for (const dir of live) killProcessesUsing(dir);
});

class Pair {
  readonly workDir = mkdtempSync(join(tmpdir(), 'flotilla-kube-'));
  private stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<KubeApiServer> {
    live.add(this.workDir);
    const stdout = await run(ENVTEST_RUN_SH, ['start', this.workDir], this.env, START_TIMEOUT_MS);
    const kubeconfigPath = stdout.trim().split('\n').at(-1)?.trim() ?? '';
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error(`${kubeconfigPath} names no server`);
    const cacheDir = join(this.workDir, 'kubectl-cache');
    return {
      name: this.name,
      workDir: this.workDir,
      kubeconfigPath,
      server,
      kubeConfig,
      kubectl: (...args) => kubectl(['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args]),
      stop: () => this.stop(),
    };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await run(ENVTEST_RUN_SH, ['stop', this.workDir], this.env, STOP_TIMEOUT_MS);
      } finally {
        // Anything the script could not see (e.g. start killed between launch and writing the pid file).
        killProcessesUsing(this.workDir);
        live.delete(this.workDir);
      }
    })();
    return this.stopping;
  }

  remove(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const why = error.killed ? `timed out after ${timeout / 1000}s` : `failed (exit ${error.code})`;
      reject(new Error(`${file} ${args.join(' ')} ${why}:\n${stderr.trim()}`));
    });
  });
}

function kubectl(args: string[]): string {
  try {
    return execFileSync(KUBECTL, args, { encoding: 'utf8', timeout: KUBECTL_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string; status?: number | null; signal?: string | null };
    const why = e.code === 'ETIMEDOUT' || e.signal ? `timed out after ${KUBECTL_TIMEOUT_MS / 1000}s` : `failed (exit ${e.status})`;
    throw new Error(`kubectl ${args.slice(4).join(' ')} ${why}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** SIGKILLs every process (other than this one) whose command line mentions `dir/`. */
function killProcessesUsing(dir: string): void {
  const needle = `${dir}/`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already, or not ours to read
    }
  }
}
