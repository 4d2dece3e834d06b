import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '#contracts';
import type { GitSource, GitTreeEntry } from '#generators';
import { runGit } from './git-command.js';
import { LocalGitRepositories } from './local-git.js';
import type { GitCheckouts } from './renderers/types.js';

/** Credentials for every repository whose URL starts with `urlPrefix` (longest prefix wins). */
export interface GitCredential {
  urlPrefix: string;
  username?: string;
  /** Password or access token for HTTPS. */
  password?: string;
  /** Private key file for SSH URLs. */
  sshPrivateKeyFile?: string;
  /** known_hosts file for SSH; without it, host keys are not trusted. */
  sshKnownHostsFile?: string;
}

export interface RemoteGitOptions {
  /** Mirrors live in `<cacheDir>/mirrors`, checkouts in `<cacheDir>/checkouts`. */
  cacheDir: string;
  credentials?: readonly GitCredential[];
  /** Limit for one fetch (ms). */
  fetchTimeoutMs?: number;
  /** A repository larger than this on disk is refused and removed (bytes). */
  maxRepositoryBytes?: number;
  /** A repository fetched less than this long ago is not fetched again (ms). */
  minFetchIntervalMs?: number;
  now?: () => number;
}

const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_REPOSITORY_BYTES = 1024 * 1024 * 1024;
const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const ALLOWED_URL = /^(https?:\/\/|ssh:\/\/|git@[^:]+:)/;

/**
 * A GitSource for remote repositories: each is fetched into a bare mirror in the cache
 * (branches and tags only), at most once per `minFetchIntervalMs` and one fetch at a time, then
 * read at exact commits through LocalGitRepositories. Credentials go to git through its
 * environment, never its arguments, and never appear in error messages.
 */
export class RemoteGitRepositories implements GitSource, GitCheckouts {
  private readonly mirrorPaths = new Map<string, string>();
  private readonly local: LocalGitRepositories;
  private readonly fetching = new Map<string, Promise<void>>();
  /** The last fetch queued on each mirror: fetches of one mirror run one after another. */
  private readonly mirrorQueue = new Map<string, Promise<void>>();
  private readonly fetchedAt = new Map<string, number>();
  /** Revisions resolved (or being resolved) since the last fetch of their repository. */
  private readonly resolved = new Map<string, Promise<string>>();
  /**
   * Repositories whose HEAD (the remote's default branch) was asked for: every branch fetch of
   * them also asks the remote where its HEAD points. The others never pay that request.
   */
  private readonly headWanted = new Set<string>();
  /** Repositories whose mirror HEAD was set from the remote at their last fetch. */
  private readonly headCurrent = new Set<string>();
  private readonly now: () => number;
  /** Fetches actually run, for tests and metrics. */
  fetchCount = 0;

  constructor(private readonly options: RemoteGitOptions) {
    this.local = new LocalGitRepositories(this.mirrorPaths, { cacheDir: join(options.cacheDir, 'checkouts') });
    this.now = options.now ?? Date.now;
  }

  /** Fetches now (when the interval allows) and resolves a branch, tag, `HEAD` or commit. */
  async resolveRevision(repoURL: string, revision: string): Promise<string> {
    await this.fetch(repoURL);
    if (revision.trim() === '' || revision.trim() === 'HEAD') await this.followRemoteHead(repoURL);
    // Until the next fetch the refs cannot move: answer repeated questions (and concurrent ones) from memory.
    const key = `${repoURL}\0${revision}`;
    let commit = this.resolved.get(key);
    if (!commit) {
      const resolving = this.resolveInMirror(repoURL, revision);
      resolving.catch(() => {
        if (this.resolved.get(key) === resolving) this.resolved.delete(key);
      });
      this.resolved.set(key, resolving);
      commit = resolving;
    }
    return commit;
  }

  /**
   * Points the mirror's HEAD where the remote's points, the first time a repository's HEAD is
   * asked for; from then on every branch fetch does it alongside the fetch.
   */
  private async followRemoteHead(repoURL: string): Promise<void> {
    if (this.headWanted.has(repoURL) && this.headCurrent.has(repoURL)) return;
    this.headWanted.add(repoURL);
    await this.afterMirrorQueue(repoURL, async () => {
      if (this.headCurrent.has(repoURL)) return;
      const mirror = await this.mirrorFor(repoURL);
      try {
        await this.pointHeadAt(mirror, await this.remoteDefaultBranch(mirror, repoURL, this.gitOptions(repoURL)));
      } catch (error) {
        throw new SourceError(`cannot read the default branch of ${redact(repoURL)}: ${redact((error as Error).message)}`, {
          cause: error,
        });
      }
      this.headCurrent.add(repoURL);
      this.resolved.delete(`${repoURL}\0HEAD`);
      this.resolved.delete(`${repoURL}\0`);
    });
  }

  private async resolveInMirror(repoURL: string, revision: string): Promise<string> {
    try {
      return await this.local.resolveRevision(repoURL, revision);
    } catch (error) {
      // A commit that no branch or tag reaches (a pull request head, say) can still be fetched by SHA.
      if (!FULL_SHA.test(revision.trim())) throw error;
      await this.fetch(repoURL, revision.trim());
      return this.local.resolveRevision(repoURL, revision);
    }
  }

  /**
   * Fetches now and returns a fingerprint of every branch and tag head: it changes exactly
   * when a ref moved, so a poller can tell which repositories have new commits.
   */
  async headsFingerprint(repoURL: string): Promise<string> {
    this.invalidate(repoURL);
    await this.fetch(repoURL);
    const mirror = this.mirrorPaths.get(repoURL) as string;
    const refs = await runGit(mirror, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags']);
    return createHash('sha256').update(refs).digest('hex');
  }

  /** Forgets when a repository was last fetched, so the next read fetches (after a push webhook, say). */
  invalidate(repoURL: string): void {
    this.fetchedAt.delete(repoURL);
  }

  /**
   * Starts fetching now, without waiting: work that will read the repository soon (the plans
   * after a push) finds it fetched, or shares the fetch still running. A failure is left for
   * that read, which fetches again and reports it.
   */
  prefetch(repoURL: string): void {
    this.fetch(repoURL).catch(() => undefined);
  }

  async listTree(repoURL: string, commit: string): Promise<GitTreeEntry[]> {
    await this.ensureMirror(repoURL);
    return this.local.listTree(repoURL, commit);
  }

  async readFile(repoURL: string, commit: string, path: string): Promise<string> {
    await this.ensureMirror(repoURL);
    return this.local.readFile(repoURL, commit, path);
  }

  async checkout(repoURL: string, commit: string): Promise<string> {
    await this.ensureMirror(repoURL);
    return this.local.checkout(repoURL, commit);
  }

  private async ensureMirror(repoURL: string): Promise<void> {
    if (!this.mirrorPaths.has(repoURL)) await this.fetch(repoURL);
  }

  /** One fetch per repository and refs at a time; callers arriving meanwhile share it. */
  private fetch(repoURL: string, commit?: string): Promise<void> {
    const key = commit ? `${repoURL}\0${commit}` : repoURL;
    const last = this.fetchedAt.get(repoURL);
    if (!commit && last !== undefined && this.now() - last < (this.options.minFetchIntervalMs ?? 0)) return Promise.resolve();
    let running = this.fetching.get(key);
    if (!running) {
      running = this.afterMirrorQueue(repoURL, () => this.runFetch(repoURL, commit)).finally(() => this.fetching.delete(key));
      this.fetching.set(key, running);
    }
    return running;
  }

  /**
   * Runs a fetch once the fetches queued before it on the same mirror have ended: two git
   * processes writing one mirror's refs and packs at once can fail each other (ref locks), and
   * the size check must not remove a mirror another fetch is writing.
   */
  private afterMirrorQueue(repoURL: string, fetch: () => Promise<void>): Promise<void> {
    const previous = this.mirrorQueue.get(repoURL) ?? Promise.resolve();
    const run = previous.then(fetch);
    const settled = run.catch(() => undefined);
    this.mirrorQueue.set(repoURL, settled);
    void settled.then(() => {
      if (this.mirrorQueue.get(repoURL) === settled) this.mirrorQueue.delete(repoURL);
    });
    return run;
  }

  private async runFetch(repoURL: string, commit?: string): Promise<void> {
    if (!ALLOWED_URL.test(repoURL)) throw new SourceError(`${redact(repoURL)}: only https, http and ssh repository URLs are supported`);
    const mirror = await this.mirrorFor(repoURL);
    const options = this.gitOptions(repoURL);
    this.fetchCount++;
    try {
      const refspecs = commit ? [commit] : ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
      // The remote's default branch is asked for alongside the fetch, not after it: one round trip
      // to the git server less on the way from a push to its plans (about 240 ms here).
      const followHead = !commit && this.headWanted.has(repoURL);
      if (!commit) this.headCurrent.delete(repoURL);
      const defaultBranch = followHead ? this.remoteDefaultBranch(mirror, repoURL, options) : undefined;
      defaultBranch?.catch(() => undefined); // awaited below, unless the fetch fails first
      await runGit(mirror, ['fetch', '--prune', '--no-write-fetch-head', '--end-of-options', repoURL, ...refspecs], options);
      if (followHead) {
        await this.pointHeadAt(mirror, await defaultBranch);
        this.headCurrent.add(repoURL);
      }
    } catch (error) {
      throw new SourceError(`cannot fetch ${redact(repoURL)}: ${redact((error as Error).message)}`, { cause: error });
    }
    await this.enforceSizeLimit(repoURL, mirror);
    for (const key of this.resolved.keys()) if (key.startsWith(`${repoURL}\0`)) this.resolved.delete(key);
    this.fetchedAt.set(repoURL, this.now());
    this.mirrorPaths.set(repoURL, mirror);
  }

  private gitOptions(repoURL: string): { timeoutMs: number; env: Record<string, string> } {
    return { timeoutMs: this.options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS, env: this.credentialEnv(repoURL) };
  }

  /** Sets the mirror's HEAD to `branch`, unless it is there already (the usual case: no git process). */
  private async pointHeadAt(mirror: string, branch: string | undefined): Promise<void> {
    if (!branch) return;
    const head = await readFile(join(mirror, 'HEAD'), 'utf8').catch(() => '');
    if (head.trim() !== `ref: ${branch}`) await runGit(mirror, ['symbolic-ref', 'HEAD', branch]);
  }

  /** The remote's default branch (what its HEAD points at), for the mirror's HEAD to mean what it means there. */
  private async remoteDefaultBranch(
    mirror: string,
    repoURL: string,
    options: { timeoutMs: number; env: Record<string, string> },
  ): Promise<string | undefined> {
    const out = (await runGit(mirror, ['ls-remote', '--symref', '--end-of-options', repoURL, 'HEAD'], options)).toString();
    return /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(out)?.[1];
  }

  private async mirrorFor(repoURL: string): Promise<string> {
    const name = createHash('sha256').update(repoURL).digest('hex').slice(0, 24);
    const mirror = join(this.options.cacheDir, 'mirrors', `${name}.git`);
    try {
      await stat(join(mirror, 'HEAD'));
    } catch {
      // Create the bare repository beside its final place and move it in, so a crash never leaves half a mirror.
      const scratch = `${mirror}.${process.pid}.${Date.now()}.tmp`;
      await mkdir(scratch, { recursive: true });
      await runGit(scratch, ['init', '--quiet', '--bare']);
      await rename(scratch, mirror).catch(async (error: NodeJS.ErrnoException) => {
        await rm(scratch, { recursive: true, force: true });
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    }
    return mirror;
  }

  private async enforceSizeLimit(repoURL: string, mirror: string): Promise<void> {
    const limit = this.options.maxRepositoryBytes ?? DEFAULT_MAX_REPOSITORY_BYTES;
    const size = await directorySize(mirror);
    if (size > limit) {
      await rm(mirror, { recursive: true, force: true });
      this.mirrorPaths.delete(repoURL);
      throw new SourceError(`${redact(repoURL)} takes ${formatBytes(size)}, over the ${formatBytes(limit)} limit`);
    }
  }

  /** Credentials as GIT_CONFIG_* variables: HTTPS basic auth header, or an SSH command with the key. */
  private credentialEnv(repoURL: string): Record<string, string> {
    const credential = [...(this.options.credentials ?? [])]
      .filter((c) => repoURL.startsWith(c.urlPrefix))
      .sort((a, b) => b.urlPrefix.length - a.urlPrefix.length)[0];
    const env: Record<string, string> = { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes' };
    if (!credential) return env;
    if (credential.password !== undefined) {
      const basic = Buffer.from(`${credential.username ?? 'git'}:${credential.password}`).toString('base64');
      Object.assign(env, {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      });
    }
    if (credential.sshPrivateKeyFile) {
      const knownHosts = credential.sshKnownHostsFile ? ` -o UserKnownHostsFile=${shellQuote(credential.sshKnownHostsFile)}` : '';
      env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(credential.sshPrivateKeyFile)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes${knownHosts}`;
    }
    return env;
  }
}

/** Removes `user:password@` from URLs in messages. */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}

function formatBytes(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Bytes of the files under `dir`. git changes a mirror while it is measured (its automatic
 * maintenance, detached after a fetch, creates and removes lock files and packs), so a file
 * or directory gone between listing and reading counts as nothing rather than failing the
 * fetch; a failed fetch became an Application error in every plan that read it.
 */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (s) => s.size,
        (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? 0 : Promise.reject(error)),
      );
  }
  return total;
}
