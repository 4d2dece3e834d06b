import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { SourceError } from '#contracts';
import type { ApplicationSource } from './types.js';

/**
 * Argo CD merges `.argocd-source.yaml` and then `.argocd-source-<appName>.yaml` from the
 * app directory into the source (JSON merge patch), keeping repoURL, path, chart and
 * targetRevision. Tools such as Argo CD Image Updater write image overrides there.
 */
export async function mergeSourceOverrides(source: ApplicationSource, appDir: string, appName: string): Promise<ApplicationSource> {
  let merged: Record<string, unknown> = structuredClone(source) as unknown as Record<string, unknown>;
  let changed = false;
  for (const name of ['.argocd-source.yaml', `.argocd-source-${appName}.yaml`]) {
    const patch = await readOverride(join(appDir, name), name);
    if (patch === undefined) continue;
    merged = mergePatch(merged, patch) as Record<string, unknown>;
    changed = true;
  }
  if (!changed) return source;
  const out = merged as unknown as ApplicationSource;
  return { ...out, repoURL: source.repoURL, path: source.path, chart: source.chart, targetRevision: source.targetRevision };
}

async function readOverride(path: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw new SourceError(`${name}: ${(error as Error).message}`, { cause: error });
  }
  const document = parseDocument(text, { version: '1.1' });
  if (document.errors.length > 0) throw new SourceError(`${name}: ${document.errors[0]?.message.split('\n')[0]}`);
  return document.toJS() ?? {};
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
