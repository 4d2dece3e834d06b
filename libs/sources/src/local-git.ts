import { join, posix } from 'node:path';
import { SourceError } from '#contracts';
import type { GitSource, GitTreeEntry } from '#generators';
import { extractTree, TreeCache } from './checkout-tree.js';
import { type GitCommandOptions, runGit } from './git-command.js';
import type { GitCheckouts } from './renderers/types.js';

const TREE_TYPES: Record<string, GitTreeEntry['type']> = {
  '040000': 'directory',
  '120000': 'symlink',
  '160000': 'submodule',
};
const MAX_SYMLINK_HOPS = 40;
const COMMIT_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const CHECKOUT_TIMEOUT_MS = 120_000;

export interface LocalGitOptions extends GitCommandOptions {
  /** Where checkouts are kept, one `<sha>` directory each; default: a new temporary directory. */
  cacheDir?: string;
}

/**
 * A GitSource over repositories already on disk, each standing in for a repoURL
 * (`flotilla render --git-repo URL=PATH`). Everything is read from git objects at one
 * commit, never from the work tree, so paths cannot leave the repository.
 * As GitCheckouts it extracts a commit's tree into `<cacheDir>/<sha>` for the renderers.
 */
export class LocalGitRepositories implements GitSource, GitCheckouts {
  private readonly trees = new Map<string, Promise<Map<string, GitTreeEntry['type']>>>();
  private readonly checkouts: TreeCache;
  private readonly gitDirs = new Map<string, Promise<string>>();

  constructor(
    private readonly repositories: ReadonlyMap<string, string>,
    private readonly options: LocalGitOptions = {},
  ) {
    this.checkouts = new TreeCache(options.cacheDir);
  }

  checkout(repoURL: string, commit: string): Promise<string> {
    if (!COMMIT_SHA.test(commit)) return Promise.reject(new SourceError(`${JSON.stringify(commit)} is not a commit SHA`));
    let repository: string;
    try {
      repository = this.repositoryFor(repoURL);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.checkouts.get(`${repoURL}\0${commit}`, commit, async (dest, scratch) => {
      try {
        await this.extractTree(repository, commit, dest, join(scratch, 'index'));
      } catch (error) {
        throw new SourceError(`cannot check out ${commit.slice(0, 12)} of ${repoURL}: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  /** Writes the tree of `commit` into `dest`; one call per checkout that had to be extracted. */
  protected async extractTree(repository: string, commit: string, dest: string, index: string): Promise<void> {
    await extractTree(await this.gitDir(repository), commit, dest, index, {
      timeoutMs: this.options.timeoutMs ?? CHECKOUT_TIMEOUT_MS,
      maxOutputBytes: this.options.maxOutputBytes ?? 1024 * 1024,
    });
  }

  /** A repository's git directory: asked of git once per repository (a git process costs 10–50 ms here). */
  private gitDir(repository: string): Promise<string> {
    let gitDir = this.gitDirs.get(repository);
    if (!gitDir) {
      gitDir = runGit(repository, ['rev-parse', '--absolute-git-dir'], this.options).then((out) => out.toString().trim());
      gitDir.catch(() => this.gitDirs.delete(repository));
      this.gitDirs.set(repository, gitDir);
    }
    return gitDir;
  }

  async resolveRevision(repoURL: string, revision: string): Promise<string> {
    const repository = this.repositoryFor(repoURL);
    const rev = revision.trim() === '' ? 'HEAD' : revision.trim();
    if (rev.startsWith('-')) throw new SourceError(`revision ${JSON.stringify(revision)} is not a branch, tag or commit`);
    try {
      const out = await runGit(repository, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], this.options);
      return out.toString().trim();
    } catch (error) {
      throw new SourceError(`revision ${JSON.stringify(revision)} not found in ${repoURL}`, { cause: error });
    }
  }

  async listTree(repoURL: string, commit: string): Promise<GitTreeEntry[]> {
    const tree = await this.tree(repoURL, commit);
    return [...tree].map(([path, type]) => ({ path, type }));
  }

  async readFile(repoURL: string, commit: string, path: string): Promise<string> {
    const tree = await this.tree(repoURL, commit);
    let current = path;
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
      const type = tree.get(current);
      if (type === undefined) throw new SourceError(`${path}: no such file at ${commit.slice(0, 12)}`);
      if (type !== 'file' && type !== 'symlink') throw new SourceError(`${path}: not a file`);
      const content = await this.blob(repoURL, commit, current);
      if (type === 'file') return content;
      current = this.followLink(path, current, content);
    }
    throw new SourceError(`${path}: too many levels of symbolic links`);
  }

  private followLink(requested: string, link: string, target: string): string {
    const resolved = posix.normalize(posix.join(posix.dirname(link), target));
    if (posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
      throw new SourceError(`${requested}: symbolic link leads outside the repository`);
    }
    return resolved;
  }

  private repositoryFor(repoURL: string): string {
    const repository = this.repositories.get(repoURL) ?? this.repositories.get(repoURL.replace(/\/$/, ''));
    if (repository === undefined) throw new SourceError(`no local repository given for ${repoURL} (pass --git-repo ${repoURL}=PATH)`);
    return repository;
  }

  private tree(repoURL: string, commit: string): Promise<Map<string, GitTreeEntry['type']>> {
    if (!COMMIT_SHA.test(commit)) return Promise.reject(new SourceError(`${JSON.stringify(commit)} is not a commit SHA`));
    const key = `${repoURL}\0${commit}`;
    let tree = this.trees.get(key);
    if (!tree) {
      tree = this.readTree(repoURL, commit);
      this.trees.set(key, tree);
    }
    return tree;
  }

  private async readTree(repoURL: string, commit: string): Promise<Map<string, GitTreeEntry['type']>> {
    const out = await runGit(this.repositoryFor(repoURL), ['ls-tree', '-r', '-t', '-z', '--full-tree', commit], this.options);
    const tree = new Map<string, GitTreeEntry['type']>();
    for (const record of out.toString('utf8').split('\0')) {
      if (record === '') continue;
      const tab = record.indexOf('\t');
      const mode = record.slice(0, record.indexOf(' '));
      tree.set(record.slice(tab + 1), TREE_TYPES[mode] ?? 'file');
    }
    return tree;
  }

  private async blob(repoURL: string, commit: string, path: string): Promise<string> {
    const out = await runGit(this.repositoryFor(repoURL), ['cat-file', 'blob', `${commit}:${path}`], this.options);
    return out.toString('utf8');
  }
}
