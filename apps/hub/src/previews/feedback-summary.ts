import type { CommitStatus } from '#scm';

/**
 * What a preview tells its pull request: a commit status and one comment, computed from the
 * preview and its Applications' last reports. Pure; the feedback job posts what changed.
 */

export const PREVIEW_URL_ANNOTATION = 'previews.flotilla.dev/url';

export interface PreviewApplication {
  name: string;
  cluster: string;
  /** The newest plan revision of its cluster holds this Application as rendered now. */
  planned: boolean;
  /** The last report, if its agent applied the newest plan revision. */
  status?: { sync: string; health: string; message: string };
  url?: string;
}

export interface PreviewSummaryInput {
  appSet: string;
  number: number;
  headSha: string;
  state: 'live' | 'expired' | 'evicted' | 'closed';
  reason: string;
  applications: readonly PreviewApplication[];
}

export interface PreviewSummary {
  /** Absent when the preview is gone: the last status on the commit stays as it was. */
  status?: CommitStatus;
  comment: string;
  url?: string;
}

export function summarisePreview(input: PreviewSummaryInput): PreviewSummary {
  const marker = `<!-- flotilla-preview ${input.appSet} -->`;
  const short = input.headSha.slice(0, 8);
  if (input.state !== 'live') {
    return { comment: `${marker}\n### Flotilla preview: removed\n\n${capitalise(input.reason)}. Revision \`${short}\`.\n` };
  }
  const apps = [...input.applications].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.name.localeCompare(b.name));
  const url = apps.find((app) => app.url)?.url;
  const failed = apps.filter((app) => app.status?.health === 'Degraded');
  const ready = apps.filter((app) => app.planned && app.status?.sync === 'Synced' && app.status.health === 'Healthy');
  let state: CommitStatus['state'];
  let description: string;
  if (apps.length === 0) {
    state = 'pending';
    description = 'Waiting for the preview to be placed on a cluster';
  } else if (failed.length > 0) {
    state = 'failure';
    description = `Preview degraded: ${failed.map((app) => `${app.name} on ${app.cluster}`).join(', ')}`;
  } else if (ready.length === apps.length) {
    state = 'success';
    description = `Preview ready on ${plural(new Set(apps.map((a) => a.cluster)).size, 'cluster')}`;
  } else {
    state = 'pending';
    description = `Deploying: ${ready.length} of ${plural(apps.length, 'application')} ready`;
  }
  const context = `flotilla/${input.appSet}`;
  const status: CommitStatus = { state, context, description, ...(url ? { targetUrl: url } : {}) };
  const rows = apps.map(
    (app) =>
      `| ${app.cluster} | ${app.name} | ${app.planned && app.status ? app.status.sync : 'Pending'} | ${app.planned && app.status ? app.status.health : 'Pending'} |`,
  );
  const lines = [
    marker,
    `### Flotilla preview: ${{ success: 'ready', failure: 'degraded', pending: 'deploying', error: 'error' }[state]}`,
    '',
    `Revision \`${short}\`${url ? ` · ${url}` : ''}`,
    '',
    '| Cluster | Application | Sync | Health |',
    '|---|---|---|---|',
    ...rows,
  ];
  for (const app of failed)
    if (app.status?.message) lines.push('', `> ${app.name} on ${app.cluster}: ${app.status.message.split('\n')[0]}`);
  return { status, comment: `${lines.join('\n')}\n`, ...(url ? { url } : {}) };
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
const capitalise = (text: string): string => (text ? text[0]?.toUpperCase() + text.slice(1) : 'Removed');
