import { IncrementalRenderer, parseApplicationSets } from '#appsets';
import type { ClusterInfo } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { matrixAppSet, matrixCluster } from './matrix-fleet.js';

/**
 * Incremental render (issue 9, scenario 3): the 10,000-cluster × 50-app matrix of
 * render-matrix.ts held by an IncrementalRenderer; then one cluster relabelled, and 1% of the
 * clusters relabelled. Reports the Applications each change re-rendered (must be exactly the
 * changed clusters' Applications) and its time, against a full render of the same fleet in the
 * same run (the baseline: what re-rendering the set does). Sizes: BENCH_CLUSTERS, BENCH_ELEMENTS.
 * Prints one JSON line.
 */

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 10_000);
const ELEMENTS = Number(process.env.BENCH_ELEMENTS ?? 50);
const ROUNDS = 5;

const APPSET = matrixAppSet(ELEMENTS);
const cluster = (i: number, region: string): ClusterInfo => matrixCluster(i, region);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

const registry = createDefaultRegistry();
const [appSet] = parseApplicationSets(APPSET, registry);
if (!appSet) throw new Error('no ApplicationSet');
const fleet = Array.from({ length: CLUSTERS }, (_, i) => cluster(i, `region-${i % 12}`));
const renderer = new IncrementalRenderer(appSet, {}, registry);

let start = process.hrtime.bigint();
const total = await renderer.renderAll(fleet);
const fullMs = ms(start);

async function relabel(count: number, round: number): Promise<{ ms: number; rendered: number; upserted: number; incremental: boolean }> {
  const changed = Array.from({ length: count }, (_, k) => {
    const i = (k * Math.floor(CLUSTERS / count) + round) % CLUSTERS;
    return cluster(i, `moved-${round}`);
  });
  start = process.hrtime.bigint();
  const result = await renderer.clustersChanged(changed);
  return { ms: ms(start), rendered: result.rendered, upserted: result.upserted.length, incremental: result.incremental };
}

const one: Awaited<ReturnType<typeof relabel>>[] = [];
const percent: Awaited<ReturnType<typeof relabel>>[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  one.push(await relabel(1, round));
  percent.push(await relabel(Math.max(1, Math.floor(CLUSTERS / 100)), round + 100));
}
const affectedOne = ELEMENTS;
const affectedPercent = Math.max(1, Math.floor(CLUSTERS / 100)) * ELEMENTS;
process.stdout.write(
  `${JSON.stringify({
    clusters: CLUSTERS,
    applications: total,
    fullRenderMs: fullMs,
    oneCluster: {
      medianMs: median(one.map((r) => r.ms)),
      rendered: one[0]?.rendered,
      expected: affectedOne,
      exact: one.every((r) => r.rendered === affectedOne && r.upserted === affectedOne && r.incremental),
    },
    onePercent: {
      clusters: Math.max(1, Math.floor(CLUSTERS / 100)),
      medianMs: median(percent.map((r) => r.ms)),
      rendered: percent[0]?.rendered,
      expected: affectedPercent,
      exact: percent.every((r) => r.rendered === affectedPercent && r.incremental),
    },
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
