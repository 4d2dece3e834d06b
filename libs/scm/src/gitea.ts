import { z } from 'zod';
import { type PullRequestInfo, SourceError } from '#contracts';
import { apiRoot, collectPages, nextLink } from './http.js';
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

interface GiteaPull {
  number: number;
  title: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels?: Array<{ name?: string }> | null;
  user?: { login?: string } | null;
}

/** Maps one item of Gitea's `GET /repos/{owner}/{repo}/pulls`. */
export function toPullRequestInfo(pull: GiteaPull): PullRequestInfo {
  return {
    number: pull.number,
    title: pull.title,
    branch: pull.head.ref,
    target_branch: pull.base.ref,
    head_sha: pull.head.sha,
    labels: (pull.labels ?? []).map((label) => label.name ?? ''),
    author: pull.user?.login ?? '',
  };
}

/** Open pull requests of a Gitea (or Forgejo) repository, following the `Link` header. */
export class GiteaProvider implements PullRequestProvider {
  readonly key = 'gitea';

  constructor(private readonly options: ProviderOptions) {}

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
        next: (page, url) => {
          const link = nextLink(page.headers.link);
          return link ? new URL(link, url).toString() : undefined;
        },
        map: (item) => toPullRequestInfo(item as GiteaPull),
      },
      this.options,
      this.options.maxPages ?? DEFAULT_MAX_PAGES,
    );
  }
}
