import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const AGENT_MAIN = fileURLToPath(new URL('../../apps/agent/src/main.js', import.meta.url));
const BUNDLE_SCRIPT = fileURLToPath(new URL('../../apps/agent/bundle.js', import.meta.url));
/** The V8 flags of `npm run agent` (and the image): a small young generation keeps idle RSS down. */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'];

let bundle: string | undefined;

/**
 * The agent as it ships: one file bundled from the compiled sources (apps/agent/bundle.ts),
 * built once per test process from the dist/ it runs with, so it is never stale and
 * parallel test processes do not write the same file. `FLOTILLA_AGENT_ENTRY=src` runs the
 * unbundled dist/apps/agent/src/main.js instead (for comparisons).
 */
export function agentEntry(): string {
  if (process.env.FLOTILLA_AGENT_ENTRY === 'src') return AGENT_MAIN;
  if (bundle === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-agent-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'flotilla-agent.mjs');
    execFileSync(process.execPath, [BUNDLE_SCRIPT, file], { stdio: ['ignore', 'ignore', 'inherit'] });
    bundle = file;
  }
  return bundle;
}

export interface AgentOptions {
  hubUrl: string;
  kubeconfig: string;
  bootstrapToken?: string;
  namespace?: string;
  /** Extra environment (FLOTILLA_REFRESH_SECONDS, ...). */
  env?: Record<string, string>;
}

export interface RunningAgent {
  process: ChildProcess;
  /** Everything it logged so far (JSON lines on stdout, anything on stderr). */
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no chance to finish anything. */
  kill(): Promise<void>;
}

/** Runs the agent as its own process, as in a cluster; stopped when the test ends. */
export function startAgent(t: Pick<TestContext, 'after'>, options: AgentOptions): RunningAgent {
  // FLOTILLA_AGENT_NODE_FLAGS replaces the V8 flags (benchmarks of other settings).
  const flags = process.env.FLOTILLA_AGENT_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? AGENT_NODE_FLAGS;
  const child = spawn(process.execPath, [...flags, agentEntry()], {
    env: {
      PATH: process.env.PATH,
      FLOTILLA_HUB_URL: options.hubUrl,
      KUBECONFIG: options.kubeconfig,
      FLOTILLA_AGENT_NAMESPACE: options.namespace ?? 'flotilla-system',
      ...(options.bootstrapToken ? { FLOTILLA_BOOTSTRAP_TOKEN: options.bootstrapToken } : {}),
      FLOTILLA_POLL_SECONDS: '5',
      FLOTILLA_REFRESH_SECONDS: '0.5',
      FLOTILLA_HEARTBEAT_SECONDS: '1',
      FLOTILLA_METRICS_PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (process.env.FLOTILLA_TEST_LOGS) process.stderr.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    // An agent that does not stop on SIGTERM within 15 s is a bug; the test should not hang on it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  t.after(() => end('SIGKILL'));
  return { process: child, output: () => output, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
