import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '#testing';
import { DEFAULT_SEARCH_PATH, type SourceToolsConfig } from '../tools.js';

export interface TestBinaries {
  helm: string;
  kustomize: string;
  kubectl: string;
}

/** dist/libs/sources/src/test-support → the repository root. */
const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../..');
const TOOLS_SCRIPT_TIMEOUT_MS = 30 * 60_000;

let binaries: Promise<TestBinaries> | undefined;

/**
 * The real helm and kustomize: HELM_BIN / KUSTOMIZE_BIN when set, otherwise those
 * `scripts/tools.sh` builds (it prints their directory; fast once built). A missing
 * binary fails the suite with the reason; tests are never skipped for it.
 */
export function testBinaries(): Promise<TestBinaries> {
  binaries ??= locate();
  return binaries;
}

async function locate(): Promise<TestBinaries> {
  let helm = process.env.HELM_BIN;
  let kustomize = process.env.KUSTOMIZE_BIN;
  if (!helm || !kustomize) {
    const dir = await runToolsScript();
    helm ||= join(dir, 'helm');
    kustomize ||= join(dir, 'kustomize');
  }
  const kubectl = process.env.KUBECTL_BIN || '/usr/bin/kubectl';
  for (const [name, path] of Object.entries({ helm, kustomize })) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`${name} binary ${path} is not executable: run scripts/tools.sh or set ${name.toUpperCase()}_BIN`);
    }
  }
  return { helm, kustomize, kubectl };
}

function runToolsScript(): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [join(REPO_ROOT, 'scripts/tools.sh')],
      { cwd: REPO_ROOT, timeout: TOOLS_SCRIPT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          return reject(
            new Error(`scripts/tools.sh failed, so helm/kustomize are missing: ${stderr.trim().split('\n').slice(-5).join('\n')}`),
          );
        const dir = stdout.trim().split('\n').pop();
        if (!dir) return reject(new Error('scripts/tools.sh printed no tools directory'));
        resolvePromise(dir);
      },
    );
  });
}

export const BEFORE_TIMEOUT = { timeout: TOOLS_SCRIPT_TIMEOUT_MS };

/** A tools config with a fresh cache directory removed when the test ends. */
export function testToolsConfig(
  t: Pick<TestContext, 'after'>,
  bin: TestBinaries,
  overrides: Partial<SourceToolsConfig> = {},
): SourceToolsConfig {
  return {
    helm: bin.helm,
    kustomize: bin.kustomize,
    kubectl: bin.kubectl,
    timeoutMs: 60_000,
    maxOutputBytes: 16 * 1024 * 1024,
    cacheDir: tempDir(t, 'flotilla-sources-cache-'),
    searchPath: process.env.PATH ?? DEFAULT_SEARCH_PATH,
    ...overrides,
  };
}
