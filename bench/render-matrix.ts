import { parseApplicationSets, renderApplicationSet } from '#appsets';
import type { ClusterInfo } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { fastTemplateEngine } from '#templating';
import { emit, sized } from './common.js';
import { matrixAppSet, matrixCluster } from './matrix-fleet.js';

/**
 * One benchmark scenario, run in its own process so its peak RSS is its own:
 *   matrix   — `flotilla render` of a clusters × list matrix (the product path)
 *   naive    — the same Applications the way Argo CD's fasttemplate path makes them: template
 *              to JSON text, compiled and substituted per Application, parsed back (the baseline)
 *   floor    — the same Applications as hand-written object literals (no renderer at all)
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

/**
 * The baseline issue 9 names, Argo CD's fasttemplate path per Application: the template
 * serialised to JSON text, a template compiled over that text, each value JSON-escaped as it
 * is substituted, and the result parsed back into an object. Same params, same template.
 */
async function naive(): Promise<number> {
  const [appSet] = parseApplicationSets(APPSET, createDefaultRegistry());
  const template = appSet?.spec.template;
  const elements = Array.from({ length: ELEMENTS }, (_, i) => ({ app: `app-${i}`, chart: `chart-${i % 7}`, team: `team-${i % 5}` }));
  const out: unknown[] = [];
  for (const cluster of clusters()) {
    for (const element of elements) {
      const params: Record<string, string | undefined> = {
        name: cluster.name,
        nameNormalized: cluster.name,
        server: cluster.server,
        'metadata.labels.region': cluster.labels.region,
        ...element,
      };
      const escaped: Record<string, string> = {};
      for (const [key, value] of Object.entries(params)) if (value !== undefined) escaped[key] = JSON.stringify(value).slice(1, -1);
      const render = fastTemplateEngine.compile(JSON.stringify(template), 'spec.template');
      out.push(JSON.parse(render ? render(escaped) : JSON.stringify(template)));
    }
  }
  return out.length;
}

/**
 * A floor, not a renderer: the same 500,000 Applications written out as object literals by
 * hand, with no template, generator, validation or name check. What it costs is the least any
 * renderer that hands out real Application objects can cost here, so naive ÷ floor bounds the
 * ratio any renderer can reach against the baseline.
 */
async function floor(): Promise<number> {
  const elements = Array.from({ length: ELEMENTS }, (_, i) => ({ app: `app-${i}`, chart: `chart-${i % 7}`, team: `team-${i % 5}` }));
  const out: unknown[] = [];
  for (const cluster of clusters()) {
    for (const element of elements) {
      out.push({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: `${element.app}-${cluster.name}`,
          namespace: 'argocd',
          labels: { team: element.team, region: cluster.labels.region },
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: element.team,
          source: { repoURL: 'https://git.example.com/platform/charts.git', targetRevision: 'main', path: `charts/${element.chart}` },
          destination: { server: cluster.server, namespace: element.app },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      });
    }
  }
  return out.length;
}

const scenarios: Record<string, () => Promise<number>> = { matrix, naive, floor };
const scenario = process.argv[2] ?? 'matrix';
const run = scenarios[scenario];
if (!run) throw new Error(`unknown scenario ${scenario}`);
const started = process.hrtime.bigint();
const applications = await run();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
emit({ scenario, applications, seconds, appsPerSecond: applications / seconds, peakRssMiB });
