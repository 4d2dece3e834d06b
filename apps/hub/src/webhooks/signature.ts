import { createHmac } from 'node:crypto';
import { sameSecret } from '../auth/secrets.js';

/** True when `given` (hex, optionally `sha256=`-prefixed) is the HMAC-SHA256 of the body under the secret. */
export function validHmac(secret: string, body: Buffer, given: string | undefined): boolean {
  if (!given) return false;
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  return sameSecret(given.replace(/^sha256=/, '').toLowerCase(), expected);
}
