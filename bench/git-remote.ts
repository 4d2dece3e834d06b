import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FileTree, startGitHttpServer, TestRepository } from '../test/support/index.js';

/**
 * The fleet scenarios' git remote in a small process of its own: the smart-HTTP server
 * (`git http-backend` per request) and the commits the scenarios make. Spawning a process
 * from the bench's own, which holds thousands of simulated agents' sockets and a large heap,
 * took 30–50 ms each and blocked those agents meanwhile (profiled: 258 ms of `spawn` in one
 * 10,000-agent convergence run, for a commit and the hub's fetch); a real git server is
 * another machine. From a small process a spawn costs a few milliseconds.
 */
export interface GitRemote {
  /** The URL of repository `name` (a directory under the served root). */
  url(name: string): string;
  /** Writes `files` in repository `name` and commits them; resolves to the commit SHA. */
  commit(name: string, files: FileTree): Promise<string>;
  close(): Promise<void>;
}

type Request = { id: number; repository: string; files: FileTree };
type Reply = { id: number; sha?: string; error?: string };

export async function startGitRemote(root: string): Promise<GitRemote> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [root], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const base = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { base: string }).base));
    child.once('exit', (code) => reject(new Error(`the git remote process exited (${code})`)));
  });
  const waiting = new Map<number, { resolve: (sha: string) => void; reject: (error: Error) => void }>();
  child.on('message', (message) => {
    const reply = message as Reply;
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.sha !== undefined) pending?.resolve(reply.sha);
    else pending?.reject(new Error(reply.error ?? 'commit failed'));
  });
  let next = 1;
  return {
    url: (name) => `${base}/${name}`,
    commit: (repository, files) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        child.send({ id, repository, files } satisfies Request);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The child's side: serve `root`, commit on request. */
async function serve(root: string): Promise<void> {
  const server = await startGitHttpServer(root);
  process.on('message', (message) => {
    const { id, repository, files } = message as Request;
    try {
      const sha = new TestRepository(join(root, repository)).commit(files);
      process.send?.({ id, sha } satisfies Reply);
    } catch (error) {
      process.send?.({ id, error: (error as Error).message } satisfies Reply);
    }
  });
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.send?.({ base: server.url('').replace(/\/$/, '') });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) await serve(process.argv[2] as string);
