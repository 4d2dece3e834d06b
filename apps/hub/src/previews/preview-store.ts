import type { Prisma } from '../generated/prisma/client.js';
import { type PreviewRecord, previewKey } from './preview-policy.js';

/**
 * Writes the preview records of one render in one statement, inside the render's transaction.
 * Returns their ids by key, and the ids of previews that are new or changed head commit or
 * state: only those need feedback on their pull request.
 */
export async function storePreviews(
  tx: Prisma.TransactionClient,
  appSetId: string,
  records: readonly PreviewRecord[],
  previous: readonly PreviewRecord[],
): Promise<{ idByKey: Map<string, string>; changed: string[] }> {
  if (records.length === 0) return { idByKey: new Map(), changed: [] };
  const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
  const rows = await tx.$queryRaw<Array<{ id: string; repository: string; number: number }>>`
    INSERT INTO "Preview" (id, "appSetId", provider, settings, repository, number, title, branch, "headSha", author,
                           state, reason, "firstSeenAt", "lastActivityAt", "closedAt")
    SELECT gen_random_uuid(), ${appSetId}::uuid, r.provider, r.settings, r.repository, r.number, r.title, r.branch, r.sha, r.author,
           r.state::"PreviewState", r.reason,
           (r.first::timestamptz AT TIME ZONE 'UTC'), (r.active::timestamptz AT TIME ZONE 'UTC'), (r.closed::timestamptz AT TIME ZONE 'UTC')
      FROM unnest(
             ${records.map((r) => r.provider)}::text[],
             ${records.map((r) => JSON.stringify(r.settings))}::jsonb[],
             ${records.map((r) => r.repository)}::text[],
             ${records.map((r) => r.number)}::int[],
             ${records.map((r) => r.title)}::text[],
             ${records.map((r) => r.branch)}::text[],
             ${records.map((r) => r.headSha)}::text[],
             ${records.map((r) => r.author)}::text[],
             ${records.map((r) => r.state)}::text[],
             ${records.map((r) => r.reason)}::text[],
             ${records.map((r) => iso(r.firstSeenAt))}::text[],
             ${records.map((r) => iso(r.lastActivityAt))}::text[],
             ${records.map((r) => iso(r.closedAt))}::text[])
        AS r(provider, settings, repository, number, title, branch, sha, author, state, reason, first, active, closed)
    ON CONFLICT ("appSetId", repository, number) DO UPDATE SET
      provider = EXCLUDED.provider, settings = EXCLUDED.settings, title = EXCLUDED.title, branch = EXCLUDED.branch,
      "headSha" = EXCLUDED."headSha", author = EXCLUDED.author, state = EXCLUDED.state, reason = EXCLUDED.reason,
      "firstSeenAt" = EXCLUDED."firstSeenAt", "lastActivityAt" = EXCLUDED."lastActivityAt", "closedAt" = EXCLUDED."closedAt"
    RETURNING id, repository, number`;
  const idByKey = new Map(rows.map((row) => [previewKey(row.repository, row.number), row.id]));
  const before = new Map(previous.map((record) => [previewKey(record.repository, record.number), record]));
  const changed: string[] = [];
  for (const record of records) {
    const key = previewKey(record.repository, record.number);
    const old = before.get(key);
    const id = idByKey.get(key);
    if (id && (!old || old.state !== record.state || old.headSha !== record.headSha)) changed.push(id);
  }
  return { idByKey, changed };
}
