import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import type { TestContext } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';

const POSTGRES_ADMIN_URL = process.env.FLOTILLA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type After = Pick<TestContext, 'after'>;

/** A fresh Postgres database for one suite, dropped when it ends. */
export async function createTestDatabase(t: After): Promise<string> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.after(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis key prefix of one suite; its keys are deleted when it ends. */
export function createRedisPrefix(t: After): { prefix: string; url: string; flush: () => Promise<number> } {
  const prefix = `flotilla-test-${randomBytes(6).toString('hex')}`;
  const flush = async (): Promise<number> => {
    const redis = new Redis(REDIS_URL);
    let deleted = 0;
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
        if ((keys as string[]).length > 0) deleted += await redis.del(...(keys as string[]));
      }
    } finally {
      redis.disconnect();
    }
    return deleted;
  };
  t.after(async () => {
    await flush();
  });
  return { prefix, url: REDIS_URL, flush };
}

export interface RunningHub {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Starts a hub in this process on a loopback port (a free one unless `port` is given), with the given environment. */
export async function startHub(t: After, env: Record<string, string>, port = 0): Promise<RunningHub> {
  const { loadHubConfig } = await import('../../apps/hub/src/config/hub-config.js');
  const { createHub } = await import('../../apps/hub/src/hub.js');
  const config = loadHubConfig({ PATH: process.env.PATH, ...env });
  const app = await createHub(config, { logger: process.env.FLOTILLA_TEST_LOGS ? ['log', 'warn', 'error'] : ['error'] });
  await app.listen(port, '127.0.0.1');
  const { port: bound } = app.getHttpServer().address() as AddressInfo;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  t.after(close);
  return { app, url: `http://127.0.0.1:${bound}`, close };
}

/** A small HTTP client for one caller of the hub. */
export function hubClient(base: string, token?: string) {
  const request = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${base}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, body: json as Record<string, unknown> & unknown[] };
  };
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown) => request('POST', path, body ?? {}),
    put: (path: string, body: unknown, contentType?: string) => request('PUT', path, body, contentType),
    patch: (path: string, body: unknown) => request('PATCH', path, body),
    delete: (path: string) => request('DELETE', path),
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Cleanups for resources a suite starts in `before` (or inside one test) that must outlive
 * single tests: pass the scope where a `t` is expected, and `after(scope.close)`.
 */
export function suiteScope(): After & { close: () => Promise<void> } {
  const cleanups: Array<() => unknown> = [];
  return {
    after: (fn) => void (fn && cleanups.push(fn as () => unknown)),
    close: async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}

/**
 * A hub on its own new database and Redis prefix, with caches under `workDir`; returns the
 * environment too, to start it again (same data) later.
 */
export async function startFreshHub(
  t: After,
  options: { adminToken: string; workDir: string; env?: Record<string, string>; port?: number },
): Promise<{ hub: RunningHub; env: Record<string, string> }> {
  const redis = createRedisPrefix(t);
  const env = {
    DATABASE_URL: await createTestDatabase(t),
    REDIS_URL: redis.url,
    FLOTILLA_REDIS_PREFIX: redis.prefix,
    FLOTILLA_ADMIN_TOKEN: options.adminToken,
    FLOTILLA_CACHE_DIR: `${options.workDir}/cache`,
    FLOTILLA_GIT_POLL_SECONDS: '0',
    ...options.env,
  };
  return { hub: await startHub(t, env, options.port), env };
}

/** A TCP port free on loopback right now (for a server that must be restarted on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
