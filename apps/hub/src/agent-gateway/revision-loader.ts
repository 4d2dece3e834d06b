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
 * text, so the hub neither parses nor re-serialises the plans it only passes on.
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
    try {
      const rows = await this.prisma.$queryRaw<Array<{ clusterId: string; revision: number; body: string }>>`
        SELECT DISTINCT ON ("clusterId") "clusterId", revision,
               json_build_object('revision', revision, 'hash', hash, 'plan', plan)::text AS body
          FROM "PlanRevision"
         WHERE "clusterId" = ANY(${ids}::uuid[]) ORDER BY "clusterId", revision DESC`;
      const newest = new Map(rows.map((row) => [row.clusterId, row]));
      for (const [clusterId, waiting] of batch) {
        const row = newest.get(clusterId);
        for (const w of waiting) w.resolve(row && row.revision > w.after ? { revision: row.revision, body: row.body } : undefined);
      }
    } catch (error) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
    }
  }
}
