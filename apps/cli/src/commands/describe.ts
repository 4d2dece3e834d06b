import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { age, formatTable, labelsText } from '../client/table.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

type Env = Readonly<Record<string, string | undefined>>;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** kubectl describe's layout: aligned `Key: value` lines, then sections. */
function fields(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width)}${value === '' ? '<none>' : value}`).join('\n');
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** `flotilla describe cluster NAME | appset NAMESPACE/NAME | app NAME --cluster C`. */
export async function describeCommand(
  kind: string,
  name: string,
  flags: { cluster?: string; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  const api = new HubApi(resolveContext(env, flags.context));
  const k = kind.toLowerCase();
  if (k === 'cluster' || k === 'clusters') {
    const c = await api.get<Record<string, unknown>>(`/api/v1/clusters/${encodeURIComponent(name)}`);
    const apps = await api.get<Array<{ application: string; sync: string; health: string; appliedRevision: number | null }>>(
      `/api/v1/clusters/${encodeURIComponent(name)}/applications`,
    );
    const plans = await api.get<Array<{ revision: number }>>(`/api/v1/clusters/${encodeURIComponent(name)}/plans`);
    io.stdout(
      `${fields([
        ['Name', String(c.name)],
        ['Server', String(c.server)],
        ['Labels', labelsText(c.labels as Record<string, string>)],
        ['State', String(c.state)],
        ['Agent', c.agentRegistered ? 'registered' : 'waiting for registration'],
        ['Kube version', String(c.kubeVersion ?? '')],
        ['Last seen', c.lastHeartbeatAt ? `${age(String(c.lastHeartbeatAt))} ago` : ''],
        [
          'Newest plan',
          plans[0]
            ? `revision ${plans[0].revision}${c.planRetryAt ? ` (failed Applications: planned again at ${String(c.planRetryAt)})` : ''}`
            : '',
        ],
      ])}\nApplications:\n${
        apps.length
          ? indent(
              formatTable(
                ['name', 'sync', 'health', 'revision'],
                apps.map((a) => [a.application, a.sync, a.health, String(a.appliedRevision ?? '')]),
              ),
            )
          : '  <none>'
      }\n`,
    );
    return;
  }
  if (k === 'appset' || k === 'appsets' || k === 'applicationset') {
    const [namespace, setName] = name.includes('/') ? name.split('/', 2) : ['argocd', name];
    const base = `/api/v1/applicationsets/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(setName ?? '')}`;
    const a = await api.get<{ generation: number; renderedGeneration: number; renderedAt: string | null; conditions: Condition[] }>(base);
    const apps = await api.get<Array<{ name: string; cluster: string | null }>>(`${base}/applications`);
    const conditions = a.conditions.map((c) => [c.type, c.status, c.reason ?? '', (c.message ?? '').split('\n')[0] ?? '']);
    io.stdout(
      `${fields([
        ['Name', `${namespace}/${setName}`],
        ['Generation', `${a.renderedGeneration} rendered of ${a.generation}`],
        ['Rendered', a.renderedAt ? `${age(a.renderedAt)} ago` : ''],
      ])}\nConditions:\n${conditions.length ? indent(formatTable(['type', 'status', 'reason', 'message'], conditions)) : '  <none>'}\nApplications:\n${
        apps.length
          ? indent(
              formatTable(
                ['name', 'cluster'],
                apps.map((x) => [x.name, x.cluster ?? '(not a registered cluster)']),
              ),
            )
          : '  <none>'
      }\n`,
    );
    return;
  }
  if (k === 'app' || k === 'apps' || k === 'application') {
    if (!flags.cluster) throw new HubClientError('describe app needs --cluster NAME', EXIT.usage);
    const statuses = await api.get<
      Array<{
        application: string;
        sync: string;
        health: string;
        message: string;
        appliedRevision: number | null;
        objects: Array<Record<string, unknown>>;
      }>
    >(`/api/v1/clusters/${encodeURIComponent(flags.cluster)}/applications`);
    const status = statuses.find((s) => s.application === name);
    if (!status) throw new HubClientError(`application "${name}" has no status on cluster ${flags.cluster}`, 5);
    const objects = status.objects.map((o) => [
      `${o.group ? `${o.kind}.${o.group}` : o.kind}`,
      `${o.namespace ? `${o.namespace}/` : ''}${o.name}`,
      String(o.sync),
      String(o.health),
      [String(o.message ?? ''), Array.isArray(o.diff) ? `differs: ${(o.diff as string[]).join(', ')}` : ''].filter(Boolean).join('; '),
    ]);
    io.stdout(
      `${fields([
        ['Name', name],
        ['Cluster', flags.cluster],
        ['Sync', status.sync],
        ['Health', status.health],
        ['Applied revision', String(status.appliedRevision ?? '')],
        ['Message', status.message],
      ])}\nObjects:\n${objects.length ? indent(formatTable(['kind', 'name', 'sync', 'health', 'message'], objects)) : '  <none>'}\n`,
    );
    return;
  }
  throw new HubClientError(`unknown kind "${kind}": use cluster, appset or app`, EXIT.usage);
}

/**
 * `flotilla sync appset NAMESPACE/NAME`: render it now with fresh git (and re-plan its
 * clusters); with --wait, until the render finished, printing its outcome.
 */
export async function syncCommand(
  kind: string,
  name: string,
  flags: { wait?: boolean; timeout?: string; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  if (!['appset', 'appsets', 'applicationset'].includes(kind.toLowerCase()))
    throw new HubClientError('sync renders ApplicationSets: flotilla sync appset NAMESPACE/NAME', EXIT.usage);
  const [namespace, setName] = name.includes('/') ? name.split('/', 2) : ['argocd', name];
  const base = `/api/v1/applicationsets/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(setName ?? '')}`;
  const api = new HubApi(resolveContext(env, flags.context));
  const requested = await api.post<{ generation: number }>(`${base}/sync`);
  io.stderr(`sync of ${namespace}/${setName} requested (generation ${requested.generation})`);
  if (!flags.wait) return;
  const timeoutSeconds = Number(flags.timeout ?? '120');
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const current = await api.get<{ renderedGeneration: number; conditions: Condition[] }>(base);
    if (current.renderedGeneration >= requested.generation) {
      const rendered = current.conditions.find((c) => c.type === 'Rendered');
      io.stdout(`${namespace}/${setName}: ${rendered?.status === 'True' ? 'rendered' : 'render failed'}: ${rendered?.message ?? ''}\n`);
      if (rendered?.status !== 'True') throw new HubClientError(`render failed: ${rendered?.message ?? 'unknown reason'}`, EXIT.failed);
      return;
    }
    if (Date.now() > deadline) throw new HubClientError(`not rendered within ${timeoutSeconds} s (is a worker running?)`, EXIT.failed);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
