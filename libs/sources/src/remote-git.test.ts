import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { startGitHttpServer, TestRepository, tempDir } from '#testing';
import { directorySize, RemoteGitRepositories, redact } from './remote-git.js';

describe('RemoteGitRepositories', () => {
  it('fetches over smart HTTP with basic auth, follows branches, tags and the default branch', async (t) => {
    const root = tempDir(t);
    const repo = TestRepository.init(join(root, 'apps.git'));
    const first = repo.commit({ 'apps/web/config.yaml': 'replicas: 1\n' });
    repo.git('tag', 'v1');
    repo.git('config', 'http.receivepack', 'true');
    const server = await startGitHttpServer(root, { username: 'ci', password: 's3cret-token' });
    t.after(() => server.close());
    const url = server.url('apps.git');
    const git = new RemoteGitRepositories({
      cacheDir: tempDir(t),
      credentials: [{ urlPrefix: 'http://127.0.0.1', username: 'ci', password: 's3cret-token' }],
    });

    assert.equal(await git.resolveRevision(url, 'HEAD'), first);
    assert.equal(await git.resolveRevision(url, 'v1'), first);
    assert.equal(await git.readFile(url, first, 'apps/web/config.yaml'), 'replicas: 1\n');
    const dir = await git.checkout(url, first);
    assert.equal(await readFile(join(dir, 'apps/web/config.yaml'), 'utf8'), 'replicas: 1\n');

    const second = repo.commit({ 'apps/web/config.yaml': 'replicas: 2\n' });
    assert.equal(await git.resolveRevision(url, 'main'), second, 'a new commit is seen on the next fetch');
    assert.deepEqual((await git.listTree(url, second)).map((e) => e.path).sort(), ['apps', 'apps/web', 'apps/web/config.yaml']);
  });

  it('shares one fetch between concurrent callers and honours the fetch interval', async (t) => {
    const root = tempDir(t);
    TestRepository.init(join(root, 'r.git')).commit({ 'a.yaml': 'a: 1' });
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    let clock = 0;
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t), minFetchIntervalMs: 60_000, now: () => clock });
    const url = server.url('r.git');
    const shas = await Promise.all(Array.from({ length: 5 }, () => git.resolveRevision(url, 'HEAD')));
    assert.equal(new Set(shas).size, 1);
    assert.equal(git.fetchCount, 1);
    await git.resolveRevision(url, 'HEAD');
    assert.equal(git.fetchCount, 1, 'within the interval: no new fetch');
    clock = 61_000;
    await git.resolveRevision(url, 'HEAD');
    assert.equal(git.fetchCount, 2);
  });

  it('prefetches without waiting: a read meanwhile shares the fetch, and a failure is left for the read', async (t) => {
    const root = tempDir(t);
    TestRepository.init(join(root, 'r.git')).commit({ 'a.yaml': 'a: 1' });
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t), minFetchIntervalMs: 60_000 });
    const url = server.url('r.git');
    git.prefetch(url);
    assert.equal(git.fetchCount, 0, 'no fetch runs before the event loop turns');
    await git.resolveRevision(url, 'HEAD');
    assert.equal(git.fetchCount, 1, 'the read shared the prefetch');
    // A repository that does not exist: the prefetch fails quietly (no unhandled rejection), the read reports it.
    const missing = server.url('missing.git');
    git.prefetch(missing);
    await assert.rejects(
      git.resolveRevision(missing, 'HEAD'),
      (error: unknown) => error instanceof SourceError && /cannot fetch/.test(error.message),
    );
  });

  it('refuses wrong credentials without leaking the password', async (t) => {
    const root = tempDir(t);
    TestRepository.init(join(root, 'r.git')).commit({ 'a.yaml': 'a: 1' });
    const server = await startGitHttpServer(root, { username: 'ci', password: 'right-password' });
    t.after(() => server.close());
    const git = new RemoteGitRepositories({
      cacheDir: tempDir(t),
      credentials: [{ urlPrefix: server.url(''), password: 'wrong-password' }],
    });
    await assert.rejects(git.resolveRevision(server.url('r.git'), 'HEAD'), (error) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^cannot fetch http:\/\/127\.0\.0\.1:\d+\/r\.git: /);
      assert.doesNotMatch(error.message, /wrong-password|right-password/);
      return true;
    });
  });

  it('refuses unreachable hosts, local paths and repositories over the size limit', async (t) => {
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t), fetchTimeoutMs: 5_000 });
    await assert.rejects(
      git.resolveRevision('http://127.0.0.1:9/nothing.git', 'HEAD'),
      /cannot fetch http:\/\/127\.0\.0\.1:9\/nothing\.git/,
    );
    await assert.rejects(git.resolveRevision('/etc', 'HEAD'), /only https, http and ssh repository URLs are supported/);
    await assert.rejects(git.resolveRevision('file:///etc', 'HEAD'), /only https, http and ssh/);

    const root = tempDir(t);
    TestRepository.init(join(root, 'big.git')).commit({ 'blob.txt': 'x'.repeat(200_000) });
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    const small = new RemoteGitRepositories({ cacheDir: tempDir(t), maxRepositoryBytes: 10_000 });
    await assert.rejects(small.resolveRevision(server.url('big.git'), 'HEAD'), /big\.git takes [\d.]+ KiB, over the 9\.8 KiB limit$/);
  });

  it("asks for the remote's default branch only once its HEAD is read, then at every fetch", async (t) => {
    const root = tempDir(t);
    const repo = TestRepository.init(join(root, 'r.git'));
    const onMain = repo.commit({ 'a.yaml': 'a: 1' });
    repo.git('branch', 'trunk');
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t) });
    const url = server.url('r.git');
    // A git conversation (fetch or ls-remote) starts with one GET of info/refs.
    const conversations = () => server.requests.filter((r) => r === 'GET /r.git/info/refs').length;

    await git.resolveRevision(url, 'main');
    await git.resolveRevision(url, 'trunk');
    assert.equal(conversations(), 2, 'two fetches, no ls-remote: nobody read HEAD');

    assert.equal(await git.resolveRevision(url, 'HEAD'), onMain);
    assert.equal(conversations(), 4, 'a fetch, then the default branch asked for once');
    repo.git('symbolic-ref', 'HEAD', 'refs/heads/trunk');
    repo.git('checkout', '-q', 'trunk');
    const onTrunk = repo.commit({ 'a.yaml': 'a: 2' });
    assert.equal(await git.resolveRevision(url, ''), onTrunk, "the remote's new default branch is followed");
    assert.equal(conversations(), 6, 'from now on alongside every fetch');
    assert.equal(await git.resolveRevision(url, 'main'), onMain);
  });

  it('fetches a commit no branch reaches by its SHA', async (t) => {
    const root = tempDir(t);
    const repo = TestRepository.init(join(root, 'r.git'));
    repo.commit({ 'a.yaml': 'a: 1' });
    repo.git('config', 'uploadpack.allowAnySHA1InWant', 'true');
    repo.git('checkout', '-q', '-b', 'pr');
    const prHead = repo.commit({ 'a.yaml': 'a: 2' });
    repo.git('checkout', '-q', 'main');
    repo.git('update-ref', 'refs/pull/7/head', prHead);
    repo.git('branch', '-D', 'pr');
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t) });
    assert.equal(await git.resolveRevision(server.url('r.git'), prHead), prHead);
    assert.equal(await git.readFile(server.url('r.git'), prHead, 'a.yaml'), 'a: 2');
  });

  it('runs the fetches of one mirror one after another (branches, and a commit by SHA)', async (t) => {
    const root = tempDir(t);
    const repo = TestRepository.init(join(root, 'r.git'));
    repo.commit({ 'a.yaml': 'a: 1' });
    repo.git('config', 'uploadpack.allowAnySHA1InWant', 'true');
    const unreachable = repo.commit({ 'a.yaml': 'a: 2' });
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    const server = await startGitHttpServer(root);
    t.after(() => server.close());
    // Every request held 150 ms on its way: git's fetch commands (the requests that bring objects
    // into the mirror) of two fetches at once would overlap in time.
    const proxy = await startSlowProxy(new URL(server.url('r.git')), 150);
    t.after(() => proxy.close());
    const url = `${proxy.origin}${new URL(server.url('r.git')).pathname}`;
    const git = new RemoteGitRepositories({ cacheDir: tempDir(t), minFetchIntervalMs: 60_000 });
    await git.resolveRevision(url, 'HEAD');
    proxy.requests.length = 0;
    repo.commit({ 'b.yaml': 'b: 1' }); // so that the branch fetch has objects to bring
    // A plan's fetch of a commit no branch reaches and the poller's fetch of every branch, together
    // (in this order: the poller's fetch first would be shared by the plan's wait for branches).
    const [commit, fingerprint] = await Promise.all([git.resolveRevision(url, unreachable), git.headsFingerprint(url)]);
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(commit, unreachable);
    assert.equal(git.fetchCount, 3);
    const fetches = proxy.requests.filter((r) => r.body.includes('command=fetch')).sort((a, b) => a.start - b.start);
    assert.equal(fetches.length, 2, 'a fetch of the branches and one of the commit');
    const [first, second] = fetches as [SeenRequest, SeenRequest];
    assert.ok(
      second.start >= first.end,
      `two fetches of one mirror ran at once: ${JSON.stringify(fetches.map(({ start, end }) => ({ start, end })))}`,
    );
  });

  it('redacts credentials in URLs', () => {
    assert.equal(
      redact('fatal: unable to access https://bob:tok3n@git.example.com/x.git/'),
      'fatal: unable to access https://***@git.example.com/x.git/',
    );
  });

  // git's automatic maintenance, detached after a fetch, creates and removes lock files in the
  // mirror while its size is measured: seen as "ENOENT … objects/maintenance.lock" in a plan.
  it('measures a mirror that another process changes meanwhile', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });
    writeFileSync(join(dir, 'objects', 'pack', 'pack-1.pack'), Buffer.alloc(4096));
    const churn = spawn(
      'sh',
      [
        '-c',
        'while :; do touch objects/maintenance.lock; mkdir -p objects/tmp; touch objects/tmp/x; rm -rf objects/maintenance.lock objects/tmp; done',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    t.after(() => churn.kill('SIGKILL'));
    for (let i = 0; i < 300; i++) {
      const size = await directorySize(dir);
      assert.ok(size >= 4096 && size < 4096 + 1024, `measured ${size} bytes`);
    }
  });
});

interface SeenRequest {
  body: string;
  /** When it arrived, and when its answer ended (performance.now()). */
  start: number;
  end: number;
}

/** An HTTP proxy to `target`'s host that holds every request `delayMs` and records each with its body and times. */
async function startSlowProxy(
  target: URL,
  delayMs: number,
): Promise<{ origin: string; requests: SeenRequest[]; close: () => Promise<void> }> {
  const state = { origin: '', requests: [] as SeenRequest[], close: async () => {} };
  const server = createServer((req, res) => {
    const seen: SeenRequest = { body: '', start: performance.now(), end: Number.POSITIVE_INFINITY };
    state.requests.push(seen);
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      seen.body = Buffer.concat(body).toString('latin1');
      setTimeout(() => {
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('end', () => {
              seen.end = performance.now();
            });
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
