import { SourceError } from '#contracts';

/**
 * Typed reads of an Application source block (`helm`, `kustomize`, `directory`), which
 * arrive untyped. A field of the wrong type is a SourceError naming the field; scalars
 * are accepted where Argo CD wants a string, since templating produces them.
 */
export class Fields {
  constructor(
    private readonly block: Readonly<Record<string, unknown>> | undefined,
    readonly path: string,
  ) {}

  has(key: string): boolean {
    const value = this.block?.[key];
    return value !== undefined && value !== null;
  }

  raw(key: string): unknown {
    return this.block?.[key];
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw this.error(key, 'must be a string');
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw this.error(key, 'must be true or false');
  }

  strings(key: string): string[] {
    return this.list(key).map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      throw this.error(`${key}[${i}]`, 'must be a string');
    });
  }

  stringMap(key: string): Record<string, string> {
    const value = this.raw(key);
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw this.error(key, 'must be a map of strings');
    const out: Record<string, string> = {};
    for (const [name, item] of Object.entries(value)) {
      if (typeof item === 'string') out[name] = item;
      else if (typeof item === 'number' || typeof item === 'boolean') out[name] = String(item);
      else throw this.error(`${key}.${name}`, 'must be a string');
    }
    return out;
  }

  /** A list of objects, each wrapped for its own typed reads. */
  objects(key: string): Fields[] {
    return this.list(key).map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw this.error(`${key}[${i}]`, 'must be an object');
      return new Fields(item as Record<string, unknown>, `${this.path}.${key}[${i}]`);
    });
  }

  error(key: string, reason: string): SourceError {
    return new SourceError(`${this.path}.${key} ${reason}`);
  }

  private list(key: string): unknown[] {
    const value = this.raw(key);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.error(key, 'must be a list');
    return value;
  }
}

/**
 * Whether a block holds nothing but empty values. Argo CD drops such blocks when it
 * normalises an Application (`helm: {}` does not make a source Helm), and so does the
 * kind detection here.
 */
export function isEmptyBlock(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return true;
  if (Array.isArray(value)) return value.every(isEmptyBlock);
  if (typeof value === 'object') return Object.values(value).every(isEmptyBlock);
  return false;
}
