import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository } from '#testing';
import { LocalGitRepositories } from './local-git.js';

const URL = 'https://git.example.com/org/apps.git';

describe('LocalGitRepositories', () => {
  it('resolves HEAD, branches, tags and commits to commit SHAs', async (t) => {
    const repo = createRepository(t, { 'apps/a/config.json': '{"v": 1}' });
    const first = repo.git('rev-parse', 'HEAD');
    repo.git('tag', 'v1.0.0');
    repo.git('checkout', '-q', '-b', 'feature');
    const second = repo.commit({ 'apps/b/config.json': '{"v": 2}' }, 'feature work');
    repo.git('checkout', '-q', 'main');
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]));

    assert.equal(await git.resolveRevision(URL, 'HEAD'), first);
    assert.equal(await git.resolveRevision(URL, ''), first);
    assert.equal(await git.resolveRevision(URL, 'main'), first);
    assert.equal(await git.resolveRevision(URL, 'feature'), second);
    assert.equal(await git.resolveRevision(URL, 'v1.0.0'), first);
    assert.equal(await git.resolveRevision(URL, second.slice(0, 10)), second);
  });

  it('lists the tree of a commit, not of the work tree', async (t) => {
    const repo = createRepository(t, { 'apps/a/config.json': '{}', '.hidden/x.yaml': 'a: 1', 'README.md': '#' });
    const first = repo.git('rev-parse', 'HEAD');
    repo.commit({ 'apps/b/config.json': '{}' }, 'second', ['apps/a']);
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]));

    const tree = await git.listTree(URL, first);
    assert.deepEqual(
      tree.map((e) => `${e.type}:${e.path}`).sort(),
      [
        'directory:.hidden',
        'directory:apps',
        'directory:apps/a',
        'file:.hidden/x.yaml',
        'file:README.md',
        'file:apps/a/config.json',
      ].sort(),
    );
    assert.equal(await git.readFile(URL, first, 'apps/a/config.json'), '{}');
    await assert.rejects(git.readFile(URL, first, 'apps/b/config.json'), /no such file/);
  });

  it('follows symbolic links inside the repository and refuses those leading out', async (t) => {
    const repo = createRepository(t, {
      'base/values.yaml': 'replicas: 2',
      'apps/a/values.yaml': { symlink: '../../base/values.yaml' },
      'apps/escape.yaml': { symlink: '../../../etc/passwd' },
      'apps/absolute.yaml': { symlink: '/etc/passwd' },
    });
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]));
    const commit = await git.resolveRevision(URL, 'HEAD');

    assert.equal(await git.readFile(URL, commit, 'apps/a/values.yaml'), 'replicas: 2');
    await assert.rejects(git.readFile(URL, commit, 'apps/escape.yaml'), /leads outside the repository/);
    await assert.rejects(git.readFile(URL, commit, 'apps/absolute.yaml'), /leads outside the repository/);
  });

  it('answers unknown revisions, unmapped URLs and option-like revisions with SourceErrors', async (t) => {
    const repo = createRepository(t, { 'a.yaml': 'a: 1' });
    const git = new LocalGitRepositories(new Map([[URL, repo.path]]));

    await assert.rejects(git.resolveRevision(URL, 'no-such-branch'), (e) => e instanceof SourceError && /not found/.test(e.message));
    await assert.rejects(git.resolveRevision(URL, '--output=/tmp/x'), SourceError);
    await assert.rejects(git.resolveRevision('https://elsewhere.example/x.git', 'HEAD'), /no local repository given/);
    await assert.rejects(git.listTree(URL, 'HEAD; rm -rf /'), /not a commit SHA/);
  });

  it('reports a repository path that is not a git repository', async () => {
    const git = new LocalGitRepositories(new Map([[URL, '/nonexistent/flotilla-repo']]));
    await assert.rejects(git.resolveRevision(URL, 'HEAD'), SourceError);
  });
});
