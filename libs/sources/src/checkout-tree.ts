import { mkdir, mkdtemp, realpath, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceError } from '#contracts';
import { runProcess } from './process.js';

export interface TreeExtractOptions {
  timeoutMs: number;
  maxOutputBytes: number;
}

/**
 * Writes the tree of `commit` into the empty directory `dest` with git plumbing
 * (`read-tree -u` into a private index file: one git process). Unlike `git archive`
 * this ignores `export-ignore`/`export-subst`, so the files are those a clone would have;
 * unlike `git checkout` it never touches the repository's own index, HEAD or work tree.
 * No shell, no hooks, no user or system configuration.
 */
export async function extractTree(gitDir: string, commit: string, dest: string, index: string, options: TreeExtractOptions): Promise<void> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_INDEX_FILE: index,
    LC_ALL: 'C',
  };
  const git = [
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'protocol.file.allow=never',
    '-c',
    'core.autocrlf=false',
    '-c',
    'core.symlinks=true',
    `--git-dir=${gitDir}`,
    `--work-tree=${dest}`,
  ];
  const run = (label: string, args: string[]): Promise<string> =>
    runProcess('git', [...git, ...args], { label, cwd: dest, env, timeoutMs: options.timeoutMs, maxOutputBytes: options.maxOutputBytes });
  // --reset -u from an empty index: every file of the tree is new, so every file is written.
  await run('git read-tree', ['read-tree', '--reset', '-u', '--end-of-options', commit]);
}

/**
 * A content-addressed directory of trees: `<root>/<sha>` appears atomically (extracted
 * next to it, then renamed), so a directory that exists is complete, also when another
 * process extracted it. Concurrent requests for one key share one extraction.
 */
export class TreeCache {
  private root: Promise<string> | undefined;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly dir: string | undefined) {}

  get(key: string, sha: string, extract: (dest: string, scratch: string) => Promise<void>): Promise<string> {
    let entry = this.pending.get(key);
    if (!entry) {
      entry = this.materialise(sha, extract);
      this.pending.set(key, entry);
      // A failure is not cached: the next call tries again.
      entry.catch(() => this.pending.delete(key));
    }
    return entry;
  }

  private async materialise(sha: string, extract: (dest: string, scratch: string) => Promise<void>): Promise<string> {
    const root = await this.rootDir();
    const final = join(root, sha);
    if (await isDirectory(final)) return final;
    const scratch = await mkdtemp(join(root, `.tmp-${sha.slice(0, 12)}-`));
    try {
      const tree = join(scratch, 'tree');
      await mkdir(tree);
      await extract(tree, scratch);
      try {
        await rename(tree, final);
      } catch (error) {
        // Another process won the race: its tree is the same content.
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isDirectory(final))) throw error;
      }
      return final;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private rootDir(): Promise<string> {
    this.root ??= (async () => {
      const dir = this.dir ?? (await mkdtemp(join(tmpdir(), 'flotilla-checkouts-')));
      await mkdir(dir, { recursive: true });
      return realpath(dir);
    })().catch((error: unknown) => {
      this.root = undefined;
      throw new SourceError(`cannot create the checkout cache ${this.dir ?? ''}`.trim(), { cause: error });
    });
    return this.root;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
