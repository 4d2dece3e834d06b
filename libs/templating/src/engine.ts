import type { ParamSet } from '#contracts';

/** Renders one compiled template string against one parameter set. */
export type CompiledString = (params: ParamSet) => string;

/**
 * A template language. Compiling is separate from rendering so an ApplicationSet's
 * template is parsed once and then rendered for every parameter set.
 */
export interface TemplateEngine {
  readonly name: string;
  /**
   * Compiles one string. Returns null when the string holds nothing to substitute,
   * so callers can keep it as a constant. Throws a RenderError naming `path` on a syntax error.
   */
  compile(source: string, path: string): CompiledString | null;
}
