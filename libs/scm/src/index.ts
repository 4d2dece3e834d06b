export {
  type CommitState,
  type CommitStatus,
  createPullRequestFeedback,
  type FeedbackTarget,
  GiteaFeedback,
  GithubFeedback,
  GitlabFeedback,
  type PullRequestFeedback,
} from './feedback.js';
export { GiteaProvider } from './gitea.js';
export { GithubProvider, githubBaseUrl } from './github.js';
export { GITLAB_DEFAULT_STATE, GitlabProvider } from './gitlab.js';
export { createPullRequestSource, ScmPullRequestSource } from './pull-requests.js';
export type { ProviderOptions, PullRequestProvider, SecretResolver } from './types.js';
