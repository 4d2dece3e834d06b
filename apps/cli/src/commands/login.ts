import { configPath, readConfig, writeConfig } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

export interface LoginFlags {
  hub: string;
  token?: string;
  context?: string;
}

/**
 * `flotilla login`: checks the token against the hub, then stores it as a context (the
 * current one). The token comes from --token or FLOTILLA_TOKEN, so it need not be typed
 * where shell history keeps it.
 */
export async function loginCommand(flags: LoginFlags, io: CommandIO, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const token = flags.token ?? env.FLOTILLA_TOKEN;
  if (!token) throw new HubClientError('--token (or FLOTILLA_TOKEN) is required', EXIT.usage);
  const hub = new URL(flags.hub).toString().replace(/\/+$/, '');
  const name = flags.context ?? new URL(hub).host;
  await new HubApi({ name, hub, token }).get('/api/v1/clusters');
  const path = configPath(env);
  const config = readConfig(path);
  const contexts = [...config.contexts.filter((c) => c.name !== name), { name, hub, token }].sort((a, b) => a.name.localeCompare(b.name));
  writeConfig(path, { currentContext: name, contexts });
  io.stdout(`logged in to ${hub} as context "${name}" (saved in ${path})\n`);
}

/** `flotilla context [NAME]`: lists contexts (current marked with *), or switches to NAME. */
export function contextCommand(name: string | undefined, io: CommandIO, env: Readonly<Record<string, string | undefined>>): void {
  const path = configPath(env);
  const config = readConfig(path);
  if (name) {
    if (!config.contexts.some((c) => c.name === name))
      throw new HubClientError(
        `context "${name}" is not in ${path} (known: ${config.contexts.map((c) => c.name).join(', ') || 'none'})`,
        EXIT.usage,
      );
    writeConfig(path, { ...config, currentContext: name });
    io.stdout(`switched to context "${name}"\n`);
    return;
  }
  for (const context of config.contexts)
    io.stdout(`${context.name === config.currentContext ? '*' : ' '} ${context.name}   ${context.hub}\n`);
}
