import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseSecretKey, seal, unseal } from './sealing.js';

describe('secret sealing', () => {
  const key = randomBytes(32);

  it('round-trips a value and never stores it in clear', () => {
    const sealed = seal(key, 'github-token', 'ghp_secretvalue');
    assert.equal(unseal(key, 'github-token', sealed), 'ghp_secretvalue');
    assert.doesNotMatch(Buffer.from(sealed, 'base64').toString('latin1'), /ghp_secretvalue/);
    assert.notEqual(seal(key, 'github-token', 'ghp_secretvalue'), sealed, 'a fresh IV every time');
  });

  it('refuses another key, another name, or tampered bytes', () => {
    const sealed = seal(key, 'a', 'value');
    assert.throws(() => unseal(randomBytes(32), 'a', sealed));
    assert.throws(() => unseal(key, 'b', sealed));
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    assert.throws(() => unseal(key, 'a', bytes.toString('base64')));
    assert.throws(() => unseal(key, 'a', 'AAAA'), /truncated/);
  });

  it('accepts 32-byte keys as hex or base64 and explains anything else', () => {
    assert.equal((parseSecretKey('ab'.repeat(32)) as Buffer).length, 32);
    assert.equal((parseSecretKey(randomBytes(32).toString('base64')) as Buffer).length, 32);
    assert.match(parseSecretKey('short') as string, /32 bytes/);
    assert.match(parseSecretKey(randomBytes(16).toString('base64')) as string, /32 bytes/);
  });
});
