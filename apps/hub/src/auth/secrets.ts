import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are 256 random bits, so a plain SHA-256 is a safe way to store them (no
 * password stretching needed); only the hash ever reaches the database or logs.
 */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Token prefixes say what a token is when one leaks into a ticket or a log. */
export const TOKEN_PREFIX = { admin: 'flt', bootstrap: 'fltb', agent: 'flta' } as const;
