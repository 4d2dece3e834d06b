import { cpuMsByName, emit, latencyStats, pool, progress, quiet, rssMiB, Tally } from './common.js';
import { type Agent, AgentClient, closeFleet, startFleet } from './fleet.js';

/**
 * Footprints of the hub: one hub as deployed (API + worker processes, see fleet.ts) whose
 * fleet grows to each of BENCH_FOOTPRINT_SIZES registered clusters (1,000, 5,000, 10,000),
 * every agent holding its long-poll; at each size, once the hub is quiet, the RSS of both
 * processes (and the slope per 1,000 clusters, least squares). Then status fan-in: every agent
 * of BENCH_FANIN_REPORTS agents (3,000) POSTs a status report (`/agent/v1/status`, its Application
 * and object), BENCH_FANIN_CONCURRENCY (100) at a time, polls still held: status rows stored per
 * second and the POST latency; the baseline is the same reports sent one at a time (a fifteenth).
 * Then the same agents each send a heartbeat (`/agent/v1/heartbeat`, one round unmeasured first:
 * its new Kubernetes version re-plans each cluster), against the same baseline.
 * The agent's own footprint comes from the agent-apply scenario (`run.ts` puts them together).
 */

const SMOKE = process.env.BENCH_SIZE === 'smoke';
const SIZES = (process.env.BENCH_FOOTPRINT_SIZES ?? (SMOKE ? '10,30' : '1000,5000,10000')).split(',').map(Number);
const CONCURRENCY = Number(process.env.BENCH_FANIN_CONCURRENCY ?? 100);
/** Agents that report in the fan-in (3,000 of the 10,000: rows/s is steady long before all of them). */
const FANIN_REPORTS = Number(process.env.BENCH_FANIN_REPORTS ?? (SMOKE ? 30 : 3000));
const log = progress('footprints');

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

async function main(): Promise<void> {
  const fleet = await startFleet();
  const largest = Math.max(...SIZES);
  const client = new AgentClient(fleet.base, largest + CONCURRENCY);
  try {
    const api = fleet.api.pid as number;
    const worker = fleet.worker.pid as number;
    await fleet.putAppSet('1');
    await quiet([api, worker]);
    const empty = { clusters: 0, apiRssMiB: rssMiB(api), workerRssMiB: rssMiB(worker) };
    const sizes = [empty];
    const revisions = new Map<string, number>();
    let closing = false;
    /** Held polls answered (nothing changes these clusters' plans) or broken, by kind. */
    const pollErrors = new Tally();
    const pollFailed = (kind: string) => pollErrors.add(kind);
    for (const size of SIZES) {
      const added = await fleet.addClusters(size - fleet.agents.length);
      // The API-registered cluster re-rendered the set: the new clusters get their plans, the others keep theirs.
      for (const [name, revision] of await fleet.waitForPlans(added, 'Version=1')) revisions.set(name, revision);
      for (const agent of added)
        client.poll(agent, revisions.get(agent.name) as number).then(
          (response) => {
            if (!closing)
              pollFailed(`HTTP ${response.status}${response.status === 200 ? ` revision ${JSON.parse(response.body).revision}` : ''}`);
          },
          (error: NodeJS.ErrnoException) => void (closing || pollFailed(error.code ?? error.message)),
        );
      // Measured with every agent's poll held by the API, not while connections still queue.
      await fleet.awaitWaiting(size);
      await quiet([api, worker], { timeoutMs: 120_000 });
      sizes.push({ clusters: size, apiRssMiB: rssMiB(api), workerRssMiB: rssMiB(worker) });
      log(`${size} clusters: ${JSON.stringify(sizes.at(-1))}`);
    }
    const points = sizes.filter((s) => s.clusters > 0);
    const apiSlope = slope(points.map((s) => [s.clusters / 1000, s.apiRssMiB]));
    const hubSlope = slope(points.map((s) => [s.clusters / 1000, s.apiRssMiB + s.workerRssMiB]));

    // Status fan-in: every agent reports once, CONCURRENCY at a time; the baseline one at a time.
    const plans = new Map<string, string>(
      (await fleet.db.query<{ name: string }>(`SELECT name FROM "Cluster"`)).rows.map((r) => [r.name, `web-${r.name}`]),
    );
    const report = (agent: Agent, health: string) => ({
      revision: revisions.get(agent.name) as number,
      applications: [
        {
          name: plans.get(agent.name) as string,
          sync: 'Synced',
          health,
          message: '',
          objects: [{ group: '', kind: 'ConfigMap', namespace: 'web', name: 'web', sync: 'Synced', health: 'Healthy' }],
        },
      ],
    });
    const fanIn = (agents: readonly Agent[], width: number, health: string) =>
      send(agents, width, (agent) => ['/agent/v1/status', report(agent, health)]);
    /** Every agent of `agents` sends one request, `width` at a time; rows are the 204 answers. */
    const send = async (agents: readonly Agent[], width: number, request: (agent: Agent) => [string, unknown]) => {
      const latencies: number[] = [];
      let errors = 0;
      const postgresBefore = cpuMsByName('postgres');
      const apiBefore = rssMiB(api);
      const started = performance.now();
      await pool(agents, width, async (agent) => {
        const sent = performance.now();
        const [path, body] = request(agent);
        const response = await client.request(agent, 'POST', path, body).catch(() => undefined);
        if (response?.status === 204) latencies.push(response.at - sent);
        else errors++;
      });
      const seconds = (performance.now() - started) / 1000;
      return {
        reports: agents.length,
        rows: latencies.length,
        errors,
        seconds,
        rowsPerSecond: latencies.length / seconds,
        latency: latencyStats(latencies),
        concurrency: width,
        apiRssMiB: { before: apiBefore, after: rssMiB(api) },
        postgresCpuSeconds: (cpuMsByName('postgres') - postgresBefore) / 1000,
      };
    };
    const reporting = fleet.agents.slice(0, Math.min(fleet.agents.length, FANIN_REPORTS));
    const sample = reporting.slice(0, Math.max(1, Math.round(reporting.length / 15)));
    const baseline = await fanIn(sample, 1, 'Progressing');
    log(`fan-in baseline: ${JSON.stringify(baseline)}`);
    const fanInResult = await fleet.profile('fan-in', () => fanIn(reporting, CONCURRENCY, 'Healthy'));
    log(`fan-in: ${JSON.stringify(fanInResult)}`);
    // Heartbeats: every agent sends one every 30 s, so 10,000 clusters send 333 a second.
    const beat = (agent: Agent): [string, unknown] => [
      '/agent/v1/heartbeat',
      { kubeVersion: 'v1.31.0', agentVersion: `bench-${agent.name}` },
    ];
    // The first heartbeat with a Kubernetes version re-plans the cluster (Helm renders for it);
    // measured are the ones after, which repeat it, as they do all day.
    await send(reporting, CONCURRENCY, beat);
    await quiet([api, worker], { timeoutMs: 120_000 });
    const heartbeatBaseline = await send(sample, 1, beat);
    log(`heartbeat baseline: ${JSON.stringify(heartbeatBaseline)}`);
    const heartbeats = await fleet.profile('heartbeats', () => send(reporting, CONCURRENCY, beat));
    log(`heartbeats: ${JSON.stringify(heartbeats)}`);
    closing = true;
    emit({
      scenario: 'footprints',
      sizes,
      apiSlopeMiBPer1k: apiSlope,
      hubSlopeMiBPer1k: hubSlope,
      pollErrors: pollErrors.counts,
      hubErrors: fleet.hubErrors(),
      /** Requests the simulated agents sent again after a network error (connection refused, reset, timed out). */
      networkRetries: client.retries,
      apiPeakRssMiB: rssMiB(api, 'VmHWM'),
      workerPeakRssMiB: rssMiB(worker, 'VmHWM'),
      fanIn: fanInResult,
      fanInBaseline: baseline,
      fanInRatio: fanInResult.rowsPerSecond / baseline.rowsPerSecond,
      heartbeats,
      heartbeatBaseline,
    });
  } finally {
    await closeFleet(fleet, client);
  }
}

await main();
