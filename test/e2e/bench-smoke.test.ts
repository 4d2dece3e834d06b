import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '#testing';

/**
 * The benchmark suite at smoke sizes (BENCH_SIZE=smoke), as CI runs it: every scenario runs
 * and reports its figures. It asserts nothing about the figures; the full run is
 * `npm run bench` (docs/benchmarks.md). Needs what the scenarios need: PostgreSQL, Redis,
 * helm/kustomize, kube-apiserver + etcd (scripts/envtest.sh) and /usr/bin/kubectl.
 */

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const SCENARIOS = ['render', 'plans', 'persist', 'delivery', 'convergence', 'agentApply', 'footprints', 'previews'];

describe('benchmarks (smoke sizes)', { timeout: 10 * 60_000 }, () => {
  it('runs every scenario and writes each one’s figures', async (t) => {
    const results = join(tempDir(t, 'flotilla-bench-smoke-'), 'results.json');
    const env: Record<string, string | undefined> = { ...process.env, BENCH_SIZE: 'smoke', BENCH_RESULTS: results };
    delete env.BENCH_ONLY;
    const started = performance.now();
    let output = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [RUN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0, `bench/run.js exited ${code} after ${seconds.toFixed(0)} s:\n${output.slice(-20_000)}`);
    const written = JSON.parse(readFileSync(results, 'utf8')) as {
      machine: { size: string; cores: number; node: string };
      scenarios: Record<string, { runs: Record<string, unknown>; errors?: string[] }>;
      failures: string[];
    };
    assert.equal(written.machine.size, 'smoke');
    assert.deepEqual(written.failures, []);
    // Scenario 3 (incremental) joins the suite when its file is built.
    const expected = [
      ...SCENARIOS,
      ...(existsSync(fileURLToPath(new URL('../../bench/incremental.js', import.meta.url))) ? ['incremental'] : []),
    ];
    for (const key of expected) {
      const scenario = written.scenarios[key];
      assert.ok(scenario, `${key} is missing from the results`);
      assert.equal(scenario.errors, undefined, `${key} failed: ${scenario.errors?.join('; ')}`);
      for (const [label, result] of Object.entries(scenario.runs))
        assert.ok(result && typeof result === 'object' && !('error' in result), `${key}/${label} reported no figures`);
    }
    t.diagnostic(`smoke suite: ${seconds.toFixed(0)} s`);
  });
});
