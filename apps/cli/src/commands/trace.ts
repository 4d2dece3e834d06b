import { stringify } from 'yaml';
import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

interface Trace {
  cluster: string;
  object: { group: string; kind: string; namespace?: string; name: string; sync?: string; health?: string; message?: string };
  application: {
    name: string;
    sync: string;
    health: string;
    message: string;
    plannedRevision: number | null;
    appliedRevision: number | null;
    pinnedRevision: number | null;
  };
  applicationSet: { namespace?: string; name: string; generation?: number; renderedGeneration?: number };
  parameters: Record<string, unknown> | null;
  sources: Array<{ repoURL: string; targetRevision: string; commit: string; path?: string; chart?: string }>;
}

/** `a.b.c=value` pairs of nested generator parameters, sorted. */
function flatten(value: unknown, prefix = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
  }
  return [`${prefix}=${typeof value === 'string' ? value : JSON.stringify(value)}`];
}

/**
 * `flotilla trace KIND/NAME -n NS --cluster C`: object → Application → ApplicationSet →
 * generator parameters → sources and commits, as `flux trace` walks them.
 */
export async function traceCommand(
  object: string,
  flags: { cluster?: string; namespace?: string; group?: string; output?: string; context?: string },
  io: CommandIO,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const [kind, name] = object.split('/', 2);
  if (!kind || !name) throw new HubClientError(`object: expected KIND/NAME (e.g. deployment/web), got "${object}"`, EXIT.usage);
  if (!flags.cluster) throw new HubClientError('--cluster: which cluster the object is on', EXIT.usage);
  const query = new URLSearchParams({ kind, name });
  if (flags.namespace) query.set('namespace', flags.namespace);
  if (flags.group !== undefined) query.set('group', flags.group);
  const api = new HubApi(resolveContext(env, flags.context));
  const traces = await api.get<Trace[]>(`/api/v1/clusters/${encodeURIComponent(flags.cluster)}/trace?${query}`);
  if (flags.output === 'json') return void io.stdout(`${JSON.stringify(traces, null, 2)}\n`);
  if (flags.output === 'yaml') return void io.stdout(stringify(traces, { lineWidth: 0 }));
  const blocks = traces.map((trace) => {
    const { object: o, application: app, applicationSet: set } = trace;
    const lines: Array<[string, string]> = [
      ['Object', `${o.kind}${o.group ? `.${o.group}` : ''} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`],
      ['Cluster', trace.cluster],
      ['Status', o.sync ? `${o.sync}, ${o.health}${o.message ? ` (${o.message})` : ''}` : 'not reported yet'],
      ['---', ''],
      ['Application', app.name],
      ['Sync', `${app.sync} (applied plan revision ${app.appliedRevision ?? '-'}, newest ${app.plannedRevision ?? '-'})`],
      ['Health', `${app.health}${app.message ? ` (${app.message.split('\n')[0]})` : ''}`],
    ];
    if (app.pinnedRevision !== null)
      lines.push([
        'Pinned',
        `plan revision ${app.pinnedRevision} (rollback; flotilla rollback ${app.name} --cluster ${trace.cluster} --unpin)`,
      ]);
    lines.push(
      ['---', ''],
      [
        'ApplicationSet',
        `${set.namespace ? `${set.namespace}/` : ''}${set.name}${set.generation !== undefined ? ` (generation ${set.generation}, rendered ${set.renderedGeneration})` : ''}`,
      ],
    );
    lines.push(['Parameters', trace.parameters ? flatten(trace.parameters).sort().join(', ') || '<none>' : 'unknown']);
    for (const source of trace.sources) {
      lines.push(['---', ''], ['Source', source.chart ? `${source.repoURL} (chart ${source.chart})` : source.repoURL]);
      lines.push(['Revision', `${source.targetRevision || 'HEAD'} → ${source.commit}`]);
      if (source.path) lines.push(['Path', source.path]);
    }
    return lines.map(([label, value]) => (label === '---' ? '---' : `${`${label}:`.padEnd(16)}${value}`)).join('\n');
  });
  io.stdout(`${blocks.join('\n\n')}\n`);
}
