import type { PrismaService } from '../database/prisma.service.js';

/** A revision as sent to the agent: the response body already serialised, straight from Postgres. */
export interface SerialisedRevision {
  revision: number;
  /** `PlanRevisionResponse` as JSON text. */
  body: string;
}

interface Waiting {
  after: number;
  resolve: (revision: SerialisedRevision | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads clusters' newest plan revisions in batches: every lookup asked for in the same
 * turn of the event loop becomes one query. When a change wakes thousands of agents at
 * once, that is a handful of queries instead of one per agent. Postgres builds the response
 * text, so the hub neither parses nor re-serialises the plans it only passes on, and only for
 * agents that do not have the newest revision yet.
 */
export class RevisionLoader {
  private pending = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly prisma: PrismaService) {}

  /** The cluster's newest revision if it is newer than `after`. */
  newestAfter(clusterId: string, after: number): Promise<SerialisedRevision | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(clusterId) ?? [];
      list.push({ after, resolve, reject });
      this.pending.set(clusterId, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    const ids = [...batch.keys()];
    // Per cluster, the oldest revision a waiting agent has: most polls come right after the
    // agent got its revision, so the newest is not newer and its body is not built at all.
    const after = ids.map((id) => Math.min(...(batch.get(id) ?? []).map((w) => w.after)));
    try {
      const rows = await this.prisma.hotQuery<{ clusterId: string; revision: number; body: string | null }>(
        'newest-plan-revisions',
        `SELECT w.id AS "clusterId", r.revision,
                CASE WHEN r.revision > w.after
                     THEN json_build_object('revision', r.revision, 'hash', r.hash, 'plan', r.plan)::text END AS body
           FROM unnest($1::uuid[], $2::int[]) AS w(id, after)
           CROSS JOIN LATERAL (SELECT revision, hash, plan FROM "PlanRevision"
                                WHERE "clusterId" = w.id ORDER BY revision DESC LIMIT 1) AS r`,
        [ids, after],
      );
      const newest = new Map(rows.map((row) => [row.clusterId, row]));
      for (const [clusterId, waiting] of batch) {
        const row = newest.get(clusterId);
        for (const w of waiting) {
          w.resolve(row?.body != null && row.revision > w.after ? { revision: row.revision, body: row.body } : undefined);
        }
      }
    } catch (error) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
    }
  }
}
