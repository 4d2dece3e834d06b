import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuMs, type LatencyStats, SMOKE } from './common.js';

/**
 * `npm run bench`: runs each scenario in a fresh process (so peak RSS is per scenario), each
 * against a baseline measured in the same run, prints the machine and Markdown tables, and
 * writes every figure to BENCH_RESULTS (bench-results.json). BENCH_SIZE=smoke runs tiny
 * sizes (CI: test/e2e/bench-smoke.test.ts) and judges no targets; BENCH_ONLY=delivery,persist
 * runs some scenarios. Not a test: it asserts nothing, but exits 1 when a scenario failed.
 */

type Json = Record<string, unknown>;
interface Run {
  label: string;
  script: string;
  arg?: string;
  env?: Record<string, string>;
}
interface RunResult {
  label: string;
  result?: Json;
  error?: string;
  wallSeconds: number;
  /** CPU of the scenario's process tree (itself and the hub, API server, kubectl… processes it waited for). */
  cpuSeconds: number;
  load: [number, number];
}
interface Target {
  name: string;
  met: boolean;
  value: string;
}
interface Scenario {
  key: string;
  title: string;
  runs: Run[];
  /** Markdown lines, targets and the ratio against the baseline, from the results of the runs (all succeeded). */
  report(results: Map<string, Json>): { lines: string[]; targets: Target[]; ratio?: { value: number; against: string } };
}

const n = (value: unknown, digits = 0): string =>
  typeof value === 'number' && Number.isFinite(value)
    ? value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : String(value);
const ms = (value: unknown): string => `${n(value)} ms`;
const mib = (value: unknown): string => `${n(value)} MiB`;
const get = <T = Json>(value: unknown, ...path: string[]): T => path.reduce<unknown>((v, k) => (v as Json)?.[k], value) as T;
const latencyCells = (l: LatencyStats): string => `${ms(l.p50Ms)} | ${ms(l.p95Ms)} | ${ms(l.p99Ms)} | ${ms(l.maxMs)}`;
const table = (head: string[], rows: string[][]): string[] => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
];
const processCells = (r: Json): string[] => [mib(get(r, 'process', 'peakRssMiB')), `${n(get(r, 'process', 'cpuSeconds'), 1)} s`];

const deliverySizes = SMOKE ? [20, 50] : [1_000, 5_000, 10_000];
const convergenceSizes = (process.env.BENCH_CONVERGE_SIZES ?? (SMOKE ? '20' : '1000,10000')).split(',').map(Number);

const scenarios: Scenario[] = [
  {
    key: 'render',
    title: 'render: clusters × list matrix',
    runs: [
      { label: 'matrix', script: 'render-matrix.js', arg: 'matrix' },
      // The baseline is Argo CD's fasttemplate path (JSON text, compiled per Application, parsed
      // back), on the same 500,000 Applications: at a tenth of the size it ran with a tenth of
      // the heap to collect, and looked faster per Application than it is.
      { label: 'naive', script: 'render-matrix.js', arg: 'naive' },
      // The floor: the same Applications as hand-written literals (what any renderer costs at least).
      { label: 'floor', script: 'render-matrix.js', arg: 'floor' },
    ],
    report(r) {
      const matrix = r.get('matrix') as Json;
      const naive = r.get('naive') as Json;
      const row = (label: string, x: Json) => [label, n(x.applications), `${n(x.seconds, 2)} s`, n(x.appsPerSecond), ...processCells(x)];
      const floor = r.get('floor') as Json;
      const ratio = (matrix.appsPerSecond as number) / (naive.appsPerSecond as number);
      const bound = (floor.appsPerSecond as number) / (naive.appsPerSecond as number);
      return {
        lines: [
          ...table(
            ['scenario', 'Applications', 'time', 'Applications/s', 'peak RSS', 'CPU'],
            [
              row('flotilla render (templates compiled once)', matrix),
              row('baseline: Argo CD’s path (template as JSON text compiled, substituted and parsed per Application)', naive),
              row('floor: the same Applications as hand-written object literals (no renderer)', floor),
            ],
          ),
          '',
          `Ratio against the baseline ${n(ratio, 1)}×. The floor is ${n(bound, 1)}× the baseline: no renderer that hands out ` +
            `Application objects can be more than that here; flotilla's render runs at ` +
            `${n(((matrix.appsPerSecond as number) / (floor.appsPerSecond as number)) * 100)} % of the floor's rate.`,
        ],
        ratio: { value: ratio, against: 'Argo CD’s fasttemplate path per Application (Applications/s)' },
        targets: [
          { name: '≥ 100,000 Applications/s', met: (matrix.appsPerSecond as number) >= 100_000, value: n(matrix.appsPerSecond) },
          { name: '≥ 20× the naive baseline', met: ratio >= 20, value: `${n(ratio, 1)}×` },
        ],
      };
    },
  },
  {
    key: 'plans',
    title: 'plans: clusters × 20 apps from one Helm chart and one kustomize overlay',
    runs: [
      { label: 'plans', script: 'plans.js', arg: 'plans' },
      // The baseline renders every Application; a fiftieth of the fleet keeps it under a minute.
      { label: 'uncached', script: 'plans.js', arg: 'uncached' },
    ],
    report(r) {
      const plans = r.get('plans') as Json;
      const uncached = r.get('uncached') as Json;
      const row = (label: string, x: Json) => [
        label,
        n(x.clusters),
        n(x.applications),
        n(x.rendersExecuted),
        n(x.distinctInputs),
        `${n(x.seconds, 1)} s`,
        n(x.plansPerSecond, 1),
        ...processCells(x),
        n(x.errors),
      ];
      const ratio = (plans.plansPerSecond as number) / (uncached.plansPerSecond as number);
      return {
        lines: table(
          ['scenario', 'clusters', 'Applications', 'renders executed', 'distinct inputs', 'time', 'plans/s', 'peak RSS', 'CPU', 'errors'],
          [row('planner (content-addressed render cache)', plans), row('baseline: one render per Application', uncached)],
        ),
        ratio: { value: ratio, against: 'one render per Application (plans/s)' },
        targets: [
          {
            name: 'renders executed = distinct inputs',
            met: plans.rendersExecuted === plans.distinctInputs,
            value: `${n(plans.rendersExecuted)} / ${n(plans.distinctInputs)}`,
          },
        ],
      };
    },
  },
  // Scenario 3 (incremental re-render) is bench/incremental.ts; it runs here once it is built.
  ...(existsSync(fileURLToPath(new URL('./incremental.js', import.meta.url)))
    ? [
        {
          key: 'incremental',
          title: 'incremental: clusters relabelled → Applications re-rendered',
          runs: [{ label: 'incremental', script: 'incremental.js', arg: 'incremental', env: SMOKE ? { BENCH_CLUSTERS: '100' } : {} }],
          report(r: Map<string, Json>): ReturnType<Scenario['report']> {
            const x = r.get('incremental') as Json;
            const one = x.oneCluster as Json | undefined;
            const some = x.onePercent as Json | undefined;
            // Its own engineer's output: shown as JSON when it is not the shape this table knows.
            if (!one || !some || typeof x.fullRenderMs !== 'number')
              return { lines: ['```json', JSON.stringify(x, null, 2), '```'], targets: [] };
            const row = (label: string, c: Json) => [label, n(c.rendered), n(c.expected), c.exact ? 'yes' : 'NO', ms(n(c.medianMs, 1))];
            return {
              lines: table(
                ['change', 'Applications re-rendered', 'affected', 'exactly those', 'time (median)'],
                [
                  row('one cluster relabelled', one),
                  row(`${n(some.clusters)} clusters (1%) relabelled`, some),
                  [`baseline: full render of ${n(x.clusters)} clusters`, n(x.applications), '', '', ms(n(x.fullRenderMs, 1))],
                ],
              ),
              ratio: { value: (x.fullRenderMs as number) / (one.medianMs as number), against: 'a full render (full ÷ one cluster)' },
              targets: [
                {
                  name: 'exactly the affected Applications',
                  met: Boolean(one.exact && some.exact),
                  value: `${n(one.rendered)}, ${n(some.rendered)}`,
                },
                { name: 'one cluster < 50 ms', met: (one.medianMs as number) < 50, value: ms(n(one.medianMs, 1)) },
              ],
            };
          },
        },
      ]
    : []),
  // Before the fleet scenarios: their 10,000 closed connections leave ports in TIME_WAIT for a minute.
  {
    key: 'agentApply',
    title: 'agent apply: objects server-side applied to a real API server',
    runs: [{ label: 'agent-apply', script: 'agent-apply.js', arg: 'agent-apply' }],
    report(r) {
      const a = r.get('agent-apply') as Json;
      const applier = (label: string, x: Json) => [
        label,
        n(a.objects),
        `${(x.runs as Array<{ seconds: number }>).map((run) => n(run.seconds, 1)).join(' / ')} s${(x.runs as unknown[]).length < (a.rounds as number) ? ' (once: over 60 s)' : ''}`,
        `${n(x.medianSeconds, 2)} s`,
        n(x.objectsPerSecond),
        `${n(x.medianClientCpuSeconds, 1)} s`,
        `${n(x.medianServerCpuSeconds, 1)} s`,
        n(x.errors),
      ];
      const agent = a.agentProcess as Json;
      const memory = (label: string, m: Json | undefined) => [label, mib(m?.rssMiB ?? m?.peakRssMiB), mib(m?.hwmMiB)];
      const errors = ['agent', 'kubectl', 'kubectlNoValidate'].reduce((s, k) => s + get<number>(a, k, 'errors'), 0);
      return {
        lines: [
          ...table(
            ['applier', 'objects', 'runs', 'median', 'objects/s', 'client CPU', 'API server CPU', 'errors'],
            [
              applier(`agent: Syncer.apply (${a.concurrency} in flight)`, a.agent as Json),
              applier('baseline: kubectl apply --server-side', a.kubectl as Json),
              applier('kubectl apply --server-side --validate=false', a.kubectlNoValidate as Json),
            ],
          ),
          '',
          `wall time agent/kubectl --validate=false: ${n(a.ratioNoValidate, 2)}`,
          '',
          ...table(
            ['agent process', 'VmRSS', 'VmHWM'],
            [
              memory('idle: registered, long-polling an empty plan', agent.idle as Json),
              memory(
                `while applying a ${n(get(agent, 'plan', 'objects'))}-object plan (peak of 50 ms samples)`,
                agent.whileApplying as Json | undefined,
              ),
              memory('10 s after applying it', agent.afterApply as Json),
              memory('after its first refresh of those objects', agent.afterRefresh as Json),
              ['a bare Node process', mib(agent.bareNodeRssMiB), ''],
            ],
          ),
          '',
          `the agent applied the plan in ${n(get(agent, 'plan', 'applySeconds'), 1)} s (${n(get(agent, 'plan', 'endToEndSeconds'), 1)} s from the ApplicationSet PUT), ${n(get(agent, 'plan', 'counted'))} objects found, ${n(get(agent, 'plan', 'outOfSync'))} Applications OutOfSync; agent run as: ${agent.entry ?? 'dist'} ${agent.nodeFlags ?? ''}`,
        ],
        ratio: { value: a.ratio as number, against: 'kubectl apply --server-side (wall time)' },
        targets: [
          { name: 'wall time ≤ 0.5 × kubectl', met: (a.ratio as number) <= 0.5, value: n(a.ratio, 3) },
          { name: 'agent idle RSS < 80 MiB', met: get<number>(agent, 'idle', 'rssMiB') < 80, value: mib(get(agent, 'idle', 'rssMiB')) },
          { name: 'no errors', met: errors === 0, value: n(errors) },
        ],
      };
    },
  },
  {
    key: 'persist',
    title: 'persist and fan-out: plan revisions stored in Postgres and announced on Redis',
    runs: [{ label: 'persist', script: 'persist.js' }],
    report(r) {
      const p = r.get('persist') as Json;
      const row = (label: string, x: Json, rows: string) => [
        label,
        rows,
        `${n(x.seconds, 2)} s`,
        n(x.rowsPerSecond),
        x.megabytesPerSecond === undefined ? '' : n(x.megabytesPerSecond, 1),
        `${n(get(x, 'cpuSeconds', 'hub'), 1)} / ${n(get(x, 'cpuSeconds', 'postgres'), 1)} s`,
      ];
      const steady = p.steady as Json;
      return {
        lines: [
          ...table(
            ['writes', 'revisions', 'time (stored and every waiter woken)', 'rows/s', 'MB/s', 'CPU: hub / Postgres'],
            [
              row(
                `first revisions, batches of ${p.batchSize}, ${p.concurrency} jobs at a time`,
                p.first as Json,
                n(get(p, 'first', 'revisions')),
              ),
              row('new revisions (steady state), same', steady, n(steady.revisions)),
              ...(p.prototype
                ? [
                    row(
                      'prototype, not the hub: same statements via pg, revisions as one JSON parameter',
                      p.prototype as Json,
                      n(get(p, 'prototype', 'revisions')),
                    ),
                  ]
                : []),
              row('baseline: one INSERT + UPDATE + PUBLISH per cluster', p.baseline as Json, n(get(p, 'baseline', 'revisions'))),
            ],
          ),
          '',
          `${n(p.applicationsPerPlan)} Applications (3 objects each) per plan, ${n((steady.bytes as number) / (steady.revisions as number) / 1024, 1)} KiB of JSON per revision; Redis publish ${n((steady.publishSeconds as number) * 1000)} ms of the steady round; peak RSS ${mib(get(p, 'process', 'peakRssMiB'))} (the plans of two rounds are held in memory).`,
        ],
        ratio: { value: p.ratio as number, against: 'per-row writes (rows/s)' },
        targets: [
          {
            name: `${n(p.clusters)} revisions stored and announced < 5 s`,
            met: !SMOKE && (p.clusters as number) >= 10_000 && (steady.seconds as number) < 5,
            value: `${n(steady.seconds, 2)} s`,
          },
        ],
      };
    },
  },
  {
    key: 'delivery',
    title: 'delivery: agents long-polling one hub, one ApplicationSet change',
    runs: deliverySizes.map((agents) => ({ label: String(agents), script: 'delivery.js', env: { BENCH_AGENTS: String(agents) } })),
    report(r) {
      const rows = deliverySizes.map((size) => r.get(String(size)) as Json);
      const first = rows[0] as Json;
      const last = rows.at(-1) as Json;
      const lines = table(
        [
          'agents',
          'delivered',
          'errors',
          'p50',
          'p95',
          'p99',
          'max',
          'agents/s',
          'from announcement: p50 / p99',
          'API RSS: before polls (after a full GC) → held (after a full GC)',
          'per held agent (after a full GC)',
          'API / worker peak RSS',
          'CPU ms: API / worker / Postgres / agents',
        ],
        rows.map((x) => [
          n(x.agents),
          n(x.delivered),
          n(x.errors),
          latencyCells(x.latency as LatencyStats),
          n(x.agentsPerSecond),
          `${ms(get(x, 'fromAnnouncement', 'p50Ms'))} / ${ms(get(x, 'fromAnnouncement', 'p99Ms'))}`,
          `${mib(x.apiRssCollectedBeforePollsMiB)} → ${mib(x.apiRssHeldMiB)} (${mib(x.apiRssCollectedHeldMiB)})`,
          `${n(((x.rssPerHeldAgentKiB as number) * 1024) / 1000, 1)} KB (${n(((x.rssPerHeldAgentCollectedKiB as number) * 1024) / 1000, 1)} KB)`,
          `${mib(x.apiPeakRssMiB)} / ${mib(x.workerPeakRssMiB)}`,
          ['api', 'worker', 'postgres', 'agents'].map((k) => n(get(x, 'cpuMs', k))).join(' / '),
        ]),
      );
      const ratio = get<number>(last, 'latency', 'p99Ms') / get<number>(first, 'latency', 'p99Ms');
      const kb = ((last.rssPerHeldAgentKiB as number) * 1024) / 1000;
      const collectedKb = ((last.rssPerHeldAgentCollectedKiB as number) * 1024) / 1000;
      const full = !SMOKE && (last.agents as number) >= 10_000;
      // Persist and convergence have their own targets for storing revisions and for the whole
      // path from a commit; delivery's is the leg from a stored, announced revision to the agent.
      lines.push(
        '',
        'p50…max: from the `PUT` (render, store, plan and deliver); "from announcement": from the Redis message announcing each cluster\'s stored revision to its agent\'s receipt, the leg the delivery target is judged on. RSS before the polls is measured right after a full GC (through the inspector); RSS held as found includes the garbage the burst of connections left until the next major GC; in brackets, held right after a full GC: what the polls keep, which the RSS target is judged on.',
      );
      return {
        lines,
        ratio: {
          value: ratio,
          against: `p99 at ${n(first.agents)} agents, same run (${n(last.agents)} agents ÷ ${n(first.agents)}: ${n((last.agents as number) / (first.agents as number))}×)`,
        },
        targets: [
          {
            name: '10,000 agents: p99 < 1 s from the announcement',
            met: full && get<number>(last, 'fromAnnouncement', 'p99Ms') < 1000,
            value: `${ms(get(last, 'fromAnnouncement', 'p99Ms'))} (from the PUT: ${ms(get(last, 'latency', 'p99Ms'))})`,
          },
          {
            name: '≤ 15 KB hub RSS per held agent, after a full GC',
            met: full && collectedKb <= 15,
            value: `${n(collectedKb, 1)} KB (as found: ${n(kb, 1)} KB)`,
          },
          { name: 'no errors', met: rows.every((x) => x.errors === 0), value: n(rows.reduce((s, x) => s + (x.errors as number), 0)) },
        ],
      };
    },
  },
  {
    key: 'convergence',
    title: 'convergence: one git commit → every agent fetched, applied (15 ms) and reported',
    runs: convergenceSizes.map((agents) => ({
      label: String(agents),
      script: 'convergence.js',
      env: { BENCH_CONVERGE_AGENTS: String(agents) },
    })),
    report(r) {
      const rows = convergenceSizes.map((size) => r.get(String(size)) as Json);
      const lines = table(
        [
          'agents',
          'converged',
          'errors',
          'status reports refused (retried)',
          'p99 of the legs: announced (revision stored) · fetched after announcement · report after apply',
          'fetched: p50 · p95 · p99 · max',
          'converged: p50',
          'p95',
          'p99',
          'max',
          'API / worker peak RSS',
          'CPU ms: API / worker / Postgres / agents',
        ],
        rows.map((x) => [
          n(x.agents),
          n(x.converged),
          n(x.errors),
          `${n(x.statusRetries)} ${JSON.stringify(x.statusRefused)}`,
          x.announcement ? ['announcement', 'delivery', 'report'].map((leg) => ms(get(x, leg, 'p99Ms'))).join(' · ') : '–',
          latencyCells(x.fetch as LatencyStats).replaceAll(' | ', ' · '),
          latencyCells(x.convergence as LatencyStats),
          `${mib(x.apiPeakRssMiB)} / ${mib(x.workerPeakRssMiB)}`,
          ['api', 'worker', 'postgres', 'agents'].map((k) => n(get(x, 'cpuMs', k))).join(' / '),
        ]),
      );
      const meeting = rows.filter((x) => x.errors === 0 && get<number>(x, 'convergence', 'p99Ms') < 5000).map((x) => x.agents as number);
      const largest = rows.at(-1) as Json;
      return {
        lines: [
          ...lines,
          '',
          `largest fleet here converging with p99 < 5 s: ${meeting.length ? n(Math.max(...meeting)) : 'none of those run'}`,
        ],
        ratio: { value: largest.ratio as number, against: `the fetch alone (p99 converged ÷ p99 fetched, ${n(largest.agents)} agents)` },
        targets: [
          {
            name: '10,000 clusters: p99 < 5 s',
            met: !SMOKE && meeting.some((size) => size >= 10_000),
            value: `${n(largest.agents)} agents: ${ms(get(largest, 'convergence', 'p99Ms'))}`,
          },
        ],
      };
    },
  },
  {
    key: 'footprints',
    title: 'footprints: hub RSS by fleet size, status and heartbeat fan-in (agent RSS: from agent apply)',
    runs: [{ label: 'footprints', script: 'footprints.js' }],
    report(r) {
      const f = r.get('footprints') as Json;
      const sizes = f.sizes as Array<{ clusters: number; apiRssMiB: number; workerRssMiB: number }>;
      const fan = f.fanIn as Json;
      const base = f.fanInBaseline as Json;
      const slopeMB = ((f.apiSlopeMiBPer1k as number) * 2 ** 20) / 1e6;
      const hubSlopeMB = ((f.hubSlopeMiBPer1k as number) * 2 ** 20) / 1e6;
      const fanRow = (label: string, x: Json) => [
        label,
        n(x.rows),
        `${n(x.seconds, 1)} s`,
        n(x.rowsPerSecond),
        latencyCells(x.latency as LatencyStats),
        n(x.errors),
      ];
      return {
        lines: [
          ...table(
            ['registered clusters (every agent holding its poll)', 'API RSS', 'worker RSS', 'hub (both)'],
            sizes.map((s) => [n(s.clusters), mib(s.apiRssMiB), mib(s.workerRssMiB), mib(s.apiRssMiB + s.workerRssMiB)]),
          ),
          '',
          `slope per 1,000 clusters: API ${n(f.apiSlopeMiBPer1k, 1)} MiB (${n(slopeMB, 1)} MB), API + worker ${n(f.hubSlopeMiBPer1k, 1)} MiB (${n(hubSlopeMB, 1)} MB); peaks ${mib(f.apiPeakRssMiB)} / ${mib(f.workerPeakRssMiB)} (after the fan-in); held polls answered or broken: ${JSON.stringify(f.pollErrors)}`,
          '',
          ...table(
            ['status fan-in (POST /agent/v1/status)', 'rows', 'time', 'rows/s', 'p50', 'p95', 'p99', 'max', 'errors'],
            [fanRow(`${n(fan.concurrency)} agents reporting at once`, fan), fanRow('baseline: one report at a time', base)],
          ),
          '',
          ...(f.heartbeats
            ? [
                ...table(
                  ['heartbeat fan-in (POST /agent/v1/heartbeat)', 'beats', 'time', 'beats/s', 'p50', 'p95', 'p99', 'max', 'errors'],
                  [
                    fanRow(`${n((f.heartbeats as Json).concurrency)} agents at once`, f.heartbeats as Json),
                    fanRow('baseline: one at a time', f.heartbeatBaseline as Json),
                  ],
                ),
                '',
              ]
            : []),
          `API RSS during the fan-in: ${mib(get(fan, 'apiRssMiB', 'before'))} → ${mib(get(fan, 'apiRssMiB', 'after'))}; Postgres CPU ${n(fan.postgresCpuSeconds, 1)} s. Agent footprint: see agent apply.`,
        ],
        ratio: { value: f.fanInRatio as number, against: 'status reports one at a time (rows/s)' },
        targets: [
          { name: 'hub RSS slope ≤ 50 MB per 1,000 clusters (API process)', met: !SMOKE && slopeMB <= 50, value: `${n(slopeMB, 1)} MB` },
          {
            name: 'hub RSS slope ≤ 50 MB per 1,000 clusters (API + worker)',
            met: !SMOKE && hubSlopeMB <= 50,
            value: `${n(hubSlopeMB, 1)} MB`,
          },
        ],
      };
    },
  },
  {
    key: 'previews',
    title: 'previews: open pull requests, webhook to plan',
    runs: [{ label: 'previews', script: 'previews.js', arg: 'previews' }],
    report(r) {
      const p = r.get('previews') as Json;
      const seq = p.sequential as LatencyStats;
      const burst = p.burst as LatencyStats;
      return {
        lines: [
          `${n(p.pullRequests)} pull requests in ${n(p.repositories)} repositories × ${n(p.clusters)} clusters (${n(p.applications)} Applications)`,
          '',
          ...table(
            ['webhooks', 'count', 'p50', 'p95', 'p99', 'max'],
            [
              ['one push at a time: webhook → plan revision at the agent', n(seq.count), latencyCells(seq)],
              ['a burst sent together', n(burst.count), latencyCells(burst)],
            ],
          ),
          '',
          `all previews planned and delivered ${n(p.setupSeconds, 1)} s after the ApplicationSets were applied; every pull request had its status and comment after ${n(p.feedbackSeconds, 1)} s; ${n(p.scmListings)} pull request listings; peak RSS ${mib(get(p, 'process', 'peakRssMiB'))}, CPU ${n(get(p, 'process', 'cpuSeconds'), 1)} s (hub in the bench process)`,
        ],
        ratio: {
          value: burst.maxMs / (seq.p50Ms * burst.count),
          against: 'the burst handled one webhook at a time (burst max ÷ (burst size × sequential p50))',
        },
        targets: [],
      };
    },
  },
];

/** Runs one scenario process; its result is the last line of its stdout. */
function runOne(run: Run): Promise<RunResult> {
  const script = fileURLToPath(new URL(`./${run.script}`, import.meta.url));
  const started = performance.now();
  const cpuBefore = cpuMs('self', true);
  const loadBefore = loadavg()[0] as number;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...(run.arg ? [run.arg] : [])], {
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    // Passed on as it comes; what a stopped scenario printed last (its report) joins its failure.
    let stderrTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-20_000);
    });
    const timeoutMs = Number(process.env.BENCH_TIMEOUT_SECONDS || (SMOKE ? 240 : 900)) * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const done = {
        label: run.label,
        wallSeconds: (performance.now() - started) / 1000,
        cpuSeconds: (cpuMs('self', true) - cpuBefore) / 1000,
        load: [loadBefore, loadavg()[0] as number] as [number, number],
      };
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        if (timedOut) {
          const report = stderrTail.slice(Math.max(0, stderrTail.lastIndexOf('stopped (SIGTERM)')));
          throw new Error(`stopped after ${timeoutMs / 1000} s (exit ${code ?? signal}):\n${report.trim()}`);
        }
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve({ ...done, result: JSON.parse(last) as Json });
      } catch (error) {
        resolve({ ...done, error: `${run.script} ${run.arg ?? ''}: ${(error as Error).message}` });
      }
    });
  });
}

const only = process.env.BENCH_ONLY?.split(',').map((k) => k.trim());
const began = performance.now();
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  size: SMOKE ? 'smoke' : 'full',
  command: `${SMOKE ? 'BENCH_SIZE=smoke ' : ''}${only ? `BENCH_ONLY=${only.join(',')} ` : ''}npm run bench`,
};
const machineLine = `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage.join(' ')} at start; ${machine.date}; sizes: ${machine.size}`;
console.log(`${machineLine}\n`);

const output: Record<string, Json> = {};
const failures: string[] = [];
for (const scenario of scenarios) {
  if (only && !only.includes(scenario.key)) continue;
  const runs: RunResult[] = [];
  for (const run of scenario.runs) runs.push(await runOne(run));
  const results = new Map(runs.filter((r) => r.result).map((r) => [r.label, r.result as Json]));
  const failed = runs.filter((r) => r.error).map((r) => r.error as string);
  failures.push(...failed);
  console.log(`## ${scenario.title}\n`);
  let report: ReturnType<Scenario['report']> | undefined;
  if (failed.length === 0) {
    try {
      report = scenario.report(results);
    } catch (error) {
      failed.push(`${scenario.key}: report: ${(error as Error).message}`);
      failures.push(failed.at(-1) as string);
    }
  }
  if (report) {
    console.log(report.lines.join('\n'));
    if (report.ratio) console.log(`\nratio against the baseline (${report.ratio.against}): ${n(report.ratio.value, 2)}`);
    if (report.targets.length)
      console.log(
        `${SMOKE ? 'targets (smoke sizes: not judged)' : 'targets'}: ${report.targets.map((t) => `${t.name}: ${t.value} (${SMOKE ? '-' : t.met ? 'met' : 'MISSED'})`).join('; ')}`,
      );
  }
  for (const error of failed) console.log(`\nFAILED: ${error}`);
  const wall = runs.reduce((s, r) => s + r.wallSeconds, 0);
  const cpu = runs.reduce((s, r) => s + r.cpuSeconds, 0);
  console.log(
    `\nrun: ${runs.map((r) => `${r.label} ${n(r.wallSeconds, 0)} s wall, ${n(r.cpuSeconds, 1)} s CPU, load ${n(r.load[0], 1)}→${n(r.load[1], 1)}`).join('; ')}\n`,
  );
  output[scenario.key] = {
    runs: Object.fromEntries(runs.map((r) => [r.label, r.result ?? { error: r.error }])),
    process: Object.fromEntries(runs.map((r) => [r.label, { wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, load: r.load }])),
    wallSeconds: wall,
    cpuSeconds: cpu,
    ...(report?.ratio ? { ratio: report.ratio } : {}),
    ...(report ? { targets: SMOKE ? report.targets.map((t) => ({ ...t, met: null })) : report.targets } : {}),
    ...(failed.length ? { errors: failed } : {}),
  };
}

const totalSeconds = (performance.now() - began) / 1000;
console.log(
  `${machineLine}; load average ${loadavg()
    .map((l) => n(l, 2))
    .join(' ')} at the end; the suite took ${n(totalSeconds / 60, 1)} min`,
);
// Every figure of this run, for comparison between runs (not committed).
const resultsFile = process.env.BENCH_RESULTS ?? 'bench-results.json';
writeFileSync(resultsFile, `${JSON.stringify({ machine, totalSeconds, scenarios: output, failures }, null, 2)}\n`);
console.log(`results written to ${resultsFile}`);
if (failures.length) {
  console.log(`\n${failures.length} scenario run(s) failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
