import { join } from 'node:path';
import { SourceError } from '#contracts';
import { buildEnv } from '../envsubst.js';
import { parseToolOutput } from '../manifests.js';
import { resolveAppDir, SymlinkGuard } from '../paths.js';
import { runProcess } from '../process.js';
import { withTempDir } from '../temp.js';
import { networkAllowed, type SourceToolsConfig } from '../tools.js';
import { Fields } from './fields.js';
import { ChartCache, type HelmRunner } from './helm-charts.js';
import { buildDependencies, isMissingDependency } from './helm-deps.js';
import { valueArgs } from './helm-values.js';
import { explainOffline, helmEnv, type ToolDirs, toolDirs } from './tool-env.js';
import type { KubeObject, RenderSourceInput, SourceRenderer } from './types.js';

export interface HelmRendererOptions {
  /** Shared by the renderers of one service, so each checkout is walked once. */
  guard?: SymlinkGuard;
}

interface ChartLocation {
  chartDir: string;
  /** What relative value files may not leave: the checkout, or the pulled chart. */
  root: string;
  fromGit: boolean;
}

/**
 * `helm template` as Argo CD runs it: release name (default the Application's name),
 * namespace, kube version and API versions, value files, inline values, parameters,
 * `--include-crds` unless `skipCrds`. Charts come from a git path or are pulled from a
 * Helm repository or OCI registry. helm runs with private homes, so no user plugins,
 * repositories or credentials take part.
 */
export class HelmRenderer implements SourceRenderer {
  readonly kind = 'helm';
  private readonly dirs: ToolDirs;
  private readonly guard: SymlinkGuard;
  private readonly charts: ChartCache;

  constructor(
    private readonly config: SourceToolsConfig,
    options: HelmRendererOptions = {},
  ) {
    this.dirs = toolDirs(config);
    this.guard = options.guard ?? new SymlinkGuard();
    // Pulling the chart a source names is the source itself: always allowed.
    this.charts = new ChartCache(this.dirs.charts, (args, label) => this.helm(args, label, [], undefined, true));
  }

  async render(input: RenderSourceInput): Promise<KubeObject[]> {
    const options = new Fields(input.source.helm, 'helm');
    const location = await this.locate(input);
    return withTempDir(this.dirs.tmp, 'helm-', async (work) => {
      const values = await valueArgs(options, { ...location, refs: input.refs, env: buildEnv(input), work });
      const flags = [...templateFlags(input, options), ...values];
      const releaseName = options.string('releaseName') || input.appName;
      const template = (chartDir: string): Promise<string> =>
        this.helm(['template', ...flags, '--', releaseName, chartDir], 'helm template', [
          [join(work, 'values.yaml'), '<helm.values>'],
          [location.chartDir, '<chart>'],
          [work, '<work>'],
        ]);
      let output: string;
      try {
        output = await template(location.chartDir);
      } catch (error) {
        if (!location.fromGit || !isMissingDependency(error)) throw error;
        const network = networkAllowed(this.config, input.source.repoURL);
        const runInWork: HelmRunner = (args, label) =>
          this.helm(args, label, [], work, network).catch((e: unknown) => Promise.reject(explainOffline(e, 'helm')));
        output = await template(await buildDependencies({ root: location.root, chartDir: location.chartDir, work, helm: runInWork }));
      }
      return parseToolOutput(output, 'helm template output');
    });
  }

  private async locate(input: RenderSourceInput): Promise<ChartLocation> {
    const chart = input.source.chart;
    if (chart !== undefined && chart !== '') {
      const chartDir = await this.charts.get(input.source.repoURL, chart, input.source.targetRevision);
      return { chartDir, root: chartDir, fromGit: false };
    }
    if (input.checkout === undefined) throw new SourceError('a Helm source needs either source.chart or a git checkout');
    const { root, dir } = await resolveAppDir(input.checkout, input.source.path);
    await this.guard.verify(root);
    return { chartDir: dir, root, fromGit: true };
  }

  /**
   * Runs helm. With `work`, helm's repository list and index cache are private to the
   * call (`helm repo add` for a dependency build must not change what others see).
   */
  private async helm(
    args: string[],
    label: string,
    redact: Array<[string, string]> = [],
    work?: string,
    network?: boolean,
  ): Promise<string> {
    const env = await helmEnv(this.config, this.dirs, {
      ...(work ? { config: join(work, 'helm-config'), cache: join(work, 'helm-cache') } : {}),
      ...(network === undefined ? {} : { network }),
    });
    const redactions: Array<[string, string]> = [...redact];
    if (work) redactions.push([work, '<work>']);
    redactions.push([this.dirs.tmp, '<tmp>'], [this.config.cacheDir, '<cache>']);
    return runProcess(this.config.helm, args, {
      label,
      env,
      cwd: this.dirs.home,
      timeoutMs: this.config.timeoutMs,
      maxOutputBytes: this.config.maxOutputBytes,
      redact: redactions,
    });
  }
}

function templateFlags(input: RenderSourceInput, options: Fields): string[] {
  const flags: string[] = [];
  const namespace = options.string('namespace') || input.namespace;
  if (namespace) flags.push('--namespace', namespace);
  const kubeVersion = options.string('kubeVersion') || input.kubeVersion;
  if (kubeVersion) flags.push('--kube-version', kubeVersion);
  const apiVersions = options.has('apiVersions') ? options.strings('apiVersions') : (input.apiVersions ?? []);
  for (const apiVersion of apiVersions) flags.push('--api-versions', apiVersion);
  if (!options.boolean('skipCrds')) flags.push('--include-crds');
  if (options.boolean('skipSchemaValidation')) flags.push('--skip-schema-validation');
  if (options.boolean('skipTests')) flags.push('--skip-tests');
  return flags;
}
