import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SourceError } from '#contracts';
import { TreeCache } from '../checkout-tree.js';

/** Runs helm with the renderer's isolated environment; resolves to stdout. */
export type HelmRunner = (args: string[], label: string) => Promise<string>;

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * Charts from Helm repositories (`repoURL` http(s), `chart`, `targetRevision` = version)
 * and OCI registries (`oci://` repoURL), pulled once per (repository, chart, version)
 * into `<dir>/<key>/<chart>` and kept: a published chart version does not change.
 * A version range is first resolved to the version it selects today.
 */
export class ChartCache {
  private readonly trees: TreeCache;

  constructor(
    dir: string,
    private readonly helm: HelmRunner,
  ) {
    this.trees = new TreeCache(dir);
  }

  async get(repoURL: string, chart: string, targetRevision: string | undefined): Promise<string> {
    const ref = chartRef(repoURL, chart);
    const version = EXACT_VERSION.test(targetRevision ?? '') ? (targetRevision as string) : await this.resolveVersion(ref, targetRevision);
    const key = createHash('sha256').update(`${repoURL}\0${chart}\0${version}`).digest('hex').slice(0, 40);
    const dir = await this.trees.get(key, key, (dest) => this.pull(ref, version, dest));
    return join(dir, await onlyDirectory(dir, chart));
  }

  /** Downloads and unpacks one chart version into `dest`; one call per chart actually pulled. */
  protected async pull(ref: ChartRef, version: string, dest: string): Promise<void> {
    await this.helm(['pull', ...ref.flags, '--version', version, '--untar', '--destination', dest, '--', ref.chart], 'helm pull');
  }

  private async resolveVersion(ref: ChartRef, constraint: string | undefined): Promise<string> {
    const args = ['show', 'chart', ...ref.flags];
    if (constraint !== undefined && constraint !== '' && constraint !== '*') args.push('--version', constraint);
    args.push('--', ref.chart);
    const chartYaml = parse(await this.helm(args, 'helm show chart')) as { version?: unknown } | null;
    if (typeof chartYaml?.version !== 'string') throw new SourceError(`helm show chart: no version for ${ref.name}`);
    return chartYaml.version;
  }
}

/** How helm names the chart: `--repo URL` + `chart`, or `oci://registry/path/chart`. */
export interface ChartRef {
  name: string;
  flags: string[];
  chart: string;
}

function chartRef(repoURL: string, chart: string): ChartRef {
  if (chart.trim() === '' || chart.startsWith('-') || chart.includes('..'))
    throw new SourceError(`source.chart ${JSON.stringify(chart)} is not a chart name`);
  if (/^oci:\/\//i.test(repoURL)) return { name: chart, flags: [], chart: `${repoURL.replace(/\/+$/, '')}/${chart}` };
  if (/^https?:\/\//i.test(repoURL)) return { name: chart, flags: ['--repo', repoURL], chart };
  throw new SourceError(`source.repoURL ${JSON.stringify(repoURL)}: a Helm chart source needs an http(s) or oci:// repository`);
}

async function onlyDirectory(dir: string, chart: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
  if (entries.length !== 1) throw new SourceError(`the pulled chart ${chart} does not unpack into one directory`);
  return (entries[0] as { name: string }).name;
}
