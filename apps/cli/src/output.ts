import { stringify } from 'yaml';

export type OutputFormat = 'json' | 'yaml';

/** A list of objects as a JSON array, or as a YAML document stream that `kubectl apply -f -` takes. */
export function formatList(items: readonly unknown[], format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(items, null, 2)}\n`;
  return items.map((item) => `---\n${stringify(item, { lineWidth: 0 })}`).join('');
}
