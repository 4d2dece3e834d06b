import type { ClusterInfo, PullRequestInfo } from '#contracts';

/**
 * The ports through which generators read the outside world. The CLI fills them from
 * local files and repositories, the hub from its database, git cache and SCM providers,
 * and unit tests from memory. Generators never do I/O of their own.
 */

export interface GitTreeEntry {
  /** Path relative to the repository root, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'submodule';
}

export interface GitSource {
  /** Resolves a branch, tag, commit or `HEAD` (also for an empty revision) to a commit SHA. */
  resolveRevision(repoURL: string, revision: string): Promise<string>;
  /** Every entry of the commit's tree, recursively. */
  listTree(repoURL: string, commit: string): Promise<GitTreeEntry[]>;
  /** A file's content at the commit; symlinks are followed only inside the repository. */
  readFile(repoURL: string, commit: string, path: string): Promise<string>;
}

export interface ClusterSource {
  /** The registered clusters (Argo CD: the cluster secrets), without the implicit local cluster. */
  listClusters(): Promise<ClusterInfo[]>;
}

export interface PullRequestSource {
  /**
   * Open pull requests of the repository a generator's provider block names
   * (`github: {owner, repo}`, `gitlab: {...}`, ...), unfiltered.
   */
  listPullRequests(provider: string, settings: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]>;
}

export interface GeneratorSources {
  git?: GitSource;
  clusters?: ClusterSource;
  pullRequests?: PullRequestSource;
}
