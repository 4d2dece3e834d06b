import { z } from 'zod';
import { type PullRequestInfo, SourceError } from '#contracts';
import { type GithubPull, toPullRequestInfo } from './github.js';
import { apiRoot, collectPages, nextLink, RateLimitGate } from './http.js';
import { parseSettings, resolveToken, tokenRefSchema } from './settings.js';
import { DEFAULT_MAX_PAGES, type ProviderOptions, type PullRequestProvider } from './types.js';

const giteaSchema = z.object({
  owner: z.string().min(1),
  repo: z.string().min(1),
  api: z.string().min(1),
  tokenRef: tokenRefSchema.optional(),
  insecure: z.boolean().optional(),
  labels: z.array(z.string()).optional(),
});

/** Open pull requests of a Gitea (or Forgejo) repository, following the `Link` header. */
export class GiteaProvider implements PullRequestProvider {
  readonly key = 'gitea';

  private readonly rateLimits: RateLimitGate;

  constructor(private readonly options: ProviderOptions) {
    this.rateLimits = new RateLimitGate(options.now ?? Date.now);
  }

  async listPullRequests(raw: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    const settings = parseSettings('gitea', giteaSchema, raw);
    const repository = `${settings.owner}/${settings.repo}`;
    if (settings.insecure) {
      throw new SourceError(`gitea: ${repository}: insecure: true (skipping TLS verification) is not supported; trust the CA instead`);
    }
    const token = await resolveToken('gitea', this.options.secrets, settings.tokenRef);
    const root = apiRoot(settings.api, '/api/v1');
    const firstUrl = `${root}/repos/${encodeURIComponent(settings.owner)}/${encodeURIComponent(settings.repo)}/pulls?state=open&limit=50`;
    return collectPages(
      {
        provider: 'gitea',
        repository,
        firstUrl,
        headers: token ? { authorization: `token ${token}` } : {},
        token,
        // Limits are per credential: the key names the API and the secret, never its value.
        gate: {
          limiter: this.rateLimits,
          key: `${root} ${settings.tokenRef ? `${settings.tokenRef.secretName}/${settings.tokenRef.key}` : '-'}`,
        },
        next: (page, url) => {
          const link = nextLink(page.headers.link);
          return link ? new URL(link, url).toString() : undefined;
        },
        // Gitea's pull request objects have GitHub's shape.
        map: (item) => toPullRequestInfo(item as GithubPull),
      },
      this.options,
      this.options.maxPages ?? DEFAULT_MAX_PAGES,
    );
  }
}
