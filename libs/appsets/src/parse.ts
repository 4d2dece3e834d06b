import type { z } from 'zod';
import { AggregateSpecError, fieldPath, SpecError } from '#contracts';
import { type GeneratorRegistry, parseYamlStream, yamlErrorReason } from '#generators';
import { type ApplicationSet, applicationSetSchema } from './schema.js';

const MAX_REPORTED_ISSUES = 20;

/**
 * Parses and validates one or more ApplicationSets from a YAML or JSON document stream.
 * Every problem is reported with its field path; nothing is returned unless all are valid.
 */
export function parseApplicationSets(source: string, registry: GeneratorRegistry, origin = 'input'): ApplicationSet[] {
  let documents: unknown[];
  try {
    documents = parseYamlStream(source);
  } catch (error) {
    throw new SpecError('', `${origin}: not valid YAML: ${yamlErrorReason(error)}`);
  }
  if (documents.length === 0) throw new SpecError('', `${origin}: holds no ApplicationSet`);
  const schema = applicationSetSchema(registry);
  const errors: SpecError[] = [];
  const appSets = documents.map((document, i) => {
    const result = schema.safeParse(document, { reportInput: true });
    if (result.success) return result.data as ApplicationSet;
    const prefix = documents.length > 1 ? `${origin} document ${i + 1}: ` : '';
    errors.push(...zodIssuesToErrors(result.error, prefix));
    return undefined;
  });
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSpecError(errors.slice(0, MAX_REPORTED_ISSUES));
  return appSets as ApplicationSet[];
}

/** Turns zod issues into SpecErrors whose paths read like `spec.generators[1].git.repoURL`. */
export function zodIssuesToErrors(error: z.ZodError, prefix = ''): SpecError[] {
  const out: SpecError[] = [];
  for (const issue of error.issues) {
    const path = issue.path.reduce<string>((acc, key) => fieldPath(acc, typeof key === 'number' ? key : String(key)), '');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(new SpecError(`${prefix}${fieldPath(path, key)}`, 'unknown field'));
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push(new SpecError(`${prefix}${path}`, 'is required'));
    } else {
      out.push(new SpecError(`${prefix}${path}`, issue.message));
    }
  }
  return out;
}
