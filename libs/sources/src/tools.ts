import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Where the renderers find their binaries and how far they let them go. The caller
 * (CLI, hub) resolves this once; the library never reads the environment itself.
 */
export interface SourceToolsConfig {
  /** The helm binary (helm 3 or 4). */
  helm: string;
  /** The kustomize binary; when absent or not found, `kubectl kustomize` is used. */
  kustomize?: string;
  /** kubectl, for `kubectl kustomize` when no kustomize binary is available. */
  kubectl?: string;
  /** Kills a tool after this many milliseconds. */
  timeoutMs: number;
  /** Largest stdout accepted from a tool, and largest plain manifest set read, in bytes. */
  maxOutputBytes: number;
  /** Where pulled charts, helm's isolated homes and temporary files live. */
  cacheDir: string;
  /** PATH given to the tools' own subprocesses (kustomize runs git for remote bases). */
  searchPath?: string;
  /**
   * Which sources' renders may reach the network (kustomize remote bases, Helm dependency
   * downloads): true, false, or a decision per repository URL. Off by default, so a render
   * reads only its checkout and the chart its source names.
   */
  allowNetwork?: boolean | ((repoURL: string) => boolean);
}

/** Whether renders of sources from `repoURL` may reach the network. */
export function networkAllowed(config: Pick<SourceToolsConfig, 'allowNetwork'>, repoURL: string): boolean {
  const policy = config.allowNetwork ?? false;
  return typeof policy === 'function' ? policy(repoURL) : policy;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SEARCH_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface ToolPaths {
  helm: string;
  kustomize: string;
  kubectl: string;
  searchPath: string;
}

/**
 * Reads HELM_BIN / KUSTOMIZE_BIN / KUBECTL_BIN (defaults `helm`, `kustomize`, `kubectl`)
 * from the environment the caller passes, and resolves bare names on its PATH, so the
 * library can run tools with a minimal environment of its own.
 */
export function toolPathsFromEnv(env: Readonly<Record<string, string | undefined>>): ToolPaths {
  const searchPath = env.PATH && env.PATH !== '' ? env.PATH : DEFAULT_SEARCH_PATH;
  const pick = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return resolveOnPath(value && value !== '' ? value : fallback, searchPath);
  };
  return {
    helm: pick('HELM_BIN', 'helm'),
    kustomize: pick('KUSTOMIZE_BIN', 'kustomize'),
    kubectl: pick('KUBECTL_BIN', 'kubectl'),
    searchPath,
  };
}

/** An absolute path for a bare command name found on `searchPath`; anything else unchanged. */
export function resolveOnPath(command: string, searchPath: string): string {
  if (command.includes('/') || isAbsolute(command)) return command;
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return command;
}
