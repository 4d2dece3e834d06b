import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { SourceError } from '#contracts';
import { githubBaseUrl } from './github.js';
import { apiRoot, networkReason, rateLimitReason, statusReason, timedFetch } from './http.js';
import { parseSettings, resolveToken, scrub, tokenRefSchema } from './settings.js';
import type { ProviderOptions } from './types.js';

/**
 * Reporting back to a pull request: a commit status on its head commit and one comment that
 * is edited in place. Same provider blocks (and tokens) as the pull request generator.
 */

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: CommitState;
  /** Identifies the status among others on the commit, e.g. `flotilla/previews-shop`. */
  context: string;
  description: string;
  targetUrl?: string;
}

export interface FeedbackTarget {
  /** The pull request generator's provider block (owner/repo or project, api, tokenRef). */
  settings: Readonly<Record<string, unknown>>;
  number: number;
}

export interface PullRequestFeedback {
  readonly key: string;
  setCommitStatus(target: FeedbackTarget, sha: string, status: CommitStatus): Promise<void>;
  /** Edits comment `commentId` when given and still there, else creates one; returns the comment's id. */
  upsertComment(target: FeedbackTarget, body: string, commentId?: string): Promise<string>;
}

const ownerRepo = z.object({
  owner: z.string().min(1),
  repo: z.string().min(1),
  api: z.string().optional(),
  tokenRef: tokenRefSchema.optional(),
});
const gitlabProject = z.object({
  project: z.union([z.string().min(1), z.number().int()]),
  api: z.string().optional(),
  tokenRef: tokenRefSchema.optional(),
});

/** Argo CD's description limit on GitHub is 140 characters; longer ones are refused. */
const truncate = (text: string, max = 140): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

class FeedbackError extends SourceError {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Edits comment `commentId` when given; when it is gone (404: someone deleted it), or there is
 * none yet, creates one. Returns the id of the comment that now holds the body.
 */
async function editOrCreate(
  commentId: string | undefined,
  edit: (id: string) => Promise<unknown>,
  create: () => Promise<string>,
): Promise<string> {
  if (commentId) {
    try {
      await edit(commentId);
      return commentId;
    } catch (error) {
      if (!(error instanceof FeedbackError && error.status === 404)) throw error;
    }
  }
  return create();
}

/** GitHub (and GitHub Enterprise) through octokit. */
export class GithubFeedback implements PullRequestFeedback {
  readonly key = 'github';

  constructor(private readonly options: ProviderOptions) {}

  async setCommitStatus(target: FeedbackTarget, sha: string, status: CommitStatus): Promise<void> {
    const { octokit, owner, repo, token } = await this.client(target);
    await this.call(token, `set the commit status of ${owner}/${repo}@${sha.slice(0, 8)}`, () =>
      octokit.rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state: status.state,
        context: status.context,
        description: truncate(status.description),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      }),
    );
  }

  async upsertComment(target: FeedbackTarget, body: string, commentId?: string): Promise<string> {
    const { octokit, owner, repo, token } = await this.client(target);
    const where = `${owner}/${repo}#${target.number}`;
    return editOrCreate(
      commentId,
      (id) =>
        this.call(token, `update the comment on ${where}`, () =>
          octokit.rest.issues.updateComment({ owner, repo, comment_id: Number(id), body }),
        ),
      async () => {
        const created = await this.call(token, `comment on ${where}`, () =>
          octokit.rest.issues.createComment({ owner, repo, issue_number: target.number, body }),
        );
        return String(created.data.id);
      },
    );
  }

  private async client(target: FeedbackTarget) {
    const settings = parseSettings('github', ownerRepo, target.settings);
    const token = await resolveToken('github', this.options.secrets, settings.tokenRef);
    const octokit = new Octokit({
      ...(token ? { auth: token } : {}),
      baseUrl: githubBaseUrl(settings.api),
      userAgent: 'flotilla',
      log: { debug() {}, info() {}, warn() {}, error() {} },
      request: { fetch: timedFetch(this.options), retries: 0 },
    });
    return { octokit, owner: settings.owner, repo: settings.repo, token };
  }

  private async call<T>(token: string | undefined, what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const { status, response } = error as { status?: number; response?: { headers?: Record<string, string> } };
      const reason =
        status === undefined || response === undefined
          ? networkReason((error as { cause?: unknown }).cause ?? error)
          : (rateLimitReason(status, response.headers ?? {}, (this.options.now ?? Date.now)()) ?? statusReason(status));
      throw new FeedbackError(status, scrub(`github: cannot ${what}: ${reason}`, token));
    }
  }
}

interface JsonCall {
  provider: string;
  method: 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: unknown;
  token: string | undefined;
  what: string;
}

async function sendJson(call: JsonCall, options: ProviderOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await timedFetch(options)(call.url, {
      method: call.method,
      headers: { accept: 'application/json', 'content-type': 'application/json', ...call.headers },
      body: JSON.stringify(call.body),
    });
  } catch (error) {
    throw new FeedbackError(undefined, scrub(`${call.provider}: cannot ${call.what}: ${networkReason(error)}`, call.token));
  }
  if (!response.ok) {
    await response.body?.cancel();
    const headers = Object.fromEntries(response.headers);
    const reason = rateLimitReason(response.status, headers, (options.now ?? Date.now)()) ?? statusReason(response.status);
    throw new FeedbackError(response.status, scrub(`${call.provider}: cannot ${call.what}: ${reason}`, call.token));
  }
  return response.status === 204 ? undefined : response.json().catch(() => undefined);
}

/** Gitea (and Forgejo): GitHub's paths under `/api/v1`. */
export class GiteaFeedback implements PullRequestFeedback {
  readonly key = 'gitea';

  constructor(private readonly options: ProviderOptions) {}

  async setCommitStatus(target: FeedbackTarget, sha: string, status: CommitStatus): Promise<void> {
    const { root, headers, token, name } = await this.context(target);
    await sendJson(
      {
        provider: 'gitea',
        method: 'POST',
        url: `${root}/statuses/${encodeURIComponent(sha)}`,
        headers,
        token,
        what: `set the commit status of ${name}@${sha.slice(0, 8)}`,
        body: {
          state: status.state,
          context: status.context,
          description: truncate(status.description),
          target_url: status.targetUrl ?? '',
        },
      },
      this.options,
    );
  }

  async upsertComment(target: FeedbackTarget, body: string, commentId?: string): Promise<string> {
    const { root, headers, token, name } = await this.context(target);
    const where = `${name}#${target.number}`;
    const call = { provider: 'gitea', headers, token, body: { body } };
    return editOrCreate(
      commentId,
      (id) =>
        sendJson({ ...call, method: 'PATCH', url: `${root}/issues/comments/${id}`, what: `update the comment on ${where}` }, this.options),
      async () => {
        const created = await sendJson(
          { ...call, method: 'POST', url: `${root}/issues/${target.number}/comments`, what: `comment on ${where}` },
          this.options,
        );
        return String((created as { id?: number } | undefined)?.id ?? '');
      },
    );
  }

  private async context(target: FeedbackTarget) {
    const settings = parseSettings('gitea', ownerRepo.extend({ api: z.string().min(1) }), target.settings);
    const token = await resolveToken('gitea', this.options.secrets, settings.tokenRef);
    const root = `${apiRoot(settings.api, '/api/v1')}/repos/${encodeURIComponent(settings.owner)}/${encodeURIComponent(settings.repo)}`;
    const headers: Record<string, string> = token ? { authorization: `token ${token}` } : {};
    return { root, token, headers, name: `${settings.owner}/${settings.repo}` };
  }
}

/** GitLab: commit statuses and merge request notes. */
export class GitlabFeedback implements PullRequestFeedback {
  readonly key = 'gitlab';

  constructor(private readonly options: ProviderOptions) {}

  async setCommitStatus(target: FeedbackTarget, sha: string, status: CommitStatus): Promise<void> {
    const { root, headers, token, name } = await this.context(target);
    // GitLab's states: pending, running, success, failed, canceled.
    const state = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' }[status.state];
    await sendJson(
      {
        provider: 'gitlab',
        method: 'POST',
        url: `${root}/statuses/${encodeURIComponent(sha)}`,
        headers,
        token,
        what: `set the commit status of ${name}@${sha.slice(0, 8)}`,
        body: {
          state,
          name: status.context,
          description: truncate(status.description, 255),
          ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        },
      },
      this.options,
    );
  }

  async upsertComment(target: FeedbackTarget, body: string, commentId?: string): Promise<string> {
    const { root, headers, token, name } = await this.context(target);
    const notes = `${root}/merge_requests/${target.number}/notes`;
    const where = `${name}!${target.number}`;
    const call = { provider: 'gitlab', headers, token, body: { body } };
    return editOrCreate(
      commentId,
      (id) => sendJson({ ...call, method: 'PUT', url: `${notes}/${id}`, what: `update the note on ${where}` }, this.options),
      async () => {
        const created = await sendJson({ ...call, method: 'POST', url: notes, what: `comment on ${where}` }, this.options);
        return String((created as { id?: number } | undefined)?.id ?? '');
      },
    );
  }

  private async context(target: FeedbackTarget) {
    const settings = parseSettings('gitlab', gitlabProject, target.settings);
    const token = await resolveToken('gitlab', this.options.secrets, settings.tokenRef);
    const project = String(settings.project);
    const root = `${apiRoot(settings.api ?? 'https://gitlab.com', '/api/v4')}/projects/${encodeURIComponent(project)}`;
    const headers: Record<string, string> = token ? { 'private-token': token } : {};
    return { root, token, headers, name: project };
  }
}

/** The feedback clients Flotilla ships, by provider key. */
export function createPullRequestFeedback(options: ProviderOptions): ReadonlyMap<string, PullRequestFeedback> {
  return new Map<string, PullRequestFeedback>([
    ['github', new GithubFeedback(options)],
    ['gitlab', new GitlabFeedback(options)],
    ['gitea', new GiteaFeedback(options)],
  ]);
}
