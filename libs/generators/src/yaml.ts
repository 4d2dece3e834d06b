import { parse, parseAllDocuments } from 'yaml';

/**
 * YAML as Kubernetes and Argo CD read it (go-yaml, YAML 1.1: `yes`/`no` are booleans,
 * `<<` merges, `0755` is octal), except where go-yaml itself departs from YAML 1.1:
 * timestamps stay strings when Go decodes into an untyped value, and there are no
 * base-60 numbers (`1:20` stays a string). Duplicate keys are an error.
 */
export const KUBERNETES_YAML_OPTIONS = {
  version: '1.1',
  merge: true,
  uniqueKeys: true,
  customTags: (tags: unknown[]) =>
    tags.filter((tag) => {
      const { tag: name, format } = tag as { tag?: string; format?: string };
      return name !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
    }),
} as const;

/** Parses one YAML (or JSON) document. Throws the parser's error, with line and column. */
export function parseYaml(source: string): unknown {
  return parse(source, KUBERNETES_YAML_OPTIONS as never);
}

/** Parses a multi-document YAML stream, skipping empty documents. */
export function parseYamlStream(source: string): unknown[] {
  const documents = parseAllDocuments(source, KUBERNETES_YAML_OPTIONS as never);
  const list = Array.isArray(documents) ? documents : [documents];
  const out: unknown[] = [];
  for (const document of list) {
    if (document.errors.length > 0) throw document.errors[0];
    const value = document.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** The first line of a parser error, which holds the reason and the position. */
export function yamlErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
