import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs, cpuMsByName, emit, latencyStats, onStopped, progress, quiet, sized, Tally } from './common.js';
import { type Agent, AgentClient, CONFIGMAP, closeFleet, fleetFigures, plannedClusters, since, startFleet } from './fleet.js';

/**
 * Convergence: one git commit → every simulated agent has fetched its new plan revision,
 * "applied" it (BENCH_APPLY_MS, 15 ms, simulated) and reported its status to the hub.
 * BENCH_CONVERGE_AGENTS agents (10,000) hold long-polls on a hub as deployed (API + worker
 * processes, see fleet.ts); a commit to the application's repository and its signed push
 * webhook start the clock; an agent has converged when the hub answered its
 * `POST /agent/v1/status` for the new revision. Reports p50/p95/p99 of both fetch (the
 * delivery part) and convergence, the status rows stored, and the CPU each part used.
 */

const AGENTS = sized('BENCH_CONVERGE_AGENTS', 10_000, 20);
const APPLY_MS = sized('BENCH_APPLY_MS', 15, 15);
const log = progress(`convergence ${AGENTS}`);
/** A simulated agent stops retrying its report after this long (the scenario then counts an error). */
const GIVE_UP_MS = 180_000;

interface Revision {
  revision: number;
  plan: {
    applications: Array<{
      name: string;
      commit: string;
      objects?: Array<{ kind: string; metadata: { name: string; namespace?: string } }>;
    }>;
  };
}

async function main(): Promise<void> {
  const fleet = await startFleet();
  const client = new AgentClient(fleet.base, AGENTS);
  try {
    const api = fleet.api.pid as number;
    const worker = fleet.worker.pid as number;
    const { agents, current } = await plannedClusters(fleet, AGENTS, log);

    const errors = new Tally();
    const failed = (kind: string) => errors.add(kind);
    /** Status reports the hub refused (and the agent sent again), by answer. */
    const refused = new Tally();
    const fetched: number[] = [];
    /** From the cluster's plan announcement (its revision stored and published) to the agent's receipt: delivery's own leg. */
    const fetchedAfterAnnouncement: number[] = [];
    const converged: number[] = [];
    /** From the end of the simulated apply to the hub's answer to the status report (retries included): the report's leg. */
    const reportLeg: number[] = [];
    let announced: Awaited<ReturnType<typeof fleet.announcements>> | undefined;
    let commit = '';
    let committedAt = 0;
    onStopped(
      async () =>
        `convergence: ${fetched.length} of ${AGENTS} agents fetched, ${converged.length} converged; errors ${JSON.stringify(errors.counts)}`,
    );
    /** What an agent does with a new revision: apply (simulated), then report every Application's status. */
    const converge = async (agent: Agent): Promise<void> => {
      const response = await client.poll(agent, current.get(agent.name) as number);
      if (response.status !== 200) return failed(`poll: HTTP ${response.status}`);
      const { revision, plan } = JSON.parse(response.body) as Revision;
      if (!plan.applications.every((app) => app.commit === commit)) return failed('stale plan');
      fetched.push(since(committedAt, response.at));
      const announcedAt = announced?.announcedAt.get(agent.name);
      if (announcedAt !== undefined) fetchedAfterAnnouncement.push(since(announcedAt, response.at));
      await sleep(APPLY_MS);
      const appliedAt = performance.now();
      const report = {
        revision,
        applications: plan.applications.map((app) => ({
          name: app.name,
          sync: 'Synced',
          health: 'Healthy',
          message: '',
          objects: (app.objects ?? []).map((o) => ({
            group: '',
            kind: o.kind,
            namespace: o.metadata.namespace,
            name: o.metadata.name,
            sync: 'Synced',
            health: 'Healthy',
          })),
        })),
      };
      // As the agent does: retried until the hub takes it, with its backoff (500 ms doubling to 10 s, jittered).
      for (let pause = 500; ; pause = Math.min(10_000, pause * 2)) {
        const reported = await client.request(agent, 'POST', '/agent/v1/status', report).catch((error: NodeJS.ErrnoException) => ({
          status: error.code ?? error.message,
          at: performance.now(),
        }));
        if (reported.status === 204) {
          reportLeg.push(since(appliedAt, reported.at));
          return void converged.push(since(committedAt, reported.at));
        }
        refused.add(`HTTP ${reported.status}`);
        if (performance.now() - committedAt > GIVE_UP_MS) return failed('status never taken');
        await sleep(pause / 2 + Math.random() * (pause / 2));
      }
    };
    const all = agents.map((agent) => converge(agent).catch((error: NodeJS.ErrnoException) => failed(error.code ?? error.message)));
    await fleet.awaitWaiting(AGENTS);
    await quiet([api], { timeoutMs: 120_000 });
    log('polls held');

    const cpu = () => ({ api: cpuMs(api), worker: cpuMs(worker), postgres: cpuMsByName('postgres'), agents: cpuMs('self') });
    announced = await fleet.announcements();
    const cpuBefore = cpu();
    await fleet.profile(`convergence-${AGENTS}`, async () => {
      committedAt = performance.now();
      commit = await fleet.commit({ 'web/cm.yaml': CONFIGMAP('1') });
      await fleet.pushed();
      await Promise.all(all);
    });
    const cpuAfter = cpu();
    announced.close();
    // The pipeline's leg: commit → each cluster's new revision stored and announced.
    const announcement = latencyStats([...announced.announcedAt.values()].map((at) => since(committedAt, at)));
    const { rows } = await fleet.db.query<{ count: string }>(
      `SELECT count(*) FROM "ApplicationStatus" s JOIN "Cluster" c ON c.id = s."clusterId" WHERE s.sync = 'Synced' AND s."appliedRevision" > 1`,
    );
    const fetch = latencyStats(fetched);
    const delivery = latencyStats(fetchedAfterAnnouncement);
    const reporting = latencyStats(reportLeg);
    const convergence = latencyStats(converged);
    log(
      `announced ${JSON.stringify(announcement)}; fetched ${JSON.stringify(fetch)} (after announcement ${JSON.stringify(delivery)}); reported after the apply ${JSON.stringify(reporting)}; converged ${JSON.stringify(convergence)}`,
    );
    emit({
      scenario: 'convergence',
      agents: AGENTS,
      applyMs: APPLY_MS,
      converged: converged.length,
      statusRows: Number(rows[0]?.count ?? 0),
      errors: errors.total,
      errorKinds: errors.counts,
      statusRetries: refused.total,
      statusRefused: refused.counts,
      /** Commit → each cluster's revision stored and announced (render, git fetch, plan jobs). */
      announcement,
      fetch,
      /** Announcement → the agent's receipt. */
      delivery,
      /** End of the apply → status report answered. */
      report: reporting,
      convergence,
      /** Baseline in the same run: the fetch (delivery) alone; convergence adds the apply and the status report. */
      ratio: convergence.p99Ms / fetch.p99Ms,
      agentsPerSecond: converged.length / (convergence.maxMs / 1000),
      ...fleetFigures(fleet, client, { api, worker }, cpuBefore, cpuAfter),
    });
  } finally {
    await closeFleet(fleet, client);
  }
}

await main();
