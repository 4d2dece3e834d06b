import { z } from 'zod';
import { fieldPath, type ParamSet } from '#contracts';
import type { GeneratorContext } from './generator.js';

/** `values` of the cluster and git generators: extra params, themselves templated. */
export const valuesSchema = z.record(z.string(), z.string());

/**
 * Adds a generator's `values` to one parameter set, each value rendered against the
 * params as they were before any value was added (one pass, as Argo CD: a value never
 * sees another value, which also rules out exponential expansion).
 */
export function withTemplatedValues(params: ParamSet, values: Record<string, string> | undefined, context: GeneratorContext): ParamSet {
  if (!values) return params;
  const rendered: Record<string, string> = {};
  for (const [key, template] of Object.entries(values)) {
    const compiled = context.engine.compile(template, fieldPath(fieldPath(context.path, 'values'), key));
    rendered[key] = compiled === null ? template : compiled(params);
  }
  if (context.mode === 'nested') return { ...params, values: rendered };
  const out: ParamSet = { ...params };
  for (const [key, value] of Object.entries(rendered)) out[`values.${key}`] = value;
  return out;
}
