import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseApplicationSets, renderApplicationSet } from '#appsets';
import type { ClusterInfo } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { type PlanInput, Planner } from '#plans';
import { createSourceRenderService, DEFAULT_MAX_OUTPUT_BYTES, LocalGitRepositories, type SourceRenderService } from '#sources';
import { testBinaries } from '../libs/sources/src/test-support/tools.js';
import { emit, sized } from './common.js';

/**
 * Plans for a fleet from one Helm chart and one kustomize overlay:
 *   plans    — BENCH_CLUSTERS clusters (default 1,000) × 20 apps through the planner's content-addressed cache
 *   uncached — the same on a fiftieth of the clusters, rendering every Application (the baseline)
 * Prints one JSON line with applications, renders executed, distinct inputs, plans/s and peak RSS.
 */

const CLUSTERS = sized('BENCH_CLUSTERS', 1_000, 20);
const REPO_URL = 'https://git.example.com/platform/fleet.git';

const FILES: Record<string, string> = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
  'charts/web/values.yaml': 'replicas: 2\n',
  'charts/web/templates/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: {{ .Release.Name }}}}\n  template:\n    metadata: {labels: {app: {{ .Release.Name }}}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
  'charts/web/templates/service.yaml':
    'apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec: {selector: {app: {{ .Release.Name }}}, ports: [{port: 80}]}\n',
  'kustomize/base/kustomization.yaml': 'resources: [configmap.yaml]\n',
  'kustomize/base/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue}\n',
  'kustomize/prod/kustomization.yaml': 'resources: [../base]\ncommonLabels: {tier: prod}\n',
};

const list = (prefix: string, path: string): string =>
  Array.from({ length: 10 }, (_, i) => `          - {app: ${prefix}-${i}, path: ${path}}`).join('\n');

// Release names and name prefixes come from the app, not the cluster: each app is one
// distinct input fleet-wide, so 20 renders should serve every Application.
const matrix = (elements: string, tool: string): string => `
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {fleet: bench}}}
      - list:
          elements:
${elements}
      template:
        metadata: {}
        spec:
          source: {repoURL: ${REPO_URL}, targetRevision: main, path: '{{path}}', ${tool}}`;

const APPSET = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators:${matrix(list('web', 'charts/web'), "helm: {releaseName: '{{app}}'}")}${matrix(list('conf', 'kustomize/prod'), "kustomize: {namePrefix: '{{app}}-'}")}
  template:
    metadata: {name: '{{app}}-{{name}}'}
    spec:
      project: default
      destination: {server: '{{server}}', namespace: '{{app}}'}
`;

function createRepository(dir: string): string {
  const repo = join(dir, 'repo');
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  const git = (...args: string[]): void => {
    execFileSync('git', args, {
      cwd: repo,
      env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' },
    });
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'fleet');
  return repo;
}

/** Counts the renders the planner actually runs. */
function countingRenderer(inner: SourceRenderService, counter: { renders: number }): SourceRenderService {
  return {
    detectKind: (input) => inner.detectKind(input),
    render: (input) => {
      counter.renders++;
      return inner.render(input);
    },
  };
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'plans';
  const clusterCount = scenario === 'uncached' ? Math.max(1, Math.round(CLUSTERS / 50)) : CLUSTERS;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-plans-'));
  try {
    const repo = createRepository(dir);
    const tools = await testBinaries();
    const git = new LocalGitRepositories(new Map([[REPO_URL, repo]]), { cacheDir: join(dir, 'checkouts') });
    const counter = { renders: 0 };
    const renderer = countingRenderer(
      createSourceRenderService({ ...tools, timeoutMs: 60_000, maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES, cacheDir: join(dir, 'render') }),
      counter,
    );
    const clusters: ClusterInfo[] = Array.from({ length: clusterCount }, (_, i) => ({
      name: `c${i}`,
      server: `https://c${i}.fleet.example.com`,
      labels: { fleet: 'bench' },
      annotations: {},
    }));
    const registry = createDefaultRegistry();
    const [appSet] = parseApplicationSets(APPSET, registry);
    const started = process.hrtime.bigint();
    const { applications } = await renderApplicationSet(appSet as NonNullable<typeof appSet>, {
      registry,
      sources: { clusters: { listClusters: async () => clusters }, git },
    });
    const inputs: PlanInput[] = applications.map((application) => ({ application, applicationSet: 'fleet' }));
    let plans: number;
    let errors = 0;
    if (scenario === 'uncached') {
      // One planner per Application: nothing is shared, every Application renders.
      plans = 0;
      for (const cluster of clusters) {
        const mine = inputs.filter((i) => (i.application.spec.destination as { server: string }).server === cluster.server);
        for (const input of mine) await new Planner({ git, checkouts: git, renderer }, { cacheEntries: 1 }).plan([input], [cluster]);
        plans++;
      }
    } else {
      const result = await new Planner({ git, checkouts: git, renderer }, { concurrency: 2 }).plan(inputs, clusters);
      plans = result.length;
      const failed = result.flatMap((p) => p.applications.filter((a) => a.error));
      errors = failed.length;
      if (failed[0]) process.stderr.write(`first error: ${failed[0].name}: ${failed[0].error}\n`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    emit({
      scenario,
      clusters: clusterCount,
      applications: inputs.length,
      rendersExecuted: counter.renders,
      distinctInputs: scenario === 'uncached' ? inputs.length : 20,
      plans,
      seconds,
      plansPerSecond: plans / seconds,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      errors,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
