import { z } from 'zod';
import type { AnyGenerator } from './generator.js';
import { labelSelectorSchema } from './selector.js';

/** Argo CD generators Flotilla does not implement yet: named so users get a clear answer. */
const NOT_YET_SUPPORTED = ['scmProvider', 'clusterDecisionResource', 'plugin'] as const;

/** One entry of `spec.generators` (or of a matrix/merge `generators`): one generator block, optional selector. */
export type GeneratorEntry = Record<string, unknown> & { selector?: z.infer<typeof labelSelectorSchema> };

/**
 * The generators allowed at one nesting level. Matrix and merge receive the registry of
 * what they may nest, so the nesting depth is fixed by how registries are built.
 */
export interface GeneratorRegistry {
  get(key: string): AnyGenerator | undefined;
  readonly keys: readonly string[];
  /** Validates one generator entry: exactly one known generator block, plus `selector`. */
  readonly entrySchema: z.ZodType<GeneratorEntry>;
}

/** The generator key an entry sets (entries are validated to set exactly one). */
export function entryKey(entry: GeneratorEntry, registry: GeneratorRegistry): string {
  const key = registry.keys.find((k) => entry[k] !== undefined);
  if (key === undefined) throw new Error('generator entry was not validated');
  return key;
}

export function createRegistry(generators: readonly AnyGenerator[], allKnownKeys: readonly string[] = []): GeneratorRegistry {
  const byKey = new Map(generators.map((g) => [g.key, g] as const));
  const keys = [...byKey.keys()];
  const unavailable = [...new Set([...allKnownKeys, ...NOT_YET_SUPPORTED])].filter((k) => !byKey.has(k));
  const shape: Record<string, z.ZodType> = { selector: labelSelectorSchema.optional() };
  for (const generator of generators) shape[generator.key] = generator.schema.optional();
  for (const key of unavailable) shape[key] = z.unknown().optional();

  const entrySchema = z.strictObject(shape).superRefine((entry, ctx) => {
    for (const key of unavailable) {
      if (entry[key] === undefined) continue;
      const reason = (NOT_YET_SUPPORTED as readonly string[]).includes(key)
        ? `the ${key} generator is not supported yet`
        : `a ${key} generator cannot be nested this deep (matrix and merge nest two levels: a nested matrix or merge may only hold ${keys.join(', ')})`;
      ctx.addIssue({ code: 'custom', path: [key], message: reason });
    }
    const set = Object.keys(entry).filter((k) => k !== 'selector' && entry[k] !== undefined);
    if (set.length === 0) ctx.addIssue({ code: 'custom', path: [], message: `set one generator (${keys.join(', ')})` });
    if (set.length > 1)
      ctx.addIssue({ code: 'custom', path: [], message: `set exactly one generator per entry, found ${set.join(' and ')}` });
  }) as unknown as z.ZodType<GeneratorEntry>;

  return { get: (key) => byKey.get(key), keys, entrySchema };
}
