import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { age, formatTable } from '../client/table.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

type Env = Readonly<Record<string, string | undefined>>;

interface GeneratedApp {
  name: string;
  cluster: string | null;
}
interface ObjectStatus {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sync: string;
  health: string;
  message?: string;
}
interface AppStatus {
  application: string;
  sync: string;
  health: string;
  appliedRevision: number | null;
  objects: ObjectStatus[];
}

/**
 * `flotilla tree appset NAMESPACE/NAME`: the ApplicationSet, its Applications, the cluster
 * each landed on and the objects there with sync and health, as the agents reported
 * them (`flux tree` for a fleet).
 */
export async function treeCommand(kind: string, ref: string, flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  if (!['appset', 'appsets', 'applicationset'].includes(kind.toLowerCase()))
    throw new HubClientError(`tree shows ApplicationSets: flotilla tree appset NAMESPACE/NAME`, EXIT.usage);
  const [namespace, name] = ref.includes('/') ? ref.split('/', 2) : ['argocd', ref];
  const api = new HubApi(resolveContext(env, flags.context));
  const base = `/api/v1/applicationsets/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(name ?? '')}`;
  const apps = await api.get<GeneratedApp[]>(`${base}/applications`);
  const clusters = [...new Set(apps.map((a) => a.cluster).filter((c): c is string => c !== null))];
  const statuses = new Map<string, AppStatus>();
  await Promise.all(
    clusters.map(async (cluster) => {
      for (const status of await api.get<AppStatus[]>(`/api/v1/clusters/${encodeURIComponent(cluster)}/applications`))
        statuses.set(`${cluster}/${status.application}`, status);
    }),
  );
  const lines = [`ApplicationSet/${namespace}/${name}`];
  apps.forEach((app, i) => {
    const lastApp = i === apps.length - 1;
    const status = app.cluster ? statuses.get(`${app.cluster}/${app.name}`) : undefined;
    const where = app.cluster ? `cluster ${app.cluster}` : 'no registered cluster';
    const state = status ? `${status.sync} ${status.health} r${status.appliedRevision ?? '?'}` : 'not reported yet';
    lines.push(`${lastApp ? '└── ' : '├── '}Application/${app.name} (${where}) ${state}`);
    const objects = status?.objects ?? [];
    objects.forEach((object, j) => {
      const id = `${object.group ? `${object.kind}.${object.group}` : object.kind}/${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
      lines.push(`${lastApp ? '    ' : '│   '}${j === objects.length - 1 ? '└── ' : '├── '}${id} ${object.sync} ${object.health}`);
    });
  });
  io.stdout(`${lines.join('\n')}\n`);
}

/** `flotilla stats`: Applications on clusters by sync and health, and clusters by state. */
export async function statsCommand(flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  const api = new HubApi(resolveContext(env, flags.context));
  const [apps, clusters] = await Promise.all([
    api.get<Array<{ sync: string; health: string }>>('/api/v1/applications'),
    api.get<Array<{ state: string }>>('/api/v1/clusters'),
  ]);
  const count = <T>(items: T[], key: (item: T) => string): Array<[string, number]> => {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => a.localeCompare(b));
  };
  const rows = [
    ...count(clusters, (c) => c.state).map(([state, n]) => ['Cluster', state, String(n)]),
    ...count(apps, (a) => `${a.sync}/${a.health}`).map(([state, n]) => ['Application', state, String(n)]),
  ];
  io.stdout(formatTable(['kind', 'status', 'count'], rows));
}

interface EventRow {
  id: string;
  at: string;
  actor: string;
  type: string;
  subject: string;
  message: string;
}

/** `flotilla events [--for SUBJECT] [--watch]`: the hub's event log, oldest first; --watch keeps printing new ones. */
export async function eventsCommand(
  flags: { for?: string; limit?: string; watch?: boolean; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  const api = new HubApi(resolveContext(env, flags.context));
  const query = (limit: number) => `/api/v1/events?limit=${limit}${flags.for ? `&subject=${encodeURIComponent(flags.for)}` : ''}`;
  const limit = Number.parseInt(flags.limit ?? '50', 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HubClientError('--limit: a whole number from 1 to 1000', EXIT.usage);
  const row = (e: EventRow): string[] => [age(e.at), e.type, e.subject, e.actor, e.message.split('\n')[0] ?? ''];
  const first = (await api.get<EventRow[]>(query(limit))).reverse();
  io.stdout(formatTable(['age', 'type', 'subject', 'actor', 'message'], first.map(row)));
  if (!flags.watch) return;
  let last = BigInt(first.at(-1)?.id ?? '0');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const fresh = (await api.get<EventRow[]>(query(200))).filter((e) => BigInt(e.id) > last).reverse();
    for (const event of fresh) io.stdout(`${row(event).join('   ')}\n`);
    if (fresh.length > 0) last = BigInt(fresh.at(-1)?.id ?? last.toString());
  }
}
