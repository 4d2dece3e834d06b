import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs each scenario in a fresh process (so peak RSS is per scenario)
 * and reports it against a baseline measured in the same run. Not a test: it asserts
 * nothing, it prints figures to record in docs/benchmarks.md.
 */

interface Result {
  scenario: string;
  applications: number;
  seconds: number;
  appsPerSecond: number;
  peakRssMiB: number;
}

interface PlanResult {
  scenario: string;
  clusters: number;
  applications: number;
  rendersExecuted: number;
  distinctInputs: number;
  plans: number;
  seconds: number;
  plansPerSecond: number;
  peakRssMiB: number;
  errors: number;
}

function runScenario<T = Result>(script: string, scenario: string, env: Record<string, string> = {}): T {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), scenario], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

const row = (label: string, r: Result): string =>
  `| ${label} | ${r.applications.toLocaleString('en')} | ${r.seconds.toFixed(2)} s | ${Math.round(r.appsPerSecond).toLocaleString('en')} | ${r.peakRssMiB.toFixed(0)} MiB |`;

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
};
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);

const matrix = runScenario('./render-matrix.js', 'matrix');
// The baseline parses every template string again per Application; a tenth of the size keeps it short.
const naive = runScenario('./render-matrix.js', 'naive', { BENCH_CLUSTERS: '1000' });

console.log('## render: clusters × list matrix (10,000 clusters × 50 elements)\n');
console.log('| scenario | Applications | time | Applications/s | peak RSS |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(row('flotilla render (templates compiled once)', matrix));
console.log(row('baseline: template parsed per Application', naive));
console.log(`\nspeed-up over the baseline: ${(matrix.appsPerSecond / naive.appsPerSecond).toFixed(1)}×`);
console.log(
  `targets: ≥ 100,000 Applications/s (${matrix.appsPerSecond >= 100_000 ? 'met' : 'MISSED'}), peak RSS < 1 GiB (${matrix.peakRssMiB < 1024 ? 'met' : 'MISSED'})`,
);

const plans = runScenario<PlanResult>('./plans.js', 'plans');
// The baseline renders every Application; a fiftieth of the fleet keeps it under a minute.
const uncached = runScenario<PlanResult>('./plans.js', 'uncached');
const planRow = (label: string, r: PlanResult): string =>
  `| ${label} | ${r.clusters.toLocaleString('en')} | ${r.applications.toLocaleString('en')} | ${r.rendersExecuted.toLocaleString('en')} | ${r.distinctInputs} | ${r.seconds.toFixed(1)} s | ${r.plansPerSecond.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} MiB | ${r.errors} |`;
console.log('\n## plans: 1,000 clusters × 20 apps (10 Helm, 10 kustomize)\n');
console.log('| scenario | clusters | Applications | renders executed | distinct inputs | time | plans/s | peak RSS | errors |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(planRow('planner (content-addressed render cache)', plans));
console.log(planRow('baseline: one render per Application', uncached));
console.log(
  `\nrenders executed = distinct inputs: ${plans.rendersExecuted === plans.distinctInputs ? 'yes' : 'NO'}; plans/s over the baseline: ${(plans.plansPerSecond / uncached.plansPerSecond).toFixed(0)}×`,
);

interface DeliveryResult {
  agents: number;
  delivered: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  hubRssHeldMiB: number;
  hubPeakRssMiB: number;
  workerPeakRssMiB: number;
  cpuMs: { api: number; worker: number; postgres: number; agents: number };
}
const delivery = runScenario<DeliveryResult>('./delivery.js', 'delivery');
console.log('\n## delivery: 2,000 agents long-polling one hub, one ApplicationSet change\n');
console.log(
  '| agents | delivered | errors | p50 | p99 | max | API RSS (polls held) | API peak RSS | worker peak RSS | CPU ms: API / worker / Postgres / agents |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| ${delivery.agents} | ${delivery.delivered} | ${delivery.errors} | ${delivery.p50Ms} ms | ${delivery.p99Ms} ms | ${delivery.maxMs} ms | ${delivery.hubRssHeldMiB.toFixed(0)} MiB | ${delivery.hubPeakRssMiB.toFixed(0)} MiB | ${delivery.workerPeakRssMiB.toFixed(0)} MiB | ${delivery.cpuMs.api} / ${delivery.cpuMs.worker} / ${delivery.cpuMs.postgres} / ${delivery.cpuMs.agents} |`,
);
console.log(
  `targets: p99 < 2 s (${delivery.p99Ms < 2000 ? 'met' : 'MISSED'}), RSS < 512 MiB (${delivery.hubRssHeldMiB < 512 ? 'met' : 'MISSED'})`,
);

interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}
interface PreviewsResult {
  repositories: number;
  pullRequests: number;
  clusters: number;
  applications: number;
  setupSeconds: number;
  feedbackSeconds: number;
  sequential: LatencyStats;
  burst: LatencyStats;
  scmListings: number;
}
const previews = runScenario<PreviewsResult>('./previews.js', 'previews');
console.log(
  `\n## previews: ${previews.pullRequests} open pull requests in ${previews.repositories} repositories × ${previews.clusters} clusters (${previews.applications.toLocaleString('en')} Applications)\n`,
);
console.log('| webhooks | count | p50 | p95 | p99 | max |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const latencyRow = (label: string, r: LatencyStats): string =>
  `| ${label} | ${r.count} | ${r.p50Ms} ms | ${r.p95Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms |`;
console.log(latencyRow('one push at a time: webhook → plan revision at the agent', previews.sequential));
console.log(latencyRow('a burst sent together', previews.burst));
console.log(
  `\nall previews planned and delivered ${previews.setupSeconds.toFixed(1)} s after the ApplicationSets were applied; every pull request had its status and comment after ${previews.feedbackSeconds.toFixed(1)} s; ${previews.scmListings} pull request listings in all`,
);

interface ApplierResult {
  runs: Array<{ round: number; seconds: number; failed: number; counted: number; clientCpuSeconds: number; serverCpuSeconds: number }>;
  medianSeconds: number;
  objectsPerSecond: number;
  medianClientCpuSeconds: number;
  medianServerCpuSeconds: number;
  errors: number;
}
interface Memory {
  rssMiB: number;
  hwmMiB: number;
}
interface AgentApplyResult {
  objects: number;
  rounds: number;
  concurrency: number;
  agent: ApplierResult;
  kubectl: ApplierResult;
  kubectlNoValidate: ApplierResult;
  ratio: number;
  ratioNoValidate: number;
  agentProcess: {
    bareNodeRssMiB: number;
    idle: Memory;
    afterApply: Memory;
    afterRefresh: Memory;
    plan: { objects: number; applySeconds: number; endToEndSeconds: number; counted: number; outOfSync: number };
  };
}
const agentApply = runScenario<AgentApplyResult>('./agent-apply.js', 'agent-apply');
const applierRow = (label: string, r: ApplierResult): string =>
  `| ${label} | ${agentApply.objects.toLocaleString('en')} | ${r.runs.map((run) => run.seconds.toFixed(1)).join(' / ')} s | ${r.medianSeconds.toFixed(2)} s | ${Math.round(r.objectsPerSecond)} | ${r.medianClientCpuSeconds.toFixed(1)} s | ${r.medianServerCpuSeconds.toFixed(1)} s | ${r.errors} |`;
console.log(`\n## agent apply: ${agentApply.objects.toLocaleString('en')} objects server-side applied to a real API server\n`);
console.log('| applier | objects | runs | median | objects/s | client CPU | API server CPU | errors |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(applierRow(`agent: Syncer.apply (${agentApply.concurrency} in flight)`, agentApply.agent));
console.log(applierRow('baseline: kubectl apply --server-side', agentApply.kubectl));
console.log(applierRow('kubectl apply --server-side --validate=false', agentApply.kubectlNoValidate));
console.log(
  `\nwall time agent/kubectl: ${agentApply.ratio.toFixed(2)}; agent/kubectl --validate=false: ${agentApply.ratioNoValidate.toFixed(2)}`,
);
const memoryRow = (label: string, m: Memory): string => `| ${label} | ${m.rssMiB.toFixed(0)} MiB | ${m.hwmMiB.toFixed(0)} MiB |`;
const { agentProcess } = agentApply;
console.log('\n| agent process | VmRSS | VmHWM |');
console.log('| --- | ---: | ---: |');
console.log(memoryRow('idle: registered, long-polling an empty plan', agentProcess.idle));
console.log(memoryRow(`10 s after applying a ${agentProcess.plan.objects.toLocaleString('en')}-object plan`, agentProcess.afterApply));
console.log(memoryRow('after its first refresh of those objects', agentProcess.afterRefresh));
console.log(
  `\nthe agent applied the plan in ${agentProcess.plan.applySeconds.toFixed(1)} s (${agentProcess.plan.endToEndSeconds.toFixed(1)} s from the ApplicationSet PUT), ${agentProcess.plan.counted} objects found, ${agentProcess.plan.outOfSync} Applications OutOfSync; a bare Node process: ${agentProcess.bareNodeRssMiB.toFixed(0)} MiB`,
);
console.log(
  `targets: wall time ≤ 0.5 × kubectl (${agentApply.ratio <= 0.5 ? 'met' : 'MISSED'}), idle RSS < 80 MiB (${agentProcess.idle.rssMiB < 80 ? 'met' : 'MISSED'}), errors 0 (${agentApply.agent.errors + agentApply.kubectl.errors + agentApply.kubectlNoValidate.errors === 0 ? 'met' : 'MISSED'})`,
);

// Every figure of this run, for comparison between runs (not committed).
const resultsFile = process.env.BENCH_RESULTS ?? 'bench-results.json';
writeFileSync(
  resultsFile,
  `${JSON.stringify({ machine, render: { matrix, naive }, plans: { plans, uncached }, delivery, previews, agentApply }, null, 2)}\n`,
);
console.log(`\nresults written to ${resultsFile}`);
