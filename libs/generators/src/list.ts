import { z } from 'zod';
import { fieldPath, type ParamSet, SpecError } from '#contracts';
import type { Generator, GeneratorContext } from './generator.js';
import { parseYaml, yamlErrorReason } from './yaml.js';

const listSchema = z.strictObject({
  elements: z.array(z.record(z.string(), z.unknown())).optional(),
  elementsYaml: z.string().optional(),
  template: z.unknown().optional(),
});

type ListSpec = z.infer<typeof listSchema>;

/** The list generator: each element is one parameter set. */
export const listGenerator: Generator<ListSpec> = {
  key: 'list',
  schema: listSchema,
  async generate(spec, context) {
    const elements = (spec.elements ?? []).map((element, i) =>
      elementParams(element, fieldPath(fieldPath(context.path, 'elements'), i), context),
    );
    // Argo CD appends elementsYaml elements unflattened, in both template modes.
    return [...elements, ...parseElementsYaml(spec.elementsYaml, fieldPath(context.path, 'elementsYaml'))];
  },
};

function elementParams(element: Record<string, unknown>, path: string, context: GeneratorContext): ParamSet {
  if (context.mode === 'nested') return element;
  // fasttemplate: every value must be a string; `values` is a map of strings flattened as `values.<key>`.
  const params: ParamSet = {};
  for (const [key, value] of Object.entries(element)) {
    if (key === 'values') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SpecError(fieldPath(path, key), 'must be a map of strings');
      }
      for (const [valueKey, valueValue] of Object.entries(value)) {
        if (typeof valueValue !== 'string') {
          throw new SpecError(
            fieldPath(fieldPath(path, key), valueKey),
            `must be a string (fasttemplate params are strings; quote it), got ${typeName(valueValue)}`,
          );
        }
        params[`values.${valueKey}`] = valueValue;
      }
    } else if (typeof value === 'string') {
      params[key] = value;
    } else {
      throw new SpecError(fieldPath(path, key), `must be a string (fasttemplate params are strings; quote it), got ${typeName(value)}`);
    }
  }
  return params;
}

function parseElementsYaml(source: string | undefined, path: string): ParamSet[] {
  if (source === undefined || source.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = parseYaml(source);
  } catch (error) {
    throw new SpecError(path, `invalid YAML: ${yamlErrorReason(error)}`);
  }
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed) || parsed.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) {
    throw new SpecError(path, 'must be a YAML list of maps');
  }
  return parsed as ParamSet[];
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}
