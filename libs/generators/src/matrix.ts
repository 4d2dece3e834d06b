import { z } from 'zod';
import { fieldPath, type ParamSet } from '#contracts';
import { combineForMatrix } from './combine.js';
import type { Generator, GeneratorContext } from './generator.js';
import type { GeneratorEntry, GeneratorRegistry } from './registry.js';
import { entryIsInterpolated, runGeneratorEntry } from './transform.js';

interface MatrixSpec {
  generators: GeneratorEntry[];
  template?: unknown;
}

/**
 * The matrix generator: the cartesian product of two child generators. The second child
 * is rendered with each of the first child's parameter sets before it runs, so it can
 * depend on them (a git path from a list element, say).
 */
export function createMatrixGenerator(children: GeneratorRegistry): Generator<MatrixSpec> {
  return {
    key: 'matrix',
    schema: z.strictObject({
      generators: z.array(children.entrySchema).length(2, 'a matrix combines exactly two generators'),
      template: z.unknown().optional(),
    }),
    async generate(spec, context) {
      const [first, second] = spec.generators as [GeneratorEntry, GeneratorEntry];
      const childContext = (i: number): GeneratorContext => ({ ...context, path: fieldPath(fieldPath(context.path, 'generators'), i) });
      const firstParams = (await runGeneratorEntry(first, children, childContext(0))).params;
      const nested = context.mode === 'nested';
      const out: ParamSet[] = [];
      // A second child without templates gives the same params every time: generate it once.
      const interpolated = entryIsInterpolated(second, children, context.engine, childContext(1).path);
      const fixedSecond =
        interpolated || firstParams.length === 0 ? undefined : (await runGeneratorEntry(second, children, childContext(1))).params;
      for (const a of firstParams) {
        const secondParams = fixedSecond ?? (await runGeneratorEntry(second, children, childContext(1), { interpolate: a })).params;
        for (const b of secondParams) out.push(combineForMatrix(a, b, nested, context.path));
      }
      return out;
    },
  };
}
