import { type PullRequestInfo, SourceError } from '#contracts';
import type { PullRequestSource } from '#generators';
import { GiteaProvider } from './gitea.js';
import { GithubProvider } from './github.js';
import { GitlabProvider } from './gitlab.js';
import type { ProviderOptions, PullRequestProvider } from './types.js';

/**
 * The hub's `PullRequestSource`: dispatches a pull request generator's provider block to the
 * provider registered under its key. Providers the registry lacks fail with a `SourceError`
 * (the deletion guard then keeps the previous output).
 */
export class ScmPullRequestSource implements PullRequestSource {
  private readonly providers: ReadonlyMap<string, PullRequestProvider>;

  constructor(providers: readonly PullRequestProvider[]) {
    this.providers = new Map(providers.map((provider) => [provider.key, provider]));
  }

  listPullRequests(provider: string, settings: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    const implementation = this.providers.get(provider);
    if (!implementation) {
      const known = [...this.providers.keys()].join(', ');
      return Promise.reject(new SourceError(`pull request provider ${provider} is not supported (supported: ${known})`));
    }
    return implementation.listPullRequests(settings);
  }
}

/** The providers Flotilla ships, sharing one secret resolver and HTTP options. */
export function createPullRequestSource(options: ProviderOptions): ScmPullRequestSource {
  return new ScmPullRequestSource([new GithubProvider(options), new GitlabProvider(options), new GiteaProvider(options)]);
}
