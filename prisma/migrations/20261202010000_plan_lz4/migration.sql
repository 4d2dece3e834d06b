-- Plans are a few KB of JSON each, written for every cluster on every change and read by every
-- agent: compressed with lz4 rather than pglz, about 1.5x faster to write for the same size
-- (docs/benchmarks.md, convergence). Needs PostgreSQL 14 or later built with lz4, as the
-- Debian, Red Hat, Docker and managed-cloud builds are (README: configuration).
ALTER TABLE "PlanRevision" ALTER COLUMN plan SET COMPRESSION lz4;
