import { resolveContext } from '../client/config.js';
import { HubClientError } from '../client/errors.js';
import { HubApi } from '../client/hub-api.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIO } from './render.js';

/**
 * `flotilla rollback APP --cluster C --to N`: pins the cluster's Application to plan revision N
 * until `--unpin`; the hub plans it as revision N had it and the agent applies that.
 */
export async function rollbackCommand(
  application: string,
  flags: { cluster?: string; to?: string; unpin?: boolean; context?: string },
  io: CommandIO,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  if (!flags.cluster) throw new HubClientError('--cluster: which cluster to roll back', EXIT.usage);
  if ((flags.to === undefined) === !flags.unpin) throw new HubClientError('give either --to REVISION or --unpin', EXIT.usage);
  const api = new HubApi(resolveContext(env, flags.context));
  const path = `/api/v1/clusters/${encodeURIComponent(flags.cluster)}/applications/${encodeURIComponent(application)}/pin`;
  if (flags.unpin) {
    await api.delete(path);
    io.stdout(`application ${application} on cluster ${flags.cluster} unpinned: it follows its ApplicationSet again\n`);
    return;
  }
  const revision = Number(flags.to);
  if (!Number.isInteger(revision) || revision < 1)
    throw new HubClientError('--to: a plan revision number (see flotilla get plans)', EXIT.usage);
  await api.put(path, { revision });
  io.stdout(
    `application ${application} on cluster ${flags.cluster} pinned to plan revision ${revision}\n` +
      `undo with: flotilla rollback ${application} --cluster ${flags.cluster} --unpin\n`,
  );
}
