import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';

/** A temporary directory removed when the test (or suite) ends. */
export function tempDir(t: Pick<TestContext, 'after'>, prefix = 'flotilla-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file tree: path → content, or `{ symlink: target }` for a symbolic link. */
export type FileTree = Record<string, string | { symlink: string }>;

/** A real git repository on disk, driven with the git binary. */
export class TestRepository {
  constructor(readonly path: string) {}

  static init(path: string): TestRepository {
    mkdirSync(path, { recursive: true });
    const repo = new TestRepository(path);
    repo.git('init', '-q', '-b', 'main');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.path,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Flotilla Test',
        GIT_AUTHOR_EMAIL: 'test@flotilla.invalid',
        GIT_COMMITTER_NAME: 'Flotilla Test',
        GIT_COMMITTER_EMAIL: 'test@flotilla.invalid',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
    }).trim();
  }

  /** Writes the files (removing the `remove` paths) and commits them; returns the commit SHA. */
  commit(files: FileTree, message = 'change', remove: string[] = []): string {
    for (const [path, content] of Object.entries(files)) {
      const target = join(this.path, path);
      mkdirSync(dirname(target), { recursive: true });
      rmSync(target, { force: true });
      if (typeof content === 'string') writeFileSync(target, content);
      else symlinkSync(content.symlink, target);
    }
    for (const path of remove) this.git('rm', '-q', '-r', '--', path);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

/** Creates a repository with one commit on `main` holding `files`. */
export function createRepository(t: Pick<TestContext, 'after'>, files: FileTree): TestRepository {
  const repo = TestRepository.init(join(tempDir(t, 'flotilla-repo-'), 'repo'));
  repo.commit(files, 'initial');
  return repo;
}
export { type AgentOptions, type RunningAgent, startAgent } from './agent.js';
export { type CliResult, runFlotilla, runFlotillaAsync } from './cli.js';
export { type FakePullRequest, type FakeScm, type PostedComment, type PostedStatus, startFakeScm } from './fake-scm.js';
export { type GitHttpServer, startGitHttpServer } from './git-http-server.js';
export {
  createRedisPrefix,
  createTestDatabase,
  eventually,
  freePort,
  hubClient,
  type RunningHub,
  startFreshHub,
  startHub,
  suiteScope,
} from './hub.js';
export { type KubeApiServer, kubeApiServerAssets, startKubeApiServer, startKubeApiServers } from './kube-api-server.js';
export { type ScrapedMetrics, scrapeHubMetrics } from './metrics.js';
