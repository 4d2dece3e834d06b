import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import { Planner } from '#plans';
import { createPullRequestFeedback, createPullRequestSource, type PullRequestFeedback, type ScmPullRequestSource } from '#scm';
import {
  createSourceRenderService,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TOOL_TIMEOUT_MS,
  RemoteGitRepositories,
  toolPathsFromEnv,
} from '#sources';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { SecretsService } from '../secrets/secrets.service.js';

/** Injection tokens of the render and plan libraries wired with real I/O. */
export const GIT = Symbol('GIT');
export const PLANNER = Symbol('PLANNER');
export const PULL_REQUESTS = Symbol('PULL_REQUESTS');
export const PR_FEEDBACK = Symbol('PR_FEEDBACK');

/** SCM clients for the pull request generator; tokens come from hub secrets (`tokenRef`). */
export const pullRequestsProvider: Provider = {
  provide: PULL_REQUESTS,
  inject: [SecretsService],
  useFactory: (secrets: SecretsService): ScmPullRequestSource => createPullRequestSource({ secrets }),
};

/** SCM clients that post commit statuses and comments on preview pull requests. */
export const feedbackProvider: Provider = {
  provide: PR_FEEDBACK,
  inject: [SecretsService],
  useFactory: (secrets: SecretsService): ReadonlyMap<string, PullRequestFeedback> => createPullRequestFeedback({ secrets }),
};

/** Git over remote repositories, cached on disk; one per process. */
export const gitProvider: Provider = {
  provide: GIT,
  inject: [HUB_CONFIG],
  useFactory: (config: HubConfig): RemoteGitRepositories =>
    new RemoteGitRepositories({
      cacheDir: join(config.FLOTILLA_CACHE_DIR, 'git'),
      minFetchIntervalMs: 10_000,
      credentials: config.FLOTILLA_GIT_CREDENTIALS,
    }),
};

/** The planner, with its content-addressed render cache, shared by every plan job of the process. */
export const plannerProvider: Provider = {
  provide: PLANNER,
  inject: [HUB_CONFIG, GIT],
  useFactory: (config: HubConfig, git: RemoteGitRepositories): Planner => {
    const tools = toolPathsFromEnv(config.toolEnvironment);
    const renderer = createSourceRenderService({
      helm: tools.helm,
      kustomize: tools.kustomize,
      kubectl: tools.kubectl,
      searchPath: tools.searchPath,
      timeoutMs: DEFAULT_TOOL_TIMEOUT_MS,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
      cacheDir: join(config.FLOTILLA_CACHE_DIR, 'render'),
      allowNetwork: (repoURL) => config.FLOTILLA_RENDER_NETWORK_REPOSITORIES.some((prefix) => prefix === '*' || repoURL.startsWith(prefix)),
    });
    return new Planner({ git, checkouts: git, renderer });
  },
};
