import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SourceError } from '#contracts';
import { type BuildEnv, buildEnv, envsubst } from '../envsubst.js';
import { parseToolOutput } from '../manifests.js';
import { resolveAppDir, resolveFileInside, SymlinkGuard } from '../paths.js';
import { runProcess, ToolNotFoundError } from '../process.js';
import { withTempDir } from '../temp.js';
import { networkAllowed, type SourceToolsConfig } from '../tools.js';
import { Fields, isEmptyBlock } from './fields.js';
import { baseEnv, explainOffline, type ToolDirs, toolDirs } from './tool-env.js';
import type { KubeObject, RenderSourceInput, SourceRenderer } from './types.js';

/** Fields that only qualify others; alone they change nothing. */
const MODIFIERS = new Set([
  'version',
  'kubeVersion',
  'apiVersions',
  'forceCommonLabels',
  'forceCommonAnnotations',
  'commonAnnotationsEnvsubst',
  'labelWithoutSelector',
  'labelIncludeTemplates',
  'ignoreMissingComponents',
]);

/**
 * `kustomize build` of `source.path` with kustomize's default load restrictor, falling
 * back to `kubectl kustomize` when no kustomize binary is available.
 *
 * Argo CD applies the Application's `kustomize` options with `kustomize edit` inside its
 * own checkout. The checkout here is shared and read-only, so the options go into a
 * wrapper kustomization in a temporary directory that lists `source.path` as its only
 * resource. For most options that gives the same objects; see docs/sources.md for where
 * it differs (a namePrefix/nameSuffix is added to one the kustomization already has).
 */
export class KustomizeRenderer implements SourceRenderer {
  readonly kind = 'kustomize';
  private readonly dirs: ToolDirs;
  private readonly guard: SymlinkGuard;
  private kustomizeMissing = false;

  constructor(
    private readonly config: SourceToolsConfig,
    options: { guard?: SymlinkGuard } = {},
  ) {
    this.dirs = toolDirs(config);
    this.guard = options.guard ?? new SymlinkGuard();
  }

  async render(input: RenderSourceInput): Promise<KubeObject[]> {
    if (input.checkout === undefined) throw new SourceError('a kustomize source needs a git checkout');
    const { root, dir } = await resolveAppDir(input.checkout, input.source.path);
    await this.guard.verify(root);
    const options = new Fields(input.source.kustomize, 'kustomize');
    const network = networkAllowed(this.config, input.source.repoURL);
    if (!hasTransformations(input.source.kustomize)) return this.build(dir, root, [], network);
    return withTempDir(this.dirs.tmp, 'kustomize-', async (wrapperDir) => {
      const wrapper = await wrapperKustomization(options, { root, dir, wrapperDir, env: buildEnv(input) });
      // JSON is YAML, and needs no quoting rules.
      await writeFile(join(wrapperDir, 'kustomization.yaml'), `${JSON.stringify(wrapper, null, 2)}\n`);
      return this.build(wrapperDir, root, [[wrapperDir, '<wrapper>']], network);
    });
  }

  private async build(dir: string, root: string, redact: Array<[string, string]>, network: boolean): Promise<KubeObject[]> {
    const run = (file: string, args: string[], label: string): Promise<string> =>
      baseEnv(this.config, this.dirs, network).then((env) =>
        runProcess(file, args, {
          label,
          cwd: root,
          env,
          timeoutMs: this.config.timeoutMs,
          maxOutputBytes: this.config.maxOutputBytes,
          redact: [...redact, [root, '.']],
        }).catch((error: unknown) => Promise.reject(explainOffline(error, 'kustomize'))),
      );
    let output: string | undefined;
    if (this.config.kustomize !== undefined && !this.kustomizeMissing) {
      try {
        output = await run(this.config.kustomize, ['build', dir], 'kustomize build');
      } catch (error) {
        if (!(error instanceof ToolNotFoundError) || this.config.kubectl === undefined) throw error;
        this.kustomizeMissing = true;
      }
    }
    if (output === undefined) {
      if (this.config.kubectl === undefined) throw new SourceError('kustomize sources need a kustomize or kubectl binary');
      output = await run(this.config.kubectl, ['kustomize', dir], 'kubectl kustomize');
    }
    return parseToolOutput(output, 'kustomize build output');
  }
}

function hasTransformations(block: Record<string, unknown> | undefined): boolean {
  if (!block) return false;
  return Object.entries(block).some(([key, value]) => !MODIFIERS.has(key) && !isEmptyBlock(value));
}

interface WrapperContext {
  root: string;
  dir: string;
  wrapperDir: string;
  env: BuildEnv;
}

async function wrapperKustomization(options: Fields, context: WrapperContext): Promise<Record<string, unknown>> {
  const { root, dir, wrapperDir, env } = context;
  const k: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(wrapperDir, dir)],
  };
  for (const key of ['namePrefix', 'nameSuffix', 'namespace'] as const) {
    const value = options.string(key);
    if (value) k[key] = value;
  }
  const images = options.strings('images').map((image, i) => parseImage(envsubst(image, env, `kustomize.images[${i}]`), options, i));
  if (images.length > 0) k.images = [...new Map(images.map((image) => [image.name, image])).values()];
  const replicas = options.objects('replicas').map(replica);
  if (replicas.length > 0) k.replicas = replicas;
  addLabels(k, options, env);
  const annotations = options.stringMap('commonAnnotations');
  if (Object.keys(annotations).length > 0) {
    const substitute = options.boolean('commonAnnotationsEnvsubst');
    k.commonAnnotations = Object.fromEntries(
      Object.entries(annotations).map(([key, value]) => [
        key,
        substitute ? envsubst(value, env, `kustomize.commonAnnotations.${key}`) : value,
      ]),
    );
  }
  const patches = await Promise.all(options.objects('patches').map((patch) => inlinePatch(patch, root, dir)));
  if (patches.length > 0) k.patches = patches;
  const components = await resolveComponents(options, root, dir, wrapperDir);
  if (components.length > 0) k.components = components;
  return k;
}

function addLabels(k: Record<string, unknown>, options: Fields, env: BuildEnv): void {
  const labels = Object.fromEntries(
    Object.entries(options.stringMap('commonLabels')).map(([key, value]) => [key, envsubst(value, env, `kustomize.commonLabels.${key}`)]),
  );
  if (Object.keys(labels).length === 0) return;
  // `kustomize edit add label` writes commonLabels, or with --without-selector a labels entry.
  if (!options.boolean('labelWithoutSelector')) k.commonLabels = labels;
  else
    k.labels = [
      { pairs: labels, includeSelectors: false, ...(options.boolean('labelIncludeTemplates') ? { includeTemplates: true } : {}) },
    ];
}

interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** `kustomize edit set image` syntax: `[old=]new[:tag|@digest]`, or `name:tag` / `name@digest`. */
export function parseImage(arg: string, options: Fields, index: number): KustomizeImage {
  const parts = arg.split('=');
  const overwrite = parseOverwrite(parts.length === 2 ? (parts[1] as string) : arg);
  if (overwrite === undefined || (parts.length === 2 && parts[0] === ''))
    throw options.error(`images[${index}]`, `${JSON.stringify(arg)} is not an image`);
  const image: KustomizeImage = parts.length === 2 ? { name: parts[0] as string, newName: overwrite.name } : { name: overwrite.name };
  // `*` keeps the tag the kustomization sets, which in a fresh wrapper means none.
  if (overwrite.tag !== undefined && overwrite.tag !== '*') image.newTag = overwrite.tag;
  if (overwrite.digest !== undefined) image.digest = overwrite.digest;
  return image;
}

function parseOverwrite(arg: string): { name: string; tag?: string; digest?: string } | undefined {
  const at = arg.split('@');
  if (at.length > 1) return { name: at[0] as string, digest: at[1] as string };
  const tagged = /^(.*):([a-zA-Z0-9._-]*|\*)$/.exec(arg);
  if (tagged) return { name: tagged[1] as string, tag: tagged[2] as string };
  return arg === '' ? undefined : { name: arg };
}

function replica(entry: Fields): { name: string; count: number } {
  const name = entry.string('name');
  if (!name) throw entry.error('name', 'is required');
  const raw = entry.raw('count');
  const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(count) || count < 0) throw entry.error('count', 'must be a non-negative integer');
  return { name, count };
}

/** A patch file is read here (inside the checkout) and inlined: the wrapper may only load files below itself. */
async function inlinePatch(entry: Fields, root: string, dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const path = entry.string('path');
  const patch = entry.string('patch');
  if (path && patch) throw entry.error('path', 'and patch are exclusive');
  if (path) {
    const file = await resolveFileInside(root, dir, path, `${entry.path}.path`);
    if (!file.exists) throw entry.error('path', `${JSON.stringify(path)} does not exist`);
    out.patch = await readFile(file.path, 'utf8');
  } else if (patch) out.patch = patch;
  else throw entry.error('patch', 'or path is required');
  const target = entry.raw('target');
  if (target !== undefined && target !== null) out.target = target;
  const patchOptions = entry.raw('options');
  if (patchOptions !== undefined && patchOptions !== null) out.options = patchOptions;
  return out;
}

async function resolveComponents(options: Fields, root: string, dir: string, wrapperDir: string): Promise<string[]> {
  const ignoreMissing = options.boolean('ignoreMissingComponents');
  const out: string[] = [];
  for (const [i, component] of options.strings('components').entries()) {
    if (isRemote(component)) {
      out.push(component);
      continue;
    }
    const resolved = await resolveFileInside(root, dir, component, `kustomize.components[${i}]`);
    if (!resolved.exists) {
      if (ignoreMissing) continue;
      throw new SourceError(`kustomize.components[${i}]: ${JSON.stringify(component)} does not exist`);
    }
    out.push(relative(wrapperDir, resolved.path));
  }
  return out;
}

/** Remote components (`https://...`, `github.com/org/repo//path?ref=v1`) are kustomize's to fetch. */
function isRemote(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(path);
}
