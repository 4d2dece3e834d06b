import { z } from 'zod';
import { type PullRequestInfo, SourceError } from '#contracts';
import { apiRoot, collectPages, type JsonPage, RateLimitGate } from './http.js';
import { parseSettings, resolveToken, tokenRefSchema } from './settings.js';
import { DEFAULT_MAX_PAGES, type ProviderOptions, type PullRequestProvider } from './types.js';

const gitlabSchema = z.object({
  project: z.union([z.string().min(1), z.number().int()]),
  api: z.string().optional(),
  tokenRef: tokenRefSchema.optional(),
  labels: z.array(z.string()).optional(),
  pullRequestState: z.string().optional(),
  insecure: z.boolean().optional(),
});

interface GitlabMergeRequest {
  iid: number;
  title: string;
  source_branch: string;
  target_branch: string;
  sha: string;
  labels?: string[];
  author?: { username?: string } | null;
}

const PUBLIC_API = 'https://gitlab.com';

/**
 * The merge request state asked for when `pullRequestState` is not set. Argo CD sends no
 * state then, and GitLab's default is `all` (open, merged and closed merge requests); we copy
 * that (ADR 0002: same output for the same ApplicationSet). Set `pullRequestState: opened`
 * to list open merge requests only, as Argo CD's documentation recommends.
 */
export const GITLAB_DEFAULT_STATE: string | undefined = undefined;

/** Maps one item of `GET /projects/:id/merge_requests`. */
export function toPullRequestInfo(mr: GitlabMergeRequest): PullRequestInfo {
  return {
    number: mr.iid,
    title: mr.title,
    branch: mr.source_branch,
    target_branch: mr.target_branch,
    head_sha: mr.sha,
    labels: mr.labels ?? [],
    author: mr.author?.username ?? '',
  };
}

/**
 * Merge requests of a GitLab project (`project` is its numeric id or its path), 100 per page,
 * following `x-next-page`. `labels` are sent to the API (as Argo CD does) so fewer pages are
 * read; the generator applies the same filter again, harmlessly.
 */
export class GitlabProvider implements PullRequestProvider {
  readonly key = 'gitlab';

  private readonly rateLimits: RateLimitGate;

  constructor(private readonly options: ProviderOptions) {
    this.rateLimits = new RateLimitGate(options.now ?? Date.now);
  }

  async listPullRequests(raw: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    const settings = parseSettings('gitlab', gitlabSchema, raw);
    const project = String(settings.project);
    if (settings.insecure) {
      throw new SourceError(`gitlab: ${project}: insecure: true (skipping TLS verification) is not supported; trust the CA instead`);
    }
    const token = await resolveToken('gitlab', this.options.secrets, settings.tokenRef);
    const query = new URLSearchParams({ per_page: '100' });
    const state = settings.pullRequestState ?? GITLAB_DEFAULT_STATE;
    if (state) query.set('state', state);
    if (settings.labels?.length) query.set('labels', settings.labels.join(','));
    const root = apiRoot(settings.api ?? PUBLIC_API, '/api/v4');
    const firstUrl = `${root}/projects/${encodeURIComponent(project)}/merge_requests?${query}`;
    return collectPages(
      {
        provider: 'gitlab',
        repository: project,
        firstUrl,
        headers: token ? { 'private-token': token } : {},
        token,
        // Limits are per credential: the key names the API and the secret, never its value.
        gate: {
          limiter: this.rateLimits,
          key: `${root} ${settings.tokenRef ? `${settings.tokenRef.secretName}/${settings.tokenRef.key}` : '-'}`,
        },
        next: nextPage,
        map: (item) => toPullRequestInfo(item as GitlabMergeRequest),
      },
      this.options,
      this.options.maxPages ?? DEFAULT_MAX_PAGES,
    );
  }
}

function nextPage(page: JsonPage, url: string): string | undefined {
  const next = page.headers['x-next-page'];
  if (!next) return undefined;
  const target = new URL(url);
  target.searchParams.set('page', next);
  return target.toString();
}
