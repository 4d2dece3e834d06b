import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadHubConfig } from './hub-config.js';

const DATABASE_URL = 'postgresql://flotilla@127.0.0.1/flotilla';

describe('hub configuration', () => {
  it('retries failed work after 10 s, doubling up to 10 minutes, by default', () => {
    const config = loadHubConfig({ DATABASE_URL });
    assert.equal(config.FLOTILLA_RETRY_BASE_SECONDS, 10);
    assert.equal(config.FLOTILLA_RETRY_MAX_SECONDS, 600);
  });

  it('refuses a retry ceiling below its base, naming the variable', () => {
    assert.throws(
      () => loadHubConfig({ DATABASE_URL, FLOTILLA_RETRY_BASE_SECONDS: '30', FLOTILLA_RETRY_MAX_SECONDS: '5' }),
      (error: unknown) =>
        error instanceof ConfigError && /FLOTILLA_RETRY_MAX_SECONDS: must not be less than FLOTILLA_RETRY_BASE_SECONDS/.test(error.message),
    );
  });

  it('names every invalid variable at once', () => {
    assert.throws(
      () => loadHubConfig({ DATABASE_URL: 'mysql://x', FLOTILLA_RETRY_BASE_SECONDS: 'soon' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /DATABASE_URL: must be a postgresql:\/\/ URL/.test(error.message) &&
        /FLOTILLA_RETRY_BASE_SECONDS: /.test(error.message),
    );
  });
});
