import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { redact, runProcess, ToolNotFoundError } from './process.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const options = { label: 'tool run', env: ENV, timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 };

describe('runProcess', () => {
  it('returns stdout and turns a failure into a SourceError carrying the last stderr lines, credentials masked', async () => {
    assert.equal(await runProcess('sh', ['-c', 'printf hello'], options), 'hello');
    const script =
      'for i in $(seq 1 30); do echo "line $i" >&2; done; echo "Error: GET https://user:s3cret@charts.example.com/index.yaml failed" >&2; exit 3';
    await assert.rejects(runProcess('sh', ['-c', script], options), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^tool run failed \(exit code 3\): line 20\n/);
      assert.ok(!error.message.includes('line 19\n'), 'only the last lines');
      assert.ok(error.message.endsWith('Error: GET https://***@charts.example.com/index.yaml failed'));
      return true;
    });
  });

  it('kills the whole process group on timeout and on too much output', async () => {
    const started = Date.now();
    await assert.rejects(
      runProcess('sh', ['-c', 'sleep 30 & sleep 30; wait'], { ...options, timeoutMs: 200 }),
      /tool run timed out after 200 ms/,
    );
    assert.ok(Date.now() - started < 5_000);
    await assert.rejects(
      runProcess('head', ['-c', '100000', '/dev/zero'], { ...options, maxOutputBytes: 1000 }),
      /tool run output exceeds the limit of 1000 bytes/,
    );
  });

  it('reports a missing binary as ToolNotFoundError, and passes only the given environment', async () => {
    await assert.rejects(
      runProcess('/nonexistent/helm', [], options),
      (error: unknown) => error instanceof ToolNotFoundError && /cannot run \/nonexistent\/helm/.test(error.message),
    );
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template literal
      await runProcess('sh', ['-c', 'echo "${HOME:-unset} $ONLY"'], { ...options, env: { ...ENV, ONLY: 'given' } }),
      'unset given\n',
    );
  });

  it('redacts paths, longest first', () => {
    assert.equal(
      redact('open /tmp/a/b/values.yaml in /tmp/a', [
        ['/tmp/a', '<tmp>'],
        ['/tmp/a/b/values.yaml', '<values>'],
      ]),
      'open <values> in <tmp>',
    );
  });
});
