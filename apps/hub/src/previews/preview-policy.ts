import type { PullRequestInfo } from '#contracts';

/**
 * The preview lifecycle, as a pure function of what the providers listed, which pull requests
 * produced Applications, the previous records and the clock. The render job wires it to
 * Postgres; everything here is testable without I/O.
 */

/** ApplicationSet annotations that bound its previews (annotations keep Argo CD documents valid). */
export const PREVIEW_TTL_ANNOTATION = 'previews.flotilla.dev/ttl';
export const PREVIEW_MAX_ANNOTATION = 'previews.flotilla.dev/max-live';

export interface PreviewPolicy {
  /** A preview whose head commit has not changed for this long is removed (until its next push). */
  ttlMs?: number;
  /** At most this many live previews; the ones idle longest go first. */
  maxLive?: number;
}

export type PreviewState = 'live' | 'expired' | 'evicted' | 'closed';

/** The pull request a generator listed, with the provider block that listed it. */
export interface ListedPullRequest {
  provider: string;
  settings: Record<string, unknown>;
  repository: string;
  pull: PullRequestInfo;
}

export interface PreviewRecord {
  id?: string;
  provider: string;
  settings: Record<string, unknown>;
  repository: string;
  number: number;
  title: string;
  branch: string;
  headSha: string;
  author: string;
  state: PreviewState;
  reason: string;
  firstSeenAt: Date;
  lastActivityAt: Date;
  closedAt: Date | null;
}

export const previewKey = (repository: string, number: number): string => `${repository}#${number}`;

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Reads the policy annotations; errors name the annotation and say what is accepted. */
export function previewPolicyOf(annotations: Readonly<Record<string, string>> | undefined): PreviewPolicy {
  const policy: PreviewPolicy = {};
  const ttl = annotations?.[PREVIEW_TTL_ANNOTATION];
  if (ttl !== undefined) {
    const match = DURATION.exec(ttl.trim());
    if (!match || Number(match[1]) <= 0) {
      throw new Error(`metadata.annotations["${PREVIEW_TTL_ANNOTATION}"]: "${ttl}" is not a duration like 30m, 12h or 7d`);
    }
    policy.ttlMs = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  const max = annotations?.[PREVIEW_MAX_ANNOTATION];
  if (max !== undefined) {
    if (!/^\d+$/.test(max.trim()) || Number(max) < 1) {
      throw new Error(`metadata.annotations["${PREVIEW_MAX_ANNOTATION}"]: "${max}" is not a whole number of at least 1`);
    }
    policy.maxLive = Number(max);
  }
  return policy;
}

export interface PreviewDecision {
  /** Every record to store: live, expired, evicted, and newly closed ones. */
  records: PreviewRecord[];
  /** Keys (`previewKey`) of the previews whose Applications are kept. */
  live: Set<string>;
}

/**
 * Decides each preview's state. `listed`: every open pull request the providers returned.
 * `generating`: keys of those that produced Applications (passed labels and filters).
 */
export function decidePreviews(input: {
  policy: PreviewPolicy;
  now: Date;
  listed: readonly ListedPullRequest[];
  generating: ReadonlySet<string>;
  previous: readonly PreviewRecord[];
}): PreviewDecision {
  const { policy, now } = input;
  const previousByKey = new Map(input.previous.map((record) => [previewKey(record.repository, record.number), record]));
  const listedByKey = new Map(input.listed.map((entry) => [previewKey(entry.repository, entry.pull.number), entry]));
  const records: PreviewRecord[] = [];
  const candidates: PreviewRecord[] = [];

  for (const key of input.generating) {
    const entry = listedByKey.get(key);
    if (!entry) continue;
    const before = previousByKey.get(key);
    const moved = !before || before.headSha !== entry.pull.head_sha || before.state === 'closed';
    const record: PreviewRecord = {
      ...(before?.id ? { id: before.id } : {}),
      provider: entry.provider,
      settings: entry.settings,
      repository: entry.repository,
      number: entry.pull.number,
      title: entry.pull.title,
      branch: entry.pull.branch,
      headSha: entry.pull.head_sha,
      author: entry.pull.author,
      state: 'live',
      reason: '',
      firstSeenAt: before && before.state !== 'closed' ? before.firstSeenAt : now,
      lastActivityAt: moved ? now : (before?.lastActivityAt ?? now),
      closedAt: null,
    };
    if (policy.ttlMs !== undefined && now.getTime() - record.lastActivityAt.getTime() >= policy.ttlMs) {
      record.state = 'expired';
      record.reason = `no new commit for ${formatDuration(policy.ttlMs)} (TTL); a push brings it back`;
    } else {
      candidates.push(record);
    }
    records.push(record);
  }

  // Over the maximum: the most recently active stay; ties go to the newer pull request.
  candidates.sort((a, b) => b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || b.number - a.number);
  const live = new Set<string>();
  for (const [i, record] of candidates.entries()) {
    if (policy.maxLive !== undefined && i >= policy.maxLive) {
      record.state = 'evicted';
      record.reason = `more than ${policy.maxLive} live previews; the ones idle longest are removed first`;
    } else {
      live.add(previewKey(record.repository, record.number));
    }
  }

  for (const [key, before] of previousByKey) {
    if (input.generating.has(key) && listedByKey.has(key)) continue;
    if (before.state === 'closed') continue;
    records.push({
      ...before,
      state: 'closed',
      reason: listedByKey.has(key)
        ? 'the pull request no longer matches the generator (label or filter)'
        : 'the pull request was closed or merged',
      closedAt: now,
    });
  }
  return { records, live };
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

/** Identifies a provider's repository for matching webhooks and keeping records apart. */
export function repositoryKey(provider: string, settings: Readonly<Record<string, unknown>>): string {
  const part = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const api = part(settings.api).replace(/\/+$/, '');
  const path = settings.project !== undefined ? part(settings.project) : `${part(settings.owner)}/${part(settings.repo)}`;
  return `${provider}:${api ? `${api}|` : ''}${path}`.toLowerCase();
}
