import type { ParamSet } from '#contracts';

/** How a generator shapes its parameter sets, chosen by the ApplicationSet's template language. */
export type ParamMode =
  /** Argo CD fasttemplate: one flat map of strings, nested keys joined with dots. */
  | 'flat'
  /** Handlebars (and Go templates): nested objects, values keep their JSON types. */
  | 'nested';

/**
 * Formats a scalar the way Go's `fmt.Sprintf("%v")` prints a value decoded from JSON,
 * which is how Argo CD turns git file values into fasttemplate params
 * (numbers are float64: 1000000 prints as `1e+06`, null as `<nil>`).
 */
export function goFormat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goFormatFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null || value === undefined) return '<nil>';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // Shortest round-trip digits, as Go's strconv with precision -1.
  const [mantissa, exponentText] = n.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  // Go switches to exponent form outside [1e-4, 1e6); JS prints that range the same way.
  return exponent < -4 || exponent >= 6 ? goExponent(mantissa, exponent) : String(n);
}

function goExponent(mantissa: string, exponent: number): string {
  const sign = exponent < 0 ? '-' : '+';
  const digits = String(Math.abs(exponent)).padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

/**
 * Flattens nested objects and arrays into dotted keys with Go-formatted values
 * (jeremywohl/flatten's DotStyle, as Argo CD uses): `{a: {b: [1]}}` gives `a.b.0 = "1"`.
 * Empty objects and arrays disappear.
 */
export function flattenParams(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (node: unknown, prefix: string): void => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) visit(child, prefix ? `${prefix}.${i}` : String(i));
    } else if (node !== null && typeof node === 'object' && !(node instanceof Date)) {
      for (const [key, child] of Object.entries(node)) visit(child, prefix ? `${prefix}.${key}` : key);
    } else {
      out[prefix] = goFormat(node);
    }
  };
  visit(value, '');
  return out;
}

/**
 * Params as label-selector input. Argo CD flattens every parameter set before matching
 * (`flattenParameters`), whatever the template language: flat params are mostly flat strings
 * already, but elementsYaml elements keep their maps and lists in fasttemplate mode too.
 */
export function selectorLabels(params: ParamSet): Record<string, string> {
  return flattenParams(params);
}
