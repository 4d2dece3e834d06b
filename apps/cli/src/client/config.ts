import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { EXIT } from '../exit-codes.js';
import { HubClientError } from './errors.js';

const contextSchema = z.strictObject({ name: z.string().min(1), hub: z.url(), token: z.string().min(1) });
const configSchema = z.strictObject({
  currentContext: z.string().optional(),
  contexts: z.array(contextSchema).default([]),
});
export type HubContext = z.infer<typeof contextSchema>;
export type ClientConfig = z.infer<typeof configSchema>;

/** `$FLOTILLA_CONFIG`, else `$XDG_CONFIG_HOME/flotilla/config.yaml`, else `~/.config/flotilla/config.yaml`. */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.FLOTILLA_CONFIG) return env.FLOTILLA_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'flotilla', 'config.yaml');
}

export function readConfig(path: string): ClientConfig {
  if (!existsSync(path)) return { contexts: [] };
  const parsed = configSchema.safeParse(parse(readFileSync(path, 'utf8')) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HubClientError(`${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, EXIT.failed);
  }
  return parsed.data;
}

/** Written readable by its owner only: it holds tokens. */
export function writeConfig(path: string, config: ClientConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, stringify(config), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The hub to talk to: `FLOTILLA_HUB_URL` + `FLOTILLA_TOKEN` win (CI), else `--context`, else the current context. */
export function resolveContext(env: Readonly<Record<string, string | undefined>>, contextName?: string): HubContext {
  if (env.FLOTILLA_HUB_URL && env.FLOTILLA_TOKEN && !contextName)
    return { name: 'env', hub: env.FLOTILLA_HUB_URL, token: env.FLOTILLA_TOKEN };
  const path = configPath(env);
  const config = readConfig(path);
  const name = contextName ?? config.currentContext;
  if (!name) throw new HubClientError('no hub configured: run `flotilla login --hub URL --token TOKEN` first', EXIT.usage);
  const context = config.contexts.find((c) => c.name === name);
  if (!context)
    throw new HubClientError(
      `context "${name}" is not in ${path} (known: ${config.contexts.map((c) => c.name).join(', ') || 'none'})`,
      EXIT.usage,
    );
  return context;
}
