import { realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '#contracts';
import { type BuildEnv, envsubst } from '../envsubst.js';
import { resolveFileInside } from '../paths.js';
import type { Fields } from './fields.js';

/** Where the chart's files are: relative value files start at `chartDir` and may not leave `root`. */
export interface ValuesContext {
  chartDir: string;
  /** The checkout for a chart from git, the chart itself for a chart from a Helm repository. */
  root: string;
  refs: ReadonlyMap<string, string>;
  env: BuildEnv;
  /** A private directory for the generated values file. */
  work: string;
}

const REMOTE_SCHEMES = new Set(['http', 'https']);

/**
 * The value and parameter flags of `helm template`, in Argo CD's order and precedence:
 * `valueFiles`, then `values`/`valuesObject` as one more file, then `--set`,
 * `--set-string` and `--set-file` (helm ranks those above any file).
 */
export async function valueArgs(options: Fields, context: ValuesContext): Promise<string[]> {
  const args: string[] = [];
  for (const file of await resolveValueFiles(options, context)) args.push('--values', file);
  const inline = inlineValues(options);
  if (inline !== undefined) {
    const file = join(context.work, 'values.yaml');
    await writeFile(file, inline);
    args.push('--values', file);
  }
  const set = new Map<string, string>();
  const setString = new Map<string, string>();
  for (const parameter of options.objects('parameters')) {
    const name = parameter.string('name');
    if (!name) throw parameter.error('name', 'is required');
    const value = envsubst(parameter.string('value') ?? '', context.env, `${parameter.path}.value`);
    // Argo CD keeps parameters in maps: the last one of a name wins.
    (parameter.boolean('forceString') ? setString : set).set(name, value);
  }
  for (const [name, value] of set) args.push('--set', `${name}=${escapeSetValue(value)}`);
  for (const [name, value] of setString) args.push('--set-string', `${name}=${escapeSetValue(value)}`);
  for (const parameter of options.objects('fileParameters')) {
    const name = parameter.string('name');
    const path = parameter.string('path');
    if (!name) throw parameter.error('name', 'is required');
    if (!path) throw parameter.error('path', 'is required');
    const file = await resolveLocalFile(path, `${parameter.path}.path`, context);
    if (file === undefined) throw parameter.error('path', `${JSON.stringify(path)} does not exist`);
    args.push('--set-file', `${name}=${escapeSetValue(file)}`);
  }
  return args;
}

/** `valuesObject` replaces `values` entirely when both are set, as Argo CD's `ValuesYAML` does. */
function inlineValues(options: Fields): string | undefined {
  const object = options.raw('valuesObject');
  if (object !== undefined && object !== null) {
    if (typeof object !== 'object' || Array.isArray(object)) throw options.error('valuesObject', 'must be an object');
    return Object.keys(object).length > 0 ? `${JSON.stringify(object)}\n` : undefined;
  }
  const values = options.raw('values');
  if (values === undefined || values === null || values === '') return undefined;
  if (typeof values !== 'string') throw options.error('values', 'must be a YAML string (use valuesObject for an object)');
  return values;
}

async function resolveValueFiles(options: Fields, context: ValuesContext): Promise<string[]> {
  const ignoreMissing = options.boolean('ignoreMissingValueFiles');
  const out: string[] = [];
  for (const [i, raw] of options.strings('valueFiles').entries()) {
    const field = `helm.valueFiles[${i}]`;
    const remote = remoteUrl(raw, context, field);
    if (remote !== undefined) {
      out.push(remote);
      continue;
    }
    const file = await resolveLocalFile(raw, field, context);
    if (file === undefined) {
      if (ignoreMissing) continue;
      throw new SourceError(`${field}: ${JSON.stringify(raw)} does not exist`);
    }
    if (!out.includes(file)) out.push(file);
  }
  return out;
}

/** A value file given as an http(s) URL, which helm fetches itself; other schemes are refused. */
function remoteUrl(raw: string, context: ValuesContext, field: string): string | undefined {
  if (refName(raw) !== undefined) return undefined;
  const value = envsubst(raw, context.env, field);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
  if (scheme === undefined) return undefined;
  if (!REMOTE_SCHEMES.has(scheme.toLowerCase())) throw new SourceError(`${field}: the URL scheme '${scheme}' is not allowed`);
  return value;
}

/**
 * `$ref/path` is a file in the checkout of the source whose `ref` is `ref`; anything
 * else is relative to the chart (absolute: to the repository root). Either way it must
 * stay inside its checkout. Returns undefined for a missing file.
 */
async function resolveLocalFile(raw: string, field: string, context: ValuesContext): Promise<string | undefined> {
  const ref = refName(raw);
  let resolved: { path: string; exists: boolean };
  if (ref !== undefined) {
    const checkout = context.refs.get(ref) ?? context.refs.get(`$${ref}`);
    if (checkout === undefined) {
      if (!context.env.has(ref)) throw new SourceError(`${field}: ${JSON.stringify(raw)} names no source with ref ${JSON.stringify(ref)}`);
    } else {
      const rest = raw.slice(raw.indexOf('/') + 1);
      if (rest.replace(/\/+/g, '') === '') throw new SourceError(`${field}: ${JSON.stringify(raw)} has no file path after the ref`);
      const root = await realpath(checkout).catch((error: unknown) => {
        throw new SourceError(`${field}: the checkout of ref ${JSON.stringify(ref)} is not readable`, { cause: error });
      });
      resolved = await resolveFileInside(root, root, `/${envsubst(rest, context.env, field)}`, field);
      return resolved.exists ? resolved.path : undefined;
    }
  }
  resolved = await resolveFileInside(context.root, context.chartDir, envsubst(raw, context.env, field), field);
  return resolved.exists ? resolved.path : undefined;
}

/** `values` for `$values/env/prod.yaml`. */
function refName(raw: string): string | undefined {
  const match = /^\$([^/]+)\//.exec(raw);
  return match?.[1];
}

/**
 * Argo CD escapes commas in `--set` values (helm would split on them) unless already
 * escaped, and leaves `{a,b}` list syntax alone.
 */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  let out = '';
  let previous = '';
  for (const c of value) {
    out += c === ',' && previous !== '\\' ? '\\,' : c;
    previous = c;
  }
  return out;
}
