import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
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

export async function baseEnv(config: SourceToolsConfig, dirs: ToolDirs): Promise<Record<string, string>> {
  await mkdir(dirs.home, { recursive: true });
  return { PATH: config.searchPath ?? DEFAULT_SEARCH_PATH, HOME: dirs.home, LC_ALL: 'C', KUBECONFIG: join(dirs.home, 'no-kubeconfig') };
}

export async function helmEnv(
  config: SourceToolsConfig,
  dirs: ToolDirs,
  overrides: { config?: string; cache?: string } = {},
): Promise<Record<string, string>> {
  const cache = overrides.cache ?? dirs.helmCache;
  const configHome = overrides.config ?? dirs.helmConfig;
  await Promise.all([cache, configHome, dirs.helmData].map((dir) => mkdir(dir, { recursive: true })));
  return {
    ...(await baseEnv(config, dirs)),
    HELM_CACHE_HOME: cache,
    HELM_CONFIG_HOME: configHome,
    HELM_DATA_HOME: dirs.helmData,
    HELM_PLUGINS: join(dirs.helmData, 'plugins'),
    HELM_REPOSITORY_CACHE: join(cache, 'repository'),
    HELM_REPOSITORY_CONFIG: join(configHome, 'repositories.yaml'),
    HELM_REGISTRY_CONFIG: join(configHome, 'registry', 'config.json'),
  };
}
