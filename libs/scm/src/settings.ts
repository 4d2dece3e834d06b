import { z } from 'zod';
import { SourceError } from '#contracts';
import type { SecretResolver } from './types.js';

/** Argo CD's `tokenRef`: a secret name and the key holding the token. */
export const tokenRefSchema = z.object({ secretName: z.string().min(1), key: z.string().min(1) });

/**
 * Parses a provider block. Unknown fields are accepted: the generator's schema owns
 * strictness, and Argo CD versions add provider fields (caRef, excludedLabels, ...) over time.
 */
export function parseSettings<T extends z.ZodType>(provider: string, schema: T, settings: Readonly<Record<string, unknown>>): z.infer<T> {
  const parsed = schema.safeParse(settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [provider, ...(issue?.path ?? [])].join('.');
  throw new SourceError(`${path}: ${issue?.message ?? 'invalid settings'}`);
}

/** The token a `tokenRef` names, or `undefined` for anonymous access when there is none. */
export async function resolveToken(
  provider: string,
  secrets: SecretResolver,
  tokenRef: z.infer<typeof tokenRefSchema> | undefined,
): Promise<string | undefined> {
  if (!tokenRef) return undefined;
  let token: string | undefined;
  try {
    token = await secrets.resolve(tokenRef.secretName, tokenRef.key);
  } catch (error) {
    throw new SourceError(`${provider}: cannot read secret ${tokenRef.secretName} (key ${tokenRef.key})`, { cause: error });
  }
  if (token === undefined || token === '') {
    throw new SourceError(`${provider}: secret ${tokenRef.secretName} has no key ${tokenRef.key}`);
  }
  return token.trim();
}

/** Removes every occurrence of the secret from a text that may end up in an error or a log. */
export function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}
