import { cp, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { SourceError } from '#contracts';
import { isInside } from '../paths.js';
import type { HelmRunner } from './helm-charts.js';

/** helm's message when Chart.yaml (or Helm 2's requirements.yaml) lists a chart that charts/ lacks. */
export function isMissingDependency(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /found in (Chart|requirements)\.yaml, but missing in charts\/ directory/.test(message);
}

export interface DependencyBuild {
  /** The checkout holding the chart; `file://` dependencies must stay inside it. */
  root: string;
  chartDir: string;
  /** A private directory: the copy and helm's repository list go there. */
  work: string;
  helm: HelmRunner;
}

/**
 * What Argo CD does when `helm template` reports missing dependencies: add the
 * dependencies' repositories and run `helm dependency build`. Argo CD does it in its own
 * checkout; the shared checkout here stays untouched, so the chart (and the `file://`
 * charts it depends on, at the same relative places) is copied into `work` first.
 * Returns the chart directory inside the copy.
 */
export async function buildDependencies(build: DependencyBuild): Promise<string> {
  const { root, chartDir, work, helm } = build;
  const mirror = join(work, 'mirror');
  const repositories = new Set<string>();
  const copied = new Set<string>();
  const copy = async (dir: string): Promise<void> => {
    if (copied.has(dir)) return;
    copied.add(dir);
    // Links were checked to stay inside the checkout; the copy holds their targets.
    await cp(dir, join(mirror, relative(root, dir)), { recursive: true, dereference: true });
    for (const repository of await dependencyRepositories(dir)) {
      if (repository.startsWith('file://')) {
        const target = resolve(dir, repository.slice('file://'.length));
        if (!isInside(root, target))
          throw new SourceError(`dependency ${repository} of ${relative(root, dir) || '.'} is outside the repository`);
        await copy(target);
      } else if (/^https?:\/\//i.test(repository)) repositories.add(repository);
    }
  };
  await copy(chartDir);
  let i = 0;
  for (const url of repositories) await helm(['repo', 'add', '--', `dependency-${i++}`, url], 'helm repo add');
  const chart = join(mirror, relative(root, chartDir));
  await helm(['dependency', 'build', '--', chart], 'helm dependency build');
  return chart;
}

async function dependencyRepositories(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of ['Chart.yaml', 'requirements.yaml']) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    let doc: { dependencies?: unknown } | null;
    try {
      doc = parse(text) as { dependencies?: unknown } | null;
    } catch (error) {
      throw new SourceError(`${file} of a chart being built is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
    const dependencies = Array.isArray(doc?.dependencies) ? (doc.dependencies as Array<{ repository?: unknown } | null>) : [];
    for (const dependency of dependencies) {
      if (typeof dependency?.repository === 'string' && dependency.repository !== '') out.push(dependency.repository);
    }
  }
  return out;
}
