export { type GitCommandOptions, runGit } from './git-command.js';
export { LocalGitRepositories } from './local-git.js';
export type * from './renderers/types.js';
