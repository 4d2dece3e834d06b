import { stringify } from 'yaml';
import { diffPlans, type Plan } from '#plans';
import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { EXIT } from '../exit-codes.js';
import { formatDiff } from './plan.js';
import type { CommandIO } from './render.js';

interface Revision {
  revision: number;
  plan: Plan;
}

/**
 * `flotilla diff CLUSTER [--revision N] [--app NAME]`: what a plan revision changes on a cluster.
 * Without `--revision`, what the agent has yet to apply (newest against what it applied), or,
 * when it is up to date, what the newest revision changed.
 */
export async function diffCommand(
  cluster: string,
  flags: { revision?: string; app?: string; output?: string; context?: string },
  io: CommandIO,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const api = new HubApi(resolveContext(env, flags.context));
  const base = `/api/v1/clusters/${encodeURIComponent(cluster)}`;
  let newer: number;
  let older: number;
  if (flags.revision !== undefined) {
    newer = Number(flags.revision);
    if (!Number.isInteger(newer) || newer < 1)
      throw new HubClientError('--revision: a plan revision number (see flotilla get plans)', EXIT.usage);
    older = newer - 1;
  } else {
    newer = (await api.get<Revision>(`${base}/plans/latest`)).revision;
    const applied = (await api.get<Array<{ appliedRevision: number | null }>>(`${base}/applications`))
      .map((s) => s.appliedRevision)
      .filter((r): r is number => r !== null);
    const oldestApplied = applied.length ? Math.min(...applied) : undefined;
    older = oldestApplied !== undefined && oldestApplied < newer ? oldestApplied : newer - 1;
    io.stderr(
      oldestApplied !== undefined && oldestApplied < newer
        ? `cluster ${cluster}: revision ${newer} is not applied yet; changes from the applied revision ${older}:`
        : `cluster ${cluster} is at its newest revision ${newer}; what it changed from ${older}:`,
    );
  }
  const fetchPlan = async (revision: number): Promise<Plan[]> =>
    revision < 1 ? [] : [(await api.get<Revision>(`${base}/plans/${revision}`)).plan];
  const only = (plans: Plan[]): Plan[] =>
    flags.app ? plans.map((plan) => ({ ...plan, hash: '', applications: plan.applications.filter((a) => a.name === flags.app) })) : plans;
  const changes = diffPlans(only(await fetchPlan(older)), only(await fetchPlan(newer)));
  if (flags.output === 'json') return void io.stdout(`${JSON.stringify(changes, null, 2)}\n`);
  if (flags.output === 'yaml') return void io.stdout(stringify(changes, { lineWidth: 0 }));
  io.stdout(formatDiff(changes));
}
