import type { PullRequestInfo } from '#contracts';

/**
 * Resolves a `tokenRef` ({secretName, key}) to the secret's value. The hub backs it with
 * Kubernetes secrets in its namespace, tests with a map. `undefined` means the secret or key
 * does not exist. Values must never be logged or put into error messages.
 */
export interface SecretResolver {
  resolve(secretName: string, key: string): Promise<string | undefined>;
}

/** One SCM provider: lists the pull requests of the repository its settings block names. */
export interface PullRequestProvider {
  /** The pull request generator's provider key (`github`, `gitlab`, `gitea`, ...). */
  readonly key: string;
  listPullRequests(settings: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]>;
}

/** What every provider is constructed with; all fields have working defaults except `secrets`. */
export interface ProviderOptions {
  secrets: SecretResolver;
  /** Per-request timeout; a render must not hang on a stalled API. Default 30 s. */
  timeoutMs?: number;
  /** Stop after this many pages (runaway pagination guard). Default 100. */
  maxPages?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock for rate-limit messages; defaults to `Date.now`. */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_PAGES = 100;
