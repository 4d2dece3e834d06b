import { cpuMs, cpuMsByName, emit, latencyStats, onStopped, progress, quiet, rssMiB, sized, Tally } from './common.js';
import { AgentClient, closeFleet, fleetFigures, plannedClusters, since, startFleet } from './fleet.js';

/**
 * Delivery: BENCH_AGENTS simulated agents (default 2,000; `npm run bench` runs 1,000, 5,000
 * and 10,000) long-poll one hub on loopback (an API process holding the polls and a worker
 * process, as deployed); one ApplicationSet change must reach all of them. Reports the
 * latency from the change to each agent's receipt (p50/p95/p99/max), errors, the API
 * process's RSS before and while every poll is held (per held agent: as found, and right after
 * a full garbage collection, which drops what the burst of 10,000 connections left behind), and
 * the CPU each part used until the last agent had the change.
 */

const AGENTS = sized('BENCH_AGENTS', 2_000, 20);
const log = progress(`delivery ${AGENTS}`);

async function main(): Promise<void> {
  const fleet = await startFleet();
  const client = new AgentClient(fleet.base, AGENTS);
  try {
    const api = fleet.api.pid as number;
    const worker = fleet.worker.pid as number;
    const { agents, current } = await plannedClusters(fleet, AGENTS, log);
    const before = { api: rssMiB(api), worker: rssMiB(worker), apiCollected: await fleet.collectedRssMiB() };
    // Every agent holds a long-poll for anything newer...
    const errors = new Tally();
    const failed = (kind: string) => errors.add(kind);
    const receipts: number[] = [];
    /** Each agent's receipt, from its cluster's announcement (the revision stored and published): delivery's own leg. */
    const fromAnnouncement: number[] = [];
    const announced = await fleet.announcements();
    let changedAt = 0;
    onStopped(async () => `delivery: ${receipts.length} of ${AGENTS} agents had the change; errors ${JSON.stringify(errors.counts)}`);
    const polls = agents.map((agent) =>
      client.poll(agent, current.get(agent.name) as number).then(
        (response) => {
          if (response.status === 200 && response.body.includes('Version=2')) {
            receipts.push(since(changedAt, response.at));
            const at = announced.announcedAt.get(agent.name);
            if (at === undefined) failed('received before announced');
            else fromAnnouncement.push(since(at, response.at));
          } else failed(response.status === 200 ? 'stale plan' : `HTTP ${response.status}`);
        },
        (error: NodeJS.ErrnoException) => failed(error.code ?? error.message),
      ),
    );
    // Let the poll storm settle: every agent is then waiting on the hub.
    const settle = async () => {
      await fleet.awaitWaiting(AGENTS);
      await quiet([api], { timeoutMs: 120_000 });
    };
    // With BENCH_HUB_PROFILE, also the API's live heap (after a full GC) before and with the polls held.
    const live = fleet.liveHeap ? await fleet.liveHeap(`delivery-${AGENTS}-polls`, settle) : undefined;
    if (!live) await settle();
    const held = { api: rssMiB(api), worker: rssMiB(worker), apiCollected: await fleet.collectedRssMiB() };
    log(
      `polls held: API ${before.api.toFixed(0)} → ${held.api.toFixed(0)} MiB; after a full GC ${before.apiCollected.toFixed(0)} → ${held.apiCollected.toFixed(0)} MiB`,
    );
    // ...and one change must reach them all.
    const cpu = () => ({ api: cpuMs(api), worker: cpuMs(worker), postgres: cpuMsByName('postgres'), agents: cpuMs('self') });
    const cpuBefore = cpu();
    await fleet.profile(`delivery-${AGENTS}`, async () => {
      changedAt = performance.now();
      await fleet.putAppSet('2');
      log('ApplicationSet changed');
      await Promise.all(polls);
    });
    const cpuAfter = cpu();
    announced.close();
    const latency = latencyStats(receipts);
    const leg = latencyStats(fromAnnouncement);
    log(`delivered: ${JSON.stringify(latency)}; from announcement: ${JSON.stringify(leg)}`);
    emit({
      scenario: 'delivery',
      agents: AGENTS,
      delivered: receipts.length,
      errors: errors.total,
      errorKinds: errors.counts,
      latency,
      /** From each cluster's announcement to its agent's receipt (the pipeline before it: render, store, plan). */
      fromAnnouncement: leg,
      agentsPerSecond: receipts.length / (latency.maxMs / 1000),
      apiRssBeforePollsMiB: before.api,
      apiRssHeldMiB: held.api,
      workerRssMiB: held.worker,
      /** What holding one poll costs the API process: the RSS the polls added (from RSS after a full GC before them), per agent. */
      rssPerHeldAgentKiB: ((held.api - before.apiCollected) * 1024) / AGENTS,
      apiRssCollectedBeforePollsMiB: before.apiCollected,
      apiRssCollectedHeldMiB: held.apiCollected,
      /** The same, each side measured right after a full GC: what the held polls keep, without the connection burst's garbage. */
      rssPerHeldAgentCollectedKiB: ((held.apiCollected - before.apiCollected) * 1024) / AGENTS,
      ...(live
        ? {
            liveHeap: {
              before: live.before,
              held: live.after,
              heapPerHeldAgentKiB: ((live.after.heapUsedMiB - live.before.heapUsedMiB) * 1024) / AGENTS,
            },
          }
        : {}),
      ...fleetFigures(fleet, client, { api, worker }, cpuBefore, cpuAfter),
    });
  } finally {
    await closeFleet(fleet, client);
  }
}

await main();
