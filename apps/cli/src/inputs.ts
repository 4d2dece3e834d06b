import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { zodIssuesToErrors } from '#appsets';
import {
  AggregateSpecError,
  type ClusterInfo,
  clusterInfoSchema,
  fieldPath,
  type PullRequestInfo,
  pullRequestInfoSchema,
  SpecError,
} from '#contracts';
import { type ClusterSource, type GeneratorSources, type PullRequestSource, parseYamlStream, yamlErrorReason } from '#generators';
import { LocalGitRepositories } from '#sources';

/** Reads a file the user named, or standard input for `-`; a missing file is a clear error. */
export function readInput(file: string, flag: string): string {
  try {
    return readFileSync(file === '-' ? 0 : resolve(file), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SpecError('', `${flag} ${file}: ${reason}`);
  }
}

/** A YAML file holding one list (or a stream of single items) validated item by item. */
function readList<T>(file: string, flag: string, schema: z.ZodType<T>): T[] {
  const text = readInput(file, flag);
  let documents: unknown[];
  try {
    documents = parseYamlStream(text);
  } catch (error) {
    throw new SpecError('', `${flag} ${file}: not valid YAML: ${yamlErrorReason(error)}`);
  }
  const items = documents.length === 1 && Array.isArray(documents[0]) ? documents[0] : documents;
  const result = z.array(schema).safeParse(items, { reportInput: true });
  if (result.success) return result.data;
  const errors = zodIssuesToErrors(result.error).map(
    (e) => new SpecError(`${file}${e.path.startsWith('[') ? '' : ':'}${e.path}`, e.reason),
  );
  throw errors.length === 1 ? (errors[0] as SpecError) : new AggregateSpecError(errors);
}

export function readClusters(file: string): ClusterInfo[] {
  const clusters = readList(file, '--clusters', clusterInfoSchema);
  const seen = new Set<string>();
  clusters.forEach((cluster, i) => {
    if (seen.has(cluster.name)) throw new SpecError(fieldPath(`${file}`, i), `duplicate cluster name "${cluster.name}"`);
    seen.add(cluster.name);
  });
  return clusters;
}

export function readPullRequests(file: string): PullRequestInfo[] {
  return readList(file, '--pull-requests', pullRequestInfoSchema);
}

/** Parses `--git-repo URL=PATH` flags into a map from repoURL to a local repository path. */
export function parseGitRepoFlags(flags: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const flag of flags) {
    const split = flag.lastIndexOf('=');
    if (split <= 0 || split === flag.length - 1) throw new SpecError('', `--git-repo ${flag}: expected URL=PATH`);
    out.set(flag.slice(0, split), resolve(flag.slice(split + 1)));
  }
  return out;
}

export interface SourceFlags {
  clusters?: string;
  gitRepo: string[];
  pullRequests?: string;
}

/** The generator sources `render` and `plan` read: local files and repositories only. */
export function localSources(flags: SourceFlags): GeneratorSources {
  const clusters = flags.clusters === undefined ? [] : readClusters(flags.clusters);
  const pulls = flags.pullRequests === undefined ? undefined : readPullRequests(flags.pullRequests);
  const clusterSource: ClusterSource = { listClusters: async () => clusters };
  const sources: GeneratorSources = { clusters: clusterSource, git: new LocalGitRepositories(parseGitRepoFlags(flags.gitRepo)) };
  if (pulls !== undefined) {
    const pullRequestSource: PullRequestSource = { listPullRequests: async () => pulls };
    sources.pullRequests = pullRequestSource;
  }
  return sources;
}
