import { fieldPath, type ParamSet } from '#contracts';
import { type CompiledTree, compileTree, type TemplateEngine } from '#templating';
import type { GeneratorContext } from './generator.js';
import { selectorLabels } from './params.js';
import { entryKey, type GeneratorEntry, type GeneratorRegistry } from './registry.js';
import { isEmptySelector, matchesSelector } from './selector.js';
import { mergeTemplates } from './template.js';

/** The params one generator entry produced, and the template its Applications use. */
export interface GeneratorResult {
  params: ParamSet[];
  template: unknown;
}

export interface RunEntryOptions {
  /** The ApplicationSet template, under the generator's own `template` override. */
  baseTemplate?: unknown;
  /** Params of an enclosing matrix's first child, rendered into this entry's block first. */
  interpolate?: ParamSet;
}

/**
 * Runs one generator entry (Argo CD's `Transform`): renders the block with outer params
 * when nested in a matrix, generates, keeps the params its `selector` matches, and
 * merges its template override over the base template.
 * `context.path` is the entry's path, e.g. `spec.generators[0]`.
 */
export async function runGeneratorEntry(
  entry: GeneratorEntry,
  registry: GeneratorRegistry,
  context: GeneratorContext,
  options: RunEntryOptions = {},
): Promise<GeneratorResult> {
  const key = entryKey(entry, registry);
  const generator = registry.get(key);
  if (!generator) throw new Error(`generator ${key} is not registered`);
  const blockPath = fieldPath(context.path, key);
  let block = entry[key] as Record<string, unknown>;
  if (options.interpolate) block = compiledBlock(block, context.engine, blockPath).render(options.interpolate) as Record<string, unknown>;

  let params = await generator.generate(block, { ...context, path: blockPath });
  const selector = entry.selector;
  if (selector !== undefined && selector !== null && !isEmptySelector(selector)) {
    params = params.filter((p) => matchesSelector(selector, selectorLabels(p)));
  }
  return { params, template: mergeTemplates(block.template, options.baseTemplate ?? {}) };
}

/** True when an entry's block holds templates, so a matrix must render it per outer param set. */
export function entryIsInterpolated(entry: GeneratorEntry, registry: GeneratorRegistry, engine: TemplateEngine, path: string): boolean {
  const key = entryKey(entry, registry);
  return compiledBlock(entry[key] as Record<string, unknown>, engine, fieldPath(path, key)).dynamic;
}

// Blocks are compiled once per engine and reused for every outer parameter set.
const compiledBlocks = new WeakMap<TemplateEngine, WeakMap<object, CompiledTree>>();

function compiledBlock(block: Record<string, unknown>, engine: TemplateEngine, path: string): CompiledTree {
  let byBlock = compiledBlocks.get(engine);
  if (!byBlock) {
    byBlock = new WeakMap();
    compiledBlocks.set(engine, byBlock);
  }
  let compiled = byBlock.get(block);
  if (!compiled) {
    compiled = compileTree(block, engine, path);
    byBlock.set(block, compiled);
  }
  return compiled;
}
