export { type GitCommandOptions, runGit } from './git-command.js';
export { compileArgoGlob, GlobError } from './glob.js';
export { type LocalGitOptions, LocalGitRepositories } from './local-git.js';
export { parseToolOutput, toKubeObjects } from './manifests.js';
export { SymlinkGuard } from './paths.js';
export { type GitCredential, type RemoteGitOptions, RemoteGitRepositories, redact } from './remote-git.js';
export { DirectoryRenderer, type DirectoryRendererOptions } from './renderers/directory.js';
export { HelmRenderer, type HelmRendererOptions } from './renderers/helm.js';
export { ChartCache, type ChartRef, type HelmRunner } from './renderers/helm-charts.js';
export { KustomizeRenderer } from './renderers/kustomize.js';
export { createSourceRenderers, createSourceRenderService, DefaultSourceRenderService } from './renderers/service.js';
export type {
  ApplicationSource,
  GitCheckouts,
  KubeObject,
  RenderSourceInput,
  SourceKind,
  SourceRenderer,
  SourceRenderService,
} from './renderers/types.js';
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_SEARCH_PATH,
  DEFAULT_TOOL_TIMEOUT_MS,
  networkAllowed,
  type SourceToolsConfig,
  type ToolPaths,
  toolPathsFromEnv,
} from './tools.js';
