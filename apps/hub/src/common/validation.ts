import type { z } from 'zod';
import { zodIssuesToErrors } from '#appsets';
import { AggregateSpecError, type SpecError } from '#contracts';

/** Validates a request body; a failure is a 400 naming every bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const errors = zodIssuesToErrors(result.error);
  throw errors.length === 1 ? (errors[0] as SpecError) : new AggregateSpecError(errors);
}
