import { z } from 'zod';
import { fieldPath, type ParamSet, RenderError } from '#contracts';
import { overrideForMerge } from './combine.js';
import type { Generator } from './generator.js';
import { flattenParams } from './params.js';
import type { GeneratorEntry, GeneratorRegistry } from './registry.js';
import { runGeneratorEntry } from './transform.js';

interface MergeSpec {
  generators: GeneratorEntry[];
  mergeKeys: string[];
  template?: unknown;
}

/**
 * The merge generator: the first child's parameter sets, each overridden by the sets of
 * later children that agree with it on every merge key. Sets a later child adds on its
 * own are dropped, as in Argo CD.
 */
export function createMergeGenerator(children: GeneratorRegistry): Generator<MergeSpec> {
  return {
    key: 'merge',
    schema: z.strictObject({
      generators: z.array(children.entrySchema).min(2, 'a merge combines at least two generators'),
      mergeKeys: z.array(z.string()).min(1, 'name at least one merge key'),
      template: z.unknown().optional(),
    }),
    async generate(spec, context) {
      const nested = context.mode === 'nested';
      const mergeKeys = [...new Set(spec.mergeKeys)].sort();
      const indexed: Map<string, ParamSet>[] = [];
      for (const [i, entry] of spec.generators.entries()) {
        const path = fieldPath(fieldPath(context.path, 'generators'), i);
        const { params } = await runGeneratorEntry(entry, children, { ...context, path });
        indexed.push(indexByMergeKeys(params, mergeKeys, nested, path));
      }
      const [base, ...overrides] = indexed as [Map<string, ParamSet>, ...Map<string, ParamSet>[]];
      const merged = new Map(base);
      for (const override of overrides) {
        for (const [key, params] of merged) {
          const match = override.get(key);
          if (match) merged.set(key, overrideForMerge(params, match, nested));
        }
      }
      return [...merged.values()];
    },
  };
}

function indexByMergeKeys(params: ParamSet[], mergeKeys: string[], nested: boolean, path: string): Map<string, ParamSet> {
  const out = new Map<string, ParamSet>();
  for (const set of params) {
    const lookup = nested ? flattenParams(set) : set;
    const key = JSON.stringify(Object.fromEntries(mergeKeys.map((k) => [k, lookup[k] ?? null])));
    if (out.has(key)) {
      throw new RenderError(path, `parameter sets are not unique by the merge keys: ${key} appears twice`);
    }
    out.set(key, set);
  }
  return out;
}
