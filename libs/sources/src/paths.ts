import type { Dirent } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SourceError } from '#contracts';

/** Whether `path` is `root` itself or lies below it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export interface AppDir {
  /** The checkout, with symbolic links resolved. */
  root: string;
  /** `source.path` inside it, with symbolic links resolved. */
  dir: string;
}

/**
 * `source.path` inside a checkout, as Argo CD's `argopath.Path` checks it (not absolute,
 * no `..` escape, an existing directory) plus a realpath check, so a symbolic link
 * cannot lead the renderer out of the checkout.
 */
export async function resolveAppDir(checkout: string, path: string | undefined): Promise<AppDir> {
  const root = await realpath(checkout).catch((error: unknown) => {
    throw new SourceError(`checkout ${checkout} is not readable`, { cause: error });
  });
  const rel = path ?? '';
  const shown = JSON.stringify(rel);
  if (isAbsolute(rel)) throw new SourceError(`source.path ${shown}: app path is absolute`);
  const joined = resolve(root, rel);
  if (!isInside(root, joined)) throw new SourceError(`source.path ${shown}: app path is outside the repository`);
  const real = await realpath(joined).catch((error: unknown) => {
    throw new SourceError(`source.path ${shown}: app path does not exist`, { cause: error });
  });
  if (!isInside(root, real)) throw new SourceError(`source.path ${shown}: app path leads outside the repository through a symbolic link`);
  if (!(await stat(real)).isDirectory()) throw new SourceError(`source.path ${shown}: app path is not a directory`);
  return { root, dir: real };
}

export interface ResolvedFile {
  path: string;
  exists: boolean;
}

/**
 * A file named by the user (a value file, a patch), as Argo CD resolves it: relative to
 * `base`, or to `root` when absolute; it must stay inside `root` both as written and
 * after following symbolic links. A missing file is reported, not refused, so callers
 * can apply `ignoreMissingValueFiles`.
 */
export async function resolveFileInside(root: string, base: string, file: string, field: string): Promise<ResolvedFile> {
  const joined = isAbsolute(file) ? join(root, file) : resolve(base, file);
  if (!isInside(root, joined)) throw new SourceError(`${field}: ${JSON.stringify(file)} is outside the repository`);
  if (joined === root) throw new SourceError(`${field}: ${JSON.stringify(file)} names the repository root, not a file`);
  let real: string;
  try {
    real = await realpath(joined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: joined, exists: false };
    throw new SourceError(`${field}: ${JSON.stringify(file)} is not readable`, { cause: error });
  }
  if (!isInside(root, real))
    throw new SourceError(`${field}: ${JSON.stringify(file)} leads outside the repository through a symbolic link`);
  return { path: real, exists: true };
}

/**
 * Argo CD refuses to render from a repository holding a symbolic link that leads outside
 * it (`CheckOutOfBoundsSymlinks`), wherever the link is: tools such as helm and
 * kustomize would follow it. A checkout never changes, so each is walked once.
 */
export class SymlinkGuard {
  private readonly verified = new Map<string, Promise<void>>();

  verify(root: string): Promise<void> {
    let check = this.verified.get(root);
    if (!check) {
      check = findEscapingLink(root).then((link) => {
        if (link !== undefined) throw new SourceError(`repository contains a symbolic link leading outside it: ${link}`);
      });
      this.verified.set(root, check);
    }
    return check;
  }
}

async function findEscapingLink(root: string): Promise<string | undefined> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new SourceError(`cannot read ${relative(root, dir) || '.'} in the checkout`, { cause: error });
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isSymbolicLink() && escapes(root, path, await readlink(path))) return relative(root, path);
    }
  }
  return undefined;
}

/** Argo CD's rule: absolute targets escape; relative ones must never step above the root. */
function escapes(root: string, link: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  let current = dirname(link);
  for (const part of target.split('/')) {
    current = join(current, part);
    if (!isInside(root, current)) return true;
  }
  return false;
}
