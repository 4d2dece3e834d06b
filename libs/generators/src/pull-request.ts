import { z } from 'zod';
import { fieldPath, type ParamSet, type PullRequestInfo, SourceError, SpecError } from '#contracts';
import { slugify } from '#templating';
import type { Generator, GeneratorContext } from './generator.js';
import { compileGoRegExp } from './regexp.js';
import { valuesSchema, withTemplatedValues } from './values.js';

/** SCM providers a pull request generator may name; their settings are the provider's concern. */
const PROVIDERS = ['github', 'gitlab', 'gitea', 'bitbucketServer', 'bitbucket', 'azuredevops', 'awsCodeCommit'] as const;
const providerSettings = z.record(z.string(), z.unknown());

const filterSchema = z.strictObject({
  branchMatch: z.string().optional(),
  targetBranchMatch: z.string().optional(),
  titleMatch: z.string().optional(),
});

const pullRequestSchema = z
  .strictObject({
    ...Object.fromEntries(PROVIDERS.map((p) => [p, providerSettings.optional()])),
    filters: z.array(filterSchema).optional(),
    requeueAfterSeconds: z.number().int().nonnegative().optional(),
    values: valuesSchema.optional(),
    template: z.unknown().optional(),
  })
  .superRefine((spec, ctx) => {
    const named = PROVIDERS.filter((p) => (spec as Record<string, unknown>)[p] !== undefined);
    if (named.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `name exactly one provider (${PROVIDERS.join(', ')}), found ${named.length}` });
    }
  });

type PullRequestSpec = z.infer<typeof pullRequestSchema> & Partial<Record<(typeof PROVIDERS)[number], Record<string, unknown>>>;

const FILTER_FIELDS = { branchMatch: 'branch', targetBranchMatch: 'target_branch', titleMatch: 'title' } as const;
type Filter = Array<{ field: (typeof FILTER_FIELDS)[keyof typeof FILTER_FIELDS]; regExp: RegExp }>;

/**
 * The pull request generator: one parameter set per open pull request that passes the
 * provider's label filter and any of the `filters` (all conditions of a filter must hold).
 */
export const pullRequestGenerator: Generator<PullRequestSpec> = {
  key: 'pullRequest',
  schema: pullRequestSchema as z.ZodType<PullRequestSpec>,
  async generate(spec, context) {
    const provider = PROVIDERS.find((p) => spec[p] !== undefined) as (typeof PROVIDERS)[number];
    const settings = spec[provider] ?? {};
    const filters = compileFilters(spec, context);
    const source = context.sources.pullRequests;
    if (!source) throw new SourceError(`${fieldPath(context.path, provider)}: no pull request source is configured`);
    let pulls: PullRequestInfo[];
    try {
      pulls = await source.listPullRequests(provider, settings);
    } catch (error) {
      if (error instanceof SourceError) throw new SourceError(`${fieldPath(context.path, provider)}: ${error.message}`, { cause: error });
      throw error;
    }
    const requiredLabels = Array.isArray(settings.labels) ? settings.labels.map(String) : [];
    return pulls
      .filter((pull) => requiredLabels.every((label) => pull.labels.includes(label)))
      .filter((pull) => filters.length === 0 || filters.some((filter) => filter.every(({ field, regExp }) => regExp.test(pull[field]))))
      .map((pull) => withTemplatedValues(pullRequestParams(pull, context), spec.values, context));
  },
};

function compileFilters(spec: PullRequestSpec, context: GeneratorContext): Filter[] {
  return (spec.filters ?? []).map((filter, i) =>
    Object.entries(FILTER_FIELDS)
      .filter(([key]) => filter[key as keyof typeof filter] !== undefined)
      .map(([key, field]) => {
        const source = filter[key as keyof typeof filter] as string;
        try {
          return { field, regExp: compileGoRegExp(source) };
        } catch (error) {
          throw new SpecError(
            fieldPath(fieldPath(fieldPath(context.path, 'filters'), i), key),
            `invalid regular expression: ${(error as Error).message}`,
          );
        }
      }),
  );
}

function pullRequestParams(pull: PullRequestInfo, context: GeneratorContext): ParamSet {
  const params: ParamSet = {
    number: String(pull.number),
    title: pull.title,
    branch: pull.branch,
    branch_slug: slugify(pull.branch),
    target_branch: pull.target_branch,
    target_branch_slug: slugify(pull.target_branch),
    head_sha: pull.head_sha,
    head_short_sha: pull.head_sha.slice(0, 8),
    head_short_sha_7: pull.head_sha.slice(0, 7),
    author: pull.author,
  };
  // Argo CD exposes labels only to templates that take nested params.
  if (context.mode === 'nested') params.labels = pull.labels;
  return params;
}
