import { readFileSync } from 'node:fs';
import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { age, formatTable } from '../client/table.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

type Env = Readonly<Record<string, string | undefined>>;

interface PreviewView {
  number: number;
  title: string;
  headSha: string;
  state: string;
  reason: string;
  url: string | null;
  statusState: string | null;
  lastActivityAt: string;
  applications: number;
}

/** `flotilla previews NAMESPACE/NAME`: an ApplicationSet's pull request previews, newest activity first. */
export async function previewsCommand(name: string, flags: { context?: string; output?: string }, io: CommandIO, env: Env): Promise<void> {
  const [namespace, setName] = name.includes('/') ? name.split('/', 2) : ['argocd', name];
  const api = new HubApi(resolveContext(env, flags.context));
  const previews = await api.get<PreviewView[]>(
    `/api/v1/applicationsets/${encodeURIComponent(namespace as string)}/${encodeURIComponent(setName as string)}/previews`,
  );
  if (flags.output === 'json') return void io.stdout(`${JSON.stringify(previews, null, 2)}\n`);
  if (previews.length === 0) return void io.stderr(`no previews for ${namespace}/${setName}`);
  io.stdout(
    formatTable(
      ['pr', 'state', 'head', 'status', 'apps', 'url', 'idle', 'reason'],
      previews.map((p) => [
        `#${p.number}`,
        p.state,
        p.headSha.slice(0, 8),
        p.statusState ?? '',
        String(p.applications),
        p.url ?? '',
        age(p.lastActivityAt),
        p.reason,
      ]),
    ),
  );
}

/** `flotilla secrets set NAME --from-literal k=v --from-file k=path`: values go to the hub, never to stdout. */
export async function secretsSetCommand(
  name: string,
  flags: { fromLiteral?: string[]; fromFile?: string[]; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  const data: Record<string, string> = {};
  const pairs = (values: string[] | undefined, flag: string, read: (value: string) => string) => {
    for (const pair of values ?? []) {
      const at = pair.indexOf('=');
      if (at <= 0)
        throw new HubClientError(
          `${flag}: expected KEY=${flag === '--from-file' ? 'PATH' : 'VALUE'}, got "${pair.split('=')[0]}…"`,
          EXIT.usage,
        );
      data[pair.slice(0, at)] = read(pair.slice(at + 1));
    }
  };
  pairs(flags.fromLiteral, '--from-literal', (value) => value);
  pairs(flags.fromFile, '--from-file', (path) => {
    try {
      return readFileSync(path, 'utf8').trimEnd();
    } catch (error) {
      throw new HubClientError(
        `--from-file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        EXIT.usage,
      );
    }
  });
  if (Object.keys(data).length === 0)
    throw new HubClientError('give at least one --from-literal KEY=VALUE or --from-file KEY=PATH', EXIT.usage);
  const api = new HubApi(resolveContext(env, flags.context));
  const saved = await api.put<{ name: string; keys: string[] }>(`/api/v1/secrets/${encodeURIComponent(name)}`, { data });
  io.stdout(`secret/${saved.name} saved (keys: ${saved.keys.join(', ')})\n`);
}

export async function secretsListCommand(flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  const secrets = await new HubApi(resolveContext(env, flags.context)).get<Array<{ name: string; keys: string[]; updatedAt: string }>>(
    '/api/v1/secrets',
  );
  io.stdout(
    formatTable(
      ['name', 'keys', 'age'],
      secrets.map((s) => [s.name, s.keys.join(','), age(s.updatedAt)]),
    ),
  );
}

export async function secretsDeleteCommand(name: string, flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  await new HubApi(resolveContext(env, flags.context)).delete(`/api/v1/secrets/${encodeURIComponent(name)}`);
  io.stdout(`secret/${name} deleted\n`);
}
