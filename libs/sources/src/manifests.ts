import { parseAllDocuments } from 'yaml';
import { SourceError } from '#contracts';
import { KUBERNETES_YAML_OPTIONS } from '#generators';
import type { KubeObject } from './renderers/types.js';

// Tool output is read in the same YAML dialect as ApplicationSets (go-yaml's): Argo CD parses
// `helm template` output with the same decoder, so an unquoted `yes` in a chart means `true`.

/** Why a document is not an object; thrown inside this module only. */
class InvalidDocument extends Error {}

/**
 * Objects of a YAML stream produced by a tool (`helm template`, `kustomize build`): every
 * non-empty document must be a Kubernetes object, in the order produced.
 */
export function parseToolOutput(text: string, origin: string): KubeObject[] {
  const objects: KubeObject[] = [];
  forEachObject(text, origin, (object) => objects.push(object));
  return objects;
}

/**
 * A `.yaml`/`.yml` file of a plain directory, as Argo CD reads it: documents are read up
 * to the first one that is not a Kubernetes object. That is an error when objects came
 * before it or the file looks like a manifest (mentions `apiVersion:`, `kind:` and
 * `metadata:`); otherwise the file is some other YAML (a values file, CI config) and is
 * skipped, which `undefined` reports.
 */
export function parseManifestFile(text: string, origin: string): KubeObject[] | undefined {
  const objects: KubeObject[] = [];
  try {
    forEachObject(text, origin, (object) => objects.push(object));
  } catch (error) {
    const looksLikeManifest = text.includes('apiVersion:') && text.includes('kind:') && text.includes('metadata:');
    if (objects.length > 0 || looksLikeManifest) throw error;
    return undefined;
  }
  return objects;
}

/** A `.json` file of a plain directory: exactly one JSON value, a Kubernetes object (or List). */
export function parseJsonManifest(text: string, origin: string): KubeObject[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SourceError(`${origin}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return toKubeObjects(value);
  } catch (error) {
    throw new SourceError(`${origin}: ${(error as Error).message}`, { cause: error });
  }
}

/** Documents are numbered from 1, counting empty ones, so the number matches the file. */
function forEachObject(text: string, origin: string, visit: (object: KubeObject) => void): void {
  const documents = parseAllDocuments(text, KUBERNETES_YAML_OPTIONS as never);
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((document, i) => {
    const error = document.errors[0];
    if (error) throw invalid(origin, i + 1, new InvalidDocument(error.message.split('\n')[0] ?? error.message));
    const value = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    let objects: KubeObject[];
    try {
      objects = toKubeObjects(value);
    } catch (error) {
      throw invalid(origin, i + 1, error);
    }
    objects.forEach(visit);
  });
}

function invalid(origin: string, index: number, error: unknown): SourceError {
  return new SourceError(`${origin}: document ${index}: ${(error as Error).message}`, { cause: error });
}

/**
 * Checks one decoded value and flattens `kind: List` (and `<Kind>List`) into its items,
 * as Argo CD does for every source type.
 */
export function toKubeObjects(value: unknown): KubeObject[] {
  const object = asObject(value, 'is not a Kubernetes object (expected a mapping)');
  const kind = object.kind;
  if (typeof kind === 'string' && kind.endsWith('List') && (Array.isArray(object.items) || isNullList(object))) {
    const items = (object.items ?? []) as unknown[];
    return items.map((item, i) => {
      try {
        return checkObject(asObject(item, 'is not a Kubernetes object (expected a mapping)'));
      } catch (error) {
        throw new InvalidDocument(`items[${i}] ${(error as Error).message}`);
      }
    });
  }
  return [checkObject(object)];
}

/** `items: null` on a List with neither spec nor status: an empty list (Argo CD's `isNullList`). */
function isNullList(object: Record<string, unknown>): boolean {
  return 'items' in object && object.items === null && !('spec' in object) && !('status' in object);
}

function checkObject(object: Record<string, unknown>): KubeObject {
  const missing: string[] = [];
  if (!nonEmptyString(object.apiVersion)) missing.push('apiVersion');
  if (!nonEmptyString(object.kind)) missing.push('kind');
  const metadata = object.metadata;
  const hasMetadata = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata);
  if (!hasMetadata || !nonEmptyString((metadata as Record<string, unknown>).name)) missing.push('metadata.name');
  if (missing.length > 0) {
    const what = nonEmptyString(object.kind) ? `${object.kind} object` : 'object';
    throw new InvalidDocument(`${what} has no ${missing.join(', ')}`);
  }
  return object as unknown as KubeObject;
}

function asObject(value: unknown, message: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidDocument(message);
  return value as Record<string, unknown>;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
