import type { z } from 'zod';
import type { ParamSet } from '#contracts';
import type { TemplateEngine } from '#templating';
import type { ParamMode } from './params.js';
import type { GeneratorSources } from './sources.js';

export interface GeneratorContext {
  /** Flat params for Argo CD fasttemplate, nested ones for Handlebars. */
  readonly mode: ParamMode;
  /** The ApplicationSet's template language: renders `values` and nested generators. */
  readonly engine: TemplateEngine;
  readonly sources: GeneratorSources;
  /** Field path of the generator's block, e.g. `spec.generators[1].git`, for error messages. */
  readonly path: string;
}

/** Fields every generator block may carry besides its own. */
export interface GeneratorSpecBase {
  /** Overrides parts of the ApplicationSet template for this generator's Applications. */
  template?: unknown;
}

/**
 * One kind of generator: the key it answers to in an ApplicationSet's `generators` entry,
 * the schema of its block, and a function from that block to parameter sets.
 * Generators only produce params; templating them into Applications is a later step.
 */
export interface Generator<Spec extends GeneratorSpecBase = GeneratorSpecBase> {
  readonly key: string;
  readonly schema: z.ZodType<Spec>;
  generate(spec: Spec, context: GeneratorContext): Promise<ParamSet[]>;
}

/** Erases a generator's spec type so different generators can share one registry. */
// biome-ignore lint/suspicious/noExplicitAny: registries hold generators of every spec type
export type AnyGenerator = Generator<any>;
