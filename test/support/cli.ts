import { spawn, spawnSync } from 'node:child_process';

/** dist/test/support → the repository's bin/flotilla.js, the executable users run. */
const BIN = new URL('../../../bin/flotilla.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `flotilla` executable as a user would, with optional standard input and environment. */
export function runFlotilla(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the `flotilla` executable without blocking this process: needed when the hub it
 * talks to runs in the same process (a blocking spawn would stop the hub from answering).
 */
export function runFlotillaAsync(
  args: readonly string[],
  /** `until`: stop the command (a watch) as soon as its output so far satisfies it. */
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; until?: (stdout: string) => boolean } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (options.until?.(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
