import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository, tempDir } from '#testing';
import { LocalGitRepositories } from './local-git.js';

const URL = 'https://git.example.com/org/deploy.git';

/** Counts the extractions that really ran. */
class CountingRepositories extends LocalGitRepositories {
  extractions = 0;
  protected override async extractTree(repository: string, commit: string, dest: string, index: string): Promise<void> {
    this.extractions++;
    await super.extractTree(repository, commit, dest, index);
  }
}

describe('LocalGitRepositories.checkout', () => {
  it('extracts the tree of an exact commit, not the work tree, into <cacheDir>/<sha>', async (t) => {
    const repo = createRepository(t, {
      'apps/web/deploy.yaml': 'v: 1\n',
      'apps/web/link.yaml': { symlink: 'deploy.yaml' },
      'apps/web/ignored.yaml': 'kept: true\n',
      '.gitattributes': 'apps/web/ignored.yaml export-ignore\n',
    });
    const first = repo.git('rev-parse', 'HEAD');
    repo.git('tag', 'v1');
    repo.git('checkout', '-q', '-b', 'next');
    const second = repo.commit({ 'apps/web/deploy.yaml': 'v: 2\n', 'apps/api/svc.yaml': 'a: 1\n' }, 'second');
    repo.git('checkout', '-q', 'main');
    const cacheDir = tempDir(t);
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]), { cacheDir });

    const old = await git.checkout(URL, await git.resolveRevision(URL, 'v1'));
    const next = await git.checkout(URL, await git.resolveRevision(URL, 'next'));

    assert.equal(old, join(cacheDir, first));
    assert.equal(next, join(cacheDir, second));
    assert.equal(readFileSync(join(old, 'apps/web/deploy.yaml'), 'utf8'), 'v: 1\n');
    assert.equal(readFileSync(join(next, 'apps/web/deploy.yaml'), 'utf8'), 'v: 2\n');
    assert.deepEqual(readdirSync(join(old, 'apps')), ['web']);
    assert.ok(lstatSync(join(old, 'apps/web/link.yaml')).isSymbolicLink());
    assert.equal(readlinkSync(join(old, 'apps/web/link.yaml')), 'deploy.yaml');
    // A clone has export-ignore'd files; `git archive` would have dropped this one.
    assert.equal(readFileSync(join(old, 'apps/web/ignored.yaml'), 'utf8'), 'kept: true\n');
    // Nothing left behind but the checkouts, and the repository itself untouched.
    assert.deepEqual(readdirSync(cacheDir).sort(), [first, second].sort());
    assert.equal(repo.git('status', '--porcelain'), '');
    assert.equal(repo.git('rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  });

  it('shares one extraction between concurrent checkouts of the same commit', async (t) => {
    const repo = createRepository(t, { 'a.yaml': 'a: 1\n' });
    const first = repo.git('rev-parse', 'HEAD');
    const second = repo.commit({ 'b.yaml': 'b: 1\n' });
    const cacheDir = tempDir(t);
    const git = new CountingRepositories(new Map([[URL, repo.path]]), { cacheDir });

    const paths = await Promise.all([...Array(8)].map((_, i) => git.checkout(URL, i % 2 === 0 ? first : second)));

    assert.equal(git.extractions, 2);
    assert.deepEqual(new Set(paths), new Set([join(cacheDir, first), join(cacheDir, second)]));
    assert.equal(await git.checkout(URL, first), join(cacheDir, first));
    assert.equal(git.extractions, 2);

    // Another instance (another process) finds the finished checkouts on disk.
    const other = new CountingRepositories(new Map([[URL, repo.path]]), { cacheDir });
    assert.equal(await other.checkout(URL, second), join(cacheDir, second));
    assert.equal(other.extractions, 0);
  });

  it('refuses what is not a full commit SHA, unknown commits and unknown repositories', async (t) => {
    const repo = createRepository(t, { 'a.yaml': 'a: 1\n' });
    const cacheDir = tempDir(t);
    const git = new CountingRepositories(new Map([[URL, repo.path]]), { cacheDir });
    await assert.rejects(
      git.checkout(URL, 'main'),
      (error: unknown) => error instanceof SourceError && /not a commit SHA/.test(error.message),
    );
    await assert.rejects(
      git.checkout(URL, 'a'.repeat(40)),
      (error: unknown) => error instanceof SourceError && /cannot check out aaaaaaaaaaaa/.test(error.message),
    );
    await assert.rejects(git.checkout('https://elsewhere.example/x.git', 'a'.repeat(40)), /no local repository/);
    // A failed extraction leaves nothing behind and is retried, not cached.
    assert.deepEqual(readdirSync(cacheDir), []);
    await assert.rejects(git.checkout(URL, 'a'.repeat(40)), SourceError);
    assert.equal(git.extractions, 2);
  });

  it('checks out from a bare repository (a mirror)', async (t) => {
    const repo = createRepository(t, { 'apps/a.yaml': 'a: 1\n' });
    const commit = repo.git('rev-parse', 'HEAD');
    const bare = join(tempDir(t), 'mirror.git');
    repo.git('clone', '-q', '--mirror', repo.path, bare);
    const git = new LocalGitRepositories(new Map([[URL, bare]]), { cacheDir: tempDir(t) });
    assert.equal(readFileSync(join(await git.checkout(URL, commit), 'apps/a.yaml'), 'utf8'), 'a: 1\n');
  });

  it('uses a temporary cache directory by default', async (t) => {
    const repo = createRepository(t, { 'a.yaml': 'a: 1\n' });
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]));
    const commit = repo.git('rev-parse', 'HEAD');
    const path = await git.checkout(URL, commit);
    t.after(() => import('node:fs').then((fs) => fs.rmSync(join(path, '..'), { recursive: true, force: true })));
    assert.ok(path.endsWith(`/${commit}`));
    assert.equal(readFileSync(join(path, 'a.yaml'), 'utf8'), 'a: 1\n');
  });
});
