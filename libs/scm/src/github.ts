import { Octokit } from '@octokit/rest';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { type PullRequestInfo, SourceError } from '#contracts';
import { type HeaderRecord, networkReason, nextLink, RateLimitGate, rateLimitReason, statusReason, timedFetch } from './http.js';
import { parseSettings, resolveToken, scrub, tokenRefSchema } from './settings.js';
import { DEFAULT_MAX_PAGES, type ProviderOptions, type PullRequestProvider } from './types.js';

const githubSchema = z.object({
  owner: z.string().min(1),
  repo: z.string().min(1),
  api: z.string().optional(),
  tokenRef: tokenRefSchema.optional(),
  appSecretName: z.string().optional(),
  labels: z.array(z.string()).optional(),
});

type GithubSettings = z.infer<typeof githubSchema>;

interface CachedPage {
  etag: string;
  pulls: PullRequestInfo[];
  next: string | undefined;
}

/** A pull request as GitHub's REST API (and Gitea's, which copies it) returns it. */
export interface GithubPull {
  number: number;
  title: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels?: Array<string | { name?: string }> | null;
  user?: { login?: string } | null;
}

interface RequestErrorLike {
  status?: number;
  response?: { headers?: HeaderRecord };
}

const PUBLIC_API = 'https://api.github.com';
const SILENT_LOG = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * GitHub's base URL for an Argo CD `api` field. Like go-github's `WithEnterpriseURLs` (what
 * Argo CD calls), `/api/v3` is appended unless the URL already ends with it or the host is an
 * `api.` host (GitHub Enterprise Cloud with data residency).
 */
export function githubBaseUrl(api: string | undefined): string {
  if (!api) return PUBLIC_API;
  const url = new URL(api);
  let path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  if (!path.endsWith('/api/v3/') && !url.host.startsWith('api.') && !url.host.includes('.api.')) path += 'api/v3/';
  url.pathname = path;
  return url.toString().replace(/\/$/, '');
}

/** Maps one item of `GET /repos/{owner}/{repo}/pulls` (GitHub, Gitea) to the generator's pull request. */
export function toPullRequestInfo(pull: GithubPull): PullRequestInfo {
  return {
    number: pull.number,
    title: pull.title,
    branch: pull.head.ref,
    target_branch: pull.base.ref,
    head_sha: pull.head.sha,
    labels: (pull.labels ?? []).map((label) => (typeof label === 'string' ? label : (label.name ?? ''))),
    author: pull.user?.login ?? '',
  };
}

/**
 * Open pull requests of a GitHub (or GitHub Enterprise) repository, as Argo CD lists them:
 * every open pull request, drafts included (Argo CD has no draft filter), 100 per page.
 * `labels` are not sent: GitHub's pulls endpoint has no label filter, and the generator
 * applies the label filter itself.
 *
 * Every page is requested with `If-None-Match` when we hold its ETag; GitHub answers an
 * unchanged page with 304, which does not count against the rate limit for authenticated
 * requests, and we reuse the cached page. Pages are cached one by one (not just the first)
 * because a change on page 3 does not change page 1's ETag.
 */
export class GithubProvider implements PullRequestProvider {
  readonly key = 'github';
  private readonly pages: LRUCache<string, CachedPage>;
  private readonly rateLimits: RateLimitGate;

  constructor(
    private readonly options: ProviderOptions,
    cacheSize = 500,
  ) {
    this.pages = new LRUCache({ max: cacheSize });
    this.rateLimits = new RateLimitGate(options.now ?? Date.now);
  }

  async listPullRequests(raw: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    const settings = parseSettings('github', githubSchema, raw);
    const repository = `${settings.owner}/${settings.repo}`;
    if (settings.appSecretName !== undefined) {
      throw new SourceError(`github: ${repository}: GitHub App authentication (appSecretName) is not supported yet; use tokenRef`);
    }
    const token = await resolveToken('github', this.options.secrets, settings.tokenRef);
    const octokit = this.client(settings, token);
    // The cache key names the credential (not its value): ETags vary with what the token may see.
    const scope = `${githubBaseUrl(settings.api)} ${settings.tokenRef ? `${settings.tokenRef.secretName}/${settings.tokenRef.key}` : '-'}`;
    const held = this.rateLimits.blocked(scope);
    if (held) throw new SourceError(`github: cannot list pull requests of ${repository}: ${held}`);
    const pulls: PullRequestInfo[] = [];
    let url: string | undefined =
      `/repos/${encodeURIComponent(settings.owner)}/${encodeURIComponent(settings.repo)}/pulls?state=open&per_page=100`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= (this.options.maxPages ?? DEFAULT_MAX_PAGES)) {
        throw new SourceError(`github: cannot list pull requests of ${repository}: more than ${page} pages`);
      }
      const result = await this.fetchPage(octokit, `${scope} ${url}`, url, { repository, token, scope });
      pulls.push(...result.pulls);
      url = result.next;
    }
    return pulls;
  }

  private client(settings: GithubSettings, token: string | undefined): Octokit {
    return new Octokit({
      ...(token ? { auth: token } : {}),
      baseUrl: githubBaseUrl(settings.api),
      userAgent: 'flotilla',
      log: SILENT_LOG,
      request: { fetch: timedFetch(this.options) },
    });
  }

  private async fetchPage(
    octokit: Octokit,
    cacheKey: string,
    url: string,
    context: { repository: string; token: string | undefined; scope: string },
  ): Promise<CachedPage> {
    const cached = this.pages.get(cacheKey);
    try {
      const response = await octokit.request({ method: 'GET', url, headers: cached ? { 'if-none-match': cached.etag } : {} });
      const page: CachedPage = {
        etag: String(response.headers.etag ?? ''),
        pulls: (response.data as GithubPull[]).map(toPullRequestInfo),
        next: nextLink(response.headers.link),
      };
      if (page.etag) this.pages.set(cacheKey, page);
      else this.pages.delete(cacheKey);
      return page;
    } catch (error) {
      const status = (error as RequestErrorLike).status;
      if (status === 304 && cached) return cached;
      throw this.toSourceError(error, context);
    }
  }

  private toSourceError(error: unknown, context: { repository: string; token: string | undefined; scope: string }): SourceError {
    const { status, response } = error as RequestErrorLike;
    if (status !== undefined && response !== undefined) this.rateLimits.record(context.scope, status, response.headers ?? {});
    let reason: string;
    if (status === undefined || response === undefined) reason = networkReason((error as { cause?: unknown }).cause ?? error);
    else reason = rateLimitReason(status, response.headers ?? {}, (this.options.now ?? Date.now)()) ?? statusReason(status);
    const message = scrub(`github: cannot list pull requests of ${context.repository}: ${reason}`, context.token);
    return new SourceError(message, { cause: error });
  }
}
