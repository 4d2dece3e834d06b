-- Plans are stored as JSON text (json), not jsonb: the hub writes them as text and agents read
-- them as text, so parsing each into jsonb on the way in (and printing it again on the way out)
-- was work for nothing: 2.3 times the cost of the INSERT (docs/benchmarks.md, convergence,
-- session 10). The few queries that look inside a plan (pins, rollbacks, preview feedback) cast
-- it to jsonb. Changing the type rewrites the table once, and a new type starts with the default
-- compression, so lz4 is set again.
ALTER TABLE "PlanRevision" ALTER COLUMN plan TYPE json USING plan::json;
ALTER TABLE "PlanRevision" ALTER COLUMN plan SET COMPRESSION lz4;
