import type pg from 'pg';
import { type PreviewRecord, previewKey } from './preview-policy.js';

/**
 * Writes the preview records of one render in one statement, inside the render's transaction.
 * Returns their ids by key, and the ids of previews that are new or changed head commit or
 * state: only those need feedback on their pull request.
 */
export async function storePreviews(
  client: pg.ClientBase,
  appSetId: string,
  records: readonly PreviewRecord[],
  previous: readonly PreviewRecord[],
): Promise<{ idByKey: Map<string, string>; changed: string[] }> {
  if (records.length === 0) return { idByKey: new Map(), changed: [] };
  const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
  const { rows } = await client.query<{ id: string; repository: string; number: number }>(
    `INSERT INTO "Preview" (id, "appSetId", provider, settings, repository, number, title, branch, "headSha", author,
                           state, reason, "firstSeenAt", "lastActivityAt", "closedAt")
    SELECT gen_random_uuid(), $1::uuid, r.provider, r.settings, r.repository, r.number, r.title, r.branch, r.sha, r.author,
           r.state::"PreviewState", r.reason,
           (r.first::timestamptz AT TIME ZONE 'UTC'), (r.active::timestamptz AT TIME ZONE 'UTC'), (r.closed::timestamptz AT TIME ZONE 'UTC')
      FROM unnest(
             $2::text[],
             $3::jsonb[],
             $4::text[],
             $5::int[],
             $6::text[],
             $7::text[],
             $8::text[],
             $9::text[],
             $10::text[],
             $11::text[],
             $12::text[],
             $13::text[],
             $14::text[])
        AS r(provider, settings, repository, number, title, branch, sha, author, state, reason, first, active, closed)
    ON CONFLICT ("appSetId", repository, number) DO UPDATE SET
      provider = EXCLUDED.provider, settings = EXCLUDED.settings, title = EXCLUDED.title, branch = EXCLUDED.branch,
      "headSha" = EXCLUDED."headSha", author = EXCLUDED.author, state = EXCLUDED.state, reason = EXCLUDED.reason,
      "firstSeenAt" = EXCLUDED."firstSeenAt", "lastActivityAt" = EXCLUDED."lastActivityAt", "closedAt" = EXCLUDED."closedAt"
    RETURNING id, repository, number`,
    [
      appSetId,
      records.map((r) => r.provider),
      records.map((r) => JSON.stringify(r.settings)),
      records.map((r) => r.repository),
      records.map((r) => r.number),
      records.map((r) => r.title),
      records.map((r) => r.branch),
      records.map((r) => r.headSha),
      records.map((r) => r.author),
      records.map((r) => r.state),
      records.map((r) => r.reason),
      records.map((r) => iso(r.firstSeenAt)),
      records.map((r) => iso(r.lastActivityAt)),
      records.map((r) => iso(r.closedAt)),
    ],
  );
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
