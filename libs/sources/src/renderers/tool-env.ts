import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '#contracts';
import { DEFAULT_SEARCH_PATH, type SourceToolsConfig } from '../tools.js';

/**
 * The environment helm and kustomize run in: nothing inherited, an empty HOME and, for
 * helm, private cache/config/data homes under the cache directory, so no user plugins,
 * repositories, registry logins or kubeconfig leak into a render.
 */
export interface ToolDirs {
  tmp: string;
  home: string;
  helmCache: string;
  helmConfig: string;
  helmData: string;
  charts: string;
}

export function toolDirs(config: SourceToolsConfig): ToolDirs {
  const root = config.cacheDir;
  return {
    tmp: join(root, 'tmp'),
    home: join(root, 'home'),
    helmCache: join(root, 'helm', 'cache'),
    helmConfig: join(root, 'helm', 'config'),
    helmData: join(root, 'helm', 'data'),
    charts: join(root, 'charts'),
  };
}

/**
 * Without network access, HTTP(S) goes to a proxy on a closed loopback port and ssh is
 * refused, so a tool that tries to download fails at once with a recognisable error
 * instead of fetching. (Go and curl do not proxy loopback addresses; those stay reachable.)
 */
export const OFFLINE_PROXY = 'http://127.0.0.1:9';
const OFFLINE_ENV: Record<string, string> = {
  HTTP_PROXY: OFFLINE_PROXY,
  HTTPS_PROXY: OFFLINE_PROXY,
  http_proxy: OFFLINE_PROXY,
  https_proxy: OFFLINE_PROXY,
  ALL_PROXY: OFFLINE_PROXY,
  NO_PROXY: '',
  no_proxy: '',
  GIT_SSH_COMMAND: 'false',
};

/** Rewrites a tool failure caused by the offline proxy into a clear reason. */
export function explainOffline(error: unknown, tool: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!/proxyconnect|127\.0\.0\.1:9\b|127\.0\.0\.1 port 9/i.test(message)) return error;
  return new SourceError(
    `${tool} tried to reach the network (a remote kustomize base or a Helm dependency download), which renders of this repository may not: vendor it into the repository or allow network access for it`,
    { cause: error },
  );
}

export async function baseEnv(config: SourceToolsConfig, dirs: ToolDirs, network = false): Promise<Record<string, string>> {
  await mkdir(dirs.home, { recursive: true });
  return {
    PATH: config.searchPath ?? DEFAULT_SEARCH_PATH,
    HOME: dirs.home,
    LC_ALL: 'C',
    KUBECONFIG: join(dirs.home, 'no-kubeconfig'),
    ...(network ? {} : OFFLINE_ENV),
  };
}

export async function helmEnv(
  config: SourceToolsConfig,
  dirs: ToolDirs,
  overrides: { config?: string; cache?: string; network?: boolean } = {},
): Promise<Record<string, string>> {
  const cache = overrides.cache ?? dirs.helmCache;
  const configHome = overrides.config ?? dirs.helmConfig;
  await Promise.all([cache, configHome, dirs.helmData].map((dir) => mkdir(dir, { recursive: true })));
  return {
    ...(await baseEnv(config, dirs, overrides.network)),
    HELM_CACHE_HOME: cache,
    HELM_CONFIG_HOME: configHome,
    HELM_DATA_HOME: dirs.helmData,
    HELM_PLUGINS: join(dirs.helmData, 'plugins'),
    HELM_REPOSITORY_CACHE: join(cache, 'repository'),
    HELM_REPOSITORY_CONFIG: join(configHome, 'repositories.yaml'),
    HELM_REGISTRY_CONFIG: join(configHome, 'registry', 'config.json'),
  };
}
