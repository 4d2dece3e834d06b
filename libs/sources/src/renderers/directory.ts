import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SourceError } from '#contracts';
import { compileArgoGlob, GlobError } from '../glob.js';
import { parseJsonManifest, parseManifestFile } from '../manifests.js';
import { isInside, resolveAppDir, SymlinkGuard } from '../paths.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../tools.js';
import { Fields, isEmptyBlock } from './fields.js';
import type { KubeObject, RenderSourceInput, SourceRenderer } from './types.js';

const MANIFEST_FILE = /\.(ya?ml|json|jsonnet)$/;

export interface DirectoryRendererOptions {
  /** Largest combined size of the manifest files read, in bytes (Argo CD's `maxCombinedManifestQuantity`). */
  maxBytes?: number;
  guard?: SymlinkGuard;
}

interface ManifestFile {
  /** Path relative to `source.path`, with `/` separators: what include/exclude match. */
  rel: string;
  /** The file to read, symbolic links resolved. */
  path: string;
}

/**
 * Plain manifests under `source.path`, read as Argo CD's directory source does: `.yaml`,
 * `.yml` and `.json` files in lexical walk order, sub-directories only with
 * `directory.recurse`, `include`/`exclude` globs on the relative path.
 */
export class DirectoryRenderer implements SourceRenderer {
  readonly kind = 'directory';
  private readonly maxBytes: number;
  private readonly guard: SymlinkGuard;

  constructor(options: DirectoryRendererOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.guard = options.guard ?? new SymlinkGuard();
  }

  async render(input: RenderSourceInput): Promise<KubeObject[]> {
    if (input.checkout === undefined) throw new SourceError('a directory source needs a git checkout');
    const options = new Fields(input.source.directory, 'directory');
    if (!isEmptyBlock(options.raw('jsonnet'))) throw new SourceError('directory.jsonnet: jsonnet is not supported');
    const include = compile(options, 'include');
    const exclude = compile(options, 'exclude');
    const { root, dir } = await resolveAppDir(input.checkout, input.source.path);
    await this.guard.verify(root);

    const files = await listManifestFiles(root, dir, options.boolean('recurse'));
    const selected = files.filter((file) => !exclude?.test(file.rel) && (include === undefined || include.test(file.rel)));
    const objects: KubeObject[] = [];
    let total = 0;
    for (const file of selected) {
      if (file.rel.endsWith('.jsonnet')) throw new SourceError(`${file.rel}: jsonnet is not supported`);
      const text = stripBom(await readFile(file.path, 'utf8'));
      total += Buffer.byteLength(text);
      if (total > this.maxBytes)
        throw new SourceError(`manifests under ${input.source.path ?? '.'} exceed the limit of ${this.maxBytes} bytes`);
      const parsed = file.rel.endsWith('.json') ? parseJsonManifest(text, file.rel) : parseManifestFile(text, file.rel);
      if (parsed) objects.push(...parsed);
    }
    return objects;
  }
}

function compile(options: Fields, key: 'include' | 'exclude'): RegExp | undefined {
  const pattern = options.string(key);
  if (pattern === undefined || pattern === '') return undefined;
  try {
    return compileArgoGlob(pattern);
  } catch (error) {
    if (error instanceof GlobError) throw options.error(key, `is not a valid glob: ${error.message}`);
    throw error;
  }
}

/**
 * Go's `filepath.Walk` order (entries sorted by name, a directory's content right after
 * it). Symbolic links to files are read from their target, which must stay inside the
 * checkout; links to directories are not followed, as Walk does not follow them.
 */
async function listManifestFiles(root: string, appDir: string, recurse: boolean): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recurse) await walk(path);
        continue;
      }
      if (!MANIFEST_FILE.test(entry.name)) continue;
      const rel = relative(appDir, path).split('\\').join('/');
      if (!entry.isSymbolicLink()) {
        if (entry.isFile()) out.push({ rel, path });
        continue;
      }
      const target = await linkTarget(root, path, rel);
      if (target !== undefined && (await stat(target)).isFile()) out.push({ rel, path: target });
    }
  };
  await walk(appDir);
  return out;
}

async function linkTarget(root: string, path: string, rel: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    return undefined; // a dangling link is skipped, as Argo CD does
  }
  if (!isInside(root, target)) throw new SourceError(`${rel}: symbolic link leads outside the repository`);
  return target;
}

/** Argo CD reads files through a UTF-8 decoder that drops a byte-order mark. */
function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
