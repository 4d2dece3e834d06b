import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
const MIGRATE_TIMEOUT_MS = 120_000;
const DONE = /All migrations have been successfully applied|No pending migrations to apply/;

/**
 * Applies pending migrations (`prisma migrate deploy`, Wasm schema engine through the pg
 * adapter, see prisma.config.ts). Safe with several replicas booting at once: Prisma
 * takes an advisory lock. The CLI lingers ~10 s on an idle connection pool after it has
 * finished, so it is stopped as soon as it reports success.
 */
export function applyMigrations(databaseUrl: string): Promise<void> {
  const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, 'migrate', 'deploy', '--config', join(PROJECT_ROOT, 'prisma.config.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let succeeded = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), MIGRATE_TIMEOUT_MS);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!succeeded && DONE.test(output)) {
        succeeded = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (succeeded || code === 0) resolve();
      else reject(new Error(`applying migrations failed: ${output.trim().split('\n').slice(-3).join(' ') || `exit ${code}`}`));
    });
  });
}
