import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
const MIGRATE_TIMEOUT_MS = 120_000;

/**
 * Applies pending migrations (`prisma migrate deploy`, Wasm schema engine through the pg
 * adapter, see prisma.config.ts). Safe with several replicas booting at once: Prisma
 * takes an advisory lock.
 */
export function applyMigrations(databaseUrl: string): Promise<void> {
  const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [prismaCli, 'migrate', 'deploy', '--config', join(PROJECT_ROOT, 'prisma.config.ts')],
      { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: MIGRATE_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`applying migrations failed: ${stderr.trim().split('\n').slice(-3).join(' ') || error.message}`));
        else resolve();
      },
    );
  });
}
