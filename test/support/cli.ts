import { spawnSync } from 'node:child_process';

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
