import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { age, formatTable } from '../client/table.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

type Env = Readonly<Record<string, string | undefined>>;

const ROLES = ['admin', 'editor', 'viewer'];

function wholeNumber(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HubClientError(`${flag}: a whole number from 1 to ${max}`, EXIT.usage);
  return n;
}

/** `flotilla tokens create NAME --role R [--expires-in-days N]`: prints the token once, on stdout alone (for pipes). */
export async function tokensCreateCommand(
  name: string,
  flags: { role: string; expiresInDays?: string; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  if (!ROLES.includes(flags.role)) throw new HubClientError(`--role: one of ${ROLES.join(', ')}`, EXIT.usage);
  const days = wholeNumber(flags.expiresInDays, '--expires-in-days', 3650);
  const api = new HubApi(resolveContext(env, flags.context));
  const created = await api.post<{ id: string; token: string; expiresAt: string | null }>('/api/v1/tokens', {
    name,
    role: flags.role,
    ...(days ? { expiresInDays: days } : {}),
  });
  io.stderr(
    `token ${created.id} (${flags.role}) created${created.expiresAt ? `, expires ${created.expiresAt}` : ''}; it is shown this once`,
  );
  io.stdout(`${created.token}\n`);
}

export async function tokensListCommand(flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  const api = new HubApi(resolveContext(env, flags.context));
  const tokens =
    await api.get<
      Array<{
        id: string;
        name: string;
        role: string;
        createdAt: string;
        expiresAt: string | null;
        revokedAt: string | null;
        lastUsedAt: string | null;
      }>
    >('/api/v1/tokens');
  io.stdout(
    formatTable(
      ['id', 'name', 'role', 'status', 'last used', 'age'],
      tokens.map((t) => [
        t.id,
        t.name,
        t.role,
        t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active',
        age(t.lastUsedAt),
        age(t.createdAt),
      ]),
    ),
  );
}

export async function tokensRevokeCommand(id: string, flags: { context?: string }, io: CommandIO, env: Env): Promise<void> {
  await new HubApi(resolveContext(env, flags.context)).delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
  io.stdout(`token ${id} revoked\n`);
}

/** `flotilla clusters bootstrap-token NAME [--ttl-hours N]`: the one-time token for the cluster's agent, on stdout alone. */
export async function bootstrapTokenCommand(
  cluster: string,
  flags: { ttlHours?: string; context?: string },
  io: CommandIO,
  env: Env,
): Promise<void> {
  const ttlHours = wholeNumber(flags.ttlHours, '--ttl-hours', 168);
  const api = new HubApi(resolveContext(env, flags.context));
  const issued = await api.post<{ token: string; expiresAt: string }>(
    `/api/v1/clusters/${encodeURIComponent(cluster)}/bootstrap-tokens`,
    ttlHours ? { ttlHours } : {},
  );
  io.stderr(`bootstrap token for cluster ${cluster}, one use, expires ${issued.expiresAt}`);
  io.stdout(`${issued.token}\n`);
}
