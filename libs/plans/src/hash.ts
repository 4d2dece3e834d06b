import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** SHA-256 of the RFC 8785 canonical JSON of a value: key order and spacing never change it. */
export function contentHash(value: unknown): string {
  const canonical = canonicalize(value);
  if (canonical === undefined) throw new Error('value cannot be hashed as JSON');
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
