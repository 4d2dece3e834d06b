import { posix } from 'node:path';
import { z } from 'zod';
import { fieldPath, type ParamSet, RenderError, SourceError, SpecError } from '#contracts';
import { sanitizeName } from '#templating';
import type { Generator, GeneratorContext } from './generator.js';
import { compileGitPathspec, compileGoPathPattern, GlobSyntaxError } from './glob.js';
import { flattenParams } from './params.js';
import type { GitSource, GitTreeEntry } from './sources.js';
import { valuesSchema, withTemplatedValues } from './values.js';
import { parseYaml, yamlErrorReason } from './yaml.js';

const pathItem = z.strictObject({ path: z.string().min(1, 'must not be empty'), exclude: z.boolean().optional() });

const gitSchema = z
  .strictObject({
    repoURL: z.string().min(1, 'must not be empty'),
    revision: z.string().optional(),
    directories: z.array(pathItem).optional(),
    files: z.array(pathItem).optional(),
    pathParamPrefix: z.string().optional(),
    values: valuesSchema.optional(),
    template: z.unknown().optional(),
    requeueAfterSeconds: z.number().int().nonnegative().optional(),
  })
  .superRefine((spec, ctx) => {
    const hasDirectories = (spec.directories?.length ?? 0) > 0;
    const hasFiles = (spec.files?.length ?? 0) > 0;
    if (hasDirectories === hasFiles) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of directories or files' });
    }
  });

type GitSpec = z.infer<typeof gitSchema>;

/**
 * The git generator: one parameter set per matching directory, or per object found in
 * matching JSON/YAML files, of a repository at one commit.
 */
export const gitGenerator: Generator<GitSpec> = {
  key: 'git',
  schema: gitSchema,
  async generate(spec, context) {
    const git = context.sources.git;
    if (!git) throw new SourceError(`${fieldPath(context.path, 'repoURL')}: no git source is configured to read ${spec.repoURL}`);
    const commit = await readFromGit(context, () => git.resolveRevision(spec.repoURL, spec.revision ?? 'HEAD'));
    const tree = await readFromGit(context, () => git.listTree(spec.repoURL, commit));
    const params = spec.directories?.length
      ? directoryParams(selectDirectories(tree, spec.directories, context), spec, context)
      : await fileParams(git, commit, selectFiles(tree, spec.files ?? [], context), spec, context);
    return params.map((p) => withTemplatedValues(p, spec.values, context));
  },
};

async function readFromGit<T>(context: GeneratorContext, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SourceError) throw new SourceError(`${fieldPath(context.path, 'repoURL')}: ${error.message}`, { cause: error });
    throw error;
  }
}

type PathItem = z.infer<typeof pathItem>;

/** Every non-hidden directory of the tree, parents included, as Argo CD walks a checkout. */
function listDirectories(tree: GitTreeEntry[]): string[] {
  return tree
    .filter((entry) => entry.type === 'directory' && !entry.path.split('/').some((segment) => segment.startsWith('.')))
    .map((entry) => entry.path)
    .sort();
}

/** A path is kept when an include pattern matches it and no exclude pattern does. */
function selectDirectories(tree: GitTreeEntry[], items: PathItem[], context: GeneratorContext): string[] {
  const patterns = items.map((item, i) => ({
    exclude: item.exclude ?? false,
    regExp: compilePattern(() => compileGoPathPattern(item.path), fieldPath(fieldPath(fieldPath(context.path, 'directories'), i), 'path')),
  }));
  return listDirectories(tree).filter((dir) => {
    const matching = patterns.filter((p) => p.regExp.test(dir));
    return matching.some((p) => !p.exclude) && !matching.some((p) => p.exclude);
  });
}

function selectFiles(tree: GitTreeEntry[], items: PathItem[], context: GeneratorContext): string[] {
  const patterns = items.map((item, i) => ({
    exclude: item.exclude ?? false,
    matches: compilePattern(() => compileGitPathspec(item.path), fieldPath(fieldPath(fieldPath(context.path, 'files'), i), 'path')),
  }));
  return tree
    .filter((entry) => entry.type === 'file' || entry.type === 'symlink')
    .map((entry) => entry.path)
    .filter((file) => patterns.some((p) => !p.exclude && p.matches(file)) && !patterns.some((p) => p.exclude && p.matches(file)))
    .sort();
}

function compilePattern<T>(compile: () => T, path: string): T {
  try {
    return compile();
  } catch (error) {
    if (error instanceof GlobSyntaxError) throw new SpecError(path, `invalid pattern: ${error.message}`);
    throw error;
  }
}

function pathParamName(spec: GitSpec): string {
  return spec.pathParamPrefix ? `${spec.pathParamPrefix}.path` : 'path';
}

function directoryParams(directories: string[], spec: GitSpec, context: GeneratorContext): ParamSet[] {
  return directories.map((dir) => {
    const basename = posix.basename(dir);
    if (context.mode === 'nested') {
      return nestPathParam({ path: dir, basename, basenameNormalized: sanitizeName(basename), segments: dir.split('/') }, spec);
    }
    const name = pathParamName(spec);
    const params: ParamSet = { [name]: dir, [`${name}.basename`]: basename, [`${name}.basenameNormalized`]: sanitizeName(basename) };
    addSegments(params, name, dir);
    return params;
  });
}

function nestPathParam(path: Record<string, unknown>, spec: GitSpec): ParamSet {
  return spec.pathParamPrefix ? { [spec.pathParamPrefix]: { path } } : { path };
}

function addSegments(params: ParamSet, name: string, path: string): void {
  path.split('/').forEach((segment, i) => {
    if (segment.length > 0) params[`${name}[${i}]`] = segment;
  });
}

async function fileParams(git: GitSource, commit: string, files: string[], spec: GitSpec, context: GeneratorContext): Promise<ParamSet[]> {
  const out: ParamSet[] = [];
  for (const file of files) {
    const content = await readFromGit(context, () => git.readFile(spec.repoURL, commit, file));
    for (const object of parseParamFile(file, content, context)) out.push(paramsFromFileObject(file, object, spec, context));
  }
  return out;
}

/**
 * A file holds one object or a list of objects; an empty file is one empty object and an
 * empty list is none (Argo CD: the empty file decodes into a map, `[]` only into a list).
 */
function parseParamFile(file: string, content: string, context: GeneratorContext): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(content);
  } catch (error) {
    throw new RenderError(fieldPath(context.path, 'files'), `${file}: not valid JSON or YAML: ${yamlErrorReason(error)}`);
  }
  if (parsed === null || parsed === undefined) return [{}];
  const objects = Array.isArray(parsed) ? parsed : [parsed];
  for (const object of objects) {
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      throw new RenderError(fieldPath(context.path, 'files'), `${file}: must hold a map or a list of maps`);
    }
  }
  return objects as Record<string, unknown>[];
}

function paramsFromFileObject(file: string, object: Record<string, unknown>, spec: GitSpec, context: GeneratorContext): ParamSet {
  const dir = posix.dirname(file);
  const basename = posix.basename(dir);
  const filename = posix.basename(file);
  if (context.mode === 'nested') {
    const path = {
      path: dir,
      basename,
      filename,
      basenameNormalized: sanitizeName(basename),
      filenameNormalized: sanitizeName(filename),
      segments: dir.split('/'),
    };
    return { ...object, ...nestPathParam(path, spec) };
  }
  const name = pathParamName(spec);
  const params: ParamSet = {
    ...flattenParams(object),
    [name]: dir,
    [`${name}.basename`]: basename,
    [`${name}.filename`]: filename,
    [`${name}.basenameNormalized`]: sanitizeName(basename),
    [`${name}.filenameNormalized`]: sanitizeName(filename),
  };
  addSegments(params, name, dir);
  return params;
}
