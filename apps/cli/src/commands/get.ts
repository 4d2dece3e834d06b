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
  watch?: boolean;
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

/** What a `get` shows: the items, and how each becomes a table row. */
interface Listing {
  items: unknown[];
  headers: string[];
  row: (item: never) => string[];
  /** Identifies an item across polls (`--watch`). */
  key: (item: never) => string;
}

/** `flotilla get KIND [NAME]`: the hub's objects as kubectl prints them (table, wide, json, yaml), or `--watch` changes. */
export async function getCommand(
  kindArg: string,
  name: string | undefined,
  flags: GetFlags,
  io: CommandIO,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const kind = ALIASES[kindArg.toLowerCase()];
  if (!kind) throw new HubClientError(`unknown kind "${kindArg}": use one of ${GET_KINDS.join(', ')}`, EXIT.usage);
  const output = flags.output ?? 'table';
  if (flags.watch && (output === 'json' || output === 'yaml')) {
    throw new HubClientError('--watch prints table rows as they change: use -o table or -o wide', EXIT.usage);
  }
  const api = new HubApi(resolveContext(env, flags.context));
  const listing = await list(api, kind, name, flags, output === 'wide');
  if (output === 'json') return void io.stdout(`${JSON.stringify(name ? listing.items[0] : listing.items, null, 2)}\n`);
  if (output === 'yaml') return void io.stdout(stringify(name ? listing.items[0] : listing.items, { lineWidth: 0 }));
  if (listing.items.length === 0) io.stderr(`No ${kind} found.`);
  else
    io.stdout(
      formatTable(
        listing.headers,
        listing.items.map((item) => listing.row(item as never)),
      ),
    );
  if (!flags.watch) return;

  // kubectl's --watch: after the table, one row each time an item appears or changes.
  const intervalMs = Number(env.FLOTILLA_WATCH_INTERVAL_MS ?? 2000);
  let seen = new Map(listing.items.map((item) => [listing.key(item as never), JSON.stringify(item)]));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const next = await list(api, kind, name, flags, output === 'wide');
    const changed = next.items.filter((item) => seen.get(next.key(item as never)) !== JSON.stringify(item));
    if (changed.length > 0) {
      const table = formatTable(
        next.headers,
        changed.map((item) => next.row(item as never)),
      );
      io.stdout(table.slice(table.indexOf('\n') + 1));
    }
    seen = new Map(next.items.map((item) => [next.key(item as never), JSON.stringify(item)]));
  }
}

async function list(
  api: HubApi,
  kind: (typeof GET_KINDS)[number],
  name: string | undefined,
  flags: GetFlags,
  wide: boolean,
): Promise<Listing> {
  if (kind === 'clusters') {
    const all = name
      ? [await api.get<ClusterRow>(`/api/v1/clusters/${encodeURIComponent(name)}`)]
      : await api.get<ClusterRow[]>('/api/v1/clusters');
    return {
      items: all.filter((c) => matchesSelector(c.labels, flags.selector)),
      headers: ['name', 'state', 'agent', 'kube version', 'last seen', 'age', ...(wide ? ['server', 'labels'] : [])],
      row: (c: ClusterRow) => [
        c.name,
        c.state,
        c.agentRegistered ? 'registered' : 'waiting',
        c.kubeVersion ?? '',
        age(c.lastHeartbeatAt),
        age(c.createdAt),
        ...(wide ? [c.server, labelsText(c.labels)] : []),
      ],
      // The heartbeat time changes every beat; a row is printed again only when something else does.
      key: (c: ClusterRow) => c.name,
    };
  }
  if (kind === 'appsets') {
    const [namespace, setName] = name?.includes('/') ? name.split('/', 2) : ['argocd', name];
    const items = setName
      ? [await api.get<AppSetRow>(`/api/v1/applicationsets/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(setName)}`)]
      : await api.get<AppSetRow[]>('/api/v1/applicationsets');
    return {
      items,
      headers: ['namespace', 'name', 'rendered', 'generation', 'age', ...(wide ? ['message'] : [])],
      row: (a: AppSetRow) => {
        const rendered = a.conditions.find((c) => c.type === 'Rendered');
        return [
          a.namespace,
          a.name,
          rendered?.status ?? 'Unknown',
          `${a.renderedGeneration}/${a.generation}`,
          age(a.renderedAt),
          ...(wide ? [(rendered?.message ?? '').split('\n')[0] ?? ''] : []),
        ];
      },
      key: (a: AppSetRow) => `${a.namespace}/${a.name}`,
    };
  }
  if (kind === 'apps') {
    const query = new URLSearchParams();
    if (flags.cluster) query.set('cluster', flags.cluster);
    if (flags.appset) query.set('applicationSet', flags.appset);
    const all = await api.get<AppRow[]>(`/api/v1/applications${query.size ? `?${query}` : ''}`);
    const items = name ? all.filter((a) => a.name === name) : all;
    if (name && items.length === 0) throw new HubClientError(`application "${name}" not found`, 5);
    return {
      items,
      headers: ['name', 'cluster', 'sync', 'health', 'revision', ...(wide ? ['applicationset'] : [])],
      row: (a: AppRow) => [
        a.name,
        a.cluster ?? '',
        a.sync,
        a.health,
        a.appliedRevision === null ? '' : String(a.appliedRevision),
        ...(wide ? [a.applicationSet] : []),
      ],
      key: (a: AppRow) => `${a.cluster ?? ''}/${a.name}`,
    };
  }
  const cluster = flags.cluster ?? name;
  if (!cluster) throw new HubClientError('plans belong to a cluster: flotilla get plans --cluster NAME', EXIT.usage);
  return {
    items: await api.get<PlanRow[]>(`/api/v1/clusters/${encodeURIComponent(cluster)}/plans`),
    headers: ['revision', 'hash', 'age'],
    row: (p: PlanRow) => [String(p.revision), p.hash.slice(0, 19), age(p.createdAt)],
    key: (p: PlanRow) => String(p.revision),
  };
}
