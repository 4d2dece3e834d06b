import Handlebars from 'handlebars';
import { stringify as toYaml } from 'yaml';
import { RenderError } from '#contracts';
import type { CompiledString, TemplateEngine } from './engine.js';
import { sanitizeName, slugify } from './names.js';

/** Handlebars passes an options object as the last argument of every helper call. */
type HelperArgs = unknown[];
const userArgs = (args: HelperArgs): unknown[] => args.slice(0, -1);
const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === '' ||
  value === false ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && Object.keys(value as object).length === 0);

/**
 * Helpers users expect from Helm/Sprig and Argo CD's Go templates, under the same names.
 * Without pipelines the value comes first: `{{default name "x"}}`, `{{trunc name 8}}`,
 * `{{replace name "_" "-"}}`.
 */
const HELPERS: Record<string, (...args: HelperArgs) => unknown> = {
  default: (...args) => {
    const [value, fallback] = userArgs(args);
    return isEmpty(value) ? fallback : value;
  },
  lower: (...args) => text(userArgs(args)[0]).toLowerCase(),
  upper: (...args) => text(userArgs(args)[0]).toUpperCase(),
  /** `trunc s n`: the first n characters, or the last -n when n is negative (as Sprig). */
  trunc: (...args) => {
    const [value, length] = userArgs(args);
    const s = text(value);
    const n = Number(length);
    if (!Number.isFinite(n)) return s;
    return n >= 0 ? s.slice(0, n) : s.slice(Math.max(0, s.length + n));
  },
  replace: (...args) => {
    const [value, from, to] = userArgs(args);
    return text(value).split(text(from)).join(text(to));
  },
  /** `slug s [maxLength]`: a DNS-friendly slug, as the pull request generator's `branch_slug`. */
  slug: (...args) => {
    const [value, maxLength] = userArgs(args);
    return slugify(text(value), maxLength === undefined ? undefined : Number(maxLength));
  },
  /** `sanitize s`: Argo CD's name normalisation, as `nameNormalized`. */
  sanitize: (...args) => sanitizeName(text(userArgs(args)[0])),
  json: (...args) => JSON.stringify(userArgs(args)[0] ?? null),
  yaml: (...args) => toYaml(userArgs(args)[0] ?? null).trimEnd(),
  eq: (...args) => {
    const [a, b] = userArgs(args);
    return a === b;
  },
  ne: (...args) => {
    const [a, b] = userArgs(args);
    return a !== b;
  },
  and: (...args) => userArgs(args).every((v) => !isEmpty(v)),
  or: (...args) => userArgs(args).find((v) => !isEmpty(v)) ?? false,
  not: (...args) => isEmpty(userArgs(args)[0]),
};

export interface HandlebarsEngineOptions {
  /** A reference to a missing param is an error instead of an empty string. */
  strict?: boolean;
}

/**
 * Handlebars for `flotilla.dev/v1alpha1` ApplicationSets: params are nested objects,
 * output is never HTML-escaped, and each engine has its own isolated helper registry.
 */
export function createHandlebarsEngine(options: HandlebarsEngineOptions = {}): TemplateEngine {
  const handlebars = Handlebars.create();
  for (const [name, helper] of Object.entries(HELPERS)) handlebars.registerHelper(name, helper);
  const compileOptions = { noEscape: true, strict: options.strict ?? false };
  return {
    name: 'handlebars',
    compile(source: string, path: string): CompiledString | null {
      if (!source.includes('{{')) return null;
      try {
        // compile() parses lazily; parse now so syntax errors surface before any rendering.
        handlebars.parse(source);
      } catch (error) {
        throw new RenderError(path, `invalid template ${JSON.stringify(source)}: ${oneLine(error)}`);
      }
      const template = handlebars.compile(source, compileOptions);
      return (params) => {
        try {
          return template(params);
        } catch (error) {
          throw new RenderError(path, `template ${JSON.stringify(source)} failed: ${oneLine(error)}`);
        }
      };
    },
  };
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
