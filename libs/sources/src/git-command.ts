import { execFile } from 'node:child_process';
import { SourceError } from '#contracts';

export interface GitCommandOptions {
  /** Kills git after this many milliseconds. */
  timeoutMs?: number;
  /** Largest output accepted, in bytes. */
  maxOutputBytes?: number;
  /** Extra environment, e.g. credentials as GIT_CONFIG_* entries (never put secrets in args). */
  env?: Readonly<Record<string, string>>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Runs git in a repository without a shell, with a timeout, an output limit, no prompts
 * and no user or system configuration, so a repository cannot make git run its hooks or
 * helpers. Failures become SourceErrors carrying git's own message.
 */
export function runGit(repository: string, args: readonly string[], options: GitCommandOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'protocol.file.allow=never', ...args],
      {
        cwd: repository,
        encoding: 'buffer',
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBuffer: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          LC_ALL: 'C',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const reason = (error as NodeJS.ErrnoException & { killed?: boolean }).killed
          ? `git ${args[0]} timed out`
          : (stderr.toString().trim().split('\n').pop() ?? error.message);
        reject(new SourceError(reason || error.message, { cause: error }));
      },
    );
  });
}
