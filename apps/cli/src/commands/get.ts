import { stringify } from 'yaml';
import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { age, formatTable, labelsText, matchesSelector } from '../client/table.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

export const GET_KINDS = ['clusters', 'appsets', 'apps', 'plans'] as const;
const ALIASES: Record<string, (typeof GET_KINDS)[number]> = {
  cluster: 'clusters',
  clusters: 'clusters',
  appset: 'appsets',
  appsets: 'appsets',
  applicationset: 'appsets',
  applicationsets: 'appsets',
  app: 'apps',
  apps: 'apps',
  application: 'apps',
  applications: 'apps',
  plan: 'plans',
  plans: 'plans',
};

export interface GetFlags {
  output?: 'table' | 'wide' | 'json' | 'yaml';
  selector?: string;
  cluster?: string;
  appset?: string;
  context?: string;
}

interface ClusterRow {
  name: string;
  server: string;
  labels: Record<string, string>;
  state: string;
  agentRegistered: boolean;
  kubeVersion: string | null;
  lastHeartbeatAt: string | null;
  createdAt: string;
}
interface AppSetRow {
  namespace: string;
  name: string;
  generation: number;
  renderedGeneration: number;
  conditions: Array<{ type: string; status: string; message?: string }>;
  renderedAt: string | null;
}
interface AppRow {
  name: string;
  applicationSet: string;
  cluster: string | null;
  sync: string;
  health: string;
  appliedRevision: number | null;
}
interface PlanRow {
  revision: number;
  hash: string;
  createdAt: string;
}

/** `flotilla get KIND [NAME]`: the hub's objects as kubectl prints them (table, wide, json, yaml). */
export async function getCommand(
  kindArg: string,
  name: string | undefined,
  flags: GetFlags,
  io: CommandIO,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const kind = ALIASES[kindArg.toLowerCase()];
  if (!kind) throw new HubClientError(`unknown kind "${kindArg}": use one of ${GET_KINDS.join(', ')}`, EXIT.usage);
  const api = new HubApi(resolveContext(env, flags.context));
  const output = flags.output ?? 'table';
  const wide = output === 'wide';
  const print = (items: unknown[], headers: string[], row: (item: never) => string[]): void => {
    if (output === 'json') io.stdout(`${JSON.stringify(name ? items[0] : items, null, 2)}\n`);
    else if (output === 'yaml') io.stdout(stringify(name ? items[0] : items, { lineWidth: 0 }));
    else if (items.length === 0) io.stderr(`No ${kind} found.`);
    else
      io.stdout(
        formatTable(
          headers,
          items.map((item) => row(item as never)),
        ),
      );
  };

  if (kind === 'clusters') {
    const all = name
      ? [await api.get<ClusterRow>(`/api/v1/clusters/${encodeURIComponent(name)}`)]
      : await api.get<ClusterRow[]>('/api/v1/clusters');
    const items = all.filter((c) => matchesSelector(c.labels, flags.selector));
    const headers = ['name', 'state', 'agent', 'kube version', 'last seen', 'age', ...(wide ? ['server', 'labels'] : [])];
    print(items, headers, (c: ClusterRow) => [
      c.name,
      c.state,
      c.agentRegistered ? 'registered' : 'waiting',
      c.kubeVersion ?? '',
      age(c.lastHeartbeatAt),
      age(c.createdAt),
      ...(wide ? [c.server, labelsText(c.labels)] : []),
    ]);
    return;
  }
  if (kind === 'appsets') {
    const [namespace, setName] = name?.includes('/') ? name.split('/', 2) : ['argocd', name];
    const items = setName
      ? [await api.get<AppSetRow>(`/api/v1/applicationsets/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(setName)}`)]
      : await api.get<AppSetRow[]>('/api/v1/applicationsets');
    const headers = ['namespace', 'name', 'rendered', 'generation', 'age', ...(wide ? ['message'] : [])];
    print(items, headers, (a: AppSetRow) => {
      const rendered = a.conditions.find((c) => c.type === 'Rendered');
      return [
        a.namespace,
        a.name,
        rendered?.status ?? 'Unknown',
        `${a.renderedGeneration}/${a.generation}`,
        age(a.renderedAt),
        ...(wide ? [(rendered?.message ?? '').split('\n')[0] ?? ''] : []),
      ];
    });
    return;
  }
  if (kind === 'apps') {
    const query = new URLSearchParams();
    if (flags.cluster) query.set('cluster', flags.cluster);
    if (flags.appset) query.set('applicationSet', flags.appset);
    const all = await api.get<AppRow[]>(`/api/v1/applications${query.size ? `?${query}` : ''}`);
    const items = name ? all.filter((a) => a.name === name) : all;
    if (name && items.length === 0) throw new HubClientError(`application "${name}" not found`, 5);
    print(items, ['name', 'cluster', 'sync', 'health', 'revision', ...(wide ? ['applicationset'] : [])], (a: AppRow) => [
      a.name,
      a.cluster ?? '',
      a.sync,
      a.health,
      a.appliedRevision === null ? '' : String(a.appliedRevision),
      ...(wide ? [a.applicationSet] : []),
    ]);
    return;
  }
  const cluster = flags.cluster ?? name;
  if (!cluster) throw new HubClientError('plans belong to a cluster: flotilla get plans --cluster NAME', EXIT.usage);
  const items = await api.get<PlanRow[]>(`/api/v1/clusters/${encodeURIComponent(cluster)}/plans`);
  print(items, ['revision', 'hash', 'age'], (p: PlanRow) => [String(p.revision), p.hash.slice(0, 19), age(p.createdAt)]);
}
