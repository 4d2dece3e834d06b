import { type ParamSet, RenderError } from '#contracts';

/**
 * Joins two parameter sets of a matrix. Flat params must agree on shared keys (Argo CD's
 * CombineStringMaps); nested params merge deeply, the first child's values winning.
 */
export function combineForMatrix(first: ParamSet, second: ParamSet, nested: boolean, path: string): ParamSet {
  if (nested) return deepMerge(deepMerge({}, second), first);
  const out: ParamSet = { ...first };
  for (const key in second) {
    const value = second[key];
    if (Object.hasOwn(first, key) && first[key] !== value) {
      throw new RenderError(
        path,
        `both child generators set param "${key}", to ${JSON.stringify(first[key])} and ${JSON.stringify(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** Overrides a merge's base parameter set with a later generator's (the later one wins). */
export function overrideForMerge(base: ParamSet, override: ParamSet, nested: boolean): ParamSet {
  return nested ? deepMerge(deepMerge({}, base), override) : { ...base, ...override };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Copies `source` into `target`, merging nested objects and replacing everything else. */
function deepMerge(target: ParamSet, source: ParamSet): ParamSet {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    target[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge({ ...current }, value) : value;
  }
  return target;
}
