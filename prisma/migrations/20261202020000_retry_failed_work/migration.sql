-- Failed work is tried again with exponential backoff, without waiting for the next change:
-- a render that failed (a git generator's repository unreachable, say) and a cluster whose
-- plan carries a failed Application (a source that could not be fetched). Each row counts
-- its consecutive failures and holds when to try again (UTC, as Prisma keeps timestamps);
-- the reconciler claims the rows that are due. Null when nothing is to be retried.
ALTER TABLE "ApplicationSet"
  ADD COLUMN "renderRetries" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "renderRetryAt" TIMESTAMP(3);
ALTER TABLE "Cluster"
  ADD COLUMN "planRetries" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "planRetryAt" TIMESTAMP(3);
