-- Plans are stored as JSON text (json), not jsonb: the hub writes them as text and agents read
-- them as text, so parsing each into jsonb on the way in (and printing it again on the way out)
-- was work for nothing: 2.3 times the cost of the INSERT (docs/benchmarks.md, convergence).
-- Queries that look inside a plan read its outline instead: per Application name, the host of
-- its first Ingress and whether it has TLS (libs/plans/src/outline.ts), a few bytes of jsonb.
-- Preview feedback asks that for each preview, and reading it out of the whole plan parsed
-- every Application of the cluster each time. Rows already stored get their outline here.
ALTER TABLE "PlanRevision" ADD COLUMN outline jsonb;
UPDATE "PlanRevision" SET outline = COALESCE((
  SELECT jsonb_object_agg(app->>'name', jsonb_strip_nulls(jsonb_build_object(
           'ingressHost', (SELECT o->'spec'->'rules'->0->>'host'
                             FROM jsonb_array_elements(CASE WHEN jsonb_typeof(app->'objects') = 'array' THEN app->'objects' ELSE '[]' END)
                                  WITH ORDINALITY AS objects(o, position)
                            WHERE o->>'kind' = 'Ingress' AND jsonb_typeof(o->'spec'->'rules'->0->'host') = 'string'
                              AND o->'spec'->'rules'->0->>'host' <> ''
                            ORDER BY position LIMIT 1),
           'ingressTls', (SELECT true
                            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(app->'objects') = 'array' THEN app->'objects' ELSE '[]' END) AS o
                           WHERE o->>'kind' = 'Ingress' AND o->'spec'->'tls'->0 IS NOT NULL
                           LIMIT 1))))
    FROM jsonb_array_elements(plan->'applications') AS app), '{}'::jsonb);
ALTER TABLE "PlanRevision" ALTER COLUMN outline SET NOT NULL;
-- Changing the type rewrites the table once, and a new type starts with the default
-- compression, so lz4 is set again.
ALTER TABLE "PlanRevision" ALTER COLUMN plan TYPE json USING plan::json;
ALTER TABLE "PlanRevision" ALTER COLUMN plan SET COMPRESSION lz4;
