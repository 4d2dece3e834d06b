import { readdirSync, readFileSync } from 'node:fs';

/**
 * What every scenario shares: the size flag, latency percentiles, CPU time and RSS from
 * `/proc`, and the one JSON line a scenario prints last on stdout (what `run.ts` reads).
 */

/** `BENCH_SIZE=smoke`: tiny sizes, so the whole suite runs in CI in under two minutes. */
export const SMOKE = process.env.BENCH_SIZE === 'smoke';

/** A size: the environment variable `name` if set, else the smoke or the full value. */
export function sized(name: string, full: number, smoke: number): number {
  const given = process.env[name];
  return given !== undefined && given !== '' ? Number(given) : SMOKE ? smoke : full;
}

export interface LatencyStats {
  count: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? Number.NaN),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/**
 * CPU time (user + system) of a process in ms, or of its finished (waited-for) children
 * with `children`; /proc counts in clock ticks of 10 ms on Linux. 0 when it has ended.
 */
export function cpuMs(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return children ? (Number(fields[13]) + Number(fields[14])) * 10 : (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU ms of every process with this command name (Postgres runs one backend per connection;
 * others' too), and of their children that ended: a backend that exits between two readings
 * still counts, through its parent's (the postmaster's) cumulative children time.
 */
export function cpuMsByName(command: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let name = '';
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // ended meanwhile
    }
    if (name === command) total += cpuMs(Number(pid)) + cpuMs(Number(pid), true);
  }
  return total;
}

/** VmRSS (now) or VmHWM (peak) of a process, in MiB. */
export function rssMiB(pid: number | 'self', field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(field));
    return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The 1-minute load average, for the machine line of each figure. */
export const loadAverage = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** Waits until none of the processes used more than `busyMs` of CPU in a `windowMs` window (at most `timeoutMs`). */
export async function quiet(pids: readonly number[], { windowMs = 500, busyMs = 60, timeoutMs = 60_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let before = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    if (now - before <= busyMs) return;
    before = now;
  }
}

/** Runs `work` over the items, `width` at a time. */
export async function pool<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

/**
 * Prints the scenario's result as the last line of stdout, with this process's CPU time and
 * peak RSS added (a scenario that runs a hub in other processes reports theirs itself).
 */
export function emit(result: Record<string, unknown>): void {
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      ...result,
      process: { cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024 },
    })}\n`,
  );
}

/** The last progress messages, printed when the scenario is stopped for taking too long. */
const recentProgress: string[] = [];
/** What a stopped scenario reports about the state it hung in (see `onStopped`). */
const stoppedReports: Array<() => Promise<string>> = [];

/** Progress on stderr with BENCH_VERBOSE set (stdout holds only the result line); the last 20 are kept. */
export function progress(scenario: string): (message: string) => void {
  const began = performance.now();
  return (message) => {
    const line = `[${scenario} ${((performance.now() - began) / 1000).toFixed(1)} s] ${message}`;
    recentProgress.push(line);
    if (recentProgress.length > 20) recentProgress.shift();
    if (process.env.BENCH_VERBOSE) process.stderr.write(`${line}\n`);
  };
}

/**
 * Adds to what the scenario prints when `run.ts` stops it (SIGTERM after its time limit): a
 * hang is then diagnosed from the log of that run, not by reproducing it.
 */
export function onStopped(report: () => Promise<string>): void {
  stoppedReports.push(report);
}

process.once('SIGTERM', () => {
  const lines = ['stopped (SIGTERM): the scenario took too long', 'last progress:', ...recentProgress.map((l) => `  ${l}`)];
  const reports = stoppedReports.map((report) =>
    Promise.race([
      report().catch((error: Error) => `(report failed: ${error.message})`),
      new Promise<string>((resolve) => setTimeout(() => resolve('(report timed out)'), 10_000)),
    ]),
  );
  void Promise.all(reports).then((texts) => {
    process.stderr.write(`${[...lines, ...texts].join('\n')}\n`);
    process.exit(124);
  });
});

/**
 * With BENCH_CPU_PROFILE=<dir>, a V8 CPU profile of this process while `work` runs, written
 * to <dir>/<name>.cpuprofile (summarise it with `dist/bench/profile.js`).
 */
export async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return work();
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

/** Counts by kind (errors by HTTP status or error code). */
export class Tally {
  readonly counts: Record<string, number> = {};

  add(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}
