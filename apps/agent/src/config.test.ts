import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAgentConfig } from './config.js';

describe('loadAgentConfig', () => {
  it('reads the environment with the documented defaults', () => {
    const config = loadAgentConfig({ FLOTILLA_HUB_URL: 'https://hub.example.com/', FLOTILLA_AGENT_NAMESPACE: 'fleet' });
    assert.deepEqual(config, {
      hubUrl: 'https://hub.example.com',
      namespace: 'fleet',
      pollSeconds: 30,
      refreshSeconds: 30,
      heartbeatSeconds: 30,
      concurrency: 16,
      metricsPort: 8080,
    });
    const set = loadAgentConfig({
      FLOTILLA_HUB_URL: 'http://127.0.0.1:3000',
      FLOTILLA_BOOTSTRAP_TOKEN: 'token',
      KUBECONFIG: '/kube/config',
      FLOTILLA_POLL_SECONDS: '5',
      FLOTILLA_REFRESH_SECONDS: '0.5',
      FLOTILLA_HEARTBEAT_SECONDS: '1',
      FLOTILLA_APPLY_CONCURRENCY: '4',
      FLOTILLA_METRICS_PORT: '0',
    });
    assert.equal(set.bootstrapToken, 'token');
    assert.equal(set.kubeconfig, '/kube/config');
    assert.deepEqual([set.pollSeconds, set.refreshSeconds, set.heartbeatSeconds, set.concurrency, set.metricsPort], [5, 0.5, 1, 4, 0]);
  });

  it('names every variable that is wrong, and why', () => {
    assert.throws(
      () =>
        loadAgentConfig({
          FLOTILLA_HUB_URL: 'hub.example.com',
          FLOTILLA_POLL_SECONDS: '301',
          FLOTILLA_REFRESH_SECONDS: 'often',
          FLOTILLA_APPLY_CONCURRENCY: '1.5',
          FLOTILLA_METRICS_PORT: '-1',
        }),
      (error: Error) => {
        assert.match(error.message, /^invalid agent configuration:/);
        assert.match(error.message, /FLOTILLA_HUB_URL: Invalid URL/);
        assert.match(error.message, /FLOTILLA_POLL_SECONDS: Too big: expected number to be <=300/);
        assert.match(error.message, /FLOTILLA_REFRESH_SECONDS: Invalid input: expected number/);
        assert.match(error.message, /FLOTILLA_APPLY_CONCURRENCY: Invalid input: expected int/);
        assert.match(error.message, /FLOTILLA_METRICS_PORT: Too small: expected number to be >=0/);
        return true;
      },
    );
    assert.throws(() => loadAgentConfig({}), /FLOTILLA_HUB_URL: Invalid input: expected string, received undefined/);
    assert.throws(() => loadAgentConfig({ FLOTILLA_HUB_URL: 'ftp://hub.example.com' }), /FLOTILLA_HUB_URL: Invalid URL/);
  });
});
