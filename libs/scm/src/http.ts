import { SourceError } from '#contracts';
import { scrub } from './settings.js';
import { DEFAULT_TIMEOUT_MS, type ProviderOptions } from './types.js';

/** Response headers as a plain lower-case record (what octokit hands back, and what we build from fetch). */
export type HeaderRecord = Readonly<Record<string, string | number | undefined>>;

/** A `fetch` that gives up after the configured timeout. */
export function timedFetch(options: ProviderOptions): typeof fetch {
  const base = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return base(input, { ...init, signal });
  };
}

/**
 * Why a request was refused when the provider says it is rate limited: GitHub answers 403 or
 * 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds), GitLab 429 with
 * `ratelimit-reset`, secondary limits carry `retry-after` (seconds). We never sleep inside a
 * render for this: the reason tells when to retry and the caller's requeue does the rest.
 */
export function rateLimitReason(status: number, headers: HeaderRecord, now: number): string | undefined {
  const limit = rateLimit(status, headers, now);
  if (!limit) return undefined;
  return limit.resetAt === undefined ? 'rate limit exceeded' : resetReason(limit.resetAt, now);
}

function resetReason(resetAt: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((resetAt - now) / 1000));
  return `rate limit exceeded; resets at ${new Date(resetAt).toISOString()} (in ${seconds}s)`;
}

/** Whether a response says "rate limited", and until when if it says. */
function rateLimit(status: number, headers: HeaderRecord, now: number): { resetAt?: number } | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = Number(headers['retry-after']);
  const remaining = headers['x-ratelimit-remaining'] ?? headers['ratelimit-remaining'];
  const reset = Number(headers['x-ratelimit-reset'] ?? headers['ratelimit-reset']);
  if (Number.isFinite(retryAfter) && headers['retry-after'] !== undefined) return { resetAt: now + retryAfter * 1000 };
  if (String(remaining) === '0' && Number.isFinite(reset)) return { resetAt: reset * 1000 };
  if (String(remaining) === '0' || status === 429) return {};
  return undefined;
}

/**
 * Backs off after a rate limit: once a provider said "limited until T" for a credential, calls
 * with that credential fail at once, without a request, until T. Webhooks and polls keep
 * triggering renders; this keeps them from spending (or being banned for) requests meanwhile.
 */
export class RateLimitGate {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The reason `key` is held back, or `undefined` when it may call. */
  blocked(key: string): string | undefined {
    const until = this.until.get(key);
    if (until === undefined) return undefined;
    const now = this.now();
    if (now >= until) {
      this.until.delete(key);
      return undefined;
    }
    return `${resetReason(until, now)}; not calling the API until then`;
  }

  /** Notes a response: a rate limit with a reset time holds `key` back until then. */
  record(key: string, status: number, headers: HeaderRecord): void {
    const resetAt = rateLimit(status, headers, this.now())?.resetAt;
    if (resetAt !== undefined) this.until.set(key, resetAt);
  }
}

/** A short, token-free reason for an HTTP failure status. */
export function statusReason(status: number): string {
  if (status === 401) return 'HTTP 401 unauthorized: the token is missing, invalid or expired';
  if (status === 403) return 'HTTP 403 forbidden: the token lacks access to the repository';
  if (status === 404) return 'HTTP 404 not found: the repository does not exist or the token cannot see it';
  if (status >= 500) return `HTTP ${status} server error from the provider`;
  return `HTTP ${status}`;
}

/** The reason a request never got an answer (DNS, refused connection, TLS, timeout). */
export function networkReason(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.cause?.code === 'UND_ERR_CONNECT_TIMEOUT') return 'API unreachable: request timed out';
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
  return `API unreachable: ${detail}`;
}

export interface JsonPage {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface JsonRequest {
  provider: string;
  repository: string;
  url: string;
  headers: Record<string, string>;
  token: string | undefined;
  /** Rate-limit backoff shared by the provider's calls with one credential. */
  gate?: { limiter: RateLimitGate; key: string };
}

/** GETs a JSON page; any failure becomes a `SourceError` naming provider and repository, never the token. */
export async function getJson(request: JsonRequest, options: ProviderOptions): Promise<JsonPage> {
  const fail = (reason: string, cause?: unknown): SourceError =>
    new SourceError(scrub(`${request.provider}: cannot list pull requests of ${request.repository}: ${reason}`, request.token), {
      cause,
    });
  const held = request.gate?.limiter.blocked(request.gate.key);
  if (held) throw fail(held);
  let response: Response;
  try {
    response = await timedFetch(options)(request.url, { headers: { accept: 'application/json', ...request.headers } });
  } catch (error) {
    throw fail(networkReason(error), error);
  }
  const headers = Object.fromEntries(response.headers);
  if (!response.ok && response.status !== 304) {
    await response.body?.cancel();
    request.gate?.limiter.record(request.gate.key, response.status, headers);
    const now = (options.now ?? Date.now)();
    throw fail(rateLimitReason(response.status, headers, now) ?? statusReason(response.status));
  }
  let body: unknown;
  try {
    body = response.status === 304 ? undefined : await response.json();
  } catch {
    throw fail('the response is not JSON');
  }
  return { status: response.status, headers, body };
}

/** The `rel="next"` target of an RFC 8288 `Link` header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (match?.[2] && /\brel="?([^";]*\s)?next(\s[^";]*)?"?/.test(match[2])) return match[1];
  }
  return undefined;
}

export interface PagedListing<T> {
  provider: string;
  repository: string;
  firstUrl: string;
  headers: Record<string, string>;
  token: string | undefined;
  gate?: { limiter: RateLimitGate; key: string };
  /** The next page's URL, or `undefined` after the last page. */
  next(page: JsonPage, url: string): string | undefined;
  map(item: unknown): T;
}

/** Follows a paginated JSON listing to its end, bounded by `maxPages`. */
export async function collectPages<T>(listing: PagedListing<T>, options: ProviderOptions, maxPages: number): Promise<T[]> {
  const items: T[] = [];
  let url: string | undefined = listing.firstUrl;
  for (let count = 0; url !== undefined; count++) {
    if (count >= maxPages) {
      throw new SourceError(`${listing.provider}: cannot list pull requests of ${listing.repository}: more than ${count} pages`);
    }
    const page = await getJson({ ...listing, url }, options);
    if (!Array.isArray(page.body)) {
      throw new SourceError(`${listing.provider}: cannot list pull requests of ${listing.repository}: the response is not a list`);
    }
    items.push(...page.body.map((item) => listing.map(item)));
    url = listing.next(page, url);
  }
  return items;
}

/** Joins an API root (`https://host/prefix`) and a versioned path, appending `suffix` unless present. */
export function apiRoot(base: string, suffix: string): string {
  const url = new URL(base);
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(suffix)) path += suffix;
  url.pathname = path;
  url.search = '';
  return url.toString().replace(/\/$/, '');
}
