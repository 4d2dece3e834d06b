import { clustersGenerator } from './clusters.js';
import type { AnyGenerator } from './generator.js';
import { gitGenerator } from './git.js';
import { listGenerator } from './list.js';
import { createMatrixGenerator } from './matrix.js';
import { createMergeGenerator } from './merge.js';
import { pullRequestGenerator } from './pull-request.js';
import { createRegistry, type GeneratorRegistry } from './registry.js';

/** Generators that produce params from a source. Register a new kind of generator here. */
export const SOURCE_GENERATORS: readonly AnyGenerator[] = [listGenerator, clustersGenerator, gitGenerator, pullRequestGenerator];

const COMBINING_KEYS = ['matrix', 'merge'];

/**
 * The registry for `spec.generators`: every source generator, plus matrix and merge whose
 * children may themselves be a matrix or merge of source generators (two levels, as Argo CD).
 */
export function createDefaultRegistry(sourceGenerators: readonly AnyGenerator[] = SOURCE_GENERATORS): GeneratorRegistry {
  const innermost = createRegistry(sourceGenerators, COMBINING_KEYS);
  const nested = createRegistry([...sourceGenerators, createMatrixGenerator(innermost), createMergeGenerator(innermost)]);
  return createRegistry([...sourceGenerators, createMatrixGenerator(nested), createMergeGenerator(nested)]);
}
