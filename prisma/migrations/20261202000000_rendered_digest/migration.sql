-- The SHA-256 of the Applications the last full render stored (as the JSON it sent), or null
-- when they changed otherwise since (a partial render for changed clusters). A render whose
-- Applications hash the same skips comparing and rewriting them: a git commit that moves only
-- the plans costs no pass over every stored Application.
ALTER TABLE "ApplicationSet" ADD COLUMN "renderedDigest" TEXT;
