import { parseApplicationSets, renderApplicationSet } from '#appsets';
import type { ClusterInfo } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { compileTree, fastTemplateEngine } from '#templating';
import { emit, sized } from './common.js';
import { matrixAppSet, matrixCluster } from './matrix-fleet.js';

/**
 * One benchmark scenario, run in its own process so its peak RSS is its own:
 *   matrix   — `flotilla render` of a clusters × list matrix (the product path)
 *   naive    — the same Applications with each template string parsed per Application,
 *              as a renderer without compile-once would do (the baseline)
 * Prints one JSON line: {scenario, applications, seconds, appsPerSecond, peakRssMiB}.
 */

const CLUSTERS = sized('BENCH_CLUSTERS', 10_000, 100);
const ELEMENTS = sized('BENCH_ELEMENTS', 50, 50);

const APPSET = matrixAppSet(ELEMENTS);

function clusters(): ClusterInfo[] {
  return Array.from({ length: CLUSTERS }, (_, i) => matrixCluster(i));
}

async function matrix(): Promise<number> {
  const registry = createDefaultRegistry();
  const [appSet] = parseApplicationSets(APPSET, registry);
  const list = clusters();
  const result = await renderApplicationSet(appSet as NonNullable<typeof appSet>, {
    registry,
    sources: { clusters: { listClusters: async () => list } },
  });
  return result.applications.length;
}

/** Same params, same template, but every string is compiled again for every Application. */
async function naive(): Promise<number> {
  const [appSet] = parseApplicationSets(APPSET, createDefaultRegistry());
  const template = appSet?.spec.template;
  const elements = Array.from({ length: ELEMENTS }, (_, i) => ({ app: `app-${i}`, chart: `chart-${i % 7}`, team: `team-${i % 5}` }));
  const out: unknown[] = [];
  for (const cluster of clusters()) {
    for (const element of elements) {
      const params = {
        name: cluster.name,
        nameNormalized: cluster.name,
        server: cluster.server,
        'metadata.labels.region': cluster.labels.region,
        ...element,
      };
      out.push(compileTree(structuredClone(template), fastTemplateEngine).render(params));
    }
  }
  return out.length;
}

const scenarios: Record<string, () => Promise<number>> = { matrix, naive };
const scenario = process.argv[2] ?? 'matrix';
const run = scenarios[scenario];
if (!run) throw new Error(`unknown scenario ${scenario}`);
const started = process.hrtime.bigint();
const applications = await run();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
emit({ scenario, applications, seconds, appsPerSecond: applications / seconds, peakRssMiB });
