import type { PullRequestInfo } from '#contracts';
import type { PullRequestSource } from '#generators';
import { type ListedPullRequest, previewKey, repositoryKey } from './preview-policy.js';

/**
 * Wraps the SCM source for one render and remembers every pull request it listed, with the
 * provider block that listed it: the preview lifecycle and the feedback need both.
 */
export class RecordingPullRequestSource implements PullRequestSource {
  readonly listed: ListedPullRequest[] = [];
  private index: Map<string, string> | undefined;

  constructor(private readonly inner: PullRequestSource) {}

  async listPullRequests(provider: string, settings: Readonly<Record<string, unknown>>): Promise<PullRequestInfo[]> {
    const pulls = await this.inner.listPullRequests(provider, settings);
    const repository = repositoryKey(provider, settings);
    for (const pull of pulls) this.listed.push({ provider, settings: { ...settings }, repository, pull });
    this.index = undefined;
    return pulls;
  }

  /**
   * The preview an Application's parameters came from, by pull request number and head commit
   * (both are in every pull request generator's parameters, also through a matrix).
   */
  previewOf(params: Readonly<Record<string, unknown>>): string | undefined {
    const { number, head_sha: sha } = params;
    if (typeof sha !== 'string' || (typeof number !== 'string' && typeof number !== 'number')) return undefined;
    this.index ??= new Map(
      this.listed.map((entry) => [`${entry.pull.number}@${entry.pull.head_sha}`, previewKey(entry.repository, entry.pull.number)]),
    );
    return this.index.get(`${number}@${sha}`);
  }
}
