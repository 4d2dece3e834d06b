import type { StatusReport } from '#contracts';
import type { PrismaService } from '../database/prisma.service.js';

/** An Application's status as stored before a report replaced it. */
export interface PreviousStatus {
  application: string;
  sync: string;
  health: string;
  appliedRevision: number | null;
}

/** What storing one report found: the cluster's name (null: it no longer exists), its statuses before, its previews by Application. */
export interface StoredReport {
  cluster: string | null;
  previous: PreviousStatus[];
  previews: Record<string, string>;
}

interface Pending {
  clusterId: string;
  revision: number;
  applications: StatusReport['applications'];
  resolve: (stored: StoredReport) => void;
  reject: (error: unknown) => void;
}

/** One statement writes at most this many reports, and this many Applications (unless one report has more). */
const MAX_REPORTS = 500;
const MAX_APPLICATIONS = 5_000;

/**
 * Stores agents' status reports in bulk: after a fleet-wide change thousands of agents report
 * within a second, and a statement's fixed cost (planning, its scans, the round trip: about
 * 2–3 ms here) outweighs its rows until it carries dozens of reports. So one statement runs
 * at a time: the reports that arrive while it runs, and those of the same event-loop turn,
 * go together into the next (group commit). An idle hub writes a lone report at once.
 * Writing one statement at a time also keeps each cluster's reports in order.
 * Each statement upserts the reported statuses, removes the ones no longer reported, records
 * the heartbeat, and returns per cluster its statuses before and the previews its Applications
 * belong to. A cluster twice in one flush goes in the next statement, after the first. A batch
 * that fails is written again report by report, so only a bad report fails.
 */
export class StatusWriter {
  private pending: Pending[] = [];
  private scheduled = false;
  /** A flush is writing: new reports wait for it to finish, then go out together. */
  private writing = false;

  constructor(private readonly prisma: Pick<PrismaService, 'plannedQuery'>) {}

  write(clusterId: string, revision: number, applications: StatusReport['applications']): Promise<StoredReport> {
    return new Promise((resolve, reject) => {
      this.pending.push({ clusterId, revision, applications, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const reports = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.writing = true;
    try {
      for (const batch of batches(reports)) {
        try {
          await this.store(batch);
        } catch (error) {
          if (batch.length === 1) (batch[0] as Pending).reject(error);
          else for (const report of batch) await this.store([report]).catch(report.reject);
        }
      }
    } finally {
      this.writing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async store(batch: Pending[]): Promise<void> {
    const sorted = [...batch].sort((a, b) => (a.clusterId < b.clusterId ? -1 : 1));
    const input = sorted.flatMap((report) =>
      report.applications.map((app) => ({ clusterId: report.clusterId, revision: report.revision, ...app })),
    );
    const rows = await this.prisma.plannedQuery<{
      clusterId: string;
      cluster: string;
      previous: PreviousStatus[] | null;
      previews: Record<string, string> | null;
    }>(
      // Rows are locked in cluster id order (the array is sorted), as plan jobs lock them. The input
      // is read as json: the objects are then parsed into jsonb once, not parsed, printed and parsed.
      `WITH input AS (
         SELECT * FROM json_to_recordset($2::json)
           AS r("clusterId" uuid, revision int, name text, sync text, health text, message text, objects jsonb)),
       previous AS (
         SELECT "clusterId", application, sync, health, "appliedRevision" FROM "ApplicationStatus" WHERE "clusterId" = ANY($1::uuid[])),
       upserted AS (
         INSERT INTO "ApplicationStatus" ("clusterId", application, "appliedRevision", sync, health, message, objects, "updatedAt")
         SELECT i."clusterId", i.name, i.revision, i.sync, i.health, i.message, i.objects, now() AT TIME ZONE 'UTC'
           FROM input i JOIN "Cluster" c ON c.id = i."clusterId"
          ORDER BY i."clusterId", i.name
         ON CONFLICT ("clusterId", application) DO UPDATE SET
           "appliedRevision" = EXCLUDED."appliedRevision", sync = EXCLUDED.sync, health = EXCLUDED.health,
           message = EXCLUDED.message, objects = EXCLUDED.objects, "updatedAt" = EXCLUDED."updatedAt"
         RETURNING 1),
       removed AS (
         DELETE FROM "ApplicationStatus" s
          WHERE s."clusterId" = ANY($1::uuid[])
            AND NOT EXISTS (SELECT 1 FROM input i WHERE i."clusterId" = s."clusterId" AND i.name = s.application)
         RETURNING 1),
       beat AS (
         UPDATE "Cluster" SET "lastHeartbeatAt" = now() AT TIME ZONE 'UTC', state = 'connected'
          WHERE id = ANY($1::uuid[])
         RETURNING id, name),
       -- Grouped once and joined: per-cluster subqueries would scan the batch once per cluster.
       before_by_cluster AS (
         SELECT "clusterId", jsonb_agg(jsonb_build_object('application', application, 'sync', sync, 'health', health,
                                                          'appliedRevision', "appliedRevision")) AS previous
           FROM previous GROUP BY "clusterId"),
       previews_by_cluster AS (
         SELECT g."clusterId", jsonb_object_agg(g.name, g."previewId") AS previews
           FROM "GeneratedApplication" g JOIN input i ON i."clusterId" = g."clusterId" AND i.name = g.name
          WHERE g."previewId" IS NOT NULL GROUP BY g."clusterId")
       SELECT b.id AS "clusterId", b.name AS cluster, p.previous, v.previews
         FROM beat b
         LEFT JOIN before_by_cluster p ON p."clusterId" = b.id
         LEFT JOIN previews_by_cluster v ON v."clusterId" = b.id`,
      [sorted.map((report) => report.clusterId), JSON.stringify(input)],
    );
    const byCluster = new Map(rows.map((row) => [row.clusterId, row]));
    for (const report of batch) {
      const row = byCluster.get(report.clusterId);
      report.resolve({ cluster: row?.cluster ?? null, previous: row?.previous ?? [], previews: row?.previews ?? {} });
    }
  }
}

/** Reports grouped into statements (see MAX_REPORTS), each cluster at most once per statement, in arrival order. */
export function batches<T extends { clusterId: string; applications: readonly unknown[] }>(reports: readonly T[]): T[][] {
  const out: Array<{ reports: T[]; clusters: Set<string>; applications: number }> = [];
  const fits = (b: (typeof out)[number], report: T) =>
    b.reports.length < MAX_REPORTS && b.applications + report.applications.length <= MAX_APPLICATIONS;
  for (const report of reports) {
    // After the last batch holding this cluster: its earlier report is written first.
    const after = out.findLastIndex((b) => b.clusters.has(report.clusterId)) + 1;
    let batch = out.slice(after).find((b) => fits(b, report));
    if (!batch) {
      batch = { reports: [], clusters: new Set(), applications: 0 };
      out.push(batch);
    }
    batch.reports.push(report);
    batch.clusters.add(report.clusterId);
    batch.applications += report.applications.length;
  }
  return out.map((b) => b.reports);
}
