import { spawn } from 'node:child_process';
import { SourceError } from '#contracts';

export interface RunOptions {
  /** Name used in error messages, e.g. `helm template`. */
  label: string;
  cwd?: string;
  /** The complete environment of the child: nothing is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Absolute paths replaced by short labels in error messages (temp dirs, checkouts). */
  redact?: ReadonlyArray<readonly [path: string, label: string]>;
}

/** Thrown when the binary itself is missing, so callers can fall back to another tool. */
export class ToolNotFoundError extends SourceError {}

const STDERR_KEEP_BYTES = 64 * 1024;
const STDERR_LINES = 12;

/**
 * Runs a tool without a shell, in its own process group so a timeout kills whatever it
 * started too. stdout is capped (the tool is killed past the cap); stderr keeps only its
 * tail, which becomes the error reason with credentials in URLs masked.
 */
export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let failure: SourceError | undefined;
    let settled = false;

    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const finish = (error: SourceError | undefined, value?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value ?? '');
    };
    const timer = setTimeout(() => {
      failure ??= new SourceError(`${options.label} timed out after ${options.timeoutMs} ms`);
      kill();
    }, options.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxOutputBytes) {
        failure ??= new SourceError(`${options.label} output exceeds the limit of ${options.maxOutputBytes} bytes`);
        kill();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_KEEP_BYTES) stderr = stderr.subarray(stderr.length - STDERR_KEEP_BYTES);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        finish(new ToolNotFoundError(`${options.label}: cannot run ${file} (${error.code})`, { cause: error }));
      } else finish(new SourceError(`${options.label}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (failure) return finish(failure);
      if (code === 0) return finish(undefined, Buffer.concat(stdout).toString('utf8'));
      const reason = lastLines(redact(stderr.toString('utf8'), options.redact ?? []));
      const status = signal ? `killed by ${signal}` : `exit code ${code}`;
      finish(new SourceError(`${options.label} failed (${status})${reason ? `: ${reason}` : ''}`));
    });
  });
}

/** Masks `user:password@` in URLs and the given paths. */
export function redact(text: string, paths: ReadonlyArray<readonly [string, string]>): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
  // Longest first, so a path inside another is replaced by its own label.
  for (const [path, label] of [...paths].sort((a, b) => b[0].length - a[0].length)) {
    if (path !== '') out = out.split(path).join(label);
  }
  return out;
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  return lines.slice(-STDERR_LINES).join('\n');
}
