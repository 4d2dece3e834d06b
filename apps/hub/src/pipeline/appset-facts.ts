/** Facts about a stored ApplicationSet document the pipeline uses to decide what a change touches. */

function generatorsOf(document: unknown): unknown[] {
  const spec = (document as { spec?: { generators?: unknown[] } } | null)?.spec;
  return Array.isArray(spec?.generators) ? spec.generators : [];
}

function walkGenerators(entries: unknown[], visit: (key: string, block: Record<string, unknown>) => void): void {
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') continue;
    for (const [key, block] of Object.entries(entry)) {
      if (block === null || typeof block !== 'object' || key === 'selector') continue;
      visit(key, block as Record<string, unknown>);
      const nested = (block as { generators?: unknown[] }).generators;
      if ((key === 'matrix' || key === 'merge') && Array.isArray(nested)) walkGenerators(nested, visit);
    }
  }
}

/** True when some generator, at any nesting level, reads the cluster list. */
export function usesClusterGenerator(document: unknown): boolean {
  let found = false;
  walkGenerators(generatorsOf(document), (key) => {
    if (key === 'clusters') found = true;
  });
  return found;
}

/** Generators whose output follows from the document and the registered clusters alone. */
const HUB_STATE_GENERATORS = new Set(['list', 'clusters', 'matrix', 'merge']);

/**
 * True when every generator, at any nesting level, reads only the document and the registered
 * clusters (no git, pull requests or other outside source): rendering it again with the same
 * document and clusters gives the same Applications.
 */
export function readsOnlyHubState(document: unknown): boolean {
  let closed = generatorsOf(document).length > 0;
  walkGenerators(generatorsOf(document), (key) => {
    if (!HUB_STATE_GENERATORS.has(key)) closed = false;
  });
  return closed;
}

/** Repository URLs named literally by git generators (templated ones are learnt at render time). */
export function referencedRepositories(document: unknown): string[] {
  const urls: string[] = [];
  walkGenerators(generatorsOf(document), (key, block) => {
    if (key === 'git' && typeof block.repoURL === 'string' && !block.repoURL.includes('{{')) urls.push(block.repoURL);
  });
  return urls;
}

/** A pull request generator's provider block, as named in the document (for webhooks and polling). */
export interface PullRequestGeneratorFacts {
  provider: string;
  settings: Record<string, unknown>;
  /** `requeueAfterSeconds` when set. */
  requeueAfterSeconds?: number;
}

const PULL_REQUEST_PROVIDERS = ['github', 'gitlab', 'gitea', 'bitbucketServer', 'bitbucket', 'azuredevops', 'awsCodeCommit'];

/** Every pull request generator of the document, at any nesting level. */
export function pullRequestGenerators(document: unknown): PullRequestGeneratorFacts[] {
  const found: PullRequestGeneratorFacts[] = [];
  walkGenerators(generatorsOf(document), (key, block) => {
    if (key !== 'pullRequest') return;
    const provider = PULL_REQUEST_PROVIDERS.find((name) => block[name] !== null && typeof block[name] === 'object');
    if (!provider) return;
    const facts: PullRequestGeneratorFacts = { provider, settings: block[provider] as Record<string, unknown> };
    if (typeof block.requeueAfterSeconds === 'number') facts.requeueAfterSeconds = block.requeueAfterSeconds;
    found.push(facts);
  });
  return found;
}
